"""Targeted rewrites of single draft parts: the request (its findings to fix, the user's hint,
the other parts as they now stand) and splicing the answers into the draft text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from draftbot.checks.finding import LEVEL_NAMES, Finding
from draftbot.draft import FAILED_MARKER_RE, Draft, parse_draft
from draftbot.draftedit import (
    CLOSING,
    OPENING,
    PartKey,
    part_at_line,
    part_body,
    part_keys,
    part_label,
    sub_heading,
    sub_item_at,
)
from draftbot.engines.base import Engine, EngineRun, OnEvent, SectionRequest, SectionResult
from draftbot.errors import DraftFormatError
from draftbot.facts import FactGroup, Facts
from draftbot.plans import Plan, PlanSection, Routing, route_facts
from draftbot.samples import Sample

CheckFn = Callable[[str], list[Finding]]


@dataclass
class Sources:
    """What a section is written from: the facts (as the file now says), the plan, the samples."""

    facts: Facts
    plan: Plan
    samples: list[Sample] = field(default_factory=list)
    _routing: Routing | None = None

    @property
    def routing(self) -> Routing:
        if self._routing is None:
            self._routing = route_facts(self.facts, self.plan)
        return self._routing


def make_checker(sources: Sources, *, label: str = "<草稿>", period: int | None = None, at=None) -> CheckFn:
    """The judge of repair and regen: exactly what `draftbot check` runs on the saved file (same
    facts, plan and samples; a draftbot draft judged as one, by its front matter; the period as
    the front matter says unless given). `at`: the file the text is saved as (front-matter paths
    such as last year's report resolve from its folder)."""
    from draftbot.checks.run import check_draft

    def check(text: str) -> list[Finding]:
        return check_draft(text, facts=sources.facts, plan=sources.plan, samples=list(sources.samples),
                           period=period, label=label, at=at).findings

    return check


def same_structure(before: str, after: str) -> bool:
    """True when both texts have the same section headings (a rewrite must not add or drop any)."""
    return [s.full_heading for s in parse_draft(before).sections] == [
        s.full_heading for s in parse_draft(after).sections
    ]


# -- findings per part -------------------------------------------------------------------------


def findings_by_part(text: str, findings: list[Finding], draft: Draft | None = None, subs: list | None = None) -> dict:
    """part key -> its findings; findings of no part (the whole document) under None; the
    sub-items `subs` ((position, "二")) get the findings of their section's lines in them."""
    draft = draft or parse_draft(text)
    grouped: dict[PartKey | None, list[Finding]] = {}
    for key in subs or []:  # a sub-item: the findings of its section that lie in it
        grouped[key] = [f for f in findings if _in_section(f, key[0], text, draft) and sub_item_at(text, key, f.line, draft)]
    for f in findings:
        if f.section_index:  # None when the sections were found below 一、 (no part of the Draft)
            key = f.section_index if f.section_index <= len(draft.sections) else None
        else:
            key = part_at_line(text, f.line, draft)
        grouped.setdefault(key, []).append(f)
    return grouped


def _in_section(finding: Finding, index: int, text: str, draft: Draft) -> bool:
    if finding.section_index:
        return finding.section_index == index
    return part_at_line(text, finding.line, draft) == index


def fix_line(finding: Finding) -> str:
    """One finding as a thing to fix, for the prompt."""
    quoted = f"（原文：“{finding.text.strip()}”）" if finding.text.strip() else ""
    advice = f" 建议：{finding.suggestion}" if finding.suggestion else ""
    return f"{LEVEL_NAMES[finding.level]}：{finding.message}{quoted}{advice}"


def to_fix(findings: list[Finding]) -> list[Finding]:
    """The error and warning findings, errors first (info findings are not worth a rewrite; a failed
    section's marker is no problem of its text: it is written afresh)."""
    wanted = [f for f in findings if f.level in ("error", "warning") and f.rule != "section-failed"]
    return sorted(wanted, key=lambda f: (f.level != "error", f.line, f.column))


# -- parts and the plan ------------------------------------------------------------------------


def plan_part(draft: Draft, key: PartKey, plan: Plan) -> PlanSection | None:
    """The plan section a draft part is written from, or None when draftbot cannot tell."""
    if key == OPENING:
        return plan.opening
    if key == CLOSING:
        return plan.closing
    section = draft.sections[_position(key) - 1]
    planned = plan.section(section.id) if section.id else None
    planned = planned or plan.find_section(section.heading)
    return planned if planned is not None and planned.kind == "body" else None


def require_plan_part(draft: Draft, key: PartKey, plan: Plan) -> PlanSection:
    planned = plan_part(draft, key, plan)
    if planned is None:
        raise DraftFormatError(
            f"“{part_label(draft, key)}”在提纲“{plan.name}”中找不到对应的部分，无法重新生成。",
            hint="可以手工修改这一部分，或用 --plan 指定与草稿对应的提纲。",
        )
    return planned


def _position(key: PartKey) -> int:
    """A section's position for a section or a sub-item key."""
    return key[0] if isinstance(key, tuple) else int(key)


def other_parts(draft: Draft, key: PartKey) -> list[tuple[str, str]]:
    """The other parts as they now stand (failed placeholders and empty parts left out; for a
    sub-item, its whole section too: the request carries only the sub-item's own text)."""
    out = []
    section = _position(key) if isinstance(key, (int, tuple)) else None
    for other in part_keys(draft):
        body = part_body(draft, other)
        if other != key and other != section and body.strip() and "draftbot:failed" not in body:
            out.append((part_label(draft, other), body))
    return out


def part_request(
    draft: Draft,
    key: PartKey,
    sources: Sources,
    findings: list[Finding] | None = None,
    hint: str | None = None,
) -> SectionRequest:
    """The request that rewrites one part: the first write's request plus what to fix."""
    planned = require_plan_part(draft, key, sources.plan)
    number, heading, groups = "", "", sources.routing.groups(planned.id)
    if key == CLOSING:
        groups = []
    elif key != OPENING:
        section = draft.sections[_position(key) - 1]
        number, heading = section.number, section.heading
    current = part_body(draft, key)
    sub = sub_heading(current) if isinstance(key, tuple) else ""
    if sub:
        groups = sub_item_groups(groups, sub, key[1])
    fix = [fix_line(f) for f in to_fix(findings or [])]
    return SectionRequest(
        planned, number, heading, groups, sources.facts, sources.plan, sources.samples,
        fix=fix, hint=hint or None, context=other_parts(draft, key),
        current=current if current.strip() and "draftbot:failed" not in current else None, sub_item=sub,
    )  # fmt: skip


def sub_item_groups(groups: list[FactGroup], sub: str, number: str) -> list[FactGroup]:
    """The fact group a sub-item （二）项目建设 is written from: the section's (sub)group with that
    heading, else the one at that place among the section's subgroups, else all its groups."""
    from draftbot.headings import chinese_number

    title = sub.partition("）")[2].strip()
    candidates = [g for group in groups for g in ([group] if group.heading else []) + list(group.subgroups)]
    for g in candidates:
        if title and g.heading and (g.heading.strip() == title or title in g.heading or g.heading.strip() in title):
            return [g]
    subgroups = [g for g in candidates if g.heading]
    places = [chinese_number(i) for i in range(1, len(subgroups) + 1)]
    return [subgroups[places.index(number)]] if number in places else groups


def pick_parts(draft: Draft, specs: list[str], failed: bool = False) -> list[PartKey]:
    """The parts named by --section (3, 三, 开头, 结尾, heading text) and, with --failed, every
    section marked failed; in draft order, each once."""
    aliases = _plan_aliases(draft) if specs else None
    chosen = [draft.find_part(spec, aliases) for spec in specs]
    if failed:  # the opening and the closing too: a failed write marks them like sections
        chosen += [i for i, s in enumerate(draft.sections, 1) if s.failed]
        chosen += [key for key, body in ((OPENING, draft.opening), (CLOSING, draft.closing))
                   if FAILED_MARKER_RE.search(body)]
    if not chosen:
        if failed:
            raise DraftFormatError("草稿中没有标记为生成失败的部分，无需重新生成。")
        raise DraftFormatError("请用 --section 指定要重新生成的部分（如 --section 3），或用 --failed。")
    order = part_keys(draft)
    chosen = [k for k in chosen if not (isinstance(k, tuple) and k[0] in chosen)]  # its section is rewritten whole
    return sorted(set(chosen), key=lambda k: (order.index(k[0]), _sub_place(k[1])) if isinstance(k, tuple) else (order.index(k), 0))


def _sub_place(number: str) -> int:
    from draftbot.headings import chinese_number

    return next((i for i in range(1, 100) if chinese_number(i) == number), 99)


def _plan_aliases(draft: Draft) -> dict[str, list[str]]:
    """Section id -> the plan's names for it (履职成效, 工作成效 …), so --section takes them too."""
    from draftbot.plans import load_plan

    try:
        plan = load_plan(str(draft.meta.get("plan") or "述职报告"))
    except Exception:  # noqa: BLE001 - a plan that does not load only means no extra names
        return {}
    return {s.id: [s.heading, *s.aliases] for s in plan.sections}


# -- regenerating chosen parts -----------------------------------------------------------------


@dataclass
class Regenerated:
    """The outcome of rewriting chosen parts once: the new text and one result per part."""

    text: str
    keys: list[PartKey]
    labels: list[str]
    results: list[SectionResult]
    run: EngineRun | None = None  # the engine's run (usage, notes, summary)

    @property
    def done(self) -> list[str]:
        return [label for label, r in zip(self.labels, self.results, strict=True) if not r.failed]


def part_name(draft: Draft, key: PartKey) -> str:
    """一, 二 … for sections, 开头 / 结尾 for the opening and closing (as --section takes them)."""
    if isinstance(key, tuple):
        return f"{draft.sections[key[0] - 1].number}（{key[1]}）"
    return {OPENING: "开头", CLOSING: "结尾"}.get(key) or draft.sections[int(key) - 1].number


def _logged(draft: Draft, done: list[tuple[PartKey, SectionRequest]], engine: str, hint: str | None) -> dict:
    """The front matter with the rewrites of `keys` recorded (and their plan ids remembered)."""
    meta = dict(draft.meta)
    stamp = datetime.now().astimezone().replace(microsecond=0).isoformat()
    log = list(meta.get("regenerated") or [])
    for key, _ in done:
        log.append(
            {
                "section": part_name(draft, key),
                "engine": engine,
                "at": stamp,
                **({"hint": hint} if hint else {}),
            }
        )
    meta["regenerated"] = log
    ids = dict(meta.get("section_ids") or {})
    for key, request in done:
        if isinstance(key, int):
            ids[draft.sections[key - 1].heading] = request.section.id
    if ids:
        meta["section_ids"] = ids
    return meta


def regenerate_parts(
    text: str,
    keys: list[PartKey],
    sources: Sources,
    engine: Engine,
    *,
    check: CheckFn | None = None,
    hint: str | None = None,
    on_event: OnEvent | None = None,
) -> Regenerated:
    """Rewrite the parts `keys` of the draft `text` (with their current findings when `check` is
    given); a part whose rewrite failed keeps its old text, every other byte stays the same."""
    from draftbot.draftedit import replace_part, set_front_matter, with_sub_heading

    draft = parse_draft(text)
    subs = [k for k in keys if isinstance(k, tuple)]
    grouped = findings_by_part(text, check(text), draft, subs) if check is not None else {}
    requests = [part_request(draft, k, sources, grouped.get(k), hint) for k in keys]
    labels = [part_label(draft, k) for k in keys]
    run = engine.write_all(requests, on_event)
    results = run.sections
    new = text
    for index, (key, result) in enumerate(zip(keys, results, strict=True)):
        if result.failed:
            continue
        body = with_sub_heading(part_body(draft, key), result.body) if isinstance(key, tuple) else result.body
        candidate = replace_part(new, key, body)
        if not same_structure(new, candidate):
            reason = "回答里含有部分标题，会打乱草稿结构，未采用"
            results[index] = SectionResult(result.section_id, result.body, True, reason, result.usage)
            continue
        new = candidate
    done = [(k, q) for k, q, r in zip(keys, requests, results, strict=True) if not r.failed]
    if done and draft.meta:  # a text without front matter (the user's own .txt) stays plain text
        new = set_front_matter(new, _logged(draft, done, engine.name, hint))
    return Regenerated(new, list(keys), labels, results, run)
