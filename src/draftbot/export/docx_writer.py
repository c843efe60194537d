"""Write a draft as a GB/T 9704-2012 .docx, with check findings as Word comments (批注).

python-docx is imported here only; the CLI imports this module inside the command that needs it.
The output is reproducible: every date comes from the draft's `created`, never the clock, and the
zip entries carry fixed timestamps, so the same draft exports to the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from docx import Document
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from draftbot.atomicfile import save_file
from draftbot.docx_reader import CLOSING_BOOKMARK, EMBED_NS, META_PROPERTY, SIGNATURE_BOOKMARK, paragraph_hash
from draftbot.export import gbt9704 as gb
from draftbot.export.fonts import FontSet
from draftbot.export.layout import (
    Anchor,
    Block,
    anchor_findings,
    assign_lines,
    comment_text,
    layout_draft,
    segments,
)
from draftbot.yamlio import dump_yaml

AUTHOR = "draftbot"
INITIALS = "DB"
FALLBACK_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
STYLE_IDS = {"title": "Title", "heading1": "Heading1", "heading2": "Heading2", "heading3": "Heading3"}
# Fonts Word and WPS may use when the named one is missing (w:altName in the font table).
ALT_NAMES = {"仿宋_GB2312": "仿宋", "楷体_GB2312": "楷体", "方正小标宋简体": "宋体", "方正小标宋_GBK": "宋体"}
DROPPED_RELS = (
    RT.THUMBNAIL,
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    RT.CUSTOM_XML,
)
APP_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Template>Normal.dotm</Template><Application>draftbot</Application><DocSecurity>0</DocSecurity>"
    "<ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
    "<HyperlinksChanged>false</HyperlinksChanged></Properties>"
)


def write_docx(draft: Any, out_path: str | Path, **options: Any) -> Path:
    """Build the .docx of a draft and write it to `out_path` (see build_docx for the options)."""
    out = Path(out_path)
    save_file(out, build_docx(draft, **options), what="Word 文件")  # atomically, as Word would save it
    return out


def build_docx(
    draft: Any,
    *,
    findings: Iterable[Any] = (),
    fonts: FontSet | None = None,
    comments: bool = True,
    source_text: str | None = None,
) -> bytes:
    """The .docx bytes of a draft. `source_text` is the draft file's text, for finding lines."""
    fonts = fonts or FontSet()
    when = fixed_datetime(getattr(draft, "meta", None) or {})
    blocks = layout_draft(draft)
    assign_lines(blocks, source_text if source_text is not None else _render(draft))
    anchors = anchor_findings(blocks, findings) if comments else []

    document = Document()
    _clean_package(document, fonts)
    _install_styles(document, fonts)
    _setup_page(document)
    _add_footers(document, fonts)
    runs = _add_blocks(document, blocks, anchors, fonts)
    _add_comments(document, anchors, runs, when, fonts)
    _set_properties(document, draft, when)
    embed_report(document, getattr(draft, "meta", None) or {}, section_map(blocks))
    buffer = io.BytesIO()
    document.save(buffer)
    return normalize_zip(buffer.getvalue(), when)


def _render(draft: Any) -> str:
    render = getattr(draft, "render", None)
    return render() if callable(render) else ""


def fixed_datetime(meta: dict) -> dt.datetime:
    """The draft's `created` as an aware UTC datetime (whole seconds); a constant if absent."""
    value = meta.get("created")
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            value = None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        return FALLBACK_DATE
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0)


# -- package ---------------------------------------------------------------------------------


def _clean_package(document: Any, fonts: FontSet) -> None:
    """Drop the template's thumbnail, stale styles copy and bibliography; own app.xml and fonts."""
    package = document.part.package
    for owner in (package, document.part):
        for r_id, rel in list(owner.rels.items()):
            if rel.reltype in DROPPED_RELS:
                del owner.rels[r_id]
    for rel in package.rels.values():
        if rel.reltype == RT.EXTENDED_PROPERTIES:
            rel.target_part._blob = APP_XML.encode("utf-8")
    for rel in document.part.rels.values():
        if rel.reltype == RT.FONT_TABLE:
            rel.target_part._blob = font_table_xml(fonts).encode("utf-8")
    settings = document.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
    document.settings.odd_and_even_pages_header_footer = True


