"""The Typer application object and the shared console."""

from __future__ import annotations

import typer

HELP = """draftbot：根据要点起草述职报告、述职述廉报告和年度工作总结，并检查草稿。

示例：

  draftbot write 要点.md              离线起草，生成 要点.draft.md

  draftbot plans                      查看内置提纲

  draftbot plans show 述职报告        查看一个提纲的各部分
"""

app = typer.Typer(
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

state = {"debug": False}


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="出错时显示完整的调试信息（traceback）。"),
) -> None:
    state["debug"] = debug


def echo(message: str = "", *, err: bool = False) -> None:
    typer.echo(message, err=err)
