"""`review --interactive` for people who are not programmers: an editor they can use, paths with
spaces, line numbers that follow the edits, no fix command for a fixed part, what remains at the end."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from clirun import EXAMPLE_FACTS, cli_env
from draftbot.draft import OPENING, load_draft
from test_review_repair_cli import TALKS, VISITS, Terminal, flaw


@pytest.fixture
def workdir(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "facts.md").write_text(EXAMPLE_FACTS.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def drafted(workdir):
    assert subprocess.run([sys.executable, "-m", "draftbot", "write", "facts.md", "--engine", "offline"],
                          cwd=workdir, env=cli_env(), capture_output=True).returncode == 0  # fmt: skip
    return workdir / "facts.draft.md"


def editor_script(folder, name: str, extra_lines: int) -> str:
    """An editor (a Python script in a folder with a space in its name) that adds lines at the top."""
    script = folder / name
    script.write_text(
        "import sys\np = sys.argv[1]\nt = open(p, encoding='utf-8').read().replace('163家次', '136家次')\n"
        f"open(p, 'w', encoding='utf-8').write('新加的一段。\\n' * {extra_lines} + t)\n",
        encoding="utf-8",
    )
    return f'"{sys.executable}" "{script}"'


def test_line_numbers_follow_an_edit_and_a_fixed_part_has_no_fix_command(workdir, tmp_path):
    path = drafted(workdir)
    flaw(path, 3, VISITS)
    flaw(path, 5, TALKS)
    spaced = tmp_path / "我的 编辑器"
    spaced.mkdir()
    env = {"EDITOR": editor_script(spaced, "edit.py", 4), "VISUAL": ""}
    before = next(f.line for f in _findings(workdir) if "61人次" in f.text or "16人次" in f.text)
    term = Terminal(["review", "facts.draft.md", "--interactive", "--engine", "offline"], workdir, env)
    term.expect("[1/2]")
    term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    term.send("e")  # section 三: the figure fixed, four paragraphs added above it
    shown = term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    assert "已保存修改" in shown and "这一部分已没有错误和警告。" in shown and "修复：" not in shown
    term.send("a")
    term.expect("[2/2]")
    shown = term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    lines = [int(n) for n in re.findall(r"^\s+(\d+):\d+\s+错误", shown, flags=re.M)]
    assert lines and min(lines) >= before + 4  # where the finding is now, not where it was
    term.send("q")
    term.expect("审阅结束：还剩错误")
    term.expect("继续处理：draftbot review facts.draft.md --interactive")
    assert term.close() == 0


def _findings(workdir):
    from draftbot.workflow import review_draft

    return [f for item in review_draft(workdir / "facts.draft.md").items for f in item.findings]


def test_without_an_editor_it_explains_instead_of_opening_vi(workdir, tmp_path):
    path = drafted(workdir)
    flaw(path, 3, VISITS)
    empty_bin = tmp_path / "bin"  # no nano, no vi: only the Python that runs draftbot
    empty_bin.mkdir()
    env = {"EDITOR": "", "VISUAL": "", "PATH": str(empty_bin)}
    before = path.read_bytes()
    term = Terminal(["review", "facts.draft.md", "--interactive", "--engine", "offline"], workdir, env)
    term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    term.send("e")
    shown = term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    assert "没有找到可以使用的编辑器" in shown and "export EDITOR=nano" in shown
    term.send("q")
    term.expect("审阅结束")
    assert term.close() == 0
    assert path.read_bytes() == before


def test_nothing_left_says_so(workdir, tmp_path):
    path = drafted(workdir)
    flaw(path, OPENING, ("党工委委员", "党工委委员（2019）"))
    env = {"EDITOR": editor_script(tmp_path, "noop.py", 0), "VISUAL": ""}
    term = Terminal(["review", "facts.draft.md", "--interactive", "--engine", "offline"], workdir, env)
    term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    term.send("r")
    term.expect("修改意见（可直接回车）：")
    term.send("")
    shown = term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    assert "这一部分已没有错误和警告。" in shown and "修复：" not in shown
    term.send("a")
    term.expect("审阅结束：没有剩下的错误和警告。")
    assert term.close() == 0
    assert "（2019）" not in load_draft(path).opening
