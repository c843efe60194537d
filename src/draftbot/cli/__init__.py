"""draftbot's command line. Each command lives in its own module and registers on `app`."""

from __future__ import annotations

import importlib
import sys

import typer

from draftbot.cli.app import app, state
from draftbot.errors import EXIT_INTERNAL, DraftbotError

# Each command lives in draftbot/cli/<module>.py and registers itself on `app` when imported.
# Order here is the order of `draftbot --help`.
COMMANDS = {
    "write": "write",
    "check": "check",
    "regen": "regen",
    "repair": "repair",
    "review": "review",
    "export": "export",
    "plans": "plans",
    "config": "config",
    "batch": "batch",
    "log": "log",
}


def register_commands(args: list[str] | None = None) -> None:
    """Import the command being run, or every command (for --help and unknown names).

    Importing only the command at hand keeps `draftbot check` from paying for the others.
    """
    name = next((a for a in args or [] if not a.startswith("-")), None)
    modules = [COMMANDS[name]] if name in COMMANDS else list(COMMANDS.values())
    for module in modules:
        importlib.import_module(f"draftbot.cli.{module}")


__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    state["debug"] = "--debug" in args
    register_commands(args)
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
