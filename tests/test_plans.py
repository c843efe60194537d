import pytest

from draftbot.errors import PlanError
from draftbot.facts import parse_facts
from draftbot.plans import list_plans, load_plan, resolve_plan, route_facts

VALID = """
name: 我的提纲
kind: 个人述职
sections:
  - id: political
    heading: 政治表现
    required: [两个维护]
    length: [100, 500]
  - id: work
    heading: 工作成效
    fallback: true
"""


def test_builtin_plans_are_valid_and_listed():
    names = {p.name for p in list_plans()}
    assert {"述职报告", "述职述廉报告", "年度工作总结"} <= names


def test_shuzhi_plan_follows_de_neng_qin_ji_lian_order():
    plan = load_plan("述职报告")
    assert [s.id for s in plan.sections] == [
        "political",
        "ability",
        "diligence",
        "performance",
        "integrity",
        "shortcomings",
        "next_plan",
    ]
    political = plan.section("political")
    for phrase in ("习近平新时代中国特色社会主义思想", "两个确立", "两个维护", "四个意识", "四个自信"):
        assert phrase in political.required
    assert "中央八项规定及其实施细则精神" in plan.section("integrity").required


def test_every_required_formulation_is_carried_by_the_section_opening():
    for plan in list_plans():
        for section in plan.sections:
            for phrase in section.required:
                assert phrase in section.opening, (plan.name, section.id, phrase)


def test_unit_summary_plan_sections():
    plan = load_plan("年度工作总结")
    assert plan.kind == "单位总结"
    assert [s.id for s in plan.sections] == ["achievements", "problems", "next_year"]


def test_plan_from_file(tmp_path):
    path = tmp_path / "my.yaml"
    path.write_text(VALID, encoding="utf-8")
    plan = load_plan(str(path))
    assert plan.name == "我的提纲"
    assert plan.section("political").length == (100, 500)
    assert plan.opening.id == "opening" and plan.closing.id == "closing"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("name: x\nkind: 个人述职\nsections: [\n", "不是合法的 YAML"),
        ("- a\n- b\n", "顶层"),
        ("name: x\nkind: 个人述职\n", "缺少必填项“sections”"),
        ("name: x\nkind: 其他\nsections: [{id: a, heading: b}]\n", "kind"),
        ("name: x\nkind: 个人述职\nsections: []\n", "至少包含一个部分"),
        ("name: x\nkind: 个人述职\nsections: [{id: a}]\n", "“heading”应为非空文字"),
        ("name: x\nkind: 个人述职\nsections: [{id: A-1, heading: b}]\n", "小写字母"),
        ("name: x\nkind: 个人述职\nsections: [{id: a, heading: b, length: [500, 100]}]\n", "length"),
        ("name: x\nkind: 个人述职\nsections: [{id: a, heading: b}, {id: a, heading: c}]\n", "id 重复"),
        ("name: x\nkind: 个人述职\nsections: [{id: a, heading: b, requird: [x]}]\n", "不认识的项：requird"),
        (
            "name: x\nkind: 个人述职\nsections: [{id: a, heading: b, aliases: 政治}]\n",
            "“aliases”应为文字列表",
        ),
    ],
)
def test_bad_plan_files_name_the_file_and_problem(tmp_path, text, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(str(path))
    assert str(path) in info.value.message
    assert fragment in info.value.message


def test_unknown_plan_name_lists_available_plans():
    with pytest.raises(PlanError) as info:
        load_plan("不存在的提纲")
    assert "述职报告" in info.value.message and "年度工作总结" in info.value.message


def test_resolve_plan_uses_facts_type_then_default():
    assert resolve_plan(None, parse_facts("---\ntype: 年度工作总结\n---\n- a\n")).name == "年度工作总结"
    assert resolve_plan(None, parse_facts("- a\n")).name == "述职报告"
    assert (
        resolve_plan("述职述廉报告", parse_facts("---\ntype: 年度工作总结\n---\n- a\n")).name
        == "述职述廉报告"
    )


def test_routing_by_alias_keyword_and_flat_bullets():
    facts = parse_facts(
        "# 理论学习\n- 参加中心组学习12次\n"
        "# 招商引资\n- 签约项目18个，总投资56.8亿元\n"
        "# 其他\n- 无关事项\n"
        "# 廉洁自律\n- 执行八项规定\n"
    )
    plan = load_plan("述职报告")
    routing = route_facts(facts, plan)
    assert [g.heading for g in routing.groups("political")] == ["理论学习"]
    assert [g.heading for g in routing.groups("integrity")] == ["廉洁自律"]
    performance = [g.heading for g in routing.groups("performance")]
    assert "招商引资" in performance and "其他" in performance  # keyword, then fallback
    assert any("招商引资" in n for n in routing.notes) and any("其他" in n for n in routing.notes)
    routed = sum(len(g.all_facts()) for groups in routing.by_section.values() for g in groups)
    assert routed == len(facts.all_facts())  # never silently dropped


def test_flat_bullets_are_routed_one_by_one():
    facts = parse_facts("- 讲专题党课2次\n- 签约项目18个\n- 严格执行中央八项规定及其实施细则精神\n")
    routing = route_facts(facts, load_plan("述职报告"))
    flat = {sid: [f.text for g in gs for f in g.all_facts()] for sid, gs in routing.by_section.items()}
    assert flat["political"] == ["讲专题党课2次"]
    assert flat["performance"] == ["签约项目18个"]
    assert flat["integrity"] == ["严格执行中央八项规定及其实施细则精神"]
    assert len(routing.notes) == 3
