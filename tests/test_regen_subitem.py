"""`draftbot regen --section （二）`: only that sub-item of a section is rewritten, nothing else."""

from __future__ import annotations

import shutil

import pytest

from clirun import EXAMPLE_FACTS, run_cli
from fake_openai import FakeOpenAI, Reply

KEY = "sk-subitem-secret-0123456789abcdef"
EDITED = "（二）项目建设。我手工改过的项目建设段落，新开工项目99个。"
MINE = "（三）安全生产。我亲手改过的安全生产段落，保持不动。"


@pytest.fixture
def drafted(tmp_path):
    shutil.copy(EXAMPLE_FACTS, tmp_path / "facts.md")
    assert run_cli("write", "facts.md", "--engine", "offline", cwd=tmp_path).returncode == 0
    path = tmp_path / "facts.draft.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines = [EDITED if line.startswith("（二）") else MINE if line.startswith("（三）") else line for line in lines]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _split(text: str, line_start: str) -> tuple[str, str, str]:
    """The text before the line starting with `line_start`, that line, and the text after it."""
    at = text.index("\n" + line_start) + 1
    end = text.index("\n", at)
    return text[:at], text[at:end], text[end:]


@pytest.mark.parametrize("spec", ["（二）", "项目建设", "(二)项目"])
def test_offline_regen_rewrites_only_the_sub_item(drafted, spec):
    before = drafted.read_text(encoding="utf-8")
    head, old, tail = _split(before, "（二）")
    result = run_cli("regen", drafted, "--section", spec, "--engine", "offline")
    assert result.returncode == 0, result.stderr
    assert "已重新生成：第四部分中的（二）项目建设" in result.stdout
    after = drafted.read_text(encoding="utf-8")
    new_head, new, new_tail = _split(after, "（二）")
    assert new != old and new.startswith("（二）项目建设。") and "23个省市重点项目完成投资31.2亿元" in new
    assert new_tail == tail and MINE in tail  # the other sub-items and parts: byte-identical
    body_start = head.index("\n---\n") + 5  # the front matter records the regen; the body before is untouched
    assert new_head[new_head.index("\n---\n") + 5 :] == head[body_start:]
    assert drafted.with_name("facts.draft.md.bak").read_text(encoding="utf-8") == before
    assert "section: 四（二）" in after


def test_model_regen_of_a_sub_item_sends_only_its_text(drafted):
    before = drafted.read_text(encoding="utf-8")
    answer = "（二）项目建设。一是23个省市重点项目完成投资31.2亿元；二是新开工项目15个、竣工投产项目9个。"
    with FakeOpenAI() as server:
        server.enqueue(Reply(content=answer))
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "fake-model", "OPENAI_API_KEY": KEY}
        (drafted.parent / "draftbot.toml").write_text("backoff = 0.01\n", encoding="utf-8")
        result = run_cli("regen", drafted, "--section", "项目建设", "--hint", "更简练", cwd=drafted.parent, env=env)
        assert result.returncode == 0, result.stderr
        assert len(server.chat_requests) == 1
        request = server.chat_requests[0].last_content
    assert "我手工改过的项目建设段落" in request and "（二）项目建设" in request  # its current text
    assert "我亲手改过的安全生产段落" not in request and "招商引资。一是" not in request  # not the others'
    assert "协议总投资56.8亿元" not in request  # the facts of 招商引资 are not this sub-item's facts
    assert "完成年度计划的108.5%" in request and "更简练" in request  # its ## group's facts and the hint
    assert "已重新生成：第四部分中的（二）项目建设" in result.stdout
    head, old, tail = _split(before, "（二）")
    new_head, new, new_tail = _split(drafted.read_text(encoding="utf-8"), "（二）")
    assert new == answer  # the answer's own （二）项目建设 is not doubled
    assert new_tail == tail
    assert new_head[new_head.index("\n---\n") + 5 :] == head[head.index("\n---\n") + 5 :]
    assert drafted.with_name("facts.draft.md.bak").read_text(encoding="utf-8") == before


def test_a_sub_item_heading_on_its_own_line_stays_there(drafted):
    text = drafted.read_text(encoding="utf-8").replace(EDITED, "（二）项目建设\n\n我手工改过的项目建设段落。")
    drafted.write_text(text, encoding="utf-8")
    result = run_cli("regen", drafted, "--section", "（二）", "--engine", "offline")
    assert result.returncode == 0, result.stderr
    after = drafted.read_text(encoding="utf-8")
    assert "（二）项目建设\n\n一是23个省市重点项目" in after and "我手工改过的项目建设段落" not in after
    assert MINE in after


def test_docx_sub_item_regen_is_refused_in_chinese(drafted):
    assert run_cli("export", drafted).returncode == 0
    docx = drafted.with_name("facts.docx")
    before = docx.read_bytes()
    result = run_cli("regen", docx, "--section", "（二）", "--engine", "offline")
    assert result.returncode == 2
    assert "Word 文件暂不支持只重写小标题（二）" in result.stderr and "--section 四" in result.stderr
    assert "Traceback" not in result.stderr
    assert docx.read_bytes() == before and not docx.with_name("facts.docx.bak").exists()
