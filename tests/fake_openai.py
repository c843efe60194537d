"""A small OpenAI-compatible chat server on 127.0.0.1 for tests and benches (standard library only).

    with FakeOpenAI() as srv:
        srv.enqueue("第一段回答", Reply.error(429, retry_after=0.05))
        srv.on("二、履职", Reply.drop(after=3), "重试后的回答")   # rule by text in the request
        client = openai.OpenAI(base_url=srv.base_url, api_key="sk-test")

A request's reply is chosen, in order, from: the first `on(...)` rule whose text occurs in the
request's last message and which still has replies; the global queue; the `responder(body)`
function; the default reply. Rules and responder functions make concurrent requests get
deterministic replies. Every request is recorded (`requests`), and `max_in_flight` is the most
chat requests the server was answering at once.

Usage is reported in the shape of a provider (`usage_shape`: openai, qwen, glm, deepseek, kimi);
with `prefix_cache=True` the longest common prefix with any earlier request whose answer had
started when this one arrived counts as cached (a provider caches a prefix once it is prefilled).

Self-hosted servers are imitated with `flavour` (llamacpp, llama-cpp-python, vllm, ollama) and a
window `n_ctx`: each then describes itself the way that server does (/props, /extras/tokenize,
max_model_len and /tokenize, /api/show), reads the answer cap from the field it really reads,
stops at the cap with finish_reason "length", and answers a prompt over its window the way it
does (an error in its own wording; Ollama silently truncates). `token_ratio` makes its tokenizer
count that many times cl100k; `send_usage=False` leaves usage out of streams; `single_slot=True`
serves one request at a time and cuts a streaming answer off (`[DONE]`, no finish reason) as
soon as another request waits, as llama-cpp-python does.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USAGE_SHAPES = ("openai", "qwen", "glm", "deepseek", "kimi")
FLAVOURS = ("openai", "llamacpp", "llama-cpp-python", "vllm", "ollama")
# the answer-cap fields each server reads
CAP_FIELDS = {
    "openai": ("max_completion_tokens", "max_tokens"),
    "llamacpp": ("max_tokens", "n_predict"),
    "llama-cpp-python": ("max_tokens",),
    "vllm": ("max_completion_tokens", "max_tokens"),
    "ollama": ("max_tokens",),
}


@dataclass
class Reply:
    """One scripted answer, or a fault."""

    content: str = "收到。"
    finish_reason: str = "stop"
    status: int = 200
    retry_after: float | None = None  # sent as the Retry-After header (seconds)
    drop_after: int | None = None  # close the connection after this many content chunks
    malformed: bool = False  # send a body (or SSE event) that is not JSON
    delay: float = 0.0  # seconds to wait before answering at all
    chunk_chars: int | None = None  # characters per streamed chunk (server default if None)
    usage: dict | None = None  # exact usage object to send instead of the computed one
    usage_shape: str | None = None  # overrides the server's shape for this reply
    cut_after: int | None = None  # end the stream cleanly after this many chunks, no finish reason

    @classmethod
    def error(cls, status: int, retry_after: float | None = None) -> Reply:
        return cls(status=status, retry_after=retry_after)

    @classmethod
    def drop(cls, after: int = 2, content: str = "这是一段会在中途断开的回答，后面的内容不会到达。") -> Reply:
        return cls(content=content, drop_after=after)

    @classmethod
    def bad_json(cls) -> Reply:
        return cls(malformed=True)

    @classmethod
    def empty(cls) -> Reply:
        return cls(content="")

    @classmethod
    def filtered(cls, content: str = "") -> Reply:
        return cls(content=content, finish_reason="content_filter")

    @classmethod
    def slow(cls, content: str, delay: float) -> Reply:
        return cls(content=content, delay=delay)

    @classmethod
    def cut(
        cls, after: int = 2, content: str = "这是一段会被新请求打断的回答，后面的内容不会到达。"
    ) -> Reply:
        """Stream `after` chunks, then end cleanly with [DONE] and no finish reason."""
        return cls(content=content, cut_after=after)

    @classmethod
    def length(cls, content: str) -> Reply:
        """An answer the server stopped at its cap."""
        return cls(content=content, finish_reason="length")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or None
    raw: bytes
    received: float
    reply: Reply | None = None
    id: str = ""
    usage: dict | None = None  # the usage object the server sent
    finished: float | None = None  # when the server was done answering (monotonic)
    cached_chars: int = 0  # prompt characters shared with an earlier request (prefix cache)

    @property
    def messages(self) -> list[dict]:
        return (self.body or {}).get("messages", []) if isinstance(self.body, dict) else []

    @property
    def last_content(self) -> str:
        msgs = self.messages
        return _text(msgs[-1].get("content")) if msgs else ""


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def prompt_text(messages: list[dict]) -> str:
    """The request's prompt as one string, the way the prefix cache compares prompts."""
    return "".join(f"<|{m.get('role')}|>{_text(m.get('content'))}\n" for m in messages)


