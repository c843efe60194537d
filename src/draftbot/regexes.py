"""`compile`: re.compile, with the compiled program kept between runs (as .pyc files keep code).

Why: Python compiles a regular expression in pure Python (re._parser, re._compiler), and Chinese
character classes and long alternations are slow to compile. The ~60 patterns a check builds
(figures, headings, the rule files) cost every cold `draftbot check` ~15 ms for the same result.

How: the first compile of a pattern stores the program re._compiler hands to _sre.compile (a list
of opcodes plus group names) in a marshal file in draftbot's cache folder; later runs pass it
straight to _sre.compile. Entries are keyed by the pattern text and flags, and the file name carries
the exact Python version and the regex engine's MAGIC, so a program is only reused by the
interpreter that produced it. These are CPython internals: when they are missing or anything
fails, `compile` is plain re.compile (a bad pattern raises re.error exactly as re.compile does).
Only draftbot's own patterns go through here, not those of a user's --rules files.
"""

from __future__ import annotations

import atexit
import marshal
import re
import sys

try:
    import _sre
    from re import _compiler, _parser
except ImportError:  # not CPython
    _sre = None

_programs: dict[tuple[str, int], tuple] | None = None
_used: set[tuple[str, int]] = set()
_changed = False
_MAX_ENTRIES = 2000  # beyond this, a save keeps only the patterns of the current run


def compile(pattern: str, flags: int = 0) -> re.Pattern:  # noqa: A001 - the re.compile it replaces
    flags = int(flags)
    if _sre is None or flags & re.DEBUG:
        return re.compile(pattern, flags)
    programs = _load()
    key = (pattern, flags)
    _used.add(key)
    try:
        program = programs.get(key)
        if program is None:
            program = programs[key] = _program(pattern, flags)
            _note_change()
        return _sre.compile(pattern, *program)
    except Exception:  # noqa: BLE001 - an unexpected engine or a bad pattern: the ordinary way
        if programs.pop(key, None) is not None:
            _note_change()
        return re.compile(pattern, flags)


def _program(pattern: str, flags: int) -> tuple:
    """What re._compiler.compile passes to _sre.compile after the pattern itself."""
    parsed = _parser.parse(pattern, flags)
    code = [int(op) for op in _compiler._code(parsed, flags)]  # opcodes are an int subclass
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return int(flags | parsed.state.flags), code, parsed.state.groups - 1, groupindex, tuple(indexgroup)


def _cache_file():
    from draftbot.datacache import cache_dir

    version = sys.version.split()[0]
    return cache_dir() / f"regex-{sys.implementation.name}-{version}-{_sre.MAGIC}.marshal"


def _load() -> dict[tuple[str, int], tuple]:
    global _programs
    if _programs is None:
        from draftbot.datacache import read_marshal_dict

        _programs = read_marshal_dict(_cache_file())
    return _programs


def _note_change() -> None:
    global _changed
    if not _changed:
        _changed = True
        atexit.register(_save)


def _save() -> None:
    from draftbot.datacache import write_atomically

    programs = _programs or {}
    if len(programs) > _MAX_ENTRIES:
        programs = {key: program for key, program in programs.items() if key in _used}
    try:
        data = marshal.dumps(programs)
    except ValueError:  # cannot happen for ints, strings and tuples; never fail a run over a cache
        return
    write_atomically(_cache_file(), data)
