"""A reviewer's companion file: tables (事实依据, 去年打算落实情况) in a plain A4 .docx.

Kept apart from the report itself, so the report stays as it will be filed and the reviewer gets
one sheet per question to sign off. python-docx is imported here only.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from draftbot.export import gbt9704 as gb
from draftbot.export.fonts import FontSet

TABLE_PT = 10.5  # 五号


@dataclass
class Table:
    heading: str
    note: str
    columns: list[str]
    rows: list[list[str]]
    widths_mm: list[float]


def build_tables_docx(title: str, tables: Sequence[Table], *, fonts: FontSet | None = None,
                      when=None) -> bytes:  # fmt: skip
    """A landscape A4 document: the title, then each table under its heading."""
    fonts = fonts or FontSet()
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(gb.PAGE_HEIGHT_MM), Mm(gb.PAGE_WIDTH_MM)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    _paragraph(document, title, fonts.title, gb.TITLE_PT, center=True)
    for table in tables:
        _paragraph(document, table.heading, fonts.heading1, gb.BODY_PT)
        if table.note:
            _paragraph(document, table.note, fonts.body, TABLE_PT)
        grid = document.add_table(rows=1, cols=len(table.columns))
        grid.style = "Table Grid"
        grid.autofit = False
        for column, width in zip(grid.columns, table.widths_mm, strict=True):
            column.width = Mm(width)
        for cell, text, width in zip(grid.rows[0].cells, table.columns, table.widths_mm, strict=True):
            _cell(cell, text, fonts.heading1, width, bold=True)
        for row in table.rows:
            cells = grid.add_row().cells
            for cell, text, width in zip(cells, row, table.widths_mm, strict=True):
                _cell(cell, text, fonts.body, width)
        _repeat_header(grid)
    props = document.core_properties
    props.title, props.author, props.last_modified_by = title, "draftbot", "draftbot"
    if when is not None:
        props.created = props.modified = when.replace(tzinfo=None)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _fonts(run, name: str, size: float, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    rfonts = run._r.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        rfonts.set(qn(f"w:{attr}"), name)
    lang = parse_xml(f'<w:lang {nsdecls("w")} w:val="zh-CN" w:eastAsia="zh-CN"/>')
    run._r.get_or_add_rPr().append(lang)


def _paragraph(document, text: str, font: str, size: float, center: bool = False) -> None:
    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = 1
    _fonts(paragraph.add_run(text), font, size)


def _cell(cell, text: str, font: str, width_mm: float, bold: bool = False) -> None:
    cell.width = Mm(width_mm)
    lines = (text or "").split("\n")
    first = cell.paragraphs[0]
    for index, line in enumerate(lines):
        paragraph = first if index == 0 else cell.add_paragraph()
        _fonts(paragraph.add_run(line), font, TABLE_PT, bold)


def _repeat_header(grid) -> None:
    """The header row repeats on every page (w:tblHeader)."""
    tr_pr = grid.rows[0]._tr.get_or_add_trPr()
    tr_pr.append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))
