"""The checker's rules as data: YAML files in data/rules/ plus a user's --rules DIR.

Every file is a mapping with optional `source` / `description` and any of these lists:

  placeholders:   {id, name, chars | literal | regex, [message], [level]}
  substitutions:  {wrong: str | [str] and/or patterns: [regex], right, [since], [until], [source], [level],
                   [message]}
  enumerations:   {name, items: [..], [suffix | prefix], [complete], [ordered], [since], [until], [source]}
  dated:          {id, patterns: [regex], current: {from, until}, [announced], now: [{from, until, text}] | str,
                   [history_context: [..]], [level], [source]}
  formulations:   {name, [since], [until], [accepted: [..]], [patterns: [regex]], [enumeration], [scope],
                   [absent], source}   what satisfies a plan's required formulation, and from when
  junk:           {id, regex, [name], [source]}   lines left over from a copied template (ads, watermarks)
  not_figures:    [str]   formulations with a numeral that are not figures (两个维护)
  formulation_tails: [str]
  allowed_years:  [int]   years a report may name without the facts (2035)
  names:          [regex] company / place / person names that mark a sample's specifics

A file that breaks these rules is rejected with a message naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from draftbot.checks.finding import LEVELS
from draftbot.errors import InputError
from draftbot.yamlio import YamlSyntaxError, compose_yaml

TYPO_LEVELS = {"必错": "error", "疑似": "warning", "提示": "info", "error": "error", "warning": "warning",
               "info": "info"}


class RuleError(InputError):
    """A rule file is missing, not YAML, or breaks the rule schema."""


# The rule records are frozen dataclasses: immutable once loaded.
@dataclass(frozen=True, slots=True)
class PlaceholderRule:
    """A kind of blank left in a draft (placeholders:), with its compiled pattern."""

    id: str
    name: str
    pattern: re.Pattern
    kind: str  # chars | literal | regex
    chars: str = ""
    level: str = "warning"
    message: str = ""
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Substitution:
    """Wrong wordings of a formulation and the canonical one (substitutions:); `since`/`until`: the
    years in which the canonical form applies (a report of another year is not judged by it)."""

    wrong: list[str]
    right: str
    level: str = "error"
    message: str = ""
    source: str = ""
    origin: str = ""
    patterns: tuple = ()
    since: int | None = None
    until: int | None = None

    def applies(self, year: int | None) -> bool:
        return year is None or ((self.since is None or year >= self.since) and (self.until is None or year <= self.until))


@dataclass(frozen=True, slots=True)
class Enumeration:
    """A fixed list of items that must be written complete and in order (enumerations:)."""

    name: str
    items: list[str]
    suffix: str = ""
    prefix: str = ""
    complete: bool = True
    ordered: bool = True
    level: str = "error"
    source: str = ""
    origin: str = ""
    since: int | None = None
    until: int | None = None

    def applies(self, year: int | None) -> bool:
        return year is None or ((self.since is None or year >= self.since) and (self.until is None or year <= self.until))


@dataclass(frozen=True, slots=True)
class NowText:
    """What is current in the years start..until (a dated rule's `now`)."""

    start: int
    until: int
    text: str


@dataclass(frozen=True, slots=True)
class DatedRule:
    """Wording that is current only in some years (dated:)."""

    id: str
    patterns: list[re.Pattern]
    start: int | None
    until: int | None
    now: list[NowText]
    history_context: list[str] | tuple[str, ...] = ()
    level: str = "error"
    label: str = ""
    source: str = ""
    origin: str = ""
    announced: int | None = None  # from this year on, naming it ahead of `start` is looking forward

    def is_early(self, year: int) -> bool:
        """Named before it was in use (and before it was announced)."""
        if self.start is None or year >= self.start:
            return False
        return year < (self.announced if self.announced is not None else self.start)

    def is_stale(self, year: int) -> bool:
        return self.until is not None and year > self.until

    def now_text(self, year: int) -> str:
        return next((n.text for n in self.now if n.start <= year <= n.until), "")


@dataclass(frozen=True, slots=True)
class Formulation:
    """What satisfies a required formulation (formulations:): its name, declared accepted forms,
    regexes for the written-out form, or a complete enumeration; the years it applies; where to look
    (section = the opening and the plan section; document = anywhere); the level when a document
    draftbot did not write lacks it (absent)."""

    name: str
    since: int | None = None
    until: int | None = None
    accepted: tuple = ()
    patterns: tuple = ()
    enumeration: str = ""
    scope: str = "section"
    absent: str = "warning"
    source: str = ""
    origin: str = ""

    def applies(self, year: int | None) -> bool:
        return year is None or ((self.since is None or year >= self.since) and (self.until is None or year <= self.until))


@dataclass(frozen=True, slots=True)
class JunkRule:
    """A line left over from a copied template: advert, watermark, vendor signature (junk:)."""

    id: str
    pattern: re.Pattern
    name: str = ""
    source: str = ""
    origin: str = ""


@dataclass(frozen=True, slots=True)
class TypoRule:
    """A misspelling (typos:): a literal `wrong` form or a regex `pattern` (then `right` may use
    \\1), the right form, and the context that must or must not surround it."""

    id: str
    wrong: str
    right: str
    level: str = "error"
    pattern: re.Pattern | None = None
    before: re.Pattern | None = None  # must match right before the wrong form
    after: re.Pattern | None = None  # must match right after it
    not_before: re.Pattern | None = None
    not_after: re.Pattern | None = None
    not_near: tuple = ()  # none of these may occur in the same clause
    note: str = ""
    source: str = ""
    origin: str = ""


@dataclass
class LeakSettings:
    """Run lengths for the sample-leak check, and stock phrases that are never a leak (leak:)."""

    min_specific_run: int = 12
    min_verbatim_run: int = 30
    stock: list[str] = field(default_factory=list)


def _from_yaml(parse: str, *, key: str = "", default_factory=list):
    """A RuleSet field read from the rule files' top-level key `key` (default: the field's name) by
    the _RuleFile method `parse` (one list item at a time; `leak` and `version` take the whole value).
    The rule files' known keys are these fields' keys."""
    return field(default_factory=default_factory, metadata={"parse": parse, "key": key})


@dataclass
class RuleSet:
    """All rules of the built-in files and a user's --rules folder, merged."""

    placeholders: list[PlaceholderRule] = _from_yaml("placeholder")
    substitutions: list[Substitution] = _from_yaml("substitution")
    enumerations: list[Enumeration] = _from_yaml("enumeration")
    dated: list[DatedRule] = _from_yaml("dated")
    not_figures: list[str] = _from_yaml("plain_str")
    formulation_tails: list[str] = _from_yaml("plain_str")
    allowed_years: list[int] = _from_yaml("year")
    names: list[re.Pattern] = _from_yaml("name_pattern")
    leak: LeakSettings = _from_yaml("leak", default_factory=LeakSettings)
    formulations: list[Formulation] = _from_yaml("formulation")
    junk: list[JunkRule] = _from_yaml("junk")
    typos: list[TypoRule] = _from_yaml("typos")
    typo_disable: list[str] = _from_yaml("plain_str")  # ids or wrong forms switched off by a user file
    words: list[str] = _from_yaml("plain_str")  # a unit's own terms: no typo is reported inside them
    fixed_names: list[str] = _from_yaml("plain_str")  # names a garbled-formulation is measured against
    versions: list[str] = _from_yaml("version", key="version")  # "built-in 2026.12" and each user file's
    files: list[Path] = field(default_factory=list)

    def active_typos(self) -> list[TypoRule]:
        off = set(self.typo_disable)
        return [t for t in self.typos if t.id not in off and t.wrong not in off] if off else self.typos

    @property
    def version(self) -> str:
        """The rule library's version as reports show it: the built-in one plus each user file's."""
        return " + ".join(self.versions) if self.versions else "未标版本"

    def formulation(self, name: str) -> Formulation:
        """The declared formulation of that name (the last one wins), or a plain one."""
        return next((f for f in reversed(self.formulations) if f.name == name), Formulation(name))

    def figure_options(self):
        from draftbot.figures import FigureOptions

        return FigureOptions(tuple(self.not_figures), tuple(self.formulation_tails))


# ------------------------------------------------------------------ loading


_CACHE: dict[tuple, RuleSet] = {}


def load_rules(extra_dir: str | Path | None = None) -> RuleSet:
    """The built-in rules, extended by the .yaml/.yml files in `extra_dir` (if given)."""
    from draftbot.resources import rules_dir

    files = _rule_files(rules_dir(), builtin=True)
    builtin = len(files)
    if extra_dir is not None:
        files += _rule_files(Path(extra_dir), builtin=False)
    key = tuple((str(p), p.stat().st_mtime_ns) for p in files)
    if key not in _CACHE:
        rules = _builtin_rules(files[:builtin])
        rules.files = list(files)
        for path in files[builtin:]:
            _RuleFile(path).load_into(rules)
        _CACHE[key] = rules
    return _CACHE[key]


def _builtin_rules(files: list[Path]) -> RuleSet:
    """The built-in files' rules. Kept between runs as plain data (see draftbot.datacache): a cold
    check neither converts nor validates them again (their regexes are compiled from the kept text)."""
    from draftbot.checks import finding
    from draftbot.datacache import code_stamp, parsed

    texts = [_RuleFile(path).text() for path in files]
    joined = "\n\0".join([code_stamp(__file__, finding.__file__)]
                          + [f"{path}\n{text}" for path, text in zip(files, texts, strict=True)])

    def parse(_: str):
        rules = RuleSet()
        for path, text in zip(files, texts, strict=True):
            _RuleFile(path, builtin=True).load_into(rules, text)
        return _to_plain(rules)

    return _from_plain(parsed(_plain_kind(), "builtin", joined, parse))


# The record classes a RuleSet holds, by name, for its plain form.
_RECORDS = {cls.__name__: cls for cls in (PlaceholderRule, Substitution, Enumeration, NowText, DatedRule,
                                          Formulation, JunkRule, TypoRule, LeakSettings, RuleSet)}


def _plain_kind() -> str:
    """The data cache's kind for the plain form: it changes whenever a record class's fields do."""
    return "rules-plain-1:" + ";".join(f"{name}({','.join(f.name for f in fields(cls))})"
                                       for name, cls in _RECORDS.items())


def _to_plain(value):
    """A RuleSet (or a part of one) as data marshal can store; _from_plain turns it back."""
    if isinstance(value, re.Pattern):
        return ("pattern", value.pattern, value.flags)
    if type(value).__name__ in _RECORDS:
        return ("record", type(value).__name__, [_to_plain(getattr(value, f.name)) for f in fields(value)])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_to_plain(v) for v in value])
    if isinstance(value, Path):
        return ("path", str(value))
    return value


