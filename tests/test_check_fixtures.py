"""One fixture folder per rule: draft.md + facts.md (+ plan.yaml) and the exact findings in line format."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from draftbot.checks.finding import format_line
from draftbot.checks.run import check_draft

FIXTURES = Path(__file__).parent / "fixtures" / "checks"
RULE_DIRS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def test_every_rule_has_a_fixture():
    from draftbot.checks.finding import RULE_IDS

    assert set(RULE_DIRS) == set(RULE_IDS)


@pytest.mark.parametrize("rule", RULE_DIRS)
def test_fixture(rule: str, monkeypatch):
    folder = FIXTURES / rule
    monkeypatch.chdir(folder)  # the draft's front matter names facts.md and plan.yaml beside it
    report = check_draft(Path("draft.md"))
    expected = (folder / "expected.txt").read_text(encoding="utf-8")
    assert format_line(report.findings, "draft.md") == expected
    assert any(f.rule == rule for f in report.findings), f"{rule} fixture should exercise {rule}"
    assert os.sep not in expected
