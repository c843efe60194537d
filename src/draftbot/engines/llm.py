"""The LLM engine: each section is one streamed call to an OpenAI-compatible model.

Calls run concurrently in one asyncio loop (bounded by `concurrency`), share a byte-identical
prompt prefix (see prompting.py) so providers bill sections 2..n at the cached price, and are
retried with exponential backoff on 429 (honouring Retry-After), 5xx, timeouts, broken streams
and malformed or empty answers. A section that still fails becomes a marked failed section;
Ctrl-C keeps the sections already written.

langchain and openai are imported here lazily, inside the functions that call the model, so
`draftbot --help` and the offline engine never load them.
"""

from __future__ import annotations

import asyncio
import json
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
TOTAL_TIMEOUT_FACTOR = 4
WARM_WAIT = 10.0  # seconds the other sections wait for the first one to start streaming


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


@dataclass
class UsageTotals:
    input: int = 0
    cached: int = 0
    output: int = 0

    def add(self, usage: dict) -> None:
        self.input += usage.get("input", 0)
        self.cached += usage.get("cached", 0)
        self.output += usage.get("output", 0)

    def cost(self, prices: Prices | None) -> float | None:
        return None if prices is None else prices.cost(self.input, self.cached, self.output)


# -- errors and retries ------------------------------------------------------------------------


