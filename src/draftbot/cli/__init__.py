"""draftbot's command line. Each command lives in its own module and registers on `app`."""

from __future__ import annotations

import importlib
import signal
import sys

import typer

from draftbot.cli.app import app, echo, state
from draftbot.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, DraftbotError, os_message

# Each command lives in draftbot/cli/<module>.py and registers itself on `app` when imported.
# Order here is the order of `draftbot --help`.
COMMANDS = {
    "write": "write",
    "check": "check",
    "regen": "regen",
    "repair": "repair",
    "review": "review",
    "export": "export",
    "import": "import_docx",
    "plans": "plans",
    "config": "config",
    "keys": "config",
    "batch": "batch",
    "log": "log",
}


# Root options that end the run at the root, whatever command name follows them.
ROOT_EAGER = {"-h", "--help", "--version"}


def command_name(args: list[str]) -> str | None:
    """The command being run, or None when the run stops at the root (its help, version, an unknown name)."""
    for arg in args:
        if arg in ROOT_EAGER:
            return None
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def register_commands(args: list[str] | None = None) -> None:
    """Import the command being run, or every command (for the root's help and unknown names).

    Importing only the command at hand keeps `draftbot check` from paying for the others.
    """
    name = command_name(args or [])
    modules = [COMMANDS[name]] if name else list(COMMANDS.values())
    for module in modules:
        importlib.import_module(f"draftbot.cli.{module}")


__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    previous = _stop_on_sigterm()
    try:
        _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm():
    """SIGTERM (kill, a closing terminal, a service stop) ends the run like Ctrl-C: what is done is
    kept and temporary files are removed. Returns the handler it replaced (None off the main thread)."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread
        return None


def _main(argv: list[str] | None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    args, state["debug"] = _take_debug(args)
    try:
        register_commands(args)
        code = _run(args)
        if code == 130:  # typer's answer to a Ctrl-C inside a command
            raise KeyboardInterrupt
    except DraftbotError as exc:
        _report(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        echo("已中断。", err=True)
        sys.exit(130)
    except OSError as exc:  # a full disk, a folder gone or made read-only while running …
        if state["debug"]:
            import traceback

            traceback.print_exception(exc)
        where = f"“{exc.filename}”" if getattr(exc, "filename", None) else ""
        echo(f"错误：读写文件{where}时出错：{os_message(exc)}。", err=True)
        echo("提示：已写好的文件都保留着；腾出空间或改正后重新运行即可。", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except MemoryError:
        echo("错误：内存不足，输入的文件可能太大。", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if state["debug"]:
            import traceback

            traceback.print_exception(exc)
        echo(f"内部错误：{type(exc).__name__}: {exc}", err=True)
        if not state["debug"]:
            echo("请加 --debug 重新运行查看详细信息，并把输出反馈给开发者。", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)


def _take_debug(args: list[str]) -> tuple[list[str], bool]:
    """--debug anywhere before a `--` (also after the subcommand, as the README says)."""
    end = args.index("--") if "--" in args else len(args)
    kept = [a for a in args[:end] if a != "--debug"] + args[end:]
    return kept, len(kept) != len(args)


def _run(args: list[str]):
    """Run the command; usage errors (missing argument, unknown option …) are shown in Chinese, exit 2."""
    from typer.main import get_command

    from draftbot.cli.app import click, show_usage_error

    command = get_command(app)
    try:
        return command.main(args=args, prog_name="draftbot", standalone_mode=False)
    except typer.Abort:
        raise KeyboardInterrupt from None
    except click.exceptions.ClickException as exc:
        if not isinstance(exc, click.exceptions.UsageError):
            echo(f"错误：{exc.message}", err=True)
            sys.exit(exc.exit_code)
        show_usage_error(exc)
        sys.exit(exc.exit_code)


def _report(exc: DraftbotError) -> None:
    if state["debug"]:
        import traceback

        traceback.print_exception(exc)
    echo(f"已中断。{exc.message}" if exc.exit_code == 130 else f"错误：{exc.message}", err=True)
    if exc.hint:
        echo(f"提示：{exc.hint}", err=True)
