"""Checking one draft: resolve facts, plan, samples and period, run every registered check kind
(checks.registry) whose inputs are there, place each hit. `check_draft` is the one entry point."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from draftbot.checks.base import MAX_PER_RULE, Hit, LineIndex, blank_range, front_matter_end, mask_text
from draftbot.checks.finding import Finding, Summary, sort_findings, summarize
from draftbot.checks.registry import CheckContext, CheckKind, registered
from draftbot.checks.rules import RuleSet, load_rules
from draftbot.checks.sections import Located
from draftbot.errors import InputError

_YEAR = re.compile(r"((?:19|20)\d\d)")
_FAILED_TEXT = re.compile(r"\s*【本部分生成失败[^】\n]*】")


@dataclass
class CheckInputs:
    """What a check needs besides the draft text; each may be missing (then its checks are skipped)."""

    facts: object | None = None
    plan: object | None = None
    samples: list = field(default_factory=list)
    period: int | None = None
    rules: RuleSet | None = None
    notes: list[str] = field(default_factory=list)
    own_draft: bool = False  # a draft draftbot wrote (front matter with a `draftbot` key): the plan is binding
    period_start: int | None = None  # first year a multi-year report covers (近三年来, 2021—2025年)
    last_year: object | None = None  # lastyear.LastYear: last year's report (--last-year)
    promises: list | None = None  # lastyear.Promise per plan of last year's report, once checked


@dataclass
class CheckReport:
    """The result of checking one draft: findings, notes on skipped checks, sections."""

    path: str
    findings: list[Finding]
    notes: list[str]
    sections: list[Located]
    regen_args: str = ""  # what `regen --section N` needs besides, for a text draftbot did not write
    rules_version: str = ""  # the rule library's version (shown in every report)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # check kind id -> the inputs it lacked
    text: str = ""  # the checked text (for a .docx: one paragraph per line)
    inputs: CheckInputs | None = None  # the facts, plan and period it was checked with

    @property
    def summary(self) -> Summary:
        return summarize(self.findings, self.notes)

    @property
    def has_errors(self) -> bool:
        return any(f.level == "error" for f in self.findings)


# ------------------------------------------------------------------ the entry point


def check_draft(
    draft,
    *,
    facts=None,
    plan=None,
    samples=None,
    period: int | None = None,
    rules: str | Path | None = None,
    samples_add: bool = False,
    label: str | None = None,
    own_draft: bool | None = None,
    last_year: str | Path | None = None,
    at: str | Path | None = None,
) -> CheckReport:
    """Check a draft or any report: a path (.md/.txt/.docx), a Draft, or its text. The one check
    entry point of draftbot (the `check` command, write, regen, repair, review, export and batch).

    facts / plan / samples may be objects or paths / names; None means "as the draft's front matter
    says" (facts, plan, period) or "the built-in samples"; samples=[] skips the sample-leak check;
    samples_add: a samples folder adds to the built-in ones. rules: a folder of extra rule files.
    label: how the draft is named in findings (default: its path, or <草稿> for a text).
    own_draft: judge the text as draftbot's own draft (its plan binding section by section) or not;
    None: as its front matter says (a `draftbot` key). last_year: last year's report (.docx/.md/.txt)
    for the last-year check kind (its promises kept end up in report.inputs.promises).
    at: for a text, the file it is (to be) saved as: paths its front matter records resolve from
    there, so a text is judged exactly as `draftbot check` judges the saved file.
    Line numbers refer to the draft file (for a Draft object: to `draft.render()`). A text without
    section headings is checked as a whole (a note says what was skipped)."""
    if period is not None and not 1949 <= period <= 2100:
        raise InputError(f"报告年度应是四位年份（如 2026），而不是“{period}”。")
    text, path = _draft_text(draft)
    if path is None and at is not None:
        path = Path(at)
    from draftbot.draft import parse_draft

    parsed = parse_draft(text, path)
    if path is not None and path.suffix.lower() == ".docx" and not parsed.meta:
        from draftbot.docx_reader import docx_front_matter  # what `draftbot export` kept

        parsed.meta = docx_front_matter(path)
    inputs = resolve_inputs(parsed.meta, path, facts, plan, samples, period, rules, samples_add)
    inputs.last_year = _last_year(last_year, parsed.meta, path, inputs.notes)
    inputs.notes[:0] = _unclosed_front_matter(text, parsed)
    inputs.own_draft = "draftbot" in parsed.meta if own_draft is None else own_draft
    if inputs.period is None:
        inputs.period = _period_from_document(parsed, text, inputs.notes)
    if inputs.period is not None and not inputs.own_draft:
        inputs.period_start = _span_start(parsed, inputs.period, inputs.notes)
    report = _run(text, parsed, inputs, label or (str(path) if path else "<草稿>"))
    if not report.sections and text.strip():
        report.notes.append(
            "文中没有找到部分标题（“一、”“第一部分”“（一）”“1.”或 Markdown 标题），已跳过按部分进行的检查"
            "（部分的顺序、字数、各部分的必备表述、重新生成的命令）；错别字、规范表述、时效性、数字等其余检查照常进行，"
            "提纲各部分按全文内容判断。"
        )
    report.regen_args = _regen_args_for_other_document(parsed, path, inputs)
    report.rules_version = (inputs.rules or load_rules()).version
    report.text, report.inputs = text, inputs
    return report


def _last_year(given, meta: dict, path: Path | None, notes: list[str]):
    """Last year's report: the one given, else the one the draft's front matter records (`last_year`,
    relative to the draft's folder); a recorded one that is gone is a note, not an error."""
    from draftbot.lastyear import load_last_year

    if given is not None:
        return load_last_year(given)
    recorded = meta.get("last_year")
    if not recorded:
        return None
    where = Path(str(recorded))
    if not where.is_absolute() and path is not None:
        where = path.parent / where
    try:
        return load_last_year(where)
    except InputError as exc:
        notes.append(f"草稿记录的去年报告无法读取（{exc.message}），已跳过与去年的对照。")
        return None


def _regen_args_for_other_document(parsed, path: Path | None, inputs: CheckInputs) -> str:
    """For a text draftbot did not write: the facts, plan and new file `regen` needs to work on it."""
    from draftbot.checks.finding import regen_args_for_other_document

    if path is None or parsed.meta.get("draftbot"):
        return ""
    facts = getattr(inputs.facts, "source", None)
    plan = getattr(inputs.plan, "name", None)
    return regen_args_for_other_document(str(path), str(facts) if facts else None, plan)


def _unclosed_front_matter(text: str, parsed) -> list[str]:
    """A note when the draft opens a `---` block that never closes: nothing it records was read."""
    if parsed.meta or not text.startswith("---") or text.split("\n", 1)[0].strip() != "---":
        return []
    return [
        "草稿开头的“---”信息块没有结束的“---”行，其中记录的事实文件、提纲和年度都没有读到，"
        "依赖它们的检查没有检查（补上结束的“---”行，或用 --facts、--plan 指定）。"
    ]


def _draft_text(draft) -> tuple[str, Path | None]:
    from draftbot.draft import Draft
    from draftbot.textio import read_text

    if isinstance(draft, Draft):
        return draft.render(), draft.path
    if isinstance(draft, Path) or (isinstance(draft, str) and "\n" not in draft and len(draft) < 1000
                                   and Path(draft).suffix):
        if Path(draft).suffix.lower() == ".docx":
            from draftbot.docx_reader import read_docx_text  # line N = paragraph N

            return read_docx_text(draft), Path(draft)
        return read_text(draft, "草稿"), Path(draft)
    return str(draft), None


def resolve_inputs(meta, path, facts, plan, samples, period, rules_dir, samples_add=False) -> CheckInputs:
    inputs = CheckInputs(rules=load_rules(rules_dir))
    inputs.facts = _resolve_facts(facts, meta, path, inputs.notes)
    inputs.plan = _resolve_plan(plan, meta, inputs.facts, inputs.notes, path)
    inputs.samples = _resolve_samples(samples, samples_add, inputs.notes)
    inputs.period = _resolve_period(period, meta, inputs.facts)
    if inputs.facts is None and not any("事实文件" in n for n in inputs.notes):
        inputs.notes.append("未提供事实文件（--facts），已跳过 figure-ungrounded、fact-dropped 检查。")
    return inputs


def _resolve_facts(facts, meta, path, notes):
    from draftbot.facts import Facts, load_facts

    if isinstance(facts, Facts):
        return facts
    if facts is not None:
        return load_facts(facts)
    recorded = meta.get("facts")
    if not recorded:
        return None
    candidate = Path(str(recorded))
    if not candidate.is_absolute() and path is not None:
        candidate = Path(path).parent / candidate
    if not candidate.exists():
        notes.append(
            f"草稿记录的事实文件“{recorded}”找不到，已跳过 figure-ungrounded、fact-dropped 检查"
            "（数字是否有出处、事实是否遗漏都没有检查；可用 --facts 指定）。"
        )
        return None
    loaded = load_facts(candidate)
    recorded_sha = meta.get("facts_sha256")
    if path is not None and not _inside(candidate, Path(path).parent) and recorded_sha != loaded.sha256:
        # a received draft must not pick a file elsewhere to be read and sent to the model
        raise InputError(
            f"草稿“{path}”开头记录的事实文件“{candidate}”不在草稿所在的文件夹中，"
            "而且内容与起草时不同；为防止把别处的文件读出并发送给模型，没有读取。",
            hint=f"确认要用这个文件时，用 --facts 指定：--facts {candidate}",
        )
    if recorded_sha and loaded.sha256 and recorded_sha != loaded.sha256:
        notes.append(f"事实文件“{candidate}”在起草之后改动过，检查按改动后的内容进行。")
    return loaded


def _inside(candidate: Path, folder: Path) -> bool:
    """Whether `candidate` (links followed) is in `folder` or below it."""
    try:
        return candidate.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def _resolve_plan(plan, meta, facts, notes, path):
    from draftbot.plans import Plan, load_plan

    if isinstance(plan, Plan):
        return plan
    name = str(plan or meta.get("plan") or (facts.report_type if facts is not None else ""))
    if not name:
        notes.append("未指定提纲（--plan），已跳过章节完整性和必备表述（formulation-missing）检查。")
        return None
    beside = Path(path).parent / name if path is not None and plan is None else None
    if beside is not None and name.endswith((".yaml", ".yml")) and beside.exists():
        return load_plan(str(beside))  # a plan file recorded in the front matter, next to the draft
    return load_plan(name)


def _resolve_samples(samples, add, notes) -> list:
    from draftbot.samples import load_samples

    if samples is None:
        return load_samples()
    if isinstance(samples, (str, Path)):
        return load_samples(samples, add=add)
    if not samples:
        notes.append("未使用范文，已跳过 sample-leak 检查。")
    return list(samples)


def _resolve_period(period, meta, facts) -> int | None:
    if period:
        return int(period)
    year = _year_in(str(meta.get("period", "")))
    if year is None and facts is not None:
        year = facts.period_year
    return year


_YEAR_OF_REPORT = re.compile(r"((?:19|20)\d\d)\s*年度")
_YEAR_AT_START = re.compile(r"((?:19|20)\d\d)年")


def _period_from_document(parsed, text: str, notes: list[str]) -> int | None:
    """The report year named in the title, else the first “2019年度” near the top, else the first year
    the opening names; a note says which year was used. None (and a note) when there is none."""
    found = None
    if _year_in(parsed.title) is not None:
        found = (_year_in(parsed.title), f"标题“{parsed.title[:30]}”")
    elif m := _YEAR_OF_REPORT.search(text, front_matter_end(text), front_matter_end(text) + 1000):
        found = (int(m.group(1)), f"正文开头的“{m.group()}”")
    elif m := _YEAR_AT_START.search(parsed.opening[:200]):
        found = (int(m.group(1)), f"开头的“{m.group()}”")
    if found is None:
        notes.append("无法确定报告年度（--period），已跳过 formulation-dated 检查，必备表述不按年份筛选。")
        return None
    notes.append(f"报告年度按{found[1]}取 {found[0]} 年（可用 --period 指定）。")
    return found[0]


_SPAN = re.compile(r"(?:近|这)?([两二三四五])年(?:来|以来)|((?:19|20)\d\d)年(?:以来|至今)")
_COUNT = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5}


