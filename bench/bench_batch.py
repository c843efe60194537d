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

With --similarity: the 千人一面 check (checks.similarity) alone, on 100 to 500 drafted reports of
different people (5 sections, ~20 paragraphs each: the plan's standard sentences, the person's own
work with their figures, and ~3% planted near-copies of another person's paragraph, 0-3 characters
changed). Timed: reading the drafts and the check. Up to --all-pairs-max reports, the former
compare-every-pair check runs too (same pairs required). Goal: 500 reports under 10 s.

Usage: python bench/bench_batch.py [--reports 20] [--concurrency 8] [--rate 40] [--chunk-chars 4]
                                   [--answer-chars 80] [--ttft 0.2] [--context-tokens 128000]
       python bench/bench_batch.py --similarity [--sizes 100 200 300 400 500] [--all-pairs-max 100]
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


# -- 千人一面 growth -------------------------------------------------------------------------------

SIMILARITY_GOAL_S = 10.0  # 500 reports
TASKS = ("走访农户", "调处矛盾纠纷", "服务重点企业", "排查安全隐患", "督办重点项目", "推进乡村振兴", "整治人居环境",
         "化解信访积案", "发展集体经济", "开展志愿服务", "推进网格治理", "保护耕地资源", "落实河长制", "防汛抗旱",
         "招商引资", "优化营商环境", "建设便民服务站", "培训基层干部", "推进垃圾分类", "改造老旧小区")
DEEDS = ("现场解决群众反映的问题", "协调落实扶持资金", "推动建成示范点", "帮助企业解决用工难题", "整改各类隐患",
         "新建改建道路", "发放宣传资料", "组织专题培训", "开展联合执法", "办结民生实事")
WAYS = ("坚持问题导向", "建立工作台账", "实行挂图作战", "落实包保责任", "推行一线工作法", "强化部门联动",
        "健全长效机制", "做到周调度月通报", "坚持清单化管理", "实行销号管理")
NAME_CHARS = ("安宝北长城春大德东丰福广海河和华惠吉佳建江金锦康乐利林龙民明南宁平清庆荣瑞山胜石顺泰天田通同旺文"
              "西祥新兴秀阳永玉源远云泽振正中竹桂松柏梅兰湖溪桥岭坪塘湾港沙泉峰岗园庄营")
KINDS = {"village": ("村", "社区"), "project": ("产业园", "合作社", "示范基地", "提升工程", "服务中心", "安置小区"),
         "company": ("食品公司", "机械厂", "物流园", "电商中心", "茶业公司", "建材公司")}


def _lexicon(rng) -> dict[str, list[str]]:
    """One person's own names: their villages, projects and companies (what makes their facts theirs)."""
    def name() -> str:
        return "".join(rng.sample(NAME_CHARS, 2))

    return {kind: [name() + rng.choice(ends) for _ in range(4)] for kind, ends in KINDS.items()}


def _own_paragraph(rng, place: str, lexicon: dict[str, list[str]]) -> str:
    sentences = []
    for _ in range(rng.randint(2, 4)):
        village, project, company = (rng.choice(lexicon[k]) for k in ("village", "project", "company"))
        task, deed, way = rng.choice(TASKS), rng.choice(DEEDS), rng.choice(WAYS)
        sentences.append(rng.choice((
            f"{rng.choice(('全年', '上半年', '今年以来'))}在{village}{task}{rng.randint(3, 400)}次，{way}，{deed}{rng.randint(2, 90)}个。",
            f"围绕{project}建设，{way}，协调{company}投入资金{rng.randint(12, 980)}万元，带动{village}群众增收。",
            f"牵头{task}工作，{place}{village}、{rng.choice(lexicon['village'])}{deed}{rng.randint(2, 60)}个，"
            f"{rng.choice(('群众满意率', '完成率', '覆盖率'))}达到{rng.randint(80, 99)}.{rng.randint(0, 9)}%。",
            f"推动{company}与{project}签订合作协议，{deed}{rng.randint(2, 40)}个，新增就业岗位{rng.randint(10, 300)}个。",
        )))
    return "".join(sentences)


def _edited(rng, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(0, 3)):
        chars[rng.randrange(len(chars))] = rng.choice("的和在新好")
    return "".join(chars)


