"""Self-hosted servers through the loopback fake: the window each reports, prompts that fit it,
answer caps in the field each reads, cut-off and runaway answers, serialising servers, usage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from draftbot.budget import section_cap
from draftbot.compose import compose_draft
from draftbot.config import resolve_config
from draftbot.engines.llm import LLMEngine
from draftbot.engines.server import parse_context_error, probe
from draftbot.errors import ConfigError, ModelError
from draftbot.facts import load_facts
from draftbot.plans import resolve_plan
from draftbot.samples import load_samples
from fake_openai import FakeOpenAI, Reply

REPO = Path(__file__).resolve().parents[1]
KEY = "sk-local-test-0123456789abcdef"


@pytest.fixture(scope="module")
def inputs():
    facts = load_facts(REPO / "examples" / "facts.md")
    return facts, resolve_plan(None, facts), load_samples()


def echo_section(body: dict) -> str:
    tail = body["messages"][-1]["content"]
    return "正文：" + tail.splitlines()[0][:30] + "。一是抓学习；二是抓落实。"


def engine_for(srv: FakeOpenAI, provider: str | None = None, **cfg) -> LLMEngine:
    flags = {"base_url": srv.base_url, "model": "fake-model", "provider": provider}
    config = resolve_config(flags, cwd=Path("/nonexistent"), environ={"OPENAI_API_KEY": KEY})
    config.backoff = 0.01
    for key, value in cfg.items():
        setattr(config, key, value)
    return LLMEngine(config, retries=config.retries, backoff=config.backoff)


def section_of(engine: LLMEngine, body: dict):
    tail = body["messages"][-1]["content"]
    return next(
        s.request.section
        for s in engine.states
        if engine.prompts.tails[s.request.section.id]["content"] == tail
    )


# -- the window each server reports, and prompts that fit it -----------------------------------

FLAVOURS = [
    ("llamacpp", True, "/props"),
    ("llama-cpp-python", True, "报错"),
    ("vllm", True, "max_model_len"),
    ("ollama", False, "num_ctx"),
]


@pytest.mark.parametrize("flavour,counts,source", FLAVOURS, ids=[f for f, _, _ in FLAVOURS])
def test_window_detected_and_every_request_fits(inputs, flavour, counts, source):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, flavour=flavour, n_ctx=12000, token_ratio=1.5) as srv:
        engine = engine_for(srv)
        draft, _, results = compose_draft(facts, plan, samples, engine)
    assert not any(r.failed for r in results)
    assert engine.fit.context == 12000 and source in engine.server.context_source
    assert engine.fit.counted is counts  # Ollama has no tokenizer endpoint: a margin instead
    assert engine.fit.ratio >= 1.45  # the server's tokens run 1.5x cl100k (measured or assumed)
    # all five samples (~23k cl100k tokens) cannot fit: some were cut or left out
    assert engine.prompts.dropped_samples or not all(u.whole for u in engine.prompts.samples)
    for rec in srv.chat_requests:
        cap = rec.body.get("max_tokens")
        assert cap and "max_completion_tokens" not in rec.body
        assert srv.prompt_tokens(rec.messages) + cap <= 12000
    assert any(line.startswith("上下文窗口：12000 词元") for line in engine.report_lines())


def context_flag(engine, tokens: int) -> None:
    """As if --context-tokens TOKENS were given on the command line."""
    engine.config.context_tokens, engine.config.sources["context_tokens"] = tokens, "命令行 --context-tokens"


def test_explicit_context_smaller_than_the_server_wins(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, flavour="llamacpp", n_ctx=30000) as srv:
        engine = engine_for(srv)
        context_flag(engine, 10000)
        compose_draft(facts, plan, samples, engine)
    assert engine.fit.context == 10000
    assert max(srv.prompt_tokens(r.messages) + r.body["max_tokens"] for r in srv.chat_requests) <= 10000


def test_cloud_presets_are_not_probed_and_get_max_completion_tokens(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section) as srv:
        engine = engine_for(srv, provider="openai")
        compose_draft(facts, plan, samples, engine)
    assert [r.path for r in srv.requests if not r.path.endswith("/chat/completions")] == []
    for rec in srv.chat_requests:
        assert "max_tokens" not in rec.body
        assert rec.body["max_completion_tokens"] == section_cap(section_of(engine, rec.body))


def test_caps_follow_the_planned_length(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section) as srv:  # a custom OpenAI-compatible server
        engine = engine_for(srv)
        compose_draft(facts, plan, samples, engine)
    caps = {section_of(engine, r.body).id: r.body["max_tokens"] for r in srv.chat_requests}
    assert caps["closing"] < caps["opening"] < caps["political"] < caps["performance"]
    assert caps["performance"] == section_cap(plan.sections[3])  # 3500 characters, with headroom
    assert caps["performance"] > 3500 * 1.25


def test_configured_max_output_tokens_caps_every_section(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section) as srv:
        compose_draft(facts, plan, samples, engine_for(srv, max_output_tokens=777))
    assert {r.body["max_tokens"] for r in srv.chat_requests} == {777}


def test_slots_the_server_announces_bound_concurrency(inputs):
    facts, plan, samples = inputs
    fake = FakeOpenAI(responder=echo_section, flavour="llamacpp", n_ctx=32768, slots=2, chunks_per_second=200)
    with fake as srv:
        engine = engine_for(srv, concurrency=4)
        compose_draft(facts, plan, samples, engine)
    assert srv.max_in_flight == 2
    assert any("2 个并行槽位" in note for note in engine.notes)


# -- the prompt cannot fit: clear messages ------------------------------------------------------


def test_window_too_small_is_refused_with_sizes_and_fix(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, flavour="llamacpp", n_ctx=3000, token_ratio=1.5) as srv:
        with pytest.raises(ConfigError) as err:
            compose_draft(facts, plan, samples, engine_for(srv))
        assert srv.chat_requests == []  # refused before any model call
    assert "上下文窗口 3000 词元放不下" in err.value.message
    assert re.search(r"提示词（不含范文）约 \d+ 词元", err.value.message)
    assert "--n_ctx" in err.value.hint and "-c " in err.value.hint


CONTEXT_ERRORS = ["llamacpp", "vllm", "llama-cpp-python"]


@pytest.mark.parametrize("flavour", CONTEXT_ERRORS)
def test_server_context_error_becomes_one_clear_message(inputs, flavour):
    """The window is not probed (as with a proxy in front of the server): the server's own error."""
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, flavour=flavour, n_ctx=6000) as srv:
        engine = engine_for(srv, retries=1)
        engine.probe = False  # trust the configured 32768
        with pytest.raises(ModelError) as err:
            compose_draft(facts, plan, samples, engine)
    assert "上下文窗口" in err.value.message and "未写入草稿" in err.value.message
    assert "--context-tokens" in err.value.hint and "--n_ctx" in err.value.hint
    if flavour != "llama-cpp-python":  # its stream is simply empty: no sizes to name
        assert "服务端上限 6000 词元" in err.value.message
        assert "--context-tokens 6000" in err.value.hint
        assert len(srv.chat_requests) <= 4  # fatal: the calls in flight, no retries


