"""`draftbot export` and `draftbot check X.docx` as a user runs them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

docx = pytest.importorskip("docx")

from docx.oxml.ns import qn  # noqa: E402

from clirun import EXAMPLE_FACTS, cli_env, run_cli  # noqa: E402


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder with the example facts, their offline draft, and a draft with mistakes in it."""
    folder = tmp_path_factory.mktemp("export")
    shutil.copy(EXAMPLE_FACTS, folder / "facts.md")
    result = run_cli("write", "facts.md", cwd=folder)
    assert result.returncode == 0, result.stderr
    text = (folder / "facts.draft.md").read_text(encoding="utf-8")
    assert "召开项目调度会38次" in text and "盘活闲置土地312亩" in text
    bad = text.replace("召开项目调度会38次", "召开项目调度会40次").replace(
        "盘活闲置土地312亩", "盘活闲置土地XX亩"
    )
    (folder / "bad.draft.md").write_text(bad, encoding="utf-8")
    return folder


def comments_with_text(path: Path) -> list[tuple[str, str]]:
    document = docx.Document(str(path))
    body = document.element.body
    found = []
    for comment in document.comments:
        inside, parts = False, []
        for node in body.iter():
            if node.tag == qn("w:commentRangeStart") and node.get(qn("w:id")) == str(comment.comment_id):
                inside = True
            elif node.tag == qn("w:commentRangeEnd") and node.get(qn("w:id")) == str(comment.comment_id):
                break
            elif inside and node.tag == qn("w:t"):
                parts.append(node.text or "")
        found.append(("".join(parts), comment.text))
    return found


def test_export_clean_draft(workdir):
    result = run_cli("export", "facts.draft.md", cwd=workdir)
    assert result.returncode == 0, result.stderr
    out = workdir / "facts.docx"
    assert "已导出 Word 文件：facts.docx" in result.stdout
    assert out.exists() and comments_with_text(out) == []
    document = docx.Document(str(out))
    assert document.paragraphs[0].text == "2026年度个人述职报告"


def test_findings_become_comments_on_their_text(workdir):
    result = run_cli("export", "bad.draft.md", "-o", "bad.docx", cwd=workdir)
    assert result.returncode == 0, result.stderr
    comments = dict(comments_with_text(workdir / "bad.docx"))
    assert "40次" in comments and comments["40次"].startswith("【错误】数字无依据：")
    assert "XX" in comments and "待填空白" in comments["XX"]
    assert not any(re.search(r"[a-z]+-[a-z]+|placeholder", text) for text in comments.values())  # no rule id
    assert "建议：" in comments["40次"]
    assert "批注" in result.stdout and "错误" in result.stdout


def test_no_comments(workdir):
    result = run_cli("export", "bad.draft.md", "-o", "plain.docx", "--no-comments", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert comments_with_text(workdir / "plain.docx") == []
    assert "未加批注" in result.stdout


def test_min_level_error_leaves_out_warnings(workdir):
    result = run_cli("export", "bad.draft.md", "-o", "errors.docx", "--min-level", "error", cwd=workdir)
    assert result.returncode == 0, result.stderr
    rules = " ".join(text for _, text in comments_with_text(workdir / "errors.docx"))
    assert "数字无依据" in rules and "待填空白" not in rules


def test_same_draft_same_file(workdir):
    for name in ("one.docx", "two.docx"):
        assert run_cli("export", "bad.draft.md", "-o", name, cwd=workdir).returncode == 0
    assert (workdir / "one.docx").read_bytes() == (workdir / "two.docx").read_bytes()


def test_existing_file_is_kept_without_force(workdir):
    target = workdir / "mine.docx"
    target.write_bytes(b"edited in Word")
    result = run_cli("export", "facts.draft.md", "-o", "mine.docx", cwd=workdir)
    assert result.returncode == 2
    assert "已存在" in result.stderr and "--force" in result.stderr and "Traceback" not in result.stderr
    assert target.read_bytes() == b"edited in Word"
    result = run_cli("export", "facts.draft.md", "-o", "mine.docx", "--force", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert (workdir / "mine.docx.bak").read_bytes() == b"edited in Word"
    assert "备份" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("nope.draft.md",), "找不到"),
        (("facts.draft.md", "-o", "out.pdf"), ".docx"),
        (("facts.draft.md", "-o", "no/such/dir/out.docx"), "不存在"),
        (("facts.draft.md", "-o", "x.docx", "--fonts", "wps"), "字体方案"),
        (("facts.draft.md", "-o", "x.docx", "--font", "body"), "字体设置"),
        (("facts.draft.md", "-o", "x.docx", "--min-level", "fatal"), "--min-level"),
    ],
)
def test_bad_input_is_one_clear_message(workdir, args, message):
    result = run_cli("export", *args, cwd=workdir)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (workdir / "x.docx").exists()


