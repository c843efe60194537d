"""Text-level checks: placeholders, canonical forms, dated wording, and the output formats."""

from __future__ import annotations

import io
import json

import pytest

from draftbot.checks.finding import Finding, format_json, format_line, render_text
from draftbot.checks.formulations import find_dated, find_noncanonical, missing_required
from draftbot.checks.placeholders import find_placeholders
from draftbot.checks.rules import load_rules

RULES = load_rules()


def blanks(text: str) -> list[str]:
    return [text[h.start : h.end] for h in find_placeholders(text, RULES.placeholders)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("于20**年*月获得通过", ["**", "*"]),
        ("计划投资x亿元，增长X%，共*亩，引进**个项目", ["x", "X", "*", "**"]),
        ("由**商务局调任**任党工委委员", ["**", "**"]),
        ("X科技园、XX单位、××公司和某某同志【待补】", ["X", "XX", "××", "某某", "【待补】"]),
        ("扭住“**”思路，打造**工业园区", ["**", "**"]),
        ("实现20xx年目标", ["xx"]),
    ],
)
def test_placeholders_found(text, expected):
    assert blanks(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "使用 Excel 和 xlsx 表格，MAX 值",
        "* 要点一\n* 要点二\n- 列表 * 项",
        "**一是加强学习。**正文",
        "规格为3×4米，分辨率1920x1080",
        "【打击倒卖活动】",
        "A区、B区和VOCs项目",
    ],
)
def test_ordinary_text_is_not_a_placeholder(text):
    assert blanks(text) == []


def test_placeholder_message_says_what_to_fill():
    hit = find_placeholders("计划投资*亿元", RULES.placeholders)[0]
    assert hit.rule == "placeholder" and "数字" in hit.message
    hit = find_placeholders("于20**年", RULES.placeholders)[0]
    assert "日期" in hit.message


def nc(text: str) -> list[tuple[str, str]]:
    return [
        (text[h.start : h.end], h.message)
        for h in find_noncanonical(text, RULES.substitutions, RULES.enumerations)
    ]


def test_wrong_to_right_pairs():
    found = nc("与以习近平总书记为核心的党中央保持高度一致，做到两个拥护")
    assert [t for t, _ in found] == ["以习近平总书记为核心的党中央", "两个拥护"]
    assert "以习近平同志为核心的党中央" in found[0][1]


def test_enumeration_incomplete_or_out_of_order():
    assert nc("增强政治意识、大局意识、核心意识、看齐意识") == []
    ((text, message),) = nc("增强政治意识、大局意识、核心意识，坚定信心")
    assert text == "政治意识、大局意识、核心意识" and "缺少“看齐意识”" in message
    ((text, message),) = nc("坚定道路自信、制度自信、理论自信、文化自信")
    assert "顺序" in message
    assert nc("坚定道路、理论、制度、文化自信") == []
    ((text, message),) = nc("坚定道路、制度、理论、文化自信")
    assert "顺序" in message
    assert nc("提高政治判断力、政治领悟力、政治执行力") == []
    assert nc("提高政治判断力、领悟力、执行力") == []


def test_enumeration_free_lists_and_partial_allowed():
    assert nc("强化政治意识、大局意识和责任意识") == []  # a longer, different list
    assert nc("坚决反对形式主义、官僚主义") == []  # 四风 may be cited in part
    assert nc("理论、制度建设") == []


def test_seed_004_wrong_three_powers_reported_once():
    found = nc("不断提高政治判断力领悟力、政治领悟力、政治执行力")
    assert len(found) == 1 and found[0][0] == "政治判断力领悟力"


def dated(text: str, year: int) -> list[str]:
    return [h.message for h in find_dated(text, RULES.dated, year)]


def test_dated_wording_by_period():
    assert dated("紧扣“十四五”规划目标任务", 2025) == []
    (message,) = dated("紧扣“十四五”规划目标任务", 2026)
    assert "十五五" in message and "2026" in message
    assert dated("“十四五”时期园区发展取得显著成就", 2026) == []  # history
    assert dated("全面贯彻党的十九大和十九届五中全会精神", 2021) == []
    messages = dated("全面贯彻党的十九大和十九届五中全会精神", 2023)
    assert len(messages) == 2 and all("二十大" in m for m in messages)
    assert len(dated("坚持外防输入、内防反弹，坚持动态清零", 2023)) == 2
    assert dated("坚持外防输入、内防反弹，坚持动态清零", 2022) == []
    assert dated("加快发展新质生产力", 2022) and not dated("加快发展新质生产力", 2024)


