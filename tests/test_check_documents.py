"""Checking documents draftbot did not write: their own outline, coverage of the plan, the report's
year, required formulations (accepted forms, scope, one finding per group), levels, and the new rules
(official names, past campaigns, template junk, stock phrases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from draftbot.checks.formulations import find_dated, find_noncanonical
from draftbot.checks.junk import find_junk
from draftbot.checks.parts import read_outline
from draftbot.checks.rules import RuleError, load_rules
from draftbot.checks.run import check_draft

RULES = load_rules()


def findings(text: str, **options) -> list[tuple[str, str, str]]:
    """(rule, level, message) of every finding, without the sample-leak check."""
    report = check_draft(text, samples=[], **options)
    return [(f.rule, f.level, f.message) for f in report.findings]


def of_rule(text: str, rule: str, **options) -> list[tuple[str, str]]:
    return [(level, message) for r, level, message in findings(text, **options) if r == rule]


# ------------------------------------------------------------------ the document's own outline


def test_outline_reads_every_numbering_style_and_nests_parts():
    text = ("2024年度述职报告\n第一部分 主要工作\n一.加强学习\n正文。\n二．抓好工作\n（一）教学。正文。\n1.听课。正文。\n"
            "三、存在问题\n第二部分 下一步\n三.下一步打算\n## 附记\n")
    parts = read_outline(text)
    assert [(p.rank, p.depth, p.heading) for p in parts] == [
        (0, 0, "主要工作"), (1, 1, "加强学习"), (1, 1, "抓好工作"), (2, 2, "教学"), (3, 3, "听课"),
        (1, 1, "存在问题"), (0, 0, "下一步"), (1, 1, "下一步打算"), (1, 1, "附记"),
    ]
    assert text[parts[2].start : parts[2].end].startswith("二．抓好工作") and "听课" in text[parts[2].start : parts[2].end]


def test_outline_lower_items_before_the_first_top_heading_belong_to_the_opening():
    parts = read_outline("1.张三（副校长）\n一年来……\n一、学习\n正文\n二、工作\n1.教学\n")
    assert [p.heading for p in parts] == ["学习", "工作", "教学"]


def test_markdown_title_is_not_a_part_and_plain_markdown_headings_are():
    parts = read_outline("# 2026年度述职报告\n\n## 政治建设\n正文\n## 工作成效\n正文\n")
    assert [(p.rank, p.heading) for p in parts] == [(1, "政治建设"), (1, "工作成效")]


def test_a_document_without_yi_headings_is_split_at_its_own_top_level():
    text = "2024年度述职报告\n第一部分 政治学习\n认真学习。\n第二部分 工作成效\n完成各项任务。\n"
    report = check_draft(text, samples=[])
    assert [s.heading for s in report.sections] == ["政治学习", "工作成效"]


# ------------------------------------------------------------------ coverage instead of headings

MERGED = """2021年度述职述廉报告
2021年，我分管学校后勤工作。现报告如下：
一、坚持理论学习，全面提升素养
认真学习习近平新时代中国特色社会主义思想，深刻领悟“两个确立”的决定性意义，增强“四个意识”、坚定“四个自信”、做到“两个维护”。
二、抓好重点工作，提升管理水平
组织开展食堂改造，推进校园环境提升，完成年度预算，学校获评市级平安校园。
三、强化自律意识，增强抗腐能力
严格遵守中央八项规定及其实施细则精神，认真履行“一岗双责”，深入一线走访师生。回顾一年的工作，创新意识还不够强，服务水平有待提升。今后我将进一步加强学习。
"""


def test_merged_and_renamed_sections_are_covered():
    assert of_rule(MERGED, "section-missing", plan="述职述廉报告") == []
    assert of_rule(MERGED, "formulation-missing", plan="述职述廉报告") == []


def test_a_core_section_absent_from_the_whole_document_is_an_error_others_a_note():
    text = MERGED.replace("严格遵守中央八项规定及其实施细则精神，认真履行“一岗双责”，", "").replace(
        "三、强化自律意识，增强抗腐能力", "三、个人工作情况")
    missing = of_rule(text, "section-missing", plan="述职述廉报告")
    assert [(level, "清正廉洁" in m) for level, m in missing] == [("error", True), ("info", False)]
    assert "一岗双责" in missing[1][1]


def test_stock_phrase_about_shortcomings_is_not_a_shortcomings_section():
    text = MERGED.replace("回顾一年的工作，创新意识还不够强，服务水平有待提升。", "回顾一年，有进步也有不足。")
    missing = of_rule(text, "section-missing", plan="述职述廉报告")
    assert [(level, "存在的不足" in m) for level, m in missing] == [("error", True)]


def test_own_draft_keeps_the_plan_as_a_contract():
    draft = "---\ndraftbot: 0.1.0\nplan: 述职述廉报告\nperiod: 2021\n---\n\n" + MERGED
    found = findings(draft)
    assert {"section-missing", "section-length"} <= {r for r, _, _ in found}
    missing = [(level, m) for r, level, m in found if r == "section-missing" and m.startswith("缺少")]
    assert missing and all(level == "error" for level, _ in missing)
    assert any("存在的不足" in m for _, m in missing)  # written inside another section: the contract wants its own


def test_section_order_and_length_are_not_judged_for_other_documents():
    rules = {r for r, _, _ in findings(MERGED, plan="述职述廉报告")}
    assert not rules & {"section-order", "section-length"}


# ------------------------------------------------------------------ the report's year

def test_period_is_read_from_the_title_and_said():
    report = check_draft("2019年度述职述廉报告\n一、学习\n认真学习党的理论。\n", samples=[], plan="述职述廉报告")
    assert any("2019 年" in n and "标题" in n for n in report.notes)
    assert any("“两个确立”（2021年起使用）不作要求" in n for n in report.notes)
    assert not any("两个确立" in f.message for f in report.findings)


def test_period_is_read_from_the_opening_when_the_title_has_none():
    report = check_draft("1.张三（副校长）\n2019年1至7月我分管德育。\n一、学习\n认真学习。\n", samples=[])
    assert any("2019 年" in n for n in report.notes)


def test_given_period_decides_and_no_note_is_added():
    report = check_draft("2019年度述职报告\n一、学习\n认真学习。\n", samples=[], period=2022)
    assert not any("报告年度按" in n for n in report.notes)
    assert any("两个确立" in f.message for f in check_draft(
        "2019年度述职报告\n一、政治学习\n认真学习。\n", samples=[], period=2022, plan="述职报告").findings)


def test_a_multi_year_report_is_judged_over_its_span():
    text = "2022年度述职报告\n近三年来，我分管党政办。\n一、工作\n党史学习教育等工作有序推进，取得实效。\n"
    report = check_draft(text, samples=[])
    assert any("2020—2022" in n for n in report.notes)
    assert not [f for f in report.findings if f.rule == "formulation-dated"]
    single = check_draft(text.replace("近三年来", "一年来"), samples=[])
    assert [f.level for f in single.findings if f.rule == "formulation-dated"] == ["error"]


# ------------------------------------------------------------------ required formulations

def test_accepted_form_and_written_out_enumeration_satisfy_the_requirement():
    text = ("2024年度述职述廉报告\n一、政治学习\n用习近平新时代中国特色社会主义思想武装头脑，深刻领悟“两个确立”的决定性意义，"
            "牢固树立政治意识、大局意识、核心意识、看齐意识，坚定道路、理论、制度、文化自信，"
            "坚决维护习近平总书记党中央的核心、全党的核心地位，坚决维护党中央权威和集中统一领导。\n"
            "二、廉洁自律\n严格遵守中央八项规定精神，落实“一岗双责”。\n")
    assert of_rule(text, "formulation-missing", plan="述职述廉报告") == []
    assert of_rule(text, "formulation-noncanonical", plan="述职述廉报告") == []


def test_one_group_missing_is_one_info_listing_all_of_it():
    """In a document draftbot did not write, absent theory formulations are a hint (info), not a warning."""
    text = "2024年度述职述廉报告\n一、政治学习\n认真学习党的理论。\n二、廉洁自律\n严格遵守中央八项规定精神，落实“一岗双责”。\n"
    (level, message), = of_rule(text, "formulation-missing", plan="述职述廉报告")
    assert level == "info"
    for name in ("习近平新时代中国特色社会主义思想", "两个确立", "两个维护", "四个意识", "四个自信"):
        assert f"“{name}”" in message


def test_political_formulations_in_the_opening_count():
    text = ("2024年度述职报告\n一年来，我坚持以习近平新时代中国特色社会主义思想为指导，增强“四个意识”、坚定“四个自信”、"
            "做到“两个维护”，深刻领悟“两个确立”的决定性意义。\n一、政治学习\n认真学习。\n二、廉洁\n遵守中央八项规定。\n")
    assert of_rule(text, "formulation-missing", plan="述职报告") == []


def test_eight_rules_absent_from_a_whole_report_is_an_error_anywhere_it_is_fine():
    text = "2024年度述职述廉报告\n一、政治学习\n认真学习。\n二、廉洁自律\n落实“一岗双责”，廉洁从教。\n"
    errors = [m for level, m in of_rule(text, "formulation-missing", plan="述职述廉报告") if level == "error"]
    assert len(errors) == 1 and "中央八项规定及其实施细则精神" in errors[0] and "依据" in errors[0]
    moved = text.replace("一、政治学习\n认真学习。", "一、政治学习\n认真学习，严格遵守中央八项规定精神。")
    assert [level for level, _ in of_rule(moved, "formulation-missing", plan="述职述廉报告")] == ["info"]


def test_own_draft_missing_formulation_in_the_political_section_stays_an_error():
    draft = ("---\ndraftbot: 0.1.0\nplan: 述职述廉报告\nperiod: 2024\n---\n\n# 2024年度述职述廉报告\n\n"
             "## 一、加强理论武装，筑牢思想根基\n\n坚持用习近平新时代中国特色社会主义思想武装头脑，增强“四个意识”、坚定“四个自信”。\n")
    (level, message), = of_rule(draft, "formulation-missing")[:1]
    assert level == "error" and "“两个确立”、“两个维护”" in message and message.startswith("“一、加强理论武装")


# ------------------------------------------------------------------ official names, campaigns, junk

def noncanonical(text: str, year: int | None = None) -> list[str]:
    return [text[h.start : h.end] for h in find_noncanonical(text, RULES.substitutions, RULES.enumerations, year)]


@pytest.mark.parametrize(
    ("text", "year", "found"),
    [
        ("认真学习党的十大九精神", 2019, ["十大九"]),
        ("学习习总书记重要讲话精神", 2021, ["习总书记"]),
        ("学习习近平总书记重要讲话精神", 2021, []),
        ("扎实开展八项规定学习教育", 2025, ["八项规定学习教育"]),
        ("深入开展“八项规定”专题学习教育", 2025, ["“八项规定”专题学习教育"]),
        ("深入贯彻中央八项规定精神学习教育取得实效", 2025, []),
        ("扎实开展八项规定学习教育", 2024, []),  # the campaign's name applies from 2025
        ("用习近平中国特色社会主义思想武装头脑", 2022, ["习近平中国特色社会主义思想"]),
        ("学习党的二十界三中全会精神", 2024, ["二十界"]),
        ("二十届三中全会和交界地区", 2024, []),
        ("认真学习《中国共产党纪律处份条例》", 2024, ["纪律处份条例"]),
    ],
)
def test_official_names_garbles_and_informal_forms(text, year, found):
    assert noncanonical(text, year) == found


def dated(text: str, year: int, start: int | None = None) -> list[tuple[str, str]]:
    return [(text[h.start : h.end], h.level) for h in find_dated(text, RULES.dated, year, start)]


def test_past_campaigns_written_as_current_are_errors():
    assert dated("积极参加“两学一做”学习教育", 2022) == [("“两学一做”学习教育", "error")]
    assert dated("积极参加“两学一做”学习教育", 2019) == []
    assert dated("巩固“两学一做”学习教育成果，推动工作", 2022) == []
    assert dated("扎实开展党纪学习教育", 2025) == [("党纪学习教育", "error")]
    assert dated("严格执行《廉洁从政若干准则》", 2020) == [("廉洁从政若干准则", "error")]
    assert dated("严格执行《廉洁从政若干准则》", 2014) == []


def test_forward_looking_wording_is_not_stale_and_too_early_is_a_warning():
    assert dated("明年将围绕“十四五”规划目标推进工作", 2020) == []
    assert dated("围绕“十四五”规划目标推进工作", 2019) == [("十四五", "warning")]
    assert dated("围绕“十五五”规划目标推进工作", 2025) == []
    assert dated("建立防返贫监测机制，做到问题动态清零", 2023) == []
    assert dated("坚持动态清零", 2023) == [("动态清零", "error")]


def test_template_junk_lines_are_one_error_per_block():
    text = "仅供学习 禁止外传\n\n免费QQ群：123456\n2024年度述职报告\n一、学习\n正文。\n\n某某文库整理，咨询QQ1234567\n"
    hits = find_junk(text, RULES.junk)
    assert [(text[h.start : h.end].split("\n")[0], h.level) for h in hits] == [
        ("仅供学习 禁止外传", "error"), ("某某文库整理，咨询QQ1234567", "error")]
    assert "2024年度" not in text[hits[0].start : hits[0].end]
    prose = "本单位建立QQ工作群用于日常通知，" + "推动工作落实，" * 12
    assert find_junk(prose, RULES.junk) == []


def test_stock_formulations_are_not_a_sample_leak():
    from draftbot.checks.leak import find_leaks

    class Sample:
        name, text = "a", "始终在思想上政治上行动上同以习近平同志为核心的党中央保持高度一致，另有内容。"

    text = "我始终在思想上政治上行动上同以习近平同志为核心的党中央保持高度一致。"
    args = ("", None, RULES.names, RULES.figure_options(), 12, 30)
    assert find_leaks(text, [Sample()], *args, RULES.leak.stock) == []
    assert [h.level for h in find_leaks(text, [Sample()], *args)] == ["warning"]


# ------------------------------------------------------------------ rule and plan data


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("formulations:\n  - name: 甲\n    scope: chapter\n", 3, "scope"),
        ("formulations:\n  - name: 甲\n    absent: fatal\n", 3, "absent"),
        ("formulations:\n  - name: 甲\n    since: 2022\n    until: 2020\n", 3, "晚于"),
        ("junk:\n  - id: a\n    regex: 'x*'\n", 3, "空字符串"),
        ("substitutions:\n  - right: 乙\n", 2, "wrong 或 patterns"),
    ],
)
def test_bad_new_rule_entries_name_file_and_line(tmp_path: Path, content: str, line: int, problem: str):
    (tmp_path / "bad.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path)
    assert f"第 {line} 行" in info.value.message and problem in info.value.message


def test_every_required_formulation_of_the_plans_is_described_with_a_source():
    from draftbot.plans import list_plans

    described = {f.name: f for f in RULES.formulations}
    for plan in list_plans():
        for section in plan.sections:
            for name in section.required:
                assert name in described and described[name].source, (plan.name, name)
            assert section.cues, (plan.name, section.id)
    assert described["两个确立"].since == 2021
    assert described["中央八项规定及其实施细则精神"].absent == "error"


def test_canonical_forms_apply_from_the_year_they_entered_use():
    assert noncanonical("同以习近平总书记为核心的党中央保持一致", 2015) == []
    assert noncanonical("同以习近平总书记为核心的党中央保持一致", 2016) == ["以习近平总书记为核心的党中央"]
    text = "做到务必不忘初心、牢记使命，务必谦虚谨慎、艰苦奋斗，推动工作"
    assert noncanonical(text, 2021) == []
    assert noncanonical(text, 2023) == ["务必不忘初心、牢记使命，务必谦虚谨慎、艰苦奋斗"]
    assert all(s.source for s in RULES.substitutions)
    assert all(e.source for e in RULES.enumerations)


def test_plan_cue_settings_are_validated(tmp_path: Path):
    from draftbot.errors import PlanError
    from draftbot.plans import load_plan

    path = tmp_path / "p.yaml"
    path.write_text("name: 甲\nkind: 个人述职\nsections:\n  - id: a\n    heading: 工作\n    cues: [完成]\n"
                    "    min_cues: 0\n", encoding="utf-8")
    with pytest.raises(PlanError, match="min_cues"):
        load_plan(str(path))
    path.write_text(path.read_text(encoding="utf-8").replace("min_cues: 0", "min_cues: 2\n    core: true"),
                    encoding="utf-8")
    section = load_plan(str(path)).sections[0]
    assert (section.cues, section.min_cues, section.core) == (["完成"], 2, True)


def test_ordinary_short_lines_are_not_junk():
    text = "（三）档案整理\n对档案进行整理、加工和归档。\n通过QQ群、微信群与家长沟通。\n推动产品不断迭代升级，实现信息实时分享。\n"
    assert find_junk(text, RULES.junk) == []


def test_slogans_between_junk_lines_are_part_of_the_block_but_not_a_title_after_a_gap():
    text = "仅供学习 禁止外传\n某某平台\n自建平台、实时分享\n现在订阅立享全部资料\n\n2024年度述职报告\n\n文库整理，咨询QQ1234567\n"
    hits = find_junk(text, RULES.junk)
    assert len(hits) == 2
    assert text[hits[0].start : hits[0].end].endswith("现在订阅立享全部资料")
    assert "4行" in hits[0].message
