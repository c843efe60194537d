"""Parsed built-in data files (rule, plan, sample YAML), kept between runs.

Why: a cold `draftbot check` spent more time importing PyYAML (~25 ms) and parsing the built-in
files (~15 ms) than checking the draft. The built-in files do not change between runs, so their
parsed form is kept in one marshal file in the user's cache folder.

Never stale: each entry stores the exact text it was parsed from and is used only when the file's
text is identical, so an edited or upgraded file is parsed again. `kind` names the parser (callers
bump it when their parse output changes); the file name carries the Python version (marshal's
format). Concurrent runs share the file: a run writes under a lock file, after merging its new
entries into what the file holds by then, so no run drops another's entries. Values are plain data (dict, list, str, int, ...); a value marshal cannot store is simply
not cached. Any problem with the cache file (missing, corrupt, read-only folder) means parsing as
before. Users' own files (facts, --rules, --samples, plan files) are never cached.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable
from pathlib import Path

from draftbot.resources import user_dir

_entries: dict[str, tuple[str, bytes]] | None = None
_added: dict[str, tuple[str, bytes]] = {}  # the entries this process made (merged on each save)


def cache_dir() -> Path:
    return user_dir("cache")


def cache_file() -> Path:
    return cache_dir() / f"data-{sys.implementation.cache_tag}.marshal"


def parsed(kind: str, name: str, text: str, parse: Callable[[str], object]):
    """`parse(text)`, or a fresh copy of the value cached for the same kind, name and text."""
    entries = _load()
    key = f"{kind}:{name}"
    try:
        entry = entries[key]
        if entry[0] == text:
            return marshal.loads(entry[1])
    except (KeyError, TypeError, IndexError, ValueError, EOFError):  # not cached, or a damaged entry
        pass
    value = parse(text)
    try:
        entries[key] = _added[key] = (text, marshal.dumps(value))
    except ValueError:  # e.g. a date: not cached
        return value
    _save()
    return value


def code_stamp(*sources: str) -> str:
    """The draftbot version and the size and time of these source files. Callers put it into the text
    a value is cached for when the value depends on code (how it is parsed), not only on the file:
    after an upgrade or an edit of that code the value is made again."""
    from draftbot import __version__

    parts = [__version__]
    for source in sources:
        try:
            info = os.stat(source)
            parts.append(f"{info.st_size}-{info.st_mtime_ns}")
        except OSError:
            parts.append("?")
    return ":".join(parts)


def _load() -> dict[str, tuple[str, bytes]]:
    global _entries, _added
    if _entries is None:
        _entries = read_marshal_dict(cache_file())
        _added = {}
    return _entries


def read_marshal_dict(path: Path) -> dict:
    """The dict a cache file holds, or {} when it is missing, damaged or not a dict."""
    try:
        loaded = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _save() -> None:
    """Write the cache file (creating its folder): under its lock file, what the file holds now
    (another run may have added entries since this one read it) plus this run's entries, replaced
    atomically so a reader sees the old or the new file. A failure (read-only folder, full disk)
    only means no cache."""
    from draftbot.atomicfile import locked, replace_file

    path = cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with locked(path.with_name(path.name + ".lock")):
            merged = read_marshal_dict(path)
            merged.update(_added)
            replace_file(path, marshal.dumps(merged))
    except OSError:
        pass
