"""A draft draftbot wrote against its plan, section by section: `section-missing`, `section-empty`,
`section-failed`, `section-order`, `section-length` (and unplanned sections as info). Documents draftbot
did not write are judged by coverage instead (checks.coverage)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from draftbot.checks.base import Hit
from draftbot.checks.formulations import normalise
from draftbot.checks.registry import CheckContext, Rule, check

_NON_TEXT = re.compile(r"\s|<!--.*?-->", re.S)


@dataclass(frozen=True, slots=True)
class Located:
    """A draft section with its span in the draft text."""

    index: int  # 1-based
    number: str
    heading: str
    body: str
    start: int  # offset of the heading line
    end: int
    heading_end: int
    id: str | None = None
    failed: bool = False
    prefix: str = ""  # "（一）" or "1. " when the text has no 一、 headings

    @property
    def label(self) -> str:
        return f"{self.prefix}{self.heading}" if self.prefix else f"{self.number}、{self.heading}"


_OWN = "自己的草稿"


@check("sections", label="章节完整性", needs=("plan",), order=10, rules=(
    Rule("section-missing", "缺少部分", f"{_OWN}：错误（提纲外的部分为提示）；其他文档：必备内容全文没有为错误，其余为提示；"
         "事实文件中有这部分的要点、文中却既没有这部分的标题也没有写到其中任何一条时为错误",
         f"提纲要求的部分缺失：{_OWN}按标题、别名匹配；其他文档按标题和内容判断（别处出现一个“廉”字不能代替整个廉洁部分）"),
    Rule("section-empty", "部分没有正文", "错误", "部分没有正文"),
    Rule("section-order", "部分顺序", f"警告（只查{_OWN}）", "顺序与提纲不一致"),
    Rule("section-length", "字数", f"警告（只查{_OWN}）", "字数超出提纲建议范围"),
))
def run(ctx: CheckContext) -> list[Hit]:
    return plan_structure(ctx)[0]


@check("section-failed", label="生成失败", order=20, level="错误",
       doc="大模型生成失败留下的标记（各部分、开头、结尾）")
def run_failed(ctx: CheckContext) -> list[Hit]:
    return failed_sections(ctx.sections) + ctx.failed_markers


def matched_plan(ctx: CheckContext) -> dict[str, Located]:
    """plan section id -> the draft section that covers it (match_plan), once per draft; {} without a plan."""
    if ctx.plan is None or not ctx.sections:
        return {}
    return ctx.shared("matched_plan", lambda: match_plan(ctx.plan, ctx.sections))


def plan_structure(ctx: CheckContext) -> tuple[list[Hit], dict]:
    """The plan's sections in the draft: (section-* hits, plan section id -> Scope of its required
    formulations). draftbot's own draft is held to its plan section by section; any other document
    only has to cover each plan section somewhere (checks.coverage)."""

    def compute():
        if ctx.own_draft:
            matched = matched_plan(ctx)
            hits = check_sections(ctx.plan, ctx.sections, len(ctx.masked.rstrip()), matched)
            return hits, own_draft_scopes(matched, ctx.sections, ctx.content_start)
        from draftbot.checks.coverage import guide_hits

        return guide_hits(ctx.plan, ctx.masked, ctx.sections, ctx.content_start, ctx.facts)

    return ctx.shared("plan_structure", compute)


def body_length(body: str) -> int:
    return len(_NON_TEXT.sub("", body))


def match_plan(plan, sections: list[Located]) -> dict[str, Located]:
    """plan section id -> the draft section that covers it (a draft section may cover two when its
    heading names both, e.g. 存在不足及下一步工作打算)."""
    scores: dict[str, list[tuple[int, Located]]] = {}
    views = [_View(s, plan) for s in sections]
    for ps in plan.sections:
        ranked = sorted(((_score(ps, v), v.section) for v in views), key=lambda x: -x[0])
        scores[ps.id] = [(sc, s) for sc, s in ranked if sc > 0]
    taken: dict[int, tuple[int, str]] = {}
    result: dict[str, Located] = {}
    order = sorted(plan.sections, key=lambda ps: -(scores[ps.id][0][0] if scores[ps.id] else 0))
    for ps in order:
        for score, section in scores[ps.id]:
            owner = taken.get(section.index)
            if owner is None or (score >= 300 and owner[0] >= 300):
                taken.setdefault(section.index, (score, ps.id))
                result[ps.id] = section
                break
    return result


class _View:
    """What matching needs from a draft section, computed once."""

    def __init__(self, section: Located, plan):
        best = plan.find_section(section.heading)
        self.section = section
        self.best_id = best.id if best is not None else None
        self.heading = normalise(section.heading)
        self.flat = normalise(section.body[:600])


def _score(ps, view: _View) -> int:
    section = view.section
    if section.id and section.id == ps.id:
        return 1000
    if view.best_id == ps.id:
        return 500
    if any(len(n) >= 2 and normalise(n) in view.heading for n in ps.names()):
        return 300
    words = [w for w in (*ps.keywords, *ps.aliases) if len(w) >= 2]
    score = sum(3 for w in words if w in view.heading)
    score += sum(1 for w in words if w in view.flat)
    score += sum(2 for r in ps.required if normalise(r) in view.flat)
    return score if score >= 3 else 0


def check_sections(plan, sections: list[Located], text_end: int,
                   matched: dict[str, Located] | None = None) -> list[Hit]:
    """`matched`: match_plan(plan, sections), when the caller has it already."""
    matched = match_plan(plan, sections) if matched is None else matched
    hits: list[Hit] = []
    for position, ps in enumerate(plan.sections):
        section = matched.get(ps.id)
        if section is None:
            hits.append(_missing(plan, ps, position, sections, matched, text_end))
            continue
        hits.extend(_section_hits(ps, section))
    hits.extend(_order(plan, matched))
    covered = {s.index for s in matched.values()}
    for section in sections:
        if section.index not in covered:
            message = f"“{section.label}”不在提纲“{plan.name}”中（提纲之外的部分）。"
            hits.append(Hit("section-missing", "info", section.start, section.heading_end, message,
                            "确认是否需要这一部分，或把内容并入提纲中的相应部分。", section.index))
    return hits


def _missing(plan, ps, position, sections, matched, text_end) -> Hit:
    # place the finding where the section should have been: before the next planned section found
    later = [matched[p.id] for p in plan.sections[position + 1 :] if p.id in matched]
    at = min((s.start for s in later), default=text_end)
    message = f"缺少提纲“{plan.name}”要求的部分“{ps.heading}”。"
    names = "、".join(ps.aliases[:3])
    suggestion = f"补写“{ps.heading}”部分" + (f"（也可用“{names}”等标题）。" if names else "。")
    return Hit("section-missing", "error", at, at, message, suggestion)


def _section_hits(ps, section: Located) -> list[Hit]:
    span = (section.start, section.heading_end)
    if section.failed:
        return []  # reported by section-failed
    length = body_length(section.body)
    if length == 0:
        return [Hit("section-empty", "error", *span, f"“{section.label}”没有正文。", "补写这一部分的内容。",
                    section.index)]
    hits = []
    low, high = ps.length
    if not low <= length <= high:
        side = "偏短" if length < low else "偏长"
        message = f"“{section.label}”正文 {length} 字，{side}（提纲建议 {low}—{high} 字）。"
        advice = "补充事实和做法。" if length < low else "压缩重复的表述。"
        hits.append(Hit("section-length", "warning", *span, message, advice, section.index))
    return hits


def failed_sections(sections: list[Located]) -> list[Hit]:
    """section-failed for every section whose body is draftbot's failure marker."""
    return [Hit("section-failed", "error", s.start, s.heading_end,
                f"“{s.label}”生成失败，正文是失败标记，需要重新生成。", "运行下面的 draftbot regen 命令重写这一部分。",
                s.index) for s in sections if s.failed]


def own_draft_scopes(matched: dict[str, Located], sections: list[Located], content_start: int) -> dict:
    """Where each plan section's required formulations are looked for in a draft draftbot wrote:
    the opening and the draft section matched to it."""
    from draftbot.checks.base import Scope

    opening = (content_start, sections[0].start if sections else content_start)
    return {sid: Scope([opening, (s.start, s.end)], (s.start, s.heading_end), s.label, s.index)
            for sid, s in matched.items()}


def _order(plan, matched: dict[str, Located]) -> list[Hit]:
    hits = []
    previous = None  # (plan section, draft section) furthest down the draft so far
    for ps in plan.sections:
        section = matched.get(ps.id)
        if section is None:
            continue
        if previous is not None and section.index < previous[1].index:
            message = (f"顺序与提纲“{plan.name}”不一致：“{ps.heading}”应在“{previous[0].heading}”之后，"
                       f"草稿中的“{section.label}”却排在“{previous[1].label}”之前。")
            hits.append(Hit("section-order", "warning", section.start, section.heading_end, message,
                            "按提纲顺序调整各部分。", section.index))
        if previous is None or section.index >= previous[1].index:
            previous = (ps, section)
    return hits
