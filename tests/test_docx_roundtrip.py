"""The report lives in Word/WPS: an exported .docx edited as Word does (text changed, 批注 added,
tracked changes made) is regenerated section by section in place, through the CLI against the
loopback model server; LibreOffice opens the result with the same pages and fonts."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

docx = pytest.importorskip("docx")

from docx.oxml import parse_xml  # noqa: E402
from docx.oxml.ns import nsdecls, qn  # noqa: E402

from clirun import EXAMPLE_FACTS, run_cli  # noqa: E402
from draftbot.docx_reader import read_paragraphs  # noqa: E402
from draftbot.draft import load_draft  # noqa: E402
from fake_openai import FakeOpenAI, Reply  # noqa: E402

KEY = "sk-word-secret-0123456789abcdef"
W_NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFINFO, PDFFONTS = shutil.which("pdfinfo"), shutil.which("pdffonts")
needs_office = pytest.mark.skipif(not (SOFFICE and PDFINFO and PDFFONTS), reason="LibreOffice/poppler not installed")

EDITED = "我在 Word 里改写了这一段：坚持把学习成果转化为推动工作的实际成效。"
COMMENT = "这一段请补充具体事例。（审核人）"
TRACKED = "（审核人补充：全年无违规违纪问题）"
OWN_EDIT = "秘书在 Word 中加写的一句：全年走访服务企业136家次。"


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    (tmp_path / "facts.md").write_bytes(EXAMPLE_FACTS.read_bytes())
    assert run_cli("write", "facts.md", "--engine", "offline", cwd=tmp_path).returncode == 0
    result = run_cli("export", "facts.draft.md", "-o", "报告.docx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "报告.docx"


def body_paragraphs(document, number: str) -> list:
    """The body paragraphs of section `number` (一, 二 …) of a python-docx Document."""
    out, inside = [], False
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if re.match(r"^[一二三四五六七八九十]+、", text):
            inside = text.startswith(f"{number}、")
            continue
        if inside and text and not text.startswith("以上"):
            out.append(paragraph)
    return out


def edit_like_word(path: Path) -> None:
    """Change a paragraph, add a 批注, make a tracked insertion, edit the section to be rewritten."""
    document = docx.Document(str(path))
    changed = body_paragraphs(document, "二")[0]
    for run in changed.runs[1:]:
        run._r.getparent().remove(run._r)
    changed.runs[0].text = EDITED
    commented = body_paragraphs(document, "五")[0]
    document.add_comment(commented.runs, text=COMMENT, author="审核人", initials="SH")
    tracked = body_paragraphs(document, "一")[0]
    tracked._p.append(parse_xml(
        f'<w:ins {nsdecls("w")} w:id="9001" w:author="审核人" w:date="2026-12-05T10:00:00Z">'
        f"<w:r><w:t>{TRACKED}</w:t></w:r></w:ins>"
    ))  # fmt: skip
    third = body_paragraphs(document, "三")[0]
    third.add_run(OWN_EDIT)
    document.save(str(path))


def model_env(server: FakeOpenAI, folder: Path) -> dict[str, str]:
    (folder / "draftbot.toml").write_text("backoff = 0.01\nretries = 1\n", encoding="utf-8")
    return {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "fake-model", "OPENAI_API_KEY": KEY}


def document_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("word/document.xml").decode("utf-8")


def part_xml(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8") if name in archive.namelist() else ""


def revisions(path: Path, tag: str, author: str) -> list[str]:
    """The text inside each w:ins / w:del of `author` in the document body."""
    from lxml import etree

    root = etree.fromstring(document_xml(path).encode("utf-8"))
    out = []
    for element in root.iter(qn(f"w:{tag}")):
        if element.get(qn("w:author")) == author and element.getparent().tag != qn("w:rPr"):
            out.append("".join(t.text or "" for t in element.iter(qn("w:t"), qn("w:delText"))))
    return out


def section_text(path: Path, number: str) -> list[str]:
    return load_draft(path).section_by_number(number).paragraphs()


def rewritten(old: list[str]) -> str:
    """The model's answer: the section as it stands, reworded (same length, so the pages stay)."""
    new = "\n".join(p.replace("，", "；", 1) for p in old)
    assert new != "\n".join(old)
    return new


