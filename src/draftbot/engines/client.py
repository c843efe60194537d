"""The model behind the LLM engine: a LangChain chat model, streamed one answer at a time.

Any LangChain chat model (`BaseChatModel`) can draft: `ChatModelStream` reads its public
`astream` (text, `usage_metadata`, `finish_reason`). The built-in path builds `ChatOpenAI` with
public parameters only (streaming usage, timeouts, no retries of its own, our own httpx client),
and passes each section's answer cap in the field the server reads (ChatOpenAI sends `max_tokens`
as `max_completion_tokens`, OpenAI's field; other servers get `max_tokens` through `extra_body`).

LangChain maps only OpenAI's usage fields. Where the provider reports the cached share elsewhere
(DeepSeek's prompt_cache_hit_tokens, Kimi's top-level cached_tokens or usage inside the final
choice; or an unknown server), `SDKStream` streams through the openai SDK directly and reads the
raw usage object. Which one a provider needs is its profile's business (engines/providers.py).

Every request goes through the httpx client that `http_client` makes from `http_client_options`.
langchain and openai are imported only here, when a model is about to be called.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from draftbot.engines.usage import normalise_usage


@dataclass
class Piece:
    """One streamed chunk as the engine needs it."""

    text: str = ""
    finish: str | None = None  # the finish reason, on the chunk that carries it
    usage: dict | None = None  # normalised usage (engines/usage.py), on the chunk that carries it
    model: str = ""  # the model that answered, when the server said


def http_client_options(cfg) -> dict:
    """Keyword arguments of the httpx client every model request goes through. A policy for the
    connection (e.g. --local-only's) changes them here, for every path at once."""
    return {"timeout": cfg.timeout, "follow_redirects": True}


def http_client(cfg):
    """A fresh async httpx client for one engine run (closed by the run); with --local-only, the
    policy of localonly.py (no proxy from the environment, no redirects, hosts checked)."""
    from draftbot.localonly import async_client

    return async_client(bool(getattr(cfg, "local_only", False)), **http_client_options(cfg))


def sync_http_client(cfg):
    """The synchronous counterpart of http_client (`config test`'s one request): the same options,
    and with --local-only the same policy (no proxy from the environment, no redirects, hosts checked)."""
    if getattr(cfg, "local_only", False):
        from draftbot.localonly import sync_client

        return sync_client(True, **http_client_options(cfg))
    import openai

    return openai.DefaultHttpxClient(**http_client_options(cfg))


class ChatStream:
    """Streams answers; `aclose` releases the connection pool."""

    async def stream(self, messages: list[dict], cap: int | None) -> AsyncIterator[Piece]:
        raise NotImplementedError
        yield  # pragma: no cover - makes this an async generator

    async def aclose(self) -> None:
        return None


class ChatModelStream(ChatStream):
    """Any LangChain chat model, through its public `astream`.

    `cap_field` says how the answer cap reaches the server (None: the model's own settings);
    `ends_with_reason`: the model reports a finish reason, so a stream that ends without one was
    cut off (ChatOpenAI). A caller's own model may not report one: its end is then a normal stop.
    """

    def __init__(self, model, *, cap_field: str | None = None, ends_with_reason: bool = False, client=None):
        self.model = model
        self.cap_field = cap_field
        self.ends_with_reason = ends_with_reason
        self.client = client

    async def stream(self, messages: list[dict], cap: int | None) -> AsyncIterator[Piece]:
        options: dict = {}
        if cap and self.cap_field == "max_completion_tokens":
            options["max_tokens"] = cap  # ChatOpenAI sends it as max_completion_tokens
        elif cap and self.cap_field == "max_tokens":
            options["extra_body"] = {"max_tokens": cap}
        finished = False
        async for chunk in self.model.astream(messages, **options):
            meta = chunk.response_metadata or {}
            usage = normalise_usage(dict(chunk.usage_metadata)) if chunk.usage_metadata else None
            finished = finished or bool(meta.get("finish_reason"))
            yield Piece(
                chunk.content if isinstance(chunk.content, str) else "",
                meta.get("finish_reason"),
                usage,
                meta.get("model_name") or "",
            )
        if not finished and not self.ends_with_reason:
            yield Piece(finish="stop")

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


class SDKStream(ChatStream):
    """The openai SDK's chat completions stream, for usage fields LangChain does not map."""

    def __init__(self, cfg, *, cap_field: str, cached_fields: tuple[str, ...]):
        import openai

        self.cfg = cfg
        self.cap_field = cap_field
        self.cached_fields = cached_fields
        self.http = http_client(cfg)
        self.client = openai.AsyncOpenAI(
            api_key=cfg.api_key or "not-needed",
            base_url=cfg.base_url,
            max_retries=0,  # retries are ours: they also cover broken streams
            timeout=cfg.timeout,
            http_client=self.http,
        )

    async def stream(self, messages: list[dict], cap: int | None) -> AsyncIterator[Piece]:
        options: dict = {"stream_options": {"include_usage": True}}
        if cap:
            options[self.cap_field] = cap
        if self.cfg.temperature is not None:
            options["temperature"] = self.cfg.temperature
        stream = await self.client.chat.completions.create(
            model=self.cfg.model, messages=messages, stream=True, **options
        )
        async for chunk in stream:
            raw = chunk.model_dump()
            usage = _chunk_usage(raw)
            text, finish = "", None
            for choice in raw.get("choices") or []:
                delta = choice.get("delta") or {}
                text += delta.get("content") or ""
                finish = choice.get("finish_reason") or finish
            yield Piece(
                text,
                finish,
                normalise_usage(usage, self.cached_fields) if usage else None,
                raw.get("model") or "",
            )

    async def aclose(self) -> None:
        await self.client.close()


def _chunk_usage(chunk: dict) -> dict | None:
    """The usage object of a stream chunk: top level (OpenAI style), or inside the final choice
    (Moonshot/Kimi streams put it there)."""
    if chunk.get("usage"):
        return chunk["usage"]
    for choice in chunk.get("choices") or []:
        if isinstance(choice, dict) and choice.get("usage"):
            return choice["usage"]
    return None


def make_chat_model(cfg, client=None):
    """The built-in LangChain chat model for a configured provider: ChatOpenAI, public parameters only.

    Python callers may use it too (e.g. to wrap it); `client` is the async httpx client it uses
    (default: a fresh one from `http_client`)."""
    from langchain_openai import ChatOpenAI

    options = dict(
        http_async_client=client if client is not None else http_client(cfg),
        model=cfg.model,
        base_url=cfg.base_url,
        api_key=cfg.api_key or "not-needed",
        max_retries=0,  # retries are ours: they also cover broken streams
        timeout=cfg.timeout,
        streaming=True,
        stream_usage=True,
        stream_chunk_timeout=cfg.timeout,
    )
    if cfg.temperature is not None:
        options["temperature"] = cfg.temperature
    return ChatOpenAI(**options)


def open_stream(cfg, profile, model=None) -> ChatStream:
    """The stream for one engine run: the caller's own chat model when given, else the built-in
    path for the provider's profile (ChatOpenAI, or the SDK where LangChain drops its usage)."""
    if model is not None:
        return ChatModelStream(model)
    if profile.usage_via_langchain:
        client = http_client(cfg)
        return ChatModelStream(
            make_chat_model(cfg, client), cap_field=profile.cap_field, ends_with_reason=True, client=client
        )
    return SDKStream(cfg, cap_field=profile.cap_field, cached_fields=profile.cached_fields)
