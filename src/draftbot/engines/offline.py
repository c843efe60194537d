"""The offline engine: no model; writes each section the way these reports are written.

Heading from the plan, an opening sentence that carries the section's required formulations,
the section's facts as 一是……；二是……。 (with （一）（二） paragraphs for fact sub-groups),
a closing sentence. Fact text is kept verbatim, so every figure of the facts appears as given,
and no figure is added: plan sentences carry none.
"""

from __future__ import annotations

from draftbot.engines.base import Engine, SectionRequest, SectionResult
from draftbot.facts import Fact, FactGroup, Facts, leader_phrase, role_phrase
from draftbot.headings import chinese_number
from draftbot.plans import _best_match

TO_FILL = "【待补】"
# After a paragraph written from the plan alone (no facts of the user's): claims to confirm or
# replace. `check` reports it (rule placeholder, id generic in data/rules/placeholders.yaml).
TO_CONFIRM = "【待确认：本段为通用表述】"


def enumerate_points(points: list[str]) -> str:
    """['A', 'B'] -> '一是A；二是B。'; one point is written as a plain sentence."""
    cleaned = [_clean(p) for p in points if _clean(p)]
    if not cleaned:
        return ""
    if len(cleaned) == 1:
        return cleaned[0] + "。"
    return "；".join(f"{chinese_number(i)}是{p}" for i, p in enumerate(cleaned, start=1)) + "。"


def _clean(text: str) -> str:
    return text.strip().rstrip("；;。，,、 ").replace("；", "，")


class OfflineEngine(Engine):
    name = "offline"

    def write_section(self, request: SectionRequest) -> SectionResult:
        kind = request.kind
        if kind == "opening":
            body = self._opening(request)
        elif kind == "closing":
            body = request.section.opening
        elif request.sub_item:  # one （二） sub-item: its facts as 一是……；二是……。 (the heading stays)
            body = enumerate_points([f.text for g in request.facts for f in g.all_facts()]) or f"具体工作和成效{TO_FILL}。"
        else:
            body = self._body(request)
        return SectionResult(request.section.id, body)

    # -------------------------------------------------------------- opening

    def _opening(self, request: SectionRequest) -> str:
        facts = request.all_facts
        points = [_clean(f.text) for g in request.facts for f in g.all_facts()]
        template = request.section.opening or "{intro}现将有关情况报告如下："
        if request.plan.kind == "单位总结":
            intro = _unit_intro(facts)
            head, sep, tail = template.partition("现将")
            extra = "；".join(points) + "。" if points else ""
            return (head.format(intro=intro, leader=leader_phrase(facts.meta)) + extra + sep + tail).strip()
        return template.format(intro=_person_intro(facts, points), leader=leader_phrase(facts.meta)).strip()

    # -------------------------------------------------------------- body

    def _body(self, request: SectionRequest) -> str:
        section = request.section
        direct: list[Fact] = []
        subsections: list[FactGroup] = []
        for group in request.facts:
            if group.heading and _best_match(group.heading, [section]) is None:
                subsections.append(group)  # a fact heading routed here by keyword
                continue
            direct.extend(group.facts)
            subsections.extend(group.subgroups)
        first = [section.opening]
        if direct:
            first.append(enumerate_points([f.text for f in direct]))
        elif not subsections:
            if section.default_points:
                first.append(enumerate_points(section.default_points))
            else:
                first.append(f"本部分的具体工作和成效{TO_FILL}。")
        if not subsections and section.closing:
            first.append(section.closing)
        if not direct and not subsections and section.default_points:
            first.append(TO_CONFIRM)
        paragraphs = ["".join(p for p in first if p)]
        for index, group in enumerate(subsections, start=1):
            points = [f.text for f in group.all_facts()]
            title = _clean(group.heading) or "其他工作"
            paragraphs.append(f"（{chinese_number(index)}）{title}。{enumerate_points(points)}")
        return "\n".join(p for p in paragraphs if p)


def _period(facts: Facts) -> str:
    period = facts.meta.get("period", "").strip()
    if period and period[-1].isdigit():
        period += "年"
    return period


def _person_intro(facts: Facts, duties: list[str]) -> str:
    role = role_phrase(facts.meta.get("unit", ""), facts.meta.get("position", ""))
    clauses = [c for c in (_period(facts), f"本人任{role}" if role else "", *duties) if c]
    return "，".join(clauses) + "。" if clauses else ""


def _unit_intro(facts: Facts) -> str:
    clauses = [c for c in (_period(facts), facts.meta.get("unit", "")) if c]
    return "，".join(clauses)
