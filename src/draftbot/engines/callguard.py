"""Around each model call: the local-only check, masking, the leak scan, restoring names, the audit row.

The LLM engine asks its `CallGuard` for a `Call` just before a request leaves (`start`), shows
it every streamed piece (`observe`), and ends it with the answer (`finish`) or a failure (`fail`,
with what the attempt cost when anything is known).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
import uuid
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from draftbot.auditlog import AuditLog, CallRecord, now_iso
from draftbot.errors import DraftbotError, os_message
from draftbot.masking import MaskIssue, NameTable
from draftbot.redact import MASK, redact


class SendRefused(Exception):
    """The final request still contains a known name: nothing was sent."""

    def __init__(self, leaks: list):
        shown = "、".join(f"“{leak.name}”（{leak.where}）" for leak in leaks[:3])
        self.reason = f"发送前检查发现请求中仍有真实名称{shown}，已拒绝发送"
        # the log and its notes hold no names, only where they were
        where = "、".join(leak.where for leak in leaks[:3])
        self.logged = f"发送前检查发现请求中仍有 {len(leaks)} 处真实名称（{where}），已拒绝发送"
        super().__init__(self.reason)


class SharedSlots:
    """One bound on model calls in flight, shared by the event loops of several threads (batch).

    A released slot is handed straight to the longest waiter, whatever loop it waits in.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.in_use = 0
        self.max_in_use = 0
        self._free = limit
        self._waiters: deque = deque()
        self._lock = threading.Lock()

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                self._count(+1)
                return
            waiter = (loop, loop.create_future())
            self._waiters.append(waiter)
        try:
            await waiter[1]
        except asyncio.CancelledError:
            with self._lock:
                if waiter in self._waiters:  # not handed over yet
                    self._waiters.remove(waiter)
            raise  # else _hand_over sees the cancelled future and passes the slot on

    def release(self) -> None:
        with self._lock:
            self._count(-1)
            if not self._waiters:
                self._free += 1
                return
            loop, future = self._waiters.popleft()
            self._count(+1)
        try:
            loop.call_soon_threadsafe(self._hand_over, future)
        except RuntimeError:  # that loop is closed: the slot goes to the next waiter
            self.release()

    def _hand_over(self, future) -> None:
        if future.done():  # cancelled while the slot was on its way
            self.release()
        else:
            future.set_result(None)

    def _count(self, step: int) -> None:
        self.in_use += step
        self.max_in_use = max(self.max_in_use, self.in_use)


@dataclass
class CallGuard:
    """One per engine run. `names` masks (None: not a masked run); `log` records every call (by
    default the user's audit log, unless the config's `audit_log` switch is off)."""

    config: object  # config.ModelConfig
    names: NameTable | None = None
    log: AuditLog | None = None
    draft: str = ""
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    issues: list[MaskIssue] = field(default_factory=list)
    slots: SharedSlots | None = None  # a bound on calls shared with other engines (batch)
    repair_round: int = 0  # set by a repair loop before each round (the audit log records it)

    def __post_init__(self):
        if self.config.local_only:
            from draftbot.localonly import require_local

            require_local(self.config.base_url)
        if self.log is None and self.config.audit_log:
            self.log = AuditLog()
        if self.log is not None:
            self.log.check()  # an unusable log is refused before anything is sent

    @asynccontextmanager
    async def slot(self):
        """Held while one request is in flight (a no-op unless a shared bound is set)."""
        if self.slots is None:
            yield
            return
        await self.slots.acquire()
        try:
            yield
        finally:
            self.slots.release()

    def start(self, messages: list[dict], state) -> Call:
        """The call about to be made; raises SendRefused (after logging it) if a name would leak."""
        call = Call(self, state, messages)
        if self.names is not None:
            call.sent, leaks = self.names.prepare(messages)  # the last gate (masking.py)
            call.needed = self.names.needed(call.sent[-1].get("content") or "")
            if leaks:
                refusal = SendRefused(leaks)
                call.sent = [{**m, "content": "（未发送：内容含真实名称，日志不保存）"} for m in call.sent]
                call.record("refused", refusal.logged)
                raise refusal
        return call

    def masked_counter(self, counter):
        """A token counter that asks the server (its tokenizer endpoint) only with the masked
        messages, and not at all when the gate refuses them."""
        if counter is None or self.names is None:
            return counter

        def count(messages: list[dict]):
            sent, leaks = self.names.prepare(messages)
            return None if leaks else counter(sent)

        return count

    def record(self, record: CallRecord) -> str:
        """Write the audit row; '' or, when it could not be written (full disk, a broken log), what
        to tell the user: the answer is kept all the same."""
        if self.log is None:
            return ""
        key = self.config.api_key
        try:
            self.log.append(record, secrets=(key,) if key else ())
        except (sqlite3.Error, OSError, DraftbotError) as exc:
            reason = getattr(exc, "message", None) or (os_message(exc) if isinstance(exc, OSError) else str(exc))
            return f"审计日志“{self.log.path}”写入失败（{reason}），这次调用没有记录；回答和草稿照常保存。"
        return ""


