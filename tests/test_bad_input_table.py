"""Every row of docs/bad-input.md, run as written: exit code, message, no traceback, no file touched."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

from clirun import EXAMPLE_FACTS, REPO, run_cli

TABLE = REPO / "docs" / "bad-input.md"
ROW = re.compile(r"^\| ([^|]+) \| `([^`]+)` \| (\d) \| ([^|]+) \|$")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def rows() -> list[tuple[str, str, int, str]]:
    found = [ROW.match(line) for line in TABLE.read_text(encoding="utf-8").splitlines()]
    return [(m[1].strip(), m[2], int(m[3]), m[4].strip()) for m in found if m]


def test_the_table_has_at_least_thirty_rows_across_the_commands():
    table = rows()
    assert len(table) >= 30
    commands = {shlex.split(command.split("&&")[-1])[1] for _, command, _, _ in table}
    assert {"write", "check", "regen", "export", "plans", "config"} <= commands


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """The files the table's commands name (see the table's introduction)."""
    work = tmp_path_factory.mktemp("bad-input")
    shutil.copy(EXAMPLE_FACTS, work / "facts.md")
    assert run_cli("write", "facts.md", "--engine", "offline", cwd=work).returncode == 0
    draft = (work / "facts.draft.md").read_text(encoding="utf-8")
    (work / "报告.txt").write_text(draft.split("\n---\n", 1)[1].replace("<!-- draftbot:closing -->\n", ""),
                                  encoding="utf-8")
    (work / "报告.docx").write_bytes(b"PK not really a Word file")
    (work / "空的.md").write_text("\n  \n", encoding="utf-8")
    (work / "二进制.md").write_bytes(bytes(range(256)) * 8)
    (work / "有NUL.md").write_bytes(("# 履职成效\n" + "- 完成项目18个\n" * 300).encode() + b"- \x00\n")
    (work / "开头未结束.md").write_text("---\ntitle: 述职报告\n# 履职成效\n- 完成项目18个\n", encoding="utf-8")
    (work / "文件夹").mkdir()
    os.symlink("循环.md", work / "循环.md")
    os.symlink("循环.docx", work / "循环.docx")
    os.mkfifo(work / "管道.md")
    with open(work / "太大.md", "wb") as fh:
        fh.write("# 履职成效\n".encode())
        fh.truncate(11_000_000)  # sparse
    (work / "别名.md").write_text("---\ntitle: &t 述职报告\nauthor: *t\n---\n# 履职成效\n- 完成项目18个\n",
                                 encoding="utf-8")  # fmt: skip
    (work / "长数字.md").write_text(f"---\nperiod: {'1' * 5000}\n---\n# 履职成效\n- 完成项目18个\n", encoding="utf-8")
    head, body = draft.split("\n---\n", 1)
    for name, changed in (
        ("别名草稿.md", head + "\nx: &x [a, b]\ny: [*x, *x]"),
        ("坏编号.md", re.sub(r"section_ids:\n(  .*\n?)+", "section_ids: [1, 2]\n", head + "\n").rstrip("\n")),
        ("长路径.md", head.replace("facts: facts.md", "facts: " + "a" * 5000)),
        ("有NUL路径.md", head.replace("facts: facts.md", 'facts: "facts\\0.md"')),
    ):
        (work / name).write_text(changed + "\n---\n" + body, encoding="utf-8")
    (work / "收到的").mkdir()
    (work / "收到的" / "草稿.md").write_text(
        re.sub(r"facts_sha256: \w+", "facts_sha256: 0", head.replace("facts: facts.md", "facts: ../facts.md"))
        + "\n---\n" + body, encoding="utf-8")  # fmt: skip
    for twin in ("同名甲", "同名乙"):  # the same facts file name in two folders
        (work / twin).mkdir()
        shutil.copy(EXAMPLE_FACTS, work / twin / "p.md")
    (work / "别名规则").mkdir()
    (work / "别名规则" / "r.yaml").write_text("a: &a [x]\nrules: [*a, *a]\n", encoding="utf-8")
    for folder, make in (
        ("坏配置", lambda p: p.write_bytes(bytes(range(256)) * 8)),
        ("配置是文件夹", lambda p: p.mkdir()),
        ("配置写错", lambda p: p.write_text("provider: deepseek\n", encoding="utf-8")),
    ):
        (work / folder).mkdir()
        make(work / folder / "draftbot.toml")
    return work


def snapshot(work: Path) -> dict[str, str]:
    """Every entry under `work`: a file's digest, or what else it is (read without following links
    or opening pipes)."""
    out = {}
    for path in sorted(work.rglob("*")):
        if path.is_symlink():
            out[str(path)] = "link:" + os.readlink(path)
        elif path.is_fifo() or path.is_dir():
            out[str(path)] = "fifo" if path.is_fifo() else "dir"
        else:
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.mark.parametrize("case, command, code, fragment", rows(), ids=[r[0] for r in rows()])
def test_bad_input(workspace, case, command, code, fragment):
    cwd = workspace
    if "&&" in command:
        where, command = (part.strip() for part in command.split("&&"))
        cwd = workspace / shlex.split(where)[1]
    args = shlex.split(command)
    assert args[0] == "draftbot"
    if any(a.startswith("/sys/") for a in args) and os.access("/sys", os.W_OK) and os.geteuid() != 0:
        pytest.skip("/sys is writable here")
    before = snapshot(workspace)
    result = run_cli(*args[1:], cwd=cwd, timeout=60)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert CHINESE.search(result.stderr) and fragment in result.stderr, result.stderr
    assert snapshot(workspace) == before, case
