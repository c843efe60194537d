"""`garbled-formulation`: a canonical formulation or fixed name written one or two characters off
(missing, extra, swapped or replaced), found by edit distance rather than by listing the garbles.

The names come from the rule files (`fixed_names:` and every substitution's right form), the unit
names the facts give, and the institution names the document itself repeats (a name written the same
way three times and once with a character off is garbled there). Precision first:

- a word left out or added (an abbreviation or a longer form) and a conjunction or 的 changed are
  wording, not garbling;
- only names of at least 6 characters are matched (短的“四个意识”“政治站位” would meet ordinary words:
  四个认识, 政治定位); one edit up to 9 characters, two from 10;
- the span must start and end with the name's first and last characters, lie within one clause, and
  not be the name itself or another known name;
- a difference in numerals only is another name (党的十九大 / 党的二十大, 三中全会 / 四中全会), unless
  the numerals are merely reordered (十大九).

Candidates are found by the pigeonhole principle: a span within k edits of a name contains one of its
k+1 pieces exactly, so only the places where a piece occurs (and the name itself does not) are aligned.
"""

from __future__ import annotations

import re

from draftbot.checks.base import Hit, without_overlaps
from draftbot.checks.registry import CheckContext, check

RULE = "garbled-formulation"
MIN_LENGTH = 6
_NUMERALS = frozenset("零〇一二两三四五六七八九十百千0123456789")
_BREAKS = frozenset("，。；！？,;!?\n：:“”《》（）()")
_SUFFIXES = ("中学", "小学", "大学", "学院", "学校", "幼儿园", "管委会", "委员会", "人民政府", "人民法院", "人民检察院",
             "研究院", "研究所", "医院", "中心", "集团", "公司")
INSTITUTION = re.compile(rf"[\u4e00-\u9fff]{{2,6}}(?:{'|'.join(_SUFFIXES)})")
_SUFFIX = re.compile("|".join(sorted(_SUFFIXES, key=len, reverse=True)))
_NAME_CHARS = re.compile(r"[\u4e00-\u9fff]{2,6}$")


@check(RULE, label="表述写错", order=130, level="错误",
       doc="与规范表述和正式名称（`fixed_names.yaml`、各条 substitutions 的正确写法、要点中的单位名、文中反复出现的机构名）"
           "差一两个字：缺字、多字、倒字或错字，按编辑距离找出；只比较 6 个字以上的名称，简称、扩写、和/及/、的替换、"
           "只差数字的另一个名称（十九大/二十大）不报；已由 formulation-noncanonical 或 typo 报告的不重复报告")
def run(ctx: CheckContext) -> list[Hit]:
    from draftbot.checks.formulations import noncanonical_hits
    from draftbot.checks.typos import typo_hits

    rules = ctx.rules
    fixed = rules.fixed_names + [s.right for s in rules.substitutions if s.applies(ctx.period)]
    names = names_for(ctx.masked, fixed, _facts_names(ctx.facts))
    taken = [(h.start, h.end) for h in noncanonical_hits(ctx) + typo_hits(ctx)]
    return [h for h in find_garbled(ctx.masked, names) if not any(h.start < e and s < h.end for s, e in taken)]


def _facts_names(facts) -> list[str]:
    """The unit names a facts file gives: its `unit` and the institution names in its bullets."""
    if facts is None:
        return []
    units = re.split(r"[、，,；;/\s]+", str(facts.meta.get("unit", "")))
    return [u for u in units if u] + [m.group() for m in INSTITUTION.finditer(facts.text())]


def names_for(text: str, fixed: list[str], facts_names: list[str]) -> list[str]:
    """The names to look for: the fixed ones, the facts' unit names and the institution names this
    text writes at least three times the same way (up to six characters before 中学, 委员会 …: found
    from the suffixes, which are rare, rather than by trying a name at every character)."""
    counts: dict[str, int] = {}
    for m in _SUFFIX.finditer(text):
        before = _NAME_CHARS.search(text, max(0, m.start() - 6), m.start())
        if before is not None:
            name = before.group() + m.group()
            counts[name] = counts.get(name, 0) + 1
    repeated = [n for n, c in counts.items() if c >= 3]
    return [n for n in dict.fromkeys([*fixed, *facts_names, *repeated]) if len(n) >= MIN_LENGTH]


