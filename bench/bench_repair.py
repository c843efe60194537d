"""A repair run against the loopback test server: 7 sections, 2 of them flawed on the first answer.

The example facts with the 述职报告 plan give 9 model calls (7 sections plus opening and closing).
The scripted model answers every section as the offline engine writes it, except sections 三 and
五, whose first answers carry figures the facts do not have (figure-ungrounded, errors): 三 one,
fixed by its first rewrite; 五 two, of which the first rewrite fixes one and the second the other,
so the repair takes two rounds and shows whether a later round costs more than the first. The server simulates a provider's prefix cache (a prompt
counts as cached once an earlier answer with the same prefix has started) and reports usage the
DeepSeek way. Reported: requests and rounds, input tokens per request and in total for the repair
round against the first write, and the cached share of each.

Usage: python bench/bench_repair.py [--rounds 2] [--context-tokens 128000]
"""

from __future__ import annotations

import argparse
import sys

from benchlib import REPO, write_results

sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]

from draftbot.compose import compose_draft  # noqa: E402
from draftbot.config import resolve_config  # noqa: E402
from draftbot.engines.llm import LLMEngine  # noqa: E402
from draftbot.engines.offline import OfflineEngine  # noqa: E402
from draftbot.facts import load_facts  # noqa: E402
from draftbot.headings import chinese_number  # noqa: E402
from draftbot.plans import resolve_plan  # noqa: E402
from draftbot.repair import repair, report_lines  # noqa: E402
from draftbot.rewrite import Sources, make_checker  # noqa: E402
from draftbot.samples import load_samples  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402

FLAWS = {"diligence": [("136家次", "163家次")], "integrity": [("16人次", "61人次"), ("警示教育片2次", "警示教育片6次")]}


def good_bodies(sources: Sources) -> dict[str, str]:
    """Section id -> a correct answer (the offline engine's text)."""
    _, _, results = compose_draft(sources.facts, sources.plan, sources.samples, OfflineEngine())
    return {r.section_id: r.body for r in results}


def make_responder(sources: Sources, bodies: dict[str, str]):
    tasks = {}
    for number, section in enumerate(sources.plan.sections, start=1):
        tasks[f"请起草第{chinese_number(number)}部分"] = section.id
    tasks["请起草报告的开头段"] = sources.plan.opening.id
    tasks["请起草报告的结尾段"] = sources.plan.closing.id

    rewrites: dict[str, int] = {}

    def respond(body: dict) -> str:
        tail = body["messages"][-1]["content"]
        sid = next(s for prefix, s in tasks.items() if tail.startswith(prefix))
        text = bodies[sid]
        if "这次是重写" in tail:
            rewrites[sid] = rewrites.get(sid, 0) + 1
        for old, new in FLAWS.get(sid, [])[rewrites.get(sid, 0) :]:  # each rewrite fixes one more
            assert old in text, old
            text = text.replace(old, new)
        return text

    return respond


def by_round(records) -> list[list]:
    """Repair requests grouped by round: a section's n-th rewrite request belongs to round n."""
    seen: dict[str, int] = {}
    rounds: list[list] = []
    for record in records:
        task = record.last_content.split("\n", 1)[0]
        seen[task] = seen.get(task, 0) + 1
        while len(rounds) < seen[task]:
            rounds.append([])
        rounds[seen[task] - 1].append(record)
    return rounds


def usage_of(records) -> dict:
    inp = sum(r.usage["prompt_tokens"] for r in records)
    cached = sum(r.usage.get("prompt_cache_hit_tokens", 0) for r in records)
    return {
        "requests": len(records),
        "input_tokens": inp,
        "input_tokens_per_request": inp / max(1, len(records)),
        "cached_tokens": cached,
        "cached_share": cached / inp if inp else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="repair rounds allowed")
    parser.add_argument("--context-tokens", type=int, default=128000)
    args = parser.parse_args()

    facts = load_facts(REPO / "examples" / "facts.md")
    sources = Sources(facts, resolve_plan(None, facts), load_samples())
    bodies = good_bodies(sources)
    check = make_checker(sources)
    with FakeOpenAI(responder=make_responder(sources, bodies), usage_shape="deepseek", prefix_cache=True) as srv:
        cfg = resolve_config({"base_url": srv.base_url, "model": "bench"}, cwd=REPO / "bench", environ={})
        cfg.context_tokens = args.context_tokens
        engine = LLMEngine(cfg, retries=0)
        draft, _, _ = compose_draft(sources.facts, sources.plan, sources.samples, engine)
        first_records = list(srv.chat_requests)
        text = draft.render()
        errors_before = sum(1 for f in check(text) if f.level == "error")
        result = repair(text, check=check, engine=engine, sources=sources, rounds=args.rounds)
        repair_records = srv.chat_requests[len(first_records) :]
    first, rounds = usage_of(first_records), usage_of(repair_records)
    per_round = [usage_of(r) for r in by_round(repair_records)]
    errors_after = sum(1 for f in result.after if f.level == "error")

    print(f"Repair bench: {len(first_records)} calls for the first write, sections 三 and 五 flawed")
    print(f"{'':<28}{'requests':>10}{'input tok':>12}{'per request':>13}{'cached':>9}")
    rows = [("first write", first), *((f"repair round {i}", u) for i, u in enumerate(per_round, 1))]
    rows.append((f"repair, all {result.rounds} rounds", rounds))
    for label, u in rows:
        print(
            f"{label:<28}{u['requests']:>10}{u['input_tokens']:>12,}{u['input_tokens_per_request']:>13,.0f}"
            f"{u['cached_share']:>9.0%}"
        )
    ratio = rounds["input_tokens"] / first["input_tokens"]
    print(f"\nrepair input / first write input: {ratio:.1%}; errors {errors_before} -> {errors_after}")
    print("\n".join(report_lines(result)))

    result_json = {
        "benchmark": "repair run: 7-section draft (9 calls), 2 sections flawed on the first answer, "
        "against tests/fake_openai.py with a simulated prefix cache",
        "command": f"python bench/bench_repair.py --rounds {args.rounds} --context-tokens {args.context_tokens}",
        "first_write": first,
        "repair": {**rounds, "rounds": result.rounds, "stopped": result.stopped},
        "repair_rounds": per_round,
        "repair_over_first_write_input": ratio,
        "errors_before": errors_before,
        "errors_after": errors_after,
        "note": "token counts are cl100k; cache hits simulated by the test server",
    }
    write_results("repair", result_json)




if __name__ == "__main__":
    main()
