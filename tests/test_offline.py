from pathlib import Path

import pytest

from draftbot.compose import compose_draft
from draftbot.draft import parse_draft
from draftbot.engines import get_engine
from draftbot.engines.offline import enumerate_points
from draftbot.facts import load_facts, parse_facts
from draftbot.figures import extract_figures
from draftbot.plans import load_plan, resolve_plan
from draftbot.samples import builtin_samples

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "facts.md"


@pytest.fixture(scope="module")
def example():
    facts = load_facts(EXAMPLE)
    plan = resolve_plan(None, facts)
    samples = builtin_samples()
    draft, routing, _ = compose_draft(
        facts, plan, samples, get_engine("offline"), out_path=EXAMPLE.with_name("x.md")
    )
    return facts, plan, samples, draft, routing


def test_every_plan_section_in_order(example):
    _, plan, _, draft, _ = example
    assert [s.heading for s in draft.sections] == [s.heading for s in plan.sections]
    assert [s.number for s in draft.sections] == ["一", "二", "三", "四", "五", "六", "七"]
    assert draft.title == "2026年度个人述职报告"
    assert draft.opening.endswith("现将履职情况报告如下：")
    assert "青溪经济开发区党工委委员、管委会副主任" in draft.opening
    assert draft.closing == "以上述职，请各位领导和同志们评议。"


def test_every_figure_of_the_facts_appears_verbatim(example):
    facts, _, _, draft, _ = example
    text = draft.text()
    for fact in facts.all_facts():
        for figure in extract_figures(fact.text):
            assert figure.text in text, (fact.text, figure.text)


def test_no_figure_absent_from_the_facts(example):
    facts, _, _, draft, _ = example
    known = {f.text for f in extract_figures(facts.text())}
    drafted = {f.text for f in extract_figures(draft.text())}
    assert drafted, "the draft should carry figures"
    assert drafted <= known, drafted - known


def test_required_formulations_per_section(example):
    _, plan, _, draft, _ = example
    for section, planned in zip(draft.sections, plan.sections, strict=True):
        for phrase in planned.required:
            assert phrase in section.body, (section.heading, phrase)


def test_yi_shi_er_shi_structure_and_subheadings(example):
    _, _, _, draft, _ = example
    performance = draft.sections[3]
    paragraphs = performance.paragraphs()
    assert [p[:3] for p in paragraphs[1:]] == ["（一）", "（二）", "（三）", "（四）"]
    assert paragraphs[1].startswith("（一）招商引资。一是全年新签约项目18个，协议总投资56.8亿元")
    assert "；二是" in paragraphs[1] and paragraphs[1].endswith("。")
    assert "一是参加党工委理论学习中心组集体学习12次" in draft.sections[0].body


def test_no_sample_specifics_copied(example):
    _, _, samples, draft, _ = example
    text = draft.text()
    # A 30-character run found in exactly one sample would be copied specifics, not shared 套话.
    for start in range(0, len(text) - 30):
        run = text[start : start + 30]
        holders = [s.name for s in samples if run in s.text]
        assert len(holders) != 1, (run, holders)
    for specific in ("金晟兰", "万洋众创", "粤北", "李亚", "88.48%", "372亩", "7135亩"):
        assert specific not in text


def test_draft_file_round_trip_and_front_matter(example):
    facts, _, _, draft, _ = example
    rendered = draft.render()
    parsed = parse_draft(rendered)
    assert parsed.render() == rendered
    assert parsed.meta["facts"] == "facts.md"
    assert parsed.meta["facts_sha256"] == facts.sha256
    assert parsed.meta["plan"] == "述职报告" and parsed.meta["engine"] == "offline"
    assert parsed.meta["samples"] == ["000", "001", "002", "003", "004"]
    assert parsed.sections[3].id == "performance"


def test_sections_without_facts_use_plan_points_or_a_blank_to_fill():
    facts = parse_facts("---\nperiod: 2026\n---\n# 招商引资\n- 签约项目3个\n")
    draft, _, _ = compose_draft(facts, load_plan("述职报告"), [], get_engine("offline"))
    shortcomings = draft.sections[5]
    assert shortcomings.body.count("是") >= 3 and "一是" in shortcomings.body
    unit = compose_draft(
        parse_facts("# 存在问题\n- 招商渠道不多\n"), load_plan("年度工作总结"), [], get_engine("offline")
    )[0]
    assert "【待补】" in unit.sections[0].body  # no achievements given: a visible blank
    assert unit.opening.endswith("现将有关情况总结如下：")


def test_enumerate_points():
    assert enumerate_points(["甲。", "乙；"]) == "一是甲；二是乙。"
    assert enumerate_points(["只有一条"]) == "只有一条。"
    assert enumerate_points([str(i) for i in range(12)]).count("是") == 12
    assert "十一是10；十二是11。" in enumerate_points([str(i) for i in range(12)])
