"""Cold `draftbot write` (offline engine) on examples/facts.md against `python -c pass`.

Both commands run interleaved in one session, so machine noise hits them alike; the table shows
medians and the ratio. Usage: python bench/bench_write.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "write.json"


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "facts.md").write_bytes((REPO / "examples" / "facts.md").read_bytes())
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "draftbot write (offline)": [sys.executable, "-m", "draftbot", "write", "facts.md", "--force"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm the file cache once
            timed(cmd, env, work)
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(timed(cmd, env, work))
    medians = {name: statistics.median(values) for name, values in times.items()}
    baseline = medians["python -c pass"]
    print(f"{'command':<28}{'median s':>10}{'min s':>10}{'× baseline':>12}")
    for name, values in times.items():
        print(f"{name:<28}{medians[name]:>10.3f}{min(values):>10.3f}{medians[name] / baseline:>12.1f}")
    result = {
        "benchmark": "cold draftbot write (offline) vs python -c pass",
        "command": f"python bench/bench_write.py --runs {args.runs}",
        "runs": args.runs,
        "median_seconds": medians,
        "ratio_write_over_baseline": medians["draftbot write (offline)"] / baseline,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
