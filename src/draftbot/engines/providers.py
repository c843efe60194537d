"""Provider profiles: how each model service differs, read from data/providers.toml.

A provider's table there holds its preset (base URL, default model, prices, context size, key
variable) and its quirks:

    cloud            true: a hosted service (never probed); false: self-hosted, asked for its
                     window, tokenizer and slots first (engines/server.py)
    cap_field        the request field the answer cap goes in: max_tokens (default) or
                     max_completion_tokens (OpenAI's own API)
    cached_tokens    where its usage object reports the cached share of the prompt (dotted path)
    usage_in_choice  true: streamed usage arrives inside the final choice (Moonshot/Kimi)
    hosts            host names that identify the service behind a custom base URL

    overflow, overflow_limit, overflow_requested
                     how it words a prompt over its context window (regexes), and where the
                     window and the tokens asked for are in that message

The `servers` table does the same for self-hosted server kinds (llama.cpp, llama-cpp-python, vLLM,
Ollama), which engines/server.py tells apart by probing: their label, where each states its
window, and their overflow wording.

A server that is no preset (a custom --base-url) gets the defaults, and every known place for
cached tokens is tried. Adding a provider or a quirk is an edit of providers.toml alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from draftbot.engines.usage import CACHED_FIELDS

STANDARD_CACHED = "prompt_tokens_details.cached_tokens"  # the field LangChain maps to cache_read


@dataclass(frozen=True)
class Profile:
    name: str
    cloud: bool = False
    cap_field: str = "max_tokens"
    cached_fields: tuple[str, ...] = CACHED_FIELDS
    usage_in_choice: bool = False

    @property
    def usage_via_langchain(self) -> bool:
        """LangChain's usage_metadata carries everything this service reports (else: the SDK)."""
        return self.cached_fields == (STANDARD_CACHED,) and not self.usage_in_choice

    @property
    def probe(self) -> bool:
        """Self-hosted: ask the server about its limits before the first call."""
        return not self.cloud


def _from_table(name: str, table: dict) -> Profile:
    cached = table.get("cached_tokens")
    return Profile(
        name=name,
        cloud=bool(table.get("cloud", False)),
        cap_field=str(table.get("cap_field", "max_tokens")),
        cached_fields=(cached,) if isinstance(cached, str) else CACHED_FIELDS,
        usage_in_choice=bool(table.get("usage_in_choice", False)),
    )


def profile_for(provider: str | None, base_url: str | None) -> Profile:
    """The profile of a preset by name, else of the preset whose hosts serve `base_url`, else a
    custom server's (self-hosted defaults, every usage field tried)."""
    from draftbot.config import presets

    tables = presets()
    if provider in tables:
        return _from_table(provider, tables[provider])
    host = urlsplit(base_url or "").hostname or ""
    for name, table in tables.items():
        if any(host == h or host.endswith("." + h) for h in table.get("hosts", ())):
            return _from_table(name, table)
    return Profile(provider or "custom", usage_in_choice=True)


def server_kinds() -> dict[str, dict]:
    """The self-hosted server kinds by name (providers.toml's `servers` table)."""
    from draftbot.config import providers_data

    return providers_data().get("servers", {})


def server_label(kind: str | None) -> str:
    """How the report names a server kind (a server that is none of them: OpenAI 兼容服务)."""
    return server_kinds().get(kind or "", {}).get("label", "OpenAI 兼容服务")


@dataclass(frozen=True)
class OverflowWording:
    says: tuple[re.Pattern, ...]
    limit: tuple[re.Pattern, ...]
    requested: tuple[re.Pattern, ...]


@cache
def overflow_wording() -> OverflowWording:
    """Every provider's and server kind's overflow wording (the kind is often unknown at error time)."""
    from draftbot.config import presets

    tables = [*presets().values(), *server_kinds().values()]

    def gather(key: str) -> tuple[re.Pattern, ...]:
        patterns = dict.fromkeys(p for t in tables for p in t.get(key, ()))
        return tuple(re.compile(p, re.I) for p in patterns)

    return OverflowWording(gather("overflow"), gather("overflow_limit"), gather("overflow_requested"))
