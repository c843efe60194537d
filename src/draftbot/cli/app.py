"""The Typer application object, the shared console, and click's help and usage errors in Chinese."""

from __future__ import annotations

import re

import typer

try:  # typer >= 0.26 carries its own copy of click
    from typer import _click as click
except ImportError:  # pragma: no cover - older typer uses click itself
    import click

from draftbot import __version__
from draftbot.redact import clean

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
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)

state = {"debug": False}


def _show_version(value: bool) -> None:
    if value:
        echo(f"draftbot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="出错时显示完整的调试信息；放在命令前后都可以。"),
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="显示版本号并退出。"
    ),
) -> None:
    state["debug"] = state["debug"] or debug


def echo(message: str = "", *, err: bool = False) -> None:
    typer.echo(clean(message), err=err)  # a secret never reaches the screen


# ------------------------------------------------------------------ help in Chinese

HEADINGS = {"Usage": "用法", "Options": "选项", "Arguments": "参数", "Commands": "命令"}
_HELP_PHRASES = (  # (text each match contains, pattern, replacement); a pattern is compiled only
    # when its text is in the help being shown (start-up and root help stay fast)
    ("Show this message and exit.", r"Show this message and exit\.", "显示本帮助并退出。"),
)
_BRACKET_WORDS = (  # click's notes in [...] after an option's help, one piece at a time
    (r"required", "必填"),
    (r"default: (.*)", "默认：{0}"),
    (r"x>=(.*)", "不小于 {0}"),
    (r"x<=(.*)", "不大于 {0}"),
    (r"x>(.*)", "大于 {0}"),
    (r"(.*)<=x<=(.*)", "{0} 到 {1}"),
    (r"env var: (.*)", "环境变量：{0}"),
)
_METAVARS = {
    "<path>": "<路径>", "<str>": "<文字>", "<int>": "<整数>", "<int range>": "<整数>",
    "<float>": "<数字>", "<float range>": "<数字>", "<text>": "<文字>", "<integer>": "<整数>",
}
_CLICK_METAVARS = {"PATH": "路径", "TEXT": "文字", "INTEGER": "整数", "FLOAT": "数字"}  # older typer
_USAGE_WORDS = (("[OPTIONS]", "[选项]"), ("COMMAND [ARGS]...", "命令 [参数]..."))
_NO_LINE_START = set("，。、；：？！）》」』”’,.;:?!)]")
_NO_LINE_END = set("（《「『“‘")


def display_width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _units(text: str) -> list[str]:
    """Pieces a line may break between: an ASCII word, one Chinese character, a space; closing
    punctuation sticks to the piece before it so that no line starts with it."""
    units: list[str] = []
    for piece in re.findall(r"\[[^\]]{1,20}\]|[!-~]+| +|.", text):
        if units and (piece[0] in _NO_LINE_START) and not units[-1].isspace():
            units[-1] += piece
        elif units and units[-1][-1] in _NO_LINE_END and not piece.isspace():
            units[-1] += piece
        else:
            units.append(piece)
    return units


def wrap_cjk(text: str, width: int) -> list[str]:
    """Wrap one line to `width` columns without cutting an ASCII word (Chinese breaks anywhere)."""
    if "\n" not in text and display_width(text) <= width:  # fits: what the loop below gives then
        return [text.strip()]
    lines, current, used = [], "", 0  # used: display width of current
    for unit in _units(text):
        size = display_width(unit)
        if current and used + size > width and not unit.isspace():
            lines.append(current.rstrip())
            current, used = unit, size
        elif not (unit.isspace() and not current):
            current, used = current + unit, used + size
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


def translate_help(text: str) -> str:
    for key, pattern, replacement in _HELP_PHRASES:
        if key in text:
            text = re.sub(pattern, replacement, text)
    if text.endswith("]") and "[" in text:
        text = re.sub(r"\[([^\[\]]*)\]$", lambda m: f"[{_bracket(m.group(1))}]", text)
    return text


