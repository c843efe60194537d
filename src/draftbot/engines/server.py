"""What a self-hosted model server says about itself: its context window, tokenizer and parallel slots.

Asked once per run, before the first model call, of servers that are not a cloud preset. Each
server family answers in its own way:

    llama.cpp server   GET /props: default_generation_settings.n_ctx, total_slots; POST /tokenize
    llama-cpp-python   POST /extras/tokenize/count; the window only in the error for a prompt that
                       cannot fit (rejected after tokenizing, before any evaluation)
    vLLM               GET /v1/models: max_model_len; POST /tokenize with the chat messages (exact)
    Ollama             POST /api/show: num_ctx (else the model's context_length, capped at Ollama's
                       default window); no tokenizer endpoint

Every probe is best effort with a short timeout: a server that answers none of them is used with
the configured values. Also here: recognising a context-overflow error in any of their shapes
(the wording itself is data: data/providers.toml, engines/providers.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PROBE_TIMEOUT = 10.0
OLLAMA_DEFAULT_CTX = 4096  # Ollama's window when neither the model nor the server sets one
MESSAGE_OVERHEAD = 8  # chat-template tokens per message when only plain text can be counted
OVERSIZE_PROMPT = " the" * 300_000  # more tokens than any window: rejected before evaluation


@dataclass
class ServerInfo:
    """What the probes learned; None where the server did not say."""

    kind: str | None = None  # llamacpp, llama-cpp-python, vllm, ollama
    context: int | None = None
    context_source: str = ""  # where the window was read, for the report
    context_exact: bool = True  # False: a default guessed for a server that did not say
    slots: int | None = None  # parallel slots the server announced
    tokenize_url: str | None = None
    tokenize_style: str = ""  # "content" (llama.cpp), "input" (llama-cpp-python), "messages" (vLLM)
    model: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        from draftbot.engines.providers import server_label

        return server_label(self.kind)


def root_url(base_url: str) -> str:
    """The server root: the base URL without a trailing /v1."""
    return re.sub(r"/v1/?$", "", base_url.rstrip("/"))


# -- probing -----------------------------------------------------------------------------------


def probe(base_url: str, model: str | None, api_key: str | None = None, local_only: bool = False) -> ServerInfo:
    """Ask the server about itself (never raises)."""
    import httpx

    from draftbot.localonly import Refused, sync_client

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    info = ServerInfo(model=model)
    try:
        with sync_client(local_only, timeout=PROBE_TIMEOUT, headers=headers) as client:
            _probe_all(client, base_url.rstrip("/"), root_url(base_url), info)
    except (httpx.HTTPError, ValueError, KeyError, TypeError, Refused) as exc:
        info.notes.append(f"探测中断：{type(exc).__name__}")
    return info


def _probe_all(client, base: str, root: str, info: ServerInfo) -> None:
    owners = _models(client, base, info)
    if info.context is None:
        _props(client, root, info)
    if info.kind is None and ("me" in owners or _llama_cpp_python(client, root, info)):
        info.kind = "llama-cpp-python"
        _oversize(client, base, info)
    if info.kind is None and (owners & {"library", "ollama"} or _ollama_alive(client, root)):
        _ollama(client, root, info)
    if info.kind in ("llamacpp", "vllm") and info.tokenize_url is None:
        _find_tokenizer(client, root, info)


def _json(resp) -> dict:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _positive(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _models(client, base: str, info: ServerInfo) -> set[str]:
    resp = client.get(f"{base}/models")
    if resp.status_code != 200:
        return set()
    entries = [e for e in _json(resp).get("data") or [] if isinstance(e, dict)]
    if not info.model and len(entries) == 1:
        info.model = entries[0].get("id")
    for entry in entries:
        if entry.get("id") == info.model or len(entries) == 1:
            size = _positive(entry.get("max_model_len"))
            if size:
                info.kind, info.context, info.context_source = "vllm", size, "/v1/models 的 max_model_len"
    return {str(e.get("owned_by")) for e in entries}


def _props(client, root: str, info: ServerInfo) -> None:
    resp = client.get(f"{root}/props")
    if resp.status_code != 200:
        return
    data = _json(resp)
    settings = data.get("default_generation_settings") or {}
    size = _positive(settings.get("n_ctx")) if isinstance(settings, dict) else None
    if size:
        info.kind, info.context, info.context_source = "llamacpp", size, "/props 的 n_ctx"
        info.slots = _positive(data.get("total_slots"))


def _llama_cpp_python(client, root: str, info: ServerInfo) -> bool:
    resp = client.post(f"{root}/extras/tokenize/count", json={"input": "ok", "model": info.model})
    if resp.status_code == 200 and _positive(_json(resp).get("count")):
        info.tokenize_url, info.tokenize_style = f"{root}/extras/tokenize/count", "input"
        return True
    return False


def _oversize(client, base: str, info: ServerInfo) -> None:
    """llama-cpp-python states its window only when rejecting a prompt that cannot fit."""
    if info.tokenize_url is None:
        _llama_cpp_python(client, root_url(base), info)
    body = {"model": info.model or "local", "prompt": OVERSIZE_PROMPT, "max_tokens": 1, "stream": False}
    resp = client.post(f"{base}/completions", json=body)
    found = parse_context_error(resp.status_code, resp.text)
    if found is not None and found.limit:
        info.context, info.context_source = found.limit, "服务对超长请求的报错"


def _ollama_alive(client, root: str) -> bool:
    resp = client.get(f"{root}/api/version")
    return resp.status_code == 200 and "version" in _json(resp)


def _ollama(client, root: str, info: ServerInfo) -> None:
    info.kind = "ollama"
    resp = client.post(f"{root}/api/show", json={"model": info.model})
    if resp.status_code != 200:
        return
    data = _json(resp)
    match = re.search(r"^\s*num_ctx\s+(\d+)", str(data.get("parameters") or ""), re.M)
    if match:
        info.context, info.context_source = int(match.group(1)), "/api/show 的 num_ctx"
        return
    trained = [
        v for k, v in (data.get("model_info") or {}).items() if k.endswith(".context_length") and _positive(v)
    ]
    info.context = min([OLLAMA_DEFAULT_CTX, *trained])
    info.context_source = "Ollama 的默认上下文（未设置 num_ctx）"
    info.context_exact = False


def _find_tokenizer(client, root: str, info: ServerInfo) -> None:
    probe_body = {"messages": [{"role": "user", "content": "ok"}], "model": info.model}
    if info.kind == "vllm":
        resp = client.post(f"{root}/tokenize", json=probe_body)
        if resp.status_code == 200 and _positive(_json(resp).get("count")):
            info.tokenize_url, info.tokenize_style = f"{root}/tokenize", "messages"
        return
    resp = client.post(f"{root}/tokenize", json={"content": "ok"})
    if resp.status_code == 200 and isinstance(_json(resp).get("tokens"), list):
        info.tokenize_url, info.tokenize_style = f"{root}/tokenize", "content"


# -- counting with the server's tokenizer --------------------------------------------------------


def make_counter(info: ServerInfo, api_key: str | None = None, local_only: bool = False):
    """messages -> the server's token count (None when the server could not count), or None."""
    if not info.tokenize_url:
        return None

    def count(messages: list[dict]) -> int | None:
        import httpx

        from draftbot.localonly import Refused, sync_client

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        try:
            with sync_client(local_only, timeout=PROBE_TIMEOUT, headers=headers) as client:
                return _count(client, info, messages)
        except (httpx.HTTPError, ValueError, Refused):
            return None

    return count


