"""`draftbot import 报告.docx`: an exported report edited in Word/WPS back to a Markdown draft."""

from __future__ import annotations

from pathlib import Path

import typer

from draftbot.cli.app import app, echo

IMPORT_HELP = """把在 Word/WPS 中修改过的报告（.docx）转回 Markdown 草稿。

draftbot 导出的 .docx 里保存着草稿开头的信息（事实文件、提纲、年度等），转回后可以照常 check、regen、
export；修订模式下插入的文字算作正文，删除的不算。同时列出导出以后每个部分改了什么（改动、新增、删除几段）。
已存在的草稿不会被覆盖，加 --force 覆盖（旧文件保留为 .bak 备份）。

示例：

  draftbot import 报告.docx                      生成 报告.draft.md

  draftbot import 报告.docx -o 定稿.draft.md --force
"""


@app.command("import", help=IMPORT_HELP)
def import_command(
    docx: Path = typer.Argument(..., metavar="文档", help="要转回草稿的 .docx 文件。"),
    output: Path | None = typer.Option(None, "-o", "--output", help="草稿路径（默认：同名 .draft.md）。"),
    force: bool = typer.Option(False, "--force", help="覆盖已存在的草稿（旧文件保留为 .bak 备份）。"),
) -> None:
    from draftbot.workflow import import_docx

    result = import_docx(docx, output, force=force)
    echo(f"已转回草稿：{result.path}" + (f"（原文件备份为：{result.backup}）" if result.backup else ""))
    if result.state == "none":
        echo("提示：这个文件不是 draftbot 导出的，没有开头信息；检查或重新生成时请用 --facts、--plan 指定。")
    elif result.state == "damaged":
        echo(f"提示：文件中 draftbot 保存的草稿信息已损坏（{result.problem}），开头信息没有恢复。")
    elif result.changes:
        echo("导出以后的改动：")
        for line in result.changes:
            echo(f"  {line}")
    else:
        echo("导出以后各部分都没有改动。")
