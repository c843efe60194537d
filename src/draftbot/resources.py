"""Where the bundled data lives: inside the wheel, or in the source checkout."""

from __future__ import annotations

import os
import sys
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


_WINDOWS_BASE = {"config": "APPDATA", "data": "LOCALAPPDATA", "cache": "LOCALAPPDATA"}
_WINDOWS_DEFAULT = {"config": ("AppData", "Roaming"), "data": ("AppData", "Local"), "cache": ("AppData", "Local")}
_XDG = {"config": ("XDG_CONFIG_HOME", ".config"), "data": ("XDG_DATA_HOME", ".local/share"),
        "cache": ("XDG_CACHE_HOME", ".cache")}


def user_dir(kind: str) -> Path:
    """draftbot's folder of `kind` (config, data, cache) for this user and platform.

    DRAFTBOT_HOME moves all of them (tests point it at a temporary folder); the cache is its `cache`
    subfolder there."""
    home = os.environ.get("DRAFTBOT_HOME")
    if home:
        return Path(home) / "cache" if kind == "cache" else Path(home)
    if sys.platform == "win32":
        base = os.environ.get(_WINDOWS_BASE[kind]) or Path.home().joinpath(*_WINDOWS_DEFAULT[kind])
        folder = Path(base) / "draftbot"
        return folder / "cache" if kind == "cache" else folder
    if sys.platform == "darwin" and kind != "cache":
        return Path.home() / "Library" / "Application Support" / "draftbot"
    variable, default = _XDG[kind]
    return Path(os.environ.get(variable) or Path.home() / default) / "draftbot"


def prompts_dir() -> Path:
    return bundled_dir("prompts")


def samples_dir() -> Path:
    return bundled_dir("samples")


def plans_dir() -> Path:
    return DATA_DIR / "plans"


def rules_dir() -> Path:
    return DATA_DIR / "rules"
