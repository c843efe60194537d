"""A rule's regex that is compiled on first use, and not at all for a text that lacks every literal
the pattern requires (most built-in rules name a stale slogan or an advert a draft never contains).

Why: compiling the ~90 built-in rule patterns took a third of a cold `draftbot check`'s own time.
`required_literals` reads only the part of the regex syntax it is sure of and gives up (no
prefilter) on anything else, so a skipped search is always one that could not have matched.
"""

from __future__ import annotations

import re
import sys

_QUANTIFIERS = "?*+{"
_BREAKS = ".^$"
# What the scanner does not read: case-folded or verbose text (inline flags i, x), comments, and
# escapes that stand for other characters (\x41 \u3000 \101 \N{…}) or are backreferences (\1).
_UNSURE = re.compile(r"\(\?[a-zA-Z-]*[ix]|\(\?#|\\[0-9xuUN]")
_COUNTED = re.compile(r"\{(?=[0-9,])[0-9]*(?:,[0-9]*)?\}")  # {2} {0,3} {,3} {2,}; any other { is a letter


class RulePattern:
    """A compiled-on-demand `re.Pattern` with a literal prefilter; the same search methods."""

    __slots__ = ("pattern", "flags", "_needles", "_compiled")

    def __init__(self, pattern: str, flags: int = 0, needles: tuple[str, ...] | None = None):
        self.pattern = pattern
        self.flags = flags
        self._needles = needles
        self._compiled: re.Pattern | None = None

    @property
    def needles(self) -> tuple[str, ...]:
        """Strings of which every match contains one (worked out on first use); () when unknown."""
        if self._needles is None:
            self._needles = required_literals(self.pattern, self.flags)
        return self._needles

    @property
    def compiled(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    def may_match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> bool:
        """False only when no match is possible: none of the required literals is in text[pos:endpos].
        Once the pattern is compiled, searching is cheaper than the test: always True then."""
        if self._compiled is not None or not self.needles:
            return True
        if pos <= 0 and endpos >= len(text):
            return any(n in text for n in self._needles)
        pos, endpos = max(pos, 0), max(endpos, 0)  # as re reads them (str.find counts negatives from the end)
        return any(text.find(n, pos, endpos) != -1 for n in self._needles)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.compiled.search(text, pos, endpos) if self.may_match(text, pos, endpos) else None

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.compiled.finditer(text, pos, endpos) if self.may_match(text, pos, endpos) else iter(())

    def findall(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> list:
        return self.compiled.findall(text, pos, endpos) if self.may_match(text, pos, endpos) else []

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.compiled.match(text, pos, endpos) if self.may_match(text, pos, endpos) else None

    def fullmatch(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.compiled.fullmatch(text, pos, endpos) if self.may_match(text, pos, endpos) else None

    def sub(self, repl, text: str, count: int = 0) -> str:
        return self.compiled.sub(repl, text, count) if self.may_match(text) else text

    def __eq__(self, other) -> bool:
        if isinstance(other, RulePattern):
            return (self.pattern, self.flags) == (other.pattern, other.flags)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))

    def __repr__(self) -> str:
        return f"RulePattern({self.pattern!r})"


def literal_pattern(text: str) -> RulePattern:
    """The pattern of a plain string."""
    return RulePattern(re.escape(text), needles=(text,))


def chars_pattern(chars: str) -> RulePattern:
    """One or more of these characters."""
    return RulePattern("[" + re.escape(chars) + "]+", needles=tuple(chars))


def required_literals(pattern: str, flags: int = 0) -> tuple[str, ...]:
    """Strings of which every match contains at least one; () when that cannot be told."""
    if flags & (re.IGNORECASE | re.VERBOSE) or _UNSURE.search(pattern):
        return ()
    return _alternatives(pattern) or ()


def _alternatives(pattern: str) -> tuple[str, ...] | None:
    branches = _split_top(pattern)
    if branches is None:
        return None
    needles: list[str] = []
    for branch in branches:
        inner = _whole_group(branch)
        found = _alternatives(inner) if inner is not None else _longest_run(branch)
        if not found:
            return None
        needles.extend(found)
    return tuple(needles)


def _split_top(pattern: str) -> list[str] | None:
    """The pattern's branches at its top level (split at `|` outside groups and classes)."""
    branches, start, i = [], 0, 0
    while i < len(pattern):
        if pattern[i] == "|":
            branches.append(pattern[start:i])
            start, i = i + 1, i + 1
            continue
        i = _atom_end(pattern, i)
        if i < 0:
            return None
    branches.append(pattern[start:])
    return branches


def _atom_end(pattern: str, i: int) -> int:
    """Index just past the atom at i: an escape, a class, a group or one character (-1: unclosed)."""
    ch = pattern[i]
    if ch == "\\":
        return i + 2
    end = _class_end(pattern, i) if ch == "[" else _group_end(pattern, i) if ch == "(" else i
    return end + 1 if end >= 0 else -1


def _whole_group(branch: str) -> str | None:
    """The inside of a branch that is exactly one group, else None."""
    if not branch.startswith("(") or _group_end(branch, 0) != len(branch) - 1:
        return None
    return _group_inside(branch)


def _group_inside(group: str) -> str | None:
    """The pattern inside a capturing, named or non-capturing group; None for a lookaround (it
    consumes nothing) or an inline-flag group."""
    if group.startswith("(?:"):
        return group[3:-1]
    if group.startswith("(?P<"):
        close = group.find(">")
        return group[close + 1 : -1] if close > 0 else None
    return None if group.startswith("(?") else group[1:-1]


def _longest_run(branch: str) -> tuple[str, ...] | None:
    """What every match of the branch contains: its longest run of plain characters at the top
    level, or one of a required group's alternatives, whichever makes the stricter test."""
    candidates, current, i = [], "", 0
    while i < len(branch):
        ch = branch[i]
        counted = _COUNTED.match(branch, i) if ch == "{" else None
        if ch in _QUANTIFIERS and (ch != "{" or counted):
            end = counted.end() - 1 if counted else i
            if _optional(branch, i):
                current = current[:-1]  # the quantified character may be absent
            candidates.append((current,))  # (or repeated: what follows is not next to it)
            current, i = "", end
        elif ch == "\\" or ch == "[" or ch == "(" or ch in _BREAKS or ch in ")]}|":
            candidates.append((current,))
            current = ""
            if ch == "\\":
                i += 1
            elif ch == "[":
                i = _class_end(branch, i)
            elif ch == "(":
                start, i = i, _group_end(branch, i)
                if i > 0 and not _optional(branch, i + 1):
                    inner = _group_inside(branch[start : i + 1])
                    candidates.append((inner is not None and _alternatives(inner)) or ("",))
            if i < 0:
                return None
        else:
            current += ch
        i += 1
    candidates.append((current,))
    best = max(candidates, key=lambda c: (min(map(len, c)), -len(c)))
    return best if min(map(len, best)) else None


def _optional(branch: str, i: int) -> bool:
    """Does the quantifier at i (if any) allow zero repetitions of what precedes it?"""
    ch = branch[i : i + 1]
    return ch in ("?", "*") or (ch == "{" and branch[i + 1 : i + 2] in ("0", ","))


def _class_end(pattern: str, i: int) -> int:
    """Index of the `]` closing the class opened at i, or -1."""
    j = i + 1
    if j < len(pattern) and pattern[j] == "^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern):
        if pattern[j] == "\\":
            j += 2
            continue
        if pattern[j] == "]":
            return j
        j += 1
    return -1


def _group_end(pattern: str, i: int) -> int:
    """Index of the `)` closing the group opened at i, or -1."""
    j = i + 1
    while j < len(pattern):
        if pattern[j] == ")":
            return j
        j = _atom_end(pattern, j)
        if j < 0:
            return -1
    return -1
