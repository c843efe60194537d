"""千人一面: near-identical paragraphs across the reports of different people (a check of a whole batch).

Each paragraph is reduced to its own text (the plan's standard sentences and required wording taken
out, punctuation dropped) and compared by the Jaccard similarity of its character 3-grams; a pair at
or above SIMILAR from the reports of two different people is reported, once per pair of sections.

Near-linear instead of comparing every paragraph with every other: an inverted index of 3-grams with
prefix and positional filtering (PPJoin: Xiao et al., "Efficient similarity joins for near
duplicate detection", 2008). With every paragraph's grams ordered rarest first, two paragraphs with
Jaccard >= t share a gram among the first |x| - ceil(t·|x|) + 1 of each, so only paragraphs sharing
one of their rarest grams become candidates; length and position bounds drop most of those, and
each candidate left is verified exactly: the pairs found are the ones comparing all pairs finds.
(MinHash/LSH would be approximate; the index is exact and needs no tuning.)
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain

SIMILAR = 0.8  # 3-gram Jaccard at or above which two paragraphs count as near-identical
MIN_PARAGRAPH = 16  # characters (after standard sentences are taken out) worth comparing

_PUNCT = re.compile(r"[\s，。、；：！？“”‘’（）()《》【】,.;:!?\"'—…·-]+")
_SENTENCE = re.compile(r"(?<=[。！？；])")


@dataclass
class Similar:
    """Two reports of different people with (near-)identical paragraphs."""

    a: str
    b: str
    section_a: str
    section_b: str
    similarity: float
    excerpt: str

    def message(self) -> str:
        return (
            f"千人一面：{self.a}（{self.section_a}）与 {self.b}（{self.section_b}）有一段相似度 "
            f"{self.similarity:.0%}：“{self.excerpt}”"
        )


@dataclass(frozen=True)
class Paragraph:
    """One paragraph's own text, as compared: whose report it is and where."""

    report: int  # the report's position in the batch
    person: str
    section: str  # 第一部分
    shown: str  # the kept sentences as written (the excerpt comes from it)
    grams: frozenset[str]


@dataclass(frozen=True)
class Report:
    """A drafted report of a batch: how it is named, whose it is, its plan and its parsed draft."""

    name: str
    person: str
    plan: object
    draft: object  # draftbot.draft.Draft


def cross_report_check(reports: list[Report], threshold: float = SIMILAR) -> list[Similar]:
    """Pairs of paragraphs, from reports of different people, whose own text is (nearly) the same."""
    paragraphs: list[Paragraph] = []
    standards: dict[int, tuple[set[str], list[str]]] = {}  # per plan object: computed once
    for index, report in enumerate(reports):
        if id(report.plan) not in standards:
            required = [p for s in report.plan.all_sections() for p in s.required]
            standards[id(report.plan)] = (standard_sentences(report.plan), required)
        standard, required = standards[id(report.plan)]
        paragraphs += report_paragraphs(report.draft, standard, required, index, report.person)
    return similar_paragraphs(paragraphs, [r.name for r in reports], threshold)


def report_paragraphs(draft, standard: set[str], required: list[str], report: int, person: str) -> list[Paragraph]:
    out = []
    for section in draft.sections:
        for paragraph in section.paragraphs():
            own, shown = own_text(paragraph, standard, required)
            if len(own) >= MIN_PARAGRAPH:
                out.append(Paragraph(report, person, f"第{section.number}部分", shown, grams(own)))
    return out


def similar_paragraphs(paragraphs: list[Paragraph], names: list[str], threshold: float = SIMILAR) -> list[Similar]:
    """The Similar findings of `paragraphs` (names[p.report]: how a report is named), in paragraph
    order; one per pair of reports and sections (the first pair of paragraphs found)."""
    found: list[Similar] = []
    seen: set[tuple] = set()
    for i, j, score in similar_pairs(paragraphs, threshold):
        a, b = paragraphs[i], paragraphs[j]
        key = (a.report, b.report, a.section, b.section)
        if key not in seen:
            seen.add(key)
            excerpt = a.shown[:40] + ("……" if len(a.shown) > 40 else "")
            found.append(Similar(names[a.report], names[b.report], a.section, b.section, score, excerpt))
    return found


