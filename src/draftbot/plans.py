"""Section plans: which sections a report has, in which order, and what each must carry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from draftbot.errors import PlanError
from draftbot.facts import Fact, FactGroup, Facts
from draftbot.resources import plans_dir

DEFAULT_PLAN = "述职报告"
KINDS = ("个人述职", "单位总结")
_NUMBERING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．])\s*"
)
_PUNCT = str.maketrans("", "", "，,。.、；;：:“”\"'‘’（）()《》!！?？—-")  # and whitespace


@dataclass
class PlanSection:
    """One section of a plan: heading, aliases, keywords, required formulations, length."""

    id: str
    heading: str
    kind: str = "body"  # opening | body | closing
    aliases: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    length: tuple[int, int] = (0, 100000)
    guidance: str = ""
    opening: str = ""
    closing: str = ""
    default_points: list[str] = field(default_factory=list)
    fallback: bool = False
    cues: list[str] = field(default_factory=list)  # words that show the section's content in any document
    min_cues: int = 2  # cue occurrences one paragraph needs to count as this section's content
    core: bool = False  # a report of this kind must have this content (missing: error, else warning)

    def names(self) -> list[str]:
        return [self.heading, *self.aliases]


@dataclass
class Plan:
    """A section plan: the report's opening, body sections in order, and closing."""

    name: str
    kind: str
    description: str
    title: str
    opening: PlanSection
    sections: list[PlanSection]
    closing: PlanSection
    source: Path | None = None
    # The closing block (落款): lines such as "述职人：{author}" or "{unit}" ({author}, {unit},
    # {position} from the facts; a line whose values are missing is left out), then the 成文日期.
    signature: list[str] = field(default_factory=list)
    signature_date: bool = True

    def all_sections(self) -> list[PlanSection]:
        return [self.opening, *self.sections, self.closing]

    def section(self, section_id: str) -> PlanSection | None:
        return next((s for s in self.all_sections() if s.id == section_id), None)

    def find_section(self, heading: str) -> PlanSection | None:
        """The body section whose heading or an alias names `heading` best."""
        return _best_match(heading, self.sections)

    def fallback_section(self) -> PlanSection:
        return next((s for s in self.sections if s.fallback), self.sections[0])


@lru_cache(maxsize=4096)  # every heading is compared with every plan name
def normalise_heading(text: str) -> str:
    return "".join(_NUMBERING.sub("", text).translate(_PUNCT).split())


def _best_match(heading: str, sections: list[PlanSection]) -> PlanSection | None:
    key = normalise_heading(heading)
    if not key:
        return None
    best: tuple[int, PlanSection] | None = None
    for section in sections:
        for name in section.names():
            norm = normalise_heading(name)
            if not norm:
                continue
            if norm == key:
                score = 1000 + len(norm)
            elif norm in key or (len(key) >= 2 and key in norm):
                score = min(len(norm), len(key))
            else:
                continue
            if best is None or score > best[0]:
                best = (score, section)
    return best[1] if best else None


# ---------------------------------------------------------------- loading


def list_plans() -> list[Plan]:
    return [load_plan_file(p, builtin=True) for p in sorted(plans_dir().glob("*.yaml"))]


def plan_names() -> list[str]:
    return [p.stem for p in sorted(plans_dir().glob("*.yaml"))]


def load_plan(name_or_path: str) -> Plan:
    candidate = Path(name_or_path)
    if candidate.suffix.lower() in (".yaml", ".yml") or candidate.exists():
        return load_plan_file(candidate)
    builtin = plans_dir() / f"{name_or_path}.yaml"
    if builtin.exists():
        return load_plan_file(builtin, builtin=True)
    for plan in list_plans():
        if name_or_path in (plan.name, plan.kind):
            return plan
    raise PlanError(
        f"没有名为“{name_or_path}”的提纲。可用的提纲：{'、'.join(plan_names())}；"
        "也可以用 --plan 指定自己的 .yaml 提纲文件。"
    )


def resolve_plan(arg: str | None, facts: Facts | None) -> Plan:
    if arg:
        return load_plan(arg)
    wanted = (facts.report_type if facts else "") or DEFAULT_PLAN
    try:
        return load_plan(wanted)
    except PlanError as exc:
        raise PlanError(
            f"事实文件中的报告类型“{wanted}”没有对应的提纲。可用的提纲：{'、'.join(plan_names())}。"
        ) from exc


