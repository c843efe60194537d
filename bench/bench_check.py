"""`draftbot check` speed.

1. Cold `draftbot check` on a 5,000-character draft, `python -c pass` interleaved for reference
   (goal: the start-up budget, median <= 0.25 s; bench_startup.py compares trees side by side).
2. Checking 1 MB of draft text in-process with facts, plan, samples and period (goal: <= 2 s):
   a 1 MB UTF-8 file (about 350,000 Chinese characters), and for reference 1,000,000 characters.
3. Huge drafts (8 MB and 72 MB files) through the real command: wall time and peak memory (goals:
   peak RSS of the largest under 10x its size (at 8 MB the ~45 MB of the program itself still
   dominates); time per MB at 72 MB at most 1.5x that at 8 MB, i.e. linear).

Usage: python bench/bench_check.py [--runs N] [--huge-mb 8 72]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

from benchlib import BASELINE, REPO, cli_env, draftbot, print_table, side_by_side, write_results

CHECK = "draftbot check (5,000 chars)"
CLEAN = REPO / "tests" / "fixtures" / "check_clean" / "述职报告.md"
FACTS = REPO / "examples" / "facts.md"
GOALS = {"cold_median_s": 0.25, "mb_in_process_s": 2.0, "huge_rss_over_size": 10.0,
         "huge_time_per_mb_growth": 1.5}


def sized_draft(target_chars: int) -> str:
    """The clean example draft, its fourth section's paragraphs repeated until the text is long enough."""
    text = CLEAN.read_text(encoding="utf-8")
    head, rest = text.split("五、", 1)
    paragraphs = [p for p in head.split("四、", 1)[1].split("\n") if p.startswith("（")]
    extra, i = [], 0
    while len(text) + sum(len(p) + 2 for p in extra) < target_chars:
        extra.append(paragraphs[i % len(paragraphs)])
        i += 1
    return head + "\n\n".join(extra) + "\n\n五、" + rest


def repeated_draft(target_bytes: int) -> str:
    """The clean example draft with its fourth section's paragraphs repeated up to `target_bytes`
    (built in linear time, for the huge sizes)."""
    base = sized_draft(20_000)
    head, rest = base.split("五、", 1)
    block = "\n\n".join(p for p in head.split("四、", 1)[1].split("\n") if p.startswith("（")) + "\n\n"
    return head + block * max(1, target_bytes // len(block.encode("utf-8"))) + "五、" + rest


def huge(megabytes: float) -> dict:
    """`draftbot check` on a file of that size, in a child process: wall time and peak RSS (wait4)."""
    import os
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "huge.md"
        path.write_text(repeated_draft(int(megabytes * 1e6)), encoding="utf-8")
        size = path.stat().st_size
        cmd = draftbot("check", str(path), "--facts", str(FACTS), "--plan", "述职报告", "--format", "line")
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cli_env())
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
    return {"file_mb": size / 1e6, "seconds": seconds, "peak_rss_mb": rss_mb, "exit": os.waitstatus_to_exitcode(status),
            "rss_over_size": rss_mb / (size / 1e6), "seconds_per_mb": seconds / (size / 1e6)}


def cold(runs: int) -> tuple[dict[str, list[float]], int]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        draft = sized_draft(5000)
        (work / "draft.md").write_text(draft, encoding="utf-8")
        check = draftbot("check", "draft.md", "--facts", str(FACTS), "--plan", "述职报告", "--format", "line")
        times = side_by_side({CHECK: check}, runs, work)
    return times, len(draft)


def in_process(target: int = 1_000_000, unit: str = "bytes") -> dict:
    sys.path.insert(0, str(REPO / "src"))
    from draftbot.checks.run import check_draft

    text = sized_draft(target)
    while unit == "bytes" and len(text.encode("utf-8")) > target:  # trim to the byte budget
        text = sized_draft(len(text) - (len(text.encode("utf-8")) - target) // 3 - 50)
    start = time.perf_counter()
    first = check_draft(text, facts=FACTS, plan="述职报告", period=2026)
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    again = check_draft(text, facts=FACTS, plan="述职报告", period=2026)
    again_s = time.perf_counter() - start
    assert len(first.findings) == len(again.findings)
    return {
        "chars": len(text),
        "bytes_utf8": len(text.encode("utf-8")),
        "first_call_s": first_s,
        "second_call_s": again_s,
        "findings": len(first.findings),
        "cjk_chars": len(re.findall(r"[\u4e00-\u9fff]", text)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--huge-mb", type=float, nargs="*", default=[8, 72])
    args = parser.parse_args()
    times, draft_chars = cold(args.runs)
    medians = print_table(times)
    check_name = CHECK
    ratio = medians[check_name] / medians[BASELINE]
    big = in_process(1_000_000, "bytes")
    chars = in_process(1_000_000, "chars")
    print()
    for label, r in (("1 MB file", big), ("1M chars", chars)):
        print(
            f"in-process check, {label}: {r['bytes_utf8'] / 1e6:.2f} MB, {r['chars']:,} chars: "
            f"first call {r['first_call_s']:.2f} s, second call {r['second_call_s']:.2f} s, "
            f"{r['findings']} findings"
        )
    huge_runs = [huge(mb) for mb in args.huge_mb]
    for r in huge_runs:
        print(
            f"draftbot check, {r['file_mb']:.1f} MB file: {r['seconds']:.1f} s ({r['seconds_per_mb']:.2f} s/MB), "
            f"peak RSS {r['peak_rss_mb']:.0f} MB = {r['rss_over_size']:.1f}x the file, exit {r['exit']}"
        )
    met = {
        "cold_median": medians[check_name] <= GOALS["cold_median_s"],
        "mb_in_process": big["first_call_s"] <= GOALS["mb_in_process_s"],
    }
    if huge_runs:
        met["huge_rss"] = huge_runs[-1]["rss_over_size"] <= GOALS["huge_rss_over_size"]
        growth = huge_runs[-1]["seconds_per_mb"] / huge_runs[0]["seconds_per_mb"]
        met["huge_linear"] = growth <= GOALS["huge_time_per_mb_growth"]
    print("goals:", ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in met.items()))
    result = {
        "benchmark": "cold draftbot check on a 5,000-char draft (python -c pass for reference); 1 MB checked in-process",
        "command": f"python bench/bench_check.py --runs {args.runs} --huge-mb "
        + " ".join(f"{mb:g}" for mb in args.huge_mb),
        "runs": args.runs,
        "draft_chars": draft_chars,
        "median_seconds": medians,
        "min_seconds": {name: min(values) for name, values in times.items()},
        "ratio_check_over_baseline": ratio,
        "in_process_1mb": big,
        "in_process_1m_chars": chars,
        "huge_files": huge_runs,
        "goals": GOALS,
        "goals_met": met,
    }
    write_results("check", result)


if __name__ == "__main__":
    main()
