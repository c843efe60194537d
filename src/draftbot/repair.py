"""The repair loop: check, rewrite each part with error-level findings (its findings in the
prompt), keep a rewrite only when the checker says it is better, for up to N rounds.

The checker is the judge, not the model. Only parts with error-level findings are touched, the
others are locked byte for byte. Per part the best version seen is kept (fewest errors, then
warnings); a rewrite that adds an error-level finding anywhere (in itself, or elsewhere, e.g. by
changing grounding) is rejected. The loop stops early when a round fixes nothing, when a part's
findings repeat, or when the next round would exceed the token budget. Each request is a fresh
one (shared prefix + that part's findings), so a round costs the same as the one before.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from draftbot.checks.finding import Finding
from draftbot.draft import parse_draft
from draftbot.draftedit import CLOSING, OPENING, PartKey, part_label, replace_part, set_front_matter
from draftbot.engines.base import Engine, EngineRun, OnEvent
from draftbot.errors import ModelError
from draftbot.rewrite import (
    CheckFn,
    Sources,
    findings_by_part,
    part_name,
    part_request,
    plan_part,
    same_structure,
)

DEFAULT_BUDGET = 200_000  # tokens (input, cached included, plus output) for all repair rounds
STOP_REASONS = {
    "clean": "已没有错误",
    "nothing": "没有需要修复的错误",
    "no-progress": "这一轮没有修好任何部分",
    "repeat": "同样的问题反复出现",
    "budget": "再修一轮会超出词元预算",
    "rounds": "已达到修复轮数上限",
    "failed": "模型调用失败",
}


def error_key(f: Finding) -> tuple:
    """A finding without its position: the same problem after the text around it moved."""
    return (f.rule, f.section, f.message, f.text)


def score(findings: list[Finding]) -> tuple[int, int]:
    """(errors, warnings): lower is better."""
    levels = Counter(f.level for f in findings)
    return levels["error"], levels["warning"]


def _errors(findings: list[Finding]) -> Counter:
    return Counter(error_key(f) for f in findings if f.level == "error")


@dataclass
class PartRepair:
    """One part that had error-level findings: before and after, and what the rounds did."""

    key: PartKey
    label: str
    before: list[Finding]
    after: list[Finding]
    requests: int = 0
    accepted: int = 0
    notes: list[str] = field(default_factory=list)
    repairable: bool = True

    @property
    def fixed(self) -> bool:
        return score(self.after)[0] == 0


@dataclass
class RepairResult:
    text: str
    parts: list[PartRepair]
    rounds: int = 0
    requests: int = 0
    stopped: str = "nothing"
    error: str | None = None
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    usage_estimated: bool = False  # a server sent no usage: counts estimated, cached share unknown
    cost: float | None = None
    currency: str | None = None
    before: list[Finding] = field(default_factory=list)
    after: list[Finding] = field(default_factory=list)
    mask_issues: list[str] = field(default_factory=list)  # masked run: placeholders to look at

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def changed(self) -> bool:
        return any(p.accepted for p in self.parts)

    def add_usage(self, run: EngineRun) -> None:
        """What one round cost: every request sent, retries and failed ones included."""
        usage = run.usage
        self.input_tokens += usage.input
        self.cached_tokens += usage.cached
        self.output_tokens += usage.output
        self.usage_estimated = self.usage_estimated or usage.estimated
        if run.cost is not None:
            self.cost = (self.cost or 0.0) + run.cost
            self.currency = run.currency
        self.mask_issues += run.mask_issues


# -- the loop ----------------------------------------------------------------------------------


class _Loop:
    def __init__(self, text: str, check: CheckFn, engine: Engine, sources: Sources, hint: str | None,
                 on_event: OnEvent | None = None):  # fmt: skip
        self.on_event = on_event
        self.text = text
        self.check = check
        self.engine = engine
        self.sources = sources
        self.hint = hint
        self.findings = check(text)
        self.result = RepairResult(text, [], before=self.findings, after=self.findings)
        self.seen: dict[PartKey, set[frozenset]] = {}
        self.dropped: set[PartKey] = set()
        self._start_parts()

    def _start_parts(self) -> None:
        draft = parse_draft(self.text)
        for key, items in findings_by_part(self.text, self.findings, draft).items():
            if key is None or not score(items)[0]:
                continue
            part = PartRepair(key, part_label(draft, key), items, items)
            if plan_part(draft, key, self.sources.plan) is None:
                part.repairable = False
                part.notes.append("在提纲中找不到对应的部分，无法自动修复")
            self.result.parts.append(part)
            self.seen[key] = {frozenset(_errors(items))}
        order = {OPENING: 0, CLOSING: 10**6}
        self.result.parts.sort(key=lambda p: order.get(p.key, p.key))

    def active(self) -> list[PartRepair]:
        return [p for p in self.result.parts if p.repairable and not p.fixed and p.key not in self.dropped]

    def round(self, parts: list[PartRepair]) -> bool:
        """One round over `parts`; True when at least one part got better."""
        draft = parse_draft(self.text)
        requests = [part_request(draft, p.key, self.sources, p.after, self.hint) for p in parts]
        for request in requests:  # the audit log records which repair round a call belongs to
            request.repair_round = self.result.rounds
        run = self.engine.write_all(requests, self.on_event)
        results = run.sections
        self.result.requests += len(requests)
        for part in parts:
            part.requests += 1
        self.result.add_usage(run)
        if all(r.failed for r in results):
            raise ModelError(f"大模型调用失败：{results[0].error or '未知原因'}")
        improved = False
        for part, result in zip(parts, results, strict=True):
            if result.failed:
                part.notes.append(f"第 {self.result.rounds} 轮重写失败：{result.error or '未知原因'}")
                continue
            improved = self._judge(part, result.body) or improved
        return improved

    def _judge(self, part: PartRepair, body: str) -> bool:
        """Accept the rewrite when it adds no error anywhere and makes the part better."""
        candidate = replace_part(self.text, part.key, body)
        if not same_structure(self.text, candidate):
            part.notes.append(f"第 {self.result.rounds} 轮的重写含有部分标题，会打乱草稿结构，未采用")
            return False
        findings = self.check(candidate)
        mine = findings_by_part(candidate, findings).get(part.key, [])
        signature = frozenset(_errors(mine))
        added = _errors(findings) - _errors(self.findings)
        round_no = self.result.rounds
        if added:
            what = "；".join(f"{rule}“{text}”" if text else rule for rule, _, _, text in added)
            part.notes.append(f"第 {round_no} 轮的重写新增了错误（{what}），未采用")
        elif score(mine) < score(part.after):
            self.text, self.findings = candidate, findings
            part.after = mine
            part.accepted += 1
            part.notes.append(f"第 {round_no} 轮：错误 {score(mine)[0]}，警告 {score(mine)[1]}，已采用")
            self.seen[part.key].add(signature)
            return True
        else:
            part.notes.append(f"第 {round_no} 轮的重写没有更好，未采用")
        if signature in self.seen[part.key]:
            self.dropped.add(part.key)
        self.seen[part.key].add(signature)
        return False


def _estimate(engine: Engine, loop: _Loop, parts: list[PartRepair]) -> int:
    """Tokens the next round would cost (0 for engines without a model)."""
    draft = parse_draft(loop.text)
    return engine.estimate_tokens([part_request(draft, p.key, loop.sources, p.after, loop.hint) for p in parts])


def repair(
    text: str,
    *,
    check: CheckFn,
    engine: Engine,
    sources: Sources,
    rounds: int = 1,
    budget: int | None = DEFAULT_BUDGET,
    hint: str | None = None,
    on_event: OnEvent | None = None,
) -> RepairResult:
    """Repair the draft `text` for up to `rounds` rounds; the result holds the best text found."""
    loop = _Loop(text, check, engine, sources, hint, on_event)
    result = loop.result
    result.stopped = "nothing" if not loop.active() else "rounds"
    while result.rounds < rounds:
        parts = loop.active()
        if not parts:
            result.stopped = "repeat" if loop.dropped else ("clean" if result.rounds else "nothing")
            break
        if budget is not None and result.tokens + _estimate(engine, loop, parts) > budget:
            result.stopped = "budget"
            break
        result.rounds += 1
        try:
            improved = loop.round(parts)
        except ModelError as exc:
            result.stopped, result.error = "failed", exc.message
            break
        if not improved:
            result.stopped = "no-progress"
            break
    else:
        if result.rounds and all(p.fixed for p in result.parts if p.repairable):
            result.stopped = "clean"
    result.text, result.after = loop.text, loop.findings
    return result


# -- history and report ------------------------------------------------------------------------


def history_entry(result: RepairResult, engine: Engine) -> dict:
    """What the front matter records about one repair run."""
    draft = parse_draft(result.text)
    entry: dict = {
        "at": datetime.now().astimezone().replace(microsecond=0).isoformat(),
        "engine": engine.name,
        "rounds": result.rounds,
        "requests": result.requests,
        "stopped": result.stopped,
        "sections": {},
        "input_tokens": result.input_tokens,
        "cached_tokens": result.cached_tokens,
        "output_tokens": result.output_tokens,
    }
    if result.usage_estimated:  # never a measured-looking 0: the cached share is unknown
        entry["usage_estimated"] = True
        del entry["cached_tokens"]
    for part in result.parts:
        (e0, w0), (e1, w1) = score(part.before), score(part.after)
        entry["sections"][part_name(draft, part.key)] = f"错误 {e0}→{e1}，警告 {w0}→{w1}"
    if result.cost is not None:
        entry["cost"] = round(result.cost, 6)
        entry["currency"] = result.currency
    return entry


def with_history(result: RepairResult, engine: Engine) -> str:
    """The repaired text with this run appended to the front matter's `repairs` list."""
    meta = dict(parse_draft(result.text).meta)
    meta["repairs"] = [*(meta.get("repairs") or []), history_entry(result, engine)]
    return set_front_matter(result.text, meta)