class AttemptError(Exception):
    """One failed attempt; `retry` says whether another attempt may succeed."""

    def __init__(self, reason: str, *, retry: bool, retry_after: float | None = None, fatal: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.retry_after = retry_after
        self.fatal = fatal  # no section can succeed (bad key, unknown model)


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

    if isinstance(exc, AttemptError):
        return exc
    for err in _chain(exc):
        status = getattr(err, "status_code", None)
        if isinstance(status, int):
            return _status_error(status, getattr(err, "response", None))
        if isinstance(err, openai.APITimeoutError | TimeoutError | httpx.TimeoutException):
            return AttemptError("请求超时", retry=True)
        if isinstance(err, json.JSONDecodeError | openai.APIResponseValidationError):
            return AttemptError("服务返回了无法解析的数据", retry=True)
        if isinstance(err, openai.APIConnectionError | httpx.TransportError):
            return AttemptError(f"连接中断（{_address(exc)}）" if _address(exc) else "连接中断", retry=True)
    return AttemptError(f"调用失败（{type(exc).__name__}）", retry=False)


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
    if status in (401, 403):
        return AttemptError(f"密钥无效或无权访问（{status}）", retry=False, fatal=True)
    if status == 404:
        return AttemptError("模型或地址不存在（404）", retry=False, fatal=True)
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
        def _convert_chunk_to_generation_chunk(self, chunk, *args, **kwargs):
            generation = super()._convert_chunk_to_generation_chunk(chunk, *args, **kwargs)
            usage = _chunk_usage(chunk)
            if generation is not None and usage:
                generation.message.response_metadata["raw_usage"] = usage
            return generation

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
    import openai

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
    if cfg.max_output_tokens:
        options["max_tokens"] = cfg.max_output_tokens
    return _chat_class()(**options)


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
        self._warm: asyncio.Event | None = None
        self.states: list[SectionState] = []
        self.interrupted = False
        self.wall_time = 0.0
        self.prompts = None
        self._fatal: AttemptError | None = None

    # the one contract
    def write_section(self, request: SectionRequest) -> SectionResult:
        return self.write_all([request])[0]

    def write_all(
        self, requests: list[SectionRequest], progress: Progress | None = None
    ) -> list[SectionResult]:
        from draftbot.prompting import DEFAULT_ANSWER_TOKENS, build_prompts

        self.prompts = build_prompts(
            requests,
            context_tokens=self.config.context_tokens,
            answer_tokens=self.answer_tokens or self.config.max_output_tokens or DEFAULT_ANSWER_TOKENS,
        )
        self.states = [SectionState(r, section_label(r)) for r in requests]
        self._fatal = None
        started = time.monotonic()
        try:
            with _Display(self.states, self.console, self.live):
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

    async def _run_all(self, progress: Progress | None) -> None:
        llm = make_chat_model(self.config)
        gate = asyncio.Semaphore(self.config.concurrency)
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

    async def _run_one(
        self, llm, gate: asyncio.Semaphore, state: SectionState, progress, leader: bool
    ) -> None:
        messages = self.prompts.messages(state.request.section.id)
        if not leader:
            try:
                await asyncio.wait_for(self._warm.wait(), WARM_WAIT)
            except TimeoutError:
                pass  # a slow first token: waiting longer costs more than the cache saves
        try:
            async with gate:
                await self._attempts(llm, messages, state)
        finally:
            self._warm.set()
        if progress is not None:
            progress(state.request, self._result(state))

    async def _attempts(self, llm, messages: list[dict], state: SectionState) -> None:
        """Call until an answer, a final failure, or retries run out (state records which)."""
        state.started = time.monotonic()
        for attempt in range(1, self.retries + 2):
            if self._fatal is not None:  # e.g. a bad key: no other call can succeed
                state.error, state.status = self._fatal.reason, "失败"
                break
            state.attempts = attempt
            try:
                state.body, state.usage = await self._guarded(llm, messages, state)
                state.status = "完成"
                break
            except Exception as exc:  # noqa: BLE001 - every failure is classified
                self._warm.set()  # nothing was cached: do not hold the others back
                error = classify(exc)
                if not error.retry or attempt > self.retries:
                    state.error, state.status = error.reason, "失败"
                    self._fatal = error if error.fatal else self._fatal
                    break
                delay = backoff_delay(attempt, self.backoff, error.retry_after)
                state.delays.append(delay)
                state.status = f"重试 {attempt}（{error.reason}）"
                await asyncio.sleep(delay)
        state.finished = time.monotonic()

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

    async def _attempt(self, llm, messages: list[dict], state: SectionState) -> tuple[str, dict]:
        state.status, state.chars, state.chunks = "生成中", 0, 0
        parts: list[str] = []
        finish = None
        usage = None
        # `timeout` bounds silence (connect, first token, gaps between chunks: set on the client);
        # a call that keeps streaming may run up to TOTAL_TIMEOUT_FACTOR times as long.
        async with asyncio.timeout(self.config.timeout * TOTAL_TIMEOUT_FACTOR):
            async for chunk in llm.astream(messages):
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
        if finish is None:
            raise AttemptError("回答中途断开", retry=True)
        if finish == "content_filter":
            raise AttemptError("回答被服务方内容审核拦截", retry=False)
        if not body:
            raise AttemptError("模型返回了空内容", retry=True)
        return clean_answer(body, state.request), usage or {"input": 0, "cached": 0, "output": 0}

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
        if "密钥" in reason:
            return f"请检查环境变量 {self.config.key_hint} 中的密钥。"
        if "不存在" in reason:
            return "请检查 --model 和 --base-url（运行 draftbot config 查看当前设置）。"
        return "请稍后重试，或运行 draftbot config 检查设置。"

    def totals(self) -> UsageTotals:
        totals = UsageTotals()
        for state in self.states:
            if state.usage:
                totals.add(state.usage)
        return totals

    def describe(self) -> dict:
        totals = self.totals()
        usage: dict = {
            "input_tokens": totals.input,
            "cached_tokens": totals.cached,
            "output_tokens": totals.output,
        }
        cost = totals.cost(self.config.prices)
        if cost is not None:
            usage["cost"] = round(cost, 6)
            usage["currency"] = self.config.prices.currency
        usage["sections"] = {  # input/cached/output tokens per section
            s.request.section.id: f"{s.usage['input']}/{s.usage['cached']}/{s.usage['output']}"
            for s in self.states
            if s.usage
        }
        return {"engine": self.name, **self.config.describe(), "usage": usage}

    def report_lines(self) -> list[str]:
        """The summary printed after a run (Chinese)."""
        totals = self.totals()
        lines = ["用量（输入 / 其中缓存命中 / 输出，单位：词元）："]
        for s in self.states:
            if s.usage:
                u = s.usage
                retry = f"，重试 {s.attempts - 1} 次" if s.attempts > 1 else ""
                lines.append(f"  {s.label}：{u['input']} / {u['cached']} / {u['output']}{retry}")
            else:
                lines.append(f"  {s.label}：失败（{s.error or '已中断'}）")
        share = f"{totals.cached / totals.input:.0%}" if totals.input else "0%"
        lines.append(
            f"  合计：{totals.input} / {totals.cached}（{share}）/ {totals.output}，用时 {self.wall_time:.1f} 秒"
        )
        cost = totals.cost(self.config.prices)
        if cost is not None:
            lines.append(
                f"估算费用：{self.config.prices.symbol}{cost:.4f}（{self.config.prices.describe()}）"
            )
        return lines


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
    """A rich live table while streaming (terminal), else one line per finished section."""

    def __init__(self, states: list[SectionState], console, live: bool | None):
        from rich.console import Console

        self.states = states
        self.console = console or Console(stderr=True)
        self.use_live = self.console.is_terminal if live is None else live
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
        else:
            for state in self.states:
                detail = f"{state.chars} 字" if state.body is not None else (state.error or "已中断")
                self.console.print(f"{state.label}：{state.status}，{detail}", highlight=False)
        return False

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