def find_garbled(text: str, names: list[str]) -> list[Hit]:
    known = set(names)
    hits: list[Hit] = []
    for name in names:
        k = 1 if len(name) < 10 else 2
        exact = _occurrences(text, name)
        for start in _candidates(text, name, k, exact):
            found = _best_span(text, name, start, k)
            if found is None:
                continue
            s, e, d = found
            span = text[s:e]
            if span in known or any(a <= s and e <= b for a, b in exact) or _numerals_only(span, name):
                continue
            if not _garbling(name, span):
                continue
            if any(c in _BREAKS for c in span):
                continue
            hits.append(Hit(RULE, "error", s, e,
                            f"“{span}”与规范表述“{name}”相差{d}个字，疑似写错（缺字、多字、倒字或错字）。",
                            f"改为“{name}”。"))
    return without_overlaps(hits)


def _occurrences(text: str, word: str) -> list[tuple[int, int]]:
    out = []
    at = text.find(word)
    while at != -1:
        out.append((at, at + len(word)))
        at = text.find(word, at + 1)
    return out


def _candidates(text: str, name: str, k: int, exact: list[tuple[int, int]]) -> list[int]:
    """Start positions to try: around each occurrence of one of the name's k+1 pieces that is not
    inside an exact occurrence of the name."""
    m = len(name)
    size = m // (k + 1)
    pieces = [(i * size, name[i * size : (i + 1) * size if i < k else m]) for i in range(k + 1)]
    starts: set[int] = set()
    for offset, piece in pieces:
        at = text.find(piece)
        while at != -1:
            if not any(a <= at < b for a, b in exact):
                starts.add(max(0, at - offset - k))
            at = text.find(piece, at + 1)
    return sorted(starts)


def _best_span(text: str, name: str, around: int, k: int) -> tuple[int, int, int] | None:
    """The span starting within k+1 of `around` with the name's first and last characters and the
    smallest distance (1..k) to the name."""
    m = len(name)
    best = None
    for s in range(around, min(len(text), around + 2 * k + 1)):
        if text[s] != name[0]:
            continue
        window = text[s : s + m + k]
        row_ends = _distances(name, window)
        for e_len in range(max(2, m - k), min(len(window), m + k) + 1):
            if window[e_len - 1] != name[-1]:
                continue
            d = row_ends[e_len]
            if 1 <= d <= k and (best is None or d < best[2]):
                best = (s, s + e_len, d)
    return best


def _distances(name: str, window: str) -> list[int]:
    """Optimal-string-alignment distance of `name` to each prefix window[:j] (index j)."""
    m, n = len(name), len(window)
    prev2: list[int] | None = None
    prev = list(range(n + 1))
    for i in range(1, m + 1):
        cur = [i] + [0] * n
        a = name[i - 1]
        for j in range(1, n + 1):
            b = window[j - 1]
            cost = 0 if a == b else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and a == window[j - 2] and name[i - 2] == b:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        prev2, prev = prev, cur
    return prev


def _numerals_only(span: str, name: str) -> bool:
    """True when the two differ only in numerals that are not a reordering (十九大 vs 二十大)."""
    strip = lambda s: "".join(c for c in s if c not in _NUMERALS)  # noqa: E731
    if strip(span) != strip(name):
        return False
    digits = lambda s: sorted(c for c in s if c in _NUMERALS)  # noqa: E731
    return digits(span) != digits(name)


_FUNCTION = frozenset("的之和及与、，并以暨同")


def _garbling(name: str, span: str) -> bool:
    """Are all the differences slips of the pen? A word left out or added (理论中心组 for 理论学习中心组,
    全面落实从严治党 for 全面从严治党) is a short or longer form, and 和 for 、 or an added 的 is wording."""
    from difflib import SequenceMatcher

    for op, i1, i2, j1, j2 in SequenceMatcher(None, name, span, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        left, right = name[i1:i2], span[j1:j2]
        if set(left + right) <= _FUNCTION:
            return False
        if op in ("insert", "delete") and len(left + right) >= 2:
            return False
    return True
