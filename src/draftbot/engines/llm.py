"""The LLM engine: each section is one streamed call to a chat model (engines/client.py).

Calls run concurrently in one asyncio loop (bounded by `concurrency`, engines/gate.py), share a
byte-identical prompt prefix (see prompting.py) so providers bill sections 2..n at the cached
price, and are retried with exponential backoff (engines/retry.py) on 429 (honouring
Retry-After), 5xx, timeouts, broken streams and malformed or empty answers. A section that still
fails becomes a marked failed section; Ctrl-C keeps the sections already written. Progress is a
stream of events (engines/base.py) that the command line renders.

Self-hosted servers (llama.cpp, llama-cpp-python, vLLM, Ollama) are asked for their context window
and tokenizer first (engines/server.py), the prompt is fitted to the window (budget.py), and every
call carries an answer cap derived from its section's planned length, in the field the server
reads (engines/providers.py). An answer cut at the cap, far over its section's length or repeating
itself is retried; streams another request cut off mean the server serialises, so concurrency
drops to one.

Usage is summed over every attempt (failed and retried ones too): the server's counts when it
sent them, an estimate (marked) when it streamed text without counts, unknown when neither.

langchain and openai are imported only when a model is about to be called, so `draftbot --help`
and the offline engine never load them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace

from draftbot.config import ModelConfig, resolve_config
from draftbot.draft import make_failed_body
from draftbot.engines.base import (
    FAILED,
    FINISHED,
    NOTE,
    RETRY,
    STARTED,
    STREAMING,
    Engine,
    EngineRun,
    Event,
    OnEvent,
    SectionRequest,
    SectionResult,
    emit,
)
from draftbot.engines.callguard import CallGuard, SendRefused
from draftbot.engines.gate import AdaptiveGate
from draftbot.engines.providers import profile_for
from draftbot.engines.retry import AttemptError, backoff_delay, classify, context_hint
from draftbot.engines.usage import UsageTotals, add_usage, estimate_usage, totals_cells, usage_cells
from draftbot.errors import ModelError

DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 1.0
QUICK_RETRY = 0.5  # seconds before the one retry of a refused connection
TOTAL_TIMEOUT_FACTOR = 4
WARM_WAIT = 10.0  # seconds the other sections wait for the first one to start streaming
MAX_FREE_RETRIES = 4  # re-runs of a call another request cut off (they use no retry)


@dataclass
class SectionState:
    """One section during a run: its attempts, what they cost, how it ended."""

    request: SectionRequest
    chars: int = 0
    attempts: int = 0
    usage: dict | None = None  # summed over the attempts that have counts (or estimates)
    uncounted: int = 0  # attempts nobody counted (failed before any answer, no usage sent)
    error: str | None = None
    body: str | None = None
    delays: list[float] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.request.label

    @property
    def done(self) -> bool:
        return self.body is not None or self.error is not None


class LLMEngine(Engine):
    name = "llm"

    def __init__(
        self,
        config: ModelConfig,
        *,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        answer_tokens: int | None = None,
        warm_prefix: bool = True,
        probe: bool | None = None,
        guard: CallGuard | None = None,
        model=None,
    ):
        """`model`: a LangChain chat model of the caller's own (default: the built-in ChatOpenAI
        for `config`); the config then only supplies retries, timeout and prices."""
        self.model = model
        if model is None:
            config.require_ready()
        elif not config.sources.get("prices", "").startswith("配置文件"):
            config = replace(config, prices=None)  # a preset's prices are not this model's
        self.config = config
        self.profile = profile_for(config.provider, config.base_url)
        # local-only check (before any connection), masking, audit log: see engines/callguard.py
        self.guard = guard or CallGuard(config)
        self.retries = retries
        self.backoff = backoff
        self.answer_tokens = answer_tokens
        self.warm_prefix = warm_prefix
        self.probe = (model is None and bool(config.base_url) and self.profile.probe) if probe is None else probe
        self._warm: asyncio.Event | None = None
        self._on_event: OnEvent | None = None
        self.states: list[SectionState] = []
        self.interrupted = False
        self.wall_time = 0.0
        self.prompts = None
        self.fit = None  # budget.Fit: window, ratio, caps and prompt sizes
        self.server = None  # engines.server.ServerInfo, for self-hosted servers
        self.notes: list[str] = []  # said once during the run, repeated in the summary
        self._fatal: AttemptError | None = None

    # -- the contract ------------------------------------------------------------------------
    def write_section(self, request: SectionRequest) -> SectionResult:
        return self.write_all([request]).sections[0]

    def write_all(self, requests: list[SectionRequest], on_event: OnEvent | None = None) -> EngineRun:
        self._on_event = on_event
        self.notes = []
        issues_before = len(self.guard.issues)
        self._prepare(requests)
        self.states = [SectionState(r) for r in requests]
        self._fatal = None
        self.interrupted = False
        started = time.monotonic()
        self._quick_owner: SectionState | None = None  # one quick retry decides for all
        try:
            asyncio.run(self._run_all())
        except KeyboardInterrupt:
            self.interrupted = True
            if not any(s.body is not None for s in self.states):
                raise
        finally:
            self.wall_time = time.monotonic() - started
            self._on_event = None
        results = self._results()
        totals = self.totals()
        return EngineRun(
            results,
            usage=totals,
            notes=list(self.notes),
            summary=self.report_lines(),
            meta=self._meta(totals),
            interrupted=self.interrupted,
            cost=totals.cost(self.config.prices) if totals.sections else None,
            currency=self.config.prices.currency if self.config.prices else None,
            mask_issues=[i.message() for i in self.guard.issues[issues_before:]],
        )

    def describe(self) -> dict:
        if self.model is not None:
            return {"engine": self.name, "provider": "langchain", "model": self.model.get_name(), "base_url": None}
        return {"engine": self.name, **self.config.describe()}

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
        counter = make_counter(self.server, cfg.api_key, cfg.local_only) if self.server else None
        counter = self.guard.masked_counter(counter)  # a tokenizer request is sent too
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

        info = probe(self.config.base_url, self.config.model, self.config.api_key, self.config.local_only)
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
        emit(self._on_event, Event(NOTE, reason=note))

    def _event(self, kind: str, state: SectionState, **extra) -> None:
        emit(self._on_event, Event(kind, state.request, attempt=state.attempts, chars=state.chars, **extra))

    # -- the run ------------------------------------------------------------------------------
    async def _run_all(self) -> None:
        from draftbot.engines.client import open_stream

        self._quick_done = asyncio.Event()
        stream = open_stream(self.config, self.profile, self.model)
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
            asyncio.create_task(self._run_one(stream, gate, state, leader=index == 0))
            for index, state in enumerate(order)
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            try:
                await stream.aclose()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass

    async def _run_one(self, stream, gate: AdaptiveGate, state: SectionState, leader: bool) -> None:
        messages = self.prompts.messages(state.request.section.id)
        if not leader:
            try:
                await asyncio.wait_for(self._warm.wait(), WARM_WAIT)
            except TimeoutError:
                pass  # a slow first token: waiting longer costs more than the cache saves
        try:
            await self._attempts(stream, gate, messages, state)
        finally:
            self._warm.set()
        result = self._result(state)
        self._event(FAILED if result.failed else FINISHED, state, reason=result.error or "", result=result,
                    tokens=(state.usage or {}).get("output"))  # fmt: skip

    async def _attempts(self, stream, gate: AdaptiveGate, messages: list[dict], state: SectionState) -> None:
        """Call until an answer, a final failure, or retries run out (state records which).

        Each attempt takes a slot of the gate; backing off between attempts does not hold one.
        """
        attempt, free_retries = 0, 0
        while True:
            if self._fatal is not None:  # e.g. a bad key: no other call can succeed
                state.error = self._fatal.reason
                break
            attempt += 1
            state.attempts = attempt
            try:
                async with gate:
                    self._event(STARTED, state)
                    state.body = await self._guarded(stream, messages, state, gate)
                break
            except Exception as exc:  # noqa: BLE001 - every failure is classified
                self._warm.set()  # nothing was cached: do not hold the others back
                error = classify(exc)
                if error.free and free_retries < MAX_FREE_RETRIES:
                    attempt, free_retries = attempt - 1, free_retries + 1
                    self._event(RETRY, state, reason=error.reason, free=True)
                    continue
                quick = error.failure is not None and error.failure.quick  # refused: one quick retry
                if quick and self._quick_owner not in (None, state):  # another part's retry decides
                    await self._quick_done.wait()
                    continue
                if quick:
                    self._quick_owner = state
                if not error.retry or attempt > self.retries or (quick and attempt > 1):
                    state.error = self._describe_failure(error, state)
                    self._fatal = error if error.fatal else self._fatal
                    break
                delay = backoff_delay(attempt, self.backoff, error.retry_after)
                delay = min(delay, QUICK_RETRY) if quick else delay
                state.delays.append(delay)
                self._event(RETRY, state, reason=error.reason, delay=delay)
                await asyncio.sleep(delay)
        if self._quick_owner is state:
            self._quick_done.set()

    async def _guarded(self, stream, messages: list[dict], state: SectionState, gate) -> str:
        """`_attempt` through the guard (engines/callguard.py): a shared slot, masking and the leak
        scan before the request leaves, names restored and the audit row written after."""
        async with self.guard.slot():
            try:
                call = self.guard.start(messages, state)
            except SendRefused as exc:
                raise AttemptError(exc.reason, retry=False, fatal=True) from exc
            spent: dict = {}
            try:
                body = await self._attempt(stream, call, state, gate, spent)
            except Exception as exc:
                call.fail(classify(exc).reason, spent.get("usage"))
                raise
            except BaseException:
                call.fail("已中断", spent.get("usage"))
                raise
        body = call.finish(body, spent["usage"])
        for note in call.notes:
            self._say(note)
        return body

    async def _attempt(self, stream, call, state: SectionState, gate, spent: dict) -> str:
        """One request; its usage (reported, else estimated from what arrived) goes to the section
        whether or not the answer is accepted."""
        state.chars = 0
        parts: list[str] = []
        finish = usage = None
        pieces = 0
        cap = self.fit.caps.get(state.request.section.id) if self.fit else None
        try:
            # `timeout` bounds silence (connect, first token, gaps between chunks: set on the
            # client); a call that keeps streaming may run up to TOTAL_TIMEOUT_FACTOR times as long.
            async with asyncio.timeout(self.config.timeout * TOTAL_TIMEOUT_FACTOR):
                async for piece in stream.stream(call.sent, cap):
                    pieces += 1
                    self._warm.set()
                    call.observe(piece)
                    if piece.text:
                        parts.append(piece.text)
                        state.chars += len(piece.text)
                        self._event(STREAMING, state)
                    finish = piece.finish or finish
                    usage = piece.usage or usage
        finally:
            self._count(state, usage, "".join(parts), spent)
        body = "".join(parts).strip()
        if not pieces:
            # llama-cpp-python answers a prompt over its window with an empty stream
            raise AttemptError("服务没有返回任何内容（提示词可能超出了服务的上下文窗口）", retry=True)
        self._check_answer(body, finish, state, gate, cap)
        return clean_answer(body, state.request)

    def _count(self, state: SectionState, usage: dict | None, text: str, spent: dict) -> None:
        if usage is None and text:
            usage = estimate_usage(self._prompt_tokens(state), text, self.fit.ratio if self.fit else 1.0)
        spent["usage"] = usage
        if usage is None:
            state.uncounted += 1
        else:
            state.usage = add_usage(state.usage, usage)

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
        usage = dict(state.usage, attempts=state.attempts) if state.usage else None
        if state.body is not None:
            return SectionResult(section_id, state.body, usage=usage)
        reason = state.error or ("已中断" if self.interrupted else "未完成")
        body = make_failed_body(reason, state.request.part_name)
        return SectionResult(section_id, body, failed=True, error=reason, usage=usage)

    def _results(self) -> list[SectionResult]:
        results = [self._result(s) for s in self.states]
        nothing_written = all(r.failed for r in results) and len(results) > 1 and not self.interrupted
        if self._fatal is not None or nothing_written:
            reason = self._fatal.reason if self._fatal else (self.states[0].error or "未知原因")
            raise ModelError(f"大模型调用失败：{reason}，未写入草稿。", hint=self._failure_hint(reason))
        return results

    def _failure_hint(self, reason: str) -> str:
        failure = self._fatal.failure if self._fatal is not None else None
        if failure is not None:
            from draftbot.engines.failures import status_failure

            keyed = status_failure(401, self.config.key_env, self.config.provider)
            return keyed.hint if failure.kind == "auth" else failure.hint
        if "密钥" in reason:
            return f"请检查环境变量 {self.config.key_hint} 中的密钥。"
        if "不存在" in reason:
            return "请检查 --model 和 --base-url（运行 draftbot config 查看当前设置）。"
        if "上下文窗口" in reason:
            return context_hint(self._fatal.limit if self._fatal is not None else None)
        if any(word in reason for word in ("长度上限", "远超本部分", "大段重复")):
            return (
                "模型的回答太长或不断重复：请换用中文能力更强的模型（如 Qwen2.5 7B 以上），"
                "或在 draftbot.toml 中设置更大的 max_output_tokens。"
            )
        return "请稍后重试，或运行 draftbot config 检查设置。"

    def totals(self) -> UsageTotals:
        """Usage over every attempt of the last run (failed and retried ones too)."""
        totals = UsageTotals()
        for state in self.states:
            if state.usage:
                totals.add(state.usage)
            totals.requests += state.attempts
            totals.uncounted += state.uncounted
        return totals

    def _meta(self, totals: UsageTotals) -> dict:
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
            s.request.section.id: "/".join(usage_cells(s.usage)) for s in self.states if s.usage
        }
        return {**self.describe(), **self._server_meta(), "usage": usage}

    def _server_meta(self) -> dict:
        if self.fit is None or self.server is None or self.server.kind is None:
            return {}
        return {"server": self.server.kind, "context_tokens": self.fit.context}

    def report_lines(self) -> list[str]:
        """The summary printed after a run (Chinese)."""
        totals = self.totals()
        lines = [*self._window_lines(), "用量（输入 / 其中缓存命中 / 输出，单位：词元）："]
        for s in self.states:
            retry = f"，重试 {s.attempts - 1} 次" if s.attempts > 1 else ""
            if s.body is not None and s.usage:
                lines.append(f"  {s.label}：{' / '.join(usage_cells(s.usage))}{retry}")
            elif s.usage:
                lines.append(f"  {s.label}：失败（{s.error or '已中断'}），已用 {' / '.join(usage_cells(s.usage))}{retry}")
            else:
                lines.append(f"  {s.label}：失败（{s.error or '已中断'}）")
        lines.append(f"  合计：{totals_cells(totals)}，用时 {self.wall_time:.1f} 秒")
        if totals.requests > len(self.states):
            lines.append(f"  （共 {totals.requests} 次请求，含重试；合计包括失败和重试的请求。）")
        if totals.uncounted:
            lines.append(f"  （{totals.uncounted} 次失败的请求服务没有返回用量，未计入合计。）")
        if totals.estimated:
            lines.append(
                "  （服务未返回用量：标“≈”的是按提示词和回答估算的词元数，“?”表示不知道缓存命中多少。）"
            )
        cost = totals.cost(self.config.prices)
        if cost is not None and totals.sections:
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


def clean_answer(text: str, request: SectionRequest) -> str:
    """Drop a repeated heading or Markdown fences a model may add despite the rules."""
    lines = [line.rstrip() for line in text.strip().strip("`").split("\n")]
    heading = request.heading
    while lines and heading and heading in lines[0] and len(lines[0]) <= len(heading) + 8:
        lines.pop(0)
    cleaned = [line.lstrip("#").strip() if line.startswith("#") else line for line in lines]
    return "\n".join(line for line in cleaned if line.strip()).strip()


def create_llm_engine(config: ModelConfig | None = None, flags: dict | None = None, **options) -> LLMEngine:
    """The factory behind get_engine("llm", ...). `model`: a LangChain chat model of your own."""
    cfg = config or resolve_config(flags or {})
    model = options.get("model")
    if model is None and not cfg.configured and not (flags or {}).get("provider"):
        from draftbot.errors import ConfigError

        raise ConfigError(
            "尚未配置大模型。",
            hint="用 --provider（如 deepseek、qwen）或环境变量 DRAFTBOT_PROVIDER 选择服务，运行 draftbot config 查看设置。",
        )
    options.setdefault("retries", cfg.retries)
    options.setdefault("backoff", cfg.backoff)
    guard_options = {k: options.pop(k) for k in ("names", "draft", "slots") if k in options}
    if "guard" not in options:
        if cfg.local_only and cfg.base_url:  # a public address is refused before a key is asked for
            from draftbot.localonly import require_local

            require_local(cfg.base_url)
        if model is None:
            cfg.require_ready()
        options["guard"] = CallGuard(cfg, **guard_options)
    return LLMEngine(cfg, **options)
