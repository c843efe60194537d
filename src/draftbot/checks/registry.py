"""The check registry: each check kind declares its id, what it reports, what it needs, and one run.

A check kind is a function `run(context) -> list[Hit]` registered with the `check` decorator in
any module of draftbot/checks/ (checks.run imports them all, so a new module is picked up without
another edit)::

    @check("template-junk", label="模板残留", level="错误", doc="从网上模板复制留下的广告、水印……")
    def run(ctx: CheckContext) -> list[Hit]:
        return find_junk(ctx.masked, ctx.rules.junk)

`needs` names the inputs the kind cannot run without (see INPUTS); when one is missing the kind
is skipped and the report says so. A kind that reports several rule ids lists them as `rules`
(Rule records: the rows of the README's rule table). See docs/checks.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# What a check kind may need besides the draft, and how the skip notes name what is missing.
INPUTS = {
    "facts": "事实文件（--facts）",
    "plan": "提纲（--plan）",
    "samples": "范文",
    "period": "报告年度（--period）",
    "last_year": "去年的报告（--last-year）",
}
# Inputs only some runs have on purpose: a kind skipped for lack of them goes without a note.
OPTIONAL_INPUTS = {"last_year"}


@dataclass(frozen=True)
class Rule:
    """One rule id a check kind reports: a row of the README's rule table (Chinese)."""

    id: str
    label: str  # what a person reads instead of the id (text output, review, Word comments)
    level: str  # the 级别 column: when it is an error, a warning, a note
    doc: str  # the 检查内容 column


@dataclass(frozen=True)
class CheckKind:
    """A registered check kind; `run(context)` returns its hits (placed and sorted by the runner)."""

    id: str
    label: str  # a short Chinese name (notes on skipped checks; a one-rule kind's rule label)
    needs: tuple[str, ...]
    rules: tuple[Rule, ...]
    run: Callable[[CheckContext], list]
    order: int = 100  # position in the README table (and the order the kinds run in)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)


_KINDS: dict[str, CheckKind] = {}


def check(kind_id: str, *, label: str, needs: tuple[str, ...] = (), level: str = "", doc: str = "",
          rules: tuple[Rule, ...] = (), order: int = 100):
    """Register the decorated `run(context) -> list[Hit]` as check kind `kind_id`. A kind reporting
    one rule (its own id) gives `level` and `doc`; one reporting several gives `rules` instead."""
    unknown = [n for n in needs if n not in INPUTS]
    if unknown:
        raise ValueError(f"check {kind_id!r} needs unknown inputs {unknown}; known: {sorted(INPUTS)}")
    if not rules:
        if not (level and doc):
            raise ValueError(f"check {kind_id!r}: give level and doc (or rules)")
        rules = (Rule(kind_id, label, level, doc),)

    def register(run: Callable[[CheckContext], list]) -> Callable[[CheckContext], list]:
        if kind_id in _KINDS and _KINDS[kind_id].run is not run:
            raise ValueError(f"check {kind_id!r} is registered twice")
        taken = {r for k in _KINDS.values() if k.id != kind_id for r in k.rule_ids}
        clash = [r.id for r in rules if r.id in taken]
        if clash:
            raise ValueError(f"check {kind_id!r}: rule ids {clash} are reported by another kind")
        _KINDS[kind_id] = CheckKind(kind_id, label, tuple(needs), tuple(rules), run, order)
        return run

    return register


def registered() -> list[CheckKind]:
    """The kinds registered so far, in table order (checks.run.check_kinds imports every module first)."""
    return sorted(_KINDS.values(), key=lambda k: (k.order, k.id))


def rule_label(rule_id: str) -> str | None:
    """The Chinese label a registered kind declares for `rule_id` (None when none does)."""
    return next((r.label for k in _KINDS.values() for r in k.rules if r.id == rule_id), None)


@dataclass
class CheckContext:
    """What a check kind gets: the draft (as read, parsed, masked, its located sections), the
    inputs (facts, plan, samples, period: None when missing), the rule set, and whether the draft is
    draftbot's own (front matter with a `draftbot` key: its plan is binding, section by section)."""

    text: str  # the draft as read; offsets of hits refer to it
    masked: str  # the same with front matter, comments and failure markers blanked (offsets kept)
    parsed: Any  # draftbot.draft.Draft
    sections: list  # checks.sections.Located, in draft order
    inputs: Any  # checks.run.CheckInputs
    rules: Any  # checks.rules.RuleSet
    label: str = "<草稿>"  # the path as shown, or <草稿>
    markdown: bool = False  # a Markdown draft (line-start **bold** is emphasis, not a blank)
    content_start: int = 0  # where the text after the front matter starts
    notes: list[str] = field(default_factory=list)  # notes for the user, shared with the report
    failed_markers: list = field(default_factory=list)  # failure markers outside every section (masked)
    _memo: dict = field(default_factory=dict, repr=False)

    @property
    def facts(self):
        return self.inputs.facts

    @property
    def plan(self):
        return self.inputs.plan

    @property
    def samples(self) -> list:
        return self.inputs.samples

    @property
    def period(self) -> int | None:
        return self.inputs.period

    @property
    def period_start(self) -> int | None:
        return self.inputs.period_start

    @property
    def own_draft(self) -> bool:
        return self.inputs.own_draft

    def has(self, need: str) -> bool:
        value = getattr(self.inputs, need)
        return bool(value) if need == "samples" else value is not None

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """compute() once per draft: for work two kinds share (the figure options, the plan's
        sections matched to the draft's)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def figure_options(self):
        return self.shared("figure_options", self.rules.figure_options)