def _from_plain(value):
    if not isinstance(value, tuple):
        return value
    kind = value[0]
    if kind == "pattern":
        return re.compile(value[1], value[2])
    if kind == "record":
        return _RECORDS[value[1]](*[_from_plain(v) for v in value[2]])
    if kind == "path":
        return Path(value[1])
    items = [_from_plain(v) for v in value[1]]
    return items if kind == "list" else tuple(items)


def _rule_files(folder: Path, builtin: bool) -> list[Path]:
    if not folder.exists():
        raise RuleError(f"找不到规则文件夹“{folder}”，请检查 --rules 的路径。")
    if folder.is_file():
        return [folder]
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
    if not files and not builtin:
        raise RuleError(f"规则文件夹“{folder}”中没有 .yaml 或 .yml 规则文件。")
    return files


class _Node:
    """A YAML value with the line it starts on (1-based)."""

    __slots__ = ("value", "line")

    def __init__(self, value, line: int):
        self.value = value
        self.line = line


def _parse_yaml(path: Path, text: str) -> _Node:
    tree = _compose(path, text)
    return _Node({}, 1) if tree is None else _convert(tree)


def _compose(path: Path, text: str):
    """The YAML text as a plain tree (see `_yaml_tree`), or None for an empty file."""
    import yaml

    try:
        node = compose_yaml(text)
    except YamlSyntaxError as exc:
        where = f"{exc.where()}：" if exc.line is not None else ""
        raise RuleError(f"规则文件“{path}”{where}不是合法的 YAML（{exc.problem}）。") from exc
    return None if node is None else _yaml_tree(node, yaml)