def _count(client, info: ServerInfo, messages: list[dict]) -> int | None:
    if info.tokenize_style == "messages":
        body = {"model": info.model, "messages": messages}
        return _positive(_json(client.post(info.tokenize_url, json=body)).get("count"))
    text = "\n".join(m.get("content", "") for m in messages)
    if info.tokenize_style == "input":
        data = _json(client.post(info.tokenize_url, json={"input": text, "model": info.model}))
        n = _positive(data.get("count"))
    else:
        tokens = _json(client.post(info.tokenize_url, json={"content": text})).get("tokens")
        n = len(tokens) if isinstance(tokens, list) else None
    return n + MESSAGE_OVERHEAD * (len(messages) + 1) if n else None


# -- context errors ----------------------------------------------------------------------------


@dataclass
class ContextOverflow:
    limit: int | None = None  # the server's window, when it said
    requested: int | None = None  # the tokens the request needed, when it said


def parse_context_error(status: int | None, text: str) -> ContextOverflow | None:
    """A context overflow in any known server's or provider's wording (data/providers.toml), else None."""
    from draftbot.engines.providers import overflow_wording

    if status not in (None, 400, 413, 422, 500) or not text:
        return None
    wording = overflow_wording()
    if not any(p.search(text) for p in wording.says):
        return None
    return ContextOverflow(_first_int(wording.limit, text), _first_int(wording.requested, text))


def _first_int(patterns, text: str) -> int | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None
