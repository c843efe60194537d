"""`figure-ungrounded` (a figure the facts do not contain) and `fact-dropped` (a fact whose figures
and key terms appear nowhere in the draft)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from draftbot.checks.base import Hit
from draftbot.figures import Figure, FigureIndex, FigureOptions, extract_figures

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


def find_ungrounded(figures: Iterable[Figure], index: FigureIndex, blanks: list[tuple[int, int]],
                    limit: int | None = None) -> list[Hit]:
    """`figures` are the draft's (extract_figures of the checked text); `blanks` the placeholder spans.
    After `limit` hits the rest are only counted (see checks.run.cap_hits)."""
    hits = []
    more = 0
    verdicts: dict[tuple, bool] = {}  # a long draft repeats its figures: judge each once
    for fig in figures:
        key = (fig.dim, fig.base, fig.value, fig.approx, fig.text)
        grounded = verdicts.get(key)
        if grounded is None:
            grounded = index.grounds(fig)
            if len(verdicts) < 50_000:  # bounded: a runaway draft has millions of distinct figures
                verdicts[key] = grounded
        if grounded or _touches(fig, blanks):
            continue
        if limit is not None and len(hits) >= limit:
            more += 1
            continue
        kind = _DIMENSION_NAMES.get(fig.dim, "数量")
        level = "warning" if fig.dim == "number" else "error"
        message = f"{kind}“{fig.text}”在事实文件中找不到依据（与事实中的数字都对不上）。"
        suggestion = "核对事实文件：确有此数就补进事实，否则改用事实中的数字或删去。"
        hits.append(Hit("figure-ungrounded", level, fig.start, fig.end, message, suggestion))
    return _merge_same_span(hits) + ([more_hit("figure-ungrounded", more, hits[-1].start)] if more else [])


def more_hit(rule: str, count: int, at: int) -> Hit:
    """One line for the findings of `rule` past the listing limit: counted, not listed."""
    return Hit(rule, "info", at, at, f"另有 {count} 处同类问题（{rule}）未逐一列出：问题太多，请先处理上面列出的。")


def _touches(fig: Figure, blanks: list[tuple[int, int]]) -> bool:
    """Does the figure touch a blank (the 20 of 20**年)? `blanks` is sorted by start."""
    i = bisect_right(blanks, (fig.end, len(blanks) and 1 << 62))
    return any(fig.start <= e and s <= fig.end for s, e in blanks[max(0, i - 2) : i])


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
    """Three-character windows inside runs of Chinese characters."""
    out: set[str] = set()
    for i in range(len(text) - 2):
        gram = text[i : i + 3]
        if all("\u4e00" <= ch <= "\u9fff" for ch in gram):
            out.add(gram)
    return out


def fact_figure_bases(facts, options: FigureOptions) -> set[float]:
    """The amounts of the facts' figures (other than plain numbers): the draft figures find_dropped needs."""
    return {f.key[1] for fact in facts.all_facts() for f in extract_figures(fact.text, options) if f.dim != "number"}


def find_dropped(facts, draft_text: str, figures: list[Figure], options: FigureOptions) -> list[tuple[object, str]]:
    """(fact, message) for each fact the draft does not carry; `figures` are the draft's."""
    fact_figures = {id(fact): [f for f in extract_figures(fact.text, options) if f.dim != "number"]
                    for fact in facts.all_facts()}
    wanted = {f.key[1] for figs in fact_figures.values() for f in figs}
    unique = {(f.dim, f.base, f.value): f for f in figures}.values()
    draft_index = FigureIndex(f for f in unique if f.key[1] in wanted or f.dim.startswith(("date", "year")))
    out = []
    for fact in facts.all_facts():
        figs = fact_figures[id(fact)]
        if any(draft_index.grounds(f) for f in figs) or _terms_present(fact.text, draft_text):
            continue
        shown = "、".join(f.text for f in figs[:3])
        detail = f"其中的数字（{shown}）和" if figs else ""
        out.append((fact, f"事实“{_clip(fact.text)}”{detail}关键内容在草稿中都没有出现。"))
    return out


def _terms_present(fact_text: str, draft_text: str, share: float = 0.35) -> bool:
    """Do at least `share` of the fact's 3-character terms occur in the draft? (stops early)"""
    grams = trigrams(fact_text)
    if not grams:
        return True
    need, found = share * len(grams), 0
    for gram in grams:
        if gram in draft_text:
            found += 1
            if found >= need:
                return True
    return False


def _clip(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