def test_ollama_truncates_silently_so_the_prompt_is_fitted(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, flavour="ollama", n_ctx=9000, token_ratio=1.4) as srv:
        engine = engine_for(srv)
        compose_draft(facts, plan, samples, engine)
    assert engine.fit.context == 9000 and not engine.fit.counted
    assert all(srv.prompt_tokens(r.messages) < 9000 for r in srv.chat_requests)


@pytest.mark.parametrize(
    "status,text,limit,asked",
    [
        (
            400,
            '{"error":{"message":"This model\'s maximum context length is 4096 tokens. However, you requested '
            '5050 tokens (5030 in the messages, 20 in the completion).","code":"context_length_exceeded"}}',
            4096,
            5050,
        ),
        (
            400,
            '{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it",'
            '"type":"exceed_context_size_error","n_prompt_tokens":9000,"n_ctx":8192}}',
            8192,
            9000,
        ),
        (400, "'max_tokens' is too large: 2000. This model's maximum context length is 4096 tokens and "
              "your request has 3000 input tokens (2000 > 4096 - 3000).", 4096, 3000),
        (429, "maximum context length is 4096", None, None),
        (400, "Invalid model name", None, None),
    ],
)  # fmt: skip
def test_parse_context_error(status, text, limit, asked):
    found = parse_context_error(status, text)
    if limit is None:
        assert found is None
    else:
        assert (found.limit, found.requested) == (limit, asked)


def test_probe_of_a_plain_server_learns_nothing_and_says_nothing(fake_openai):
    info = probe(fake_openai.base_url, "fake-model")
    assert info.kind is None and info.context is None and info.tokenize_url is None


# -- answers that must not be accepted --------------------------------------------------------