def similarity_drafts(reports: int, plan, seed: int = 7) -> list[str]:
    """Draft texts of `reports` different people: per section the plan's opening (standard wording
    every report shares) and four paragraphs of the person's own work (the genre's shared tasks and
    methods, with the person's own villages, projects, companies and figures); ~3% of paragraphs are
    near-copies of an earlier person's paragraph."""
    import random

    rng = random.Random(seed)
    numerals = "一二三四五六七八九十"
    written: list[str] = []
    drafts = []
    for index in range(reports):
        person = SURNAMES[index % 20] + GIVEN[(index * 3) % 20] + GIVEN[(index * 7 + index // 20) % 20] + str(index)
        place = "".join(rng.sample(NAME_CHARS, 2)) + ("镇", "街道", "乡")[index % 3]
        lexicon = _lexicon(rng)
        lines = [f"---\ntype: 述职报告\nauthor: {person}\n---\n", f"# {person}2026年度述职报告\n"]
        for number, section in enumerate(plan.sections[:5]):
            lines.append(f"{numerals[number]}、{section.heading}\n")
            lines.append(section.opening.replace("{intro}", "").replace("{leader}", "") + "\n")
            for _ in range(4):
                if written and rng.random() < 0.03:
                    text = _edited(rng, rng.choice(written))  # a near-copy of another person's paragraph
                else:
                    text = _own_paragraph(rng, place, lexicon)
                    written.append(text)
                lines.append(text + "\n")
        drafts.append("\n".join(lines))
    return drafts


def _all_pairs(paragraphs, threshold: float) -> list:
    """The former batch check: every paragraph against every later one (the reference)."""
    out = []
    for i, a in enumerate(paragraphs):
        for j in range(i + 1, len(paragraphs)):
            b = paragraphs[j]
            if a.report != b.report and a.person != b.person:
                score = len(a.grams & b.grams) / len(a.grams | b.grams)
                if score >= threshold:
                    out.append((i, j, score))
    return out


def similarity_growth(sizes: list[int], all_pairs_max: int) -> None:
    from draftbot.checks import similarity
    from draftbot.draft import load_draft
    from draftbot.plans import load_plan

    plan = load_plan("述职报告")
    rows = []
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix="draftbot-bench-similar-"))
        paths = []
        for index, text in enumerate(similarity_drafts(size, plan)):
            path = folder / f"{index:03d}.draft.md"
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        start, cpu = time.perf_counter(), time.process_time()
        reports = [similarity.Report(p.name, p.name, plan, load_draft(p)) for p in paths]
        found = similarity.cross_report_check(reports)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        standard = similarity.standard_sentences(plan)
        required = [p for s in plan.all_sections() for p in s.required]
        paragraphs = [p for i, r in enumerate(reports)
                      for p in similarity.report_paragraphs(r.draft, standard, required, i, r.person)]
        start = time.perf_counter()
        pairs = similarity.similar_pairs(paragraphs)
        pair_s = time.perf_counter() - start
        old_s = None
        if size <= all_pairs_max:
            start = time.perf_counter()
            old = _all_pairs(paragraphs, similarity.SIMILAR)
            old_s = time.perf_counter() - start
            assert old == pairs, f"{size} reports: the index found other pairs than comparing all pairs"
        rows.append({"reports": size, "paragraphs": len(paragraphs), "check_s": seconds, "check_cpu_s": cpu,
                     "pairs_s": pair_s,
                     "all_pairs_s": old_s, "similar_pairs": len(pairs), "findings": len(found)})
    print("千人一面 check (checks.similarity): reading the drafts + the check, one process")
    print(f"{'reports':>8}{'paragraphs':>12}{'check s':>10}{'cpu s':>8}{'pairs s':>10}{'all-pairs s':>13}"
          f"{'pairs':>8}{'findings':>10}")
    for r in rows:
        old = f"{r['all_pairs_s']:>13.2f}" if r["all_pairs_s"] is not None else f"{'-':>13}"
        print(f"{r['reports']:>8}{r['paragraphs']:>12}{r['check_s']:>10.2f}{r['check_cpu_s']:>8.2f}{r['pairs_s']:>10.2f}{old}"
              f"{r['similar_pairs']:>8}{r['findings']:>10}")
    largest = max(rows, key=lambda r: r["reports"])
    at_500 = next((r for r in rows if r["reports"] == 500), None)
    ok = None if at_500 is None else at_500["check_s"] < SIMILARITY_GOAL_S
    verdict = "not measured (no 500 in --sizes)" if ok is None else ("met" if ok else "NOT met")
    print(f"\ngoal: 500 reports under {SIMILARITY_GOAL_S:g} s: {verdict} "
          f"(largest: {largest['reports']} reports, {largest['check_s']:.2f} s)")
    write_results("batch-similarity", {
        "benchmark": "千人一面 cross-report check: growth from 100 to 500 reports of different people "
                     "(~20 paragraphs each, ~3% planted near-copies); all-pairs = the former O(n²) check",
        "command": "python bench/bench_batch.py --similarity --sizes " + " ".join(map(str, sizes))
                   + f" --all-pairs-max {all_pairs_max}",
        "goal_500_reports_s": SIMILARITY_GOAL_S,
        "goal_met": ok,
        "note": "check_s is wall time (reading 500 draft files included), check_cpu_s the process's CPU time; "
                "the machine's 2 cores were shared with other work while this ran",
        "rows": rows,
    })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--similarity", action="store_true", help="only the 千人一面 check's growth")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 300, 400, 500])
    parser.add_argument("--all-pairs-max", type=int, default=100, help="largest size also run the O(n²) way")
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=40.0, help="chunks per second per stream")
    parser.add_argument("--chunk-chars", type=int, default=4)
    parser.add_argument("--answer-chars", type=int, default=80)
    parser.add_argument("--ttft", type=float, default=0.2, help="seconds before the first chunk (prefill)")
    parser.add_argument("--context-tokens", type=int, default=128000)
    args = parser.parse_args()
    if args.similarity:
        similarity_growth(args.sizes, args.all_pairs_max)
        return

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
