""".docx input: drafts (round trip with the export), facts, samples, text for check; bad files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

docx = pytest.importorskip("docx")

from docx.oxml import parse_xml  # noqa: E402
from docx.oxml.ns import nsdecls  # noqa: E402

from draftbot.docx_reader import (  # noqa: E402
    docx_facts_text,
    docx_front_matter,
    read_docx_text,
    read_paragraphs,
)
from draftbot.draft import docx_to_draft, load_draft, make_failed_body, parse_draft  # noqa: E402
from draftbot.errors import InputError  # noqa: E402
from draftbot.export.docx_writer import write_docx  # noqa: E402
from test_docx_export import DRAFT_TEXT, sample_draft  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def export(draft, path: Path) -> Path:
    return write_docx(draft, path, source_text=draft.render())


def sections(draft) -> list[tuple[str, str, list[str]]]:
    return [(s.number, s.heading, s.paragraphs()) for s in draft.sections]


# -- round trip -------------------------------------------------------------------------------


def test_round_trip_gives_the_same_draft(tmp_path):
    original = sample_draft()
    back = load_draft(export(original, tmp_path / "a.docx"))
    assert back.title == original.title
    assert back.opening == original.opening
    assert sections(back) == sections(original)
    assert back.closing == original.closing
    assert back.meta == original.meta
    assert back.render() == original.render()
    assert back.path == tmp_path / "a.docx"


def test_round_trip_of_the_offline_draft_of_the_example(tmp_path):
    from draftbot.compose import compose_draft
    from draftbot.engines import get_engine
    from draftbot.facts import load_facts
    from draftbot.plans import resolve_plan
    from draftbot.samples import load_samples

    facts = load_facts(REPO / "examples" / "facts.md")
    draft, _, _ = compose_draft(
        facts,
        resolve_plan(None, facts),
        load_samples(),
        get_engine("offline"),
        out_path=tmp_path / "ex.draft.md",
    )
    text = draft.render()
    back = docx_to_draft(export(parse_draft(text), tmp_path / "ex.docx"))
    assert back.render() == text
    assert len(back.sections) == len(draft.sections) >= 5


def test_failed_section_keeps_its_marker(tmp_path):
    draft = sample_draft()
    draft.sections[1].body = make_failed_body("模型返回为空", "二")
    back = load_draft(export(draft, tmp_path / "f.docx"))
    assert back.sections[1].failed and back.sections[1].failure_reason == "模型返回为空"
    assert back.render() == draft.render()


def test_front_matter_is_kept_in_custom_properties(tmp_path):
    path = export(sample_draft(), tmp_path / "m.docx")
    assert docx_front_matter(path) == {"plan": "述职报告", "created": "2026-12-20T09:30:00+08:00"}


def test_text_for_check_has_one_paragraph_per_line(tmp_path):
    path = export(sample_draft(), tmp_path / "t.docx")
    lines = read_docx_text(path).split("\n")
    paragraphs = read_paragraphs(path)
    assert [p.text for p in paragraphs] == lines[: len(paragraphs)]
    assert lines[0] == "2026年度个人述职报告"
    assert "二、聚焦主责主业，推动各项工作取得实效" in lines
    assert paragraphs[lines.index("（一）招商引资")].level == 2
    body_lines = [line for line in DRAFT_TEXT.split("\n") if line and not line.startswith(("---", "<!--"))]
    assert len([line for line in lines if line]) == len(body_lines) - 2  # front matter keys are not text


# -- documents written by hand in Word ------------------------------------------------------------


def word_document(tmp_path: Path, name: str = "user.docx") -> Path:
    """A document the way a user writes one: styles without numbers, a list, a table, track changes."""
    document = docx.Document()
    document.add_paragraph("2026年工作总结", style="Title")
    document.add_paragraph("今年以来，我局在县委县政府领导下扎实开展各项工作。现将有关情况报告如下：")
    document.add_heading("主要工作及成效", level=1)
    document.add_heading("招商引资", level=2)
    document.add_paragraph("全年新签约项目18个", style="List Bullet")
    document.add_paragraph("协议总投资56.8亿元", style="List Bullet")
    table = document.add_table(rows=1, cols=1)
    table.rows[0].cells[0].text = "建成标准厂房8.6万平方米"
    paragraph = document.add_paragraph("兑现惠企资金")
    paragraph._p.append(
        parse_xml(f'<w:ins {nsdecls("w")} w:id="1" w:author="a"><w:r><w:t>2860万元</w:t></w:r></w:ins>')
    )
    paragraph._p.append(
        parse_xml(
            f'<w:del {nsdecls("w")} w:id="2" w:author="a"><w:r><w:delText>3000万元</w:delText></w:r></w:del>'
        )
    )
    document.add_paragraph("二、存在问题")
    document.add_paragraph("项目前期手续推进偏慢。")
    document.add_paragraph("以上报告，请审议。")
    document.add_paragraph("2026年12月20日")
    path = tmp_path / name
    document.save(str(path))
    return path


def test_reads_styles_lists_tables_and_tracked_changes(tmp_path):
    paragraphs = {p.text: p for p in read_paragraphs(word_document(tmp_path))}
    assert paragraphs["2026年工作总结"].is_title
    assert paragraphs["主要工作及成效"].level == 1
    assert paragraphs["招商引资"].level == 2
    assert paragraphs["全年新签约项目18个"].is_list
    assert "建成标准厂房8.6万平方米" in paragraphs
    assert "兑现惠企资金2860万元" in paragraphs  # the insertion counts, the deletion does not
    assert paragraphs["二、存在问题"].level == 1  # from its number


def test_hand_written_document_as_a_draft(tmp_path):
    draft = docx_to_draft(word_document(tmp_path))
    assert draft.title == "2026年工作总结"
    assert draft.opening.startswith("今年以来")
    assert [(s.number, s.heading) for s in draft.sections] == [("一", "主要工作及成效"), ("二", "存在问题")]
    assert "全年新签约项目18个" in draft.sections[0].body
    assert draft.sections[1].paragraphs() == ["项目前期手续推进偏慢。"]
    assert draft.closing == "以上报告，请审议。\n2026年12月20日"


def test_hand_written_document_as_facts(tmp_path):
    from draftbot.facts import parse_facts

    text = docx_facts_text(word_document(tmp_path))
    assert text.startswith('---\ntitle: "2026年工作总结"\n---\n')
    facts = parse_facts(text)
    assert facts.meta["title"] == "2026年工作总结"
    headings = [g.heading for g in facts.groups]
    assert "主要工作及成效" in headings and "二、存在问题" in headings
    work = facts.groups[headings.index("主要工作及成效")]
    assert [g.heading for g in work.subgroups] == ["招商引资"]
    texts = [f.text for f in facts.all_facts()]
    assert "全年新签约项目18个" in texts and "兑现惠企资金2860万元" in texts


def test_load_facts_reads_docx(tmp_path):
    from draftbot.facts import load_facts

    facts = load_facts(word_document(tmp_path))
    assert "协议总投资56.8亿元" in [f.text for f in facts.all_facts()]
    assert facts.meta.get("title") == "2026年工作总结"


def test_samples_from_docx(tmp_path):
    from draftbot.samples import load_samples

    folder = tmp_path / "范文"
    folder.mkdir()
    export(sample_draft(), folder / "范文一.docx")
    samples = load_samples(folder)
    assert len(samples) == 1
    headings = [s.heading for s in samples[0].sections]
    assert headings[:2] == ["坚定理想信念，始终做到对党忠诚", "聚焦主责主业，推动各项工作取得实效"]


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "不是有效的 .docx 文件"),  # an old .doc
        (b"just text", "不是有效的 .docx 文件"),
    ],
)
def test_not_a_docx(tmp_path, content, expected):
    path = tmp_path / "bad.docx"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_docx_text(path)
    assert expected in info.value.message and "另存为" in (info.value.hint or "")


def test_zip_that_is_not_word(tmp_path):
    import zipfile

    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(InputError) as info:
        docx_to_draft(path)
    assert "无法读取" in info.value.message


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="找不到"):
        read_docx_text(tmp_path / "nope.docx")
    empty = tmp_path / "empty.docx"
    docx.Document().save(str(empty))
    with pytest.raises(InputError, match="没有文字"):
        docx_to_draft(empty)


def test_reader_does_not_keep_stale_results(tmp_path):
    path = tmp_path / "x.docx"
    export(sample_draft(), path)
    first = read_docx_text(path)
    other = sample_draft()
    other.title = "2026年度述职述廉报告"
    data = io.BytesIO()
    write_docx(other, path)
    assert read_docx_text(path) != first and data is not None


def test_inline_headings_like_the_samples(tmp_path):
    """Seeds write “一、标题。正文……” in one paragraph; the closing still splits off."""
    document = docx.Document()
    for text in (
        "2026年述职报告",
        "本人任园区管委会副主任。现将履职情况报告如下：",
        "一、永葆忠诚之心，始终做到“一心向党”。一方面积极参与党内组织生活。",
        "二、坚守务实之风，始终做到“一抓到底”。三年来立足职能锐意进取。",
        "以上是我的述职报告，不妥之处，请批评指正。",
    ):
        document.add_paragraph(text)
    path = tmp_path / "inline.docx"
    document.save(str(path))
    draft = docx_to_draft(path)
    assert [s.heading for s in draft.sections] == [
        "永葆忠诚之心，始终做到“一心向党”",
        "坚守务实之风，始终做到“一抓到底”",
    ]
    assert draft.sections[1].body == "三年来立足职能锐意进取。"
    assert draft.closing == "以上是我的述职报告，不妥之处，请批评指正。"
