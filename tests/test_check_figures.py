"""The figure extractor: units, unit equivalence, dates, Chinese numerals and formulations."""

from __future__ import annotations

import pytest

from draftbot.figures import FigureIndex, chinese_to_number, extract_figures


def figs(text: str) -> list[tuple[str, str]]:
    return [(f.text, f.dim) for f in extract_figures(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("协议总投资56.8亿元", [("56.8亿元", "money")]),
        ("兑现惠企资金2860万元", [("2860万元", "money")]),
        ("完成年度计划的108.5%", [("108.5%", "percent")]),
        ("占比提高1.2个百分点", [("1.2个百分点", "points")]),
        ("盘活闲置土地312亩", [("312亩", "area")]),
        ("建成标准厂房8.6万平方米", [("8.6万平方米", "area")]),
        ("建成道路30公里", [("30公里", "length")]),
        ("新增规上工业企业11家、项目9个、培训3次、党员10人、案件2件、拆迁5户、专利4项",
         [("11家", "count:家"), ("9个", "count:个"), ("3次", "count:次"), ("10人", "count:人"),
          ("2件", "count:件"), ("5户", "count:户"), ("4项", "count:项")]),
        ("2021年9月24日经市政府同意", [("2021年9月24日", "date")]),
        ("2026年是开局之年", [("2026年", "year")]),
        ("10千伏线路", [("10千伏", "unit:千伏")]),
        ("新建三个基地、两家企业", [("三个", "count:个"), ("两家", "count:家")]),
        ("三千万元和百分之三十", [("三千万元", "money"), ("百分之三十", "percent")]),
    ],
)
def test_extracts_figures_with_units(text, expected):
    assert figs(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "三年来，一年来，一是加强学习，二是强化担当",
        "增强“四个意识”、坚定“四个自信”、做到“两个维护”，深刻领悟“两个确立”",
        "落实“第一议题”制度和“三会一课”制度，严格执行中央八项规定",
        "坚持“五个一”项目推进机制，一岗双责，十四五，党的二十大，二十届四中全会",
        "1.深化学习\n2、担当作为\n（3）严守底线",
        "QQ206157060、5G基站、VOCs治理",
    ],
)
def test_formulations_and_numbering_are_not_figures(text):
    assert figs(text) == []


def test_date_ranges_give_each_end():
    found = extract_figures("1-10月签约，2021—2025年")
    assert [(f.dim, f.base) for f in found] == [("month", 1), ("month", 10), ("year", 2021), ("year", 2025)]


def test_chinese_numbers():
    assert chinese_to_number("十二") == 12
    assert chinese_to_number("二十三") == 23
    assert chinese_to_number("一百零五") == 105
    assert chinese_to_number("两千") == 2000
    assert chinese_to_number("三千万") == 30_000_000
    assert chinese_to_number("二三") is None


def grounds(facts: str, draft: str, years=()) -> bool:
    index = FigureIndex(extract_figures(facts), years)
    (figure,) = extract_figures(draft)
    return index.grounds(figure)


def test_equal_amounts_in_other_units_are_the_same_figure():
    assert grounds("年产值2.5亿元", "年产值25000万元")
    assert grounds("25000万元", "2.5亿元")
    assert grounds("1.5公里", "1500米")
    assert grounds("15亩", "1公顷")
    assert grounds("新增企业3家", "新增三家企业")


def test_same_number_other_dimension_is_not_grounded():
    assert not grounds("增长35%", "投资35亿元")
    assert not grounds("投资35亿元", "增长35%")
    assert not grounds("提高2个百分点", "增长2%")
    assert not grounds("投资2.5亿元", "投资2.6亿元")


def test_counts_and_dates():
    assert grounds("签约项目12项", "签约12个项目")
    assert not grounds("培训10人", "企业10家")
    assert grounds("2021年9月24日印发", "9月印发")
    assert grounds("2021年9月24日印发", "2021年印发")
    assert not grounds("2021年印发", "2022年印发")
    assert grounds("", "2026年", years=[2026])


def test_approximate_figures_round_to_the_facts():
    assert grounds("总投资2.46亿元", "近2.5亿元")
    assert not grounds("总投资2.46亿元", "2.5亿元")
