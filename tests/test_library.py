"""The README's library example runs as written and does what it says."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from clirun import EXAMPLE_FACTS, REPO, cli_env


def readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## 在 Python 中使用", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_library_example_drafts_checks_and_exports(tmp_path):
    (tmp_path / "examples").mkdir()
    shutil.copy(EXAMPLE_FACTS, tmp_path / "examples" / "facts.md")
    run = subprocess.run(
        [sys.executable, "-c", readme_example()], cwd=tmp_path, env=cli_env(),
        capture_output=True, text=True, encoding="utf-8", timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("草稿.md 7 个部分，检查问题 0 条"), run.stdout
    draft = (tmp_path / "草稿.md").read_text(encoding="utf-8")
    assert draft.startswith("---\ndraftbot:") and "## 七、" in draft
    assert (tmp_path / "草稿.docx").read_bytes()[:2] == b"PK"  # a zip: the Word file


def test_library_errors_are_draftbot_errors_not_tracebacks(tmp_path):
    from draftbot.errors import InputError
    from draftbot.workflow import write_report

    with pytest.raises(InputError) as caught:
        write_report(tmp_path / "nothing.md", engine="offline")
    assert "找不到" in caught.value.message
    assert not (tmp_path / "nothing.draft.md").exists()
