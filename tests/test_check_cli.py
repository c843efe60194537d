"""`draftbot check` end to end: the samples, a clean draft, the offline engine's draft, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clirun import EXAMPLE_FACTS, REPO, run_cli
from draftbot.checks.run import check_draft

FIXTURES = Path(__file__).parent / "fixtures"
CLEAN = FIXTURES / "check_clean" / "述职报告.md"

# Blanks in each built-in sample, counted by hand: each run of *, x/X left where a figure, date or
# name was anonymised is one blank (20**年*月 is two).
SAMPLE_BLANKS = {"000": 40, "001": 10, "002": 60, "003": 65, "004": 55}


@pytest.mark.parametrize(("name", "count"), sorted(SAMPLE_BLANKS.items()))
def test_each_sample_checked_as_a_draft_counts_its_blanks(name: str, count: int):
    findings = check_draft(REPO / "samples" / f"{name}.md", samples=[]).findings
    blanks = [f for f in findings if f.rule == "placeholder"]
    assert len(blanks) == count
    assert all(f.text and set(f.text) <= set("*xX") for f in blanks)


def test_sample_blank_count_in_json_summary():
    result = run_cli("check", REPO / "samples" / "001.md", "--format", "json")
    summary = json.loads(result.stdout)["summary"]
    assert summary["placeholders"] == 10
    assert summary["by_rule"]["formulation-noncanonical"] == 1  # 以习近平总书记为核心的党中央
    assert result.returncode == 1  # the wrong formulation is an error; blanks are warnings


def test_clean_draft_of_example_facts_has_no_error():
    report = check_draft(CLEAN, facts=EXAMPLE_FACTS, plan="述职报告")
    assert [f for f in report.findings if f.level == "error"] == []
    assert report.notes == []


def test_offline_draft_of_example_facts_passes_its_own_check(tmp_path: Path):
    facts = tmp_path / "facts.md"
    shutil.copy(EXAMPLE_FACTS, facts)
    written = run_cli("write", facts)
    assert written.returncode == 0, written.stderr
    assert written.stdout.rstrip().endswith("检查通过：未发现问题。")  # write ends with the check summary
    result = run_cli("check", tmp_path / "facts.draft.md", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["errors"] == 0
    assert data["summary"]["skipped"] == []  # facts, plan and period all found via the front matter


def test_errors_exit_1_with_regen_command(tmp_path: Path):
    draft = tmp_path / "draft.md"
    text = CLEAN.read_text(encoding="utf-8").replace("协议总投资56.8亿元", "协议总投资65.8亿元")
    draft.write_text(text, encoding="utf-8")
    result = run_cli("check", draft, "--facts", EXAMPLE_FACTS, "--plan", "述职报告")
    assert result.returncode == 1
    assert "65.8亿元" in result.stdout and "数字无依据" in result.stdout and "figure-ungrounded" not in result.stdout
    assert f"draftbot regen {draft} --section 4" in result.stdout
    line = run_cli("check", draft, "--facts", EXAMPLE_FACTS, "--plan", "述职报告", "--format", "line")
    assert line.stdout.strip().endswith(":error:figure-ungrounded:金额“65.8亿元”在事实文件中找不到依据（与事实中的数字都对不上）。")


def test_min_level_and_skipped_notes(tmp_path: Path):
    draft = tmp_path / "草稿.txt"
    draft.write_text("一、工作成效\n计划投资x亿元，于20**年完成。\n", encoding="utf-8")
    result = run_cli("check", draft, "--format", "json")
    data = json.loads(result.stdout)
    assert result.returncode == 0
    assert data["summary"]["placeholders"] == 2
    assert any("--facts" in note for note in data["summary"]["skipped"])
    assert any("--plan" in note for note in data["summary"]["skipped"])
    quiet = run_cli("check", draft, "--format", "line", "--min-level", "error")
    assert quiet.returncode == 0 and quiet.stdout == ""
    text = run_cli("check", draft)
    assert "未提供事实文件" in text.stdout and "待填空白 2 处" in text.stdout


def test_headings_without_markdown_and_period_option(tmp_path: Path):
    draft = tmp_path / "pasted.txt"
    draft.write_text("（一）招商引资\n1. 项目\n一、履职情况\n紧扣“十四五”规划目标任务。\n", encoding="utf-8")
    old = run_cli("check", draft, "--period", "2025", "--format", "line")
    assert old.returncode == 0 and old.stdout == ""
    new = run_cli("check", draft, "--period", "2026", "--format", "line")
    assert new.returncode == 1 and ":4:4:error:formulation-dated:" in new.stdout


def test_user_rules_extend_builtin(tmp_path: Path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "本单位.yaml").write_text(
        "source: 本单位文件\nsubstitutions:\n  - wrong: 青溪开发区\n    right: 青溪经济开发区\n", encoding="utf-8"
    )
    draft = tmp_path / "d.md"
    draft.write_text("一、工作\n青溪开发区全年发展良好。\n", encoding="utf-8")
    result = run_cli("check", draft, "--rules", rules, "--format", "line")
    assert result.returncode == 1
    assert "formulation-noncanonical:“青溪开发区”不是规范表述，应为“青溪经济开发区”。（依据：本单位文件）" in result.stdout


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "找不到草稿"),
        (lambda d: d.write_text("", encoding="utf-8"), "是空的"),
        (lambda d: d.write_bytes(b"\x00\x01\x02PK\x00"), "不是文本文件"),
    ],
)
def test_bad_drafts_exit_2_with_one_clear_message(tmp_path: Path, setup, message: str):
    draft = tmp_path / "draft.md"
    setup(draft)
    result = run_cli("check", draft)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_bad_rule_file_exits_2_naming_file_and_line(tmp_path: Path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text("dated:\n  - id: x\n    patterns: ['十四五']\n", encoding="utf-8")
    result = run_cli("check", CLEAN, "--rules", rules)
    assert result.returncode == 2
    assert "bad.yaml" in result.stderr and "第 2 行" in result.stderr and "current" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [["--format", "xml"], ["--min-level", "fatal"], ["--period", "26"], ["--plan", "不存在的提纲"],
     ["--facts", "nope.md"]],
)
def test_bad_options_exit_2(args):
    result = run_cli("check", CLEAN, *args)
    assert result.returncode == 2
    assert result.stderr.startswith("错误：") and "Traceback" not in result.stderr


def test_check_imports_no_langchain_openai_or_docx():
    code = (
        "import sys\nfrom draftbot.cli import main\n"
        f"sys.argv = ['draftbot', 'check', {str(CLEAN)!r}, '--facts', {str(EXAMPLE_FACTS)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('langchain', 'langchain_core',"
        " 'langchain_openai', 'openai', 'docx', 'jieba', 'opencc'))\n"
        "print('HEAVY:', bad)\n"
    )
    import subprocess
    import sys

    from clirun import cli_env

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(),
                            encoding="utf-8", cwd=REPO)
    assert "HEAVY: []" in result.stdout, result.stdout + result.stderr


def test_text_without_top_headings_splits_at_sub_headings(tmp_path: Path):
    draft = tmp_path / "sub.md"
    draft.write_text("# 总结\n\n## （一）招商引资\n全年签约项目x个。\n（二）安全生产\n未发生事故，投资**亿元。\n",
                     encoding="utf-8")
    findings = check_draft(draft, samples=[]).findings
    assert [(f.section, f.section_index, f.line) for f in findings] == [
        ("（一）招商引资", 1, 4), ("（二）安全生产", 2, 6)]
    numbered = tmp_path / "num.txt"
    numbered.write_text("1.招商引资\n签约x个。\n2. 安全生产\n无事故。\n", encoding="utf-8")
    (finding,) = check_draft(numbered, samples=[]).findings
    assert (finding.section, finding.line, finding.column) == ("1. 招商引资", 2, 3)


def test_own_samples_folder_for_leaks(tmp_path: Path):
    own = tmp_path / "范文"
    own.mkdir()
    copied = "今年以来我们坚持把青溪湖生态治理作为头号工程，先后投入整治资金并完成岸线修复工程的全部建设任务"
    (own / "a.txt").write_text(f"一、生态治理\n{copied}。\n", encoding="utf-8")
    draft = tmp_path / "d.md"
    draft.write_text(f"一、工作成效\n{copied}，群众满意度明显提升。\n", encoding="utf-8")
    result = run_cli("check", draft, "--samples", own, "--format", "line")
    assert "sample-leak:与范文 a 连续" in result.stdout
    builtin = run_cli("check", draft, "--format", "line")
    assert "sample-leak" not in builtin.stdout
