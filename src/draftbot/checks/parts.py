"""A document's own parts: its numbered and Markdown headings as a tree with text spans (any document).

Recognised heading lines (with or without a leading Markdown '#'): 第一部分, 一、 一. 一．, （一）,
1. 1、 1．, （1）, and plain Markdown headings (## 标题). The ranks are fixed (第一部分 above 一、 above
（一） above 1. above （1））; a Markdown heading without a number ranks by its '#' count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CN = "一二三四五六七八九十"
_NUMBERED = (
    (0, re.compile(rf"^第([{_CN}]{{1,3}})部分[、.．:：，,\s]*(.*)$")),
    (1, re.compile(rf"^([{_CN}]{{1,3}})\s*[、.．]\s*(.*)$")),
    (2, re.compile(rf"^[（(]([{_CN}]{{1,3}})[)）]\s*(.*)$")),
    (3, re.compile(r"^(\d{1,2})\s*[.．、](?!\d)\s*(.*)$")),
    (4, re.compile(r"^[（(](\d{1,2})[)）]\s*(.*)$")),
)
_MARKDOWN = re.compile(r"^(#{1,6})\s+(.*)$")
MAX_HEADING = 40


@dataclass
class Part:
    """One heading of the document and the text under it (its sub-parts included)."""

    rank: int
    number: str
    heading: str
    line: int  # 1-based line of the heading
    start: int  # offset of the heading line
    heading_end: int  # offset just after the heading text
    end: int = 0  # offset where the next part of the same or a higher rank starts
    depth: int = 0  # 0 for the top level of this document
    parent: int | None = None
    children: list[int] = field(default_factory=list)

    def label(self) -> str:
        if self.rank == 0:
            return f"第{self.number}部分 {self.heading}".strip()
        if self.rank == 1:
            return f"{self.number}、{self.heading}"
        if self.rank in (2, 4):
            return f"（{self.number}）{self.heading}"
        if self.rank == 3:
            return f"{self.number}. {self.heading}"
        return self.heading


_OPENERS = frozenset("#第" + _CN + "（(0123456789")


def heading_of(line: str) -> tuple[int, str, str, str] | None:
    """(rank, number, heading, inline body) when `line` opens a part of the document."""
    text = line.strip()
    if not text or text[0] not in _OPENERS:
        return None
    markdown = _MARKDOWN.match(text)
    if markdown:
        text = markdown.group(2).strip()
    for rank, pattern in _NUMBERED:
        m = pattern.match(text)
        if m and m.group(2).strip():
            heading, body = split_heading(m.group(2).strip())
            return (rank, m.group(1), heading, body) if heading else None
    if markdown and text:
        return len(markdown.group(1)) - 1, "", text, ""
    return None


def split_heading(rest: str) -> tuple[str, str]:
    """'永葆忠诚之心，做到“一心向党”。一方面……' -> (heading, body); ('', rest) for a plain sentence."""
    stop = min((i for i in (rest.find("。"), rest.find("：")) if i > 0), default=-1)
    if 0 < stop <= MAX_HEADING:
        return rest[:stop], rest[stop + 1 :].strip()
    if len(rest) <= MAX_HEADING:
        return rest.rstrip("。；;"), ""
    return "", rest


def read_outline(text: str, start: int = 0) -> list[Part]:
    """The parts of `text` from offset `start` on (front matter before it), in document order."""
    parts: list[Part] = []
    offset = start
    line_no = text.count("\n", 0, start) + 1
    for raw in text[start:].split("\n"):
        found = heading_of(raw)
        if found is not None and not (found[0] == 0 and not found[1] and not parts):  # '# 标题': the title
            rank, number, heading, _ = found
            at = raw.find(heading)
            heading_end = offset + (at + len(heading) if at != -1 else len(raw))
            parts.append(Part(rank, number, heading, line_no, offset, heading_end))
        offset += len(raw) + 1
        line_no += 1
    if parts:  # lower-ranked items before the first top-ranked heading belong to the opening (1.甲洪（副校长）)
        top = min(p.rank for p in parts)
        parts = parts[next(i for i, p in enumerate(parts) if p.rank == top) :]
    _nest(parts, len(text))
    return parts


def _nest(parts: list[Part], text_end: int) -> None:
    stack: list[int] = []
    for i, part in enumerate(parts):
        while stack and parts[stack[-1]].rank >= part.rank:
            parts[stack.pop()].end = part.start
        if stack:
            part.parent = stack[-1]
            part.depth = parts[stack[-1]].depth + 1
            parts[stack[-1]].children.append(i)
        stack.append(i)
    for i in stack:
        parts[i].end = text_end


def top_level(parts: list[Part]) -> list[Part]:
    return [p for p in parts if p.parent is None]


def paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each non-empty line between the offsets."""
    out = []
    at = start
    for raw in text[start:end].split("\n"):
        if raw.strip():
            out.append((at, at + len(raw)))
        at += len(raw) + 1
    return out
