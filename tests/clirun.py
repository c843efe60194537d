"""Run the real `draftbot` command line in a subprocess (as a user would)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
EXAMPLE_FACTS = REPO / "examples" / "facts.md"


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra or {})
    return env


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "draftbot", *map(str, args)],
        cwd=cwd or REPO,
        env=cli_env(env),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )
