"""Which plan sections a document covers, by its own headings and by what its paragraphs say.

For a document draftbot did not write, the plan is a guide: a plan section is present when a part's
heading names it (any level: 一、 （一） 1.), or when a paragraph anywhere carries enough of the
section's cue words (`cues`, `min_cues` in the plan). One part may cover several plan sections and a
plan section may live in a sub-part. The fallback section (工作成效) only counts paragraphs outside
the opening and outside parts named for other sections. A section is missing only when neither is
found: an error for the plan's `core` sections, a note (info) otherwise — and an error, too, for a
section the facts file has content for when the document has neither its heading nor any of those
facts (a stray 廉 word elsewhere does not make up for a missing 廉洁 section).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from draftbot.checks.base import Hit
from draftbot.checks.parts import Part, paragraphs


@dataclass(frozen=True, slots=True)
class Cover:
    """Where a plan section lives in the document: parts named for it, or parts holding its content."""

    section_id: str
    by: str  # "heading", "content" or "" (absent)
    spans: list[tuple[int, int]]  # text spans that carry the section (heading parts, or paragraphs)
    parts: list[Part]


def named_sections(plan, heading: str, names: list[tuple[str, list[str]]] | None = None) -> set[str]:
    """Ids of the plan sections a heading names: the best match, and every section one of whose
    names (two characters or more) it contains (存在不足及下一步工作打算 names two).
    `names`: section_names(plan), when the caller has it already."""
    from draftbot.plans import normalise_heading

    key = normalise_heading(heading)
    best = plan.find_section(heading)
    ids = {best.id} if best is not None else set()
    for section_id, norms in names if names is not None else section_names(plan):
        if any(n in key for n in norms):
            ids.add(section_id)
    return ids


def section_names(plan) -> list[tuple[str, list[str]]]:
    """(section id, its heading and aliases of two characters or more, normalised) for each section."""
    from draftbot.plans import normalise_heading

    return [(ps.id, [n for n in map(normalise_heading, ps.names()) if len(n) >= 2]) for ps in plan.sections]


def cover_plan(plan, text: str, parts: list[Part], start: int) -> dict[str, Cover]:
    """plan section id -> Cover, for the text from `start` (after any front matter): the parts named
    for the section first, then the parts whose paragraphs carry its content."""
    names = section_names(plan)
    memo: dict[str, set[str]] = {}  # a long document repeats its sub-headings
    named = [memo[p.heading] if p.heading in memo else memo.setdefault(p.heading, named_sections(plan, p.heading, names))
             for p in parts]
    body = parts[0].start if parts else len(text)
    lines = paragraphs(text, start, len(text))
    holder = _Holders(parts, lines)
    cues = _CueIndex(text, lines)
    out: dict[str, Cover] = {}
    for ps in plan.sections:
        own = [p for p, ids in zip(parts, named, strict=True) if ps.id in ids]
        found = [(s, e) for s, e in cues.paragraphs(ps.cues, ps.min_cues)
                 if not (ps.fallback and _elsewhere(holder.of(s), named, s, body, ps.id))]
        holders = [parts[i] for i in (holder.of(s) for s, _ in found) if i is not None]
        by = "heading" if own else "content" if found else ""
        out[ps.id] = Cover(ps.id, by, [(p.start, p.end) for p in own] + found, _unique(own + holders))
    return out


def _elsewhere(index: int | None, named: list[set[str]], offset: int, body: int, section_id: str) -> bool:
    """Is the paragraph at `offset` in the opening, or in a part (`index`: its innermost part) named
    for another plan section?"""
    if offset < body:
        return True
    ids = named[index] if index is not None else set()
    return bool(ids - {section_id})


class _CueIndex:
    """Where each cue word occurs, by paragraph: one pass of str.find per distinct cue over the text."""

    def __init__(self, text: str, lines: list[tuple[int, int]]):
        self.text = text
        self.lines = lines
        self.starts = [s for s, _ in lines]
        self.seen: dict[str, list[int]] = {}

    def where(self, cue: str) -> list[int]:
        """Indexes (into `lines`) of the paragraphs holding each occurrence of `cue`."""
        if cue not in self.seen:
            out, at = [], self.text.find(cue, self.starts[0] if self.starts else 0)
            while at != -1:
                i = bisect_right(self.starts, at) - 1
                if i >= 0 and at + len(cue) <= self.lines[i][1]:
                    out.append(i)
                at = self.text.find(cue, at + len(cue))
            self.seen[cue] = out
        return self.seen[cue]

    def paragraphs(self, cues: list[str], least: int) -> list[tuple[int, int]]:
        """The paragraphs with at least `least` occurrences of the cues, in document order."""
        counts: dict[int, int] = {}
        for cue in cues:
            for i in self.where(cue):
                counts[i] = counts.get(i, 0) + 1
        return [self.lines[i] for i in sorted(counts) if counts[i] >= least]


class _Holders:
    """The innermost part holding each paragraph start, found once (bisect, then up the parents)."""

    def __init__(self, parts: list[Part], lines: list[tuple[int, int]]):
        starts = [p.start for p in parts]
        self.found: dict[int, int | None] = {}
        for offset, _ in lines:
            i = bisect_right(starts, offset) - 1
            while i >= 0 and not parts[i].start <= offset < parts[i].end:
                i = parts[i].parent if parts[i].parent is not None else -1
            self.found[offset] = i if i >= 0 else None

    def of(self, offset: int) -> int | None:
        return self.found.get(offset)


def _unique(parts: list[Part]) -> list[Part]:
    return list({id(p): p for p in parts}.values())


def missing_sections(plan, covers: dict[str, Cover], at: int, owed: dict[str, str] | None = None) -> list[Hit]:
    """section-missing for each plan section the document covers neither by heading nor content, or
    (`owed`: section id -> the facts file's name) has facts for but neither its heading nor any of
    them; placed at `at` (the top of the document: it concerns the whole)."""
    hits = []
    owed = owed or {}
    for ps in plan.sections:
        if covers[ps.id].by and ps.id not in owed:
            continue
        level = "error" if ps.core or ps.id in owed else "info"
        what = "是这类报告必备的内容" if ps.core else "可考虑补写"
        if ps.id in owed:
            what = f"事实文件“{owed[ps.id]}”中有这方面的要点，草稿中一条也没有写到"
        message = (f"全文没有写到提纲“{plan.name}”中“{ps.heading}”方面的内容"
                   f"（既没有相应标题，也没有相应段落），{what}。")
        names = "、".join(ps.aliases[:3])
        suggestion = f"补写“{ps.heading}”方面的内容" + (f"（如“{names}”）。" if names else "。")
        hits.append(Hit("section-missing", level, at, at, message, suggestion))
    return hits


def guide_hits(plan, text: str, sections, content_start: int, facts=None) -> tuple[list[Hit], dict]:
    """For a document draftbot did not write: missing sections by coverage (and sections the facts
    have bullets for that the document does not write), and the scopes (opening + the parts that
    carry each plan section) for its required formulations."""
    from draftbot.checks.parts import read_outline

    parts = read_outline(text, content_start)
    covers = cover_plan(plan, text, parts, content_start)
    owed = owed_sections(plan, facts, covers, text) if facts is not None else {}
    hits = missing_sections(plan, covers, content_start, owed)
    return hits, guide_scopes(covers, parts, sections, content_start, len(text))


def owed_sections(plan, facts, covers: dict[str, Cover], text: str) -> dict[str, str]:
    """Plan sections the facts have bullets for, that the document neither heads nor writes a single
    one of those bullets in (a bullet is written when a 4-character run of its wording, or one of its
    figures, is in the text): section id -> the facts file's name."""
    from pathlib import Path

    from draftbot.plans import route_facts

    name = Path(str(facts.source)).name if getattr(facts, "source", None) else "要点"
    owed = {}
    for section_id, groups in route_facts(facts, plan).by_section.items():
        bullets = [f for g in groups for f in g.all_facts()]
        if not bullets or covers.get(section_id) is None or covers[section_id].by == "heading":
            continue
        if not any(_written(f.text, text) for f in bullets):
            owed[section_id] = name
    return owed


def _written(bullet: str, text: str) -> bool:
    import re

    for run in re.findall(r"[\u4e00-\u9fff]{4,}|\d+(?:\.\d+)?", bullet):
        if run.isdigit() and len(run) < 2:
            continue
        pieces = [run] if not "\u4e00" <= run[0] <= "\u9fff" else [run[i:i + 4] for i in range(len(run) - 3)]
        if any(p in text for p in pieces):
            return True
    return False


def guide_scopes(covers: dict[str, Cover], parts: list[Part], sections, content_start: int, end: int) -> dict:
    """plan section id -> Scope: the opening and the parts (or paragraphs) that carry the section."""
    from draftbot.checks.base import Scope

    opening = (content_start, parts[0].start if parts else end)
    scopes = {}
    for sid, cover in covers.items():
        if not cover.by:
            continue
        spans = [(p.start, p.end) for p in cover.parts] or cover.spans
        first = cover.parts[0] if cover.parts else None
        at = (first.start, first.heading_end) if first else (cover.spans[0][0], cover.spans[0][0])
        label = first.label() if first is not None else ""
        index = next((s.index for s in sections if s.start <= at[0] < s.end), None)
        scopes[sid] = Scope([opening, *spans], at, label, index, len(cover.parts) > 1)
    return scopes