def font_table_xml(fonts: FontSet) -> str:
    names = dict.fromkeys(
        name
        for name in (
            fonts.title,
            fonts.heading1,
            fonts.heading2,
            fonts.heading3,
            fonts.body,
            fonts.page_number,
            fonts.comment,
            fonts.latin,
        )
        if name
    )
    items = []
    for name in names:
        alt = f"<w:altName w:val={quoteattr(ALT_NAMES[name])}/>" if name in ALT_NAMES else ""
        items.append(
            f'<w:font w:name={quoteattr(name)}>{alt}<w:charset w:val="86"/>'
            '<w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<w:fonts {nsdecls('w')}>{''.join(items)}</w:fonts>"
    )


def _install_styles(document: Any, fonts: FontSet) -> None:
    """Replace the template's styles (theme fonts, 160 unused styles) with the 公文 styles."""
    element = document.styles.element
    for child in list(element):
        element.remove(child)
    for child in parse_xml(gb.styles_xml(fonts)):
        element.append(child)


def _setup_page(document: Any) -> None:
    """A4, the GB/T 9704 margins and the 22 × 28 document grid."""
    sect_pr = document.sections[0]._sectPr
    for child in list(sect_pr):
        sect_pr.remove(child)
    width, height = gb.twips(gb.PAGE_WIDTH_MM), gb.twips(gb.PAGE_HEIGHT_MM)
    margins = (
        f'<w:pgMar {nsdecls("w")} w:top="{gb.twips(gb.MARGIN_TOP_MM)}" w:right="{gb.twips(gb.MARGIN_RIGHT_MM)}" '
        f'w:bottom="{gb.twips(gb.MARGIN_BOTTOM_MM)}" w:left="{gb.twips(gb.MARGIN_LEFT_MM)}" '
        f'w:header="{gb.twips(gb.HEADER_MM)}" w:footer="{gb.twips(gb.FOOTER_MM)}" w:gutter="0"/>'
    )
    sect_pr.append(parse_xml(f'<w:pgSz {nsdecls("w")} w:w="{width}" w:h="{height}"/>'))
    sect_pr.append(parse_xml(margins))
    sect_pr.append(parse_xml(f'<w:cols {nsdecls("w")} w:space="425"/>'))
    sect_pr.append(
        parse_xml(
            f'<w:docGrid {nsdecls("w")} w:type="linesAndChars" w:linePitch="{gb.line_pitch()}" '
            f'w:charSpace="{gb.char_space()}"/>'
        )
    )


def _add_footers(document: Any, fonts: FontSet) -> None:
    """Page number "— 1 —": odd pages on the right, even pages on the left, one character in."""
    section = document.sections[0]
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        ppr = paragraph._p.get_or_add_pPr()
        indent = gb.PAGE_NUMBER_PT * 20
        ppr.append(
            parse_xml(
                f'<w:ind {nsdecls("w")} w:{side}="{indent}" w:{side}Chars="100" '
                'w:firstLine="0" w:firstLineChars="0"/>'
            )
        )
        ppr.append(parse_xml(f'<w:jc {nsdecls("w")} w:val="{side}"/>'))
        rpr = gb.rpr_xml(fonts.page_number, gb.PAGE_NUMBER_PT, latin=fonts.latin)
        for xml in _page_number_runs(rpr):
            paragraph._p.append(parse_xml(xml))


def _page_number_runs(rpr: str) -> list[str]:
    w = nsdecls("w")
    dash = gb.PAGE_NUMBER_DASH
    return [
        f'<w:r {w}>{rpr}<w:t xml:space="preserve">{dash} </w:t></w:r>',
        f'<w:r {w}>{rpr}<w:fldChar w:fldCharType="begin"/></w:r>',
        f'<w:r {w}>{rpr}<w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>',
        f'<w:r {w}>{rpr}<w:fldChar w:fldCharType="separate"/></w:r>',
        f"<w:r {w}>{rpr}<w:t>1</w:t></w:r>",
        f'<w:r {w}>{rpr}<w:fldChar w:fldCharType="end"/></w:r>',
        f'<w:r {w}>{rpr}<w:t xml:space="preserve"> {dash}</w:t></w:r>',
    ]


# -- text --------------------------------------------------------------------------------------


