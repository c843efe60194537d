"""The closing block (落款): 述职人/单位 and the 成文日期 at the end, per plan, in Markdown and Word."""

from __future__ import annotations

import re
import zipfile

import pytest

from clirun import EXAMPLE_FACTS, run_cli
from draftbot.draft import load_draft

docx = pytest.importorskip("docx")


@pytest.fixture
def written(tmp_path):
    (tmp_path / "facts.md").write_bytes(EXAMPLE_FACTS.read_bytes())
    result = run_cli("write", "facts.md", "--engine", "offline", "--docx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_draft_ends_with_author_and_date_and_checks_clean(written):
    draft = load_draft(written / "facts.draft.md")
    created = draft.meta["created"][:10].split("-")
    assert draft.signature == ["述职人：王建华", f"{created[0]}年{int(created[1])}月{int(created[2])}日"]
    assert draft.closing.startswith("以上述职")  # the block is not part of the closing text
    check = run_cli("check", "facts.draft.md", "--format", "line", cwd=written)
    assert "figure-ungrounded" not in check.stdout  # the 成文日期 is no figure to source


def test_word_file_right_aligns_the_block_and_reads_it_back(written):
    path = written / "facts.docx"
    paragraphs = [p for p in docx.Document(str(path)).paragraphs if p.text.strip()]
    name, date = paragraphs[-2], paragraphs[-1]
    assert (name.text, date.text) == tuple(load_draft(written / "facts.draft.md").signature)
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    tail = xml[xml.rindex("<w:p>", 0, xml.index("draftbot_signature")):]
    assert tail.count('w:jc w:val="right"') == 2
    assert 'w:right="1280"' in tail  # the date: four characters (4 × 16 pt) free on the right
    assert load_draft(path).render() == load_draft(written / "facts.draft.md").render()


def test_regen_of_the_closing_keeps_the_block(written):
    before = load_draft(written / "facts.draft.md").signature
    result = run_cli("regen", "facts.draft.md", "--section", "结尾", "--engine", "offline", cwd=written)
    assert result.returncode == 0, result.stderr
    assert load_draft(written / "facts.draft.md").signature == before


def test_a_plan_configures_the_block(written):
    plan = (EXAMPLE_FACTS.parents[1] / "src" / "draftbot" / "data" / "plans" / "述职报告.yaml").read_text(encoding="utf-8")
    (written / "我的提纲.yaml").write_text(
        plan + '\nsignature:\n  lines: ["{unit}", "述职人：{author}", "{nosuch}"]\n  date: false\n', encoding="utf-8"
    )
    result = run_cli("write", "facts.md", "-o", "b.md", "--plan", "我的提纲.yaml", "--engine", "offline", cwd=written)
    assert result.returncode == 0, result.stderr
    assert load_draft(written / "b.md").signature == ["青溪经济开发区", "述职人：王建华"]
    (written / "无落款.yaml").write_text(plan + "\nsignature: false\n", encoding="utf-8")
    assert run_cli("write", "facts.md", "-o", "c.md", "--plan", "无落款.yaml", "--engine", "offline",
                   cwd=written).returncode == 0  # fmt: skip
    assert load_draft(written / "c.md").signature == []
    (written / "坏.yaml").write_text(plan + "\nsignature: 述职人\n", encoding="utf-8")
    bad = run_cli("write", "facts.md", "-o", "d.md", "--plan", "坏.yaml", "--engine", "offline", cwd=written)
    assert bad.returncode == 2 and "signature" in bad.stderr and re.search(r"[\u4e00-\u9fff]", bad.stderr)
