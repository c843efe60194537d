"""Prompts for the LLM engine: shared prefix, per-section tail, few-shot within a token budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from draftbot import tokens
from draftbot.compose import build_requests
from draftbot.errors import ConfigError
from draftbot.facts import load_facts
from draftbot.plans import load_plan, resolve_plan
from draftbot.prompting import build_prompts, rank_samples, sample_text, templates_dir
from draftbot.samples import load_samples

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "facts.md"


@pytest.fixture(scope="module")
def requests_():
    facts = load_facts(EXAMPLE)
    return build_requests(facts, resolve_plan(None, facts), load_samples())


def test_prefix_is_shared_and_complete(requests_):
    ps = build_prompts(requests_, context_tokens=128000)
    rendered = {json.dumps(ps.messages(r.section.id)[:-1], ensure_ascii=False) for r in requests_}
    assert len(rendered) == 1  # byte-identical prefix for every section
    assert [m["role"] for m in ps.prefix] == ["system", "user", "assistant"]
    context = ps.prefix[1]["content"]
    for fact in requests_[0].all_facts.all_facts():
        assert fact.text in context
    for sample in requests_[0].samples:
        assert sample_text(sample) in context  # all samples whole at 128k
    for section in requests_[0].plan.sections:
        assert section.heading in context
    assert all(u.whole for u in ps.samples) and not ps.dropped_samples


def test_tail_carries_section_facts_required_and_length(requests_):
    ps = build_prompts(requests_, context_tokens=128000)
    for req in requests_:
        tail = ps.tails[req.section.id]["content"]
        for phrase in req.section.required:
            assert f"“{phrase}”" in tail
        for group in req.facts:
            for fact in group.all_facts():
                assert fact.text in tail
        lo, hi = req.section.length
        assert f"{lo}～{hi}" in tail
        if req.section.kind == "body":
            assert req.heading in tail and f"第{req.number}部分" in tail


def test_system_prompt_has_the_writer_rules(requests_):
    system = build_prompts(requests_, context_tokens=128000).prefix[0]["content"]
    for rule in (
        "数字只用事实要点里给出的",
        "**",
        "不得照搬",
        "一字不差",
        "一是……；二是……",
        "不用 Markdown",
        "不要重复本部分的标题",
    ):
        assert rule in system


def test_budget_cuts_at_section_boundaries_same_kind_first(requests_):
    ps = build_prompts(requests_, context_tokens=16000)
    assert ps.prefix_tokens() <= 16000 - 4096
    names = [u.name for u in ps.samples]
    assert "004" not in names  # the unit summary ranks last for a personal report
    context = ps.prefix[1]["content"]
    by_name = {s.name: s for s in requests_[0].samples}
    for use in ps.samples:
        assert sample_text(by_name[use.name], use.sections) in context
    assert any(not u.whole for u in ps.samples) or ps.dropped_samples
    cut = [u for u in ps.samples if not u.whole]
    for use in cut:
        nxt = by_name[use.name].sections[use.sections]
        assert f"{nxt.number}、{nxt.heading}" not in context


def test_unit_plan_ranks_unit_sample_first(requests_):
    plan = load_plan("年度工作总结")
    ranked = rank_samples(requests_[0].samples, plan)
    assert ranked[0].kind == "单位总结"


def test_no_room_for_samples_still_builds(requests_):
    ps = build_prompts(requests_, context_tokens=5000)
    assert ps.samples == [] and len(ps.dropped_samples) == 5
    assert "（本次没有范文。）" in ps.prefix[1]["content"]


def test_templates_are_editable(tmp_path, requests_):
    for path in templates_dir().glob("*.md"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "system.md").write_text("自定义规则：${plan_name}", encoding="utf-8")
    ps = build_prompts(requests_, context_tokens=128000, folder=tmp_path)
    assert ps.prefix[0]["content"] == "自定义规则：述职报告"
    (tmp_path / "ack.md").unlink()
    with pytest.raises(ConfigError):
        build_prompts(requests_, context_tokens=128000, folder=tmp_path)


def test_cl100k_offline_and_hash_checked(tmp_path):
    enc = tokens.encoding()
    assert enc.encode("hello world") == [15339, 1917]
    assert tokens.count_tokens("") == 0 and tokens.count_tokens("述职报告") > 0
    bad = tmp_path / "cl100k_base.tiktoken"
    bad.write_bytes(tokens.encoding_file().read_bytes()[:-10])
    with pytest.raises(ConfigError) as err:
        tokens.load_ranks(bad)
    assert "sha256" in err.value.message
    assert tokens.is_upper_bound("deepseek") and not tokens.is_upper_bound("openai")


def test_prefix_does_not_depend_on_which_sections_are_asked(requests_):
    whole = build_prompts(requests_, context_tokens=16000)
    one = build_prompts(requests_[2:3], context_tokens=16000)
    assert one.prefix == whole.prefix
    assert one.messages(requests_[2].section.id) == whole.messages(requests_[2].section.id)


def test_section_without_facts_gets_plan_points_and_no_invented_figures():
    from draftbot.facts import parse_facts

    facts = parse_facts("---\ntype: 述职报告\n---\n# 廉洁自律\n- 严格执行中央八项规定及其实施细则精神\n")
    plan = resolve_plan(None, facts)
    requests = build_requests(facts, plan, [])
    ps = build_prompts(requests, context_tokens=32000)
    political = next(r for r in requests if r.section.id == "political")
    tail = ps.tails["political"]["content"]
    assert "没有专门的事实要点" in tail and "不得编造具体数字" in tail
    assert political.section.default_points[0] in tail
    assert "（本次没有范文。）" in ps.prefix[1]["content"]


def _rewrite(request, **changes):
    from dataclasses import replace

    return replace(request, **changes)


def test_rewrite_tail_keeps_the_prefix_and_adds_findings_hint_and_other_sections(requests_):
    first = build_prompts(requests_, context_tokens=16000)
    target = requests_[3]
    others = [("一、坚定理想信念", "其他部分的原文甲。"), ("结尾", "其他部分的原文乙。")]
    rewrite = _rewrite(
        target,
        fix=["错误：数字“81”在事实中找不到", "警告：缺少表述\n“以习近平同志为核心的党中央”"],
        hint="多写基层调研",
        current="当前的第三部分文本。",
        context=others,
    )
    again = build_prompts([rewrite], context_tokens=16000)
    assert again.prefix == first.prefix  # byte-identical shared prefix: the provider cache still hits
    tail = again.tails[target.section.id]["content"]
    assert tail.startswith(first.tails[target.section.id]["content"])  # the same task, then the rewrite
    assert "1. 错误：数字“81”在事实中找不到" in tail
    assert "2. 警告：缺少表述 “以习近平同志为核心的党中央”" in tail  # one line per finding
    assert "用户的修改意见：多写基层调研" in tail and "当前的第三部分文本。" in tail
    assert "【一、坚定理想信念】\n其他部分的原文甲。" in tail and "【结尾】\n其他部分的原文乙。" in tail
    assert "多写基层调研" not in json.dumps(again.prefix, ensure_ascii=False)


def test_first_write_tails_have_no_rewrite_block(requests_):
    ps = build_prompts(requests_, context_tokens=128000)
    assert not any("重写" in t["content"] for t in ps.tails.values())


def test_rewrite_other_sections_are_clipped_to_fit_the_context(requests_):
    long_text = "这是一段很长的其他部分正文，用来测试上下文的裁剪。" * 400
    target = requests_[2]
    rewrite = _rewrite(target, fix=["错误：某处有问题"], context=[("一、甲", long_text), ("二、乙", long_text)])
    roomy = build_prompts([rewrite], context_tokens=128000)
    assert long_text in roomy.tails[target.section.id]["content"]
    tight = build_prompts([rewrite], context_tokens=16000)
    assert tight.prefix == build_prompts(requests_, context_tokens=16000).prefix
    tail = tight.tails[target.section.id]["content"]
    assert "（下略）" in tail and "【二、乙】" in tail and "错误：某处有问题" in tail
    assert tight.request_tokens(target.section.id) <= 16000 - 4096