def report_lines(result: RepairResult) -> list[str]:
    """The Chinese summary of a repair run: per part before/after, rounds, tokens and money."""
    if not result.parts:
        return ["自动修复：没有错误级别的问题，无需修复。"]
    lines = [
        f"自动修复：{result.rounds} 轮，{result.requests} 次请求，停止原因：{STOP_REASONS[result.stopped]}。"
    ]
    if result.error:
        lines.append(f"  {result.error}")
    for part in result.parts:
        (e0, w0), (e1, w1) = score(part.before), score(part.after)
        state = "已修好" if part.fixed else ("无法自动修复" if not part.repairable else "仍有错误")
        lines.append(f"  {part.label}：错误 {e0}→{e1}，警告 {w0}→{w1}（{state}）")
        lines += [f"    {note}" for note in part.notes]
    errors, warnings = score(result.after)  # the judge is `draftbot check` on the saved text
    lines.append(f"  修复后检查：错误 {errors}，警告 {warnings}")
    if result.input_tokens or result.output_tokens:  # the offline engine spends none
        share = f"{result.cached_tokens / result.input_tokens:.0%}" if result.input_tokens else "0%"
        usage = f"  用量：输入 {result.input_tokens}（缓存命中 {share}），输出 {result.output_tokens} 词元"
        if result.usage_estimated:
            usage = f"  用量（服务未返回，为估算）：输入约 {result.input_tokens}（缓存命中未知），输出约 {result.output_tokens} 词元"
        if result.cost is not None:
            usage += f"，估算费用 {result.cost:.4f} {result.currency}"
        lines.append(usage)
    return lines
