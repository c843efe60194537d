"""The root help built from placeholders: the same text as from every command fully built, and cheaper."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer.main

from clirun import cli_env, run_cli
from draftbot.cli import COMMANDS, command_name, register_commands
from draftbot.cli.app import app, click, root_group

NO_SUCH_COMMAND = "错误：没有“{}”这个命令。\n用法：draftbot [选项] 命令 [参数]...\n运行 draftbot --help 查看说明。\n"

FULL_HELP_PROBE = """
import typer.main
from typer import _click as click
from draftbot.cli import app, register_commands
register_commands([])  # as the old root help did: every command module, in COMMANDS order
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


def help_text(group: click.Command, width: int) -> str:
    """The help as printed on a terminal `width + 2` columns wide (click keeps two columns free)."""
    ctx = click.Context(group, info_name="draftbot", terminal_width=width, **group.context_settings)
    return group.get_help(ctx)


def full_root_group() -> click.Command:
    """The root group as it was built before: every command module imported, every command built."""
    register_commands([])
    return typer.main.get_command(app)


@pytest.fixture
def params_built(monkeypatch):
    """The functions typer reads parameters from (signature and type hints), as module.name."""
    seen: list[str] = []
    real = typer.main.get_params_from_function

    def spy(func):
        seen.append(f"{func.__module__}.{func.__name__}")
        return real(func)

    monkeypatch.setattr(typer.main, "get_params_from_function", spy)
    return seen


@pytest.mark.parametrize("width", [50, 78, 100])
def test_root_help_is_the_help_of_the_fully_built_group(width):
    full = full_root_group()
    light = root_group()
    assert list(light.commands) == list(full.commands)  # same commands, same order
    assert sorted(full.commands) == sorted(COMMANDS)
    assert help_text(light, width) == help_text(full, width)


def toy_app() -> typer.Typer:
    """Every way typer takes a command's help: docstring, help=, short_help=, hidden, deprecated, sub-apps."""
    toy = typer.Typer(help="玩具。", rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]})

    @toy.callback()
    def root(verbose: bool = typer.Option(False, "--verbose")) -> None:
        pass

    @toy.command()
    def from_docstring(name: str) -> None:
        """从文档字符串来的说明，足够长，长到需要在命令列表里被截断才能放下的那种说明文字，再加上一些字，
        让它在任何宽度下都被截断。

        第二段不显示。"""

    @toy.command("given", help="\n    缩进的说明。\n\n    第二段。")
    def given(count: int = 1) -> None:
        pass

    @toy.command("short", help="很长的说明。", short_help="简短说明")
    def short(flag: bool = False) -> None:
        pass

    @toy.command("hidden", hidden=True)
    def hidden_command() -> None:
        """不列出。"""

    @toy.command("old", deprecated=True)
    def old() -> None:
        """旧命令。"""

    with_callback_doc = typer.Typer()

    @with_callback_doc.callback()
    def sub_callback() -> None:
        """子命令组：说明来自回调的文档字符串。"""

    @with_callback_doc.command("inner")
    def inner(x: int = 0) -> None:
        pass

    toy.add_typer(with_callback_doc, name="sub")
    toy.add_typer(typer.Typer(help="实例的说明。"), name="inst", help="add_typer 的说明优先。")
    toy.add_typer(typer.Typer(help="隐藏的组。"), name="secret", hidden=True)
    return toy


@pytest.mark.parametrize("width", [50, 78])
def test_placeholders_take_help_the_way_typer_does(width):
    toy = toy_app()
    light, full = root_group(toy), typer.main.get_command(toy)
    assert list(light.commands) == list(full.commands)
    assert help_text(light, width) == help_text(full, width)
    shown = help_text(light, width)
    assert "简短说明" in shown and "(DEPRECATED)" in shown and "不列出" not in shown and "隐藏的组" not in shown
    assert "第二段" not in shown and "..." in shown  # first paragraph only, long help cut short


def test_root_help_commands_carry_no_parameters():
    full = full_root_group()
    light = root_group()
    assert full.commands["write"].params and full.commands["check"].params
    assert [name for name, command in light.commands.items() if command.params] == []
    assert [param.name for param in light.params] == [param.name for param in full.params]


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


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"], ["nosuch"], []])
def test_root_level_runs_read_no_command_parameters(cli, tmp_path, params_built, args):
    cli(*args, cwd=tmp_path)
    assert params_built, "typer built the root's own options"
    assert {name.rpartition(".")[0] for name in params_built} == {"draftbot.cli.app"}


@pytest.mark.parametrize(
    "args, shown, built",
    [
        (["write", "--help"], "draftbot write", "draftbot.cli.app,draftbot.cli.write"),
        (["plans", "--help"], "draftbot plans", "draftbot.cli.app,draftbot.cli.plans"),
        (["--help"], "命令：", "draftbot.cli.app"),  # the root's own options only
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
    """A run picks the placeholder root group when its first word is not in COMMANDS: a command (or
    alias) registered but missing there would reach a placeholder and fail."""
    register_commands()
    assert set(typer.main.get_command(app).commands) == set(COMMANDS)