def _span_start(parsed, period: int, notes: list[str]) -> int | None:
    """The first year of a report that covers several (a title span 2021—2025年, or 近三年来 /
    2019年以来 in its opening), else None. Dated wording is judged against the whole span."""
    years = [int(y) for y in _YEAR.findall(parsed.title or "")]
    start, said = (years[0], f"标题“{parsed.title[:30]}”") if len(years) > 1 else (None, "")
    if start is None and (m := _SPAN.search(parsed.opening[:300])):
        start = period - _COUNT[m.group(1)] + 1 if m.group(1) else int(m.group(2))
        said = f"开头的“{m.group()}”"
    if start is None or not start < period:
        return None
    notes.append(f"报告涵盖 {start}—{period} 年（{said}），时效性表述按这一时期判断。")
    return start


def _year_in(text: str) -> int | None:
    """The report year named in `text`: the last year of a span (2021—2025年 -> 2025)."""
    years = _YEAR.findall(text or "")
    return int(years[-1]) if years else None


# ------------------------------------------------------------------ the checks


def check_kinds() -> list[CheckKind]:
    """Every registered check kind: each module of draftbot/checks/ is imported, so that its
    `@check` registrations run (a new module needs no other edit)."""
    if not _DISCOVERED:
        import importlib
        import os

        folder = os.path.dirname(__file__)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py") and not name.startswith("_"):
                importlib.import_module(f"draftbot.checks.{name[:-3]}")
        _DISCOVERED.append(True)
    return registered()


