"""facts + plan + samples -> section requests -> engine -> Draft."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from draftbot import __version__
from draftbot.draft import Draft, DraftSection
from draftbot.engines.base import Engine, EngineRun, OnEvent, SectionRequest, SectionResult
from draftbot.facts import Facts
from draftbot.headings import chinese_number
from draftbot.plans import Plan, Routing, route_facts, signature_lines
from draftbot.samples import Sample


def build_requests(
    facts: Facts, plan: Plan, samples: list[Sample], routing: Routing | None = None
) -> list[SectionRequest]:
    routing = routing or route_facts(facts, plan)
    requests = [SectionRequest(plan.opening, "", "", routing.groups(plan.opening.id), facts, plan, samples)]
    for index, section in enumerate(plan.sections, start=1):
        requests.append(
            SectionRequest(
                section,
                chinese_number(index),
                section.heading,
                routing.groups(section.id),
                facts,
                plan,
                samples,
            )
        )
    requests.append(SectionRequest(plan.closing, "", "", [], facts, plan, samples))
    return requests


def draft_title(facts: Facts, plan: Plan) -> str:
    if facts.title:
        return facts.title
    year = facts.period_year
    if not year:
        return plan.name
    return plan.title.format(year=year, unit=facts.meta.get("unit", ""), period=facts.meta.get("period", ""))


def plan_label(plan: Plan) -> str:
    from draftbot.resources import plans_dir

    if plan.source is not None and plan.source.parent != plans_dir():
        return str(plan.source)
    return plan.name


def compose_draft(*args, **options) -> tuple[Draft, Routing, list[SectionResult]]:
    """`compose_run` with one result per section in place of the whole run."""
    draft, routing, run = compose_run(*args, **options)
    return draft, routing, run.sections


def compose_run(
    facts: Facts,
    plan: Plan,
    samples: list[Sample],
    engine: Engine,
    *,
    out_path: Path | None = None,
    on_event: OnEvent | None = None,
    created: datetime | None = None,
) -> tuple[Draft, Routing, EngineRun]:
    """The draft, the fact routing and the engine's run (results, usage, notes, front matter)."""
    routing = route_facts(facts, plan)
    requests = build_requests(facts, plan, samples, routing)
    run = engine.write_all(requests, on_event)
    by_id = {r.section_id: r for r in run.sections}
    draft = Draft(title=draft_title(facts, plan))
    draft.opening = by_id[plan.opening.id].body
    draft.closing = by_id[plan.closing.id].body
    for request in requests[1:-1]:
        result = by_id[request.section.id]
        draft.sections.append(DraftSection(request.number, request.heading, result.body, request.section.id))
    draft.meta = _front_matter(facts, plan, samples, run.meta, out_path, created, draft)
    draft.signature = signature_lines(plan, facts.meta, datetime.fromisoformat(draft.meta["created"]).date())
    draft.path = out_path
    return draft, routing, run


def _front_matter(facts, plan, samples, engine_meta: dict, out_path, created, draft) -> dict:
    created = created or datetime.now().astimezone().replace(microsecond=0)
    meta: dict = {"draftbot": __version__}
    if facts.source is not None:
        base = out_path.parent if out_path is not None else Path.cwd()
        meta["facts"] = os.path.relpath(facts.source.resolve(), base.resolve())
    meta["facts_sha256"] = facts.sha256
    meta["plan"] = plan_label(plan)
    meta.update(engine_meta)
    meta["samples"] = [s.name for s in samples]
    if facts.period_year:
        meta["period"] = facts.period_year
    meta["created"] = created.isoformat()
    meta["section_ids"] = {s.heading: s.id for s in draft.sections}
    return meta
