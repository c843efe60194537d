"""The GB/T 9704 .docx writer: page, grid, fonts, headings, page numbers, comments, determinism."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

docx = pytest.importorskip("docx")

from docx.oxml.ns import qn  # noqa: E402
from docx.shared import Pt  # noqa: E402

from draftbot.checks.finding import Finding  # noqa: E402
from draftbot.draft import parse_draft  # noqa: E402
from draftbot.export import gbt9704  # noqa: E402
from draftbot.export.docx_writer import build_docx, write_docx  # noqa: E402
from draftbot.export.fonts import PRESETS, FontSet, resolve_fonts  # noqa: E402

DRAFT_TEXT = """---
plan: 述职报告
created: '2026-12-20T09:30:00+08:00'
---

# 2026年度个人述职报告

2026年，本人任青溪经济开发区管委会副主任。现将履职情况报告如下：

## 一、坚定理想信念，始终做到对党忠诚

（一）加强理论武装。坚持用习近平新时代中国特色社会主义思想武装头脑，深刻领悟“两个确立”的决定性意义。

一是参加中心组集体学习12次；二是讲专题党课2次。

## 二、聚焦主责主业，推动各项工作取得实效

（一）招商引资

全年新签约项目18个，协议总投资56.8亿元，其中亿元以上项目9个。

1. 项目建设。23个省市重点项目完成投资31.2亿元。

## 三、严守纪律规矩，始终保持清正廉洁

严格执行中央八项规定及其实施细则精神。

<!-- draftbot:closing -->

