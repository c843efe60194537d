"""Regenerating single sections of an existing draft, keeping everything else as it is."""

from __future__ import annotations

from datetime import datetime

from draftbot.draft import Draft, DraftPart, DraftSection
from draftbot.engines.base import Engine, SectionRequest, SectionResult
from draftbot.errors import DraftFormatError
from draftbot.facts import Facts
from draftbot.plans import Plan, PlanSection, route_facts
from draftbot.samples import Sample


def pick_sections(draft: Draft, numbers: list[str], failed: bool) -> list[DraftSection | DraftPart]:
    """The parts named by --section (3, 三, 开头, 结尾, heading text) and, with --failed, every part
    marked failed (the opening and closing included)."""
    chosen: list[DraftSection | DraftPart] = []
    for part in (draft.part(n) for n in numbers):
        if part not in chosen:  # --section 3 --section 三 name one section
            chosen.append(part)
    if failed:
        chosen += [p for p in draft.parts() if p.failed and p not in chosen]
    if not chosen:
        if failed:
            raise DraftFormatError("草稿中没有标记为生成失败的部分，无需重新生成。")
        raise DraftFormatError("请用 --section 指定要重新生成的部分（如 --section 3 或 --section 开头），或用 --failed。")
    return chosen


def plan_section_for(section: DraftSection | DraftPart, plan: Plan) -> PlanSection:
    if isinstance(section, DraftPart):
        return plan.opening if section.kind == "opening" else plan.closing
    planned = plan.section(section.id) if section.id else None
    planned = planned or plan.find_section(section.heading)
    if planned is None or planned.kind != "body":
        raise DraftFormatError(
            f"第{section.number}部分“{section.heading}”在提纲“{plan.name}”中找不到对应的部分，无法重新生成。"
        )
    return planned


def regenerate(
    draft: Draft,
    sections: list[DraftSection | DraftPart],
    *,
    facts: Facts,
    plan: Plan,
    samples: list[Sample],
    engine: Engine,
    progress=None,
) -> list[SectionResult]:
    """Rewrite `sections` in place; a section whose rewrite failed keeps its old text."""
    routing = route_facts(facts, plan)
    requests = []
    for section in sections:
        planned = plan_section_for(section, plan)
        heading = "" if isinstance(section, DraftPart) else section.heading  # as compose_draft asks
        requests.append(
            SectionRequest(planned, section.number, heading, routing.groups(planned.id), facts, plan, samples)
        )
    results = engine.write_all(requests, progress)
    stamp = datetime.now().astimezone().replace(microsecond=0).isoformat()
    log = list(draft.meta.get("regenerated") or [])
    for section, request, result in zip(sections, requests, results, strict=True):
        if result.failed:
            continue
        section.body = result.body
        section.id = request.section.id
        log.append({"section": section.number or section.heading, "engine": engine.name, "at": stamp})
    if log:
        draft.meta["regenerated"] = log
        draft.meta.setdefault("section_ids", {})
        draft.meta["section_ids"].update(
            {s.heading: s.id for s in sections if s.id and isinstance(s, DraftSection)}
        )
    return results
