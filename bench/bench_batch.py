"""`draftbot batch` on 20 reports x 9 calls against the loopback test server at a fixed decode rate.

Each report is a different person's facts file (述职报告 plan, built-in samples). The server waits
`--ttft` seconds (prefill), then streams every answer (`--answer-chars` characters) at a fixed
chunk rate; a prompt counts as cached once an earlier answer sharing its prefix has started.
Reported side by side, for concurrency 8 and sequentially (concurrency 1):

  * wall time, and the speed-up of concurrency 8 over sequential;
  * the most calls the server saw in flight (must equal the bound);
  * the share of input tokens the simulated provider cache served, overall and for the first
    call of each report after the first (what only sharing the samples prefix *across* reports
    can give: within a report nothing has been cached yet when its first call arrives).

The audit log is on (as in real use), in a temporary DRAFTBOT_HOME; repair rounds are off (drafting only).

Usage: python bench/bench_batch.py [--reports 20] [--concurrency 8] [--rate 40] [--chunk-chars 4]
                                   [--answer-chars 80] [--ttft 0.2] [--context-tokens 128000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from benchlib import REPO, write_results

sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]
os.environ["DRAFTBOT_HOME"] = tempfile.mkdtemp(prefix="draftbot-bench-home-")

from draftbot.batch import BatchOptions, find_facts_files, run_batch  # noqa: E402
from draftbot.engines.usage import normalise_usage  # noqa: E402
from fake_openai import FakeOpenAI, Reply  # noqa: E402

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许"
GIVEN = "建国志强海燕立新红梅国庆春华秋实文军晓明"
WORK = ("走访农户", "调处纠纷", "服务企业", "排查隐患", "督办项目")
FILLER = "坚持以习近平新时代中国特色社会主义思想为指导，一是抓学习；二是抓落实；三是抓成效。"


def facts_text(index: int) -> tuple[str, str]:
    author = SURNAMES[index % 20] + GIVEN[(index * 2) % 20] + GIVEN[(index * 2 + 1) % 20]
    unit = ("东山", "西河", "南湖", "北岭", "中和")[index % 5] + ("镇", "街道", "园区", "乡")[index % 4]
    work = WORK[index % 5]
    n = 37 + index * 11
    text = f"""---
type: 述职报告
author: {author}
unit: {unit}
period: 2026年
---

# 政治建设
- 参加{unit}党委理论学习中心组学习{n % 17 + 3}次，交流发言{n % 5 + 1}次

