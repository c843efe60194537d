"""The draft file: YAML front matter, a title, the opening, numbered sections, the closing.

`parse_draft` also reads text a user edited or pasted from Word: headings are recognised from
lines that start with 一、 (with or without a Markdown '#').
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from draftbot.errors import DraftFormatError, InputError
from draftbot.headings import (
    LEVEL_PATTERNS,
    chinese_number,
    looks_like_title,
    paragraph_number,
    split_inline_heading,
)
from draftbot.textio import read_text

CLOSING_MARKER = "<!-- draftbot:closing -->"
SIGNATURE_MARKER = "<!-- draftbot:signature -->"  # the closing block (署名, 成文日期) follows
FAILED_MARKER_RE = re.compile(r"<!--\s*draftbot:failed(?:\s+reason=\"([^\"]*)\")?\s*-->")
FAILED_TEXT_RE = re.compile(  # the visible text of a failed section in an exported .docx
    r"^【本部分生成失败：(.*)。请运行 draftbot regen 草稿文件(?: --section (\S+)| --failed)? 重新生成。】$"
)
_TOP = LEVEL_PATTERNS[0][1]
OPENING = "opening"  # part keys besides a section's 1-based position
CLOSING = "closing"
PART_NAMES = {"开头": OPENING, "开头段": OPENING, "导语": OPENING, "结尾": CLOSING, "结尾段": CLOSING, "结束语": CLOSING}


def make_failed_body(reason: str, number: str = "") -> str:
    """The body of a section the model could not write; `check` and `regen` recognise it."""
    safe = reason.replace('"', "'").replace("\n", " ")[:200]
    where = f" --section {number}" if number else " --failed"
    return (
        f'<!-- draftbot:failed reason="{safe}" -->\n'
        f"【本部分生成失败：{safe}。请运行 draftbot regen 草稿文件{where} 重新生成。】"
    )


@dataclass
class DraftSection:
    """A 一、 section of a draft: number, heading, body."""

    number: str
    heading: str
    body: str
    id: str | None = None
    line: int = 0

    @property
    def failed(self) -> bool:
        return bool(FAILED_MARKER_RE.search(self.body))

    @property
    def failure_reason(self) -> str:
        match = FAILED_MARKER_RE.search(self.body)
        return (match.group(1) or "") if match else ""

    @property
    def full_heading(self) -> str:
        return f"{self.number}、{self.heading}"

    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.split("\n") if p.strip()]


@dataclass
class Draft:
    """A parsed draft file: front matter, title, opening, sections, closing."""

    meta: dict = field(default_factory=dict)
    title: str = ""
    opening: str = ""
    sections: list[DraftSection] = field(default_factory=list)
    closing: str = ""
    path: Path | None = None
    body_start_line: int = 1
    signature: list[str] = field(default_factory=list)  # 落款: 述职人/单位 lines, then the 成文日期

    def render(self) -> str:
        from draftbot.yamlio import dump_yaml

        out: list[str] = []
        if self.meta:
            dumped = dump_yaml(self.meta)
            out += ["---", dumped.rstrip("\n"), "---", ""]
        if self.title:
            out += [f"# {self.title}", ""]
        if self.opening.strip():
            out += [_paragraphs(self.opening), ""]
        for section in self.sections:
            out += [f"## {section.full_heading}", ""]
            if section.body.strip():
                out += [_paragraphs(section.body), ""]
        if self.closing.strip():
            out += [CLOSING_MARKER, "", _paragraphs(self.closing), ""]
        if self.signature:
            out += [SIGNATURE_MARKER, "", *[x for line in self.signature for x in (line, "")]]
        return "\n".join(out)

    def section_by_number(self, number: int | str) -> DraftSection:
        key = chinese_number(number) if isinstance(number, int) else str(number)
        if key.isdigit():
            key = chinese_number(int(key))
        for section in self.sections:
            if section.number == key:
                return section
        raise DraftFormatError(f"草稿中没有第“{key}”部分。")

    def find_part(self, spec: str, aliases: dict[str, list[str]] | None = None) -> str | int | tuple[int, str]:
        """--section's value -> OPENING, CLOSING or a section's 1-based position.

        Takes what people write: a number (3, 三, 第三部分, 三、), 开头 / 结尾, the heading or any words
        of it, a name of the plan's section (`aliases`: section id -> names, e.g. 履职成效), or a
        sub-item （一） / its words, which names that sub-item: (position, "一"). A miss or an ambiguous
        name lists the parts with their numbers."""
        spec = str(spec).strip()
        if spec in PART_NAMES:
            return PART_NAMES[spec]
        key = _number_key(spec)
        bare = re.sub(r"^[一二三四五六七八九十]+、\s*", "", spec)
        sub_items = {i: _sub_items(s.body) for i, s in enumerate(self.sections, 1)}
        names = {i: [s.heading, *((aliases or {}).get(s.id or "", []))] for i, s in enumerate(self.sections, 1)}
        for matches in (
            [i for i, s in enumerate(self.sections, 1) if key and s.number == key],
            [i for i, s in enumerate(self.sections, 1) if s.heading == bare],
            [i for i, s in enumerate(self.sections, 1) if bare and bare in s.heading],
            [i for i, n in names.items() if bare in n[1:]],
            [(i, item[1 : item.index("）")]) for i, items in sub_items.items() for item in items
             if _sub_match(bare, item)],
            _by_words(bare, names),
        ):  # fmt: skip
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                found = "、".join(f"“{self._match_name(m)}”" for m in matches)
                raise DraftFormatError(
                    f"“{spec}”同时对应 {found}，请写得更具体，或用序号。", hint=self.parts_listing()
                )
        what = f"第“{key}”部分" if key else f"“{spec}”这一部分"
        raise DraftFormatError(
            f"草稿中没有{what}（共 {len(self.sections)} 个部分）。",
            hint=self.parts_listing() + "用序号（3 或 三）、开头、结尾、标题中的文字或小标题（一）指定。",
        )

    def _match_name(self, match: int | tuple[int, str]) -> str:
        if isinstance(match, tuple):
            item = next(x for x in _sub_items(self.sections[match[0] - 1].body) if x[1:].startswith(match[1] + "）"))
            return f"{item}（在第{self.sections[match[0] - 1].number}部分中）"
        return self.sections[match - 1].full_heading

    def parts_listing(self) -> str:
        """The parts as --section names them: 草稿的各部分：开头；一、……；（一）……；结尾."""
        rows = ["开头"] if self.opening.strip() else []
        for section in self.sections:
            rows.append(f"{section.number}、{section.heading}")
            rows += [f"  {item}（在第{section.number}部分中）" for item in _sub_items(section.body)]
        if self.closing.strip():
            rows.append("结尾")
        return "草稿的各部分：\n" + "\n".join(f"  {row}" for row in rows) + "\n"

    def replace_section(self, number: int | str, body: str) -> None:
        self.section_by_number(number).body = body

    def text(self) -> str:
        parts = [self.title, self.opening]
        for section in self.sections:
            parts += [section.full_heading, section.body]
        parts.append(self.closing)
        return "\n".join(p for p in parts if p)


_SUB_ITEM = re.compile(r"^[（(]([一二三四五六七八九十]+)[)）]\s*([^。；\n]{0,30})", re.M)


def _number_key(spec: str) -> str:
    """三 for 3, 三, 第三部分, 第3部分, 三、 — else ""."""
    text = re.sub(r"^第(.+?)(?:部分|节|条)?$", r"\1", spec.strip()).rstrip("、.．")
    if text.isdigit() and 0 < int(text) < 100:
        return chinese_number(int(text))
    return text if text and all(c in "一二三四五六七八九十" for c in text) else ""


def _sub_items(body: str) -> list[str]:
    """The （一）… sub-headings in a section's body, as written (（一）工业经济)."""
    return [f"（{m.group(1)}）{m.group(2).strip()}" for m in _SUB_ITEM.finditer(body)]