def test_font_preset_flag_and_environment(workdir):
    assert (
        run_cli("export", "facts.draft.md", "-o", "win.docx", "--fonts", "windows", cwd=workdir).returncode
        == 0
    )
    normal = docx.Document(str(workdir / "win.docx")).styles["Normal"].element
    assert normal.find(f"{qn('w:rPr')}/{qn('w:rFonts')}").get(qn("w:eastAsia")) == "仿宋"
    result = run_cli(
        "export", "facts.draft.md", "-o", "noto.docx", cwd=workdir, env={"DRAFTBOT_FONTS": "noto"}
    )
    assert result.returncode == 0, result.stderr
    normal = docx.Document(str(workdir / "noto.docx")).styles["Normal"].element
    assert normal.find(f"{qn('w:rPr')}/{qn('w:rFonts')}").get(qn("w:eastAsia")) == "Noto Serif CJK SC"


def test_exported_file_exports_again_from_another_folder(workdir):
    """The facts path stored in the .docx is relative to the .docx, so its checks still find the facts."""
    sub = workdir / "sub"
    sub.mkdir(exist_ok=True)
    result = run_cli("export", "bad.draft.md", "-o", "sub/bad.docx", cwd=workdir)
    assert result.returncode == 0, result.stderr
    result = run_cli("export", "sub/bad.docx", "-o", "sub/again.docx", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "找不到" not in result.stderr
    assert "数字无依据" in " ".join(text for _, text in comments_with_text(sub / "again.docx"))


def test_check_docx_locates_findings_by_paragraph(workdir):
    assert run_cli("export", "bad.draft.md", "-o", "check.docx", "--no-comments", cwd=workdir).returncode == 0
    result = run_cli("check", "check.docx", "--format", "line", cwd=workdir)
    assert result.returncode == 1, result.stderr
    paragraphs = [p.text for p in docx.Document(str(workdir / "check.docx")).paragraphs]
    rows = [row.split(":") for row in result.stdout.splitlines()]
    figure = next(row for row in rows if row[4] == "figure-ungrounded" and row[3] == "error")
    line, column = int(figure[1]), int(figure[2])
    assert paragraphs[line - 1][column - 1 : column + 2] == "40次"


def test_help_and_check_do_not_import_docx(workdir):
    code = (
        "import sys, runpy\n"
        "sys.argv = ['draftbot'] + sys.argv[1:]\n"
        "try:\n"
        "    runpy.run_module('draftbot', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('DOCX' if 'docx' in sys.modules else 'NO-DOCX', file=sys.stderr)\n"
    )
    for args in (["--help"], ["export", "--help"], ["check", "facts.draft.md"]):
        result = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=workdir,
            env=cli_env(),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )
        assert result.stderr.strip().endswith("NO-DOCX"), (args, result.stderr[-300:])


def test_write_docx_exports_beside_the_draft(tmp_path):
    shutil.copy(EXAMPLE_FACTS, tmp_path / "要点.md")
    result = run_cli("write", "要点.md", "--docx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "已导出 Word 文件：要点.docx" in result.stdout
    document = docx.Document(str(tmp_path / "要点.docx"))
    assert document.paragraphs[0].text == "2026年度个人述职报告"
    before = (tmp_path / "要点.docx").read_bytes()
    (tmp_path / "要点.draft.md").unlink()
    result = run_cli("write", "要点.md", "--docx", cwd=tmp_path)  # the draft is gone, the .docx is not
    assert result.returncode == 2 and "已存在" in result.stderr
    assert not (tmp_path / "要点.draft.md").exists()  # refused before any work
    assert (tmp_path / "要点.docx").read_bytes() == before


def test_write_docx_from_word_facts_never_touches_them(tmp_path):
    facts = tmp_path / "要点.docx"
    document = docx.Document()
    document.add_paragraph("2026年度个人述职报告", style="Title")
    document.add_heading("履职成效", level=1)
    document.add_paragraph("全年新签约项目18个，协议总投资56.8亿元", style="List Bullet")
    document.add_heading("廉洁自律", level=1)
    document.add_paragraph("严格执行中央八项规定及其实施细则精神", style="List Bullet")
    document.save(str(facts))
    before = facts.read_bytes()
    result = run_cli("write", "要点.docx", "--docx", "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert facts.read_bytes() == before
    exported = docx.Document(str(tmp_path / "要点.draft.docx"))
    text = "\n".join(p.text for p in exported.paragraphs)
    assert "56.8亿元" in text and exported.paragraphs[0].text == "2026年度个人述职报告"


def test_docx_draft_needs_a_new_name(workdir):
    assert run_cli("export", "facts.draft.md", "-o", "same.docx", "--force", cwd=workdir).returncode == 0
    result = run_cli("export", "same.docx", cwd=workdir)
    assert result.returncode == 2 and "同一个文件" in result.stderr
    result = run_cli("export", "same.docx", "-o", "same-final.docx", cwd=workdir)
    assert result.returncode == 0, result.stderr