def regen(path: Path, *args: str, answer: str):
    with FakeOpenAI() as server:
        server.enqueue(Reply(content=answer))
        result = run_cli("regen", path.name, *args, cwd=path.parent, env=model_env(server, path.parent))
        requests = [r.last_content for r in server.chat_requests]
    return result, requests


def test_regen_inside_an_edited_docx_is_a_tracked_change(exported):
    edit_like_word(exported)
    edited = exported.read_bytes()
    before_three = section_text(exported, "三")
    assert OWN_EDIT in "".join(before_three)
    answer = rewritten(before_three)

    result, requests = regen(exported, "--section", "三", answer=answer)
    assert result.returncode == 0, result.stderr
    assert "已更新草稿：报告.docx" in result.stdout
    assert OWN_EDIT in requests[0]  # the section's own edits are what the model revises
    assert KEY not in result.stdout + result.stderr

    assert exported.with_name("报告.docx.bak").read_bytes() == edited  # the original kept
    assert section_text(exported, "二")[0] == EDITED  # the edited paragraph intact
    assert COMMENT in part_xml(exported, "word/comments.xml")
    assert 'w:author="审核人"' in part_xml(exported, "word/comments.xml")
    assert "commentRangeStart" in document_xml(exported)
    assert revisions(exported, "ins", "审核人") == [TRACKED]  # the user's tracked change stays
    inserted = revisions(exported, "ins", "draftbot")
    deleted = revisions(exported, "del", "draftbot")
    assert "".join(inserted) == answer.replace("\n", "")  # the new text is a tracked insertion
    assert "".join(deleted) == "".join(before_three)  # the old text a tracked deletion
    assert section_text(exported, "三") == answer.split("\n")  # read as if accepted
    # every paragraph outside section 三 reads as before
    old = [p.text for p in read_paragraphs(exported.with_name("报告.docx.bak")) if p.text]
    new = [p.text for p in read_paragraphs(exported) if p.text]
    assert [t for t in old if t not in before_three] == [t for t in new if t not in answer.split("\n")]
    assert load_draft(exported).meta["regenerated"][0]["section"] == "三"


def test_no_track_writes_plainly_and_keeps_comments_of_the_section(exported):
    document = docx.Document(str(exported))
    third = body_paragraphs(document, "三")[0]
    document.add_comment(third.runs, text="第三部分的批注", author="审核人")
    document.save(str(exported))
    answer = rewritten(section_text(exported, "三"))

    result, _ = regen(exported, "--section", "3", "--no-track", answer=answer)
    assert result.returncode == 0, result.stderr
    assert revisions(exported, "ins", "draftbot") == [] and revisions(exported, "del", "draftbot") == []
    assert section_text(exported, "三") == answer.split("\n")
    assert "第三部分的批注" in part_xml(exported, "word/comments.xml")
    assert document_xml(exported).count("commentReference") == 1  # still anchored, on the new text


