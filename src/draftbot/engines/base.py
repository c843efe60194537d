"""The engine contract: turn one section request into text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
    repair_round: int = 0  # which repair round asked for this rewrite (0: not a repair); for the audit log

    @property
    def rewrite(self) -> bool:
        return bool(self.fix or self.hint or self.context)

    @property
    def kind(self) -> str:
        return self.section.kind


@dataclass
class SectionResult:
    section_id: str
    body: str
    failed: bool = False
    error: str | None = None
    usage: dict | None = None


Progress = Callable[[SectionRequest, SectionResult], None]


class Engine:
    """One method to implement: `write_section`. `write_all` may be overridden for concurrency."""

    name = "base"

    def write_section(self, request: SectionRequest) -> SectionResult:
        raise NotImplementedError

    def write_all(
        self, requests: list[SectionRequest], progress: Progress | None = None
    ) -> list[SectionResult]:
        results = []
        for request in requests:
            result = self.write_section(request)
            if progress is not None:
                progress(request, result)
            results.append(result)
        return results

    def describe(self) -> dict:
        """What goes into the draft's front matter about this engine."""
        return {"engine": self.name}
