"""The drafting loop acts on what `draftbot check` finds: one judge for write's repair round, repair,
regen and the final summary (issue 18), through the CLI against the loopback server."""

from __future__ import annotations

import json

import test_review_repair_cli as shared
from draftbot.draft import parse_draft
from fake_openai import FakeOpenAI
from test_review_repair_cli import KEY, llm_env
from test_review_repair_cli import good_answers as answers

good, workdir = shared.good, shared.workdir  # the same fixtures: offline answers per section, a facts folder

ESTABLISHED = "深刻领悟“两个确立”的决定性意义，"


def check_json(cli, workdir, path) -> dict:
    proc = cli("check", path, "--format", "json", cwd=workdir)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_write_repairs_what_check_finds_and_the_loop_agrees_with_check(cli, workdir, good):
    political = good[0]["political"]
    assert ESTABLISHED in political
    lacking = political.replace(ESTABLISHED, "")
    with FakeOpenAI(responder=answers(good)) as srv:  # without repair: check finds the missing formulation
        srv.on("请起草第一部分", lacking)
        proc = cli("write", "facts.md", "-o", "plain.draft.md", "--repair", "0", cwd=workdir, env=llm_env(srv))
    assert proc.returncode == 0, proc.stderr
    plain = check_json(cli, workdir, workdir / "plain.draft.md")
    missing = [f for f in plain["findings"] if f["level"] == "error"]
    assert missing and all("两个确立" in json.dumps(f, ensure_ascii=False) for f in missing)

    with FakeOpenAI(responder=answers(good)) as srv:  # by default: one repair round fixes it
        srv.on("请起草第一部分", lacking, political, "不应被请求")
        proc = cli("write", "facts.md", "-o", "loop.draft.md", cwd=workdir, env=llm_env(srv))
        political_requests = [r for r in srv.chat_requests if r.last_content.startswith("请起草第一部分")]
        assert len(srv.chat_requests) == 9 + 1
    assert proc.returncode == 0, proc.stderr
    assert "无需修复" not in proc.stdout
    assert "自动修复：1 轮，1 次请求" in proc.stdout, proc.stdout
    assert f"错误 {len(missing)}→0" in proc.stdout
    assert len(political_requests) == 2 and "两个确立" in political_requests[1].last_content  # the finding, named
    path = workdir / "loop.draft.md"
    assert "两个确立" in parse_draft(path.read_text(encoding="utf-8")).sections[0].body
    after = check_json(cli, workdir, path)["summary"]
    # the loop's final judgement is check's on the saved file
    assert f"修复后检查：错误 {after['errors']}，警告 {after['warnings']}" in proc.stdout, proc.stdout
    assert after["errors"] == 0



def test_regen_uses_the_model_the_draft_records_and_never_falls_back_silently(cli, workdir, good, monkeypatch):
    with FakeOpenAI(responder=answers(good)) as srv:
        proc = cli("write", "facts.md", "-o", "m.draft.md", "--provider", "deepseek", "--base-url", srv.base_url,
                   "--model", "fake-model", cwd=workdir, env={"OPENAI_API_KEY": KEY})  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        srv.reset()
        path = workdir / "m.draft.md"
        meta = parse_draft(path.read_text(encoding="utf-8")).meta
        assert meta["provider"] == "deepseek" and meta["model"] == "fake-model" and KEY not in path.read_text(encoding="utf-8")
        # no model flags, no model in the environment: the draft's model is used (key from the environment)
        proc = cli("regen", path, "--section", "二", "--hint", "更简洁", cwd=workdir)
        assert proc.returncode == 0, proc.stderr
        assert len(srv.chat_requests) == 1 and "更简洁" in srv.chat_requests[0].last_content
        assert srv.chat_requests[0].body["model"] == "fake-model"
        # without the key: exit 2, the file untouched, the offline flag shown
        before = path.read_bytes()
        monkeypatch.delenv("OPENAI_API_KEY")
        proc = cli("regen", path, "--section", "二", cwd=workdir)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "--engine offline" in proc.stderr and "deepseek" in proc.stderr and "密钥" in proc.stderr
        assert "Traceback" not in proc.stderr and path.read_bytes() == before
        assert len(srv.chat_requests) == 1
        proc = cli("regen", path, "--section", "二", "--engine", "offline", cwd=workdir)
        assert proc.returncode == 0, proc.stderr
        assert len(srv.chat_requests) == 1