def _sub_match(spec: str, item: str) -> bool:
    """（一）, (一) or words of the sub-heading name this sub-item."""
    spec = spec.replace("(", "（").replace(")", "）")
    number, _, words = item.partition("）")
    if spec.startswith("（"):
        head, _, rest = spec.partition("）")
        return head == number and (not rest or rest in words)
    return len(spec) >= 2 and spec in words


def _by_words(spec: str, names: dict[int, list[str]]) -> list[int]:
    """The sections whose heading or names share the most of the spec's two-character words
    (履职成效 → 成效); none unless at least half of them are found."""
    grams = {spec[i : i + 2] for i in range(len(spec) - 1)} - {"工作"}
    if not grams:
        return []
    scores = {i: sum(1 for g in grams if any(g in n for n in ns)) for i, ns in names.items()}
    best = max(scores.values(), default=0)
    if best * 2 < len(grams) or best == 0:
        return []
    return [i for i, score in scores.items() if score == best]


def _paragraphs(text: str) -> str:
    return "\n\n".join(p.strip() for p in text.split("\n") if p.strip())


def load_draft(path: str | Path) -> Draft:
    path = Path(path)
    if path.suffix.lower() == ".docx":
        return docx_to_draft(path)
    return parse_draft(read_text(path, "草稿"), path)


