"""Start-up budget: a cold `draftbot check` of a 5,000-character draft and `draftbot --help`.

Budget (issue 17), on this machine, medians of >= 15 whole-process runs:
  check <= 0.25 s, --help <= 0.2 s.
Each run is a new Python process, as a user runs the command; bytecode and the data cache were
written by one warm-up run first (as after the first use of an installed package).

Trees measured side by side, runs interleaved so that machine noise hits them alike:
  current   this checkout, or the tree at --tree REV
  base      with --base REV: the tree at REV (git archive), for the ratio current / base
  nocache   with --nocache: the current tree with the data cache (datacache.parsed) switched off
Absolute wall-clock medians are the measure; a ratio between trees says what a change did. The
machine is shared: the load average is recorded, and each run's CPU time (user + system) is shown
beside its wall time, since waiting for a busy CPU inflates the wall time but not the CPU time.

Usage: python bench/bench_startup.py [--runs N] [--tree REV] [--base REV] [--nocache] [--name NAME]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench_check import FACTS, sized_draft
from benchlib import REPO, write_results

BUDGET = {"check": 0.25, "--help": 0.2}
NO_CACHE = '''

def parsed(kind, name, text, parse):  # bench: the data cache switched off
    return parse(text)
'''


def tree_at(rev: str, into: Path, name: str) -> Path:
    """The source tree at `rev`, extracted into a folder of its own (the checkout is not touched)."""
    archive = into / f"{name}.tar"
    subprocess.run(["git", "archive", "-o", str(archive), rev], cwd=REPO, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / name, filter="data")
    return into / name


def without_data_cache(source: Path, into: Path) -> Path:
    tree = into / "nocache"
    for name in ("src", "prompts", "samples"):
        if (source / name).exists():
            shutil.copytree(source / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    module = tree / "src" / "draftbot" / "datacache.py"
    module.write_text(module.read_text(encoding="utf-8") + NO_CACHE, encoding="utf-8")
    return tree


def env_for(tree: Path, home: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), DRAFTBOT_HOME=str(home))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as an installed package: bytecode on
    return env


def run_once(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one whole process; a failure stops the bench."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)} (PYTHONPATH={env['PYTHONPATH']})")
    return wall, usage.ru_utime + usage.ru_stime


def measure(trees: dict[str, Path], runs: int, work: Path) -> dict[tuple[str, str], list[tuple[float, float]]]:
    (work / "draft.md").write_text(sized_draft(5000), encoding="utf-8")
    args = {
        "check": ["check", "draft.md", "--facts", str(FACTS), "--plan", "述职报告", "--format", "line"],
        "--help": ["--help"],
    }
    commands = {}
    for label, tree in trees.items():
        env = env_for(tree, work / f"home-{label}")
        for command, rest in args.items():
            commands[(label, command)] = ([sys.executable, "-m", "draftbot", *rest], env)
    for cmd, env in commands.values():  # warm-up: bytecode and data cache written
        subprocess.run(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times: dict[tuple[str, str], list[tuple[float, float]]] = {key: [] for key in commands}
    for _ in range(runs):
        for key, (cmd, env) in commands.items():
            times[key].append(run_once(cmd, work, env))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--tree", default=None, help="measure this revision as 'current' instead of the checkout")
    parser.add_argument("--base", default=None, help="also measure this revision, for the ratio current / base")
    parser.add_argument("--nocache", action="store_true", help="also measure the current tree without the data cache")
    parser.add_argument("--name", default="startup", help="results file name (bench/results/NAME.json)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        trees = {"current": tree_at(args.tree, work, "current") if args.tree else REPO}
        if args.base:
            trees["base"] = tree_at(args.base, work, "base")
        if args.nocache:
            trees["nocache"] = without_data_cache(trees["current"], work)
        times = measure(trees, args.runs, work)
    load_after = os.getloadavg()
    wall = {f"{tree} {command}": [w for w, _ in values] for (tree, command), values in times.items()}
    cpu = {f"{tree} {command}": [c for _, c in values] for (tree, command), values in times.items()}
    medians = {name: statistics.median(values) for name, values in wall.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    print(f"{'tree':<10}{'command':<10}{'median s':>10}{'min s':>10}{'cpu s':>10}{'budget s':>10}  within")
    for tree, command in times:
        name = f"{tree} {command}"
        print(f"{tree:<10}{command:<10}{medians[name]:>10.3f}{min(wall[name]):>10.3f}{cpu_medians[name]:>10.3f}"
              f"{BUDGET[command]:>10.2f}  {'yes' if medians[name] <= BUDGET[command] else 'NO'}")
    ratios = {f"{command} current / {tree}": medians[f"current {command}"] / medians[f"{tree} {command}"]
              for tree in trees if tree != "current" for command in BUDGET}
    cpu_ratios = {f"{command} current / {tree}": cpu_medians[f"current {command}"] / cpu_medians[f"{tree} {command}"]
                  for tree in trees if tree != "current" for command in BUDGET}
    if ratios:
        print()
        print(f"{'ratio of medians':<28}{'wall':>8}{'cpu':>8}")
        for name, value in ratios.items():
            print(f"{name:<28}{value:>8.3f}{cpu_ratios[name]:>8.3f}")
    print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    command = f"python bench/bench_startup.py --runs {args.runs}" + "".join(
        f" --{flag} {value}" for flag, value in (("tree", args.tree), ("base", args.base), ("name", args.name))
        if value and not (flag == "name" and value == "startup")
    ) + (" --nocache" if args.nocache else "")
    write_results(args.name, {
        "benchmark": "start-up budget: cold check of a 5,000-char draft and --help, whole process",
        "command": command,
        "trees": {"current": args.tree or "checkout", **({"base": args.base} if args.base else {}),
                  **({"nocache": "current without the data cache"} if args.nocache else {})},
        "runs": args.runs,
        "budget_seconds": BUDGET,
        "median_seconds": medians,
        "min_seconds": {name: min(values) for name, values in wall.items()},
        "cpu_median_seconds": cpu_medians,
        "within_budget": {f"{tree} {command}": medians[f"{tree} {command}"] <= BUDGET[command]
                          for tree, command in times},
        "ratios": ratios,
        "cpu_ratios": cpu_ratios,
        "load_average_1min": {"before": load_before[0], "after": load_after[0]},
    })


if __name__ == "__main__":
    main()
