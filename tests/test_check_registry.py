"""The check registry: every kind declared once (id, label, needs, rules, run), picked up from its module
alone, skipped with a note when an input is missing; the README's rule table is generated from it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clirun import EXAMPLE_FACTS, REPO, SRC, run_cli
from draftbot.checks.registry import INPUTS, check
from draftbot.checks.run import check_draft, check_kinds, rule_table

FIXTURES = Path(__file__).parent / "fixtures" / "checks"

# A check kind as a contributor would add one: this module, dropped into draftbot/checks/, is all.
NEW_KIND = '''"""`exclamation`: two exclamation marks in a row (a demonstration kind)."""

import re

from draftbot.checks.base import Hit
from draftbot.checks.registry import check

_TWICE = re.compile("！！")


@check("exclamation", label="连用感叹号", needs=("facts",), level="警告", doc="连用两个感叹号")
def run(ctx):
    return [Hit("exclamation", "warning", m.start(), m.end(), "连用了两个感叹号。", "只留一个。")
            for m in _TWICE.finditer(ctx.masked)]
'''
DRAFT = "2026年度述职报告\n一、政治建设\n认真学习党的理论！！\n二、工作成效\n推动分管工作落实。\n"


def test_readme_rule_table_is_the_generated_one():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- rules:begin -->\n", 1)[1].split("<!-- rules:end -->", 1)[0]
    assert block == rule_table(), "run: python scripts/rule_table.py"
    assert block.count("\n| `") == sum(len(k.rules) for k in check_kinds())


def test_every_rule_of_a_kind_has_a_fixture_folder_and_every_folder_a_rule():
    folders = {p.name.split("--")[0] for p in FIXTURES.iterdir() if p.is_dir()}
    declared = [rule.id for kind in check_kinds() for rule in kind.rules]
    assert len(declared) == len(set(declared))  # a rule id belongs to one kind
    assert folders == set(declared)
    for kind in check_kinds():
        assert set(kind.needs) <= set(INPUTS) and kind.label and all(r.label and r.doc and r.level for r in kind.rules)


def test_the_registry_refuses_unknown_inputs_and_a_second_owner_of_a_rule():
    check_kinds()
    with pytest.raises(ValueError, match="unknown inputs"):
        check("x-kind", label="x", needs=("weather",), level="警告", doc="x")
    with pytest.raises(ValueError, match="reported by another kind"):
        check("x-kind", label="x", level="警告", doc="x",
              rules=(check_kinds()[0].rules[0],))(lambda ctx: [])
    assert "x-kind" not in {k.id for k in check_kinds()}


def test_a_kind_is_skipped_with_a_note_when_its_input_is_missing():
    report = check_draft(DRAFT, samples=[])
    assert "grounding" in report.skipped and report.skipped["grounding"] == ["facts"]
    assert "sample-leak" in report.skipped
    assert any("figure-ungrounded" in n and "--facts" in n for n in report.notes)


def test_a_new_module_is_picked_up_with_no_other_edit(tmp_path: Path):
    tree = tmp_path / "tree" / "src"
    shutil.copytree(SRC / "draftbot", tree / "draftbot", ignore=shutil.ignore_patterns("__pycache__"))
    for bundled in ("samples", "prompts"):  # found beside src/ in a checkout
        shutil.copytree(REPO / bundled, tree.parent / bundled)
    (tree / "draftbot" / "checks" / "exclamation.py").write_text(NEW_KIND, encoding="utf-8")
    draft = tmp_path / "draft.md"
    draft.write_text(DRAFT, encoding="utf-8")
    env = {"PYTHONPATH": str(tree)}

    with_facts = run_cli("check", draft, "--facts", EXAMPLE_FACTS, "--format", "json", env=env)
    findings = json.loads(with_facts.stdout)["findings"]
    assert [(f["rule"], f["line"], f["text"]) for f in findings if f["rule"] == "exclamation"] == [
        ("exclamation", 3, "！！")]
    shown = run_cli("check", draft, "--facts", EXAMPLE_FACTS, env=env)
    assert "连用感叹号 “！！”  连用了两个感叹号。" in shown.stdout

    without = run_cli("check", draft, "--format", "json", env=env)
    data = json.loads(without.stdout)
    assert not any(f["rule"] == "exclamation" for f in data["findings"])
    assert "缺少事实文件（--facts），已跳过 exclamation（连用感叹号）检查。" in data["summary"]["skipped"]
    assert data["summary"]["complete"] is False

    # the tree as shipped does not know the kind
    assert not any(f["rule"] == "exclamation" for f in json.loads(
        run_cli("check", draft, "--facts", EXAMPLE_FACTS, "--format", "json").stdout)["findings"])
