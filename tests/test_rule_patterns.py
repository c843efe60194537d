"""The rules' regexes: every built-in one compiles and never matches the empty string; a user's
mistake is reported with its file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from draftbot.checks.rules import RuleError, load_rules


def builtin_patterns() -> list[re.Pattern]:
    rules = load_rules()
    found = [p.pattern for p in rules.placeholders] + [j.pattern for j in rules.junk] + list(rules.names)
    for group in (rules.substitutions, rules.dated, rules.formulations):
        found += [p for rule in group for p in rule.patterns]
    return found


def test_builtin_patterns_compile_and_never_match_empty():
    patterns = builtin_patterns()
    assert len(patterns) >= 40
    for pattern in patterns:
        assert pattern.match("") is None, pattern.pattern


def test_user_rule_regex_is_checked_at_load(tmp_path: Path):
    (tmp_path / "empty.yaml").write_text("junk:\n  - id: a\n    regex: 'x*'\n", encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path)
    assert "第 3 行" in info.value.message and "空字符串" in info.value.message
    (tmp_path / "empty.yaml").write_text("names:\n  - '甲(乙'\n", encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path)
    assert "第 2 行" in info.value.message and "正则" in info.value.message


def test_literal_and_chars_placeholders_match_as_written(tmp_path: Path):
    (tmp_path / "marks.yaml").write_text(
        "placeholders:\n  - id: dotted\n    literal: 'a.b'\n  - id: stars\n    chars: '*＊'\n", encoding="utf-8")
    rules = load_rules(tmp_path)
    dotted = next(r for r in rules.placeholders if r.id == "dotted").pattern
    stars = next(r for r in rules.placeholders if r.id == "stars").pattern
    assert dotted.search("xa.bx").group() == "a.b" and dotted.search("axb") is None  # a dot is a dot
    assert [m.group() for m in stars.finditer("a**b＊c")] == ["**", "＊"]
