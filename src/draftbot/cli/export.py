"""`draftbot export DRAFT`: the draft as a GB/T 9704-2012 Word file, check findings as comments."""

from __future__ import annotations

from pathlib import Path

import typer

from draftbot.cli.app import app, echo
from draftbot.cli.options import print_export

EXPORT_HELP = """把草稿导出为 Word 文件（.docx），版式符合 GB/T 9704-2012《党政机关公文格式》。

A4 纸，上 37、下 35、左 28、右 26 毫米，每页 22 行、每行 28 字；标题二号方正小标宋简体，正文三号仿宋_GB2312，“一、”黑体，“（一）”楷体，“1.”仿宋加粗；页码“— 1 —”四号宋体，单页居右、双页居左。

检查发现的问题作为 Word 批注标在对应文字上（缺少的内容标在该部分的标题上），用 --no-comments 不加批注。同一份草稿每次导出的文件完全相同。

电脑上没有仿宋_GB2312 等字体时，用 --fonts windows（Windows 自带字体）或 --fonts noto（Linux），或用 --font 单独指定，如 --font body=仿宋；也可以设置环境变量 DRAFTBOT_FONTS=windows。

示例：

  draftbot export 要点.draft.md

  draftbot export 要点.draft.md -o 述职报告.docx --no-comments

  draftbot export 要点.draft.md --fonts windows --font title=华文中宋

  draftbot export 要点.draft.md --evidence                另出“事实依据”表，供审核签字

  draftbot export 要点.draft.md --evidence --last-year 2025年述职报告.docx
"""

@app.command("export", help=EXPORT_HELP)
def export(
    draft: Path = typer.Argument(..., metavar="草稿", help="草稿文件（draftbot 生成的 .md，也可以是 .txt 或 .docx）。"),
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
    evidence: bool = typer.Option(
        False, "--evidence", help="另外导出“事实依据”表（报告名.事实依据.docx）：每个数字的原句和出处，找不到出处的标“待核实”。"
    ),
    last_year: Path | None = typer.Option(
        None, "--last-year", help="去年的报告（.docx/.md/.txt）：在审核用表中加“去年打算落实情况”（兑现/部分/未提及）。"
    ),
) -> None:
    from draftbot.workflow import export_word, resolve_font_options

    font_set = resolve_font_options(fonts, font)
    options = {"facts": facts, "plan": plan, "samples": samples, "period": period}
    result = export_word(
        draft,
        output,
        comments=not no_comments,
        fonts=font_set,
        force=force,
        check_options=options,
        min_level=min_level,
        evidence=evidence,
        last_year=last_year,
    )
    print_export(result)
    if result.evidence_path is not None:
        from draftbot.evidence import evidence_counts

        counts = evidence_counts(result.evidence)
        what = (f"数字 {len(result.evidence)} 个：有依据 {counts['有依据']}，报告年度 {counts['报告期']}，"
                f"待核实 {counts['待核实']}") if evidence else "去年打算落实情况"  # fmt: skip
        echo(f"已导出审核用表：{result.evidence_path}（{what}）")