def test_missing_required_ignores_quotes():
    body = "增强“四个意识”、坚定“四个自信”、做到“两个维护”"
    assert missing_required(body, ["四个意识", "两个维护", "两个确立"]) == ["两个确立"]


FINDINGS = [
    Finding("placeholder", "warning", "占位符“**”", 9, 3, "**", "补上数字", "二、履职", 2),
    Finding("formulation-missing", "error", "缺少“两个确立”", 5, 1, "", "", "一、政治", 1),
    Finding("section-missing", "error", "缺少“廉洁”部分", 1, 1, "", "", "", None),
]


def test_line_format_sorted_and_stable():
    out = format_line(list(reversed(FINDINGS)), "d.md")
    assert out.splitlines() == [
        "d.md:1:1:error:section-missing:缺少“廉洁”部分",
        "d.md:5:1:error:formulation-missing:缺少“两个确立”",
        "d.md:9:3:warning:placeholder:占位符“**”",
    ]
    assert out == format_line(FINDINGS, "d.md")


def test_json_format_has_findings_and_summary():
    data = json.loads(format_json(FINDINGS, "d.md", ["未提供事实文件"]))
    assert [f["line"] for f in data["findings"]] == [1, 5, 9]
    summary = data["summary"]
    assert (summary["errors"], summary["warnings"], summary["placeholders"]) == (2, 1, 1)
    assert summary["regen"] == ["draftbot regen d.md --section 1"]
    assert summary["skipped"] == ["未提供事实文件"]


def test_text_format_groups_by_section_and_prints_regen():
    from rich.console import Console

    buf = io.StringIO()
    render_text(FINDINGS, "my draft.md", Console(file=buf, width=200, color_system=None))
    out = buf.getvalue()
    assert out.index("全文") < out.index("一、政治") < out.index("二、履职")
    assert "共 3 处问题：错误 2，警告 1，提示 0；待填空白 1 处。" in out
    assert "draftbot regen 'my draft.md' --section 1" in out
    assert "--section 2" not in out


class _Sample:
    def __init__(self, name: str, text: str):
        self.name, self.text = name, text


SHARED = "始终坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实各项决策部署，推动工作取得新成效"
ONLY_A = "坚持把招商引资作为经济工作的生命线，建立健全领导带头招商和全员招商工作机制，持续优化营商服务"
NAMED = "引进金晟兰新材料有限公司再生资源项目并推动项目尽快开工建设"


def leaks(draft: str, facts: str = "") -> list[tuple[str, str]]:
    from draftbot.checks.leak import find_leaks
    from draftbot.figures import FigureIndex, extract_figures

    samples = [
        _Sample("a", f"一、{SHARED}。{ONLY_A}。{NAMED}。"),
        _Sample("b", f"一、{SHARED}。另外的内容。"),
    ]
    index = FigureIndex(extract_figures(facts))
    return [
        (h.level, h.message)
        for h in find_leaks(draft, samples, facts, index, RULES.names, RULES.figure_options())
    ]


def test_sample_leak_levels():
    assert leaks(f"我们{SHARED}。") == []  # shared by two samples: common wording
    ((level, message),) = leaks(f"我们{ONLY_A}。")
    assert level == "warning" and "范文 a" in message and "连续" in message
    ((level, message),) = leaks(f"今年{NAMED}。")
    assert level == "error" and "金晟兰新材料有限公司" in message
    # the name is in the facts: no longer an error, only the 30-character verbatim copy remains
    assert [level for level, _ in leaks(f"今年{NAMED}。", facts="引进金晟兰新材料有限公司再生资源项目")] == [
        "warning"
    ]


def test_text_format_plain_when_piped_matches_the_rich_rendering(capsys):
    from rich.console import Console

    buf = io.StringIO()
    render_text(FINDINGS, "my draft.md", Console(file=buf, width=200, color_system=None))
    render_text(FINDINGS, "my draft.md", None)
    plain = capsys.readouterr().out
    assert plain == buf.getvalue()
    assert "错误" in plain and "\x1b[" not in plain
