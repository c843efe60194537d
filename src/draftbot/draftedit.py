"""Replacing one part of a draft file's text (opening, a section's body, closing, front matter)
while every other byte stays as it is, hand edits and their formatting included.

A part is named by a key: "opening", "closing", a section's 1-based position (int), or a sub-item
of a section: (position, "二") for its （二） sub-heading, from that line to the next sub-heading or
the end of the section.
"""

from __future__ import annotations

import re

from draftbot.draft import CLOSING, CLOSING_MARKER, OPENING, SIGNATURE_MARKER, Draft, parse_draft
from draftbot.headings import LEVEL_PATTERNS, split_inline_heading

PartKey = str | int | tuple[int, str]
_SUB_HEAD = re.compile(r"^[ \t\u3000]*[（(]([一二三四五六七八九十]+)[)）]", re.M)
_TOP = LEVEL_PATTERNS[0][1]


class _Lines:
    """Line start offsets of a text (line numbers are 1-based)."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self.starts.append(index + 1)

    @property
    def count(self) -> int:
        return len(self.starts)

    def start(self, line: int) -> int:
        return self.starts[line - 1] if line <= self.count else len(self.text)

    def after(self, line: int) -> int:
        """The offset just past line `line` (its newline included)."""
        return self.start(line + 1)

    def line(self, line: int) -> str:
        return self.text[self.start(line) : self.after(line)].rstrip("\n")


def part_keys(draft: Draft) -> list[PartKey]:
    return [OPENING, *range(1, len(draft.sections) + 1), CLOSING]


def part_label(draft: Draft, key: PartKey) -> str:
    if isinstance(key, tuple):
        return f"第{draft.sections[key[0] - 1].number}部分中的{sub_heading(part_body(draft, key))}"
    if key == OPENING:
        return "开头"
    if key == CLOSING:
        return "结尾"
    return draft.sections[int(key) - 1].full_heading


def part_body(draft: Draft, key: PartKey) -> str:
    if isinstance(key, tuple):
        body = draft.sections[key[0] - 1].body
        start, end = _sub_span(body, key[1])
        return body[start:end].strip()
    if key == OPENING:
        return draft.opening
    if key == CLOSING:
        return draft.closing
    return draft.sections[int(key) - 1].body


def sub_heading(text: str) -> str:
    """（二）项目建设 from a sub-item's text (its number and title, up to the first 。；：)."""
    match = re.match(r"\s*[（(]([一二三四五六七八九十]+)[)）]\s*([^。；：:\n]{0,30})", text)
    return f"（{match.group(1)}）{match.group(2).strip()}" if match else ""


def _sub_span(body: str, number: str) -> tuple[int, int]:
    """Offsets in `body` of the sub-item （number）: its heading line to the next sub-heading."""
    heads = list(_SUB_HEAD.finditer(body))
    for index, match in enumerate(heads):
        if match.group(1) == number:
            end = heads[index + 1].start() if index + 1 < len(heads) else len(body)
            return match.start(), end
    raise KeyError(number)


def with_sub_heading(current: str, body: str) -> str:
    """A sub-item's new text under its old heading: the answer's own （N）/title at the start is
    dropped, the heading is written as it was (on its own line, or inline before 。)."""
    heading = sub_heading(current)
    title = heading.partition("）")[2]
    text = re.sub(r"^\s*[（(][一二三四五六七八九十]+[)）]\s*", "", body.strip())
    if title and text.startswith(title):
        text = text[len(title) :].lstrip("。：:．. \t")
    first = current.strip().split("\n", 1)[0]
    rest = first.strip()[len(heading) :] if first.strip().startswith(heading) else first
    if not rest.strip(" 。：:．.\t"):  # the heading stood on its own line
        return f"{heading}{rest.strip()}\n{text}"
    joint = rest.strip()[0] if rest.strip()[0] in "。：:．." else ""
    return f"{heading}{joint}{text}"


def _closing_line(lines: _Lines, first: int) -> int | None:
    for number in range(first, lines.count + 1):
        if lines.line(number).strip() == CLOSING_MARKER:
            return number
    return None


def _signature_line(lines: _Lines, first: int) -> int | None:
    for number in range(first, lines.count + 1):
        if lines.line(number).strip() == SIGNATURE_MARKER:
            return number
    return None


def _boundary(draft: Draft, lines: _Lines, after_line: int) -> int | None:
    """The first line after `after_line` that starts another part (heading, closing or signature marker)."""
    heads = [s.line for s in draft.sections if s.line > after_line]
    marker = _closing_line(lines, after_line + 1)
    signature = _signature_line(lines, after_line + 1)
    found = [n for n in (*heads, marker, signature) if n is not None]
    return min(found) if found else None


def _title_line(draft: Draft, lines: _Lines) -> int | None:
    if not draft.title:
        return None
    last = draft.sections[0].line if draft.sections else lines.count + 1
    for number in range(draft.body_start_line, min(last, lines.count + 1)):
        stripped = lines.line(number).strip()
        if stripped in (f"# {draft.title}", draft.title):
            return number
        if stripped:
            return None
    return None


