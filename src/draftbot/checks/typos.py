"""`typo`: misspellings from the lexicon in data/rules/typos.yaml (and a user's --rules files).

Each entry is a wrong form (a literal, or a regex whose `right` may use \\1) with its right form,
its level (必错 error, 疑似 warning, 提示 info) and optional context: a regex that must (before /
after) or must not (not_before / not_after) touch the wrong form, and words that cancel it when they
occur in the same sentence (not_near: 既使……又…… is correct). A user's `words:` (their unit's own
terms) silence every entry inside them. Literal forms are found with str.find: no regex is compiled
for the ~550 plain entries, so a cold check pays nothing for the lexicon's size, and an entry with a
character the text does not contain is not searched for at all.
"""

from __future__ import annotations

from draftbot.checks.base import Hit, without_overlaps
from draftbot.checks.registry import CheckContext, check
from draftbot.checks.rules import TypoRule

RULE = "typo"
_SENTENCE_ENDS = "。；！？;!?\n"
_NEAR = 20  # how far (in characters, within the sentence) not_near words are looked for


@check(RULE, label="错别字", order=100, level="必错为错误，疑似为警告，用词建议为提示",
       doc="易错词词库（`typos.yaml`，五百多条：严于律已 → 严于律己，布署 → 部署，截止2025年 → 截至，并列的“即……又……” → 既；"
           "可用 `--rules` 追加、`typo_disable:` 停用、`words:` 声明本单位用语）中的错别字，按上下文判断"
           "（“既使……又……”等固定搭配不算）")
def run(ctx: CheckContext) -> list[Hit]:
    return typo_hits(ctx)


def typo_hits(ctx: CheckContext) -> list[Hit]:
    """The draft's typo hits, once per draft (garbled-formulation leaves them be)."""
    return ctx.shared("typos", lambda: find_typos(ctx.masked, ctx.rules.active_typos(), ctx.rules.words))


def find_typos(text: str, typos: list[TypoRule], words: list[str] | tuple = ()) -> list[Hit]:
    """One hit per misspelling; where two entries overlap, the longer span wins."""
    protected = _spans(text, words)
    present = set(text)  # an entry with a character the text lacks cannot occur: most are skipped at once
    hits = []
    for rule in typos:
        if rule.pattern is None and not present.issuperset(rule.wrong):
            continue
        for start, end, right in _occurrences(text, rule):
            if _fits(text, start, end, rule) and not _inside(start, end, protected):
                hits.append(_hit(text, rule, start, end, right))
    return without_overlaps(hits)


def _occurrences(text: str, rule: TypoRule):
    if rule.pattern is not None:
        for m in rule.pattern.finditer(text):
            if m.end() > m.start():
                yield m.start(), m.end(), m.expand(rule.right)
        return
    at = text.find(rule.wrong)
    while at != -1:
        yield at, at + len(rule.wrong), rule.right
        at = text.find(rule.wrong, at + len(rule.wrong))


def _fits(text: str, start: int, end: int, rule: TypoRule) -> bool:
    """Does the context around text[start:end] allow the entry?"""
    if rule.before is not None and not _ends_before(rule.before, text, start):
        return False
    if rule.not_before is not None and _ends_before(rule.not_before, text, start):
        return False
    if rule.after is not None and not rule.after.match(text, end):
        return False
    if rule.not_after is not None and rule.not_after.match(text, end):
        return False
    if rule.not_near:
        lo, hi = _sentence(text, start, end)
        window = text[lo:start] + "\0" + text[end:hi]
        if any(w in window for w in rule.not_near):
            return False
    return True


def _ends_before(pattern, text: str, start: int) -> bool:
    """Does a match of `pattern` end exactly at `start` (looking back at most 12 characters)?"""
    lo = max(0, start - 12)
    return any(m.end() == start for m in pattern.finditer(text, lo, start))


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    lo = max([text.rfind(ch, max(0, start - _NEAR), start) for ch in _SENTENCE_ENDS] + [start - _NEAR - 1, -1]) + 1
    ends = [i for ch in _SENTENCE_ENDS if (i := text.find(ch, end, end + _NEAR)) != -1]
    return lo, min(ends, default=min(len(text), end + _NEAR))


def _spans(text: str, words) -> list[tuple[int, int]]:
    spans = []
    for word in words:
        at = text.find(word) if word else -1
        while at != -1:
            spans.append((at, at + len(word)))
            at = text.find(word, at + 1)
    return spans


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _hit(text: str, rule: TypoRule, start: int, end: int, right: str) -> Hit:
    wrong = text[start:end]
    kind = {"error": "错别字", "warning": "疑似错别字", "info": "用词建议"}[rule.level]
    message = f"{kind}：“{wrong}”应为“{right}”。" + (f"{rule.note}。" if rule.note else "")
    message = message.replace("。。", "。")
    return Hit(RULE, rule.level, start, end, message, f"改为“{right}”。")
