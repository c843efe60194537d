"""`draftbot export DRAFT`: the draft as a GB/T 9704-2012 Word file, check findings as comments."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path

import typer

from draftbot.cli.app import app, echo
from draftbot.errors import InputError

EXPORT_HELP = """把草稿导出为 Word 文件（.docx），版式符合 GB/T 9704-2012《党政机关公文格式》。

A4 纸，上 37、下 35、左 28、右 26 毫米，每页 22 行、每行 28 字；标题二号方正小标宋简体，正文三号仿宋_GB2312，“一、”黑体，“（一）”楷体，“1.”仿宋加粗；页码“— 1 —”四号宋体，单页居右、双页居左。

检查发现的问题作为 Word 批注标在对应文字上（缺少的内容标在该部分的标题上），用 --no-comments 不加批注。同一份草稿每次导出的文件完全相同。

电脑上没有仿宋_GB2312 等字体时，用 --fonts windows（Windows 自带字体）或 --fonts noto（Linux），或用 --font 单独指定，如 --font body=仿宋；也可以设置环境变量 DRAFTBOT_FONTS=windows。

示例：

  draftbot export 要点.draft.md

  draftbot export 要点.draft.md -o 述职报告.docx --no-comments

  draftbot export 要点.draft.md --fonts windows --font title=华文中宋
"""

LEVELS = ("info", "warning", "error")
FONTS_ENV = "DRAFTBOT_FONTS"


@dataclass
class ExportResult:
    path: Path
    backup: Path | None = None
    findings: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    comments: bool = True

    def describe(self) -> str:
        if not self.comments:
            return f"已导出 Word 文件：{self.path}（未加批注）"
        if not self.findings:
            return f"已导出 Word 文件：{self.path}（检查未发现问题，没有批注）"
        counts = {level: sum(1 for f in self.findings if f.level == level) for level in LEVELS}
        return (
            f"已导出 Word 文件：{self.path}（批注 {len(self.findings)} 条：错误 {counts['error']}，"
            f"警告 {counts['warning']}，提示 {counts['info']}）"
        )


def default_docx_path(draft_path: Path) -> Path:
    """要点.draft.md -> 要点.docx ; 报告.txt -> 报告.docx"""
    stem = draft_path.stem
    if stem.endswith(".draft"):
        stem = stem[: -len(".draft")]
    return draft_path.with_name(f"{stem}.docx")


def docx_beside(draft_path: Path, facts_path: Path) -> Path:
    """The .docx `write --docx` makes next to the draft; never the facts file itself (要点.docx)."""
    out = default_docx_path(draft_path)
    from draftbot.textio import resolved

    if resolved(out) == resolved(facts_path):
        out = draft_path.with_suffix(".docx")
    return out


def check_output(out: Path, *, force: bool, source: Path | None = None) -> None:
    """Refuse before any work: a folder, a missing folder, the draft itself, or a file without --force."""
    if out.suffix.lower() != ".docx":
        raise InputError(f"输出文件“{out}”应以 .docx 结尾。")
    from draftbot.textio import check_target, resolved

    check_target(out)
    if source is not None and resolved(out) == resolved(source):
        raise InputError(f"输出文件“{out}”与草稿是同一个文件，请用 -o 指定新的文件名。")
    if not out.parent.exists():
        raise InputError(f"输出文件夹“{out.parent}”不存在。")
    if out.exists() and not force:
        raise InputError(
            f"Word 文件“{out}”已存在，未覆盖（里面可能有您在 Word 中的修改）。",
            hint="加 --force 覆盖（旧文件会保留为 .bak 备份），或用 -o 指定新的文件名。",
        )


def export_docx(
    draft,
    out: Path,
    *,
    comments: bool = True,
    fonts=None,
    force: bool = False,
    check_options: dict | None = None,
    min_level: str = "info",
    report=None,
) -> ExportResult:
    """Check the draft (unless comments are off), then write the .docx, keeping a backup of an old one.

    `report`: a check report of this very draft's text, when the caller has one already.
    """
    from draftbot.export.docx_writer import build_docx, write_bytes
    from draftbot.textio import backup_path

    check_output(out, force=force, source=draft.path)
    result = ExportResult(out, comments=comments)
    source_text = draft.render()  # the text the findings' line numbers refer to
    if comments:
        result.findings, result.notes = _findings(draft, check_options or {}, min_level, report)
    data = build_docx(
        _for_output(draft, out),
        findings=result.findings,
        fonts=fonts,
        comments=comments,
        source_text=source_text,
    )
    if out.exists():
        result.backup = backup_path(out)
        os.replace(out, result.backup)
    write_bytes(out, data)
    return result


def _findings(draft, options: dict, min_level: str, report=None) -> tuple[list, list[str]]:
    from draftbot.checks.finding import filter_level
    from draftbot.checks.run import check_draft

    report = report or check_draft(draft, **options)
    return filter_level(report.findings, min_level), list(report.notes)


def _for_output(draft, out: Path):
    """A copy whose recorded facts path is relative to the .docx's folder, so check finds it there."""
    from draftbot.textio import resolved

    recorded = draft.meta.get("facts") if draft.meta else None
    if not recorded or draft.path is None:
        return draft
    facts = Path(str(recorded))
    if not facts.is_absolute():
        facts = resolved(Path(draft.path).parent / facts)
    copied = copy.copy(draft)
    copied.meta = dict(draft.meta)
    try:
        copied.meta["facts"] = Path(os.path.relpath(facts, resolved(out).parent)).as_posix()
    except ValueError:  # another drive on Windows
        copied.meta["facts"] = str(facts)
    return copied