_DISCOVERED: list[bool] = []


_RULE_COLUMN = "JSON 和 --format line 中的编号；文本输出、审阅和 Word 批注中显示括号里的中文名"


def rule_table() -> str:
    """The README's rule table (Markdown, Chinese): one row per rule id of every registered kind
    (scripts/rule_table.py writes it into README.md; a test keeps the two equal)."""
    rows = [f"| 规则（{_RULE_COLUMN}） | 级别 | 检查内容 |", "|---|---|---|"]
    for kind in check_kinds():
        rows += [f"| `{rule.id}`（{rule.label}） | {rule.level} | {rule.doc} |" for rule in kind.rules]
    return "\n".join(rows) + "\n"


def _run(text: str, parsed, inputs: CheckInputs, label: str) -> CheckReport:
    rules = inputs.rules or load_rules()
    lines = LineIndex(text)
    sections = locate_sections(text, parsed, lines)
    masked = _mask_dates_line(_mask_failed(mask_text(text), sections))
    masked, failed_parts = _failed_parts(text, masked, sections, label)
    markdown = label.lower().endswith(".md") or front_matter_end(text) > 0
    ctx = CheckContext(text, masked, parsed, sections, inputs, rules, label, markdown, front_matter_end(text),
                       inputs.notes, failed_parts)
    hits: list[Hit] = []
    skipped: dict[str, list[str]] = {}
    for kind in check_kinds():
        missing = [need for need in kind.needs if not ctx.has(need)]
        if missing:
            skipped[kind.id] = missing
            continue
        hits += kind.run(ctx)
    _note_skipped(skipped, inputs.notes)
    findings = [_place(h, lines, sections) for h in cap_hits(hits)]
    return CheckReport(label, sort_findings(findings), inputs.notes, sections, skipped=skipped)