def parse_draft(text: str, path: Path | None = None) -> Draft:
    if not text.strip():
        raise DraftFormatError(f"草稿“{path or ''}”是空的。")
    meta, body, offset = _front_matter(text, path)
    draft = Draft(meta=meta, path=path, body_start_line=offset + 1)
    ids: dict = meta.get("section_ids") or {}
    before: list[str] = []
    closing: list[str] | None = None
    body, signature = _split_signature(body)
    bodies: list[list[str]] = []  # each section's lines, joined once at the end (linear in size)
    for index, raw in enumerate(body.split("\n")):
        line = raw.strip()
        if line == CLOSING_MARKER:
            closing = []
        elif closing is not None:
            closing.append(line)
        elif not _section_line(draft, line, offset + index + 1, ids, bodies):
            if line.startswith("# ") and not draft.title and not before:
                draft.title = line[2:].strip()
            elif line:
                before.append(line)
    for section, lines in zip(draft.sections, bodies, strict=True):
        section.body = "\n".join(lines).strip()
    if before and not draft.title and looks_like_title(before[0]):
        draft.title = before.pop(0)
    draft.opening = "\n".join(before)
    draft.closing = "\n".join(line for line in closing or [] if line)
    draft.signature = signature
    return draft


def _split_signature(body: str) -> tuple[str, list[str]]:
    """The text before the closing block's marker, and the block's lines (署名, 成文日期)."""
    lines = body.split("\n")
    for at, line in enumerate(lines):
        if line.strip() == SIGNATURE_MARKER:
            return "\n".join(lines[:at]), [x.strip() for x in lines[at + 1 :] if x.strip()]
    return body, []


def _section_line(draft: Draft, line: str, line_no: int, ids: dict, bodies: list[list[str]]) -> bool:
    """Start a section at a 一、 heading or add `line` to the current one; False before any."""
    top = _TOP.match(line)
    if top and top.group(2).strip():
        heading, inline = split_inline_heading(top.group(2).strip())
        if not heading:
            heading, inline = inline, ""
        draft.sections.append(DraftSection(top.group(1), heading, inline, ids.get(heading), line_no))
        bodies.append([inline])
        return True
    if not draft.sections:
        return False
    if line:
        bodies[-1].append(line)
    return True