def load_plan_file(path: Path, builtin: bool = False) -> Plan:
    from draftbot.textio import read_text

    text = read_text(path, "提纲文件")
    if builtin:  # a built-in plan's parsed YAML is cached between runs (see draftbot.datacache)
        from draftbot.datacache import parsed

        data = parsed("yaml-1", str(path), text, lambda t: _parse_yaml(path, t))
    else:
        data = _parse_yaml(path, text)
    return _PlanValidator(path).plan(data)


def _parse_yaml(path: Path, text: str):
    from draftbot.yamlio import YamlSyntaxError, load_yaml

    try:
        return load_yaml(text)
    except YamlSyntaxError as exc:
        raise PlanError(f"提纲文件“{path}”{exc.where()}不是合法的 YAML：{exc.problem}") from exc


class _PlanValidator:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, problem: str) -> PlanError:
        return PlanError(f"提纲文件“{self.path}”中 {where}：{problem}")

    def plan(self, data: object) -> Plan:
        if not isinstance(data, dict):
            raise self.fail("顶层", "应为键值结构（name、kind、opening、sections、closing）")
        for key in ("name", "kind", "sections"):
            if key not in data:
                raise self.fail("顶层", f"缺少必填项“{key}”")
        kind = self.text(data, "kind", "顶层")
        if kind not in KINDS:
            raise self.fail("kind", f"应为 {' 或 '.join(KINDS)}，而不是“{kind}”")
        raw_sections = data["sections"]
        if not isinstance(raw_sections, list) or not raw_sections:
            raise self.fail("sections", "应为至少包含一个部分的列表")
        sections = [self.section(s, f"sections 第 {i + 1} 项", "body") for i, s in enumerate(raw_sections)]
        opening = self.section(data.get("opening") or {"id": "opening"}, "opening", "opening")
        closing = self.section(data.get("closing") or {"id": "closing"}, "closing", "closing")
        ids = [s.id for s in (opening, *sections, closing)]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise self.fail("sections", f"部分 id 重复：{'、'.join(duplicates)}")
        lines, dated = self.signature(data.get("signature"), kind)
        return Plan(
            name=self.text(data, "name", "顶层"),
            kind=kind,
            description=str(data.get("description", "")),
            title=str(data.get("title", "{period}工作报告")),
            opening=opening,
            sections=sections,
            closing=closing,
            source=self.path,
            signature=lines,
            signature_date=dated,
        )

    def signature(self, value, kind: str) -> tuple[list[str], bool]:
        """`signature:` false (no closing block), or {lines: [...], date: true/false}; absent: the
        genre's default (述职人 for a personal report, the unit for a unit's summary, and the date)."""
        if value is None:
            return (["{unit}"] if kind == "单位总结" else ["述职人：{author}"]), True
        if value is False:
            return [], False
        if not isinstance(value, dict):
            raise self.fail("signature", "应为 false，或含 lines（文字列表）和 date（true/false）的设置")
        lines = value.get("lines", [])
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            raise self.fail("signature", "lines 应为文字列表，如 [\"述职人：{author}\"]")
        dated = value.get("date", True)
        if not isinstance(dated, bool):
            raise self.fail("signature", "date 应为 true 或 false")
        return list(lines), dated

    def text(self, data: dict, key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"“{key}”应为非空文字")
        return value.strip()

    def strings(self, data: dict, key: str, where: str) -> list[str]:
        value = data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(where, f"“{key}”应为文字列表")
        return [v.strip() for v in value]

    def length(self, data: dict, where: str) -> tuple[int, int]:
        value = data.get("length", [0, 100000])
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and v >= 0 for v in value)
            and value[0] <= value[1]
        )
        if not ok:
            raise self.fail(where, "“length”应为 [最少字数, 最多字数]，且最少不大于最多")
        return value[0], value[1]

    def section(self, data: object, where: str, kind: str) -> PlanSection:
        if not isinstance(data, dict):
            raise self.fail(where, "应为键值结构（id、heading、aliases……）")
        known = {
            "id",
            "heading",
            "aliases",
            "keywords",
            "required",
            "length",
            "guidance",
            "opening",
            "closing",
            "default_points",
            "fallback",
            "cues",
            "min_cues",
            "core",
        }
        unknown = sorted(set(map(str, data)) - known)
        if unknown:
            raise self.fail(where, f"不认识的项：{'、'.join(unknown)}")
        section_id = self.text(data, "id", where)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", section_id):
            raise self.fail(where, f"id“{section_id}”只能由小写字母、数字和下划线组成")
        where = f"{where}（{section_id}）"
        if kind == "body":
            heading = self.text(data, "heading", where)
        else:
            heading = str(data.get("heading", "开头" if kind == "opening" else "结束语"))
        return PlanSection(
            id=section_id,
            heading=heading,
            kind=kind,
            aliases=self.strings(data, "aliases", where),
            keywords=self.strings(data, "keywords", where),
            required=self.strings(data, "required", where),
            length=self.length(data, where),
            guidance=str(data.get("guidance", "")).strip(),
            opening=str(data.get("opening", "")).strip(),
            closing=str(data.get("closing", "")).strip(),
            default_points=self.strings(data, "default_points", where),
            fallback=bool(data.get("fallback", False)),
            cues=self.strings(data, "cues", where),
            min_cues=self.count(data, "min_cues", where),
            core=bool(data.get("core", False)),
        )

    def count(self, data: dict, key: str, where: str) -> int:
        value = data.get(key, 2)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(where, f"“{key}”应为正整数")
        return value