def similar_pairs(paragraphs: list[Paragraph], threshold: float = SIMILAR) -> list[tuple[int, int, float]]:
    """(i, j, Jaccard) for every i < j of different reports and people at or above `threshold`, sorted.

    PPJoin: paragraphs are taken shortest first; each probes the index with its first
    |x| - ceil(t·|x|) + 1 grams (rarest first) and is then indexed by its first
    |x| - ceil(2t/(1+t)·|x|) + 1; a candidate is dropped as soon as the grams left cannot reach the
    overlap a Jaccard of t needs (positional filter). Each bound is one gram looser than the lemma:
    the filters only have to be safe, the verification is exact."""
    need = Fraction(str(threshold))
    p, q = need.numerator, need.denominator  # t = p/q exactly, as the threshold is written
    frequency = Counter(chain.from_iterable(par.grams for par in paragraphs))
    rank = {g: r for r, g in enumerate(sorted(frequency, key=lambda g: (frequency[g], g)))}  # rarest first
    sizes = [len(par.grams) for par in paragraphs]
    index: dict[str, list[tuple[int, int]]] = {}  # gram -> (paragraph, the gram's position in it)
    pairs = []
    for x in sorted(range(len(paragraphs)), key=lambda k: (sizes[k], k)):
        ordered = sorted(paragraphs[x].grams, key=rank.__getitem__)
        nx = sizes[x]
        overlap: dict[int, int] = {}  # candidate -> grams shared so far (-1: cannot reach the threshold)
        for i, gram in enumerate(ordered[: nx - _ceil(p * nx, q) + 2]):
            for y, j in index.get(gram, ()):
                count = overlap.get(y, 0)
                if count < 0:
                    continue
                ny = sizes[y]  # <= nx: indexed earlier
                # a partner has at least t·|x| grams; the overlap needed is t/(1+t)·(|x|+|y|)
                if (ny + 1) * q < p * nx or count + 2 + min(nx - i - 1, ny - j - 1) < _ceil(p * (nx + ny), p + q):
                    overlap[y] = -1
                else:
                    overlap[y] = count + 1
        a = paragraphs[x]
        for y, count in overlap.items():
            b = paragraphs[y]
            if count <= 0 or a.report == b.report or a.person == b.person:
                continue
            shared = len(a.grams & b.grams)
            score = shared / (nx + sizes[y] - shared)  # the Jaccard similarity
            if score >= threshold:
                pairs.append((min(x, y), max(x, y), score))
        for i, gram in enumerate(ordered[: nx - _ceil(2 * p * nx, p + q) + 2]):
            index.setdefault(gram, []).append((x, i))
    return sorted(pairs)


def _ceil(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _norm(text: str) -> str:
    return _PUNCT.sub("", text)


def grams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 3] for i in range(len(text) - 2))


def standard_sentences(plan) -> set[str]:
    """The plan's own wording every report may share: example openings and closings, default points,
    required formulations."""
    texts: list[str] = []
    for section in plan.all_sections():
        texts += [section.opening.replace("{intro}", "").replace("{leader}", ""), getattr(section, "closing", "") or ""]
        texts += list(section.default_points) + list(section.required)
    out = set()
    for text in texts:
        for sentence in _SENTENCE.split(text):
            norm = _norm(sentence)
            if len(norm) >= 6:
                out.add(norm)
    return out


def own_text(paragraph: str, standard: set[str], required: list[str]) -> tuple[str, str]:
    """The paragraph without its standard sentences (those of the plan, or made of required wording):
    (normalised text, the kept sentences as written)."""
    kept, shown = [], []
    for sentence in _SENTENCE.split(paragraph):
        norm = _norm(sentence)
        if not norm or any(norm in s or s in norm for s in standard if len(s) >= 12 or s == norm):
            continue
        rest = norm
        for phrase in required:
            rest = rest.replace(_norm(phrase), "")
        if len(rest) < 8:
            continue
        kept.append(norm)
        shown.append(sentence.strip())
    return "".join(kept), "".join(shown)