def _bracket(notes: str) -> str:
    """click's `default: 4; x>=1` in Chinese: 默认：4；不小于 1."""
    pieces = []
    for piece in notes.split("; "):
        for pattern, chinese in _BRACKET_WORDS:
            match = re.fullmatch(pattern, piece)
            if match:
                piece = chinese.format(*match.groups())
                break
        pieces.append(piece)
    return "；".join(pieces)


_ASCII_WORD_END = re.compile(r"[A-Za-z0-9_./)\]\"'%*-]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z0-9_./(\[\"'$*-]")
_COMMENTED = re.compile(r"^(\S.*?\S)( {2,})(\S.*)$")  # an example: the command, a gap, what it does


def join_lines(first: str, second: str) -> str:
    """Two lines of one paragraph as one: Chinese runs on directly; a space where either side is a
    Latin word (as the help's own text writes `.bak 备份`, `draftbot log 查看`)."""
    if not first or not second:
        return first + second
    if _ASCII_WORD_END.search(first) or _ASCII_WORD_START.search(second):
        if first[-1] not in "，。、；：？！）》」”" and second[0] not in "，。、；：？！（《「“":
            return f"{first} {second}"
    return first + second


def help_paragraphs(text: str) -> list[tuple[int, str]]:
    """(indent, text) blocks of a help text: a paragraph's lines joined (the source breaks them
    where it likes; the terminal decides), indented lines (examples) and list items kept apart,
    blank lines as (0, "")."""
    blocks: list[tuple[int, str]] = []
    joinable = False
    for line in text.split("\n"):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if not stripped:
            blocks.append((0, ""))
            joinable = False
        elif joinable and indent == 0 and not stripped.startswith(("- ", "• ")):
            blocks[-1] = (0, join_lines(blocks[-1][1], stripped))
        else:
            blocks.append((indent, stripped))
            joinable = indent == 0
    return blocks


def wrap_example(text: str, width: int) -> list[str]:
    """An example line `command   what it does`: the explanation wraps under itself (or on the
    next lines, indented, when the command leaves it too little room); the command is never cut."""
    match = _COMMENTED.match(text)
    if display_width(text) <= width:
        return [text]
    command, gap, comment = match.groups() if match else (text, "", "")
    column = display_width(command) + len(gap)
    if comment and display_width(command) <= width and width - column >= 16:
        lines = wrap_cjk(comment, width - column)
        return [command + gap + lines[0], *(" " * column + line for line in lines[1:])]
    lines = _wrap_command(command, width)
    return lines + ["    " + line for line in wrap_cjk(comment, max(width - 4, 10))] if comment else lines


