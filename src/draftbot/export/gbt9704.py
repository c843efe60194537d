"""GB/T 9704-2012 page and type measures, and the styles part built from them.

No python-docx here: plain numbers and XML text, so the tests and the reader can share them.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from draftbot.export.fonts import FontSet

TWIPS_PER_MM = 1440 / 25.4

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297  # A4
MARGIN_TOP_MM, MARGIN_BOTTOM_MM = 37, 35
MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 28, 26
# The page number's 一字线 sits about 7 mm below the type area (§7.5).
HEADER_MM, FOOTER_MM = 15, 25
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28

BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
PAGE_NUMBER_PT = 14  # 四号
COMMENT_PT = 10.5  # 五号
LINE_SPACING_PT = 28  # exact line spacing: 22 lines fit the 225 mm type area
TITLE_LINE_SPACING_PT = 35
PAGE_NUMBER_DASH = "—"  # 一字线, U+2014


def twips(mm: float) -> int:
    return round(mm * TWIPS_PER_MM)


def type_area_twips() -> tuple[int, int]:
    """Width and height of the type area (版心), in twips."""
    width = twips(PAGE_WIDTH_MM) - twips(MARGIN_LEFT_MM) - twips(MARGIN_RIGHT_MM)
    height = twips(PAGE_HEIGHT_MM) - twips(MARGIN_TOP_MM) - twips(MARGIN_BOTTOM_MM)
    return width, height


def line_pitch() -> int:
    """Document grid line pitch in twips: the type area height over 22 lines (579)."""
    return type_area_twips()[1] // LINES_PER_PAGE


def char_space() -> int:
    """w:docGrid/@w:charSpace for 28 characters per line.

    Word lays out a grid character as the default font size plus charSpace/4096 pt.
    """
    pitch_pt = type_area_twips()[0] / CHARS_PER_LINE / 20
    return round((pitch_pt - BODY_PT) * 4096)


def condense_twips() -> int:
    """Character spacing reduction that puts 28 三号 characters on a line (10 twips = 0.5 pt).

    Word alone would fit them through the grid's negative charSpace, but LibreOffice gives a glyph
    wider than a grid cell two cells; so body paragraphs do not snap to the character grid and
    condensed spacing, which Word, WPS and LibreOffice all honour, makes the 28 characters. The
    advance aims at 28.5 characters per line so that renderers' rounding gives neither 27 nor 29.
    """
    return round(BODY_PT * 20 - type_area_twips()[0] / (CHARS_PER_LINE + 0.5))


def half_points(pt: float) -> int:
    return round(pt * 2)


def rfonts_xml(name: str, latin: str | None = None) -> str:
    """w:rFonts naming the font for every script, East Asian included, with no theme fonts."""
    east, west = quoteattr(name), quoteattr(latin or name)
    return f'<w:rFonts w:ascii={west} w:hAnsi={west} w:eastAsia={east} w:cs={west} w:hint="eastAsia"/>'


def rpr_xml(
    name: str,
    pt: float,
    *,
    bold: bool = False,
    latin: str | None = None,
    lang: bool = False,
    spacing: int | None = None,
) -> str:
    """w:rPr with fonts, weight, optional character spacing (twips), size and language."""
    size = half_points(pt)
    bold_xml = "<w:b/><w:bCs/>" if bold else '<w:b w:val="0"/><w:bCs w:val="0"/>'
    spacing_xml = f'<w:spacing w:val="{spacing}"/>' if spacing is not None else ""
    lang_xml = '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>' if lang else ""
    return (
        f"<w:rPr>{rfonts_xml(name, latin)}{bold_xml}{spacing_xml}"
        f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>{lang_xml}</w:rPr>'
    )


def _spacing(line_pt: float, *, after: int = 0) -> str:
    return f'<w:spacing w:before="0" w:after="{after}" w:line="{round(line_pt * 20)}" w:lineRule="exact"/>'


NO_INDENT = '<w:ind w:firstLine="0" w:firstLineChars="0"/>'
BODY_INDENT = f'<w:ind w:firstLine="{BODY_PT * 2 * 20}" w:firstLineChars="200"/>'


def _paragraph_style(
    style_id: str, name: str, ppr: str, rpr: str, *, default: bool = False, outline: int | None = None
) -> str:
    default_attr = ' w:default="1"' if default else ""
    based = "" if default else '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/>'
    keep = "<w:keepNext/><w:keepLines/>" if outline is not None else ""
    outline_xml = f'<w:outlineLvl w:val="{outline}"/>' if outline is not None else ""
    return (
        f'<w:style w:type="paragraph"{default_attr} w:styleId="{style_id}"><w:name w:val="{name}"/>'
        f"{based}<w:qFormat/><w:pPr>{keep}{ppr}{outline_xml}</w:pPr>{rpr}</w:style>"
    )


def styles_xml(fonts: FontSet) -> str:
    """The whole styles part: document defaults, 正文, 标题, three heading levels, footer, comments."""
    latin = fonts.latin
    body_ppr = (
        f'<w:widowControl w:val="0"/><w:snapToGrid w:val="0"/>{_spacing(LINE_SPACING_PT)}{BODY_INDENT}'
        '<w:jc w:val="both"/>'
    )
    body_rpr = rpr_xml(fonts.body, BODY_PT, latin=latin, lang=True, spacing=-condense_twips())
    title_ppr = f'{_spacing(TITLE_LINE_SPACING_PT, after=round(LINE_SPACING_PT * 20))}{NO_INDENT}<w:jc w:val="center"/>'
    styles = [
        _paragraph_style("Normal", "Normal", body_ppr, body_rpr, default=True),
        _paragraph_style("Title", "Title", title_ppr, rpr_xml(fonts.title, TITLE_PT, latin=latin, spacing=0)),
        _paragraph_style(
            "Heading1", "heading 1", "", rpr_xml(fonts.heading1, BODY_PT, latin=latin), outline=0
        ),
        _paragraph_style(
            "Heading2", "heading 2", "", rpr_xml(fonts.heading2, BODY_PT, latin=latin), outline=1
        ),
        _paragraph_style(
            "Heading3", "heading 3", "", rpr_xml(fonts.heading3, BODY_PT, bold=True, latin=latin), outline=2
        ),
        _paragraph_style(
            "Footer",
            "footer",
            f'<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>{NO_INDENT}',
            rpr_xml(fonts.page_number, PAGE_NUMBER_PT, latin=latin, spacing=0),
        ),
        _paragraph_style(
            "CommentText",
            "annotation text",
            f'<w:spacing w:before="0" w:after="0" w:line="240" '
            f'w:lineRule="auto"/>{NO_INDENT}<w:jc w:val="left"/>',
            rpr_xml(fonts.comment, COMMENT_PT, latin=latin, spacing=0),
        ),
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>',
        '<w:style w:type="character" w:styleId="CommentReference"><w:name w:val="annotation reference"/>'
        f'<w:basedOn w:val="DefaultParagraphFont"/>{rpr_xml(fonts.comment, COMMENT_PT, latin=latin)}</w:style>',
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
        '<w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar>'
        '<w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/>'
        '<w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>',
        '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/>'
        "<w:semiHidden/><w:unhideWhenUsed/></w:style>",
    ]
    defaults = (
        f"<w:docDefaults><w:rPrDefault>{rpr_xml(fonts.body, BODY_PT, latin=latin, lang=True)}</w:rPrDefault>"
        f"<w:pPrDefault><w:pPr>{_spacing(LINE_SPACING_PT)}</w:pPr></w:pPrDefault></w:docDefaults>"
    )
    return (
        '<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"{defaults}{''.join(styles)}</w:styles>"
    )