def long_text(n: int) -> str:
    line = "坚持以人民为中心的发展思想，推动各项工作落地见效，取得了新的进展和成绩。"
    return "".join(f"{i}、{line}" for i in range(n // len(line) + 1))[:n]


BAD_ANSWERS = [
    ("length", lambda: Reply.length("写到一半被截断"), "长度上限"),
    ("runaway", lambda: Reply(content=long_text(1500)), "远超本部分"),
    ("repeats", lambda: Reply(content="\n".join(["我们要认真学习贯彻会议精神。"] * 6)), "重复"),
]


@pytest.mark.parametrize("name,bad,reason", BAD_ANSWERS, ids=[n for n, _, _ in BAD_ANSWERS])
def test_bad_answer_is_retried_then_marked_failed(inputs, name, bad, reason):
    facts, plan, samples = inputs
    # a tokenizer twice as dense on Chinese as cl100k (as DeepSeek's, Qwen's): a runaway answer
    # can stay under its cap
    with FakeOpenAI(responder=echo_section, token_ratio=0.5) as srv:
        srv.on("第六部分", bad(), bad(), bad())  # 存在的不足: at most 600 characters
        srv.on("请起草结尾", bad())
        draft, _, results = compose_draft(facts, plan, samples, engine_for(srv, retries=2))
        assert len([r for r in srv.chat_requests if "第六部分" in r.last_content]) == 3
    failed = {r.section_id: r.error for r in results if r.failed}
    assert set(failed) == {"shortcomings"} and reason in failed["shortcomings"]
    assert draft.sections[5].failed and reason in draft.sections[5].failure_reason
    assert not any(draft.closing.startswith(p) for p in ("写到一半", "0、坚持", "我们要认真"))


def test_server_stops_at_the_cap_and_the_answer_is_retried(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, flavour="llama-cpp-python", n_ctx=40000) as srv:
        srv.on("第六部分", long_text(3000), "不足：学习不够深入。")  # the cap stops the first
        draft, _, results = compose_draft(facts, plan, samples, engine_for(srv))
    first, second = [r for r in srv.chat_requests if "第六部分" in r.last_content]
    assert (
        first.reply.finish_reason == "length"
        and srv.server_count(first.reply.content) <= first.body["max_tokens"]
    )
    assert draft.sections[5].body == "不足：学习不够深入。" and not any(r.failed for r in results)


# -- a server that serialises -----------------------------------------------------------------


def test_cut_off_streams_lower_concurrency_once_and_everything_completes(inputs):
    facts, plan, samples = inputs
    fake = FakeOpenAI(responder=echo_section, flavour="llama-cpp-python", n_ctx=40000, single_slot=True,
                      chunks_per_second=100)  # fmt: skip
    with fake as srv:
        engine = engine_for(srv, concurrency=4, retries=0)  # cut-offs must not use up retries
        draft, _, results = compose_draft(facts, plan, samples, engine)
    assert not any(r.failed for r in results)
    assert srv.cut_offs >= 1
    notes = [n for n in engine.notes if "并发数已由 4 降为 1" in n]
    assert len(notes) == 1 and sum("并发数已由" in line for line in engine.report_lines()) == 1
    # cut-offs happen only while the first wave overlaps; after that one request at a time
    assert srv.cut_offs <= 3 and len(srv.chat_requests) == len(results) + srv.cut_offs


def test_a_cut_off_without_concurrency_is_an_ordinary_retry(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section) as srv:
        srv.on("第二部分", Reply.cut(after=2))
        engine = engine_for(srv, concurrency=1)
        compose_draft(facts, plan, samples, engine)
    state = next(s for s in engine.states if s.request.section.id == "ability")
    assert state.attempts == 2 and len(state.delays) == 1  # one ordinary retry, after a backoff
    assert engine.notes == []


# -- usage honesty ----------------------------------------------------------------------------


def test_missing_usage_is_an_estimate_never_zero(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, flavour="llama-cpp-python", n_ctx=40000, send_usage=False) as srv:
        engine = engine_for(srv)
        draft, _, _ = compose_draft(facts, plan, samples, engine)
    usage = draft.meta["usage"]
    assert usage["estimated"] is True and "cached_tokens" not in usage
    assert usage["input_tokens"] > 1000 and usage["output_tokens"] > 0
    assert all(cell.startswith("≈") and "/?/" in cell for cell in usage["sections"].values())
    lines = engine.report_lines()
    assert not any(" 0 / 0 / 0" in line for line in lines)
    assert any(line.startswith("  合计：≈") and " / ? / ≈" in line for line in lines)
    assert any("估算" in line for line in lines)


def test_reported_usage_is_shown_as_measured(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, flavour="vllm", n_ctx=40000) as srv:
        engine = engine_for(srv)
        draft, _, _ = compose_draft(facts, plan, samples, engine)
    usage = draft.meta["usage"]
    assert "estimated" not in usage and usage["cached_tokens"] == 0
    assert not any("≈" in line for line in engine.report_lines())


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path):
    from clirun import EXAMPLE_FACTS

    (tmp_path / "facts.md").write_text(EXAMPLE_FACTS.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def test_progress_lines_when_output_is_not_a_terminal(workdir):
    from clirun import run_cli

    with FakeOpenAI(responder=echo_section, flavour="llama-cpp-python", n_ctx=40000, send_usage=False) as srv:
        srv.on("第二部分", Reply.error(503))
        proc = run_cli(
            "write",
            "facts.md",
            "--provider",
            "llamacpp",
            "--base-url",
            srv.base_url,
            "--repair",
            "0",
            cwd=workdir,
        )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if re.match(r"\[\s*[\d.]+ 秒\] ", line)]
    for label in ("开头", "一、坚定理想信念", "七、下一步工作打算", "结尾"):
        assert any(f"{label}" in line and "：开始" in line for line in lines), label
        assert any(f"{label}" in line and "：完成，" in line for line in lines), label
    assert any("二、加强学习实践" in line and "重试 1（服务出错（503））" in line for line in lines)
    times = [float(re.match(r"\[\s*([\d.]+)", line).group(1)) for line in lines]
    assert times == sorted(times)
    assert "上下文窗口：40000 词元（llama-cpp-python" in proc.stdout
    assert "合计：≈" in proc.stdout and "estimated: true" in (workdir / "facts.draft.md").read_text(
        encoding="utf-8"
    )


def test_dry_run_honours_max_output_tokens(workdir):
    from clirun import run_cli

    plain = run_cli(
        "write", "facts.md", "--dry-run", "--provider", "qwen", "--context-tokens", "20000", cwd=workdir
    )
    (workdir / "draftbot.toml").write_text("max_output_tokens = 9000\n", encoding="utf-8")
    capped = run_cli(
        "write", "facts.md", "--dry-run", "--provider", "qwen", "--context-tokens", "20000", cwd=workdir
    )
    assert plain.returncode == 0 and capped.returncode == 0, plain.stderr + capped.stderr
    assert "回答上限 9000～9000 词元" in capped.stdout and "回答上限 9000～9000" not in plain.stdout
    budget = [int(re.search(r"范文（预算 (\d+) 词元）", p.stdout).group(1)) for p in (plain, capped)]
    assert budget[1] < budget[0]  # the larger answer reserve leaves less room for samples
    assert "只是估计" in capped.stdout and "上限" not in capped.stdout.split("提示：")[-1].split("\n")[0]


@pytest.mark.parametrize("extra", [[], ["--dry-run"]])
def test_context_smaller_than_the_reserve_is_refused(workdir, extra):
    from clirun import run_cli

    (workdir / "draftbot.toml").write_text("max_output_tokens = 4096\n", encoding="utf-8")
    with FakeOpenAI(responder=echo_section) as srv:
        proc = run_cli(
            "write", "facts.md", "--base-url", srv.base_url, "--model", "m", "--context-tokens", "4000", *extra,
            cwd=workdir,
        )  # fmt: skip
        assert srv.chat_requests == []
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        "上下文窗口 4000 词元放不下" in proc.stderr
        and "回答预留（max_output_tokens）至少 4096" in proc.stderr
    )
    assert "--context-tokens 设为至少" in proc.stderr
    assert not (workdir / "facts.draft.md").exists()


def test_all_answers_too_long_name_the_fix(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(default=Reply.length("写到一半")) as srv:
        with pytest.raises(ModelError) as err:
            compose_draft(facts, plan, samples, engine_for(srv, retries=0))
    assert "长度上限" in err.value.message and "未写入草稿" in err.value.message
    assert "max_output_tokens" in err.value.hint


def test_a_larger_context_flag_than_the_server_has_is_lowered_and_said(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_section, flavour="vllm", n_ctx=20000) as srv:
        engine = engine_for(srv)
        context_flag(engine, 64000)
        compose_draft(facts, plan, samples, engine)
    assert engine.fit.context == 20000
    assert any("只有 20000 词元，小于设置的 64000" in line for line in engine.report_lines())


def test_no_section_written_reports_no_usage_not_zero(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(default=Reply.filtered(), send_usage=False) as srv:
        engine = engine_for(srv)
        engine.write_section(compose_requests(facts, plan, samples)[1])
    lines = engine.report_lines()
    assert any(line.startswith("  合计：无（没有写成的部分）") for line in lines)
    assert not any("0 / 0" in line for line in lines)


def compose_requests(facts, plan, samples):
    from draftbot.compose import build_requests

    return build_requests(facts, plan, samples)
