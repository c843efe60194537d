"""The root help (the real typer app, every command built), usage errors in Chinese, and a run that
builds only the command it runs."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer.main

from clirun import cli_env, run_cli
from draftbot.cli import COMMANDS, command_name, register_commands
from draftbot.cli.app import app

NO_SUCH_COMMAND = "错误：没有“{}”这个命令。\n用法：draftbot [选项] 命令 [参数]...\n运行 draftbot --help 查看说明。\n"

FULL_HELP_PROBE = """
import typer.main
from typer import _click as click
from draftbot.cli import app, register_commands
register_commands([])  # as the root help does: every command module, in COMMANDS order
group = typer.main.get_command(app)
print(group.get_help(click.Context(group, info_name="draftbot", **group.context_settings)))
"""

BUILT_PROBE = """
import sys, typer.main
from draftbot.cli import main
real, built = typer.main.get_params_from_function, set()
def spy(func):  # typer reads a function's parameters (signature, type hints) to build its options
    built.add(func.__module__)
    return real(func)
typer.main.get_params_from_function = spy
try:
    main(sys.argv[1:])
finally:
    print("BUILT=" + ",".join(sorted(built)))
"""


def run_probe(probe: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a Python snippet in a fresh interpreter, as the command line runs (one process, cold)."""
    return subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, encoding="utf-8", env=cli_env(env)
    )


def test_the_cli_prints_the_root_help_of_the_fully_built_group():
    full = run_probe(FULL_HELP_PROBE, env={"COLUMNS": "80"})
    assert full.returncode == 0, full.stderr
    expected = full.stdout
    rows = re.findall(r"^  ([a-z]+)  ", expected.split("命令：")[1], flags=re.M)
    assert rows == ["write", "check", "regen", "repair", "review", "export", "import", "batch", "plans", "config", "keys", "log"]
    for args in (["--help"], ["-h"], ["--debug", "--help"], ["--help", "write"]):
        result = run_cli(*args, env={"COLUMNS": "80"})
        assert (result.returncode, result.stdout, result.stderr) == (0, expected, ""), args
    bare = run_cli(env={"COLUMNS": "80"})  # no arguments: the help, on stderr, exit 2
    assert (bare.returncode, bare.stdout, bare.stderr) == (2, "", expected)


@pytest.mark.parametrize(
    "args, shown, built",
    [
        (["write", "--help"], "draftbot write", "draftbot.cli.app,draftbot.cli.write"),
        (["plans", "--help"], "draftbot plans", "draftbot.cli.app,draftbot.cli.plans"),
        (["check", "--help"], "draftbot check", "draftbot.cli.app,draftbot.cli.check"),
    ],
)
def test_a_run_builds_only_the_command_it_runs(args, shown, built):
    result = run_probe(BUILT_PROBE, *args)
    assert result.returncode == 0, result.stderr
    assert shown in result.stdout
    assert result.stdout.splitlines()[-1] == f"BUILT={built}"


@pytest.mark.parametrize("args", [["nosuch"], ["--debug", "nosuch"], ["nosuch", "--help"], ["--", "nosuch"]])
def test_unknown_command_is_one_chinese_message_and_exit_2(args):
    result = run_cli(*args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", NO_SUCH_COMMAND.format("nosuch"))


@pytest.mark.parametrize(
    "args, name",
    [
        ([], None),
        (["write", "f.md"], "write"),
        (["--debug", "check", "x.md", "--help"], "check"),
        (["--", "plans"], "plans"),
        (["nosuch", "write"], None),
        (["--help", "write"], None),
        (["-h", "log"], None),
        (["--version", "export"], None),
    ],
)
def test_command_name_is_none_when_the_run_stops_at_the_root(args, name):
    assert command_name(args) == name


@pytest.mark.parametrize(
    "text, width, lines",
    [
        ("  放得下的一行  ", 40, ["放得下的一行"]),
        ("", 10, [""]),
        ("检查草稿：编造的数字、遗漏的事实", 12, ["检查草稿：编", "造的数字、遗", "漏的事实"]),
        ("版式符合 GB/T 9704-2012 的要求", 16, ["版式符合 GB/T", "9704-2012 的要求"]),  # no word cut
        ("一二三四五，六七", 10, ["一二三四", "五，六七"]),  # no line starts with closing punctuation
        ("第一行\n第二行", 40, ["第一行第二行"]),  # a newline is not a piece of a line
    ],
)
def test_wrap_cjk(text, width, lines):
    from draftbot.cli.app import display_width, wrap_cjk

    assert wrap_cjk(text, width) == lines
    assert all(display_width(line) <= width for line in lines)


def test_every_registered_command_is_in_the_command_table():
    """A run imports only the command module COMMANDS names for its first word: a command (or alias)
    registered but missing there would never be imported, and its name would be unknown."""
    register_commands()
    assert set(typer.main.get_command(app).commands) == set(COMMANDS)
