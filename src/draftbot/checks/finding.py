"""One finding record and the three ways to print a list of them (text, line, json)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

LEVELS = ("info", "warning", "error")
LEVEL_NAMES = {"error": "错误", "warning": "警告", "info": "提示"}


def rule_label(rule: str) -> str:
    """The Chinese name of a rule (never its English id), as its check kind declares it
    (checks.registry; registered once the checks have run)."""
    from draftbot.checks.registry import rule_label as declared

    return declared(rule) or "其他问题"


def level_rank(level: str) -> int:
    return LEVELS.index(level)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a draft. `line` and `column` are 1-based positions in the draft file;
    `section` names the section ("二、履职尽责", or "" for the whole document) and
    `section_index` is its 1-based position among the draft's sections (for `regen --section`)."""

    rule: str
    level: str
    message: str
    line: int = 1
    column: int = 1
    text: str = ""
    suggestion: str = ""
    section: str = ""
    section_index: int | None = None

    def sort_key(self) -> tuple:
        return (self.line, self.column, self.rule, self.message, self.text)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Summary:
    """Counts of a list of findings, for the summary line and --format json."""

    errors: int = 0
    warnings: int = 0
    infos: int = 0
    placeholders: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    sections_with_errors: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.errors + self.warnings + self.infos


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(set(findings), key=Finding.sort_key)


def filter_level(findings: list[Finding], min_level: str) -> list[Finding]:
    floor = level_rank(min_level)
    return [f for f in findings if level_rank(f.level) >= floor]


def summarize(findings: list[Finding], skipped: list[str] | None = None) -> Summary:
    levels = Counter(f.level for f in findings)
    sections = sorted({f.section_index for f in findings if f.level == "error" and f.section_index})
    return Summary(
        errors=levels["error"],
        warnings=levels["warning"],
        infos=levels["info"],
        placeholders=sum(1 for f in findings if f.rule == "placeholder"),
        by_rule=dict(sorted(Counter(f.rule for f in findings).items())),
        sections_with_errors=sections,
        skipped=list(skipped or []),
    )


def unchecked(notes: list[str]) -> list[str]:
    """The notes that say a check was not run (as opposed to notes that only inform)."""
    return [n for n in notes if "跳过" in n or "没有检查" in n]


def summary_line(summary: Summary) -> str:
    if not summary.total and unchecked(summary.skipped):
        text = f"未发现问题，但有 {len(unchecked(summary.skipped))} 项检查没有做（原因见上），不能算检查通过。"
    elif not summary.total:
        text = "检查通过：未发现问题。"
    else:
        text = (
            f"共 {summary.total} 处问题：错误 {summary.errors}，警告 {summary.warnings}，提示 {summary.infos}"
        )
        if summary.placeholders:
            text += f"；待填空白 {summary.placeholders} 处"
        text += "。"
    return text


# ------------------------------------------------------------------ formats


def format_line(findings: list[Finding], path: str) -> str:
    """`path:line:col:level:rule:message`, one per finding, sorted; stable for editors and CI."""
    rows = [
        f"{path}:{f.line}:{f.column}:{f.level}:{f.rule}:{_one_line(f.message)}" for f in sort_findings(findings)
    ]
    return "\n".join(rows) + ("\n" if rows else "")


def format_json(findings: list[Finding], path: str, skipped: list[str] | None = None,
                regen_args: str = "", rules_version: str = "", extra: dict | None = None) -> str:
    import json  # only this format needs it (3 ms at start-up)

    ordered = sort_findings(findings)
    summary = summarize(ordered, skipped)
    data = {
        "path": path,
        "rules_version": rules_version,
        "findings": [f.to_dict() for f in ordered],
        "summary": {
            "errors": summary.errors,
            "warnings": summary.warnings,
            "infos": summary.infos,
            "total": summary.total,
            "placeholders": summary.placeholders,
            "by_rule": summary.by_rule,
            "sections_with_errors": summary.sections_with_errors,
            "regen": [regen_command(path, n, regen_args) for n in summary.sections_with_errors],
            "skipped": summary.skipped,
            "complete": not unchecked(summary.skipped),
        },
        **(extra or {}),
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def regen_command(path: str, section_index: int | str, args: str = "") -> str:
    """The command that rewrites one section; `args` what a text draftbot did not write needs
    besides (its facts and plan: see regen_args_for_other_document)."""
    return f"draftbot regen {_quote(path)} --section {section_index}{args}"


def regen_args_for_other_document(path: str, facts: str | None, plan: str | None) -> str:
    """--facts and --plan for regenerating a section of a text draftbot did not write (it records
    neither; regen rewrites only that part of the file)."""
    return f" --facts {_quote(facts or '要点.md')} --plan {_quote(plan or '述职报告')}"


Segment = tuple[str, str]  # (text, rich style or "")


def text_lines(findings: list[Finding], path: str, skipped: list[str] | None = None,
               regen_args: str = "", rules_version: str = "") -> list[list[Segment]]:
    """The `text` format: findings grouped by section, then the summary and regen commands."""
    ordered = sort_findings(findings)
    summary = summarize(ordered, skipped)
    style = {"error": "bold red", "warning": "yellow", "info": "cyan"}
    groups: dict[tuple[int, str], list[Finding]] = {}
    for f in ordered:
        groups.setdefault((f.section_index or 0, f.section), []).append(f)
    lines: list[list[Segment]] = [[(f"检查 {path}", "bold")] + ([(f"（规则库 {rules_version}）", "dim")] if rules_version else [])]
    for (_, section), items in sorted(groups.items(), key=lambda kv: (kv[0][0], min(f.line for f in kv[1]))):
        lines += [[], [(section or "全文", "bold")]]
        for f in items:
            quoted = f" “{_clip(f.text)}”" if f.text else ""
            lines.append(
                [
                    (f"  {f.line}:{f.column}".ljust(10) + "  ", ""),
                    (LEVEL_NAMES[f.level], style[f.level]),
                    (f"  {rule_label(f.rule)}{quoted}  {f.message}", ""),
                ]
            )
            if f.suggestion:
                lines.append([(f"            建议：{f.suggestion}", "dim")])
    for note in summary.skipped:
        lines += [[], [(f"注意：{note}", "bold yellow") if note in unchecked([note]) else (note, "dim")]]
    colour = "red" if summary.errors else ("yellow" if summary.warnings else "green")
    lines += [[], [(summary_line(summary), f"bold {colour}")]]
    if summary.sections_with_errors:
        lines.append([("以下部分有错误，可以重新生成：", "")])
        lines += [[(f"  {regen_command(path, n, regen_args)}", "")] for n in summary.sections_with_errors]
    return lines


def render_text(findings: list[Finding], path: str, console=None, skipped: list[str] | None = None,
                regen_args: str = "", rules_version: str = "") -> None:
    """Print the `text` format: on a rich Console in colour, or as plain text when console is None."""
    lines = text_lines(findings, path, skipped, regen_args, rules_version)
    if console is None:
        import sys

        sys.stdout.write("".join("".join(text for text, _ in line) + "\n" for line in lines))
        return
    from rich.text import Text

    for line in lines:
        console.print(Text.assemble(*line) if line else "")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, width: int = 24) -> str:
    text = _one_line(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def shell_path(path: str) -> str:
    """`path` as typed in a shell command: unquoted when safe (Chinese included), else single-quoted."""
    return _quote(path)


def _quote(path: str) -> str:
    if path and all(ch.isalnum() or ch in "/._-+" or ord(ch) > 127 for ch in path):
        return path
    return "'" + path.replace("'", "'\\''") + "'"