def _run_format(block: Block, level: int, fonts: FontSet) -> str:
    """The w:rPr of a run: its role's font (East Asian and Latin), size and weight."""
    kind = f"heading{level}" if level else block.kind
    if kind == "title":
        return gb.rpr_xml(fonts.title, gb.TITLE_PT, latin=fonts.latin)
    name = {"heading1": fonts.heading1, "heading2": fonts.heading2, "heading3": fonts.heading3}.get(
        kind, fonts.body
    )
    return gb.rpr_xml(name, gb.BODY_PT, bold=kind == "heading3", latin=fonts.latin)


RunMap = dict[int, list[tuple[int, int, Any]]]


def _add_blocks(document: Any, blocks: Sequence[Block], anchors: Sequence[Anchor], fonts: FontSet) -> RunMap:
    """One paragraph per block, split into runs at leads and comment boundaries."""
    by_block: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        by_block.setdefault(anchor.block, []).append(anchor)
    runs: RunMap = {}
    closing = next((i for i, block in enumerate(blocks) if block.part == "closing"), None)
    for index, block in enumerate(blocks):
        paragraph = document.add_paragraph()
        if block.kind in STYLE_IDS:
            paragraph._p.style = STYLE_IDS[block.kind]
        for start, end, level in segments(block, by_block.get(index, [])):
            run = paragraph.add_run(block.text[start:end])
            run._r.insert(0, parse_xml(_with_ns(_run_format(block, level, fonts))))
            runs.setdefault(index, []).append((start, end, run))
        if index == closing:
            _mark_closing(paragraph._p)
        if block.part == "signature":
            _align_signature(paragraph._p, block, blocks, first=blocks[index - 1].part != "signature")
    return runs


def _text_width(text: str) -> float:
    """Width in characters (digits and Latin letters count half)."""
    return sum(0.5 if ord(ch) < 128 else 1 for ch in text)


def _align_signature(p: Any, block: Block, blocks: Sequence[Block], first: bool) -> None:
    """The closing block (GB/T 9704 §7.3.5): the 成文日期 right-aligned with four characters free
    on the right, the name lines centred over it; one empty line before the block."""
    lines = [b.text for b in blocks if b.part == "signature"]
    date = lines[-1]
    chars = 4 if block.text == date else max(0.0, 4 + (_text_width(date) - _text_width(block.text)) / 2)
    right = round(chars * gb.BODY_PT * 20)
    w = nsdecls("w")
    ppr = p.get_or_add_pPr()  # children in schema order: spacing, ind, jc
    if first:
        ppr.append(parse_xml(f'<w:spacing {w} w:before="{gb.LINE_SPACING_PT * 20}"/>'))
    ppr.append(parse_xml(f'<w:ind {w} w:right="{right}" w:rightChars="{round(chars * 100)}" w:firstLine="0" '
                         'w:firstLineChars="0"/>'))  # fmt: skip
    ppr.append(parse_xml(f'<w:jc {w} w:val="right"/>'))
    if first:
        bookmark = f'<w:bookmarkStart {w} w:id="1" w:name="{SIGNATURE_BOOKMARK}"/>'
        p.insert(1, parse_xml(bookmark))
        p.append(parse_xml(f'<w:bookmarkEnd {w} w:id="1"/>'))


def _mark_closing(p: Any) -> None:
    """An invisible bookmark where the closing starts, so the reader can split it off again."""
    w = nsdecls("w")
    start = 1 if p.pPr is not None else 0
    p.insert(start, parse_xml(f'<w:bookmarkStart {w} w:id="0" w:name="{CLOSING_BOOKMARK}"/>'))
    p.append(parse_xml(f'<w:bookmarkEnd {w} w:id="0"/>'))


def _with_ns(xml: str) -> str:
    return xml.replace("<w:rPr>", f"<w:rPr {nsdecls('w')}>", 1)


def _add_comments(
    document: Any, anchors: Sequence[Anchor], runs: RunMap, when: dt.datetime, fonts: FontSet
) -> None:
    for anchor in anchors:
        block_runs = runs[anchor.block]
        first = next(run for start, _end, run in block_runs if start == anchor.start)
        last = next(run for _start, end, run in block_runs if end == anchor.end)
        comment = document.add_comment(
            [first, last], text=comment_text(anchor.finding), author=AUTHOR, initials=INITIALS
        )
        comment._comment_elm.date = when
        for paragraph in comment.paragraphs:
            for run in paragraph.runs:
                _set_comment_run_fonts(run._r, fonts)
    for reference in document.element.body.iter(qn("w:commentReference")):
        _set_comment_run_fonts(reference.getparent(), fonts)


