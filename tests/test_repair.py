"""The repair loop and targeted rewrites against the loopback server: the checker is the judge."""

from __future__ import annotations

from pathlib import Path

import pytest

from draftbot.compose import build_requests, compose_draft
from draftbot.config import Prices, resolve_config
from draftbot.draft import make_failed_body, parse_draft
from draftbot.draftedit import CLOSING, OPENING, replace_part
from draftbot.engines.llm import LLMEngine
from draftbot.engines.offline import OfflineEngine
from draftbot.facts import load_facts
from draftbot.plans import resolve_plan
from draftbot.prompting import build_prompts
from draftbot.repair import repair, report_lines, with_history
from draftbot.rewrite import Sources, make_checker, regenerate_parts
from draftbot.samples import load_samples
from fake_openai import FakeOpenAI, Reply

REPO = Path(__file__).resolve().parents[1]
KEY = "sk-repair-test-0123456789abcdef"


@pytest.fixture(scope="module")
def sources():
    facts = load_facts(REPO / "examples" / "facts.md")
    return Sources(facts, resolve_plan(None, facts), load_samples())


@pytest.fixture(scope="module")
def clean_text(sources):
    draft, _, _ = compose_draft(sources.facts, sources.plan, sources.samples, OfflineEngine())
    return draft.render()


def engine_for(srv: FakeOpenAI) -> LLMEngine:
    cfg = resolve_config(
        {"base_url": srv.base_url, "model": "fake-model"}, cwd=Path("/nonexistent"), environ={"OPENAI_API_KEY": KEY}
    )
    cfg.backoff = 0.01
    return LLMEngine(cfg, retries=0, backoff=0.01)


def section3(text: str) -> str:
    return parse_draft(text).sections[2].body


def flawed(body: str, *swaps: tuple[str, str]) -> str:
    for old, new in swaps:
        assert old in body
        body = body.replace(old, new)
    return body


VISITS = ("136家次", "163家次")  # a figure the facts do not have: figure-ungrounded, an error
ISSUES = ("问题42个", "问题24个")
MEETINGS = ("调度会38次", "调度会83次")


def errors_in(check, text) -> list[str]:
    return sorted(f.text for f in check(text) if f.level == "error")


def requests_for(srv, marker: str) -> list:
    return [r for r in srv.chat_requests if marker in r.last_content]


def test_repair_converges_when_the_model_fixes_it_on_its_second_answer(sources, clean_text):
    check = make_checker(sources)
    good = section3(clean_text)
    text = replace_part(clean_text, 3, flawed(good, VISITS, ISSUES))
    assert errors_in(check, text) == ["163家次", "24个"]
    with FakeOpenAI() as srv:
        srv.on("第三部分", flawed(good, ISSUES), good, "第三次不应被请求")
        result = repair(text, check=check, engine=engine_for(srv), sources=sources, rounds=3)
        assert len(srv.chat_requests) == 2
        first, second = srv.chat_requests
    assert result.rounds == 2 and result.stopped == "clean" and result.requests == 2
    assert section3(result.text) == good and errors_in(check, result.text) == []
    (part,) = result.parts
    assert part.label.startswith("三、") and part.accepted == 2 and part.fixed
    # each repair request is fresh: the second carries only the findings still open
    assert "“163家次”" in first.last_content and "“24个”" in first.last_content
    assert "“163家次”" not in second.last_content and "“24个”" in second.last_content
    assert len(first.messages) == len(second.messages) == 4
    # every other byte of the draft is unchanged
    assert replace_part(result.text, 3, "§") == replace_part(text, 3, "§")


def test_repair_request_has_the_first_writes_prefix_and_the_findings(sources, clean_text):
    check = make_checker(sources)
    good = section3(clean_text)
    text = replace_part(clean_text, 3, flawed(good, VISITS))
    with FakeOpenAI() as srv:
        srv.on("第三部分", good)
        result = repair(text, check=check, engine=engine_for(srv), sources=sources, rounds=1)
        (rec,) = srv.chat_requests
    first = build_prompts(build_requests(sources.facts, sources.plan, sources.samples), context_tokens=128000)
    assert rec.messages[:-1] == first.prefix  # byte-identical shared prefix
    tail = rec.last_content
    assert tail.startswith(first.tails["diligence"]["content"])
    assert "figure-ungrounded" not in tail and "“163家次”" in tail and "错误：" in tail
    assert flawed(good, VISITS) in tail  # the current text, to fix rather than rewrite from scratch
    assert "【四、聚焦主责主业，推动各项工作取得实效】" in tail  # the other sections as they stand
    assert "【三、" not in tail
    assert result.stopped == "clean"


