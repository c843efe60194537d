"""Proofreading checks through the CLI: typos, mechanical defects, garbled names, stale wording,
contradicting figures; --fix, --ignore / --show-ignored, user words, the rule library version."""

from __future__ import annotations

import json

from clirun import run_cli

DRAFT = """2024年度述职报告
一、政治建设
始终严于律已，淡薄名利，既使学生受益也不敢懈怠。努力在在学习中锤炼党性，认认真真、常常深入一线。
坚持以总书记新时代中国特色社会主义思想为指导，坚决打赢脱贫攻坚战，统筹好疫情防控与乡村振兴。
二、工作成效
全年完成投资三点五亿元，其中新建项目2.4亿元；学生合格率95.8%（776/862）。本校阳光中学的工作。
"""


def write(tmp_path, text=DRAFT, name="草稿.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_check_reports_each_proofreading_kind(tmp_path):
    path = write(tmp_path)
    result = run_cli(*["check", str(path), "--format", "json"])
    data = json.loads(result.stdout)
    rules = {(f["rule"], f["text"]) for f in data["findings"]}
    assert ("typo", "严于律已") in rules and ("typo", "淡薄名利") in rules
    assert ("doubled-text", "在在") in rules
    assert not any(r == "doubled-text" and t in ("认认", "常常") for r, t in rules)
    assert any(r == "formulation-noncanonical" and "总书记新时代" in t for r, t in rules)
    assert ("formulation-dated", "打赢脱贫攻坚") in rules or any("脱贫攻坚" in t for r, t in rules if r == "formulation-dated")
    assert any(r == "formulation-dated" and "疫情防控" in t for r, t in rules)
    assert any(r == "figure-inconsistent" for r, _ in rules)
    assert data["rules_version"].startswith("内置规则库 ")
    assert result.returncode == 1


def test_a_text_without_headings_is_checked_and_says_what_was_skipped(tmp_path):
    path = write(tmp_path, "2024年工作总结\n今年以来严于律已，努力工作。\n", "总结.txt")
    result = run_cli(*["check", str(path), "--plan", "述职报告"])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "严于律已" in result.stdout and "没有找到部分标题" in result.stdout
    assert "规则库" in result.stdout


def test_fix_applies_only_certain_fixes_keeps_a_backup_and_lists_them(tmp_path):
    path = write(tmp_path)
    result = run_cli(*["check", str(path), "--fix", "--format", "line"])
    fixed = path.read_text(encoding="utf-8")
    assert (tmp_path / "草稿.md.bak").read_text(encoding="utf-8") == DRAFT
    assert "严于律己" in fixed and "淡泊名利" in fixed and "以习近平新时代中国特色社会主义思想" in fixed
    assert "“严于律已” → “严于律己”" in result.stderr
    assert "既使学生受益" in fixed  # a 疑似 entry is never changed
    assert "三点五亿元" in fixed and "95.8%" in fixed and "打赢脱贫攻坚战" in fixed  # figures and stale wording untouched
    assert "严于律已" not in result.stdout


def test_an_ignored_finding_stops_coming_back_and_can_be_shown(tmp_path):
    path = write(tmp_path)
    first = run_cli(*["check", str(path), "--ignore", "typo:淡薄名利", "--format", "line"])
    assert "淡薄名利" not in first.stdout
    assert (tmp_path / "草稿.md.ignore.yaml").read_text(encoding="utf-8").count("淡薄名利") >= 1
    again = run_cli(*["check", str(path), "--format", "line"])
    assert "淡泊名利" not in again.stdout and "严于律己" in again.stdout
    shown = run_cli(*["check", str(path), "--show-ignored", "--format", "line"])
    assert "【已忽略】" in shown.stdout
    wrong = run_cli(*["check", str(path), "--ignore", "typo:不存在的字"])
    assert wrong.returncode == 2 and "无法忽略" in wrong.stderr


def test_user_words_and_disabled_entries_silence_typos(tmp_path):
    rules = tmp_path / "本单位规则"
    rules.mkdir()
    (rules / "unit.yaml").write_text("version: '1.0'\nwords: [严于律已楼]\ntypo_disable: [淡薄名利]\n", encoding="utf-8")
    path = write(tmp_path, "2024年度述职报告\n一、政治建设\n在严于律已楼办公，淡薄名利。严于律已。\n")
    data = json.loads(run_cli(*["check", str(path), "--rules", str(rules), "--format", "json"]).stdout)
    typos = [f for f in data["findings"] if f["rule"] == "typo"]
    assert [(f["line"], f["column"]) for f in typos] == [(3, 15)]
    assert "unit.yaml 1.0" in data["rules_version"]


def test_facts_with_content_for_a_section_the_draft_lacks_make_an_error(tmp_path):
    facts = tmp_path / "要点.md"
    facts.write_text("---\ntype: 述职述廉报告\nperiod: 2024年\n---\n# 廉洁自律\n- 严格执行请示报告制度，全年拒收购物卡3张\n",
                     encoding="utf-8")
    path = write(tmp_path, "2024年度述职报告\n一、理论学习\n认真学习，做到廉洁奉公。\n", "报告.txt")
    data = json.loads(run_cli(*["check", str(path), "--facts", str(facts), "--format", "json"]).stdout)
    owed = [f for f in data["findings"] if f["rule"] == "section-missing" and "事实文件" in f["message"]]
    assert owed and owed[0]["level"] == "error"