def resolve_font_options(preset: str | None, overrides: list[str] | None):
    from draftbot.export.fonts import resolve_fonts

    return resolve_fonts(preset or os.environ.get(FONTS_ENV) or None, overrides)


@app.command("export", help=EXPORT_HELP)
def export(
    draft: Path = typer.Argument(..., help="草稿文件（draftbot 生成的 .md，也可以是 .txt 或 .docx）。"),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Word 文件路径（默认：草稿同名 .docx）。"
    ),
    no_comments: bool = typer.Option(False, "--no-comments", help="不检查、不加批注。"),
    force: bool = typer.Option(False, "--force", help="覆盖已存在的 Word 文件（旧文件保留为 .bak 备份）。"),
    fonts: str | None = typer.Option(None, "--fonts", help="字体方案：gb2312（默认）、windows 或 noto。"),
    font: list[str] | None = typer.Option(
        None,
        "--font",
        help="单独指定字体，如 body=仿宋；可重复。角色：title、"
        "heading1、heading2、heading3、body、page_number、comment、latin。",
    ),
    facts: Path | None = typer.Option(None, "--facts", help="检查用的事实文件；默认取草稿记录的事实文件。"),
    plan: str | None = typer.Option(None, "--plan", help="检查用的提纲；默认取草稿记录的提纲。"),
    samples: Path | None = typer.Option(None, "--samples", help="检查照抄用的范文文件夹；默认内置范文。"),
    period: int | None = typer.Option(None, "--period", help="报告年度，如 2026；默认取草稿中的年度。"),
    min_level: str = typer.Option(
        "info", "--min-level", help="只把不低于该级别的问题做成批注：info、warning、error。"
    ),
) -> None:
    from draftbot.draft import load_draft

    if min_level not in LEVELS:
        raise InputError(f"--min-level 只能是 info、warning 或 error，而不是“{min_level}”。")
    font_set = resolve_font_options(fonts, font)
    out = output or default_docx_path(draft)
    check_output(out, force=force, source=draft if draft.exists() else None)
    loaded = load_draft(draft)
    options = {"facts": facts, "plan": plan, "samples": samples, "period": period}
    result = export_docx(
        loaded,
        out,
        comments=not no_comments,
        fonts=font_set,
        force=force,
        check_options=options,
        min_level=min_level,
    )
    report(result)


def report(result: ExportResult) -> None:
    for note in result.notes:
        echo(f"提示：{note}", err=True)
    if result.backup is not None:
        echo(f"原 Word 文件已备份为：{result.backup}")
    echo(result.describe())