以上述职，请各位领导和同志们评议。
"""


def sample_draft():
    return parse_draft(DRAFT_TEXT, Path("述职.draft.md"))


def finding(
    rule, message, *, line=1, column=1, text="", section="", section_index=None, level="error", suggestion=""
):
    return Finding(
        rule=rule,
        level=level,
        message=message,
        line=line,
        column=column,
        text=text,
        suggestion=suggestion,
        section=section,
        section_index=section_index,
    )


def located(text: str, needle: str, rule: str, message: str, **kw) -> Finding:
    """A finding on `needle` at its real line and column in DRAFT_TEXT."""
    for number, line in enumerate(text.split("\n"), start=1):
        if needle in line:
            return finding(rule, message, line=number, column=line.index(needle) + 1, text=needle, **kw)
    raise AssertionError(needle)


FINDINGS = [
    located(
        DRAFT_TEXT,
        "56.8亿元",
        "figure-ungrounded",
        "数字“56.8亿元”在事实中找不到。",
        suggestion="核对事实文件。",
    ),
    finding(
        "formulation-missing",
        "缺少规范表述“两个维护”。",
        section="一、坚定理想信念，始终做到对党忠诚",
        section_index=1,
        suggestion="补上“做到‘两个维护’”。",
    ),
    located(DRAFT_TEXT, "讲专题党课2次", "fact-dropped", "示例：整句上的批注。", level="warning"),
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("docx") / "述职.docx"
    write_docx(sample_draft(), out, findings=FINDINGS, source_text=DRAFT_TEXT)
    return out


@pytest.fixture(scope="module")
def document(exported):
    return docx.Document(str(exported))


def body_paragraphs(document):
    return [p for p in document.paragraphs if p.text]


def paragraph_with(document, start: str):
    return next(p for p in document.paragraphs if p.text.startswith(start))


def east_asia(element) -> str | None:
    fonts = element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def style_east_asia(style) -> str | None:
    return east_asia(style.element)


def zip_text(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8")


# -- page -------------------------------------------------------------------------------------


def test_page_is_a4_with_gbt9704_margins(document):
    section = document.sections[0]
    sect_pr = section._sectPr
    size = sect_pr.find(qn("w:pgSz"))
    margins = sect_pr.find(qn("w:pgMar"))
    assert (size.get(qn("w:w")), size.get(qn("w:h"))) == ("11906", "16838")  # 210 × 297 mm
    assert abs(section.page_width.mm - 210) < 0.05 and abs(section.page_height.mm - 297) < 0.05
    assert round(section.top_margin.mm) == 37
    assert round(section.bottom_margin.mm) == 35
    assert round(section.left_margin.mm) == 28
    assert round(section.right_margin.mm) == 26
    assert margins.get(qn("w:gutter")) == "0"


def test_document_grid_22_lines_28_characters(document):
    grid = document.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    assert grid.get(qn("w:linePitch")) == "579"
    width = 11906 - 1587 - 1474
    expected = round((width / 28 / 20 - 16) * 4096)
    assert grid.get(qn("w:charSpace")) == str(expected) == "-841"
    # 22 lines of exact 28 pt fit the type area; 28 characters fit a line and 29 do not.
    assert 22 * 560 <= 16838 - 2098 - 1984 < 23 * 560
    advance = 320 - gbt9704.condense_twips()
    assert 28 * advance <= width < 29 * advance


def test_body_style_fangsong_sanhao_two_character_indent(document):
    normal = document.styles["Normal"]
    assert style_east_asia(normal) == "仿宋_GB2312"
    assert normal.font.size == Pt(16)
    fmt = normal.paragraph_format
    assert fmt.space_after == 0 and fmt.space_before == 0
    assert fmt.line_spacing == Pt(28)
    assert fmt.line_spacing_rule == docx.enum.text.WD_LINE_SPACING.EXACTLY
    ind = normal.element.find(f"{qn('w:pPr')}/{qn('w:ind')}")
    assert ind.get(qn("w:firstLineChars")) == "200"
    lang = normal.element.find(f"{qn('w:rPr')}/{qn('w:lang')}")
    assert lang.get(qn("w:eastAsia")) == "zh-CN"
    from lxml import etree

    defaults = etree.tostring(document.styles.element.find(qn("w:docDefaults")), encoding="unicode")
    assert 'w:eastAsia="zh-CN"' in defaults and 'w:eastAsia="仿宋_GB2312"' in defaults


def test_no_theme_fonts_anywhere(exported):
    for name in ("word/styles.xml", "word/document.xml", "word/comments.xml", "word/footer1.xml"):
        xml = zip_text(exported, name)
        assert "Theme=" not in xml and "theme=" not in xml, name
    assert "docProps/thumbnail.jpeg" not in zipfile.ZipFile(exported).namelist()


def test_every_style_and_run_names_its_east_asian_font(exported, document):
    for style in document.styles.element.findall(qn("w:style")):
        if style.get(qn("w:type")) in ("paragraph", "character") and style.find(qn("w:rPr")) is not None:
            assert east_asia(style), style.get(qn("w:styleId"))
    named = [s.get(qn("w:styleId")) for s in document.styles.element.findall(qn("w:style")) if east_asia(s)]
    assert {
        "Normal",
        "Title",
        "Heading1",
        "Heading2",
        "Heading3",
        "Footer",
        "CommentText",
        "CommentReference",
    } <= set(named)
    parts = [document.element.body]
    parts += [s.footer._element for s in document.sections] + [
        s.even_page_footer._element for s in document.sections
    ]
    parts.append(document.part._comments_part.element)
    runs = [r for part in parts for r in part.iter(qn("w:r"))]
    assert len(runs) > 20
    for run in runs:
        assert east_asia(run), run.xml


# -- title and headings -----------------------------------------------------------------------


def test_title_xiaobiaosong_erhao_centred(document):
    title = body_paragraphs(document)[0]
    assert title.text == "2026年度个人述职报告"
    assert title.style.name == "Title"
    assert title.style.paragraph_format.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert style_east_asia(title.style) == "方正小标宋简体"
    assert title.style.font.size == Pt(22)
    assert all(east_asia(r._r) == "方正小标宋简体" and r.font.size == Pt(22) for r in title.runs)


def test_heading_fonts_by_level(document):
    h1 = paragraph_with(document, "一、坚定理想信念")
    assert h1.style.name == "Heading 1" and style_east_asia(h1.style) == "黑体"
    assert [east_asia(r._r) for r in h1.runs if r.text] == ["黑体"]

    h2 = paragraph_with(document, "（一）招商引资")
    assert h2.text == "（一）招商引资" and h2.style.name == "Heading 2"
    assert style_east_asia(h2.style) == "楷体" and east_asia(h2.runs[0]._r) == "楷体"

    inline = paragraph_with(document, "（一）加强理论武装。")
    assert inline.style.name == "Normal"
    assert inline.runs[0].text == "（一）加强理论武装。" and east_asia(inline.runs[0]._r) == "楷体"
    assert east_asia(inline.runs[1]._r) == "仿宋_GB2312" and inline.runs[1].text.startswith("坚持用")

    third = paragraph_with(document, "1. 项目建设。")
    assert third.runs[0].text == "1. 项目建设。"
    assert east_asia(third.runs[0]._r) == "仿宋_GB2312" and third.runs[0].bold is True
    assert third.runs[-1].bold is False


def test_heading_sizes_and_indent(document):
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        style = document.styles[name]
        assert style.font.size == Pt(16), name
        assert style.base_style.name == "Normal"  # first-line indent of two characters inherited
    assert document.styles["Heading 3"].font.bold is True
    assert document.styles["Heading 1"].font.bold is False


# -- page numbers -----------------------------------------------------------------------------


def footer_xml(footer) -> str:
    return footer._element.xml


def test_page_number_field_odd_right_even_left(document):
    section = document.sections[0]
    assert document.settings.odd_and_even_pages_header_footer is True
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        assert not footer.is_linked_to_previous
        xml = footer_xml(footer)
        assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", xml)
        paragraph = footer.paragraphs[0]
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert f'<w:jc w:val="{side}"/>' in xml
        assert f'w:{side}Chars="100"' in xml  # one character in from the edge
        for run in paragraph.runs:
            assert east_asia(run._r) == "宋体" and run.font.size == Pt(14)


# -- comments ---------------------------------------------------------------------------------


def anchored_text(document, comment_id: int) -> str:
    """The text between a comment's range start and end in the body."""
    inside, parts = False, []
    for node in document.element.body.iter():
        if node.tag == qn("w:commentRangeStart") and node.get(qn("w:id")) == str(comment_id):
            inside = True
        elif node.tag == qn("w:commentRangeEnd") and node.get(qn("w:id")) == str(comment_id):
            return "".join(parts)
        elif inside and node.tag == qn("w:t"):
            parts.append(node.text or "")
    raise AssertionError(f"no range for comment {comment_id}")


