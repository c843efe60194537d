"""Formulation rules: `formulation-noncanonical` (wrong → right, enumerations incomplete or out of
order), `formulation-dated` (wording that is not current in the report's period) and
`formulation-missing` (a plan section's required formulations)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

from draftbot.checks.base import Hit, without_overlaps
from draftbot.checks.registry import CheckContext, check
from draftbot.checks.rules import DatedRule, Enumeration, Substitution

_SEPARATOR_CHARS = frozenset("、，,和及与“”\"'‘’")  # and whitespace; or the word 以及
_QUOTES = "“”\"'‘’「」"


# ------------------------------------------------------------------ canonical forms


@check("formulation-noncanonical", label="表述不规范", order=50, level="错误",
       doc="不规范表述（以习近平总书记为核心的党中央 → 以习近平同志为核心的党中央）；正式名称的倒字、错字、缺字和口语写法"
           "（党的十大九 → 十九大，习总书记 → 习近平总书记，八项规定学习教育 → 深入贯彻中央八项规定精神学习教育）；"
           "“四个意识”“四个自信”等列举不全或顺序错")
def run_noncanonical(ctx: CheckContext) -> list[Hit]:
    return noncanonical_hits(ctx)


def noncanonical_hits(ctx: CheckContext) -> list[Hit]:
    """The draft's formulation-noncanonical hits, once per draft (garbled-formulation leaves them be)."""
    return ctx.shared("noncanonical", lambda: find_noncanonical(ctx.masked, ctx.rules.substitutions,
                                                                ctx.rules.enumerations, ctx.period))


def find_noncanonical(text: str, subs: list[Substitution], enums: list[Enumeration],
                      period: int | None = None) -> list[Hit]:
    hits = without_overlaps(list(_substitutions(text, [s for s in subs if s.applies(period)])))
    taken = [(h.start, h.end) for h in hits]
    for hit in _enumerations(text, [e for e in enums if e.applies(period)]):
        if all(hit.end <= s or hit.start >= e for s, e in taken):
            hits.append(hit)
    return hits


def _substitutions(text: str, subs: list[Substitution]) -> Iterable[Hit]:
    for sub in subs:
        for wrong in sub.wrong:
            start = text.find(wrong)
            while start != -1:
                yield _substitution_hit(sub, text, start, start + len(wrong))
                start = text.find(wrong, start + len(wrong))
        for pattern in sub.patterns:
            for m in pattern.finditer(text):
                yield _substitution_hit(sub, text, m.start(), m.end())


def _substitution_hit(sub: Substitution, text: str, start: int, end: int) -> Hit:
    wrong = text[start:end]
    message = sub.message or f"{quoted(wrong)}不是规范表述，应为{quoted(sub.right)}。"
    if sub.source:
        message += f"（依据：{sub.source}）"
    return Hit("formulation-noncanonical", sub.level, start, end, message, f"改为{quoted(sub.right)}。")


def quoted(text: str) -> str:
    """“text”, unless the text already carries its own quotation marks."""
    return text if text.startswith("“") and text.endswith("”") else f"“{text}”"


def _enumerations(text: str, enums: list[Enumeration]) -> Iterable[Hit]:
    for enum in enums:
        for group in _groups(text, enum):
            hit = _judge(text, enum, group)
            if hit is not None:
                yield hit


def _words(enum: Enumeration) -> set[str]:
    words = list(enum.items)
    if enum.suffix:
        words += [i[: -len(enum.suffix)] for i in enum.items]
    if enum.prefix:
        words += [i[len(enum.prefix) :] for i in enum.items]
    return {w for w in words if w}


def _tokens(text: str, enum: Enumeration) -> list[tuple[int, int, str]]:
    """(start, end, word) for the enumeration's words in `text`: leftmost first, the longest where
    several start at one place, never overlapping — what a regex alternation of the words (longest
    first) finds, without compiling a regex per enumeration (costly for Chinese words)."""
    longest: dict[int, str] = {}
    for word in _words(enum):
        at = text.find(word)
        while at != -1:
            if len(word) > len(longest.get(at, "")):
                longest[at] = word
            at = text.find(word, at + 1)
    tokens: list[tuple[int, int, str]] = []
    reach = 0
    for at in sorted(longest):
        if at >= reach:
            reach = at + len(longest[at])
            tokens.append((at, reach, longest[at]))
    return tokens


def _item_index(enum: Enumeration, token: str) -> int:
    for i, item in enumerate(enum.items):
        if token == item or (enum.suffix and token + enum.suffix == item) or (
            enum.prefix and enum.prefix + token == item
        ):
            return i
    return -1


def _groups(text: str, enum: Enumeration) -> Iterable[list[tuple[int, int, str]]]:
    """Runs of the enumeration's items separated only by list separators (、，和)."""
    group: list[tuple[int, int, str]] = []
    for token in _tokens(text, enum):
        if group and token[0] - group[-1][1] <= 3 and _is_separator(text[group[-1][1] : token[0]]):
            group.append(token)
            continue
        if group:
            yield group
        group = [token]
    if group:
        yield group


def _is_separator(gap: str) -> bool:
    return gap == "以及" or all(ch in _SEPARATOR_CHARS or ch.isspace() for ch in gap)


