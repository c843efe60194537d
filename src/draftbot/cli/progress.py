"""Progress of a model run on the terminal, drawn from the engine's events (engines/base.py).

On a terminal: a live table (part, state, characters, output tokens, attempts). Otherwise one
line per section when it starts, retries, finishes or fails, with the seconds since the run
began. Sections that take no time (the offline engine) start no table and print no line.

    with ProgressDisplay() as show:
        workflow.write_report(..., on_event=show)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from draftbot.engines.base import FAILED, FINISHED, NOTE, RETRY, STALLED, STARTED, STREAMING, Event


@dataclass
class _Row:
    label: str
    status: str = "等待"
    chars: int = 0
    tokens: int | None = None
    attempts: int = 0


def describe(event: Event) -> str:
    """What a progress line says about one event (Chinese)."""
    if event.kind == STARTED:
        return "开始" if event.attempt <= 1 else f"第 {event.attempt} 次尝试"
    if event.kind == RETRY:
        if event.free:
            return f"重新排队（{event.reason}，被其他请求打断）"
        return f"重试 {event.attempt}（{event.reason}）"
    if event.kind == STALLED:
        return f"没有输出（{event.reason}）"
    if event.kind == FINISHED:
        return f"完成，{event.chars} 字"
    if event.kind == FAILED:
        return f"失败（{event.reason}）"
    return event.reason


class ProgressDisplay:
    """Callable with each Event; a context manager around the run (closes the live table)."""

    def __init__(self, console=None, live: bool | None = None):
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.use_live = self.console.is_terminal if live is None else live
        self.started: float | None = None
        self.rows: dict[str, _Row] = {}
        self._seen: set[str] = set()  # sections that started (only they get lines)
        self._live = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(*exc)
            self._live = None
        return False

    def __call__(self, event: Event) -> None:
        if self.started is None:
            self.started = event.at
        if event.kind == NOTE:
            self._note(event.reason)
            return
        sid = event.section_id
        if event.kind == STARTED:
            self._seen.add(sid)
            self._start_live()
        if sid not in self._seen:
            return
        self._update(event)
        if self._live is None and event.kind != STREAMING:
            self._line(f"{event.label}：{describe(event)}", event.at)

    def _update(self, event: Event) -> None:
        row = self.rows.setdefault(event.section_id, _Row(event.label))
        row.attempts = max(row.attempts, event.attempt)
        row.chars = event.chars
        if event.kind == STREAMING:
            row.status = "生成中"
        elif event.kind == FINISHED:
            row.status, row.tokens = "完成", event.tokens
        else:
            row.status = describe(event)

    def _start_live(self) -> None:
        if self.use_live and self._live is None:
            from rich.live import Live

            self._live = Live(console=self.console, refresh_per_second=8, get_renderable=self._table)
            self._live.__enter__()

    def _note(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(f"提示：{text}", highlight=False)
        else:
            self._line(f"提示：{text}", time.monotonic())

    def _line(self, text: str, at: float) -> None:
        elapsed = at - (self.started if self.started is not None else at)
        self.console.print(f"[{elapsed:6.1f} 秒] {text}", highlight=False, markup=False, soft_wrap=True)

    def _table(self):
        from rich.table import Table

        table = Table(title="大模型起草进度", expand=False)
        for column in ("部分", "状态", "字数", "输出词元", "尝试"):
            table.add_column(column)
        for row in self.rows.values():
            tokens = str(row.tokens) if row.tokens is not None else ""
            table.add_row(row.label, row.status, str(row.chars or ""), tokens, str(row.attempts or ""))
        return table
