"""One fixture folder per rule (and RULE--variant folders for more cases of one rule): draft.md (+ facts.md,
plan.yaml) and the exact findings in line format; levels.txt, where present, the level of each finding."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from draftbot.checks.finding import format_line
from draftbot.checks.run import check_draft

FIXTURES = Path(__file__).parent / "fixtures" / "checks"
RULE_DIRS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def test_every_rule_has_a_fixture():
    from draftbot.checks.run import check_kinds

    RULE_IDS = [rule for kind in check_kinds() for rule in kind.rule_ids]  # noqa: N806 (as it was named)
    assert {name.split("--")[0] for name in RULE_DIRS} == set(RULE_IDS)


@pytest.mark.parametrize("rule", RULE_DIRS)
def test_fixture(rule: str, monkeypatch):
    folder = FIXTURES / rule
    monkeypatch.chdir(folder)  # the draft's front matter names facts.md and plan.yaml beside it
    report = check_draft(Path("draft.md"))
    expected = (folder / "expected.txt").read_text(encoding="utf-8")
    assert format_line(report.findings, "draft.md") == expected
    name = rule.split("--")[0]
    assert any(f.rule == name for f in report.findings), f"{rule} fixture should exercise {name}"
    assert os.sep not in expected
    levels = folder / "levels.txt"
    if levels.exists():
        shown = [f"{f.line}:{f.rule}:{f.level}" for f in sorted(report.findings, key=lambda f: f.sort_key())]
        assert shown == levels.read_text(encoding="utf-8").split()