def test_each_finding_is_a_comment_on_its_text(document):
    comments = list(document.comments)
    assert len(comments) == len(FINDINGS)
    by_rule = {c.text.split("：")[0].split("】")[-1]: c for c in comments}
    figure = by_rule["数字无依据"]
    assert anchored_text(document, figure.comment_id) == "56.8亿元"
    assert "数字“56.8亿元”在事实中找不到。" in figure.text and "建议：核对事实文件。" in figure.text
    assert figure.text.startswith("【错误】")
    assert anchored_text(document, by_rule["要点未写入"].comment_id) == "讲专题党课2次"
    assert by_rule["要点未写入"].text.startswith("【警告】")


def test_missing_item_comment_sits_on_the_section_heading(document):
    comment = next(c for c in document.comments if "缺少规范表述" in c.text)
    assert anchored_text(document, comment.comment_id) == "一、坚定理想信念，始终做到对党忠诚"


def test_comment_metadata_is_fixed_by_the_draft(document):
    for comment in document.comments:
        assert comment.author == "draftbot"
        assert comment.timestamp.isoformat() == "2026-12-20T01:30:00+00:00"  # created, in UTC
    props = document.core_properties
    assert props.created.replace(tzinfo=None).isoformat() == "2026-12-20T01:30:00"
    assert props.modified == props.created
    assert props.title == "2026年度个人述职报告"


def test_no_comments_option():
    data = build_docx(sample_draft(), findings=FINDINGS, comments=False, source_text=DRAFT_TEXT)
    document = docx.Document(io.BytesIO(data))
    assert len(list(document.comments)) == 0
    assert "commentRangeStart" not in document.element.body.xml


