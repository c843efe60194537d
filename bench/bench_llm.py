"""The LLM engine on a 7-section draft against the loopback test server, decoding at a fixed rate.

The example facts with the 述职报告 plan give 9 model calls (7 sections plus opening and
closing). The server waits `--ttft` seconds (prefill) and then streams every answer at a fixed
chunk rate (default 40 chunks/s of 4 characters), each answer as long as the middle of its
section's target range, so the sections differ in length the way real ones do. A prompt counts
as cached once an earlier answer with the same prefix has started. One run reports side by side:

  * wall time over the slowest single section (goal <= 1.15) and over the sequential sum,
    at the default concurrency (with and without warming the prefix cache), at full concurrency
    and sequentially, with the share of input tokens the simulated provider cache served;
  * the share of input tokens inside the shared prefix (goal >= 90%);
  * tokens per draft against a naive design that gives each section its own prompt
    (rules + its task and facts + samples), with the server's simulated prefix cache and
    the cost at the DeepSeek preset's prices.

Usage: python bench/bench_llm.py [--rate 40] [--chunk-chars 4] [--ttft 0.5] [--scale 0.5] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import sys
import time

from benchlib import REPO, write_results

sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]

from draftbot.compose import build_requests, compose_draft  # noqa: E402
from draftbot.config import presets, resolve_config  # noqa: E402
from draftbot.engines.llm import LLMEngine  # noqa: E402
from draftbot.engines.usage import normalise_usage  # noqa: E402
from draftbot.facts import load_facts  # noqa: E402
from draftbot.plans import resolve_plan  # noqa: E402
from draftbot.prompting import build_prompts, naive_messages  # noqa: E402
from draftbot.samples import load_samples  # noqa: E402
from draftbot.tokens import count_message_tokens  # noqa: E402
from fake_openai import FakeOpenAI, Reply  # noqa: E402


# Answers are slices of the built-in samples' text: real prose, not one sentence repeated (the
# engine rejects an answer that mostly repeats itself).
def filler_text(samples) -> str:
    from draftbot.prompting import sample_text

    return "".join("".join(sample_text(s).split()) for s in samples)


def answer_lengths(requests, scale: float) -> dict[str, int]:
    """Section id -> answer length in characters (middle of the plan's target range)."""
    return {r.section.id: max(20, int(sum(r.section.length) / 2 * scale)) for r in requests}


def make_responder(prompts, lengths, ttft: float, filler: str):
    by_tail = {tail["content"]: sid for sid, tail in prompts.tails.items()}
    offsets = {sid: index * 1000 for index, sid in enumerate(prompts.tails)}

    def respond(body: dict) -> str:
        sid = by_tail.get(body["messages"][-1]["content"], "")
        n, start = lengths.get(sid, 40), offsets.get(sid, 0)
        return Reply(content=filler[start : start + n], delay=ttft)

    return respond


def run_draft(inputs, prompts, lengths, args, concurrency: int, warm: bool = True) -> dict:
    facts, plan, samples = inputs
    with FakeOpenAI(
        responder=make_responder(prompts, lengths, args.ttft, filler_text(samples)),
        chunks_per_second=args.rate,
        chunk_chars=args.chunk_chars,
        usage_shape="deepseek",
        prefix_cache=True,
    ) as srv:
        cfg = resolve_config({"base_url": srv.base_url, "model": "bench"}, cwd=REPO / "bench", environ={})
        cfg.concurrency = concurrency
        engine = LLMEngine(cfg, warm_prefix=warm)
        spans: dict[str, list[float]] = {}  # section id -> [first start, end], from the engine's events

        def timing(event) -> None:
            if event.kind in ("started", "finished", "failed"):
                spans.setdefault(event.section_id, [event.at, event.at])[1] = event.at

        start = time.perf_counter()
        draft, _, _ = compose_draft(facts, plan, samples, engine, on_event=timing)
        wall = time.perf_counter() - start
        assert srv.max_in_flight <= concurrency
    durations = [end - begin for begin, end in spans.values()]
    totals = engine.totals()
    return {
        "label": ("sequential" if concurrency == 1 else f"concurrency {concurrency}")
        + ("" if warm else ", no warm-up"),
        "concurrency": concurrency,
        "warm_prefix": warm,
        "cached_share_of_input": totals.cached / totals.input,
        "wall_s": wall,
        "slowest_section_s": max(durations),
        "sum_sections_s": sum(durations),
        "wall_over_slowest": wall / max(durations),
        "wall_over_sequential_sum": wall / sum(durations),
        "max_in_flight": srv.max_in_flight,
    }


def design_tokens(message_sets: list[list[dict]]) -> dict:
    """Send each request once, in order, to a server with a simulated prefix cache."""
    import openai

    with FakeOpenAI(default="好", usage_shape="deepseek", prefix_cache=True) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="bench", max_retries=0)
        for messages in message_sets:
            client.chat.completions.create(model="bench", messages=messages)
        usages = [normalise_usage(r.usage) for r in srv.chat_requests]
    prices = presets()["deepseek"]["prices"]
    inp = sum(u["input"] for u in usages)
    cached = sum(u["cached"] for u in usages)
    cost = ((inp - cached) * prices["input"] + cached * prices["cached"]) / 1e6
    return {
        "input_tokens": inp,
        "cached_tokens": cached,
        "uncached_tokens": inp - cached,
        "input_cost_cny": cost,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=40.0, help="chunks per second per stream")
    parser.add_argument("--chunk-chars", type=int, default=4, help="characters per streamed chunk")
    parser.add_argument(
        "--scale", type=float, default=0.5, help="answer length as a share of the target midpoint"
    )
    parser.add_argument("--concurrency", type=int, default=4, help="the default concurrency to measure")
    parser.add_argument("--ttft", type=float, default=0.5, help="seconds before the first chunk (prefill)")
    parser.add_argument("--context-tokens", type=int, default=128000)
    args = parser.parse_args()

    facts = load_facts(REPO / "examples" / "facts.md")
    plan = resolve_plan(None, facts)
    samples = load_samples()
    requests = build_requests(facts, plan, samples)
    prompts = build_prompts(requests, context_tokens=args.context_tokens)
    lengths = answer_lengths(requests, args.scale)
    import_start = time.perf_counter()
    import langchain_openai  # noqa: F401 - paid once per process; timed apart from the runs

    import_s = time.perf_counter() - import_start

    plan_runs = [(args.concurrency, True), (args.concurrency, False), (len(requests), True), (1, True)]
    runs = [run_draft((facts, plan, samples), prompts, lengths, args, c, warm) for c, warm in plan_runs]

    shared_sets = [prompts.messages(r.section.id) for r in requests]
    total = sum(count_message_tokens(m) for m in shared_sets)
    prefix_share = prompts.prefix_tokens() * len(requests) / total
    shared = design_tokens(shared_sets)
    naive = design_tokens([naive_messages(r, prompts) for r in requests])

    body = len(plan.sections)
    print(f"LLM bench: {len(requests)} calls ({body} sections + opening + closing), "
          f"{args.rate:g} chunks/s x {args.chunk_chars} chars, answers {sum(lengths.values())} chars")  # fmt: skip
    print(
        f"{'run':<30}{'wall s':>8}{'slowest s':>11}{'seq sum s':>11}{'wall/slowest':>14}{'wall/seq':>10}{'cached':>8}"
    )
    for run in runs:
        print(
            f"{run['label']:<30}{run['wall_s']:>8.2f}{run['slowest_section_s']:>11.2f}{run['sum_sections_s']:>11.2f}"
            f"{run['wall_over_slowest']:>14.2f}{run['wall_over_sequential_sum']:>10.2f}"
            f"{run['cached_share_of_input']:>8.0%}"
        )
    print(f"(langchain/openai import, once per process, not in the runs: {import_s:.2f} s)")
    print(f"\nshared prefix share of input tokens (cl100k): {prefix_share:.1%}  (goal >= 90%)")
    print(f"\n{'tokens per draft':<28}{'shared prefix':>15}{'naive':>12}")
    for key in ("input_tokens", "cached_tokens", "uncached_tokens"):
        print(f"{key:<28}{shared[key]:>15,}{naive[key]:>12,}")
    print(
        f"{'input cost, deepseek (CNY)':<28}{shared['input_cost_cny']:>15.4f}{naive['input_cost_cny']:>12.4f}"
    )

    command = (
        f"python bench/bench_llm.py --rate {args.rate:g} --chunk-chars {args.chunk_chars} --ttft {args.ttft:g} "
        f"--scale {args.scale:g} --concurrency {args.concurrency} --context-tokens {args.context_tokens}"
    )
    result = {
        "benchmark": "LLM engine, 7-section draft (9 calls) against tests/fake_openai.py at a fixed decode rate",
        "command": command,
        "calls": len(requests),
        "answer_chars": lengths,
        "runs": runs,
        "import_langchain_s": import_s,
        "goal_wall_over_slowest": 1.15,
        "prefix_share_of_input_tokens": prefix_share,
        "goal_prefix_share": 0.90,
        "tokens_per_draft": {"shared_prefix": shared, "naive": naive},
        "uncached_ratio_naive_over_shared": naive["uncached_tokens"] / max(1, shared["uncached_tokens"]),
        "note": "token counts are cl100k (upper bounds for DeepSeek/Qwen); cache hits simulated by the test server",
    }
    write_results("llm", result)


if __name__ == "__main__":
    main()
