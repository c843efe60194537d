"""`draftbot regen`: rewrite single sections, keep everything else, never lose the old draft."""

from __future__ import annotations

import pytest

from clirun import EXAMPLE_FACTS, run_cli
from draftbot.draft import load_draft, make_failed_body
from fake_openai import FakeOpenAI, Reply

KEY = "sk-regen-secret-0123456789abcdef"


@pytest.fixture
def drafted(tmp_path):
    (tmp_path / "facts.md").write_bytes(EXAMPLE_FACTS.read_bytes())
    result = run_cli("write", "facts.md", "--engine", "offline", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path / "facts.draft.md"


def _edit(path, number: str, body: str) -> str:
    draft = load_draft(path)
    old = draft.section_by_number(number).body
    draft.replace_section(number, body)
    path.write_text(draft.render(), encoding="utf-8")
    return old


def test_regen_one_section_keeps_the_others_and_a_backup(drafted):
    original_4 = _edit(drafted, "四", "全年新签约项目81个。")  # a wrong figure in section 4
    _edit(drafted, "二", "我亲手改过的第二部分。")  # a user's own edit elsewhere
    before = drafted.read_text(encoding="utf-8")
    check = run_cli("check", drafted, "--format", "line")
    assert check.returncode == 1 and "figure-ungrounded" in check.stdout

    result = run_cli("regen", drafted, "--section", "4", "--engine", "offline")
    assert result.returncode == 0, result.stderr
    after = load_draft(drafted)
    assert after.section_by_number("四").body == original_4
    assert after.section_by_number("二").body == "我亲手改过的第二部分。"
    assert drafted.with_name("facts.draft.md.bak").read_text(encoding="utf-8") == before
    assert after.meta["regenerated"][0]["section"] == "四"
    assert "已重新生成：四、" in result.stdout and "错误 0" in result.stdout
    assert run_cli("check", drafted).returncode == 0  # the shortened section 2 only gives warnings


def test_regen_failed_sections(drafted):
    _edit(drafted, "三", make_failed_body("模型超时", "3"))
    assert load_draft(drafted).section_by_number(3).failed
    result = run_cli("regen", drafted, "--failed", "--engine", "offline")
    assert result.returncode == 0, result.stderr
    section = load_draft(drafted).section_by_number(3)
    assert not section.failed and "走访服务企业136家次" in section.body


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--section", "9"], "没有第“九”部分"),
        ([], "请用 --section"),
        (["--failed"], "没有标记为生成失败"),
        (["--section", "1", "--plan", "不存在"], "没有名为“不存在”的提纲"),
    ],
)
def test_regen_bad_input_leaves_the_draft_alone(drafted, args, fragment):
    before = drafted.read_bytes()
    result = run_cli("regen", drafted, *args, "--engine", "offline")
    assert result.returncode == 2
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert drafted.read_bytes() == before
    assert not drafted.with_name("facts.draft.md.bak").exists()


def test_regen_without_facts_file_names_the_fix(drafted):
    (drafted.parent / "facts.md").unlink()
    result = run_cli("regen", drafted, "--section", "1", "--engine", "offline")
    assert result.returncode == 2 and "--facts" in result.stderr


def test_regen_through_the_model_server(drafted):
    body = "始终坚持以习近平新时代中国特色社会主义思想为指导，一是参加党工委理论学习中心组集体学习12次；二是讲专题党课2次。"
    with FakeOpenAI() as server:
        server.enqueue(Reply(content=body))
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "fake-model", "OPENAI_API_KEY": KEY}
        (drafted.parent / "draftbot.toml").write_text("backoff = 0.01\n", encoding="utf-8")
        result = run_cli("regen", drafted, "--section", "一", cwd=drafted.parent, env=env)
        assert result.returncode == 0, result.stderr
        assert len(server.chat_requests) == 1
        request = server.chat_requests[0].last_content
    assert "坚定理想信念" in request  # the request names the section being rewritten
    after = load_draft(drafted)
    assert after.section_by_number(1).body == body
    assert after.meta["regenerated"][0]["engine"] == "llm"
    assert KEY not in result.stdout + result.stderr + drafted.read_text(encoding="utf-8")


def test_regen_model_failure_keeps_old_text_and_exits_3(drafted):
    old = load_draft(drafted).section_by_number(1).body
    with FakeOpenAI() as server:
        for _ in range(10):
            server.enqueue(Reply.error(500))
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "fake-model", "OPENAI_API_KEY": KEY}
        (drafted.parent / "draftbot.toml").write_text("backoff = 0.01\nretries = 1\n", encoding="utf-8")
        result = run_cli("regen", drafted, "--section", "1", cwd=drafted.parent, env=env)
    assert result.returncode == 3, result.stderr
    assert "保留原文" in result.stderr
    assert load_draft(drafted).section_by_number(1).body == old
