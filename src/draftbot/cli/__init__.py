"""draftbot's command line. Each command lives in its own module and registers on `app`."""

from __future__ import annotations

import sys

import typer

from draftbot.cli import check as _check  # noqa: E402,F401
from draftbot.cli import config as _config  # noqa: E402,F401
from draftbot.cli import export as _export  # noqa: E402,F401
from draftbot.cli import plans as _plans  # noqa: E402,F401
from draftbot.cli import regen as _regen  # noqa: E402,F401

# Command modules register themselves on import (one line each).
from draftbot.cli import write as _write  # noqa: E402,F401
from draftbot.cli.app import app, state
from draftbot.errors import EXIT_INTERNAL, DraftbotError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    state["debug"] = "--debug" in args
    try:
        # Typer/click handle --help and usage errors themselves (exit 2); our errors come out here.
        app(args=args, prog_name="draftbot")
    except DraftbotError as exc:
        _report(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("已中断。", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if state["debug"]:
            raise
        typer.echo(f"内部错误：{type(exc).__name__}: {exc}", err=True)
        typer.echo("请加 --debug 重新运行查看详细信息，并把输出反馈给开发者。", err=True)
        sys.exit(EXIT_INTERNAL)


def _report(exc: DraftbotError) -> None:
    if state["debug"]:
        import traceback

        traceback.print_exception(exc)
    typer.echo(f"错误：{exc.message}", err=True)
    if exc.hint:
        typer.echo(f"提示：{exc.hint}", err=True)
