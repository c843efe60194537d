from pathlib import Path

import pytest

from draftbot.errors import FactsError, InputError
from draftbot.facts import load_facts, parse_facts

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "facts.md"

SIMPLE = """---
title: 2026年度述职报告
type: 述职报告
period: 2026年
---

# 政治建设
- 参加中心组学习12次

# 履职成效
## 招商引资
- 签约项目18个，总投资56.8亿元
- 新增企业7家
## 项目建设
- 完成投资31.2亿元
"""


def test_example_facts_parse_front_matter_and_groups():
    facts = load_facts(EXAMPLE)
    assert facts.meta["type"] == "述职报告"
    assert facts.period_year == 2026
    headings = [g.heading for g in facts.groups]
    assert headings[:3] == ["基本情况", "政治建设", "学习提升"]
    performance = next(g for g in facts.groups if g.heading == "履职成效")
    assert [s.heading for s in performance.subgroups] == ["招商引资", "项目建设", "安全生产", "营商环境"]
    assert len(facts.sha256) == 64


def test_subheadings_group_bullets_inside_a_section():
    facts = parse_facts(SIMPLE)
    top = facts.groups[1]
    assert top.heading == "履职成效" and top.facts == []
    assert [f.text for f in top.subgroups[0].facts] == ["签约项目18个，总投资56.8亿元", "新增企业7家"]
    assert top.subgroups[0].facts[0].path == ("履职成效", "招商引资")
    assert facts.all_facts()[0].line == 8


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / "facts.md"
    path.write_bytes(SIMPLE.encode(encoding))
    facts = load_facts(path)
    assert facts.meta["title"] == "2026年度述职报告"
    assert facts.all_facts()[0].text == "参加中心组学习12次"


def test_crlf_line_endings(tmp_path):
    path = tmp_path / "facts.md"
    path.write_bytes(SIMPLE.replace("\n", "\r\n").encode("gbk"))
    facts = load_facts(path)
    assert [f.text for f in facts.all_facts()][-1] == "完成投资31.2亿元"
    assert all("\r" not in f.text for f in facts.all_facts())


def test_flat_bullets_without_headings():
    facts = parse_facts("- 签约项目18个\n- 讲党课2次\n")
    assert facts.groups[0].heading == ""
    assert len(facts.all_facts()) == 2


def test_wrapped_bullet_continuation_and_number_bullets():
    facts = parse_facts("# 成效\n1. 签约项目18个，\n   总投资56.8亿元\n2、新增企业7家\n")
    assert [f.text for f in facts.all_facts()] == ["签约项目18个，总投资56.8亿元", "新增企业7家"]


def test_decimal_number_at_line_start_is_not_a_bullet():
    facts = parse_facts("# 成效\n- 1.5亿元用于技改\n")
    assert facts.all_facts()[0].text == "1.5亿元用于技改"


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "\u662f\u7a7a\u7684"),  # 是空的
        (b"   \n\n", "\u662f\u7a7a\u7684"),
        ("# 政治建设\n# 履职成效\n".encode(), "没有找到任何要点"),
        ("---\ntitle: [未闭合\n---\n- a\n".encode(), "YAML"),
        ("---\ntitle: x\n- 要点\n".encode(), "结束的“---”"),
        ("---\ntpye: 述职报告\n---\n- 要点\n".encode(), "不认识的项：tpye"),
        ("---\n- a\n- b\n---\n- 要点\n".encode(), "键: 值"),
        ("---\ntitle:\n  a: b\n---\n- 要点\n".encode(), "嵌套"),
    ],
)
def test_bad_facts_give_clear_errors(tmp_path, content, fragment):
    path = tmp_path / "facts.md"
    path.write_bytes(content)
    with pytest.raises(FactsError) as info:
        load_facts(path)
    assert fragment in info.value.message
    assert str(path) in info.value.message


def test_binary_file_is_rejected(tmp_path):
    path = tmp_path / "facts.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InputError) as info:
        load_facts(path)
    assert "二进制" in info.value.message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="找不到"):
        load_facts(tmp_path / "nope.md")
    with pytest.raises(InputError, match="文件夹"):
        load_facts(tmp_path)


def test_prose_lines_become_facts_and_nothing_is_lost():
    facts = parse_facts("# 履职成效\n全年签约项目18个。\n\n- 新增企业7家\n")
    assert [f.text for f in facts.all_facts()] == ["全年签约项目18个", "新增企业7家"]
    assert facts.paragraph_lines == [2]
