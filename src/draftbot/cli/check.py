"""`draftbot check DRAFT`: review a draft against its facts, plan and samples."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from draftbot.cli.app import app
from draftbot.errors import EXIT_CHECK_ERRORS, InputError

CHECK_HELP = """检查草稿：编造的数字、遗漏的事实、照抄范文、未填的空白、过时或不规范的提法、缺少的部分。

草稿可以是 draftbot 生成的草稿（事实文件、提纲、年度从草稿开头的信息中读取，按提纲逐部分检查），
也可以是任何 .md/.txt 文本：“第一部分”“一、”“一.”“（一）”“1.”开头的行和 Markdown 标题被识别为标题，
提纲只作参照（某部分的内容全文都没有才算缺少）；未给 --period 时按标题或开头的年份检查。还可以是在
Word、WPS 中修改过的 .docx（问题位置按段落给出）。

退出码：0 没有错误；1 有错误级别的问题；2 输入有误。

示例：

  draftbot check 要点.draft.md

  draftbot check 报告.txt --facts 要点.md --plan 述职报告 --period 2026

  draftbot check 草稿.md --format line --min-level error

  draftbot check 草稿.md --rules 本单位规则/

  draftbot check 我改过的报告.docx
"""

FORMATS = ("text", "line", "json")


@app.command("check", help=CHECK_HELP)
def check(
    draft: Path = typer.Argument(..., metavar="草稿", help="要检查的草稿（.md/.txt，或导出后在 Word 中修改过的 .docx）。"),
    facts: Path | None = typer.Option(None, "--facts", help="事实要点文件；默认取草稿开头记录的事实文件。"),
    plan: str | None = typer.Option(None, "--plan", help="提纲名称或 .yaml 文件；默认取草稿记录的提纲。"),
    samples: Path | None = typer.Option(None, "--samples", help="自己的范文文件夹，代替内置范文检查照抄。"),
    period: int | None = typer.Option(
        None, "--period", help="报告年度，如 2026；默认取草稿或事实文件中的年度。"
    ),
    output_format: str = typer.Option("text", "--format", help="输出格式：text（默认）、line 或 json。"),
    min_level: str = typer.Option(
        "info", "--min-level", help="只显示不低于该级别的问题：info、warning、error。"
    ),
    rules: Path | None = typer.Option(None, "--rules", help="追加的规则文件夹（.yaml），扩展内置规则。"),
) -> None:
    from draftbot.checks.finding import LEVELS, filter_level
    from draftbot.checks.run import check_report  # not via workflow: check stays light to start

    if output_format not in FORMATS:
        raise InputError(f"--format 只能是 text、line 或 json，而不是“{output_format}”。")
    if min_level not in LEVELS:
        raise InputError(f"--min-level 只能是 info、warning 或 error，而不是“{min_level}”。")
    if period is not None and not 1949 <= period <= 2100:
        raise InputError(f"--period 应是四位年份（如 2026），而不是“{period}”。")
    report = check_report(draft, facts=facts, plan=plan, samples=samples, period=period, rules=rules)
    shown = filter_level(report.findings, min_level)
    _print(shown, report, output_format)
    if report.has_errors:
        raise typer.Exit(EXIT_CHECK_ERRORS)


def _print(findings, report, output_format: str) -> None:
    from draftbot.checks.finding import format_json, format_line

    if output_format == "line":
        sys.stdout.write(format_line(findings, report.path))
    elif output_format == "json":
        sys.stdout.write(format_json(findings, report.path, report.notes, report.regen_args))
    else:
        from draftbot.checks.finding import render_text

        render_text(findings, report.path, _terminal_console(), report.notes, report.regen_args)


def _terminal_console():
    """Colour (rich) for a person at a terminal; plain text, without importing rich, when piped."""
    if not sys.stdout.isatty():
        return None
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)
