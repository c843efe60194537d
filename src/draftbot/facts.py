"""The user's bullet facts: a Markdown file with optional YAML front matter.

Headings group bullets into sections; deeper headings group them inside a section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from draftbot.errors import FactsError
from draftbot.textio import MAX_FACTS_BYTES, decode_bytes, read_bytes, sha256_bytes

META_KEYS = ("title", "type", "position", "unit", "period", "author", "leader")
META_LABELS = {
    "title": "标题",
    "type": "报告类型",
    "position": "职务",
    "unit": "单位",
    "period": "报告期",
    "author": "姓名",
    "leader": "领导机关",
}
GENERIC_LEADER = "上级党委、政府"  # the opening's 在……的坚强领导下 when the facts name no leadership
# A government or Party organ at the end of a unit's name (清河县人民政府, 清河县委员会)
_UNIT_ORGAN = re.compile(r"(人民政府|政府|委员会|党委|人大常委会)$")
# A position that names its own organ at the unit's level: 县委常委, 市政府副秘书长, 县纪委书记
_LEVEL_ORGAN = ("委", "政府", "人民政府", "人大", "政协", "纪委", "监委", "党委", "委员会")


def role_phrase(unit: str, position: str) -> str:
    """What follows 本人任 in an opening: the unit and the position joined as the genre writes them.

    清河县人民政府 + 县委常委、副县长 -> 清河县委常委、副县长 (the position names its own organs at the
    place's level, so the unit gives only the place, and 县 is written once); 青溪经济开发区 +
    党工委委员、管委会副主任 -> 青溪经济开发区党工委委员、管委会副主任; a position that already names
    the place is kept as it is."""
    unit, position = unit.strip(), position.strip().removeprefix("任")
    if not unit or not position:
        return unit + position
    place = _UNIT_ORGAN.sub("", unit) or unit
    if place in position or unit in position:
        return position
    level = place[-1]
    if position.startswith(level) and position[1:].startswith(_LEVEL_ORGAN):
        return place + position[1:]  # 清河县 + 县委常委 -> 清河县委常委
    overlap = next((k for k in range(min(len(unit), len(position)), 1, -1) if unit.endswith(position[:k])), 0)
    return unit + position[overlap:]  # 清河县委 + 县委常委 -> 清河县委常委


def leader_phrase(meta: dict) -> str:
    """Who the opening thanks for its leadership: the facts' `leader:` (县委、县政府), else the generic form."""
    leader = str(meta.get("leader") or "").strip()
    return leader.removeprefix("在").removesuffix("的坚强领导下").strip() or GENERIC_LEADER

_HEADING = re.compile(r"^(#{1,6})\s*(.*?)\s*#*\s*$")
_BULLET = re.compile(
    r"^(\s*)(?:-(?!-)|[*+](?=\s)|[•·]|\d{1,3}(?:[.](?!\d)|[、)）])|[（(]\d{1,3}[)）])\s*(.*)$"
)
_YEAR = re.compile(r"(20\d{2}|19\d{2})")


@dataclass
class Fact:
    """One bullet of the facts file, with its line and the headings above it."""

    text: str
    line: int
    path: tuple[str, ...] = ()


@dataclass
class FactGroup:
    """The facts under one heading, and the groups under its sub-headings."""

    heading: str
    line: int
    facts: list[Fact] = field(default_factory=list)
    subgroups: list[FactGroup] = field(default_factory=list)

    def all_facts(self) -> list[Fact]:
        out = list(self.facts)
        for sub in self.subgroups:
            out.extend(sub.all_facts())
        return out


@dataclass
class Facts:
    """A parsed facts file: front matter and grouped bullets."""

    meta: dict[str, str]
    groups: list[FactGroup]
    source: Path | None = None
    sha256: str = ""
    paragraph_lines: list[int] = field(default_factory=list)

    def all_facts(self) -> list[Fact]:
        out: list[Fact] = []
        for group in self.groups:
            out.extend(group.all_facts())
        return out

    @property
    def title(self) -> str:
        return self.meta.get("title", "")

    @property
    def report_type(self) -> str:
        return self.meta.get("type", "")

    @property
    def period_year(self) -> int | None:
        for key in ("period", "title"):
            match = _YEAR.search(self.meta.get(key, ""))
            if match:
                return int(match.group(1))
        return None

    def text(self) -> str:
        """All fact text, one fact a line (used for grounding checks)."""
        lines = [v for k, v in self.meta.items() if k in ("period", "title")]
        lines.extend(f.text for f in self.all_facts())
        return "\n".join(lines)


def load_facts(path: str | Path) -> Facts:
    path = Path(path)
    if path.suffix.lower() == ".docx":
        from draftbot.docx_reader import docx_facts_text  # Word input lives in one place

        data_text = docx_facts_text(path)
        data = data_text.encode("utf-8")
    else:
        data = read_bytes(path, "事实文件", MAX_FACTS_BYTES)
        data_text = decode_bytes(data, f"事实文件“{path}”")
    facts = parse_facts(data_text, source=path)
    facts.sha256 = sha256_bytes(data)
    return facts


def parse_facts(text: str, source: Path | None = None) -> Facts:
    label = f"事实文件“{source}”" if source else "事实文件"
    if not text.strip():
        raise FactsError(f"{label}是空的：请按 README 中的格式写入要点（每条以“- ”开头）。")
    meta, body, offset = _split_front_matter(text, label)
    groups, paragraphs = _parse_body(body, offset)
    facts = Facts(meta=meta, groups=groups, source=source, paragraph_lines=paragraphs)
    if not facts.all_facts():
        raise FactsError(f"{label}中没有找到任何要点：请在标题下用“- ”列出事实，例如“- 全年签约项目18个”。")
    return facts


def _split_front_matter(text: str, label: str) -> tuple[dict[str, str], str, int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise FactsError(f"{label}的开头信息以“---”开始，但没有找到结束的“---”行。")
    raw = "\n".join(lines[1:end])
    meta = _parse_meta(raw, label)
    return meta, "\n".join(lines[end + 1 :]), end + 1


def _parse_meta(raw: str, label: str) -> dict[str, str]:
    data = _front_matter_without_yaml(raw)
    if data is None:
        data = _yaml_meta(raw, label)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FactsError(f"{label}的开头信息必须是“键: 值”形式，例如“title: 2026年度述职报告”。")
    unknown = [str(k) for k in data if k not in META_KEYS]
    if unknown:
        allowed = "、".join(f"{k}（{META_LABELS[k]}）" for k in META_KEYS)
        raise FactsError(f"{label}的开头信息中有不认识的项：{'、'.join(unknown)}。可用的项：{allowed}。")
    meta: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, (dict, list)):
            raise FactsError(f"{label}的开头信息中“{key}”应为一段文字，而不是列表或嵌套结构。")
        if value is not None:
            meta[key] = str(value).strip()
    return meta


# A YAML plain scalar cannot start with these (indicators, quotes, comments).
_NOT_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")


def _front_matter_without_yaml(raw: str) -> dict[str, str] | None:
    """Front matter whose every line is `key: text` with non-ASCII (Chinese) text, read without YAML.

    Such a value is a YAML plain string equal to its text: every YAML type other than string (bool,
    number, null, date) is spelled in ASCII. Anything else (quotes, '#', ':', tabs, ASCII-only values,
    unknown keys, nesting) returns None, and the front matter goes to the YAML parser. This spares a
    check the import of PyYAML (~25 ms at start-up).
    """
    meta: dict[str, str] = {}
    for line in raw.split("\n"):
        if not line.strip(" "):
            continue
        key, _, value = line.partition(": ")
        value = value.strip(" ")
        if (
            key not in META_KEYS
            or not value
            or value[0] in _NOT_PLAIN_START
            or "#" in value
            or ":" in value
            or value.isascii()
            or not value.isprintable()
        ):
            return None
        meta[key] = value
    return meta


def _yaml_meta(raw: str, label: str):
    from draftbot.yamlio import YamlSyntaxError, load_yaml

    try:
        return load_yaml(raw) if raw.strip() else {}
    except YamlSyntaxError as exc:  # line 1 of the file is the opening ---
        raise FactsError(
            f"{label}的开头信息（YAML）{exc.where(1)}格式错误：{exc.problem}。请使用“键: 值”的形式。"
        ) from exc


class _BodyParser:
    def __init__(self, offset: int):
        self.offset = offset
        self.groups: list[FactGroup] = []
        self.top: FactGroup | None = None
        self.current: FactGroup | None = None
        self.top_level: int | None = None
        self.last: Fact | None = None
        self.paragraphs: list[int] = []

    def heading(self, level: int, title: str, line: int) -> None:
        if self.top_level is None or level <= self.top_level:
            self.top_level = level if self.top_level is None else self.top_level
            self.top = FactGroup(title, line)
            self.groups.append(self.top)
            self.current = self.top
        else:
            assert self.top is not None
            sub = FactGroup(title, line)
            self.top.subgroups.append(sub)
            self.current = sub
        self.last = None

    def fact(self, text: str, line: int) -> None:
        if self.current is None:
            self.top = self.current = FactGroup("", line)
            self.groups.append(self.top)
        path = tuple(h for h in (self.top.heading if self.top else "", self.current.heading) if h)
        self.last = Fact(text, line, tuple(dict.fromkeys(path)))
        self.current.facts.append(self.last)


def _parse_body(body: str, offset: int) -> tuple[list[FactGroup], list[int]]:
    parser = _BodyParser(offset)
    for index, raw in enumerate(body.split("\n")):
        line_no = offset + index + 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("<!--"):
            parser.last = None if not stripped else parser.last
            continue
        heading = _HEADING.match(stripped)
        if heading:
            if heading.group(2):
                parser.heading(len(heading.group(1)), heading.group(2), line_no)
            continue
        bullet = _BULLET.match(raw)
        if bullet and not _clean_fact(bullet.group(2)):
            parser.last = None  # an empty bullet ("-", "- ", "- 。") says nothing
        elif bullet:
            parser.fact(bullet.group(2).strip(), line_no)
        elif raw[:1] in (" ", "\t") and parser.last is not None:
            parser.last.text = parser.last.text + stripped  # continuation of a wrapped bullet
        else:
            parser.paragraphs.append(line_no)
            parser.fact(stripped, line_no)
    for group in parser.groups:
        _clean_group(group)
    groups = [g for g in parser.groups if g.all_facts() or g.heading]
    return groups, parser.paragraphs


def _clean_group(group: FactGroup) -> None:
    for fact in group.facts:
        fact.text = _clean_fact(fact.text)
    group.facts = [f for f in group.facts if f.text]
    for sub in group.subgroups:
        _clean_group(sub)


def _clean_fact(text: str) -> str:
    return text.strip().rstrip("；;。，,、 ")
