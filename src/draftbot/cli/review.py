"""`draftbot review DRAFT [--interactive]`: the findings by section with the command that fixes each,
or a walk through the flagged sections deciding one by one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from draftbot.cli import options as opt
from draftbot.cli.app import app, echo
from draftbot.errors import InputError, os_message
from draftbot.textio import decode_bytes

REVIEW_HELP = """审阅草稿：按部分列出检查发现的错误和警告，以及修好每一部分的命令。

加 --interactive 逐个走过有问题的部分：显示问题和正文，然后选择接受、重新生成（可附修改意见）、
用编辑器修改（环境变量 EDITOR 指定的编辑器；没有设置时 Windows 用记事本，Linux 用 nano）或跳过；每次决定后立即保存（改动前的草稿保留为 .bak 备份）。
Word 文件（.docx）和其他 check 能读的文件也可以审阅；draftbot 导出的 .docx（在 Word/WPS 中改过也可以）
的部分可以直接重新生成，结果作为修订写回 .docx。

示例：

  draftbot review 要点.draft.md

  draftbot review 要点.draft.md --interactive --provider deepseek
"""

LEVEL_NAMES = {"error": "错误", "warning": "警告"}
CHOICES = {"a": "接受", "r": "重新生成", "e": "编辑", "s": "跳过", "q": "退出"}


@app.command("review", help=REVIEW_HELP)
@opt.model_options(without=("concurrency", "no_log"), on_draft=True)
def review(
    draft: Path = typer.Argument(..., metavar="草稿", help="草稿（.md、.txt 或 .docx）。"),
    interactive: bool = typer.Option(False, "--interactive", "-i", help="在终端里逐个处理有问题的部分。"),
    facts: Path | None = typer.Option(None, "--facts", help="事实要点文件；默认取草稿开头记录的事实文件。"),
    plan: str | None = opt.PLAN,
    models: opt.ModelOptions = None,
) -> None:
    from draftbot.workflow import review_draft

    result = review_draft(draft, facts=facts, plan=plan)
    for note in result.report.notes:
        echo(f"提示：{note}", err=True)
    if not interactive:
        _print_review(result)
        raise typer.Exit(1 if result.report.has_errors else 0)
    masking = {"mask": models.mask, "mask_names": models.mask_names}
    _Walk(draft, facts, plan, models.engine, models.overrides(), masking).run(result)


def _print_review(result) -> None:
    path = result.path
    errors = sum(i.errors for i in result.items)
    warnings = sum(i.warnings for i in result.items)
    if not result.items:
        echo(f"审阅 {path}：没有错误和警告。")
        return
    echo(f"审阅 {path}：错误 {errors}，警告 {warnings}，{len(result.items)} 处需要处理。")
    for item in result.items:
        _print_item(item)
    if errors and result.editable:
        echo(f"\n一次自动修复所有有错误的部分：draftbot repair {path}")
    echo(f"逐个处理：draftbot review {path} --interactive")


def _print_item(item) -> None:
    from draftbot.checks.finding import rule_label

    echo(f"\n{item.label}（错误 {item.errors}，警告 {item.warnings}）")
    for f in item.findings:
        quoted = f"“{f.text.strip()[:24]}”" if f.text.strip() else ""
        echo(f"  {f.line}:{f.column}  {LEVEL_NAMES[f.level]}  {rule_label(f.rule)} {quoted} {f.message}")
    if not item.findings:
        echo("  这一部分已没有错误和警告。")
    elif item.command:
        echo(f"  修复：{item.command}")
    elif item.why_not:
        echo(f"  （{item.why_not}）")


class _Walk:
    """The interactive review: one flagged part at a time; the file is saved after each decision."""

    def __init__(self, path: Path, facts, plan, engine, flags, masking: dict | None = None):
        self.path = path
        self.facts = facts
        self.plan = plan
        self.engine = engine
        self.flags = flags
        self.masking = masking or {}  # mask / mask_names for regenerating (default: as the draft was)
        self.changed = False  # the draft changed since the items were listed: line numbers moved

    def run(self, result) -> None:
        if not result.items:
            echo(f"审阅 {self.path}：没有错误和警告。")
            return
        echo(f"审阅 {self.path}：{len(result.items)} 处需要处理。")
        for number, item in enumerate(result.items, start=1):
            echo(f"\n[{number}/{len(result.items)}]")
            if self.changed:  # an edit or a regen before this one: its findings where they are now
                item = self._refresh(item)
            if self._decide(item, result.editable) == "q":
                break
        echo(self._closing())

    def _closing(self) -> str:
        """What remains after the walk, and how to go on."""
        from draftbot.workflow import review_draft

        left = review_draft(self.path, facts=self.facts, plan=self.plan).items
        if not any(i.findings for i in left):
            return "审阅结束：没有剩下的错误和警告。"
        errors = sum(i.errors for i in left)
        warnings = sum(i.warnings for i in left)
        parts = "、".join(i.label for i in left[:5]) + ("等" if len(left) > 5 else "")
        from draftbot.checks.finding import shell_path

        return (
            f"审阅结束：还剩错误 {errors}、警告 {warnings}，在 {len(left)} 处（{parts}）。"
            f"继续处理：draftbot review {shell_path(str(self.path))} --interactive"
        )

    def _decide(self, item, editable: bool) -> str:
        while True:
            _print_item(item)
            if editable and item.spec:
                echo("  ---- 正文 ----")
                echo(_indent(_part_text(self.path, item.spec)))
            choices = self._choices(item, editable)
            answer = _ask("  " + " ".join(f"[{k}]{CHOICES[k]}" for k in choices) + "：", choices)
            if answer in ("s", "q"):
                return answer
            if answer == "a":
                if editable and item.spec:
                    from draftbot.workflow import mark_reviewed

                    mark_reviewed(self.path, item.spec)
                    echo("  已接受（记录在草稿开头）。")
                return answer
            changed = self._regenerate(item) if answer == "r" else self._edit(item)
            if changed:
                self.changed = True
                item = self._refresh(item)

    def _choices(self, item, editable: bool) -> list[str]:
        choices = ["a"]
        if item.command:
            choices.append("r")
        if editable and item.spec:
            choices.append("e")
        return [*choices, "s", "q"]

    def _regenerate(self, item) -> bool:
        from draftbot.errors import DraftbotError
        from draftbot.workflow import regenerate_sections

        hint = _ask_text("  修改意见（可直接回车）：")
        try:
            with opt.progress_display() as show:
                result = regenerate_sections(
                    self.path, [item.spec], hint=hint or None, facts=self.facts, plan=self.plan,
                    engine=self.engine, flags=self.flags, on_event=show,
                    notify=lambda note: echo(f"  提示：{note}"), **self.masking,
                )  # fmt: skip
        except DraftbotError as exc:
            echo(f"  重新生成失败：{exc.message}（草稿未改动）")
            return False
        for note in result.notes:
            echo(f"  提示：{note}")
        if result.failed:
            echo(f"  重新生成失败：{result.failed[0].error}（这一部分保留原文）")
            return False
        echo(f"  已重新生成并保存（原草稿备份为：{result.backup}）。")
        return True

    def _edit(self, item) -> bool:
        import tempfile

        from draftbot.workflow import rewrite_part_text

        editor = default_editor()
        if editor is None:
            from draftbot.config import env_command

            echo("  没有找到可以使用的编辑器（未设置 EDITOR，本机也没有 nano）。")
            echo(f"  请设置环境变量 EDITOR 后再运行，例如：{env_command('EDITOR', 'nano')}；也可以选 [r] 重新生成，")
            echo("  或退出后直接用 Word、WPS、记事本修改草稿文件。")
            return False
        old = _part_text(self.path, item.spec)
        with tempfile.TemporaryDirectory(prefix="draftbot-edit-") as folder:
            temp = Path(folder) / f"{item.spec}.txt"
            temp.write_text(old + "\n", encoding="utf-8")
            echo(f"  正在用 {editor} 打开这一部分；改完保存并关闭编辑器即可继续。")
            if not run_editor(editor, temp):
                echo(f"  无法打开编辑器“{editor}”（请检查环境变量 EDITOR 中的程序路径；路径有空格时加引号）。")
                return False
            try:  # the editor may save GBK (decoded as facts files are) or delete the file
                new = decode_bytes(temp.read_bytes(), "编辑后的文件").strip()
            except FileNotFoundError:
                echo("  编辑器没有留下文件（已被删除），这一部分未修改。")
                return False
            except (OSError, InputError) as exc:
                echo(f"  {getattr(exc, 'message', None) or os_message(exc) + '，'}这一部分未修改。")
                return False
        if not new or new == old.strip():
            echo("  未修改。")
            return False
        backup = rewrite_part_text(self.path, item.spec, new)
        echo(f"  已保存修改（原草稿备份为：{backup}）。")
        return True

    def _refresh(self, item):
        from draftbot.workflow import ReviewItem, review_draft

        fresh = review_draft(self.path, facts=self.facts, plan=self.plan)
        same = next((i for i in fresh.items if i.spec == item.spec), None)
        return same or ReviewItem(item.label, [], item.spec, item.command, item.why_not)


def default_editor() -> str | None:
    """$VISUAL or $EDITOR; else what an office user can work: Notepad on Windows, nano where it
    is installed; None otherwise (vi is no editor for a secretary)."""
    import shutil

    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if chosen:
        return chosen
    if os.name == "nt":
        return "notepad"
    return "nano" if shutil.which("nano") else None


def run_editor(editor: str, path: Path) -> bool:
    """Open `path` in `editor` as click.edit does: the EDITOR value goes to the shell as written
    (so `code --wait` or a quoted "C:\\Program Files\\…\\notepad++.exe" work), the file's path
    in double quotes (spaces and backslashes stay as they are). False when the editor failed."""
    import subprocess

    try:
        return subprocess.call(f'{editor} "{path}"', shell=True) == 0  # noqa: S602 - the user's own EDITOR
    except OSError:
        return False


def _part_text(path: Path, spec: str) -> str:
    from draftbot.workflow import part_text

    return part_text(path, spec)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.split("\n"))


def _ask(prompt: str, choices: list[str]) -> str:
    while True:
        line = _ask_text(prompt)
        answer = "q" if line is None else line.lower()[:1]
        if answer in choices:
            return answer
        echo(f"  请输入 {'、'.join(choices)} 之一。")


def _ask_text(prompt: str) -> str | None:
    """One line from the user; None at the end of input (then the walk stops, all saved so far)."""
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline()
    return line.strip() if line else None
