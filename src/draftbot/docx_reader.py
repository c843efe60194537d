"""The one place that turns a .docx into draftbot text: drafts, facts and samples from Word.

    read_docx_text(path)      one paragraph per line (line N is paragraph N), for check and samples
    docx_front_matter(path)   the draft's front matter kept by `draftbot export` ({} otherwise)
    title_index, closing_index where a document's title and closing are (for draft.docx_to_draft)
    docx_facts_text(path)     facts Markdown: headings as #/##, list items as "- " bullets

python-docx is imported lazily, inside these functions.
"""

from __future__ import annotations

import copy
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from draftbot.errors import InputError
from draftbot.headings import STANDALONE_MAX, heading_level, paragraph_number
from draftbot.textio import MAX_BYTES, regular_file, resolved
from draftbot.yamlio import YamlSyntaxError, load_yaml

# The marks `draftbot export` leaves in a .docx for this reader.
CLOSING_BOOKMARK = "draftbot_closing"  # where the closing starts
SIGNATURE_BOOKMARK = "draftbot_signature"  # where the closing block (署名, 成文日期) starts
META_PROPERTY = "draftbot.front_matter"  # custom document property holding the front matter
# The custom XML part (customXml/itemN.xml) holding the front matter and the section map: invisible
# in Word/WPS, kept by their saves and by LibreOffice's (custom properties longer than 255
# characters are cut by Word, so the part is read first and the property is only a fallback).
EMBED_NS = "urn:draftbot:report:1"

CLOSING_START_RE = re.compile(r"^(以上|特此|恳请|敬请|请各位|请予|述职人|报告人|汇报人)")
DATE_LINE_RE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月(\s*\d{1,2}\s*日)?$")
HEADING_STYLE_RE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)
SKIP_ANCESTORS = ("del", "moveFrom", "txbxContent", "Fallback")


@dataclass(frozen=True)
class DocxParagraph:
    """One paragraph of a Word document, in reading order (table cells included)."""

    index: int  # 1-based paragraph number
    text: str
    style: str  # style name, e.g. "heading 1", "Title", "Normal"
    outline: int  # heading level from the style or paragraph outline level (1-9), 0 for body text
    is_list: bool  # a Word list item (bullets or automatic numbering)
    is_title: bool
    centered: bool
    closing_mark: bool  # carries the bookmark `draftbot export` puts on the closing
    signature_mark: bool = False  # carries the bookmark on the closing block (署名, 成文日期)

    @property
    def level(self) -> int:
        """Heading level: from the style, else from 一、/（一）/1. numbering of a short paragraph."""
        if self.outline:
            return self.outline
        level = heading_level(self.text)
        return level if level in (1, 2) and _standalone(self.text) else 0


def _standalone(text: str) -> bool:
    stop = text.find("。")
    return len(text) <= STANDALONE_MAX and (stop < 0 or stop == len(text) - 1)


# -- opening the file -------------------------------------------------------------------------