def _default_count(text: str) -> int:
    try:
        from draftbot.tokens import count_tokens
    except Exception:  # draftbot not importable: a rough count is good enough here
        return max(1, len(text.encode("utf-8")) // 3) if text else 0
    return count_tokens(text)


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix (binary search over C-speed slice comparisons)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def make_usage(shape: str, prompt: int, completion: int, cached: int) -> dict:
    """A usage object as the provider `shape` reports it."""
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    if shape == "deepseek":
        usage["prompt_cache_hit_tokens"] = cached
        usage["prompt_cache_miss_tokens"] = prompt - cached
    elif shape == "kimi":
        usage["cached_tokens"] = cached
    else:  # openai, qwen, glm
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    return usage


class FakeOpenAI:
    """The server. Use as a context manager (or call start()/stop())."""

    def __init__(
        self,
        responder: Callable[[dict], Reply | str] | None = None,
        *,
        default: Reply | str = "收到。",
        usage_shape: str = "openai",
        prefix_cache: bool = False,
        chunks_per_second: float | None = None,
        chunk_chars: int = 2,
        api_key: str | None = None,
        models: tuple[str, ...] = ("fake-model",),
        count_tokens: Callable[[str], int] | None = None,
        usage_in_choice: bool = False,
        flavour: str = "openai",
        n_ctx: int | None = None,
        token_ratio: float = 1.0,
        send_usage: bool = True,
        single_slot: bool = False,
        slots: int | None = None,
    ):
        if usage_shape not in USAGE_SHAPES:
            raise ValueError(f"unknown usage shape {usage_shape}")
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour}")
        self.flavour = flavour
        self.n_ctx = n_ctx
        self.token_ratio = token_ratio
        self.send_usage = send_usage
        self.single_slot = single_slot
        self.slots = slots
        self.cut_offs = 0  # streams ended for a waiting request (single_slot)
        self._slot = threading.Lock()
        self._waiting = 0
        self.responder = responder
        self.default = default
        self.usage_shape = usage_shape
        self.prefix_cache = prefix_cache
        self.chunks_per_second = chunks_per_second
        self.chunk_chars = chunk_chars
        self.api_key = api_key
        self.models = models
        self.count_tokens = count_tokens or _default_count
        self.usage_in_choice = usage_in_choice  # streamed usage inside the last choice (Kimi)
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._queue: deque[Reply] = deque()
        self._rules: list[tuple[str, deque[Reply]]] = []
        self._prompts: list[str] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------
    def enqueue(self, *replies: Reply | str) -> FakeOpenAI:
        with self._lock:
            self._queue.extend(_as_reply(r) for r in replies)
        return self

    def on(self, text: str, *replies: Reply | str) -> FakeOpenAI:
        """Requests whose last message contains `text` take these replies, in order."""
        with self._lock:
            self._rules.append((text, deque(_as_reply(r) for r in replies)))
        return self

    def _choose(self, rec: Recorded) -> Reply:
        with self._lock:
            for text, queue in self._rules:
                if queue and text in rec.last_content:
                    return queue.popleft()
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return _as_reply(self.responder(rec.body))
        return _as_reply(self.default)

    # -- views -----------------------------------------------------------------------------
    @property
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._queue.clear()
            self._rules.clear()
            self._prompts.clear()
            self.max_in_flight = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.02,), name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- accounting ------------------------------------------------------------------------
    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _note_prompt(self, rec: Recorded) -> None:
        """On arrival: how much of this prompt is cached, i.e. shared with a prompt the server has
        already started answering (like a provider, whose cache holds a prefix once prefilled)."""
        text = prompt_text(rec.messages)
        with self._lock:
            best = max((_common_prefix(text, p) for p in self._prompts), default=0)
        rec.cached_chars = best if self.prefix_cache else 0

    def _cache_prompt(self, rec: Recorded) -> None:
        """The answer starts: from now on this prompt's prefix is cached."""
        with self._lock:
            self._prompts.append(prompt_text(rec.messages))

    # -- a self-hosted server's tokenizer, window and cap ----------------------------------
    def server_count(self, text: str) -> int:
        """Tokens of `text` under this server's tokenizer (cl100k times `token_ratio`)."""
        return math.ceil(self.count_tokens(text) * self.token_ratio)

    def prompt_tokens(self, messages: list[dict]) -> int:
        return self.server_count(prompt_text(messages))

    def cap(self, body: dict) -> int | None:
        """The answer cap this server reads from the request (others' fields are ignored)."""
        for name in CAP_FIELDS[self.flavour]:
            if isinstance(body.get(name), int):
                return body[name]
        return None

    def fit_answer(self, content: str, room: int | None) -> tuple[str, bool]:
        """The answer cut to `room` tokens, and whether it was cut."""
        if room is None or self.server_count(content) <= room:
            return content, False
        lo, hi = 0, len(content)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.server_count(content[:mid]) <= room:
                lo = mid
            else:
                hi = mid - 1
        return content[:lo], True

    def _usage(self, rec: Recorded, reply: Reply) -> dict:
        rec.usage = reply.usage if reply.usage is not None else self._compute_usage(rec, reply)
        return rec.usage

    def _compute_usage(self, rec: Recorded, reply: Reply) -> dict:
        text = prompt_text(rec.messages)
        prompt = self.count_tokens(text) + 3 * len(rec.messages) + 3
        if self.flavour == "ollama" and self.n_ctx:  # Ollama keeps only what fits its window
            prompt = min(prompt, self.n_ctx)
        cached = min(prompt, self.count_tokens(text[: rec.cached_chars])) if rec.cached_chars else 0
        completion = self.count_tokens(reply.content)
        return make_usage(reply.usage_shape or self.usage_shape, prompt, completion, cached)


