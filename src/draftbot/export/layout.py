"""From a draft to the paragraphs of a 公文, and from check findings to the text they point at.

Pure Python (no python-docx): the writer turns these blocks into Word paragraphs, the reader
uses the same heading patterns to turn Word paragraphs back into a draft.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from draftbot.headings import STANDALONE_MAX, heading_level, paragraph_number

MD_PREFIX_RE = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|>\s*)?")


@dataclass
class Block:
    """One paragraph of the exported document.

    `lead` is the length of an inline lead sentence ("（一）加强理论武装。" at the start of a body
    paragraph) that takes the font of heading level `lead_level`.
    `line`/`column0` locate the paragraph in the draft file (1-based line, 0-based column).
    """

    kind: str  # title | heading1 | heading2 | heading3 | body
    text: str
    part: str = "body"  # title | opening | section | closing
    section: int | None = None
    lead: int = 0
    lead_level: int = 0
    line: int | None = None
    column0: int = 0


@dataclass
class Anchor:
    """A comment range: characters [start, end) of block `block`."""

    block: int
    start: int
    end: int
    finding: Any = field(repr=False)


def split_lead(text: str) -> int:
    """Length of the lead sentence of a numbered paragraph; len(text) when it is all heading."""
    end = text.find("。")
    if 0 <= end < len(text) - 1:
        return end + 1
    if end == len(text) - 1 or len(text) <= STANDALONE_MAX:
        return len(text)
    return 0


def classify(text: str, part: str, section: int | None) -> Block:
    """Turn one paragraph of draft text into a block (heading or body, with its lead)."""
    level = heading_level(text)
    if not level:
        return Block("body", text, part, section)
    lead = split_lead(text)
    if lead == len(text):
        return Block(f"heading{level}", text, part, section)
    return Block("body", text, part, section, lead=lead, lead_level=level if lead else 0)


HTML_COMMENT_RE = re.compile(r"^<!--.*-->$")


def paragraphs(text: str) -> list[str]:
    """The non-empty lines of a draft text, stripped: one line is one paragraph.

    Markers such as <!-- draftbot:failed --> are for draftbot, not for the reader of the 公文.
    """
    lines = (line.strip() for line in (text or "").splitlines())
    return [line for line in lines if line and not HTML_COMMENT_RE.match(line)]


def section_heading(section: Any) -> str:
    """'一、heading' for a draft section (the number is not repeated if the heading has it)."""
    heading = (section.heading or "").strip()
    number = (section.number or "").strip()
    if not number or heading_level(heading) == 1:
        return heading
    return f"{number}、{heading}"


def layout_draft(draft: Any) -> list[Block]:
    """The paragraphs of a draft in reading order."""
    blocks: list[Block] = []
    if (draft.title or "").strip():
        blocks.append(Block("title", draft.title.strip(), "title"))
    blocks += [classify(p, "opening", None) for p in paragraphs(draft.opening)]
    for index, section in enumerate(draft.sections):
        blocks.append(Block("heading1", section_heading(section), "section", index))
        blocks += [classify(p, "section", index) for p in paragraphs(section.body)]
    blocks += [classify(p, "closing", None) for p in paragraphs(draft.closing)]
    blocks += [Block("signature", line, "signature") for line in getattr(draft, "signature", None) or []]
    return blocks


def assign_lines(blocks: Sequence[Block], source: str) -> None:
    """Find each block's line in the draft file text, in order (front matter lines count)."""
    lines = source.splitlines()
    cursor = 0
    for block in blocks:
        probe = block.text[:24]
        for number in range(cursor, len(lines)):
            content = lines[number]
            prefix = len(MD_PREFIX_RE.match(content).group(0))
            at = content.find(probe, prefix)
            if at >= 0:
                block.line, block.column0 = number + 1, at
                cursor = number + 1
                break


def _norm(name: str) -> str:
    return re.sub(r"[\s#]", "", name or "")