def _note_skipped(skipped: dict[str, list[str]], notes: list[str]) -> None:
    """A note for each skipped kind that no note names yet (the notes of resolve_inputs name the
    built-in ones in their own words)."""
    from draftbot.checks.registry import INPUTS, OPTIONAL_INPUTS

    kinds = {k.id: k for k in check_kinds()}
    for kind_id, missing in skipped.items():
        kind = kinds[kind_id]
        if set(missing) <= OPTIONAL_INPUTS:
            continue
        said = "\n".join(notes)
        if kind.label in said or any(rule in said for rule in kind.rule_ids):
            continue
        lacking = "、".join(INPUTS[n] for n in missing)
        notes.append(f"缺少{lacking}，已跳过 {'、'.join(kind.rule_ids)}（{kind.label}）检查。")


def cap_hits(hits: list[Hit]) -> list[Hit]:
    """At most MAX_PER_RULE hits of one rule, in text order; the rest become one counting line."""
    from collections import Counter

    from draftbot.checks.grounding import more_hit

    if max(Counter(h.rule for h in hits).values(), default=0) <= MAX_PER_RULE + 1:
        return hits
    kept, seen, extra = [], Counter(), Counter()
    for hit in sorted(hits, key=lambda h: h.start):
        seen[hit.rule] += 1
        if seen[hit.rule] <= MAX_PER_RULE:
            kept.append(hit)
        else:
            extra[hit.rule] += 1
    return kept + [more_hit(rule, count, kept[-1].start) for rule, count in extra.items()]


