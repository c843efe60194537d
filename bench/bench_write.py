"""Cold `draftbot write` (offline engine) on examples/facts.md against `python -c pass`.

Usage: python bench/bench_write.py [--runs N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchlib import BASELINE, REPO, draftbot, print_table, side_by_side, write_results

WRITE = "draftbot write (offline, with check)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "facts.md").write_bytes((REPO / "examples" / "facts.md").read_bytes())
        commands = {
            WRITE: draftbot("write", "facts.md", "--force", "--engine", "offline"),
            "draftbot --help": draftbot("--help"),
        }
        times = side_by_side(commands, args.runs, work)
    medians = print_table(times)
    write_results(
        "write",
        {
            "benchmark": "cold draftbot write (offline) and --help vs python -c pass",
            "command": f"python bench/bench_write.py --runs {args.runs}",
            "runs": args.runs,
            "median_seconds": medians,
            "ratio_write_over_baseline": medians[WRITE] / medians[BASELINE],
            "ratio_help_over_baseline": medians["draftbot --help"] / medians[BASELINE],
        },
    )


if __name__ == "__main__":
    main()