def _region(draft: Draft, lines: _Lines, key: PartKey) -> tuple[int, int, bool]:
    """(start, end, has_boundary): the offsets of the part's text region."""
    if key == CLOSING:
        marker = _closing_line(lines, draft.body_start_line)
        signature = _signature_line(lines, draft.body_start_line)
        end = lines.start(signature) if signature else len(lines.text)
        if marker is None:
            return end, end, signature is not None
        return lines.after(marker), end, signature is not None
    if key == OPENING:
        head = _title_line(draft, lines) or draft.body_start_line - 1
        start = lines.after(head) if head else 0
    else:
        section = draft.sections[int(key) - 1]
        head = section.line
        start = lines.after(head)
        inline = _inline_body(lines.line(head))
        if inline:
            start = lines.start(head) + lines.line(head).find(inline)
    end_line = _boundary(draft, lines, head)
    return start, (lines.start(end_line) if end_line else len(lines.text)), end_line is not None


def _inline_body(line: str) -> str:
    top = _TOP.match(line.strip())
    if not top or not top.group(2).strip():
        return ""
    heading, inline = split_inline_heading(top.group(2).strip())
    return inline if heading else ""


def sub_item_at(text: str, key: tuple[int, str], line: int, draft: Draft | None = None) -> bool:
    """True when line `line` of `text` lies in the sub-item `key`."""
    draft = draft or parse_draft(text)
    lines = _Lines(text)
    start, end, _ = _region(draft, lines, key[0])
    sub_start, sub_end = _sub_span(text[start:end], key[1])
    return start + sub_start <= lines.start(line) < start + sub_end


def part_at_line(text: str, line: int, draft: Draft | None = None) -> PartKey | None:
    """The part that line `line` of `text` belongs to (None: front matter, title, headings)."""
    draft = draft or parse_draft(text)
    lines = _Lines(text)
    offset = lines.start(line)
    for key in part_keys(draft):
        start, end, _ = _region(draft, lines, key)
        if start <= offset < end:
            return key
    return None


def paragraphs(body: str) -> str:
    """A part's text as the draft file writes it: one paragraph per line, blank lines between."""
    return "\n\n".join(p.strip() for p in body.split("\n") if p.strip())


def replace_part(text: str, key: PartKey, body: str, draft: Draft | None = None) -> str:
    """`text` with the part `key` replaced by `body`; every byte outside that part unchanged."""
    draft = draft or parse_draft(text)
    lines = _Lines(text)
    new = paragraphs(body)
    if isinstance(key, tuple):
        start, end, _ = _region(draft, lines, key[0])
        sub_start, sub_end = _sub_span(text[start:end], key[1])
        start, end = start + sub_start, start + sub_end
        region = text[start:end]
        lead, trail = len(region) - len(region.lstrip()), len(region.rstrip())
        return text[: start + lead] + new + text[start + trail :]
    if key == CLOSING and _closing_line(lines, draft.body_start_line) is None:
        if not new:
            return text
        signature = _signature_line(lines, draft.body_start_line)
        if signature is not None:
            at = lines.start(signature)
            return f"{text[:at]}{CLOSING_MARKER}\n\n{new}\n\n{text[at:]}"
        joint = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        return f"{text}{joint}{CLOSING_MARKER}\n\n{new}\n"
    start, end, bounded = _region(draft, lines, key)
    region = text[start:end]
    if region.strip():
        lead = len(region) - len(region.lstrip())
        trail = len(region.rstrip())
        return text[: start + lead] + new + text[start + trail :]
    if not new:
        return text
    before = "" if start == 0 or text[start - 1] == "\n" else "\n"
    return text[:start] + f"{before}\n{new}\n" + ("\n" if bounded else "") + text[end:]


def set_front_matter(text: str, meta: dict) -> str:
    """`text` with its YAML front matter replaced by `meta` (added when there was none)."""
    from draftbot.yamlio import dump_yaml

    block = f"---\n{dump_yaml(meta).rstrip(chr(10))}\n---\n"
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() == "---":
                rest = "\n".join(lines[end + 1 :])
                return block + rest
    return block + "\n" + text


def merge_rewrite(old: str, new: str, current: str) -> str | None:
    """Apply the parts `new` changed from `old` onto `current` (the file as it is now, perhaps
    edited by hand or by another regen meanwhile). None when `current` changed one of those parts
    too, or the parts no longer line up (a section added or removed): the caller must not guess."""
    if current == old:
        return new
    before, after, now = parse_draft(old), parse_draft(new), parse_draft(current)
    keys = part_keys(before)
    if part_keys(after) != keys or part_keys(now) != keys:
        return None
    merged = current
    for key in keys:
        if part_body(after, key) == part_body(before, key):
            continue
        if part_body(now, key) != part_body(before, key):
            return None  # both sides changed this part
        merged = replace_part(merged, key, part_body(after, key))
    if after.meta != before.meta:
        merged = set_front_matter(merged, _merged_meta(before.meta, after.meta, now.meta))
    return merged


def _merged_meta(old: dict, new: dict, current: dict) -> dict:
    """`current`'s front matter with what `new` changed from `old` (logs: both sides' new entries)."""
    merged = dict(current)
    for key, value in new.items():
        was, now = old.get(key), current.get(key)
        if value == was:
            continue
        if isinstance(value, list) and isinstance(was or [], list) and isinstance(now, list):
            merged[key] = [*now, *(entry for entry in value[len(was or []):] if entry not in now)]
        elif isinstance(value, dict) and isinstance(was or {}, dict) and isinstance(now, dict):
            merged[key] = {**now, **{k: v for k, v in value.items() if (was or {}).get(k) != v}}
        else:
            merged[key] = value
    return merged