# 工作作风
- 全年{work}{n}次，现场解决问题{n // 3}个

# 履职成效
- 完成{work}专项任务{n % 13 + 2}项，群众满意率{80 + n % 19}%

# 廉洁自律
- 严格执行中央八项规定及其实施细则精神

# 存在不足
- 调查研究不够深入，{work}的办法还不多

# 明年打算
- 力争{work}工作再上新台阶，完成任务{n % 7 + 10}项
"""
    return author, text


def make_folder(root: Path, reports: int) -> dict[str, str]:
    root.mkdir(parents=True, exist_ok=True)
    people = {}
    for index in range(reports):
        author, text = facts_text(index)
        (root / f"{index:02d}-{author}.md").write_text(text, encoding="utf-8")
        people[author] = f"{index:02d}-{author}.md"
    return people


def run(args, concurrency: int, people: dict[str, str]) -> dict:
    answer = (FILLER * (args.answer_chars // len(FILLER) + 1))[: args.answer_chars]
    folder = Path(tempfile.mkdtemp(prefix="draftbot-bench-batch-"))
    make_folder(folder, args.reports)
    with FakeOpenAI(
        default=Reply(content=answer, delay=args.ttft),
        chunks_per_second=args.rate,
        chunk_chars=args.chunk_chars,
        usage_shape="deepseek",
        prefix_cache=True,
    ) as srv:
        os.environ["OPENAI_API_KEY"] = "sk-bench"
        flags = {
            "base_url": srv.base_url, "model": "bench", "concurrency": concurrency,
            "context_tokens": args.context_tokens,
        }  # fmt: skip
        opts = BatchOptions(engine="llm", flags=flags, concurrency=concurrency, extra={"repair": 0})
        start = time.perf_counter()
        result = run_batch(find_facts_files(folder), opts)
        wall = time.perf_counter() - start
        requests = list(srv.chat_requests)
        max_in_flight = srv.max_in_flight
    assert not result.failed, [r.error for r in result.failed]
    usages = [normalise_usage(r.usage) for r in requests]
    inp = sum(u["input"] for u in usages)
    cached = sum(u["cached"] for u in usages)
    firsts = _first_calls(requests, people)
    later_firsts = [normalise_usage(r.usage) for r in firsts[1:]]
    first_share = sum(u["cached"] for u in later_firsts) / max(1, sum(u["input"] for u in later_firsts))
    return {
        "concurrency": concurrency,
        "reports": args.reports,
        "calls": len(requests),
        "wall_s": wall,
        "max_in_flight": max_in_flight,
        "input_tokens": inp,
        "cached_tokens": cached,
        "cached_share_of_input": cached / inp,
        "first_call_cached_share_across_reports": first_share,
    }


def _first_calls(requests, people: dict[str, str]) -> list:
    """Each report's first request, in order of arrival."""
    first: dict[str, object] = {}
    for rec in sorted(requests, key=lambda r: r.received):
        context = rec.messages[1]["content"] if len(rec.messages) > 1 else ""
        who = next((p for p in people if p in context), None)
        if who is not None and who not in first:
            first[who] = rec
    return list(first.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=40.0, help="chunks per second per stream")
    parser.add_argument("--chunk-chars", type=int, default=4)
    parser.add_argument("--answer-chars", type=int, default=80)
    parser.add_argument("--ttft", type=float, default=0.2, help="seconds before the first chunk (prefill)")
    parser.add_argument("--context-tokens", type=int, default=128000)
    args = parser.parse_args()

    people = {facts_text(i)[0]: "" for i in range(args.reports)}
    import langchain_openai  # noqa: F401 - paid once per process, not inside the runs

    runs = [run(args, args.concurrency, people), run(args, 1, people)]
    fast, slow = runs
    print(f"batch bench: {args.reports} reports x 9 calls, {args.rate:g} chunks/s x {args.chunk_chars} chars, "
          f"answers {args.answer_chars} chars, ttft {args.ttft:g} s")  # fmt: skip
    print(f"{'run':<16}{'wall s':>9}{'calls':>7}{'max in flight':>15}{'cached share':>14}{'1st call cached':>17}")
    for r in runs:
        label = "sequential" if r["concurrency"] == 1 else f"concurrency {r['concurrency']}"
        print(
            f"{label:<16}{r['wall_s']:>9.2f}{r['calls']:>7}{r['max_in_flight']:>15}"
            f"{r['cached_share_of_input']:>14.1%}{r['first_call_cached_share_across_reports']:>17.1%}"
        )
    speedup = slow["wall_s"] / fast["wall_s"]
    print(f"\nspeed-up of concurrency {args.concurrency} over sequential: {speedup:.2f}x")

    command = (
        f"python bench/bench_batch.py --reports {args.reports} --concurrency {args.concurrency} --rate {args.rate:g} "
        f"--chunk-chars {args.chunk_chars} --answer-chars {args.answer_chars} --ttft {args.ttft:g} "
        f"--context-tokens {args.context_tokens}"
    )
    write_results("batch", {
        "benchmark": "draftbot batch, reports x 9 calls against tests/fake_openai.py at a fixed decode rate",
        "command": command,
        "runs": runs,
        "speedup_concurrent_over_sequential": speedup,
        "note": "cache hits simulated by the test server (a prefix counts once an answer sharing it has "
                "started); token counts are cl100k; the audit log was on (temporary DRAFTBOT_HOME)",
    })  # fmt: skip


if __name__ == "__main__":
    main()