# ---------------------------------------------------------------- routing


@dataclass(frozen=True, slots=True)
class Routing:
    """Facts assigned to plan sections; `notes` say what was routed by keyword."""

    by_section: dict[str, list[FactGroup]]
    notes: list[str]

    def groups(self, section_id: str) -> list[FactGroup]:
        return self.by_section.get(section_id, [])


def route_facts(facts: Facts, plan: Plan) -> Routing:
    routable = [plan.opening, *plan.sections]
    routing = Routing({s.id: [] for s in routable}, [])
    for group in facts.groups:
        target = _best_match(group.heading, routable) if group.heading else None
        if target is not None:
            routing.by_section[target.id].append(group)
            continue
        if group.heading:
            target = _keyword_section(_group_text(group), plan)
            routing.by_section[target.id].append(group)
            routing.notes.append(
                f"事实标题“{group.heading}”（第 {group.line} 行）没有对应的部分，已按关键词归入“{target.heading}”。"
            )
            continue
        for fact in group.all_facts():  # flat bullets: route one by one
            target = _keyword_section(fact.text, plan)
            _append_fact(routing.by_section[target.id], fact)
            routing.notes.append(f"第 {fact.line} 行的要点未放在标题下，已按关键词归入“{target.heading}”。")
    return routing


def _group_text(group: FactGroup) -> str:
    return group.heading + "\n" + "\n".join(f.text for f in group.all_facts())


def _keyword_section(text: str, plan: Plan) -> PlanSection:
    best, best_score = plan.fallback_section(), 0
    for section in plan.sections:
        score = sum(text.count(k) * len(k) for k in section.keywords)
        if score > best_score:
            best, best_score = section, score
    return best


def _append_fact(groups: list[FactGroup], fact: Fact) -> None:
    untitled = next((g for g in groups if not g.heading), None)
    if untitled is None:
        untitled = FactGroup("", fact.line)
        groups.insert(0, untitled)
    untitled.facts.append(fact)


def signature_lines(plan: Plan, meta: dict, when) -> list[str]:
    """The closing block of a draft: the plan's signature lines with the facts' author/unit/position
    (a line whose values are missing is left out), then the 成文日期 in Arabic numerals (GB/T 9704)."""
    values = {key: str(meta.get(key) or "").strip() for key in ("author", "unit", "position")}
    lines = []
    for template in plan.signature:
        names = re.findall(r"\{(\w+)\}", template)
        if all(values.get(name) for name in names):
            lines.append(re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template))
    if plan.signature_date and when is not None:
        lines.append(f"{when.year}年{when.month}月{when.day}日")
    return lines
