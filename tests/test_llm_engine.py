"""The LLM engine against the loopback server: prompts, concurrency, retries, failures, usage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from draftbot.compose import build_requests, compose_draft
from draftbot.config import Prices, resolve_config
from draftbot.engines.llm import LLMEngine
from draftbot.engines.retry import backoff_delay
from draftbot.engines.usage import normalise_usage
from draftbot.errors import ConfigError, ModelError
from draftbot.facts import load_facts
from draftbot.plans import resolve_plan
from draftbot.samples import load_samples
from fake_openai import FakeOpenAI, Reply

REPO = Path(__file__).resolve().parents[1]
KEY = "sk-engine-test-0123456789abcdef"


@pytest.fixture(scope="module")
def inputs():
    facts = load_facts(REPO / "examples" / "facts.md")
    return facts, resolve_plan(None, facts), load_samples()


def engine_for(srv: FakeOpenAI, **cfg_overrides) -> LLMEngine:
    cfg = resolve_config(
        {"base_url": srv.base_url, "model": "fake-model"},
        cwd=Path("/nonexistent"),
        environ={"OPENAI_API_KEY": KEY},
    )
    cfg.backoff = 0.01
    for key, value in cfg_overrides.items():
        setattr(cfg, key, value)
    return LLMEngine(cfg, retries=cfg.retries, backoff=cfg.backoff)


def echo_section(body: dict) -> str:
    """A deterministic answer naming the section the request asked for."""
    tail = body["messages"][-1]["content"]
    return "正文：" + tail.splitlines()[0][:30] + "。一是抓学习；二是抓落实。"


def section_requests(srv, text: str):
    return [r for r in srv.chat_requests if text in r.last_content]


def test_every_request_carries_facts_samples_and_required(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section) as srv:
        draft, _, results = compose_draft(facts, plan, samples, engine_for(srv))
    requests = build_requests(facts, plan, samples)
    assert len(srv.chat_requests) == len(requests) and not any(r.failed for r in results)
    for req in requests:
        if req.section.kind == "body":
            (rec,) = section_requests(srv, f"第{req.number}部分")
            whole = "\n".join(m["content"] for m in rec.messages)
            assert all(f.text in whole for f in facts.all_facts())
            assert all(s.opening[:40] in whole for s in samples)
            assert all(f"“{p}”" in rec.last_content for p in req.section.required)
            assert rec.headers["authorization"] == f"Bearer {KEY}"
            assert rec.body["stream"] is True and rec.body["stream_options"] == {"include_usage": True}
    assert draft.sections[0].body.startswith("正文：请起草第一部分")


def test_shared_prefix_is_byte_identical(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, prefix_cache=True) as srv:
        engine = engine_for(srv)
        compose_draft(facts, plan, samples, engine)
    prefixes = {json.dumps(r.messages[:-1], ensure_ascii=False).encode() for r in srv.chat_requests}
    assert len(prefixes) == 1
    tails = {r.last_content for r in srv.chat_requests}
    assert len(tails) == len(srv.chat_requests)  # only the final message differs
    first, *later = [normalise_usage(r.usage) for r in srv.chat_requests]
    assert first["cached"] == 0
    # the others wait until the first streams, so the (simulated) provider cache serves them all
    assert all(u["cached"] / u["input"] > 0.95 for u in later)
    assert engine.totals().cached == sum(u["cached"] for u in later)


def test_without_warm_up_the_first_wave_misses_the_cache(inputs):
    facts, plan, samples = inputs
    slow_prefill = lambda body: Reply(content=echo_section(body), delay=0.5)  # noqa: E731
    with FakeOpenAI(responder=slow_prefill, prefix_cache=True) as srv:
        engine = engine_for(srv)
        engine.warm_prefix = False
        compose_draft(facts, plan, samples, engine)
    misses = [r for r in srv.chat_requests if normalise_usage(r.usage)["cached"] == 0]
    assert len(misses) == 4  # the first wave of `concurrency` calls arrives before any is prefilled


@pytest.mark.parametrize("limit", [2, 4])
def test_concurrency_bound_observed_at_server(inputs, limit):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, chunks_per_second=50, chunk_chars=3) as srv:
        compose_draft(facts, plan, samples, engine_for(srv, concurrency=limit))
        assert srv.max_in_flight == limit


RETRIED = [
    ("429", lambda: Reply.error(429, retry_after=0.02)),
    ("500", lambda: Reply.error(500)),
    ("503", lambda: Reply.error(503, retry_after=0)),
    ("drop", lambda: Reply.drop(after=2)),
    ("malformed", Reply.bad_json),
    ("empty", Reply.empty),
    ("timeout", lambda: Reply(content="太慢了", delay=2.5)),
]


@pytest.mark.parametrize("name,fault", RETRIED, ids=[n for n, _ in RETRIED])
def test_fault_is_retried_then_succeeds(inputs, name, fault):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section) as srv:
        srv.on("第二部分", fault(), fault())
        engine = engine_for(srv, timeout=1.0 if name == "timeout" else 30)
        draft, _, results = compose_draft(facts, plan, samples, engine)
    assert len(section_requests(srv, "第二部分")) == 3  # two faults, then the answer
    if name != "timeout":  # on a busy machine another section may also hit the short timeout
        assert len(srv.chat_requests) == len(results) + 2
    assert not any(r.failed for r in results)
    assert draft.sections[1].body.startswith("正文：请起草第二部分")
    state = next(s for s in engine.states if s.request.number == "二")
    assert state.attempts == 3
    if name == "429":
        assert state.delays == [0.02, 0.02]  # Retry-After honoured


def test_content_filter_is_not_retried_and_fails(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section) as srv:
        srv.on("第三部分", Reply.filtered())
        draft, _, results = compose_draft(facts, plan, samples, engine_for(srv))
    assert len(section_requests(srv, "第三部分")) == 1
    failed = [r for r in results if r.failed]
    assert len(failed) == 1 and "审核" in failed[0].error
    assert draft.sections[2].failed and "审核" in draft.sections[2].failure_reason
    assert not draft.sections[1].failed and not draft.sections[3].failed


def test_retries_exhausted_marks_section_failed(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section) as srv:
        srv.on("第四部分", *[Reply.error(503) for _ in range(10)])
        draft, _, results = compose_draft(facts, plan, samples, engine_for(srv, retries=2))
    assert len(section_requests(srv, "第四部分")) == 3  # 1 + 2 retries
    assert draft.sections[3].failed and "503" in draft.sections[3].failure_reason
    assert "regen" in draft.sections[3].body
    assert sum(r.failed for r in results) == 1


def test_bad_key_fails_fast_without_retries(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(api_key="sk-the-right-one-000000") as srv:
        with pytest.raises(ModelError) as err:
            compose_draft(facts, plan, samples, engine_for(srv))
    assert len(srv.chat_requests) <= 4  # the calls already in flight; no further ones
    assert "401" in err.value.message and "OPENAI_API_KEY" in err.value.hint
    assert KEY not in err.value.message + err.value.hint


@pytest.mark.parametrize("shape", ["openai", "qwen", "glm", "deepseek", "kimi"])
def test_usage_normalised_for_each_provider_shape(inputs, shape):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, usage_shape=shape, prefix_cache=True) as srv:
        engine = engine_for(srv, prices=Prices("CNY", input=2.0, cached=0.2, output=3.0))
        draft, _, _ = compose_draft(facts, plan, samples, engine)
    sent = [normalise_usage(r.usage) for r in srv.chat_requests]
    totals = engine.totals()
    assert totals.input == sum(u["input"] for u in sent) > 0
    assert totals.cached == sum(u["cached"] for u in sent) > 0
    assert totals.output == sum(u["output"] for u in sent) > 0
    usage = draft.meta["usage"]
    assert usage["cached_tokens"] == totals.cached and usage["currency"] == "CNY"
    expected = ((totals.input - totals.cached) * 2.0 + totals.cached * 0.2 + totals.output * 3.0) / 1e6
    assert usage["cost"] == pytest.approx(expected, abs=1e-6)
    assert set(usage["sections"]) == {s.id for s in plan.all_sections()}
    assert any("估算费用" in line for line in engine.report_lines())


def test_normalise_usage_shapes():
    assert normalise_usage(
        {"prompt_tokens": 100, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 80}}
    ) == {
        "input": 100,
        "cached": 80,
        "output": 5,
    }
    assert (
        normalise_usage(
            {
                "prompt_tokens": 100,
                "completion_tokens": 5,
                "prompt_cache_hit_tokens": 64,
                "prompt_cache_miss_tokens": 36,
            }
        )["cached"]
        == 64
    )
    assert (
        normalise_usage({"prompt_tokens": 100, "completion_tokens": 5, "cached_tokens": 50})["cached"] == 50
    )
    assert (
        normalise_usage({"prompt_tokens": 100, "completion_tokens": 5, "prompt_tokens_details": None})[
            "cached"
        ]
        == 0
    )
    assert (
        normalise_usage({"input_tokens": 9, "output_tokens": 2, "input_token_details": {"cache_read": 4}})[
            "cached"
        ]
        == 4
    )
    assert normalise_usage(None) == {"input": 0, "cached": 0, "output": 0}


def test_backoff_delay():
    assert backoff_delay(1, 1.0, retry_after=7) == 7
    assert backoff_delay(1, 1.0, retry_after=1000) == 60
    assert 0.75 <= backoff_delay(1, 1.0) <= 1.25 and 3 <= backoff_delay(3, 1.0) <= 5


def test_engine_needs_ready_config(tmp_path):
    cfg = resolve_config({"provider": "deepseek"}, cwd=tmp_path, environ={})
    with pytest.raises(ConfigError) as err:
        LLMEngine(cfg)
    assert "DEEPSEEK_API_KEY" in err.value.hint


def test_live_display_shows_state_chars_and_tokens(inputs):
    import io

    from rich.console import Console

    from draftbot.cli.progress import ProgressDisplay

    facts, plan, samples = inputs
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=140)
    with FakeOpenAI(responder=echo_section) as srv:
        with ProgressDisplay(console, live=True) as show:
            compose_draft(facts, plan, samples, engine_for(srv), on_event=show)
    out = buffer.getvalue()
    assert "大模型起草进度" in out and "输出词元" in out
    assert "完成" in out and "一、坚定理想信念" in out


def test_write_section_alone(inputs):
    facts, plan, samples = inputs
    request = build_requests(facts, plan, samples)[3]
    with FakeOpenAI(responder=echo_section) as srv:
        result = engine_for(srv).write_section(request)
    assert not result.failed and result.body.startswith("正文：请起草第三部分")
    assert result.usage["attempts"] == 1 and len(srv.chat_requests) == 1


def test_single_section_failure_is_a_failed_result(inputs):
    facts, plan, samples = inputs
    request = build_requests(facts, plan, samples)[2]
    with FakeOpenAI(default=Reply.filtered()) as srv:
        result = engine_for(srv).write_section(request)
    assert result.failed and "审核" in result.error and len(srv.chat_requests) == 1


def test_everything_failing_writes_no_draft(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(default=Reply.error(503)) as srv:
        with pytest.raises(ModelError) as err:
            compose_draft(facts, plan, samples, engine_for(srv, retries=1))
    assert "503" in err.value.message and "未写入草稿" in err.value.message


def test_kimi_stream_usage_inside_the_final_choice(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(
        responder=echo_section, usage_shape="kimi", usage_in_choice=True, prefix_cache=True
    ) as srv:
        engine = engine_for(srv)
        compose_draft(facts, plan, samples, engine)
    sent = [normalise_usage(r.usage) for r in srv.chat_requests]
    assert engine.totals().cached == sum(u["cached"] for u in sent) > 0
    assert engine.totals().input == sum(u["input"] for u in sent)
