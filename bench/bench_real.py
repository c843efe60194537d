"""`draftbot check` on real reports: which reviewer-verdicted findings it keeps, and how many errors.

Checks every real report in ../shared/real-reports/ and the five samples in ../shared/seeds/ as
documents (their plan and --period from the folder's README table, no facts file), and compares the
error-level findings with the reviewer's verdicts in verdicts.tsv (matched by file + rule + key):
T = a change is certainly required (should stay an error), F = false alarm (must not come back as an
error), D = debatable, N = not applicable. Error findings without a verdict are listed as new.

Also (issue 19): planted defects of every proofreading kind in texts of our own (bench/planted/cases.yaml,
each with a clean twin): recall per kind and overall, findings per clean text; findings per real report
at each level; cold `draftbot check` of a 5,000-character draft; 1 MB checked in process; the peak
memory the check allocates (tracemalloc) over the input size, from 100 KB to 8 MB.

Usage: python bench/bench_real.py [--shared DIR] [--verbose] [--no-speed]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchlib import REPO, find_shared, write_results

sys.path.insert(0, str(REPO / "src"))


def read_table(folder: Path) -> list[tuple[str, str, int]]:
    """(file stem, plan, period) rows of the README table of the real-reports folder."""
    rows = []
    for line in (folder / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[2].isdigit():
            continue
        for name in cells[0].replace("../seeds/", "").split(","):
            stem = name.strip().rstrip("…").strip().removesuffix(".txt")
            if stem:
                rows.append((stem, cells[1], int(cells[2])))
    return rows


def resolve_files(shared: Path, rows: list[tuple[str, str, int]]) -> list[tuple[Path, str, int]]:
    out = []
    for stem, plan, period in rows:
        for folder in (shared / "real-reports", shared / "seeds"):
            hits = sorted(folder.glob(f"{stem}*.txt"))
            if hits:
                out.append((hits[0], plan, period))
                break
    return out


def read_verdicts(folder: Path) -> list[dict]:
    lines = (folder / "verdicts.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:] if line.strip()]


def matches(verdict: dict, finding) -> bool:
    """A finding reports a verdicted one when the rule is the same and it names the same key."""
    key = verdict["key"].strip()
    text = finding.text.replace("\n", " ")
    return finding.rule == verdict["rule"] and bool(key) and (key in text or key in finding.message)


def check_one(path: Path, plan: str, period: int, verdicts: list[dict]) -> dict:
    from draftbot.checks.run import check_draft

    report = check_draft(path, plan=plan, period=period)
    errors = [f for f in report.findings if f.level == "error"]
    warnings = [f for f in report.findings if f.level == "warning"]
    mine = [v for v in verdicts if v["file"] == path.stem]
    rows, claimed = [], set()
    for v in mine:
        at_error = [i for i, f in enumerate(errors) if matches(v, f)]
        anywhere = [f for f in report.findings if matches(v, f)]
        claimed.update(at_error)
        level = "error" if at_error else (anywhere[0].level if anywhere else "-")
        rows.append({**v, "now": level})
    new = [f for i, f in enumerate(errors) if i not in claimed]
    return {
        "file": path.name,
        "real": path.parent.name == "real-reports",
        "plan": plan,
        "period": period,
        "errors": len(errors),
        "warnings": len(warnings),
        "infos": len(report.findings) - len(errors) - len(warnings),
        "notes": report.notes,
        "verdicts": rows,
        "new_errors": [{"rule": f.rule, "line": f.line, "text": f.text, "message": f.message} for f in new],
        "warning_list": [{"rule": f.rule, "line": f.line, "text": f.text, "message": f.message}
                         for f in warnings],
    }


def totals(results: list[dict]) -> dict:
    real = [r for r in results if r["real"]]
    verdicts = [v for r in results for v in r["verdicts"]]

    def count(verdict: str, level: str | None = None) -> int:
        return sum(1 for v in verdicts if v["verdict"] == verdict and (level is None or v["now"] == level))

    return {
        "errors_total": sum(r["errors"] for r in results),
        "errors_real_total": sum(r["errors"] for r in real),
        "errors_per_real_report": sum(r["errors"] for r in real) / max(1, len(real)),
        "warnings_total": sum(r["warnings"] for r in results),
        "T_kept_at_error": count("T", "error"),
        "T_total": count("T"),
        "F_at_error": count("F", "error"),
        "F_total": count("F"),
        "D_at_error": count("D", "error"),
        "D_total": count("D"),
        "new_errors": sum(len(r["new_errors"]) for r in results),
    }


def show(results: list[dict], summary: dict, verbose: bool) -> None:
    print(f"{'report':<34}{'plan':<10}{'year':>6}{'errors':>8}{'warn':>6}{'info':>6}  verdicted (now)")
    for r in results:
        marks = " ".join(f"{v['verdict']}:{v['now'][0]}" for v in r["verdicts"] if v["verdict"] != "N")
        print(f"{r['file'][:33]:<34}{r['plan']:<10}{r['period']:>6}{r['errors']:>8}{r['warnings']:>6}"
              f"{r['infos']:>6}  {marks}")
    print("\nverdict:level — e = still an error, w = warning, i = info, - = not reported")
    for r in results:
        bad = [v for v in r["verdicts"] if (v["verdict"] == "T") != (v["now"] == "error") and v["verdict"] in "TF"]
        for v in bad:
            print(f"  {r['file'][:20]} {v['verdict']} {v['rule']} “{v['key']}” now {v['now']}")
        for f in r["new_errors"]:
            print(f"  {r['file'][:20]} NEW error {f['rule']} L{f['line']} “{f['text'][:24]}” {f['message'][:90]}")
        if verbose:
            for f in r["warning_list"]:
                print(f"  {r['file'][:20]} warning {f['rule']} L{f['line']} “{f['text'][:20]}” {f['message'][:80]}")
    print()
    print(f"errors: {summary['errors_total']} in all, {summary['errors_real_total']} on real reports, "
          f"{summary['errors_per_real_report']:.2f} per real report; warnings {summary['warnings_total']}")
    print(f"T kept at error: {summary['T_kept_at_error']}/{summary['T_total']}; "
          f"F at error: {summary['F_at_error']}/{summary['F_total']}; "
          f"D at error: {summary['D_at_error']}/{summary['D_total']}; new error findings: {summary['new_errors']}")


# ------------------------------------------------------------------ planted defects (issue 19)

PLANTED = REPO / "bench" / "planted" / "cases.yaml"
PROOF_RULES = ("typo", "doubled-text", "unpaired-punctuation", "invisible-char", "halfwidth-punctuation",
               "mixed-digits", "garbled-formulation", "formulation-noncanonical", "formulation-dated",
               "figure-inconsistent")


# a garbled name that a substitution rule knows by name is reported as formulation-noncanonical instead
_COUNTS_AS = {"garbled-formulation": ("garbled-formulation", "formulation-noncanonical")}


def twins(text: str) -> tuple[str, str]:
    """(planted, clean) from a case text with [[wrong|right]] marks."""
    import re

    mark = re.compile(r"\[\[(.*?)\|(.*?)\]\]", re.S)
    decode = lambda s: s.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") if "\\u" in s else s  # noqa: E731
    return mark.sub(lambda m: decode(m.group(1)), text), mark.sub(lambda m: decode(m.group(2)), text)


def planted() -> dict:
    """Recall per kind (a finding of the case's rule in the planted text) and findings per clean twin."""
    import yaml

    from draftbot.checks.run import check_draft

    data = yaml.safe_load(PLANTED.read_text(encoding="utf-8"))
    period = data["period"]
    kinds: dict[str, dict] = {}
    missed, clean_findings = [], []
    for case in data["cases"]:
        bad, good = twins(case["text"])
        found = check_draft(bad + "\n", samples=[], period=period).findings
        clean = [f for f in check_draft(good + "\n", samples=[], period=period).findings if f.rule in PROOF_RULES]
        kind = kinds.setdefault(case["rule"], {"cases": 0, "found": 0, "clean_findings": 0})
        kind["cases"] += 1
        hit = any(f.rule in _COUNTS_AS.get(case["rule"], (case["rule"],)) for f in found)
        kind["found"] += hit
        kind["clean_findings"] += len(clean)
        if not hit:
            missed.append({"rule": case["rule"], "text": bad})
        clean_findings += [{"rule": f.rule, "text": f.text, "message": f.message, "in": good} for f in clean]
    for kind in kinds.values():
        kind["recall"] = kind["found"] / kind["cases"]
    cases = sum(k["cases"] for k in kinds.values())
    return {"cases": cases, "kinds": kinds, "recall": sum(k["found"] for k in kinds.values()) / cases,
            "clean_findings_per_text": len(clean_findings) / cases, "missed": missed,
            "clean_findings": clean_findings}


def show_planted(result: dict) -> None:
    print(f"\n{'planted kind':<28}{'cases':>6}{'found':>7}{'recall':>8}{'clean fp':>10}")
    for rule, k in sorted(result["kinds"].items()):
        print(f"{rule:<28}{k['cases']:>6}{k['found']:>7}{k['recall']:>8.2f}{k['clean_findings']:>10}")
    print(f"{'all':<28}{result['cases']:>6}{'':>7}{result['recall']:>8.2f}"
          f"{result['clean_findings_per_text']:>10.2f} per clean text")
    for m in result["missed"]:
        print(f"  missed {m['rule']}: {m['text'][:40]}")
    for f in result["clean_findings"]:
        print(f"  clean twin finding {f['rule']} “{f['text']}”: {f['in'][:40]}")


def levels_per_report(results: list[dict]) -> dict:
    real = [r for r in results if r["real"]]
    n = max(1, len(real))
    return {"reports": len(real), "errors_per_report": sum(r["errors"] for r in real) / n,
            "warnings_per_report": sum(r["warnings"] for r in real) / n,
            "infos_per_report": sum(r["infos"] for r in real) / n,
            "errors_and_warnings_per_report": sum(r["errors"] + r["warnings"] for r in real) / n}


# ------------------------------------------------------------------ speed and memory (issue 19)


def speed(runs: int = 15) -> dict:
    """Cold check of a 5,000-character draft (median, side by side with python -c pass) and 1 MB in process."""
    import os

    from bench_check import cold, in_process

    load_before = os.getloadavg()[0]  # the machine is shared: timings mean little without its load
    times, chars = cold(runs)
    medians = {name: sorted(v)[len(v) // 2] for name, v in times.items()}
    mb = in_process(1_000_000, "bytes")
    return {"cold_draft_chars": chars, "cold_runs": runs, "cold_median_s": medians,
            "in_process_1mb_s": mb["first_call_s"], "in_process_1mb_second_s": mb["second_call_s"],
            "load_average_1min": [load_before, os.getloadavg()[0]]}


_MEMORY_CHILD = """
import sys, tracemalloc
sys.path.insert(0, {src!r}); sys.path.insert(0, {bench!r})
from bench_check import repeated_draft, FACTS
from draftbot.checks.run import check_draft
text = repeated_draft({size})
check_draft(text[:20000], facts=FACTS, plan="述职报告", period=2026)  # imports and rule caches
tracemalloc.start()
check_draft(text, facts=FACTS, plan="述职报告", period=2026)
first = tracemalloc.get_traced_memory()[1]
tracemalloc.reset_peak()
check_draft(text, facts=FACTS, plan="述职报告", period=2026)
print(len(text.encode("utf-8")), first, tracemalloc.get_traced_memory()[1])
"""


def memory(sizes=(100_000, 500_000, 1_000_000, 2_000_000, 4_000_000, 8_000_000)) -> list[dict]:
    """Peak memory the check itself allocates (tracemalloc, the text excluded) over the input size: in a
    process that has checked this text once (rule regexes compiled, data caches filled), and on the first
    call (after a 20,000-character warm-up) for reference."""
    import subprocess

    out = []
    for size in sizes:
        code = _MEMORY_CHILD.format(src=str(REPO / "src"), bench=str(REPO / "bench"), size=size)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
        if proc.returncode:
            out.append({"target_bytes": size, "error": proc.stderr[-300:]})
            continue
        nbytes, first, peak = map(int, proc.stdout.split())
        out.append({"bytes": nbytes, "first_call_peak_bytes": first, "peak_alloc_bytes": peak,
                    "ratio": peak / nbytes, "first_call_ratio": first / nbytes})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=None, help="the shared folder (default: found beside the repo)")
    parser.add_argument("--verbose", action="store_true", help="also list the warnings")
    parser.add_argument("--no-speed", action="store_true", help="skip the timing and memory measurements")
    args = parser.parse_args()
    shared = args.shared or find_shared(REPO)
    if shared is None or not (shared / "real-reports" / "verdicts.tsv").exists():
        sys.exit("shared/real-reports not found beside the repository (use --shared DIR)")
    folder = shared / "real-reports"
    verdicts = read_verdicts(folder)
    results = [check_one(p, plan, period, verdicts) for p, plan, period in resolve_files(shared, read_table(folder))]
    summary = totals(results)
    show(results, summary, args.verbose)
    per_report = levels_per_report(results)
    print(f"real reports: {per_report['errors_per_report']:.2f} errors, {per_report['warnings_per_report']:.2f} "
          f"warnings, {per_report['infos_per_report']:.2f} notes per report; errors + warnings "
          f"{per_report['errors_and_warnings_per_report']:.2f} (goal <= 4)")
    seeded = planted()
    show_planted(seeded)
    timing, mem = ({}, []) if args.no_speed else (speed(), memory())
    if timing:
        print(f"\ncold check of {timing['cold_draft_chars']} chars: median {timing['cold_median_s']}; "
              f"1 MB in process {timing['in_process_1mb_s']:.2f} s (second call {timing['in_process_1mb_second_s']:.2f} s); "
              f"load average {timing['load_average_1min'][0]:.1f} -> {timing['load_average_1min'][1]:.1f}")
    for m in mem:
        if "ratio" in m:
            print(f"memory: {m['bytes'] / 1e6:.1f} MB input, check allocates at most {m['peak_alloc_bytes'] / 1e6:.1f} MB "
                  f"= {m['ratio']:.1f}x (goal <= 10x; first call {m['first_call_ratio']:.1f}x)")
        else:
            print(f"memory: {m['target_bytes']} bytes failed: {m['error']}")
    command = "python bench/bench_real.py" + (f" --shared {args.shared}" if args.shared else "") + (
        " --no-speed" if args.no_speed else "")
    write_results("real", {
        "benchmark": "draftbot check on the real reports and samples of ../shared (own plan and year, no facts) "
                     "against the reviewer's verdicts",
        "command": command,
        "totals": summary,
        "real_per_report": per_report,
        "planted": seeded,
        "speed": timing,
        "memory": mem,
        "reports": results,
    })


if __name__ == "__main__":
    main()
