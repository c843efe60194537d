"""`draftbot check` on real reports: which reviewer-verdicted findings it keeps, and how many errors.

Checks every real report in ../shared/real-reports/ and the five samples in ../shared/seeds/ as
documents (their plan and --period from the folder's README table, no facts file), and compares the
error-level findings with the reviewer's verdicts in verdicts.tsv (matched by file + rule + key):
T = a change is certainly required (should stay an error), F = false alarm (must not come back as an
error), D = debatable, N = not applicable. Error findings without a verdict are listed as new.

Usage: python bench/bench_real.py [--shared DIR] [--verbose]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=None, help="the shared folder (default: found beside the repo)")
    parser.add_argument("--verbose", action="store_true", help="also list the warnings")
    args = parser.parse_args()
    shared = args.shared or find_shared(REPO)
    if shared is None or not (shared / "real-reports" / "verdicts.tsv").exists():
        sys.exit("shared/real-reports not found beside the repository (use --shared DIR)")
    folder = shared / "real-reports"
    verdicts = read_verdicts(folder)
    results = [check_one(p, plan, period, verdicts) for p, plan, period in resolve_files(shared, read_table(folder))]
    summary = totals(results)
    show(results, summary, args.verbose)
    command = "python bench/bench_real.py" + (f" --shared {args.shared}" if args.shared else "")
    write_results("real", {
        "benchmark": "draftbot check on the real reports and samples of ../shared (own plan and year, no facts) "
                     "against the reviewer's verdicts",
        "command": command,
        "totals": summary,
        "reports": results,
    })


if __name__ == "__main__":
    main()