def test_finding_without_line_is_found_by_text_in_its_section():
    loose = finding("sample-leak", "与范文雷同。", line=0, text="协议总投资56.8亿元", section_index=2)
    data = build_docx(sample_draft(), findings=[loose])
    document = docx.Document(io.BytesIO(data))
    comment = next(iter(document.comments))
    assert anchored_text(document, comment.comment_id) == "协议总投资56.8亿元"


def test_section_missing_goes_on_the_title():
    missing = finding("section-missing", "缺少“存在的不足”部分。", line=0, section="存在的不足")
    document = docx.Document(io.BytesIO(build_docx(sample_draft(), findings=[missing])))
    comment = next(iter(document.comments))
    assert anchored_text(document, comment.comment_id) == "2026年度个人述职报告"


# -- reproducible ------------------------------------------------------------------------------


def test_same_draft_same_bytes(tmp_path):
    first = build_docx(sample_draft(), findings=FINDINGS, source_text=DRAFT_TEXT)
    second = write_docx(sample_draft(), tmp_path / "b.docx", findings=FINDINGS, source_text=DRAFT_TEXT)
    assert first == second.read_bytes()
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 12, 20, 1, 30, 0)}
        assert archive.namelist()[0] == "[Content_Types].xml"


def test_created_date_changes_the_dates():
    later = sample_draft()
    later.meta["created"] = "2027-01-05T08:00:00+00:00"
    document = docx.Document(io.BytesIO(build_docx(later, findings=FINDINGS[:1])))
    assert next(iter(document.comments)).timestamp.isoformat() == "2027-01-05T08:00:00+00:00"


def test_write_docx_replaces_atomically(tmp_path):
    out = tmp_path / "out.docx"
    out.write_bytes(b"old")
    write_docx(sample_draft(), out)
    assert zipfile.is_zipfile(out)
    assert [p.name for p in tmp_path.iterdir()] == ["out.docx"]  # no temporary file left behind


# -- fonts --------------------------------------------------------------------------------------


def test_font_presets_and_overrides():
    assert resolve_fonts() == FontSet()
    fonts = resolve_fonts("windows", ["title=华文中宋", "latin=Times New Roman"])
    assert fonts.body == "仿宋" and fonts.title == "华文中宋" and fonts.latin == "Times New Roman"
    assert set(PRESETS) == {"gb2312", "windows", "noto"}


@pytest.mark.parametrize(
    "preset, overrides", [("wps", []), (None, ["body"]), (None, ["size=16"]), (None, ["body="])]
)
def test_bad_font_settings_are_input_errors(preset, overrides):
    from draftbot.errors import InputError

    with pytest.raises(InputError) as info:
        resolve_fonts(preset, overrides)
    assert "字体" in info.value.message


def test_configured_fonts_reach_styles_runs_and_font_table():
    fonts = resolve_fonts("noto", ["latin=Times New Roman"])
    data = build_docx(sample_draft(), fonts=fonts)
    document = docx.Document(io.BytesIO(data))
    assert style_east_asia(document.styles["Normal"]) == "Noto Serif CJK SC"
    assert style_east_asia(document.styles["Heading 1"]) == "Noto Sans CJK SC"
    run = paragraph_with(document, "严格执行").runs[0]
    assert east_asia(run._r) == "Noto Serif CJK SC"
    assert run._r.find(f"{qn('w:rPr')}/{qn('w:rFonts')}").get(qn("w:ascii")) == "Times New Roman"
    table = zipfile.ZipFile(io.BytesIO(data)).read("word/fontTable.xml").decode()
    assert 'w:name="Noto Serif CJK SC"' in table


def test_font_table_offers_fallbacks_for_gb2312_fonts(exported):
    table = zip_text(exported, "word/fontTable.xml")
    assert re.search(r'w:name="仿宋_GB2312">\s*<w:altName w:val="仿宋"/>', table)


def test_failed_marker_is_not_printed():
    from draftbot.draft import make_failed_body

    draft = sample_draft()
    draft.sections[2].body = make_failed_body("模型超时", "三")
    document = docx.Document(io.BytesIO(build_docx(draft)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "<!--" not in text and "【本部分生成失败：模型超时。" in text