def test_rewrite_adding_a_new_error_is_rejected_and_the_earlier_text_kept(sources, clean_text):
    check = make_checker(sources)
    good = section3(clean_text)
    text = replace_part(clean_text, 3, flawed(good, VISITS))
    with FakeOpenAI() as srv:
        srv.on("第三部分", flawed(good, MEETINGS), "不应被请求")  # fixes 163 but invents 83
        result = repair(text, check=check, engine=engine_for(srv), sources=sources, rounds=3)
        assert len(srv.chat_requests) == 1
    assert result.text == text and result.stopped == "no-progress" and not result.changed
    (part,) = result.parts
    assert "新增了错误" in " ".join(part.notes) and "83" in " ".join(part.notes)


def test_rewrite_that_breaks_another_section_is_rejected(sources, clean_text):
    check = make_checker(sources)
    good = section3(clean_text)
    text = replace_part(clean_text, 3, flawed(good, VISITS))
    with FakeOpenAI() as srv:
        srv.on("第三部分", good + "\n五、严守纪律规矩，始终保持清正廉洁\n多出来的一部分。")
        result = repair(text, check=check, engine=engine_for(srv), sources=sources, rounds=2)
    assert result.text == text and "打乱草稿结构" in " ".join(result.parts[0].notes)


def test_gives_up_after_n_rounds_with_exactly_n_requests(sources, clean_text):
    check = make_checker(sources)
    good = section3(clean_text)
    text = replace_part(clean_text, 3, flawed(good, VISITS, ISSUES, MEETINGS))
    with FakeOpenAI() as srv:  # one figure fixed per answer: better each round, never clean
        srv.on("第三部分", flawed(good, ISSUES, MEETINGS), flawed(good, MEETINGS), good)
        result = repair(text, check=check, engine=engine_for(srv), sources=sources, rounds=2)
        assert len(srv.chat_requests) == 2
    assert result.rounds == 2 and result.stopped == "rounds"
    assert errors_in(check, result.text) == ["83次"]
    lines = "\n".join(report_lines(result))
    assert "错误 3→1" in lines and "已达到修复轮数上限" in lines and "2 次请求" in lines


def test_same_findings_stop_after_one_round(sources, clean_text):
    check = make_checker(sources)
    good = section3(clean_text)
    bad = flawed(good, VISITS)
    text = replace_part(clean_text, 3, bad)
    with FakeOpenAI() as srv:
        srv.on("第三部分", *[bad + "又写了一遍。"] * 5)
        result = repair(text, check=check, engine=engine_for(srv), sources=sources, rounds=5)
        assert len(srv.chat_requests) == 1
    assert result.stopped in ("no-progress", "repeat") and result.text == text


def test_only_flawed_sections_are_touched_and_hand_edits_kept(sources, clean_text):
    check = make_checker(sources)
    good = section3(clean_text)
    old_2 = parse_draft(clean_text).sections[1].body
    hand = clean_text.replace(old_2, "我手工改过的第二部分，   保留行尾空格   \n第二段。")
    text = replace_part(hand, 3, flawed(good, VISITS))
    with FakeOpenAI() as srv:
        srv.on("第三部分", good)
        result = repair(text, check=check, engine=engine_for(srv), sources=sources, rounds=2)
        assert len(srv.chat_requests) == 1  # the hand-edited section has only warnings: not touched
    assert result.text == replace_part(text, 3, good)
    assert "我手工改过的第二部分，   保留行尾空格   \n第二段。" in result.text


def test_budget_stops_before_a_round_that_would_exceed_it(sources, clean_text):
    check = make_checker(sources)
    text = replace_part(clean_text, 3, flawed(section3(clean_text), VISITS))
    with FakeOpenAI() as srv:
        result = repair(text, check=check, engine=engine_for(srv), sources=sources, rounds=3, budget=1000)
        assert srv.chat_requests == []
    assert result.stopped == "budget" and result.text == text