def _front_matter(text: str, path: Path | None) -> tuple[dict, str, int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text, 0
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        return {}, text, 0
    from draftbot.yamlio import YamlSyntaxError, load_yaml

    try:
        meta = load_yaml("\n".join(lines[1:end])) or {}
    except YamlSyntaxError as exc:  # line 1 of the file is the opening ---
        raise DraftFormatError(
            f"草稿“{path or ''}”开头的 YAML 信息{exc.where(1)}格式错误：{exc.problem}"
        ) from exc
    if not isinstance(meta, dict):
        raise DraftFormatError(f"草稿“{path or ''}”开头的 YAML 信息应为“键: 值”形式。")
    check_meta(meta, f"草稿“{path or ''}”")
    return meta, "\n".join(lines[end + 1 :]), end + 1


# What draftbot itself writes in a draft's front matter, by key (other keys are the user's, kept).
_TEXT_KEYS = ("draftbot", "facts", "facts_sha256", "plan", "engine", "created")
_LIST_KEYS = ("samples", "regenerated", "repairs", "reviewed")
MAX_META_TEXT = 1000  # characters of a path or name in the front matter


def check_meta(meta: dict, label: str) -> None:
    """Refuse front matter whose draftbot keys have the wrong shape (a hand-edited or hostile draft)."""
    def bad(key: str, what: str):
        return DraftFormatError(f"{label}开头信息中的“{key}”{what}。", hint="请改正或删去这一项后重试。")

    for key in _TEXT_KEYS:
        value = meta.get(key)
        if value is None:
            continue
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise bad(key, "应是一段文字")
        text = str(value)
        if len(text) > MAX_META_TEXT:
            raise bad(key, f"太长（{len(text)} 个字符，最多 {MAX_META_TEXT} 个）")
        if not text.isprintable():
            raise bad(key, "含有控制字符（如 NUL）")
    for key in _LIST_KEYS:
        if meta.get(key) is not None and not isinstance(meta[key], list):
            raise bad(key, "应是一个列表")
    period = meta.get("period")
    if period is not None and (isinstance(period, (bool, dict, list)) or len(str(period)) > 40):
        raise bad("period", "应是年份，例如 2026")
    ids = meta.get("section_ids")
    if ids is not None and not (
        isinstance(ids, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in ids.items())
    ):
        raise bad("section_ids", "应是“标题: 部分 id”的对应表")
    if meta.get("usage") is not None and not isinstance(meta["usage"], dict):
        raise bad("usage", "应是“项: 数值”的对应表")


# -- drafts from Word -----------------------------------------------------------------------------


def docx_to_draft(path: str | Path) -> Draft:
    """Read a .docx (exported by draftbot or written by hand) back as a Draft.

    The text goes through parse_draft, so sections are recognised exactly as in a .md draft;
    the front matter, the title style and the closing bookmark come from the file.
    """
    from draftbot.docx_reader import docx_front_matter, read_paragraphs

    paragraphs = [p for p in read_paragraphs(path) if p.text]
    if not paragraphs:
        raise InputError(f"Word 文件“{path}”中没有文字。")
    meta = docx_front_matter(path)
    draft = parse_draft(docx_markdown(paragraphs, meta)[0], Path(path))
    draft.path = Path(path)
    return draft


def docx_markdown(paragraphs: list, meta: dict) -> tuple[str, list[int]]:
    """A draft file's text for the paragraphs (docx_reader.DocxParagraph) of a Word document, and
    the 1-based line each paragraph is on (so an edit of the text can be put back in the file)."""
    from draftbot.docx_reader import closing_index, title_index
    from draftbot.yamlio import dump_yaml

    lines: list[str] = []
    if meta:
        lines += ["---", *dump_yaml(meta).rstrip("\n").split("\n"), "---", ""]
    title_at = title_index(paragraphs)
    closing_at = closing_index(paragraphs)
    where: list[int] = []
    for at, paragraph in enumerate(paragraphs):
        text = paragraph.text
        if paragraph.signature_mark:
            lines += [SIGNATURE_MARKER, ""]
        if at == closing_at and not paragraph.signature_mark:
            lines += [CLOSING_MARKER, ""]
        where.append(len(lines) + 1)
        if at == title_at:
            lines += [f"# {text}", ""]
            continue
        if paragraph.outline == 1 and not paragraph_number(1).match(text):
            text = f"{_next_number(lines)}、{text}"  # a Heading 1 without its number
        lines += _restore_failed(text) + [""]
    return "\n".join(lines), where


def _next_number(lines: list[str]) -> str:
    count = sum(1 for line in lines if paragraph_number(1).match(line.lstrip("# ")))
    return chinese_number(count + 1)


def _restore_failed(text: str) -> list[str]:
    """A failed section's visible text gets back the marker that check and regen look for."""
    match = FAILED_TEXT_RE.match(text)
    if not match:
        return [text]
    return make_failed_body(match.group(1), match.group(2) or "").split("\n")