def locate_sections(text: str, parsed, lines: LineIndex) -> list[Located]:
    """The draft's top-level sections with their spans in `text`. A text without 一、 headings is
    split at its highest heading level present instead: 第一部分, （一）, 1. or a Markdown heading."""
    closing = text.find("<!-- draftbot:closing -->")
    end_of_text = closing if closing != -1 else len(text)
    sections = parsed.sections or _lower_level_sections(text, front_matter_end(text))
    starts = [lines.line_start(s.line) for s in sections]
    out = []
    for i, section in enumerate(sections):
        start = starts[i]
        end = starts[i + 1] if i + 1 < len(starts) else max(end_of_text, start)
        line_end = text.find("\n", start)
        line_end = len(text) if line_end == -1 else line_end
        at = text.find(section.heading, start, line_end) if section.heading else -1
        heading_end = at + len(section.heading) if at != -1 else line_end
        out.append(Located(i + 1, section.number, section.heading, section.body, start, end, heading_end,
                           section.id, section.failed, prefix="" if parsed.sections else section.number))
    return out


def _lower_level_sections(text: str, content_start: int) -> list:
    """Sections for a text without 一、 headings: the top level of its own outline (第一部分, （一）,
    1., Markdown headings)."""
    from draftbot.checks.parts import read_outline, top_level
    from draftbot.draft import DraftSection

    out = []
    for part in top_level(read_outline(text, content_start)):
        label = part.label()
        shown = label[: len(label) - len(part.heading)] if label.endswith(part.heading) else ""
        body = text[part.heading_end : part.end].strip()
        out.append(DraftSection(shown, part.heading, body, None, part.line))
    return out


def _failed_parts(text: str, masked: str, sections: list[Located], label: str) -> tuple[str, list[Hit]]:
    """Failure markers in the opening or the closing (outside every section): a section-failed
    error each, and the marker's text masked from the other checks."""
    from draftbot.draft import CLOSING_MARKER, FAILED_MARKER_RE

    if "draftbot:failed" not in text:
        return masked, []
    closing = text.find(CLOSING_MARKER)
    hits = []
    for match in FAILED_MARKER_RE.finditer(text):
        at = match.start()
        if any(s.start <= at < s.end for s in sections):
            continue
        name = "结尾" if closing != -1 and at > closing else "开头"
        visible = _FAILED_TEXT.match(text, match.end())  # the 【本部分生成失败…】 paragraph after it
        end = visible.end() if visible else match.end()
        masked = blank_range(masked, at, end)
        reason = f"（{match.group(1)}）" if match.group(1) else ""
        where = label if label != "<草稿>" else "草稿文件"
        hits.append(Hit("section-failed", "error", at, end, f"{name}生成失败{reason}，正文是失败标记，需要重新生成。",
                        f"运行 draftbot regen {where} --section {name} 重写{name}。"))
    return masked, hits


_DATE_LINE = re.compile(r"^[ \t]*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[ \t]*$", re.M)


def _mask_dates_line(masked: str) -> str:
    """A line that is only a date is the 成文日期 of the closing block, not a figure to source."""
    for match in _DATE_LINE.finditer(masked):
        masked = blank_range(masked, match.start(), match.end())
    return masked


def _mask_failed(masked: str, sections: list[Located]) -> str:
    for s in sections:
        if s.failed:
            masked = blank_range(masked, s.heading_end, s.end)
    return masked


def _place(hit: Hit, lines: LineIndex, sections: list[Located]) -> Finding:
    line, column = lines.line_col(hit.start)
    index = hit.section_index
    section = None
    if index is not None:
        section = sections[index - 1]
    elif hit.end > hit.start or hit.start > 0:
        section = next((s for s in sections if s.start <= hit.start < s.end), None)
    text = lines.text[hit.start : hit.end]
    return Finding(
        rule=hit.rule, level=hit.level, message=hit.message, line=line, column=column, text=text,
        suggestion=hit.suggestion, section=section.label if section else "",
        section_index=section.index if section else None,
    )
