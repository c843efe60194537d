"""Confidential mode's name table: sources, masking, the leak scan, restoring and reporting."""

from __future__ import annotations

from pathlib import Path

import pytest

from draftbot.errors import InputError
from draftbot.facts import load_facts, parse_facts
from draftbot.masking import build_table, parse_name_list
from draftbot.names import find_people, find_units

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def example():
    return load_facts(REPO / "examples" / "facts.md")


def test_example_facts_table(example):
    table = build_table(example)
    assert table.placeholders == {
        "【人名1】": "王建华",
        "【单位1】": "青溪经济开发区",
        "【单位2】": "企业服务中心",
        "【单位3】": "规划建设局",
        "【单位4】": "安全生产监督管理局",
        "【单位5】": "省委党校",
        "【地名1】": "青溪",
    }
    masked = table.mask((REPO / "examples" / "facts.md").read_text(encoding="utf-8"))
    assert table.leaked(masked) == []
    for name in table.placeholders.values():
        assert name not in masked
    assert "联系【单位2】、【单位3】和【单位4】" in masked and "author: 【人名1】" in masked
    # ordinary words that end like a unit are left alone
    assert "开局起步" in masked and "省市重点项目" in masked and "理论学习中心组" in masked


def test_people_with_titles():
    text = "向王建华同志学习；张局长带队检查；常务副县长到会；任副主任讲话；各位同志、同志们"
    assert find_people(text) == [("王建华", ""), ("张局长", "局长")]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("青溪县白云镇红旗村", {"青溪县", "青溪县白云镇", "青溪县白云镇红旗村"}),
        ("与浙江华立集团有限公司签约", {"浙江华立集团", "浙江华立集团有限公司"}),
        ("协调市第一人民医院、城南小学", {"市第一人民医院", "城南小学"}),
        ("青溪经济开发区管委会", {"青溪经济开发区", "青溪经济开发区管委会"}),
        ("拓展国际市场，推进城市更新和新农村建设，构建新发展格局，以人民为中心", set()),
        ("新增规上工业企业11家，全县各乡镇", set()),
    ],
)
def test_unit_patterns(text, expected):
    assert {name for name, _ in find_units(text)} == expected


def test_kinds_of_units():
    kinds = dict(find_units("白云镇、华立公司、城南中学、红旗村"))
    assert kinds == {"白云镇": "地名", "华立公司": "企业", "城南中学": "单位", "红旗村": "地名"}


def test_title_kept_visible_and_restored():
    facts = parse_facts("# 工作\n- 陪同张局长调研华立公司3次\n")
    table = build_table(facts)
    masked = table.mask("张局长到华立公司")
    assert masked == "【人名1】局长到【企业1】"
    restored, issues = table.restore("【人名1】局长指导【企业1】工作")
    assert restored == "张局长指导华立公司工作" and issues == []


def test_front_matter_and_list_file(tmp_path):
    facts = parse_facts("---\nauthor: 李明\nunit: 城东街道\n---\n# 工作\n- 完成任务\n")
    names = tmp_path / "names.txt"
    names.write_text(
        "# 保密名单\n赵小兰\n北山水库 地名\n恒远科技,企业\n城东街道\n", encoding="utf-8"
    )
    table = build_table(facts, names)
    assert [(e.text, e.kind, e.source) for e in table.entries] == [
        ("李明", "人名", "开头信息"),
        ("城东街道", "单位", "开头信息"),
        ("城东", "地名", "开头信息"),  # the short form of a place
        ("赵小兰", "人名", "名单"),
        ("北山水库", "地名", "名单"),
        ("恒远科技", "企业", "名单"),
        ("恒远", "企业", "名单"),  # the short form of a company
    ]
    assert table.mask("赵小兰在北山水库和恒远科技") == "【人名2】在【地名2】和【企业1】"


@pytest.mark.parametrize("line", ["王 伟 人名", "某单位 职务", "王"])
def test_bad_list_lines_are_refused(line):
    with pytest.raises(InputError) as err:
        parse_name_list(f"好名字\n{line}\n", "名单文件“x.txt”")
    assert "第 2 行" in err.value.message


def test_longest_name_wins_and_placeholders_are_stable(example):
    table = build_table(example)
    table.add("青溪", "地名", "名单")
    first = table.mask("青溪经济开发区在青溪")
    assert first == "【单位1】在【地名1】"
    assert table.mask("青溪经济开发区在青溪") == first


def test_leak_scan_finds_names_outside_placeholders(example):
    table = build_table(example)
    assert table.leaked("【人名1】同志") == []
    assert table.leaked("请【人名1】和王建华") == ["王建华"]


def test_restore_reports_altered_and_dropped(example):
    table = build_table(example)
    needed = table.needed("联系【单位2】、【单位3】，【人名1】分管")
    assert needed == ["【单位2】", "【单位3】", "【人名1】"]
    answer = "【人名 1】分管工作，联系【单位2】和［单位3］，并与【单位9】对接。新增企业11家。"
    restored, issues = table.restore(answer, needed, "一、基本情况")
    assert restored == "【人名 1】分管工作，联系企业服务中心和［单位3］，并与【单位9】对接。新增企业11家。"
    altered = [i.token for i in issues if i.kind == "altered"]
    dropped = [i.token for i in issues if i.kind == "dropped"]
    assert altered == ["【人名 1】", "［单位3］", "【单位9】"]
    assert dropped == ["【单位3】", "【人名1】"]
    assert all(i.section == "一、基本情况" for i in issues)
    assert "未还原" in issues[0].message() and "规划建设局" in issues[-2].message()


def test_clean_answer_has_no_issues(example):
    table = build_table(example)
    restored, issues = table.restore("【人名1】联系【单位3】。", ["【单位3】"])
    assert restored == "王建华联系规划建设局。" and issues == []
