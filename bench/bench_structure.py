"""Start-up cost of the structure work, side by side in one session.

Three source trees, each run cold with its own cache folder:
  before      the tree at --ref (default cb14374: before the workflow layer, with the regex cache)
  now         this checkout (or the tree at --after REF)
  now-nocache this checkout with the parsed-data cache (datacache.parsed) switched off
Commands: `draftbot check` on a 5,000-character draft, and `draftbot --help`. Runs alternate, so
machine noise hits every variant alike; compare the ratios.

Usage: python bench/bench_structure.py [--runs N] [--ref REF] [--after REF] [--name NAME]
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
from pathlib import Path

from bench_check import FACTS, sized_draft
from benchlib import REPO, time_command, write_results

NO_CACHE = '''

def parsed(kind, name, text, parse):  # bench: the data cache switched off
    return parse(text)
'''


def tree_at(ref: str, into: Path, name: str = "tree") -> Path:
    archive = into / f"{name}.tar"
    subprocess.run(["git", "archive", "-o", str(archive), ref], cwd=REPO, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / name, filter="data")
    return into / name


def copy_without_data_cache(source: Path, into: Path) -> Path:
    tree = into / "nocache"
    for name in ("src", "prompts", "samples"):
        shutil.copytree(source / name, tree / name)
    module = tree / "src" / "draftbot" / "datacache.py"
    module.write_text(module.read_text(encoding="utf-8") + NO_CACHE, encoding="utf-8")
    return tree


def env_for(tree: Path, home: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), DRAFTBOT_HOME=str(home))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as an installed package: bytecode on
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--ref", default="cb14374")
    parser.add_argument("--after", default=None, help="measure this commit as 'now' instead of the checkout")
    parser.add_argument("--name", default="structure", help="results file name (bench/results/NAME.json)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "draft.md").write_text(sized_draft(5000), encoding="utf-8")
        now = tree_at(args.after, work, "after") if args.after else REPO
        trees = {"before": tree_at(args.ref, work), "now": now, "now-nocache": copy_without_data_cache(now, work)}
        check = ["check", "draft.md", "--facts", str(FACTS), "--plan", "述职报告", "--format", "line"]
        commands = {"python -c pass": ([sys.executable, "-c", "pass"], os.environ.copy())}
        for label, tree in trees.items():
            env = env_for(tree, work / f"home-{label}")
            commands[f"check {label}"] = ([sys.executable, "-m", "draftbot", *check], env)
            commands[f"--help {label}"] = ([sys.executable, "-m", "draftbot", "--help"], env)
        for cmd, env in commands.values():  # warm: bytecode and caches written
            time_command(cmd, work, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (cmd, env) in commands.items():
                times[name].append(time_command(cmd, work, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["python -c pass"]
    print(f"{'command':<24}{'median s':>10}{'min s':>10}{'x pass':>10}")
    for name, values in times.items():
        print(f"{name:<24}{medians[name]:>10.3f}{min(values):>10.3f}{medians[name] / base:>10.2f}")
    ratios = {
        "check now / before": medians["check now"] / medians["check before"],
        "--help now / before": medians["--help now"] / medians["--help before"],
        "check nocache / now": medians["check now-nocache"] / medians["check now"],
    }
    print()
    for name, value in ratios.items():
        print(f"{name:<24}{value:>10.3f}")
    write_results(args.name, {
        "benchmark": "cold check (5,000 chars) and --help: before/after the structure work; data cache on/off",
        "command": f"python bench/bench_structure.py --runs {args.runs} --ref {args.ref}"
        + (f" --after {args.after}" if args.after else "") + (f" --name {args.name}" if args.name != "structure" else ""),
        "after": args.after or "checkout",
        "runs": args.runs,
        "median_seconds": medians,
        "min_seconds": {name: min(values) for name, values in times.items()},
        "ratios": ratios,
    })


if __name__ == "__main__":
    main()
