"""`figure-ungrounded` (a figure the facts do not contain) and `fact-dropped` (a fact whose figures
and key terms appear nowhere in the draft)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from draftbot.checks.base import Hit
from draftbot.figures import Figure, FigureIndex, FigureOptions, extract_figures

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{3,}")
_DIMENSION_NAMES = {"money": "金额", "percent": "百分比", "points": "百分点", "area": "面积", "length": "长度",
                    "year": "年份", "date": "日期", "yearmonth": "年月", "month": "月份", "monthday": "日期",
                    "duration": "时长", "number": "数字"}


def facts_text(facts) -> str:
    """Everything in the facts a figure may come from: front matter values, headings, bullets."""
    parts = [str(v) for v in facts.meta.values()]
    stack = list(facts.groups)
    while stack:
        group = stack.pop()
        parts.append(group.heading)
        parts.extend(f.text for f in group.facts)
        stack.extend(group.subgroups)
    return "\n".join(parts)


def grounding_index(facts, period: int | None, allowed_years: Iterable[int], options: FigureOptions) -> FigureIndex:
    years = list(allowed_years)
    if period:
        years += [period - 1, period, period + 1]
    return FigureIndex(extract_figures(facts_text(facts), options), years)


def find_ungrounded(
    text: str, index: FigureIndex, options: FigureOptions, blanks: list[tuple[int, int]]
) -> list[Hit]:
    hits = []
    for fig in extract_figures(text, options):
        if _touches(fig, blanks) or index.grounds(fig):
            continue
        kind = _DIMENSION_NAMES.get(fig.dim, "数量")
        level = "warning" if fig.dim == "number" else "error"
        message = f"{kind}“{fig.text}”在事实文件中找不到依据（与事实中的数字都对不上）。"
        suggestion = "核对事实文件：确有此数就补进事实，否则改用事实中的数字或删去。"
        hits.append(Hit("figure-ungrounded", level, fig.start, fig.end, message, suggestion))
    return _merge_same_span(hits)


def _touches(fig: Figure, blanks: list[tuple[int, int]]) -> bool:
    return any(fig.start <= e and s <= fig.end for s, e in blanks)


def _merge_same_span(hits: list[Hit]) -> list[Hit]:
    seen: set[tuple[int, int]] = set()
    out = []
    for h in hits:
        if (h.start, h.end) not in seen:
            seen.add((h.start, h.end))
            out.append(h)
    return out


# ------------------------------------------------------------------ dropped facts


def trigrams(text: str) -> set[str]:
    out: set[str] = set()
    for run in _CJK_RUN.findall(text):
        out.update(run[i : i + 3] for i in range(len(run) - 2))
    return out


def find_dropped(facts, draft_text: str, options: FigureOptions) -> list[tuple[object, str]]:
    """(fact, message) for each fact the draft does not carry."""
    draft_figures = FigureIndex(extract_figures(draft_text, options))
    draft_grams = trigrams(draft_text)
    out = []
    for fact in facts.all_facts():
        figures = [f for f in extract_figures(fact.text, options) if f.dim != "number"]
        if any(draft_figures.grounds(f) for f in figures):
            continue
        grams = trigrams(fact.text)
        coverage = len(grams & draft_grams) / len(grams) if grams else 1.0
        if coverage >= 0.35:
            continue
        shown = "、".join(f.text for f in figures[:3])
        detail = f"其中的数字（{shown}）和" if figures else ""
        out.append((fact, f"事实“{_clip(fact.text)}”{detail}关键内容在草稿中都没有出现。"))
    return out


def _clip(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