class Call:
    """One request and its answer."""

    def __init__(self, guard: CallGuard, state, messages: list[dict]):
        self.guard = guard
        self.state = state
        self.sent = messages
        self.needed: list[str] = []
        self.parts: list[str] = []
        self.model_answered = ""
        self.started = time.monotonic()
        self.issues: list[MaskIssue] = []
        self.notes: list[str] = []  # for the user: a secret redacted from the answer, a log row not written

    def observe(self, piece) -> None:
        """One streamed piece (engines/client.Piece): the raw text and the answering model."""
        if piece.text:
            self.parts.append(piece.text)
        self.model_answered = piece.model or self.model_answered

    def finish(self, body: str, usage: dict | None) -> str:
        """The answer with names restored; placeholder problems go to the guard's `issues`."""
        if self.guard.names is not None:
            body, self.issues = self.guard.names.restore(body, self.needed, self.state.label)
            self.guard.issues.extend(self.issues)
        notes = "；".join(i.message(names=False) for i in self.issues)  # the log keeps masked text only
        body, leaked = redact(body, self._secrets())
        if leaked:
            self.notes.append(f"{self.state.label}：模型的回答中含有 API 密钥等机密，已替换为“{MASK}”，请检查服务设置。")
            notes = "；".join(n for n in (notes, "回答中含有密钥，已替换") if n)
        self.record("ok", "", usage, notes)
        return body

    def _secrets(self) -> tuple[str, ...]:
        key = getattr(self.guard.config, "api_key", None)
        return (key,) if key else ()

    def fail(self, reason: str, usage: dict | None = None) -> None:
        self.record("error", reason, usage)

    def record(self, status: str, error: str = "", usage: dict | None = None, notes: str = "") -> None:
        guard, cfg, request = self.guard, self.guard.config, self.state.request
        usage = usage or {}
        cached = usage.get("cached") or 0  # None: the server did not say (see llm.estimate_usage)
        if usage.get("estimated"):
            notes = "；".join(n for n in (notes, "服务未返回用量：词元数为估算，缓存命中未知") if n)
        prices = cfg.prices
        cost = None
        if prices is not None and usage:
            cost = prices.cost(usage.get("input", 0), cached, usage.get("output", 0))
        problem = guard.record(
            CallRecord(
                time=now_iso(),
                run=guard.run,
                provider=cfg.provider or "custom",
                host=urlsplit(cfg.base_url or "").netloc.rpartition("@")[2],
                model_asked=cfg.model or "",
                model_answered=self.model_answered,
                draft=guard.draft,
                section=f"{request.section.id} {self.state.label}",
                repair_round=int(request.repair_round or guard.repair_round or 0),
                attempt=self.state.attempts or 1,
                masked=int(guard.names is not None),
                request=json.dumps(self.sent, ensure_ascii=False),
                response="".join(self.parts),
                input_tokens=usage.get("input", 0),
                cached_tokens=cached,
                output_tokens=usage.get("output", 0),
                cost=None if cost is None else round(cost, 8),
                currency=prices.currency if prices is not None else "",
                duration_s=round(time.monotonic() - self.started, 3),
                status=status,
                error=error,
                notes=notes,
            )
        )
        if problem and problem not in self.notes:
            self.notes.append(problem)