def test_failed_section_and_repair_work_on_the_docx(tmp_path):
    (tmp_path / "facts.md").write_bytes(EXAMPLE_FACTS.read_bytes())
    draft = tmp_path / "facts.draft.md"
    assert run_cli("write", "facts.md", "--engine", "offline", cwd=tmp_path).returncode == 0
    text = draft.read_text(encoding="utf-8")
    parsed = load_draft(draft)
    old_body = parsed.section_by_number("六").body
    from draftbot.draft import make_failed_body

    draft.write_text(text.replace(old_body, make_failed_body("模型超时", "六")), encoding="utf-8")
    assert run_cli("export", "facts.draft.md", cwd=tmp_path).returncode == 0
    path = tmp_path / "facts.docx"
    assert load_draft(path).section_by_number("六").failed

    result = run_cli("regen", "facts.docx", "--failed", "--engine", "offline", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not load_draft(path).section_by_number("六").failed
    assert revisions(path, "ins", "draftbot")

    wrong = "全年新签约项目81个，协议总投资99.9亿元。"
    document = docx.Document(str(path))
    body_paragraphs(document, "四")[0].add_run(wrong)
    document.save(str(path))
    assert "figure-ungrounded" in run_cli("check", "facts.docx", "--format", "line", cwd=tmp_path).stdout
    with FakeOpenAI() as server:
        fixed = "\n".join(p.replace(wrong, "") for p in section_text(path, "四"))
        server.enqueue(Reply(content=fixed))
        result = run_cli("repair", "facts.docx", cwd=tmp_path, env=model_env(server, tmp_path))
    assert result.returncode == 0, result.stderr
    assert wrong not in "".join(section_text(path, "四"))
    assert wrong in "".join(revisions(path, "del", "draftbot"))


# -- bad inputs: clear message, exit 2, nothing changed ---------------------------------------------


def test_a_docx_draftbot_did_not_write_is_mapped_by_headings(tmp_path):
    (tmp_path / "facts.md").write_bytes(EXAMPLE_FACTS.read_bytes())
    document = docx.Document()
    document.add_paragraph("2026年度述职报告", style="Title")
    document.add_paragraph("一、加强政治建设")
    document.add_paragraph("认真学习党的二十届四中全会精神。")
    document.add_paragraph("二、其他体会")
    document.add_paragraph("这一部分对不上提纲。")
    path = tmp_path / "手写.docx"
    document.save(str(path))
    original = path.read_bytes()

    result = run_cli("regen", path.name, "--section", "一", "--engine", "offline", cwd=tmp_path)
    assert result.returncode == 2 and "--facts" in result.stderr and "Traceback" not in result.stderr
    args = ["--facts", "facts.md", "--plan", "述职报告", "--engine", "offline"]
    result = run_cli("regen", path.name, "--section", "二", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert "文件中找到的部分：一、加强政治建设 → " in result.stderr and "二、其他体会 → 提纲中没有对应部分" in result.stderr
    assert path.read_bytes() == original

    result = run_cli("regen", path.name, "--section", "一", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert revisions(path, "del", "draftbot") == ["认真学习党的二十届四中全会精神。"]
    assert path.with_name("手写.docx.bak").read_bytes() == original


def test_damaged_embedded_part_is_refused(exported):
    data = exported.read_bytes()
    broken = exported.with_name("损坏.docx")
    with zipfile.ZipFile(exported) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("customXml/item") and b"urn:draftbot" in content and b"frontMatter" in content:
                content = content.replace(b"</frontMatter>", b"")  # cut: not XML any more
            target.writestr(info, content)
    damaged = broken.read_bytes()
    result = run_cli("regen", broken.name, "--section", "三", "--engine", "offline", cwd=exported.parent)
    assert result.returncode == 2 and "已损坏" in result.stderr and "Traceback" not in result.stderr
    assert broken.read_bytes() == damaged and exported.read_bytes() == data
    assert run_cli("check", broken.name, cwd=exported.parent).returncode in (0, 1)  # still readable


def test_locked_or_read_only_docx_is_left_alone(exported):
    data = exported.read_bytes()
    lock = exported.with_name("~$" + exported.name)
    lock.write_bytes(b"owner")
    result = run_cli("regen", exported.name, "--section", "三", "--engine", "offline", cwd=exported.parent)
    assert result.returncode == 2 and "正在被" in result.stderr and "锁定文件" in result.stderr
    lock.unlink()
    os.chmod(exported, stat.S_IRUSR | stat.S_IRGRP)
    try:
        result = run_cli("regen", exported.name, "--section", "三", "--engine", "offline", cwd=exported.parent)
        assert result.returncode == 2 and "只读" in result.stderr
    finally:
        os.chmod(exported, stat.S_IRUSR | stat.S_IWUSR)
    assert exported.read_bytes() == data
    assert not exported.with_name("报告.docx.bak").exists()


# -- LibreOffice -----------------------------------------------------------------------------------


def soffice(path: Path, fmt: str, outdir: Path) -> Path:
    outdir.mkdir(exist_ok=True)
    profile = (outdir / "lo-profile").as_uri()
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", fmt, "--outdir", str(outdir),
         str(path)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    out = outdir / f"{path.stem}.{fmt}"
    assert out.exists()
    return out


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run([PDFINFO, str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def pdf_fonts(pdf: Path) -> set[str]:
    lines = subprocess.run([PDFFONTS, str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()
    return {line.split()[0].split("+")[-1] for line in lines[2:] if line.strip()}


@needs_office
def test_libreoffice_opens_the_result_with_the_same_pages_and_fonts(exported, tmp_path):
    edit_like_word(exported)
    before = soffice(exported, "pdf", tmp_path / "before")
    result, _ = regen(exported, "--section", "三", answer=rewritten(section_text(exported, "三")))
    assert result.returncode == 0, result.stderr
    after = soffice(exported, "pdf", tmp_path / "after")
    assert pdf_pages(after) == pdf_pages(before)
    assert pdf_fonts(after) == pdf_fonts(before)


@needs_office
def test_regen_after_a_libreoffice_save(exported, tmp_path):
    saved = soffice(exported, "docx", tmp_path / "lo")  # what a LibreOffice user's save gives
    target = exported.with_name("另存.docx")
    shutil.copyfile(saved, target)
    assert load_draft(target).meta.get("plan") == "述职报告"  # the embedded part survived
    answer = rewritten(section_text(target, "三"))
    result, _ = regen(target, "--section", "三", answer=answer)
    assert result.returncode == 0, result.stderr
    assert section_text(target, "三") == answer.split("\n")
    assert "".join(revisions(target, "ins", "draftbot")) == answer.replace("\n", "")


# -- import ------------------------------------------------------------------------------------------


def test_import_turns_the_edited_docx_into_a_draft_with_a_change_summary(exported):
    edit_like_word(exported)
    folder = exported.parent / "定稿"
    folder.mkdir()
    result = run_cli("import", exported.name, "-o", "定稿/报告.draft.md", cwd=exported.parent)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.strip().startswith("一、") and line.endswith("改动 1 段") for line in lines)
    assert any(line.strip().startswith("二、") and line.endswith("改动 1 段") for line in lines)
    assert any(line.strip().startswith("五、") for line in lines) is False  # a comment is no text change
    imported = folder / "报告.draft.md"
    draft = load_draft(imported)
    assert draft.section_by_number("二").paragraphs()[0] == EDITED
    assert TRACKED in draft.section_by_number("一").body  # a tracked insertion is text
    assert draft.meta["plan"] == "述职报告" and draft.meta["facts"] == "../facts.md"
    check = run_cli("check", imported, "--format", "json", cwd=exported.parent)
    assert check.returncode in (0, 1) and "找不到事实文件" not in check.stdout + check.stderr
    again = run_cli("import", exported.name, "-o", "定稿/报告.draft.md", cwd=exported.parent)
    assert again.returncode == 2 and "已存在" in again.stderr  # never overwritten without --force


def test_import_of_a_docx_draftbot_did_not_write(tmp_path):
    document = docx.Document()
    document.add_paragraph("一、主要工作")
    document.add_paragraph("完成项目18个。")
    document.save(str(tmp_path / "别人的.docx"))
    result = run_cli("import", "别人的.docx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "不是 draftbot 导出的" in result.stdout
    assert load_draft(tmp_path / "别人的.draft.md").section_by_number("一").body == "完成项目18个。"
