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

  draftbot check 草稿.md --fix                （只改必错的错别字和规范表述，原文件留 .bak）

  draftbot check 草稿.md --ignore typo:份内   （确认不用改，以后不再报告；--show-ignored 查看）
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
    fix: bool = typer.Option(False, "--fix", help="自动改正必错的错别字、规范表述和看不见的字符（原文件留 .bak，列出每处改动）。"),
    ignore: list[str] = typer.Option(
        None, "--ignore", help="把“规则:文字”的问题记为已确认不用改（存在草稿旁的 .ignore.yaml），可写多次。"
    ),
    show_ignored: bool = typer.Option(False, "--show-ignored", help="也列出已忽略的问题。"),
    last_year: Path | None = typer.Option(
        None, "--last-year", help="去年的报告（.docx/.md/.txt）：查照搬去年的句子、沿用去年的数字，列出去年打算的落实情况。"
    ),
) -> None:
    from draftbot.checks.finding import LEVELS, filter_level
    from draftbot.checks.run import check_draft  # not via workflow: check stays light to start

    if output_format not in FORMATS:
        raise InputError(f"--format 只能是 text、line 或 json，而不是“{output_format}”。")
    if min_level not in LEVELS:
        raise InputError(f"--min-level 只能是 info、warning 或 error，而不是“{min_level}”。")
    if period is not None and not 1949 <= period <= 2100:
        raise InputError(f"--period 应是四位年份（如 2026），而不是“{period}”。")
    report = check_draft(draft, facts=facts, plan=plan, samples=samples, period=period, rules=rules,
                         last_year=last_year)  # fmt: skip
    if ignore:  # validated and recorded before --fix touches the file: an ignored finding is never fixed
        _ignore(draft, report, ignore)
    if fix:
        report = _fix(draft, report, lambda: check_draft(draft, facts=facts, plan=plan, samples=samples,
                                                         period=period, rules=rules, last_year=last_year))
    findings, hidden = _without_ignored(draft, report, show_ignored)
    shown = filter_level(findings, min_level)
    _print(shown, report, output_format)
    if any(f.level == "error" for f in findings):
        raise typer.Exit(EXIT_CHECK_ERRORS)


def _fix(draft: Path, report, recheck):
    """Apply the certain fixes, keep the original as .bak, list each change; the report of the fixed file."""
    from draftbot.checks.accept import apply_fixes, load_ignored, split_ignored
    from draftbot.redact import clean
    from draftbot.textio import decode_bytes, read_bytes, write_bytes_safely

    if draft.suffix.lower() == ".docx":
        raise InputError("--fix 只能改 .md/.txt 文本；Word 文件请在 Word 中按检查结果修改。")
    target = draft.resolve() if draft.is_symlink() else draft  # a link is written through, never replaced
    data = read_bytes(target, "草稿")
    text = decode_bytes(data, f"草稿“{draft}”")
    findings, _ = split_ignored(report.findings, load_ignored(draft))
    fixed, changes = apply_fixes(draft, text, findings)
    if not changes:
        sys.stderr.write("没有可以自动改正的问题（--fix 只改必错的错别字、规范表述和看不见的字符）。\n")
        return report
    backup = write_bytes_safely(target, _encoded_like(clean(fixed), data), force=True, what="草稿")
    sys.stderr.write(f"已改正 {len(changes)} 处（原文件保留为 {backup}）：\n")
    for line, old, new in changes:
        shown_old = old.encode("unicode_escape").decode() if not old.strip() or not old.isprintable() else old
        sys.stderr.write(f"  第 {line} 行：“{shown_old}” → “{new}”\n")
    return recheck()


def _encoded_like(text: str, original: bytes) -> bytes:
    """`text` (LF line ends) in the original file's encoding, BOM and line ends (CRLF stays CRLF)."""
    if b"\r\n" in original:
        text = text.replace("\n", "\r\n")
    elif b"\r" in original:
        text = text.replace("\n", "\r")
    if original.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            original.decode("utf-16")
            codec = "utf-16-le" if original.startswith(b"\xff\xfe") else "utf-16-be"
            return original[:2] + text.encode(codec)
        except UnicodeDecodeError:
            pass
    bom = b"\xef\xbb\xbf" if original.startswith(b"\xef\xbb\xbf") else b""
    try:
        original.decode("utf-8")
    except UnicodeDecodeError:
        return text.encode("gb18030")  # decoded as GBK/GB18030: written back the same way
    return bom + text.encode("utf-8")


def _ignore(draft: Path, report, specs: list[str]) -> None:
    from draftbot.checks.accept import add_ignored, ignore_path

    added = add_ignored(draft, specs, report.findings)
    for entry in added:
        sys.stderr.write(f"已忽略：{entry['rule']}“{entry['text']}”（记录在 {ignore_path(draft)}）\n")


def _without_ignored(draft: Path, report, show: bool):
    """(findings that count, the ignored ones); notes say how many were ignored and where."""
    from draftbot.checks.accept import ignore_path, load_ignored, split_ignored

    ignored = load_ignored(draft)
    if not ignored:
        return report.findings, []
    kept, hidden = split_ignored(report.findings, ignored)
    if hidden:
        how = "已列在上面，标有“已忽略”" if show else "加 --show-ignored 查看"
        report.notes.append(f"按 {ignore_path(draft).name} 忽略了 {len(hidden)} 处已确认不用改的问题（{how}）。")
    if show:
        from dataclasses import replace

        kept = kept + [replace(f, message="【已忽略】" + f.message, level="info") for f in hidden]
    return kept, hidden


def _print(findings, report, output_format: str) -> None:
    from draftbot.checks.finding import format_json, format_line

    if output_format == "line":
        sys.stdout.write(format_line(findings, report.path))
    elif output_format == "json":
        extra = _json_extra(report)
        promises = report.inputs.promises if report.inputs is not None else None
        if promises is not None:
            from dataclasses import asdict

            extra["promises"] = [asdict(p) for p in promises]
        sys.stdout.write(format_json(findings, report.path, report.notes, report.regen_args, report.rules_version,
                                     extra))  # fmt: skip
    else:
        from draftbot.checks.finding import render_text

        render_text(findings, report.path, _terminal_console(), report.notes, report.regen_args,
                    report.rules_version)
        if report.inputs is not None and report.inputs.promises is not None:
            from draftbot.lastyear import promise_lines

            sys.stdout.write("\n" + "\n".join(promise_lines(report.inputs.promises)) + "\n")


def _json_extra(report) -> dict:
    """The 事实依据 of every figure (its sentence and facts bullet, or 待核实) for --format json."""
    from draftbot.evidence import evidence_counts, figure_evidence

    inputs = report.inputs
    if inputs is None or inputs.facts is None:
        return {}
    rules = inputs.rules
    rows = figure_evidence(report.text, inputs.facts, period=inputs.period,
                           allowed_years=rules.allowed_years if rules else (),
                           options=rules.figure_options() if rules else None)  # fmt: skip
    return {"figures": [row.to_dict() for row in rows], "figure_counts": evidence_counts(rows)}


def _terminal_console():
    """Colour (rich) for a person at a terminal; plain text, without importing rich, when piped."""
    if not sys.stdout.isatty():
        return None
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)