def section_block(blocks: Sequence[Block], section: str | None, index: int | None = None) -> int | None:
    """Index of the heading block of a finding's section: by its 1-based index, else its name."""
    if index:
        for at, block in enumerate(blocks):
            if block.kind == "heading1" and block.section == index - 1:
                return at
    want = _norm(section or "")
    if not want:
        return None
    for index, block in enumerate(blocks):
        if block.kind != "heading1":
            continue
        have = _norm(block.text)
        bare = paragraph_number(1).sub("", have)
        if want in (have, bare) or want == have.split("、", 1)[0] or (len(want) >= 2 and want in have):
            return index
    return None


def _find_near(text: str, needle: str, expected: int) -> int:
    """Offset of the occurrence of `needle` in `text` closest to `expected`, or -1."""
    best, at = -1, text.find(needle)
    while at >= 0:
        if best < 0 or abs(at - expected) < abs(best - expected):
            best = at
        at = text.find(needle, at + 1)
    return best


def _anchor_in_block(blocks: Sequence[Block], index: int, finding: Any) -> Anchor:
    block = blocks[index]
    needle = (getattr(finding, "text", "") or "").strip()
    column = getattr(finding, "column", None) or 1
    if needle:
        at = _find_near(block.text, needle, column - 1 - block.column0)
        if at >= 0:
            return Anchor(index, at, at + len(needle), finding)
    return Anchor(index, 0, len(block.text), finding)


def _block_at_line(blocks: Sequence[Block], line: int | None) -> int | None:
    if not line:
        return None
    for index, block in enumerate(blocks):
        if block.line == line:
            return index
    return None


def _block_with_text(blocks: Sequence[Block], needle: str, section: int | None) -> int | None:
    if not needle:
        return None
    for index, block in enumerate(blocks):
        if needle in block.text and (section is None or block.section == section):
            return index
    return None


def anchor_finding(blocks: Sequence[Block], finding: Any) -> Anchor:
    """Where a finding's comment goes: its line and text; else its text in its section;
    else the section heading (a missing item); else the title."""
    index = _block_at_line(blocks, getattr(finding, "line", None))
    if index is not None:
        return _anchor_in_block(blocks, index, finding)
    heading = section_block(
        blocks, getattr(finding, "section", None), getattr(finding, "section_index", None)
    )
    section = blocks[heading].section if heading is not None else None
    needle = (getattr(finding, "text", "") or "").strip()
    index = _block_with_text(blocks, needle, section)
    if index is None and heading is None:
        index = _block_with_text(blocks, needle, None)
    if index is not None:
        return _anchor_in_block(blocks, index, finding)
    return Anchor(heading if heading is not None else 0, 0, len(blocks[heading or 0].text), finding)


def anchor_findings(blocks: Sequence[Block], findings: Iterable[Any]) -> list[Anchor]:
    if not blocks:
        return []
    return [anchor_finding(blocks, finding) for finding in findings]


def comment_text(finding: Any) -> str:
    """The text of a Word comment for a finding: level, the rule's Chinese name, message, suggestion
    (never the rule's English id: the comment is read by the office)."""
    from draftbot.checks.finding import LEVEL_NAMES, rule_label

    level = LEVEL_NAMES.get(str(getattr(finding, "level", "")), "")
    label = rule_label(str(getattr(finding, "rule", "")))
    head = f"【{level}】{label}：{finding.message}" if level else f"{label}：{finding.message}"
    suggestion = (getattr(finding, "suggestion", "") or "").strip()
    return f"{head}\n建议：{suggestion}" if suggestion else head


def segments(block: Block, anchors: Sequence[Anchor]) -> list[tuple[int, int, int]]:
    """Split a block into runs at its lead and at every comment boundary.

    Returns (start, end, level) triples; level is the lead's heading level or 0 for body text.
    """
    cuts = {0, len(block.text)}
    if block.lead:
        cuts.add(block.lead)
    for anchor in anchors:
        cuts.update((anchor.start, anchor.end))
    points = sorted(cut for cut in cuts if 0 <= cut <= len(block.text))
    return [(a, b, block.lead_level if a < block.lead else 0) for a, b in pairwise(points) if b > a]