def _yaml_tree(node, yaml) -> tuple:
    """A YAML node as plain data: ("map", line, [(key, node), ...]), ("seq", line, [node, ...]) or
    ("str", line, tag, style, value)."""
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        return "map", line, [(k.value, _yaml_tree(v, yaml)) for k, v in node.value]
    if isinstance(node, yaml.SequenceNode):
        return "seq", line, [_yaml_tree(v, yaml) for v in node.value]
    return "str", line, node.tag, node.style, node.value


def _convert(tree: tuple) -> _Node:
    kind, line, *rest = tree
    if kind == "map":
        return _Node({k: _convert(v) for k, v in rest[0]}, line)
    if kind == "seq":
        return _Node([_convert(v) for v in rest[0]], line)
    return _Node(_scalar(*rest), line)


_BOOLS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


def _scalar(tag: str, style: str | None, value: str):
    """A plain scalar's value (int, bool, null or str) without constructing a loader per value."""
    if tag.endswith(":str") or style:
        return value
    if tag.endswith(":int") or re.fullmatch(r"[-+]?\d+", value):
        return int(value.replace("_", ""), 0) if not value.lstrip("+-").startswith("0") else int(value)
    if tag.endswith(":bool") or value.lower() in _BOOLS:
        return _BOOLS.get(value.lower(), value)
    if tag.endswith(":null") or value in ("", "~", "null", "Null", "NULL"):
        return None
    if tag.endswith(":float"):
        return float(value)
    return value