def _judge(text: str, enum: Enumeration, group: list[tuple[int, int, str]]) -> Hit | None:
    tokens = [token for _, _, token in group]
    full = [t in enum.items for t in tokens]
    if len(tokens) < 2 or not any(full):
        return None
    if enum.suffix and not full[-1] or enum.prefix and not full[0]:
        return None  # 理论、制度 alone are ordinary words
    if _continues(text, group[0][0], group[-1][1]):
        return None  # a longer free list: 政治意识、大局意识和责任意识
    indices = [_item_index(enum, t) for t in tokens]
    if len(set(indices)) != len(indices):
        return None
    start, end = group[0][0], group[-1][1]
    canonical = "、".join(enum.items)
    source = f"（依据：{enum.source}）" if enum.source else ""
    missing = [enum.items[i] for i in range(len(enum.items)) if i not in indices]
    if missing and enum.complete:
        message = f"“{enum.name}”列举不完整，缺少“{'、'.join(missing)}”；规范写法为“{canonical}”。{source}"
        return Hit("formulation-noncanonical", enum.level, start, end, message, f"改为“{canonical}”。")
    if enum.ordered and indices != sorted(indices):
        message = f"“{enum.name}”的顺序不对，规范顺序为“{canonical}”。{source}"
        return Hit("formulation-noncanonical", enum.level, start, end, message, f"改为“{canonical}”。")
    return None


def complete_enumeration(text: str, enum: Enumeration) -> bool:
    """Does `text` write out every item of the enumeration in one list (道路、理论、制度、文化自信)?"""
    for group in _groups(text, enum):
        indices = {_item_index(enum, token) for _, _, token in group}
        if indices >= set(range(len(enum.items))):
            return True
    return False


def _continues(text: str, start: int, end: int) -> bool:
    """True when the run is part of a longer list with items of its own (……和责任意识)."""
    before = text[max(0, start - 2) : start]
    after = text[end : end + 3]
    if len(before) == 2 and before[1] in _LIST_JOINERS and _is_cjk(before[0]):
        return True
    after = after[2:] if after.startswith("以及") else after[1:] if after[:1] in _LIST_JOINERS else ""
    return bool(after) and _is_cjk(after[0])


_LIST_JOINERS = "、和及与"


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


# ------------------------------------------------------------------ dated wording


@check("formulation-dated", label="提法过时", needs=("period",), order=60, level="过时为错误，提前使用为警告",
       doc="过时的提法：如 2026 年报告把“十四五”当作现行规划、以党的十九大为指导、写“动态清零”，2022 年报告写参加"
           "“两学一做”学习教育；说明现在应如何写。回顾往年（“巩固……成果”“‘十四五’时期”）和展望下一年"
           "（2020 年报告写“十四五”）不算")
def run_dated(ctx: CheckContext) -> list[Hit]:
    return find_dated(ctx.masked, ctx.rules.dated, ctx.period, ctx.period_start)


def find_dated(text: str, rules: list[DatedRule], period: int, start: int | None = None) -> list[Hit]:
    """Wording not current in `period`: stale (its time was over before the report's first year
    `start`) at the rule's level; named before it was announced, a warning; named in the year before
    it starts, nothing (looking forward)."""
    hits = []
    spans: list[tuple[int, int]] = []  # words one rule reported are not reported again by another
    for rule in rules:
        if rule.is_stale(start or period):
            level = rule.level
        elif rule.is_early(period):
            level = "warning"
        else:
            continue
        for pattern in rule.patterns:
            for m in pattern.finditer(text):
                if any(m.start() < e and s < m.end() for s, e in spans):
                    continue  # two patterns (of one rule or two) on the same words
                spans.append(m.span())
                if not _in_history(text, m.start(), m.end(), rule.history_context):
                    hits.append(replace(_dated_hit(rule, m, period), level=level))
    return hits


_CLAUSE_ENDS = "，。；！？,;!?\n"


def _in_history(text: str, start: int, end: int, words: list[str]) -> bool:
    """Is a history word (回顾, 成果, 以来……) in the same clause as the match (at most 30 characters
    either side)? “巩固‘两学一做’学习教育成果” looks back; “积极参加‘两学一做’学习教育” does not."""
    lo = max(max(text.rfind(ch, max(0, start - 30), start) for ch in _CLAUSE_ENDS) + 1, start - 30, 0)
    hi = min((i for ch in _CLAUSE_ENDS if (i := text.find(ch, end, end + 30)) != -1), default=end + 30)
    window = text[lo:hi]
    return any(w in window for w in words)


def _dated_hit(rule: DatedRule, m: re.Match, period: int) -> Hit:
    label = rule.label or m.group()
    if rule.start is not None and period < rule.start:
        when = f"{rule.start}年起才使用"
    elif rule.start is not None and rule.until is not None:
        when = f"只在{rule.start}—{rule.until}年是当前表述" if rule.start != rule.until else f"是{rule.start}年的表述"
    else:
        when = f"只到{rule.until}年为当前表述"
    now = rule.now_text(period)
    message = f"{label}{when}，不适合作为{period}年报告的当前表述" + (f"：{now}。" if now else "。")
    if rule.source:
        message += f"（依据：{rule.source}）"
    suggestion = "改为当前表述；如确是回顾往年，请写明时期（如“‘十四五’时期”）。"
    return Hit("formulation-dated", rule.level, m.start(), m.end(), message, suggestion)


# ------------------------------------------------------------------ required formulations


@lru_cache(maxsize=4096)  # plan names and required formulations are normalised again and again
def normalise(text: str) -> str:
    """Text for presence tests: quotes and whitespace removed."""
    for quote in _QUOTES:
        text = text.replace(quote, "")  # much faster than str.translate on Chinese text
    return "".join(text.split())


def missing_required(body: str, required: list[str]) -> list[str]:
    flat = normalise(body)
    return [r for r in required if normalise(r) not in flat]
