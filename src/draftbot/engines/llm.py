"""The LLM engine: each section is one streamed call to an OpenAI-compatible model.

Calls run concurrently in one asyncio loop (bounded by `concurrency`), share a byte-identical
prompt prefix (see prompting.py) so providers bill sections 2..n at the cached price, and are
retried with exponential backoff on 429 (honouring Retry-After), 5xx, timeouts, broken streams
and malformed or empty answers. A section that still fails becomes a marked failed section;
Ctrl-C keeps the sections already written.

Self-hosted servers (llama.cpp, llama-cpp-python, vLLM, Ollama) are asked for their context window
and tokenizer first (engines/server.py), the prompt is fitted to the window (budget.py), and every
call carries an answer cap derived from its section's planned length, in the field the server
reads. An answer cut at the cap, far over its section's length or repeating itself is retried;
streams another request cut off mean the server serialises, so concurrency drops to one.

langchain and openai are imported here lazily, inside the functions that call the model, so
`draftbot --help` and the offline engine never load them.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from dataclasses import dataclass, field
from functools import cache

from draftbot.config import ModelConfig, Prices, resolve_config
from draftbot.draft import make_failed_body
from draftbot.engines.base import Engine, Progress, SectionRequest, SectionResult
from draftbot.engines.callguard import CallGuard, SendRefused
from draftbot.errors import ModelError

DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 1.0
MAX_BACKOFF = 60.0
QUICK_RETRY = 0.5  # seconds before the one retry of a refused connection
TOTAL_TIMEOUT_FACTOR = 4
WARM_WAIT = 10.0  # seconds the other sections wait for the first one to start streaming
MAX_FREE_RETRIES = 4  # re-runs of a call another request cut off (they use no retry)
CLOUD_PRESETS = frozenset({"openai", "deepseek", "qwen", "glm", "kimi"})


# -- usage -------------------------------------------------------------------------------------


def normalise_usage(raw: dict | None) -> dict:
    """{input, cached, output} from any provider's usage object (or langchain usage_metadata).

    OpenAI, Qwen, GLM: prompt_tokens_details.cached_tokens; DeepSeek: prompt_cache_hit_tokens;
    Kimi: top-level cached_tokens.
    """
    raw = raw or {}
    if "input_tokens" in raw and "prompt_tokens" not in raw:  # langchain UsageMetadata
        details = raw.get("input_token_details") or {}
        return {
            "input": raw["input_tokens"],
            "cached": details.get("cache_read") or 0,
            "output": raw.get("output_tokens", 0),
        }
    details = raw.get("prompt_tokens_details") or {}
    cached = (
        details.get("cached_tokens") or raw.get("prompt_cache_hit_tokens") or raw.get("cached_tokens") or 0
    )
    prompt = raw.get("prompt_tokens")
    if prompt is None and "prompt_cache_miss_tokens" in raw:
        prompt = raw["prompt_cache_miss_tokens"] + cached
    return {
        "input": int(prompt or 0),
        "cached": int(cached),
        "output": int(raw.get("completion_tokens") or 0),
    }


def estimate_usage(prompt_tokens: int, answer: str, ratio: float = 1.0) -> dict:
    """Usage for a server that reported none: labelled an estimate; the cached share is unknown."""
    from draftbot.tokens import count_tokens

    output = math.ceil(count_tokens(answer) * ratio)
    return {"input": prompt_tokens, "cached": None, "output": output, "estimated": True}


@dataclass
class UsageTotals:
    input: int = 0
    cached: int = 0
    output: int = 0
    estimated: bool = False  # some section's usage is an estimate (the server sent none)
    cached_unknown: bool = False  # some section's cached share is unknown
    sections: int = 0  # sections with a usage record (none: nothing to report, not zero)

    def add(self, usage: dict) -> None:
        self.sections += 1
        self.input += usage.get("input", 0)
        self.output += usage.get("output", 0)
        if usage.get("cached") is None:
            self.cached_unknown = True
        else:
            self.cached += usage["cached"]
        self.estimated = self.estimated or bool(usage.get("estimated"))

    def cost(self, prices: Prices | None) -> float | None:
        return None if prices is None else prices.cost(self.input, self.cached, self.output)


# -- errors and retries ------------------------------------------------------------------------


class AttemptError(Exception):
    """One failed attempt; `retry` says whether another attempt may succeed."""

    def __init__(
        self,
        reason: str,
        *,
        retry: bool,
        retry_after: float | None = None,
        fatal: bool = False,
        free: bool = False,
        overflow=None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.retry_after = retry_after
        self.fatal = fatal  # no section can succeed (bad key, unknown model, prompt over the window)
        self.free = free  # not the section's fault (cut off by another request): does not use a retry
        self.overflow = overflow  # a ContextOverflow (engines/server.py) when the window was exceeded
        self.failure = None  # an engines.failures.Failure: refused, DNS, TLS, key, not found


def _from_failure(failure) -> AttemptError:
    error = AttemptError(failure.reason, retry=failure.retry, fatal=failure.fatal)
    error.failure = failure
    return error


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _retry_after(response) -> float | None:
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def classify(exc: BaseException) -> AttemptError:
    """Turn an exception from the client stack into a retry decision and a Chinese reason."""
    import httpx
    import openai

    from draftbot.engines.failures import connection_failure

    if isinstance(exc, AttemptError):
        return exc
    for err in _chain(exc):
        status = getattr(err, "status_code", None)
        overflow = _overflow(err, status)
        if overflow is not None:
            return AttemptError(
                "提示词超出了模型服务的上下文窗口", retry=False, fatal=True, overflow=overflow
            )
        if isinstance(status, int):
            return _status_error(status, getattr(err, "response", None))
        if isinstance(err, openai.APITimeoutError | TimeoutError | httpx.TimeoutException):
            return AttemptError("请求超时", retry=True)
        if isinstance(err, json.JSONDecodeError | openai.APIResponseValidationError):
            return AttemptError("服务返回了无法解析的数据", retry=True)
        if isinstance(err, openai.APIConnectionError | httpx.TransportError):
            failure = connection_failure(exc, _address(exc))
            if failure is not None:
                return _from_failure(failure)
            return AttemptError(f"连接中断（{_address(exc)}）" if _address(exc) else "连接中断", retry=True)
    if isinstance(exc, ValueError) and "No generation chunks" in str(exc):
        # llama-cpp-python answers a prompt over its window with an empty stream
        return AttemptError("服务没有返回任何内容（提示词可能超出了服务的上下文窗口）", retry=True)
    return AttemptError(f"调用失败（{type(exc).__name__}）", retry=False)


def _overflow(err: BaseException, status):
    """The context overflow an error reports (any server's wording), else None."""
    from draftbot.engines.server import parse_context_error

    if not isinstance(status, int):
        return None
    response = getattr(err, "response", None)
    text = getattr(response, "text", None) if response is not None else None
    try:
        text = text if isinstance(text, str) else str(err)
    except Exception:  # noqa: BLE001 - a streamed body may not be readable any more
        text = str(err)
    return parse_context_error(status, text)


def _part_name(request: SectionRequest) -> str:
    """What `--section` takes for this request: 三, or 开头 / 结尾."""
    return request.number or {"opening": "开头", "closing": "结尾"}.get(request.kind, "")


def _address(exc: BaseException) -> str:
    """The address a failed connection tried (scheme, host, port and path; never a key)."""
    from draftbot.config import safe_url

    for err in _chain(exc):
        try:
            url = str(err.request.url)  # openai and httpx errors carry the request
        except (AttributeError, RuntimeError):
            continue
        return safe_url(url) or ""
    return ""


def _status_error(status: int, response) -> AttemptError:
    if status == 429:
        return AttemptError("请求过于频繁（429）", retry=True, retry_after=_retry_after(response))
    if status >= 500 or status == 408:
        return AttemptError(f"服务出错（{status}）", retry=True, retry_after=_retry_after(response))
    from draftbot.engines.failures import status_failure

    failure = status_failure(status)
    if failure is not None:
        return _from_failure(failure)
    return AttemptError(f"请求被拒绝（{status}）", retry=False)


def backoff_delay(attempt: int, base: float, retry_after: float | None = None) -> float:
    """Seconds to wait before attempt `attempt + 1`: Retry-After when given, else exponential with jitter."""
    if retry_after is not None:
        return min(retry_after, MAX_BACKOFF)
    return min(base * 2 ** (attempt - 1) * random.uniform(0.75, 1.25), MAX_BACKOFF)


# -- the langchain client ----------------------------------------------------------------------


@cache
def _chat_class():
    """ChatOpenAI that keeps each streamed chunk's raw usage object.

    langchain maps only OpenAI's usage fields; DeepSeek's prompt_cache_hit_tokens and Kimi's
    top-level cached_tokens would be lost, so the raw object rides along in response_metadata.
    """
    from langchain_openai import ChatOpenAI

    class UsageKeepingChatOpenAI(ChatOpenAI):
        # langchain sends the answer cap as max_completion_tokens, which only OpenAI reads;
        # llama.cpp, llama-cpp-python, Ollama, DeepSeek … read max_tokens.
        cap_field: str = "max_completion_tokens"

        def _convert_chunk_to_generation_chunk(self, chunk, *args, **kwargs):
            generation = super()._convert_chunk_to_generation_chunk(chunk, *args, **kwargs)
            usage = _chunk_usage(chunk)
            if generation is not None and usage:
                generation.message.response_metadata["raw_usage"] = usage
            return generation

        def _get_request_payload(self, input_, *, stop=None, **kwargs):
            payload = super()._get_request_payload(input_, stop=stop, **kwargs)
            if self.cap_field == "max_tokens" and "max_completion_tokens" in payload:
                payload["max_tokens"] = payload.pop("max_completion_tokens")
            return payload

    return UsageKeepingChatOpenAI


def _chunk_usage(chunk) -> dict | None:
    """The usage object of a stream chunk: top level (OpenAI style), or inside the final choice
    (Moonshot/Kimi streams put it there)."""
    if not isinstance(chunk, dict):
        return None
    if chunk.get("usage"):
        return chunk["usage"]
    for choice in chunk.get("choices") or []:
        if isinstance(choice, dict) and choice.get("usage"):
            return choice["usage"]
    return None


def make_chat_model(cfg: ModelConfig):
    """The streaming client; each call passes its own answer cap (`max_tokens=`)."""
    import openai

    from draftbot.engines.server import is_openai

    options = dict(
        # Our own HTTP client per run: langchain's default one is cached per process and
        # _close_client closes it, which broke a second run in the same process (write, then repair).
        http_async_client=openai.DefaultAsyncHttpxClient(),
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
    options["cap_field"] = "max_completion_tokens" if is_openai(cfg.base_url, cfg.provider) else "max_tokens"
    return _chat_class()(**options)


def should_probe(cfg: ModelConfig) -> bool:
    """Self-hosted servers (local presets, or any custom base URL) are asked about their limits."""
    return bool(cfg.base_url) and cfg.provider not in CLOUD_PRESETS


class AdaptiveGate:
    """At most `limit` calls at once; `lower()` drops the limit to one for a server that serialises.

    Calls already running finish; new ones wait until none runs, so a retry never queues behind
    (or cuts off) a generation the server is still working on.
    """

    def __init__(self, limit: int):
        self.initial = self.limit = max(1, limit)
        self.active = 0
        self._changed = asyncio.Condition()

    async def __aenter__(self):
        async with self._changed:
            await self._changed.wait_for(lambda: self.active < self.limit)
            self.active += 1
        return self

    async def __aexit__(self, *exc):
        async with self._changed:
            self.active -= 1
            self._changed.notify_all()
        return False

    def lower(self) -> bool:
        """Serialise from now on; False when already serial."""
        if self.limit == 1:
            return False
        self.limit = 1
        return True


# -- per-section state, for the live display ---------------------------------------------------


@dataclass
class SectionState:
    request: SectionRequest
    label: str
    status: str = "等待"
    chars: int = 0
    chunks: int = 0
    attempts: int = 0
    usage: dict | None = None
    error: str | None = None
    body: str | None = None
    started: float | None = None
    finished: float | None = None
    delays: list[float] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.body is not None or self.error is not None


def section_label(request: SectionRequest) -> str:
    kind = request.section.kind
    if kind == "opening":
        return "开头"
    if kind == "closing":
        return "结尾"
    return f"{request.number}、{request.heading}"[:20]


# -- the engine --------------------------------------------------------------------------------


class LLMEngine(Engine):
    name = "llm"

    def __init__(
        self,
        config: ModelConfig,
        *,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        answer_tokens: int | None = None,
        console=None,
        live: bool | None = None,
        warm_prefix: bool = True,
        probe: bool | None = None,
        guard: CallGuard | None = None,
    ):
        config.require_ready()
        self.config = config
        # local-only check (before any connection), masking, audit log: see engines/callguard.py
        self.guard = guard or CallGuard(config)
        self.retries = retries
        self.backoff = backoff
        self.answer_tokens = answer_tokens
        self.console = console
        self.live = live
        self.warm_prefix = warm_prefix
        self.probe = should_probe(config) if probe is None else probe
        self._warm: asyncio.Event | None = None
        self._display: _Display | None = None
        self.states: list[SectionState] = []
        self.interrupted = False
        self.wall_time = 0.0
        self.prompts = None
        self.fit = None  # budget.Fit: window, ratio, caps and prompt sizes
        self.server = None  # engines.server.ServerInfo, for self-hosted servers
        self.notes: list[str] = []  # said once during the run, repeated in the summary
        self._fatal: AttemptError | None = None

    # the one contract
    def write_section(self, request: SectionRequest) -> SectionResult:
        return self.write_all([request])[0]

    def write_all(
        self, requests: list[SectionRequest], progress: Progress | None = None
    ) -> list[SectionResult]:
        self._prepare(requests)
        self.states = [SectionState(r, section_label(r)) for r in requests]
        self._fatal = None
        self._quick_owner, self._quick_done = None, asyncio.Event()  # one quick retry decides for all
        started = time.monotonic()
        try:
            with _Display(self.states, self.console, self.live, started) as display:
                self._display = display
                asyncio.run(self._run_all(progress))
        except KeyboardInterrupt:
            self.interrupted = True
            if not any(s.body is not None for s in self.states):
                raise
        finally:
            self.wall_time = time.monotonic() - started
        return self._results()

    def estimate_tokens(self, requests: list[SectionRequest]) -> int:
        """What these requests would cost at most: input (cl100k) plus the longest answers."""
        from draftbot.prompting import DEFAULT_ANSWER_TOKENS, build_prompts

        answer = self.answer_tokens or self.config.max_output_tokens or DEFAULT_ANSWER_TOKENS
        prompts = build_prompts(requests, context_tokens=self.config.context_tokens, answer_tokens=answer)
        return sum(prompts.request_tokens(r.section.id) + min(answer, r.section.length[1]) for r in requests)

    # -- before the first call: the server's window, the prompts and the caps -------------
    def _prepare(self, requests: list[SectionRequest]) -> None:
        from draftbot.budget import LOCAL_MARGIN, fit_prompts
        from draftbot.engines.server import make_counter

        cfg = self.config
        if self.probe:
            self.server = self._probe_server()
        context, source = self._window()
        counter = make_counter(self.server, cfg.api_key) if self.server else None
        # a window read from a local server is tight: without its tokenizer, assume a margin
        margin = LOCAL_MARGIN if source == "server" and counter is None else 1.0
        self.fit = fit_prompts(
            requests,
            context=context,
            explicit_cap=self.answer_tokens or cfg.max_output_tokens,
            ratio=margin,
            counter=counter,
            what=source,
        )
        self.prompts = self.fit.prompts

    def _probe_server(self):
        from draftbot.engines.server import probe

        info = probe(self.config.base_url, self.config.model, self.config.api_key)
        if info.model and not self.config.model:
            self.config.model = info.model
        return info

    def _window(self) -> tuple[int, str]:
        """(context window in server tokens, "server" when the server said it, else "flag")."""
        cfg = self.config
        explicit = not cfg.sources.get("context_tokens", "默认值").startswith(("默认值", "内置预设"))
        info = self.server
        if info is None or info.context is None:
            return cfg.context_tokens, "flag"
        if explicit and (not info.context_exact or cfg.context_tokens < info.context):
            return cfg.context_tokens, "flag"
        if explicit:
            self._say(
                f"{info.label} 的上下文窗口只有 {info.context} 词元，小于设置的 {cfg.context_tokens}，按前者安排。"
            )
        return info.context, "server"

    def _concurrency(self) -> int:
        limit = self.config.concurrency
        slots = self.server.slots if self.server else None
        if slots and limit > slots:
            self._say(f"{self.server.label} 只有 {slots} 个并行槽位，并发数由 {limit} 降为 {slots}。")
            return slots
        return limit

    def _say(self, note: str) -> None:
        """A note shown once, when it happens and again in the summary."""
        if note in self.notes:
            return
        self.notes.append(note)
        if self._display is not None:
            self._display.note(note)

    async def _run_all(self, progress: Progress | None) -> None:
        llm = make_chat_model(self.config)
        gate = AdaptiveGate(self._concurrency())
        # Longest expected answers start first, so short sections fill the other slots while the
        # longest streams: wall time stays close to the slowest section even with few slots.
        order = sorted(self.states, key=lambda s: -s.request.section.length[1])
        # The other calls wait until the first one streams: by then the provider has prefilled the
        # shared prefix and serves it to them from its cache.
        self._warm = asyncio.Event()
        if not self.warm_prefix:
            self._warm.set()
        tasks = [
            asyncio.create_task(self._run_one(llm, gate, state, progress, leader=index == 0))
            for index, state in enumerate(order)
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await _close_client(llm)

    async def _run_one(self, llm, gate: AdaptiveGate, state: SectionState, progress, leader: bool) -> None:
        messages = self.prompts.messages(state.request.section.id)
        if not leader:
            try:
                await asyncio.wait_for(self._warm.wait(), WARM_WAIT)
            except TimeoutError:
                pass  # a slow first token: waiting longer costs more than the cache saves
        try:
            await self._attempts(llm, gate, messages, state)
        finally:
            self._warm.set()
        if progress is not None:
            progress(state.request, self._result(state))

    async def _attempts(self, llm, gate: AdaptiveGate, messages: list[dict], state: SectionState) -> None:
        """Call until an answer, a final failure, or retries run out (state records which).

        Each attempt takes a slot of the gate; backing off between attempts does not hold one.
        """
        attempt, free_retries = 0, 0
        while True:
            if self._fatal is not None:  # e.g. a bad key: no other call can succeed
                self._fail(state, self._fatal.reason)
                break
            attempt += 1
            state.attempts = attempt
            try:
                async with gate:
                    state.started = state.started or time.monotonic()  # the first slot, not the queue
                    self._event(state, "开始" if attempt == 1 else f"第 {attempt} 次尝试")
                    state.body, state.usage = await self._guarded(llm, messages, state, gate)
                state.status = "完成"
                self._event(state, "完成")
                break
            except Exception as exc:  # noqa: BLE001 - every failure is classified
                self._warm.set()  # nothing was cached: do not hold the others back
                error = classify(exc)
                if error.free and free_retries < MAX_FREE_RETRIES:
                    attempt, free_retries = attempt - 1, free_retries + 1
                    state.status = f"重新排队（{error.reason}，被其他请求打断）"
                    self._event(state, state.status)
                    continue
                quick = error.failure is not None and error.failure.quick  # refused: one quick retry
                if quick and self._quick_owner not in (None, state):  # another part's retry decides
                    await self._quick_done.wait()
                    continue
                if quick:
                    self._quick_owner = state
                if not error.retry or attempt > self.retries or (quick and attempt > 1):
                    self._fail(state, self._describe_failure(error, state))
                    self._fatal = error if error.fatal else self._fatal
                    break
                delay = backoff_delay(attempt, self.backoff, error.retry_after)
                delay = min(delay, QUICK_RETRY) if quick else delay
                state.delays.append(delay)
                state.status = f"重试 {attempt}（{error.reason}）"
                self._event(state, state.status)
                await asyncio.sleep(delay)
        if self._quick_owner is state:
            self._quick_done.set()
        state.finished = time.monotonic()
        state.started = state.started or state.finished

    def _fail(self, state: SectionState, reason: str) -> None:
        state.error, state.status = reason, "失败"
        self._event(state, f"失败（{reason}）")

    def _event(self, state: SectionState, what: str) -> None:
        if self._display is not None:
            self._display.event(state, what)

    async def _guarded(self, llm, messages: list[dict], state: SectionState, *args) -> tuple[str, dict]:
        """`_attempt` through the guard (engines/callguard.py): a shared slot, masking and the leak
        scan before the request leaves, names restored and the audit row written after."""
        async with self.guard.slot():
            try:
                call = self.guard.start(messages, state)
            except SendRefused as exc:
                raise AttemptError(exc.reason, retry=False, fatal=True) from exc
            try:
                body, usage = await self._attempt(call.observing(llm), call.sent, state, *args)
            except Exception as exc:
                call.fail(classify(exc).reason)
                raise
            except BaseException:
                call.fail("已中断")
                raise
        return call.finish(body, usage), usage

    async def _attempt(
        self, llm, messages: list[dict], state: SectionState, gate: AdaptiveGate | None = None
    ) -> tuple[str, dict]:
        state.status, state.chars, state.chunks = "生成中", 0, 0
        parts: list[str] = []
        finish = None
        usage = None
        cap = self.fit.caps.get(state.request.section.id) if self.fit else None
        options = {"max_tokens": cap} if cap else {}
        # `timeout` bounds silence (connect, first token, gaps between chunks: set on the client);
        # a call that keeps streaming may run up to TOTAL_TIMEOUT_FACTOR times as long.
        async with asyncio.timeout(self.config.timeout * TOTAL_TIMEOUT_FACTOR):
            async for chunk in llm.astream(messages, **options):
                self._warm.set()
                text = chunk.content if isinstance(chunk.content, str) else ""
                if text:
                    parts.append(text)
                    state.chars += len(text)
                    state.chunks += 1
                meta = chunk.response_metadata or {}
                finish = meta.get("finish_reason") or finish
                if meta.get("raw_usage") or chunk.usage_metadata:
                    usage = normalise_usage(meta.get("raw_usage") or chunk.usage_metadata)
        body = "".join(parts).strip()
        self._check_answer(body, finish, state, gate, cap)
        if usage is None:
            usage = estimate_usage(self._prompt_tokens(state), body, self.fit.ratio if self.fit else 1.0)
        return clean_answer(body, state.request), usage

    def _check_answer(self, body: str, finish, state: SectionState, gate, cap: int | None) -> None:
        """Raise AttemptError for an answer that must not be accepted as a finished section."""
        from draftbot.budget import is_degenerate, over_range

        if finish is None:
            # a stream that ends cleanly without a finish reason while other calls run: the
            # server cut it off for a newer request (llama-cpp-python does), so it serialises
            concurrent = gate is not None and gate.active > 1
            if concurrent and gate.lower():
                self._say(
                    f"模型服务同一时间只处理一个请求（新请求打断了正在输出的回答），并发数已由 {gate.initial} 降为 1。"
                )
            raise AttemptError("回答中途断开", retry=True, free=concurrent)
        if finish == "content_filter":
            raise AttemptError("回答被服务方内容审核拦截", retry=False)
        if finish == "length":
            raise AttemptError(f"回答达到长度上限（{cap or '服务端默认'} 词元）被截断", retry=True)
        if not body:
            raise AttemptError("模型返回了空内容", retry=True)
        section = state.request.section
        if over_range(body, section):
            raise AttemptError(f"回答 {len(body)} 字，远超本部分 {section.length[1]} 字的上限", retry=True)
        if is_degenerate(body):
            raise AttemptError("回答大段重复，不像正常文字", retry=True)

    def _prompt_tokens(self, state: SectionState) -> int:
        sid = state.request.section.id
        if self.fit is not None and sid in self.fit.request_tokens:
            return self.fit.request_tokens[sid]
        return self.prompts.request_tokens(sid)

    def _describe_failure(self, error: AttemptError, state: SectionState) -> str:
        """The reason a user reads; a context overflow names the sizes."""
        if error.overflow is None:
            return error.reason
        limit = error.overflow.limit or (self.fit.context if self.fit else None)
        asked = error.overflow.requested or self._prompt_tokens(state)
        sizes = (
            f"：服务端上限 {limit} 词元，本次请求约 {asked} 词元" if limit else f"：本次请求约 {asked} 词元"
        )
        error.reason = error.reason + sizes
        error.limit = limit
        return error.reason

    # -- results ---------------------------------------------------------------------------
    def _result(self, state: SectionState) -> SectionResult:
        section_id = state.request.section.id
        if state.body is not None:
            usage = dict(state.usage or {}, attempts=state.attempts)
            return SectionResult(section_id, state.body, usage=usage)
        reason = state.error or ("已中断" if self.interrupted else "未完成")
        return SectionResult(
            section_id, make_failed_body(reason, _part_name(state.request)), failed=True, error=reason
        )

    def _results(self) -> list[SectionResult]:
        results = [self._result(s) for s in self.states]
        nothing_written = all(r.failed for r in results) and len(results) > 1 and not self.interrupted
        if self._fatal is not None or nothing_written:
            reason = self._fatal.reason if self._fatal else (self.states[0].error or "未知原因")
            raise ModelError(f"大模型调用失败：{reason}，未写入草稿。", hint=self._failure_hint(reason))
        return results

    def _failure_hint(self, reason: str) -> str:
        failure = getattr(self._fatal, "failure", None)
        if failure is not None:
            from draftbot.engines.failures import status_failure

            keyed = status_failure(401, self.config.key_env, self.config.provider)
            return keyed.hint if failure.kind == "auth" else failure.hint
        if "密钥" in reason:
            return f"请检查环境变量 {self.config.key_hint} 中的密钥。"
        if "不存在" in reason:
            return "请检查 --model 和 --base-url（运行 draftbot config 查看当前设置）。"
        if "上下文窗口" in reason:
            return context_hint(getattr(self._fatal, "limit", None))
        if any(word in reason for word in ("长度上限", "远超本部分", "大段重复")):
            return (
                "模型的回答太长或不断重复：请换用中文能力更强的模型（如 Qwen2.5 7B 以上），"
                "或在 draftbot.toml 中设置更大的 max_output_tokens。"
            )
        return "请稍后重试，或运行 draftbot config 检查设置。"

    def totals(self) -> UsageTotals:
        totals = UsageTotals()
        for state in self.states:
            if state.usage:
                totals.add(state.usage)
        return totals

    def describe(self) -> dict:
        totals = self.totals()
        usage: dict = {"input_tokens": totals.input}
        if not totals.cached_unknown:
            usage["cached_tokens"] = totals.cached
        usage["output_tokens"] = totals.output
        if totals.estimated:  # the server sent no usage: counted from the prompt and answer
            usage["estimated"] = True
        cost = totals.cost(self.config.prices)
        if cost is not None:
            usage["cost"] = round(cost, 6)
            usage["currency"] = self.config.prices.currency
        usage["sections"] = {  # input/cached/output tokens per section ("≈" estimated, "?" unknown)
            s.request.section.id: "/".join(_usage_cells(s.usage)) for s in self.states if s.usage
        }
        return {"engine": self.name, **self.config.describe(), **self._server_meta(), "usage": usage}

    def _server_meta(self) -> dict:
        if self.fit is None or self.server is None or self.server.kind is None:
            return {}
        return {"server": self.server.kind, "context_tokens": self.fit.context}

    def report_lines(self) -> list[str]:
        """The summary printed after a run (Chinese)."""
        totals = self.totals()
        lines = [*self._window_lines(), "用量（输入 / 其中缓存命中 / 输出，单位：词元）："]
        for s in self.states:
            if s.usage:
                cells = " / ".join(_usage_cells(s.usage))
                retry = f"，重试 {s.attempts - 1} 次" if s.attempts > 1 else ""
                lines.append(f"  {s.label}：{cells}{retry}")
            else:
                lines.append(f"  {s.label}：失败（{s.error or '已中断'}）")
        lines.append(f"  合计：{_totals_cells(totals)}，用时 {self.wall_time:.1f} 秒")
        if totals.estimated:
            lines.append(
                "  （服务未返回用量：标“≈”的是按提示词和回答估算的词元数，“?”表示不知道缓存命中多少。）"
            )
        cost = totals.cost(self.config.prices)
        if cost is not None:
            note = "，用量为估算" if totals.estimated else ""
            lines.append(
                f"估算费用：{self.config.prices.symbol}{cost:.4f}（{self.config.prices.describe()}{note}）"
            )
        return lines + [f"提示：{note}" for note in self.notes]

    def _window_lines(self) -> list[str]:
        """The window and the longest prompt, as the server counts them (for self-hosted servers)."""
        fit, info = self.fit, self.server
        if fit is None or info is None:
            return []
        sid = fit.longest()
        how = "服务端分词器计数" if fit.counted else f"按 cl100k 估算 ×{fit.ratio:.2f}"
        where = f"{info.label}，{info.context_source}" if info.context else "配置值"
        return [
            f"上下文窗口：{fit.context} 词元（{where}）；最长的请求 {fit.request_tokens[sid]} 词元"
            f"（{how}；cl100k 计 {fit.cl100k_tokens[sid]}），回答上限 {min(fit.caps.values())}～{max(fit.caps.values())} 词元。"
        ]


def _usage_cells(usage: dict) -> list[str]:
    """input, cached, output as shown: "≈" marks an estimate, "?" an unknown."""
    mark = "≈" if usage.get("estimated") else ""
    cached = "?" if usage.get("cached") is None else str(usage["cached"])
    return [f"{mark}{usage['input']}", cached, f"{mark}{usage['output']}"]


def _totals_cells(totals: UsageTotals) -> str:
    if not totals.sections:
        return "无（没有写成的部分）"
    mark = "≈" if totals.estimated else ""
    if totals.cached_unknown:
        return f"{mark}{totals.input} / ? / {mark}{totals.output}"
    share = f"{totals.cached / totals.input:.0%}" if totals.input else "0%"
    return f"{mark}{totals.input} / {totals.cached}（{share}）/ {mark}{totals.output}"


def context_hint(limit: int | None) -> str:
    """How to fix a prompt that does not fit the server's window."""
    size = f" {limit}" if limit else ""
    return (
        f"请用 --context-tokens{size or ' 加上服务端的上下文大小'} 重新运行（draftbot 会少放范文），"
        "或加大模型服务的上下文：llama.cpp 用 -c，llama-cpp-python 用 --n_ctx，vLLM 用 --max-model-len，"
        "Ollama 设置 OLLAMA_CONTEXT_LENGTH。改好后可运行 draftbot config test 查看服务的上下文窗口。"
    )


def clean_answer(text: str, request: SectionRequest) -> str:
    """Drop a repeated heading or Markdown fences a model may add despite the rules."""
    lines = [line.rstrip() for line in text.strip().strip("`").split("\n")]
    heading = request.heading
    while lines and heading and heading in lines[0] and len(lines[0]) <= len(heading) + 8:
        lines.pop(0)
    cleaned = [line.lstrip("#").strip() if line.startswith("#") else line for line in lines]
    return "\n".join(line for line in cleaned if line.strip()).strip()


async def _close_client(llm) -> None:
    client = getattr(llm, "root_async_client", None)
    if client is not None:
        try:
            await client.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


class _Display:
    """A rich live table while streaming (terminal); else one line per section when it starts,
    retries, finishes or fails, with the seconds since the run began."""

    def __init__(self, states: list[SectionState], console, live: bool | None, started: float | None = None):
        from rich.console import Console

        self.states = states
        self.console = console or Console(stderr=True)
        self.use_live = self.console.is_terminal if live is None else live
        self.started = time.monotonic() if started is None else started
        self._live = None
        self._task = None

    def __enter__(self):
        if self.use_live:
            from rich.live import Live

            self._live = Live(console=self.console, refresh_per_second=8, get_renderable=self._table)
            self._live.__enter__()
        return self

    def __exit__(self, *exc):
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(*exc)
        return False

    def event(self, state: SectionState, what: str) -> None:
        """One progress line (non-terminal runs; the live table shows the same)."""
        if self._live is not None:
            return
        if what == "完成":
            what = f"完成，{state.chars} 字"
        self._line(f"{state.label}：{what}")

    def note(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(f"提示：{text}", highlight=False)
        else:
            self._line(f"提示：{text}")

    def _line(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self.console.print(f"[{elapsed:6.1f} 秒] {text}", highlight=False, markup=False, soft_wrap=True)

    def _table(self):
        from rich.table import Table

        table = Table(title="大模型起草进度", expand=False)
        for column in ("部分", "状态", "字数", "输出词元", "尝试"):
            table.add_column(column)
        for s in self.states:
            tokens = str(s.usage["output"]) if s.usage else (f"≈{s.chunks}" if s.chunks else "")
            table.add_row(s.label, s.status, str(s.chars or ""), tokens, str(s.attempts or ""))
        return table


def create_llm_engine(config: ModelConfig | None = None, flags: dict | None = None, **options) -> LLMEngine:
    """The factory behind get_engine("llm", ...)."""
    cfg = config or resolve_config(flags or {})
    if not cfg.configured and not (flags or {}).get("provider"):
        from draftbot.errors import ConfigError

        raise ConfigError(
            "尚未配置大模型。",
            hint="用 --provider（如 deepseek、qwen）或环境变量 DRAFTBOT_PROVIDER 选择服务，运行 draftbot config 查看设置。",
        )
    options.setdefault("retries", cfg.retries)
    options.setdefault("backoff", cfg.backoff)
    guard_options = {k: options.pop(k) for k in ("names", "draft", "slots") if k in options}
    if "guard" not in options:
        cfg.require_ready()  # a missing key is reported before the local-only check
        options["guard"] = CallGuard(cfg, **guard_options)
    return LLMEngine(cfg, **options)
