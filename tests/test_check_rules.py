"""Rule data: the shipped rule files load; bad rule files are rejected naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from draftbot.checks.rules import RuleError, load_rules


def test_builtin_rules_load_with_sources_and_periods():
    rules = load_rules()
    assert {p.id for p in rules.placeholders} >= {"stars", "letter-x", "cross", "mou", "todo"}
    assert any(s.right == "以习近平同志为核心的党中央" for s in rules.substitutions)
    assert {e.name for e in rules.enumerations} >= {"四个意识", "四个自信"}
    plan = next(r for r in rules.dated if r.id == "14th-five-year-plan")
    assert (plan.start, plan.until) == (2021, 2025)
    assert plan.source and "十五五" in plan.now_text(2026)
    assert all(r.source for r in rules.dated)
    assert 2035 in rules.allowed_years


def test_extra_rules_dir_extends_builtin(tmp_path: Path):
    (tmp_path / "province.yaml").write_text(
        "source: 本省文件\nsubstitutions:\n  - wrong: 百千万工程\n    right: “百县千镇万村高质量发展工程”\n",
        encoding="utf-8",
    )
    rules = load_rules(tmp_path)
    assert rules.substitutions[-1].wrong == ["百千万工程"]
    assert rules.substitutions[-1].source == "本省文件"
    assert len(rules.substitutions) == len(load_rules().substitutions) + 1


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("placeholders:\n  - id: a\n    chars: '*'\n  - id: b\n    literal: x\n    regex: y\n", 4, "只要写"),
        ("dated:\n  - id: a\n    patterns: ['十四五']\n    current: {from: 2025, until: 2021}\n", 4, "晚于"),
        ("dated:\n  - id: a\n    patterns: ['(unclosed']\n    current: {until: 2021}\n", 3, "正则"),
        ("substitutions:\n  - wrong: 甲\n", 2, "right"),
        ("enumerations:\n  - name: 一\n    items: [甲]\n", 3, "至少要有两项"),
        ("bogus: 1\n", 1, "未知的键"),
        ("substitutions:\n  - wrong: 甲\n    right: 乙\n    level: fatal\n", 4, "level"),
        ("dated: [a, b\n", 2, "YAML"),
        ("- just a list\n", 1, "键值对"),
    ],
)
def test_bad_rule_file_names_file_and_line(tmp_path: Path, content: str, line: int, problem: str):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path)
    message = info.value.message
    assert str(bad) in message
    assert f"第 {line} 行" in message
    assert problem in message
    assert info.value.exit_code == 2


def test_missing_or_empty_rules_dir(tmp_path: Path):
    with pytest.raises(RuleError, match="找不到规则文件夹"):
        load_rules(tmp_path / "nope")
    with pytest.raises(RuleError, match="没有 .yaml"):
        load_rules(tmp_path)