def _set_comment_run_fonts(r: Any, fonts: FontSet) -> None:
    rpr = r.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("ascii", "hAnsi", "cs"):
        rfonts.set(qn(f"w:{attr}"), fonts.latin or fonts.comment)
    rfonts.set(qn("w:eastAsia"), fonts.comment)
    rfonts.set(qn("w:hint"), "eastAsia")


# -- properties -------------------------------------------------------------------------------


def _set_properties(document: Any, draft: Any, when: dt.datetime) -> None:
    """Core properties with the draft's date, and its front matter kept for reading it back."""
    props = document.core_properties
    naive = when.replace(tzinfo=None)
    props.title = (getattr(draft, "title", "") or "").strip()
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.comments = "由 draftbot 按 GB/T 9704-2012 生成"
    props.revision = 1
    props.created = naive
    props.modified = naive
    meta = getattr(draft, "meta", None) or {}
    if meta:
        _add_custom_property(document, META_PROPERTY, front_matter_text(meta))


def front_matter_text(meta: dict) -> str:
    return dump_yaml(meta)


def _add_custom_property(document: Any, name: str, value: str) -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name={quoteattr(name)}>'
        f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property></Properties>"
    )
    package = document.part.package
    part = Part(PackURI("/docProps/custom.xml"), CT.OFC_CUSTOM_PROPERTIES, xml.encode("utf-8"), package)
    package.relate_to(part, RT.CUSTOM_PROPERTIES)


def section_map(blocks: Sequence[Block]) -> list[dict]:
    """Per part (opening, each section, closing): its label and its paragraphs' fingerprints as
    exported, so `draftbot import` can tell what changed since."""
    parts: dict[Any, dict] = {}
    for block in blocks:
        if block.part in ("title", "signature"):
            continue
        key: Any = block.part if block.part in ("opening", "closing") else block.section + 1
        entry = parts.setdefault(key, {"key": key, "label": _part_label(block), "paragraphs": []})
        if block.kind != "heading1" or block.part != "section":
            entry["paragraphs"].append(paragraph_hash(block.text))
    return list(parts.values())


def _part_label(block: Block) -> str:
    return {"opening": "开头", "closing": "结尾"}.get(block.part) or block.text


def embed_report(document: Any, meta: dict, sections: list[dict]) -> None:
    """The front matter and the section map as a custom XML part (customXml/itemN.xml with its
    properties part), replacing one draftbot put there before."""
    import json

    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    for r_id, rel in list(document.part.rels.items()):
        if rel.reltype == RT.CUSTOM_XML and not rel.is_external and EMBED_NS.encode() in rel.target_part.blob:
            del document.part.rels[r_id]
    if not meta:
        return
    package = document.part.package
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<draftbot xmlns="{EMBED_NS}"><frontMatter>{escape(front_matter_text(meta))}</frontMatter>'
        f"<sections>{escape(json.dumps(sections, ensure_ascii=False))}</sections></draftbot>"
    )
    item = Part(package.next_partname("/customXml/item%d.xml"), "application/xml", xml.encode("utf-8"), package)
    props_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<ds:datastoreItem ds:itemID="{6F1C2B7E-4D2A-4E8B-9C3D-0D7A5B1E2F30}" '
        'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml">'
        f'<ds:schemaRefs><ds:schemaRef ds:uri="{EMBED_NS}"/></ds:schemaRefs></ds:datastoreItem>'
    )
    props = Part(
        package.next_partname("/customXml/itemProps%d.xml"),
        "application/vnd.openxmlformats-officedocument.customXmlProperties+xml",
        props_xml.encode("utf-8"),
        package,
    )
    item.relate_to(props, RT.CUSTOM_XML_PROPS)
    document.part.relate_to(item, RT.CUSTOM_XML)


def normalize_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite the zip with fixed entry timestamps and attributes, keeping the entry order."""
    stamp = max(when, dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0
            entry.external_attr = 0
            target.writestr(entry, source.read(info.filename), compresslevel=6)
    return out.getvalue()
