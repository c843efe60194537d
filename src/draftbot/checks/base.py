"""What every check module shares: a hit at an offset, and a masked view of the draft text."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

MAX_PER_RULE = 1000  # findings of one rule listed; past it they are counted (a runaway draft has millions)


@dataclass(frozen=True, slots=True)
class Hit:
    """A finding before it is placed: offsets into the draft text instead of line/column."""

    rule: str
    level: str
    start: int
    end: int
    message: str
    suggestion: str = ""
    section_index: int | None = None  # set by checks that know the section without an offset


@dataclass(frozen=True, slots=True)
class Scope:
    """Where one plan section's formulations are looked for, and where a finding about it goes."""

    spans: list[tuple[int, int]]
    at: tuple[int, int]  # the finding's span (a heading, or an empty span)
    label: str  # "一、政治建设", or "" for the whole report
    index: int | None = None  # the draft section (for regen --section)
    several: bool = False  # the section is spread over several parts (label names the first)


def without_overlaps(hits: list[Hit]) -> list[Hit]:
    """Hits on overlapping words (two rules, or a literal and a pattern of one): the leftmost, and of
    those starting together the longest, is kept."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def front_matter_end(text: str) -> int:
    m = _FRONT_MATTER.match(text)
    return m.end() if m else 0


def mask_text(text: str) -> str:
    """The text with front matter and HTML comments blanked out (offsets and lines unchanged)."""

    def blank(m: re.Match) -> str:
        return re.sub(r"[^\n]", " ", m.group())

    end = front_matter_end(text)
    masked = blank_range(text, 0, end) if end else text
    return _COMMENT.sub(blank, masked)


def blank_range(text: str, start: int, end: int) -> str:
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


class LineIndex:
    """Offset -> (line, column), both 1-based."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_col(self, offset: int) -> tuple[int, int]:
        i = bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1

    def line_start(self, line: int) -> int:
        return self.starts[max(0, min(line, len(self.starts)) - 1)]