def _known_keys() -> set[str]:
    """The top-level keys a rule file may have: those of the RuleSet fields read from YAML."""
    return {"source", "description"} | {f.metadata.get("key") or f.name for f in fields(RuleSet) if "parse" in f.metadata}


class _RuleFile:
    def __init__(self, path: Path, builtin: bool = False):
        self.path = path
        self.builtin = builtin

    def fail(self, line: int, problem: str) -> RuleError:
        return RuleError(f"规则文件“{self.path}”第 {line} 行：{problem}")

    def text(self) -> str:
        from draftbot.textio import read_text

        try:
            return read_text(self.path, "规则文件")
        except InputError as exc:
            raise RuleError(exc.message) from exc

    def load_into(self, rules: RuleSet, text: str | None = None) -> None:
        root = _parse_yaml(self.path, self.text() if text is None else text)
        if not isinstance(root.value, dict):
            raise self.fail(root.line, "文件内容应是键值对（如 placeholders:、substitutions:、dated:）。")
        known = _known_keys()
        for key, node in root.value.items():
            if key not in known:
                listed = "、".join(sorted(known - {"source", "description"}))
                raise self.fail(node.line, f"未知的键“{key}”。可用的键：{listed}。")
        source = self.str_of(root.value["source"], "source") if "source" in root.value else ""
        for f in fields(RuleSet):
            key = f.metadata.get("key") or f.name
            if "parse" not in f.metadata or key not in root.value or f.metadata["parse"] in ("leak", "version"):
                continue
            parse, target = getattr(self, f.metadata["parse"]), getattr(rules, f.name)
            for item in self.list_of(root.value[key], key):
                parsed = parse(item, source)
                target.extend(parsed) if isinstance(parsed, list) else target.append(parsed)
        if "leak" in root.value:
            self.leak(root.value["leak"], rules.leak)
        if "version" in root.value:
            version = self.str_of(root.value["version"], "version")
            rules.versions.append(f"内置规则库 {version}" if self.builtin else f"{self.path.name} {version}")
        elif not self.builtin:
            rules.versions.append(f"{self.path.name}（未标版本）")

    # ------------------------------------------------------------ field helpers

    def list_of(self, node: _Node, key: str) -> list[_Node]:
        if not isinstance(node.value, list):
            raise self.fail(node.line, f"“{key}”应是一个列表（每项以“- ”开头）。")
        return node.value

    def mapping(self, node: _Node, what: str, required: tuple[str, ...]) -> dict[str, _Node]:
        if not isinstance(node.value, dict):
            raise self.fail(node.line, f"{what}的每一项应是键值对。")
        for key in required:
            if key not in node.value:
                raise self.fail(node.line, f"{what}缺少必填项“{key}”。")
        return node.value

    def str_of(self, node: _Node, key: str) -> str:
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return str(node.value)
        if not isinstance(node.value, str) or not node.value.strip():
            raise self.fail(node.line, f"“{key}”应是非空文本。")
        return node.value.strip()

    def strs_of(self, node: _Node, key: str) -> list[str]:
        if isinstance(node.value, list):
            items = [self.str_of(n, key) for n in node.value]
            if not items:
                raise self.fail(node.line, f"“{key}”不能是空列表。")
            return items
        return [self.str_of(node, key)]

    def level(self, entry: dict[str, _Node], default: str) -> str:
        if "level" not in entry:
            return default
        value = entry["level"].value
        if value not in LEVELS:
            raise self.fail(entry["level"].line, f"level 只能是 error、warning 或 info，而不是“{value}”。")
        return value

    def regex(self, node: _Node, key: str, empty: str = "") -> re.Pattern:
        """A rule's compiled regex; a mistake is reported with its file and line (and, with `empty`,
        one that matches the empty string)."""
        try:
            pattern = re.compile(self.str_of(node, key))
        except re.error as exc:
            raise self.fail(node.line, f"“{key}”不是合法的正则表达式：{exc}") from exc
        if empty and pattern.match(""):
            raise self.fail(node.line, empty)
        return pattern

    def int_of(self, node: _Node, key: str) -> int:
        value = node.value
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(node.line, f"“{key}”应是整数（年份写成 2025 这样的四位数）。")
        return value

    def optional(self, entry: dict[str, _Node], key: str, default: str = "") -> str:
        return self.str_of(entry[key], key) if key in entry else default

    def bool_of(self, entry: dict[str, _Node], key: str, default: bool) -> bool:
        if key not in entry:
            return default
        if not isinstance(entry[key].value, bool):
            raise self.fail(entry[key].line, f"“{key}”应是 true 或 false。")
        return entry[key].value

    def check_keys(self, entry: dict[str, _Node], allowed: set[str], what: str) -> None:
        for key, node in entry.items():
            if key not in allowed:
                raise self.fail(node.line, f"{what}中有未知的键“{key}”。可用的键：{'、'.join(sorted(allowed))}。")

    # ------------------------------------------------------------ entries

    def placeholder(self, node: _Node, source: str) -> PlaceholderRule:
        entry = self.mapping(node, "placeholders", ("id",))
        self.check_keys(entry, {"id", "name", "chars", "literal", "regex", "level", "message"}, "placeholders")
        kinds = [k for k in ("chars", "literal", "regex") if k in entry]
        if len(kinds) != 1:
            raise self.fail(node.line, "placeholders 的每一项要且只要写 chars、literal、regex 中的一个。")
        kind = kinds[0]
        text = self.str_of(entry[kind], kind)
        if kind == "chars":
            pattern = re.compile("[" + re.escape(text) + "]+")
        elif kind == "literal":
            pattern = re.compile(re.escape(text))
        else:
            pattern = self.regex(entry[kind], kind, "占位符的正则表达式不能匹配空字符串。")
        return PlaceholderRule(
            id=self.str_of(entry["id"], "id"),
            name=self.optional(entry, "name", text),
            pattern=pattern,
            kind=kind,
            chars=text if kind == "chars" else "",
            level=self.level(entry, "warning"),
            message=self.optional(entry, "message"),
            origin=f"{self.path}:{node.line}",
        )

    def substitution(self, node: _Node, source: str) -> Substitution:
        entry = self.mapping(node, "substitutions", ("right",))
        allowed = {"wrong", "patterns", "right", "level", "message", "source", "since", "until"}
        self.check_keys(entry, allowed, "substitutions")
        if "wrong" not in entry and "patterns" not in entry:
            raise self.fail(node.line, "substitutions 的每一项要写 wrong 或 patterns（错误写法）。")
        wrong = self.strs_of(entry["wrong"], "wrong") if "wrong" in entry else []
        right = self.str_of(entry["right"], "right")
        if right in wrong:
            raise self.fail(entry["wrong"].line, f"“{right}”同时出现在 wrong 和 right 中。")
        since, until = self.years(entry)
        return Substitution(wrong, right, self.level(entry, "error"), self.optional(entry, "message"),
                            self.optional(entry, "source", source), f"{self.path}:{node.line}",
                            self.patterns(entry), since, until)

    def patterns(self, entry: dict[str, _Node]) -> tuple:
        if "patterns" not in entry:
            return ()
        empty = "patterns 中的正则表达式不能匹配空字符串。"
        return tuple(self.regex(n, "patterns", empty) for n in self.list_of(entry["patterns"], "patterns"))

    def years(self, entry: dict[str, _Node]) -> tuple[int | None, int | None]:
        since = self.int_of(entry["since"], "since") if "since" in entry else None
        until = self.int_of(entry["until"], "until") if "until" in entry else None
        if since is not None and until is not None and since > until:
            raise self.fail(entry["since"].line, f"since（{since}）晚于 until（{until}）。")
        return since, until

    def formulation(self, node: _Node, source: str) -> Formulation:
        entry = self.mapping(node, "formulations", ("name",))
        allowed = {"name", "since", "until", "accepted", "patterns", "enumeration", "scope", "absent", "source"}
        self.check_keys(entry, allowed, "formulations")
        scope = self.optional(entry, "scope", "section")
        if scope not in ("section", "document"):
            raise self.fail(entry["scope"].line, f"scope 只能是 section 或 document，而不是“{scope}”。")
        absent = self.optional(entry, "absent", "warning")
        if absent not in LEVELS:
            raise self.fail(entry["absent"].line, f"absent 只能是 error、warning 或 info，而不是“{absent}”。")
        since, until = self.years(entry)
        accepted = tuple(self.strs_of(entry["accepted"], "accepted")) if "accepted" in entry else ()
        return Formulation(self.str_of(entry["name"], "name"), since, until, accepted, self.patterns(entry),
                           self.optional(entry, "enumeration"), scope, absent,
                           self.optional(entry, "source", source), f"{self.path}:{node.line}")

    def junk(self, node: _Node, source: str) -> JunkRule:
        entry = self.mapping(node, "junk", ("id", "regex"))
        self.check_keys(entry, {"id", "regex", "name", "source"}, "junk")
        pattern = self.regex(entry["regex"], "regex", "junk 的正则表达式不能匹配空字符串。")
        return JunkRule(self.str_of(entry["id"], "id"), pattern, self.optional(entry, "name"),
                        self.optional(entry, "source", source), f"{self.path}:{node.line}")

    def enumeration(self, node: _Node, source: str) -> Enumeration:
        entry = self.mapping(node, "enumerations", ("name", "items"))
        allowed = {"name", "items", "suffix", "prefix", "complete", "ordered", "level", "source", "since", "until"}
        self.check_keys(entry, allowed, "enumerations")
        items = self.strs_of(entry["items"], "items")
        if len(items) < 2 or len(set(items)) != len(items):
            raise self.fail(entry["items"].line, "items 至少要有两项，且不能重复。")
        suffix, prefix = self.optional(entry, "suffix"), self.optional(entry, "prefix")
        for affix, test in ((suffix, str.endswith), (prefix, str.startswith)):
            if affix and not all(test(i, affix) for i in items):
                raise self.fail(node.line, f"items 中的每一项都应包含“{affix}”。")
        return Enumeration(
            name=self.str_of(entry["name"], "name"), items=items, suffix=suffix, prefix=prefix,
            complete=self.bool_of(entry, "complete", True), ordered=self.bool_of(entry, "ordered", True),
            level=self.level(entry, "error"), source=self.optional(entry, "source", source),
            origin=f"{self.path}:{node.line}", since=self.years(entry)[0], until=self.years(entry)[1],
        )

    def dated(self, node: _Node, source: str) -> DatedRule:
        entry = self.mapping(node, "dated", ("id", "patterns", "current"))
        allowed = {"id", "label", "patterns", "current", "announced", "now", "history_context", "level", "source"}
        self.check_keys(entry, allowed, "dated")
        patterns = [self.regex(n, "patterns") for n in self.list_of(entry["patterns"], "patterns")]
        start, until = self.period(entry["current"])
        return DatedRule(
            id=self.str_of(entry["id"], "id"),
            patterns=patterns,
            start=start, until=until, now=self.now_texts(entry.get("now")),
            history_context=self.strs_of(entry["history_context"], "history_context")
            if "history_context" in entry else [],
            level=self.level(entry, "error"), label=self.optional(entry, "label"),
            source=self.optional(entry, "source", source), origin=f"{self.path}:{node.line}",
            announced=self.int_of(entry["announced"], "announced") if "announced" in entry else None,
        )

    def period(self, node: _Node) -> tuple[int | None, int | None]:
        entry = self.mapping(node, "current", ())
        self.check_keys(entry, {"from", "until"}, "current")
        if not entry:
            raise self.fail(node.line, "current 至少要写 from 或 until（年份）。")
        start = self.int_of(entry["from"], "from") if "from" in entry else None
        until = self.int_of(entry["until"], "until") if "until" in entry else None
        if start is not None and until is not None and start > until:
            raise self.fail(node.line, f"current 的 from（{start}）晚于 until（{until}）。")
        return start, until

    def now_texts(self, node: _Node | None) -> list[NowText]:
        if node is None:
            return []
        if isinstance(node.value, str):
            return [NowText(0, 9999, self.str_of(node, "now"))]
        out = []
        for item in self.list_of(node, "now"):
            entry = self.mapping(item, "now", ("text",))
            self.check_keys(entry, {"from", "until", "text"}, "now")
            start = self.int_of(entry["from"], "from") if "from" in entry else 0
            until = self.int_of(entry["until"], "until") if "until" in entry else 9999
            out.append(NowText(start, until, self.str_of(entry["text"], "text")))
        return out

    def typos(self, node: _Node, source: str) -> list[TypoRule]:
        """One typos: item: a single wrong form (wrong or pattern, with right) or a group (pairs:
        ["错→对", ...]) sharing level, note and context."""
        entry = self.mapping(node, "typos", ())
        allowed = {"id", "wrong", "pairs", "pattern", "right", "level", "before", "after", "not_before",
                   "not_after", "not_near", "note", "source"}
        self.check_keys(entry, allowed, "typos")
        kinds = [k for k in ("wrong", "pairs", "pattern") if k in entry]
        if len(kinds) != 1:
            raise self.fail(node.line, "typos 的每一项要且只要写 wrong、pairs、pattern 中的一个。")
        level_name = self.optional(entry, "level", "必错")
        if level_name not in TYPO_LEVELS:
            raise self.fail(entry["level"].line, f"level 只能是 必错、疑似 或 提示，而不是“{level_name}”。")
        context = {key: self.regex(entry[key], key) if key in entry else None
                   for key in ("before", "after", "not_before", "not_after")}
        shared = dict(level=TYPO_LEVELS[level_name], note=self.optional(entry, "note"),
                      source=self.optional(entry, "source", source), origin=f"{self.path}:{node.line}",
                      not_near=tuple(self.strs_of(entry["not_near"], "not_near")) if "not_near" in entry else (),
                      **context)
        if "pairs" in entry:
            out = []
            for item in self.list_of(entry["pairs"], "pairs"):
                wrong, _, right = self.str_of(item, "pairs").partition("→")
                if not wrong.strip() or not right.strip() or wrong.strip() == right.strip():
                    raise self.fail(item.line, f"pairs 的每一项应写成“错误写法→正确写法”，而不是“{item.value}”。")
                out.append(TypoRule(wrong.strip(), wrong.strip(), right.strip(), **shared))
            return out
        if "right" not in entry:
            raise self.fail(node.line, "typos 缺少必填项“right”。")
        right = self.str_of(entry["right"], "right")
        if "pattern" in entry:
            pattern = self.regex(entry["pattern"], "pattern", "typos 的正则表达式不能匹配空字符串。")
            ident = self.optional(entry, "id", pattern.pattern)
            return [TypoRule(ident, "", right, pattern=pattern, **shared)]
        wrong = self.str_of(entry["wrong"], "wrong")
        if wrong == right:
            raise self.fail(entry["wrong"].line, f"“{wrong}”同时出现在 wrong 和 right 中。")
        return [TypoRule(self.optional(entry, "id", wrong), wrong, right, **shared)]

    def name_pattern(self, node: _Node, source: str) -> re.Pattern:
        return self.regex(node, "names", "names 中的正则表达式不能匹配空字符串。")

    def plain_str(self, node: _Node, source: str) -> str:
        return self.str_of(node, "not_figures / formulation_tails / typo_disable / words")

    def year(self, node: _Node, source: str) -> int:
        return self.int_of(node, "allowed_years")

    def leak(self, node: _Node, settings: LeakSettings) -> None:
        entry = self.mapping(node, "leak", ())
        self.check_keys(entry, {"min_specific_run", "min_verbatim_run", "stock"}, "leak")
        if "stock" in entry:
            settings.stock.extend(self.strs_of(entry["stock"], "stock"))
        for key in ("min_specific_run", "min_verbatim_run"):
            if key in entry:
                value = self.int_of(entry[key], key)
                if value < 6:
                    raise self.fail(entry[key].line, f"{key} 至少为 6 个字。")
                setattr(settings, key, value)
