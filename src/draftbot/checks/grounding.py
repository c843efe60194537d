"""`figure-ungrounded` (a figure the facts do not contain) and `fact-dropped` (a fact whose figures
and key terms appear nowhere in the draft)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from pathlib import Path

from draftbot.checks.base import MAX_PER_RULE, Hit
from draftbot.checks.registry import CheckContext, Rule, check
from draftbot.figures import Figure, FigureIndex, FigureOptions, extract_figures, iter_figures

_DIMENSION_NAMES = {"money": "金额", "percent": "百分比", "points": "百分点", "area": "面积", "length": "长度",
                    "year": "年份", "date": "日期", "yearmonth": "年月", "month": "月份", "monthday": "日期",
                    "duration": "时长", "number": "数字"}


@check("grounding", label="数字出处", needs=("facts",), order=80, rules=(
    Rule("figure-ungrounded", "数字无依据", "错误",
         "草稿中的数字（金额、百分比、百分点、面积、长度、个数、年份日期）在要点中找不到；2.5亿元 与 25000万元 视为"
         "同一数字，35% 不能作为 35亿元 的依据；“三年来”“两个维护”等不算数字"),
    Rule("fact-dropped", "要点未写入", "警告", "某条要点的数字和关键词在草稿中都没有出现"),
))
def run(ctx: CheckContext) -> list[Hit]:
    """Both rules in one pass over the draft's figures: each distinct one that fact-dropped can use
    is noted on the way (one with an amount of the facts, or a date or year)."""
    from draftbot.checks.placeholders import blanks

    options = ctx.figure_options
    unique: dict = {}
    wanted = fact_figure_bases(ctx.facts, options)
    figures = _noting_unique(iter_figures(ctx.masked, options), unique, wanted)
    spans = [(h.start, h.end) for h in blanks(ctx)]
    hits = find_ungrounded(figures, facts_index(ctx), spans, MAX_PER_RULE)
    return hits + _dropped(ctx, list(unique.values()))


def facts_index(ctx: CheckContext) -> FigureIndex | None:
    """The facts' figures (with the years a report may name), once per draft; None without facts."""
    if ctx.facts is None:
        return None
    return ctx.shared("facts_index", lambda: grounding_index(ctx.facts, ctx.period, ctx.rules.allowed_years,
                                                             ctx.figure_options))


def facts_text_of(ctx: CheckContext) -> str:
    return "" if ctx.facts is None else ctx.shared("facts_text", lambda: facts_text(ctx.facts))


def _noting_unique(figures, unique: dict, wanted: set[float]):
    """Pass the figures through (one pass, none kept), noting in `unique` each distinct one that
    find_dropped can use: one with an amount of the facts, or a date or year."""
    for fig in figures:
        if fig.key[1] in wanted or fig.dim.startswith(("date", "year")):
            unique.setdefault((fig.dim, fig.base, fig.value), fig)
        yield fig


def _dropped(ctx: CheckContext, figures: list[Figure]) -> list[Hit]:
    """A dropped fact is placed at the heading of the section it belongs to (by the plan's
    routing), or at the top of the draft when that is unknown."""
    facts = ctx.facts
    homes = _fact_homes(ctx)
    hits = []
    for fact, message in find_dropped(facts, ctx.masked, figures, ctx.figure_options):
        source = getattr(facts, "source", None)
        where = f"（{Path(source).name} 第 {fact.line} 行）" if source else f"（事实第 {fact.line} 行）"
        home = homes.get(id(fact))
        at = ctx.content_start
        start, end, index = (home.start, home.heading_end, home.index) if home else (at, at, None)
        hits.append(Hit("fact-dropped", "warning", start, end, message + where, "把这条事实写进相应部分。", index))
    return hits


def _fact_homes(ctx: CheckContext) -> dict:
    """id(fact) -> the draft section (Located) where the plan routes it."""
    from draftbot.checks.sections import matched_plan

    matched = matched_plan(ctx)
    if not matched:
        return {}
    from draftbot.plans import route_facts

    homes: dict = {}
    for section_id, groups in route_facts(ctx.facts, ctx.plan).by_section.items():
        if section_id in matched:
            for group in groups:
                homes.update((id(fact), matched[section_id]) for fact in group.all_facts())
    return homes


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
