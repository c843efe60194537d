"""The engine contract: section requests in, one `EngineRun` out, progress as a stream of events.

    run = engine.write_all(requests, on_event)   # on_event(Event) while it works
    run.sections      one SectionResult per request, in request order
    run.usage         tokens over every request sent (failed and retried ones too), honest about
                      what is measured, estimated or unknown (engines/usage.py)
    run.notes         what the user should know (e.g. concurrency lowered), said once
    run.summary       the lines a command prints after the run (usage table, window)
    run.meta          what the draft's front matter records about the engine and this run
    run.interrupted   Ctrl-C stopped the run; the finished sections are in `sections`

Every engine (offline, LLM, a wrapper such as the resume journal) satisfies it through the
defaults here: an engine need only implement `write_section`. Callers use nothing else of an
engine than `write_all`, `write_section`, `describe`, `estimate_tokens` and `name`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from draftbot.engines.usage import UsageTotals
from draftbot.facts import FactGroup, Facts
from draftbot.plans import Plan, PlanSection
from draftbot.samples import Sample


@dataclass
class SectionRequest:
    section: PlanSection
    number: str  # 一, 二 … for body sections; "" for opening and closing
    heading: str
    facts: list[FactGroup]
    all_facts: Facts
    plan: Plan
    samples: list[Sample] = field(default_factory=list)
    # a targeted rewrite (regen, repair): what to fix, the user's wish, the section's current text
    # and the other sections as they now stand; all empty for a first write
    fix: list[str] = field(default_factory=list)
    hint: str | None = None
    current: str | None = None
    context: list[tuple[str, str]] = field(default_factory=list)
    sub_item: str = ""  # rewriting only this sub-item of the section (（二）项目建设); "" for the whole part
    repair_round: int = 0  # which repair round asked for this rewrite (0: not a repair); for the audit log

    @property
    def rewrite(self) -> bool:
        return bool(self.fix or self.hint or self.context or self.sub_item)

    @property
    def kind(self) -> str:
        return self.section.kind

    @property
    def label(self) -> str:
        """How progress lines name this part: 开头, 结尾 or 三、heading (at most 20 characters)."""
        kind = self.section.kind
        if kind == "opening":
            return "开头"
        if kind == "closing":
            return "结尾"
        return f"{self.number}、{self.heading}"[:20]

    @property
    def part_name(self) -> str:
        """What `--section` takes for this request: 三, or 开头 / 结尾."""
        return self.number or {"opening": "开头", "closing": "结尾"}.get(self.kind, "")


@dataclass
class SectionResult:
    section_id: str
    body: str
    failed: bool = False
    error: str | None = None
    # the section's tokens over all its attempts: {input, cached, output, attempts[, estimated]};
    # cached None: unknown. None: nothing was requested (offline, or reused from the journal)
    usage: dict | None = None


# -- progress events ----------------------------------------------------------------------------

STARTED = "started"  # an attempt took a slot and its request is on its way (attempt 1, 2 …)
STREAMING = "streaming"  # text is arriving (chars: characters of this attempt so far)
RETRY = "retry"  # an attempt failed and another follows (reason; delay; free: cut off, uses no retry)
STALLED = "stalled"  # no bytes for a while (reserved for servers that stop producing output)
FINISHED = "finished"  # the section is written (result, usage)
FAILED = "failed"  # the section failed for good (result with the reason)
NOTE = "note"  # something the user should know now (reason holds the text); no request
EVENT_KINDS = (STARTED, STREAMING, RETRY, STALLED, FINISHED, FAILED, NOTE)


@dataclass(frozen=True)
class Event:
    kind: str
    request: SectionRequest | None = None
    attempt: int = 0
    reason: str = ""
    chars: int = 0
    delay: float | None = None
    free: bool = False
    result: SectionResult | None = None
    tokens: int | None = None  # output tokens of the section so far, when the server said
    at: float = field(default_factory=time.monotonic)

    @property
    def label(self) -> str:
        return self.request.label if self.request is not None else ""

    @property
    def section_id(self) -> str:
        return self.request.section.id if self.request is not None else ""


OnEvent = Callable[[Event], None]


def emit(on_event: OnEvent | None, event: Event) -> None:
    if on_event is not None:
        on_event(event)


def finished_event(request: SectionRequest, result: SectionResult, **extra) -> Event:
    """The event that ends a section: FINISHED with its result, or FAILED with the reason."""
    kind = FAILED if result.failed else FINISHED
    return Event(kind, request, reason=result.error or "", result=result, chars=len(result.body), **extra)


# -- the result of a run ------------------------------------------------------------------------


@dataclass
class EngineRun:
    sections: list[SectionResult]
    usage: UsageTotals = field(default_factory=UsageTotals)
    notes: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    interrupted: bool = False
    cost: float | None = None  # estimated money spent (all attempts), when prices are known
    currency: str | None = None
    mask_issues: list[str] = field(default_factory=list)  # masked run: placeholders to look at

    @property
    def failed(self) -> list[SectionResult]:
        return [r for r in self.sections if r.failed]

    @property
    def requests(self) -> int:
        """Requests sent to a model (every attempt); 0 for an engine without one."""
        return self.usage.requests


class Engine:
    """One method to implement: `write_section`. `write_all` may be overridden for concurrency."""

    name = "base"

    def write_section(self, request: SectionRequest) -> SectionResult:
        raise NotImplementedError

    def write_all(self, requests: list[SectionRequest], on_event: OnEvent | None = None) -> EngineRun:
        """Each request in turn. A section that takes no time has no STARTED event, only its end."""
        results = []
        for request in requests:
            result = self.write_section(request)
            emit(on_event, finished_event(request, result))
            results.append(result)
        return EngineRun(results, meta=self.describe())

    def describe(self) -> dict:
        """What goes into the draft's front matter about this engine (the run adds its usage)."""
        return {"engine": self.name}

    def estimate_tokens(self, requests: list[SectionRequest]) -> int:
        """What these requests would cost at most, in tokens (0: the engine calls no model)."""
        return 0