def test_model_failure_leaves_the_text_and_says_so(sources, clean_text):
    check = make_checker(sources)
    good = section3(clean_text)
    text = replace_part(clean_text, 3, flawed(good, VISITS))
    text = replace_part(text, 5, flawed(parse_draft(text).sections[4].body, ("16人次", "61人次")))
    with FakeOpenAI(default=Reply.error(500)) as srv:
        result = repair(text, check=check, engine=engine_for(srv), sources=sources, rounds=2)
        assert len(srv.chat_requests) == 2
    assert result.text == text and result.stopped == "failed" and "500" in result.error


def test_history_and_usage_recorded(sources, clean_text):
    check = make_checker(sources)
    good = section3(clean_text)
    text = replace_part(clean_text, 3, flawed(good, VISITS))
    with FakeOpenAI(usage_shape="deepseek") as srv:
        srv.on("第三部分", good)
        engine = engine_for(srv)
        engine.config.prices = Prices("CNY", 2.0, 0.2, 8.0)
        result = repair(text, check=check, engine=engine, sources=sources, rounds=1)
    assert result.input_tokens > 1000 and result.output_tokens > 0
    assert result.cost == pytest.approx(Prices("CNY", 2.0, 0.2, 8.0).cost(
        result.input_tokens, result.cached_tokens, result.output_tokens))
    assert "估算费用" in "\n".join(report_lines(result))
    saved = parse_draft(with_history(result, engine))
    (entry,) = saved.meta["repairs"]
    assert entry["sections"] == {"三": "错误 1→0，警告 0→0"} and entry["rounds"] == 1
    assert entry["input_tokens"] == result.input_tokens and entry["stopped"] == "clean"
    assert entry["cost"] == round(result.cost, 6) and entry["currency"] == "CNY"
    assert saved.sections[2].body == good


def test_regenerate_by_part_with_hint_keeps_every_other_byte(sources, clean_text):
    check = make_checker(sources)
    with FakeOpenAI() as srv:
        srv.on("开头段", "新的开头。")
        srv.on("结尾段", "新的结尾。")
        srv.on("第二部分", Reply.error(400))
        out = regenerate_parts(
            clean_text, [OPENING, CLOSING, 2], sources, engine_for(srv), check=check, hint="更简练"
        )
        assert len(srv.chat_requests) == 3
        assert all("用户的修改意见：更简练" in r.last_content for r in srv.chat_requests)
    draft = parse_draft(out.text)
    assert draft.opening == "新的开头。" and draft.closing == "新的结尾。"
    assert out.results[2].failed and draft.sections[1].body == parse_draft(clean_text).sections[1].body
    assert [e["section"] for e in draft.meta["regenerated"]] == ["开头", "结尾"]
    body = out.text.split("---\n", 2)[2]
    expected = replace_part(replace_part(clean_text, OPENING, "新的开头。"), CLOSING, "新的结尾。")
    assert body == expected.split("---\n", 2)[2]


def test_failed_placeholder_is_not_sent_as_current_text(sources, clean_text):
    text = replace_part(clean_text, 4, make_failed_body("超时", "四"))
    with FakeOpenAI() as srv:
        srv.on("第四部分", "重新写好的第四部分。")
        out = regenerate_parts(text, [4], sources, engine_for(srv), check=make_checker(sources))
        (rec,) = srv.chat_requests
    assert "draftbot:failed" not in rec.last_content and "（不提供，请重新起草）" in rec.last_content
    assert parse_draft(out.text).sections[3].body == "重新写好的第四部分。"


def test_rewrite_that_adds_an_error_elsewhere_is_rejected(sources, clean_text):
    """The judge sees the whole draft: a rewrite that fixes its own section but makes another one
    fail (here: a judge that flags section 一 whenever section 三 says “全覆盖”) is not taken."""
    from dataclasses import replace as copy_with

    real = make_checker(sources)

    def check(text):
        findings = real(text)
        if "全覆盖" in parse_draft(text).sections[2].body:
            first = next(f for f in real(clean_text.replace("12次", "21次")) if f.section_index == 1)
            findings.append(copy_with(first, message="别处因这次重写出错"))
        return findings

    good = section3(clean_text)
    text = replace_part(clean_text, 3, flawed(good, VISITS))
    with FakeOpenAI() as srv:
        srv.on("第三部分", good + "走访实现全覆盖。", good)
        result = repair(text, check=check, engine=engine_for(srv), sources=sources, rounds=1)
    assert result.text == text and result.stopped == "no-progress"
    assert "新增了错误" in " ".join(result.parts[0].notes)
