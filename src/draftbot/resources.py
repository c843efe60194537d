"""Where the bundled data lives: inside the wheel, or in the source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"


@cache
def bundled_dir(name: str) -> Path:
    """Return the folder of a top-level data directory (`prompts`, `samples`).

    An installed wheel carries them under `draftbot/_bundled/`; a source checkout
    (editable install or PYTHONPATH=src) has them at the repository root.
    """
    installed = PACKAGE_DIR / "_bundled" / name
    if installed.is_dir():
        return installed
    checkout = PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"bundled data folder not found: {name}")


def prompts_dir() -> Path:
    return bundled_dir("prompts")


def samples_dir() -> Path:
    return bundled_dir("samples")


def plans_dir() -> Path:
    return DATA_DIR / "plans"


def rules_dir() -> Path:
    return DATA_DIR / "rules"