def _as_reply(r: Reply | str) -> Reply:
    return r if isinstance(r, Reply) else Reply(content=r)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeOpenAI  # set on the subclass made per server

    def log_message(self, format, *args):  # keep test output clean
        pass

    # -- plumbing --------------------------------------------------------------------------
    def _record(self) -> Recorded:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = Recorded(
            self.command,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            body,
            raw,
            time.monotonic(),
        )
        rec.id = f"chatcmpl-fake{next(_ids)}"
        with self.fake._lock:
            self.fake.requests.append(rec)
        return rec

    def _send_json(self, status: int, payload: Any, headers: dict | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, headers: dict | None = None) -> None:
        kind = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status, "server_error")
        self._send_json(status, {"error": {"message": message, "type": kind, "code": kind}}, headers)

    def _drop(self) -> None:
        """Close the connection abruptly, without finishing the response."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _authorized(self) -> bool:
        want = self.fake.api_key
        return want is None or self.headers.get("Authorization") == f"Bearer {want}"

    # -- endpoints -------------------------------------------------------------------------
    def do_GET(self):
        self._record()
        if not self._authorized():
            return self._error(401, "Incorrect API key provided")
        path = self.path.rstrip("/")
        flavour = self.fake.flavour
        if path.endswith("/models"):
            return self._send_json(
                200, {"object": "list", "data": [self._model_entry(m) for m in self.fake.models]}
            )
        if path == "/props" and flavour == "llamacpp":
            settings = {"n_ctx": self.fake.n_ctx, "n_predict": -1}
            return self._send_json(
                200, {"default_generation_settings": settings, "total_slots": self.fake.slots or 1}
            )
        if path == "/api/version" and flavour == "ollama":
            return self._send_json(200, {"version": "0.6.8"})
        self._error(404, f"no route {self.path}")

    def _model_entry(self, model: str) -> dict:
        owner = {"llama-cpp-python": "me", "vllm": "vllm", "ollama": "library", "llamacpp": "llamacpp"}
        entry = {
            "id": model,
            "object": "model",
            "created": 0,
            "owned_by": owner.get(self.fake.flavour, "fake"),
        }
        if self.fake.flavour == "vllm" and self.fake.n_ctx:
            entry["max_model_len"] = self.fake.n_ctx
        return entry

    def do_POST(self):
        rec = self._record()
        if not self._authorized():
            return self._error(401, "Incorrect API key provided")
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._server_route(rec)
        if not isinstance(rec.body, dict) or not rec.body.get("messages"):
            return self._error(400, "messages is required")
        self.fake._note_prompt(rec)
        self.fake._enter()
        try:
            if self.fake.single_slot:
                self._one_at_a_time(rec)
            else:
                self._complete(rec)
        finally:
            rec.finished = time.monotonic()
            self.fake._leave()

    def _one_at_a_time(self, rec: Recorded) -> None:
        with self.fake._lock:
            self.fake._waiting += 1
        self.fake._slot.acquire()
        with self.fake._lock:
            self.fake._waiting -= 1
        try:
            self._complete(rec)
        finally:
            self.fake._slot.release()

    # -- what self-hosted servers offer besides chat ------------------------------------------
    def _server_route(self, rec: Recorded) -> None:
        path, flavour, body = self.path.rstrip("/"), self.fake.flavour, rec.body or {}
        if path == "/tokenize" and flavour == "llamacpp":
            n = self.fake.server_count(str(body.get("content", "")))
            return self._send_json(200, {"tokens": list(range(n))})
        if path == "/tokenize" and flavour == "vllm":
            text = prompt_text(body["messages"]) if "messages" in body else str(body.get("prompt", ""))
            n = self.fake.server_count(text)
            return self._send_json(
                200, {"count": n, "max_model_len": self.fake.n_ctx, "tokens": list(range(n))}
            )
        if path == "/extras/tokenize/count" and flavour == "llama-cpp-python":
            return self._send_json(200, {"count": self.fake.server_count(str(body.get("input", "")))})
        if path == "/v1/completions" and flavour == "llama-cpp-python":
            return self._plain_completion(body)
        if path == "/api/show" and flavour == "ollama":
            params = (
                f"num_ctx                        {self.fake.n_ctx}" if self.fake.n_ctx else "temperature 0.7"
            )
            return self._send_json(200, {"parameters": params, "model_info": {"qwen2.context_length": 32768}})
        self._error(404, f"no route {self.path}")

    def _plain_completion(self, body: dict) -> None:
        """llama-cpp-python's /v1/completions: enough to reject a prompt over the window."""
        prompt = self.fake.server_count(str(body.get("prompt", "")))
        if self.fake.n_ctx and prompt >= self.fake.n_ctx:
            message = (
                f"This model's maximum context length is {self.fake.n_ctx} tokens, however you requested "
                f"{prompt + 1} tokens ({prompt} in your prompt; 1 for the completion). "
                "Please reduce your prompt; or completion length."
            )
            return self._send_json(
                400,
                {
                    "error": {
                        "message": message,
                        "type": "invalid_request_error",
                        "param": "prompt",
                        "code": "context_length_exceeded",
                    }
                },
            )
        self._send_json(200, {"id": "cmpl-fake", "object": "text_completion", "choices": [{"text": "ok"}]})

    def _overflow(self, rec: Recorded) -> bool:
        """Answer a prompt over the window the way this server does; True when it was answered."""
        fake, n_ctx = self.fake, self.fake.n_ctx
        if not n_ctx or fake.flavour in ("openai", "ollama"):  # Ollama truncates silently
            return False
        prompt, cap = fake.prompt_tokens(rec.messages), fake.cap(rec.body)
        if fake.flavour == "vllm" and prompt + (cap or 0) > n_ctx:
            message = (
                f"This model's maximum context length is {n_ctx} tokens. However, you requested "
                f"{prompt + (cap or 0)} tokens ({prompt} in the messages, {cap or 0} in the completion). "
                "Please reduce the length of the messages or completion."
            )
            self._send_json(
                400,
                {
                    "object": "error",
                    "message": message,
                    "type": "BadRequestError",
                    "param": None,
                    "code": 400,
                },
            )
            return True
        if prompt < n_ctx:
            return False
        if fake.flavour == "llamacpp":
            error = {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": prompt,
                "n_ctx": n_ctx,
            }
            self._send_json(400, {"error": error})
        else:  # llama-cpp-python: the stream starts, then ends without a single event
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._write_chunk(b"")
        return True

    def _complete(self, rec: Recorded) -> None:
        reply = rec.reply = self.fake._choose(rec)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.status != 200:
            headers = {"Retry-After": _fmt(reply.retry_after)} if reply.retry_after is not None else None
            return self._error(reply.status, f"scripted error {reply.status}", headers)
        if self._overflow(rec):
            return
        reply = rec.reply = self._capped(rec, reply)
        self.fake._cache_prompt(rec)
        if rec.body.get("stream"):
            return self._stream(rec, reply)
        chunks = self._chunks(reply)
        if reply.drop_after is not None:
            return self._drop()
        self._pace(len(chunks))
        if reply.malformed:
            return self._send_json(200, b'{"id": "chatcmpl-x", "choices": [ {"message": ')
        usage = self.fake._usage(rec, reply)
        message = {"role": "assistant", "content": reply.content}
        choice = {"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}
        self._send_json(200, _envelope(rec, "chat.completion", [choice], usage))

    def _capped(self, rec: Recorded, reply: Reply) -> Reply:
        """The reply as the server sends it: stopped at the cap it reads, or at its window."""
        fake = self.fake
        if fake.flavour == "openai" and fake.n_ctx is None:
            room = fake.cap(rec.body)
        else:
            rooms = [fake.cap(rec.body)]
            if fake.n_ctx:
                rooms.append(max(0, fake.n_ctx - min(fake.prompt_tokens(rec.messages), fake.n_ctx)))
            room = min((r for r in rooms if r is not None), default=None)
        content, cut = fake.fit_answer(reply.content, room)
        if not cut:
            return reply
        from dataclasses import replace

        return replace(reply, content=content, finish_reason="length")

    def _chunks(self, reply: Reply) -> list[str]:
        size = reply.chunk_chars or self.fake.chunk_chars
        text = reply.content
        return [text[i : i + size] for i in range(0, len(text), size)]

    def _pace(self, n_chunks: int) -> None:
        if self.fake.chunks_per_second:
            time.sleep(n_chunks / self.fake.chunks_per_second)

    def _stream(self, rec: Recorded, reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            self._stream_events(rec, reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _stream_events(self, rec: Recorded, reply: Reply) -> None:
        self._event(_envelope(rec, "chat.completion.chunk", [_delta({"role": "assistant", "content": ""})]))
        rate = self.fake.chunks_per_second
        for i, piece in enumerate(self._chunks(reply)):
            if reply.drop_after is not None and i >= reply.drop_after:
                return self._drop()
            if self._cut_now(reply, i):
                return self._end_without_finish()
            if reply.malformed and i == 1:
                self._write_chunk(b'data: {"id": "chatcmpl-x", "choices": [{"delta": \n\n')
                continue
            if rate:
                time.sleep(1.0 / rate)
            self._event(_envelope(rec, "chat.completion.chunk", [_delta({"content": piece})]))
        if reply.drop_after is not None:
            return self._drop()
        if self._cut_now(reply, len(self._chunks(reply))):
            return self._end_without_finish()
        last = _delta({}, reply.finish_reason)
        if self.fake.usage_in_choice:  # Moonshot/Kimi style: usage inside the final choice
            last["usage"] = self.fake._usage(rec, reply)
        self._event(_envelope(rec, "chat.completion.chunk", [last]))
        wants_usage = (rec.body.get("stream_options") or {}).get("include_usage") and self.fake.send_usage
        if wants_usage and not self.fake.usage_in_choice:
            usage = self.fake._usage(rec, reply)
            self._event(_envelope(rec, "chat.completion.chunk", [], usage))
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")  # end of the chunked body

    def _cut_now(self, reply: Reply, sent: int) -> bool:
        """A scripted cut, or (single slot) another request is waiting for this one's slot."""
        if reply.cut_after is not None and sent >= reply.cut_after:
            return True
        if self.fake.single_slot and sent > 0:
            with self.fake._lock:
                return self.fake._waiting > 0
        return False

    def _end_without_finish(self) -> None:
        with self.fake._lock:
            self.fake.cut_offs += 1
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")

    def _event(self, payload: dict) -> None:
        self._write_chunk(b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _fmt(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def _delta(delta: dict, finish_reason: str | None = None) -> dict:
    return {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}


_ids = iter(range(1, 10**9))


def _envelope(rec: Recorded, obj: str, choices: list, usage: dict | None = None) -> dict:
    out = {
        "id": rec.id,
        "object": obj,
        "created": int(time.time()),
        "model": (rec.body or {}).get("model", "fake-model"),
        "choices": choices,
    }
    if usage is not None or obj == "chat.completion.chunk":
        out["usage"] = usage
    return out