def _open(path: str | Path) -> Any:
    path = Path(path)
    label = f"Word 文件“{path}”"
    if regular_file(path, label) > MAX_BYTES:
        raise InputError(f"{label}太大，超过了 {MAX_BYTES / 1e6:g} MB 的上限。")
    if not zipfile.is_zipfile(path):
        hint = "旧版 .doc 或加密的文件请先在 Word/WPS 中“另存为” .docx 格式（不加密码）。"
        raise InputError(f"{label}不是有效的 .docx 文件。", hint=hint)
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(
            f"{label}已损坏或不是 Word 文档，无法读取。", hint="请在 Word/WPS 中打开后另存为 .docx 再试。"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - lxml and python-docx raise many kinds on broken XML
        raise InputError(
            f"{label}已损坏，无法读取（{type(exc).__name__}）。",
            hint="请在 Word/WPS 中打开后另存为 .docx 再试。",
        ) from exc


@dataclass(frozen=True)
class Embedded:
    """What `draftbot export` stored in a .docx: the front matter and the section map.

    state: "ok", "none" (a document draftbot did not write) or "damaged" (the part is there but
    cannot be read: `problem` says why)."""

    meta: dict
    sections: tuple = ()  # per part: {"key", "label", "paragraphs": [hash, …]} at export
    state: str = "none"
    problem: str = ""


@lru_cache(maxsize=8)
def _read(path: str, mtime: float, size: int) -> tuple[tuple[DocxParagraph, ...], Embedded]:
    document = _open(path)
    return tuple(p for _, p in paragraph_pairs(document)), read_embedded(document)


def read_paragraphs(path: str | Path) -> list[DocxParagraph]:
    return list(_cached(path)[0])


def docx_front_matter(path: str | Path) -> dict:
    """The front matter `draftbot export` stored in the file ({} when none, or when damaged)."""
    return copy.deepcopy(_cached(path)[1].meta)


def docx_embedded(path: str | Path) -> Embedded:
    return copy.deepcopy(_cached(path)[1])


def open_document(path: str | Path) -> Any:
    """The python-docx Document of a .docx, with the same checks and messages as the reader."""
    return _open(path)


def _cached(path: str | Path) -> tuple[tuple[DocxParagraph, ...], Embedded]:
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return _read(str(path), 0.0, -1)  # _open reports the missing file
    return _read(str(resolved(path)), stat.st_mtime, stat.st_size)


# -- paragraphs -------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def paragraph_pairs(document: Any) -> list[tuple[Any, DocxParagraph]]:
    """(w:p element, DocxParagraph) for each paragraph in reading order (tracked deletions,
    text boxes and fallbacks left out), so an editor can change the paragraphs it read."""
    from docx.oxml.ns import qn

    styles = _style_table(document)
    body = document.element.body
    out: list[tuple[Any, DocxParagraph]] = []
    for p in body.iter(qn("w:p")):
        if _skipped(p, body):
            continue
        out.append((p, _paragraph(p, len(out) + 1, styles)))
    return out


def _skipped(element: Any, stop: Any) -> bool:
    node = element.getparent()
    while node is not None and node is not stop:
        if _local(node.tag) in SKIP_ANCESTORS:
            return True
        node = node.getparent()
    return False


def paragraph_text(p: Any) -> str:
    parts: list[str] = []
    for node in p.iter():
        name = _local(node.tag) if isinstance(node.tag, str) else ""
        if name not in ("t", "tab", "noBreakHyphen") or _skipped(node, p):
            continue
        parts.append(node.text or "" if name == "t" else ("\t" if name == "tab" else "-"))
    return "".join(parts).strip()


def _val(element: Any, path: str) -> str | None:
    """w:val of the element at `path` ("w:pPr/w:pStyle") under `element`, or None."""
    from docx.oxml.ns import qn

    found = element.find("/".join(qn(step) for step in path.split("/")))
    return None if found is None else found.get(qn("w:val"))


def _style_table(document: Any) -> dict[str, tuple[str, int, bool]]:
    """styleId -> (name, outline level 1-9 or 0, is a list style)."""
    from docx.oxml.ns import qn

    table: dict[str, tuple[str, int, bool]] = {}
    for style in document.styles.element.findall(qn("w:style")):
        style_id = style.get(qn("w:styleId")) or ""
        name = _val(style, "w:name") or style_id
        outline = _val(style, "w:pPr/w:outlineLvl")
        match = HEADING_STYLE_RE.match(name.strip())
        level = int(match.group(1)) if match else (int(outline) + 1 if outline and outline.isdigit() else 0)
        numbered = style.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None
        table[style_id] = (name, level if level <= 9 else 0, numbered)
    return table


def _paragraph(p: Any, index: int, styles: dict[str, tuple[str, int, bool]]) -> DocxParagraph:
    from docx.oxml.ns import qn

    style_id = _val(p, "w:pPr/w:pStyle") or ""
    name, level, numbered = styles.get(style_id, ("Normal", 0, False))
    own_outline = _val(p, "w:pPr/w:outlineLvl")
    if own_outline and own_outline.isdigit():
        level = int(own_outline) + 1 if int(own_outline) < 9 else 0
    num_pr = p.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
    is_list = numbered or (num_pr is not None and _val(num_pr, "w:numId") not in (None, "0"))
    is_title = name.strip().lower() in ("title", "标题") or style_id == "Title"
    bookmarks = {b.get(qn("w:name")) for b in p.iter(qn("w:bookmarkStart"))}
    previous = p.getprevious()
    if previous is not None and _local(previous.tag) == "bookmarkStart":
        bookmarks.add(previous.get(qn("w:name")))
    return DocxParagraph(
        index=index,
        text=paragraph_text(p),
        style=name,
        outline=0 if is_title else level,
        is_list=is_list,
        is_title=is_title,
        centered=_val(p, "w:pPr/w:jc") == "center",
        closing_mark=CLOSING_BOOKMARK in bookmarks,
        signature_mark=SIGNATURE_BOOKMARK in bookmarks,
    )


def read_embedded(document: Any) -> Embedded:
    """The custom XML part `draftbot export` wrote, else the older custom property; `state` tells
    whether there is none or it is damaged (the reader then goes on without it)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from lxml import etree

    for rel in document.part.rels.values():
        if rel.reltype != RT.CUSTOM_XML or rel.is_external:
            continue
        blob = rel.target_part.blob
        if EMBED_NS.encode() not in blob:
            continue
        try:
            root = etree.fromstring(blob)
        except etree.XMLSyntaxError as exc:
            return Embedded({}, state="damaged", problem=f"XML 格式错误（{exc.msg}）")
        return _embedded_from(root)
    for rel in document.part.package.rels.values():
        if rel.reltype != RT.CUSTOM_PROPERTIES:
            continue
        try:
            root = etree.fromstring(rel.target_part.blob)
        except etree.XMLSyntaxError:
            return Embedded({})
        for prop in root:
            if prop.get("name") == META_PROPERTY and len(prop):
                meta, problem = _yaml_meta(prop[0].text or "")
                return Embedded(meta, state="damaged" if problem else "ok", problem=problem)
    return Embedded({})


def _embedded_from(root: Any) -> Embedded:
    import json

    found = {_local(child.tag): child.text or "" for child in root}
    if "frontMatter" not in found:
        return Embedded({}, state="damaged", problem="缺少开头信息")
    meta, problem = _yaml_meta(found["frontMatter"])
    if problem:
        return Embedded({}, state="damaged", problem=problem)
    try:
        sections = json.loads(found.get("sections") or "[]")
    except ValueError:
        return Embedded(meta, state="damaged", problem="部分对照表格式错误")
    if not isinstance(sections, list) or not all(isinstance(item, dict) for item in sections):
        return Embedded(meta, state="damaged", problem="部分对照表格式错误")
    return Embedded(meta, tuple(sections), "ok")


def paragraph_hash(text: str) -> str:
    """A short fingerprint of a paragraph's text, for the section map (the text itself is not kept)."""
    from hashlib import sha1

    return sha1(text.strip().encode("utf-8")).hexdigest()[:12]


def _yaml_meta(text: str) -> tuple[dict, str]:
    try:
        meta = load_yaml(text)
    except YamlSyntaxError:
        return {}, "开头信息的 YAML 格式错误"
    if not isinstance(meta, dict):
        return {}, "开头信息不是“键: 值”形式"
    return meta, ""


# -- text for check and samples ----------------------------------------------------------------


def read_docx_text(path: str | Path) -> str:
    """The document's paragraphs, one per line: line N of the text is paragraph N of the file,
    so findings on this text are located by paragraph. Empty paragraphs stay as empty lines."""
    return "\n".join(p.text.replace("\n", " ") for p in read_paragraphs(path)) + "\n"


# -- document structure ---------------------------------------------------------------------


def title_index(paragraphs: list[DocxParagraph]) -> int | None:
    for at, paragraph in enumerate(paragraphs):
        if paragraph.is_title:
            return at
        if paragraph.level == 1:
            return None
        if at == 0 and paragraph.centered and len(paragraph.text) <= STANDALONE_MAX:
            return at
    return None


def closing_index(paragraphs: list[DocxParagraph]) -> int | None:
    """Where the closing starts: draftbot's bookmark, else the trailing 以上…/署名/日期 lines."""
    for at, paragraph in enumerate(paragraphs):
        if paragraph.closing_mark:
            return at
    headings = (at for at, p in enumerate(paragraphs) if p.level == 1 or paragraph_number(1).match(p.text))
    last_heading = max(headings, default=None)
    if last_heading is None:
        return None
    start = None
    for at in range(len(paragraphs) - 1, last_heading, -1):
        text = paragraphs[at].text
        if CLOSING_START_RE.match(text):
            start = at
        elif not (DATE_LINE_RE.match(text) or (len(text) <= 20 and "。" not in text)):
            break
    return start



# -- facts ------------------------------------------------------------------------------------


def docx_facts_text(path: str | Path) -> str:
    """Facts Markdown from a Word document: the title as front matter, headings (by style or by
    一、/（一） numbering) as # and ##, list items and other paragraphs as "- " bullets."""
    lines: list[str] = []
    paragraphs = [p for p in read_paragraphs(path) if p.text]
    title_at = title_index(paragraphs)
    for at, paragraph in enumerate(paragraphs):
        text = paragraph.text.replace("\t", " ")
        if at == title_at:
            lines = ["---", f"title: {_yaml_scalar(text)}", "---", *lines]
        elif paragraph.level:
            lines.append("#" * min(paragraph.level, 6) + " " + text)
        elif heading_level(text) == 3:
            lines.append(text)  # "1. …" is a bullet to the facts parser already
        else:
            lines.append(f"- {text}")
    return "\n".join(lines) + "\n"


def _yaml_scalar(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)
