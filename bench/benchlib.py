"""Shared helpers for the bench scripts: running commands side by side, printing, saving results.

Cold-start timings run with bytecode caching on (PYTHONDONTWRITEBYTECODE removed), as for any
installed package: pip compiles bytecode at install time, and a checkout writes it on first use.
Each command runs once to warm the caches, then the commands alternate, so machine noise hits
all of them alike; compare the ratios, not the absolute seconds.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
BASELINE = "python -c pass"


def find_shared(repo: Path = REPO) -> Path | None:
    """The team's shared/ folder: beside the repository (../shared), or beside its parent (a worktree
    in wt/NAME, or CI's clone with a copy of shared/ next to it)."""
    for candidate in (repo.parent / "shared", repo.parent.parent / "shared"):
        if candidate.is_dir():
            return candidate
    return None


def cli_env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def draftbot(*args: str) -> list[str]:
    return [sys.executable, "-m", "draftbot", *args]


def time_command(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        cmd, cwd=cwd, env=env or cli_env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def side_by_side(commands: dict[str, list[str]], runs: int, cwd: Path) -> dict[str, list[float]]:
    """Seconds per run for each command; `python -c pass` is always measured as the baseline."""
    commands = {BASELINE: [sys.executable, "-c", "pass"], **commands}
    for cmd in commands.values():
        time_command(cmd, cwd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            times[name].append(time_command(cmd, cwd))
    return times


def print_table(times: dict[str, list[float]], width: int = 36) -> dict[str, float]:
    """Print median, min and ratio to the baseline; return the medians."""
    medians = {name: statistics.median(values) for name, values in times.items()}
    baseline = medians.get(BASELINE)
    header = f"{'command':<{width}}{'median s':>10}{'min s':>10}"
    print(header + (f"{'× baseline':>12}" if baseline else ""))
    for name, values in times.items():
        ratio = f"{medians[name] / baseline:>12.1f}" if baseline else ""
        print(f"{name:<{width}}{medians[name]:>10.3f}{min(values):>10.3f}{ratio}")
    return medians


def write_results(name: str, result: dict) -> Path:
    """Save `result` (which names the reproducing `command`) with the machine it ran on."""
    assert "command" in result, "results must say how to reproduce them"
    result = {
        **result,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {path.relative_to(REPO)}")
    return path