def _wrap_command(command: str, width: int) -> list[str]:
    """A command broken only between its words (a quoted word stays whole); later lines indented."""
    lines: list[str] = []
    for word in re.findall(r'"[^"]*"|\S+', command):
        if lines and display_width(lines[-1]) + 1 + display_width(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(("  " if lines else "") + word)
    return lines


def _metavar(text: str) -> str:
    if "<" in text:
        for english, chinese in _METAVARS.items():
            text = text.replace(english, chinese)
    if not any(word in text for word in _CLICK_METAVARS):
        return text
    return re.sub(r"\b(PATH|TEXT|INTEGER|FLOAT)\b", lambda m: _CLICK_METAVARS[m.group(1)], text)


class ChineseHelpFormatter(click.HelpFormatter):
    """click's help formatter with Chinese headings and phrases, and wrapping by display width."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for english, chinese in _USAGE_WORDS:
            args = args.replace(english, chinese)
        args = _metavar(args)
        if "{" in args:
            args = re.sub(r"\{(\w+)\}", lambda m: m.group(1).upper(), args)
        self.write(f"{' ' * self.current_indent}{prefix or '用法：'}{prog} {args}\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{' ' * self.current_indent}{HEADINGS.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        """Paragraphs wrapped to the terminal's width (not where the source breaks its lines);
        examples kept one to a line, their explanations wrapped under themselves."""
        width = max(self.width - self.current_indent, 20)
        out = []
        for indent, block in help_paragraphs(text):
            wrap = wrap_example if indent else wrap_cjk
            for part in wrap(block, max(width - indent, 10)):
                out.append(" " * (self.current_indent + indent) + part if part else "")
        self.write("\n".join(out) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(_metavar(first), translate_help(second)) for first, second in rows]
        first_col = min(max((display_width(r[0]) for r in rows), default=0), col_max) + col_spacing
        pad = " " * (self.current_indent + first_col)
        for first, second in rows:
            self.write(f"{' ' * self.current_indent}{first}")
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + pad)
            lines = wrap_cjk(second, max(self.width - self.current_indent - first_col, 20))
            self.write(lines[0] + "\n" + "".join(f"{pad}{line}\n" for line in lines[1:]))


click.Context.formatter_class = ChineseHelpFormatter


# ------------------------------------------------------------------ usage errors in Chinese

_ERROR_PATTERNS = (  # click's message texts, compiled only when a usage error is shown
    (r"No such command '([^']*)'\. Did you mean '(.*)'\?", "没有“{0}”这个命令（是不是要用 {1}？）"),
    (r"No such command '(.*)'\.?", "没有“{0}”这个命令"),
    (r"Missing command\.?", "缺少命令"),
    (r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", "多余的参数：{0}"),
    (r"Option '(.*)' requires an argument\.?", "选项 {0} 后面需要一个值"),
    (r"Option '(.*)' requires (.*)", "选项 {0} 后面需要更多的值"),
    (r"Option '(.*)' does not take a value\.?", "选项 {0} 不带值"),
    (r"(.*) is not in the range x>=(.*)\.", "{0} 太小，不能小于 {1}"),
    (r"(.*) is not in the range (.*)\.", "{0} 超出允许的范围（{1}）"),
    (r"'(.*)' is not a valid (?:integer|int)( range)?\.?", "“{0}”不是整数"),
    (r"'(.*)' is not a valid float( range)?\.?", "“{0}”不是数字"),
    (r"'(.*)' is not a valid boolean\.?", "“{0}”不是是/否值"),
)


def _message_in_chinese(message: str) -> str:
    for pattern, chinese in _ERROR_PATTERNS:
        match = re.fullmatch(pattern, message.strip())
        if match:
            return chinese.format(*(g.replace("', '", "、") for g in match.groups("")))
    if re.search(r"[\u4e00-\u9fff]", message):
        return message
    return "命令行参数有误"


def _hint_name(exc) -> str:
    param = getattr(exc, "param", None)
    if param is None:
        return ""
    opts = [o for o in getattr(param, "opts", []) if o.startswith("--")] or getattr(param, "opts", [])
    if getattr(param, "param_type_name", "") == "argument" or not opts:
        return getattr(param, "metavar", None) or (param.name or "").upper()
    return opts[0]


def usage_error_message(exc) -> str:
    """One Chinese sentence for a click usage error, from its type and fields (not its English text)."""
    if isinstance(exc, click.exceptions.MissingParameter):
        kind = "参数" if getattr(exc.param, "param_type_name", "") == "argument" else "选项"
        return f"缺少{kind} {_hint_name(exc)}。"
    if isinstance(exc, click.exceptions.NoSuchOption):
        close = sorted(exc.possibilities or [])
        maybe = f"（是不是要用 {'、'.join(close)}？）" if close else ""
        return f"没有 {exc.option_name} 这个选项{maybe}。"
    if isinstance(exc, click.exceptions.BadParameter):
        name = _hint_name(exc)
        where = f"{name} 的值无效" if name else "取值无效"
        return f"{where}：{_message_in_chinese(exc.message)}。"
    return f"{_message_in_chinese(exc.message)}。"


def show_usage_error(exc) -> None:
    """What a usage error prints: the Chinese message, the usage line, where to find help."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # `draftbot` alone: the help is the answer
        echo(exc.ctx.get_help(), err=True)
        return
    echo(f"错误：{usage_error_message(exc)}", err=True)
    ctx = exc.ctx
    if ctx is not None:
        echo(ctx.get_usage(), err=True)
    echo(f"运行 {ctx.command_path if ctx is not None else 'draftbot'} --help 查看说明。", err=True)
