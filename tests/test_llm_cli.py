"""`draftbot write` with the LLM engine, run as a user would (subprocess) against the loopback server."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clirun import EXAMPLE_FACTS, cli_env, run_cli
from draftbot.draft import load_draft
from fake_openai import FakeOpenAI, Reply

KEY = "sk-cli-secret-9f8e7d6c5b4a3210"


def echo_section(body: dict) -> str:
    tail = body["messages"][-1]["content"]
    return "正文：" + tail.splitlines()[0][:30].rstrip("。") + "。一是抓学习；二是抓落实。"  # never “。。”


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "facts.md").write_text(EXAMPLE_FACTS.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "draftbot.toml").write_text("backoff = 0.01\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def server():
    with FakeOpenAI(responder=echo_section, usage_shape="deepseek", prefix_cache=True) as srv:
        yield srv


def llm_env(srv, **extra):
    return {"OPENAI_BASE_URL": srv.base_url, "DRAFTBOT_MODEL": "fake-model", "OPENAI_API_KEY": KEY, **extra}


def assert_key_nowhere(proc, folder: Path):
    assert KEY not in proc.stdout and KEY not in proc.stderr
    for path in folder.rglob("*"):
        if path.is_file():
            assert KEY not in path.read_text(encoding="utf-8", errors="replace"), path


def test_configured_model_is_used_by_default(workdir, server):
    proc = run_cli("write", "facts.md", cwd=workdir, env=llm_env(server))
    assert proc.returncode == 0, proc.stderr
    draft = (workdir / "facts.draft.md").read_text(encoding="utf-8")
    assert "engine: llm" in draft and "model: fake-model" in draft
    assert "cached_tokens:" in draft and "正文：请起草第一部分" in draft
    assert "引擎：大模型 " in proc.stdout and "合计" in proc.stdout
    # one repair round by default with a model: the first write's 9 requests, then one per flawed section
    (repairs,) = load_draft(workdir / "facts.draft.md").meta["repairs"]
    assert repairs["rounds"] == 1 and repairs["requests"] >= 1 and "自动修复：1 轮" in proc.stdout
    assert len(server.chat_requests) == 9 + repairs["requests"]
    assert_key_nowhere(proc, workdir)


def test_flags_choose_model_and_concurrency(cli, workdir, server):
    proc = cli(
        "write", "facts.md", "--base-url", server.base_url, "--model", "m2", "--concurrency", "2", "--timeout", "30",
        cwd=workdir, env={"OPENAI_API_KEY": KEY},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert {r.body["model"] for r in server.chat_requests} == {"m2"}
    assert server.max_in_flight <= 2


def test_partial_failure_writes_draft_and_exits_3(cli, workdir, server):
    server.on("第二部分", *[Reply.error(500) for _ in range(5)])
    server.on("第五部分", Reply.filtered())
    proc = cli("--debug", "write", "facts.md", cwd=workdir, env=llm_env(server))
    assert proc.returncode == 3, proc.stderr
    assert "2 个部分生成失败" in proc.stderr
    draft = (workdir / "facts.draft.md").read_text(encoding="utf-8")
    assert draft.count("draftbot:failed") == 2
    assert "正文：请起草第一部分" in draft and "正文：请起草第三部分" in draft
    assert len([r for r in server.chat_requests if "第二部分" in r.last_content]) == 4  # 1 + 3 retries
    assert_key_nowhere(proc, workdir)


def test_wrong_key_is_exit_3_and_key_not_shown(cli, workdir):
    with FakeOpenAI(api_key="sk-the-right-key-000000000") as srv:
        proc = cli("--debug", "write", "facts.md", cwd=workdir, env=llm_env(srv))
    assert proc.returncode == 3
    assert "401" in proc.stderr and "OPENAI_API_KEY" in proc.stderr
    assert not (workdir / "facts.draft.md").exists()
    assert_key_nowhere(proc, workdir)


def test_missing_key_names_env_var(cli, workdir):
    proc = cli("write", "facts.md", "--provider", "deepseek", cwd=workdir)
    assert proc.returncode == 2
    assert "DEEPSEEK_API_KEY" in proc.stderr and "Traceback" not in proc.stderr


def test_offline_when_no_model_configured(cli, workdir):
    proc = cli("write", "facts.md", cwd=workdir)
    assert proc.returncode == 0
    assert "未配置大模型，使用离线引擎" in proc.stderr
    assert "engine: offline" in (workdir / "facts.draft.md").read_text(encoding="utf-8")
    proc = cli("write", "facts.md", "--engine", "llm", "--force", cwd=workdir)
    assert proc.returncode == 2 and "尚未配置大模型" in proc.stderr


def test_dry_run_prints_messages_without_model_or_langchain(workdir):
    code = (
        "import sys\nfrom draftbot.cli import main\n"
        "try:\n    main(['write', 'facts.md', '--dry-run', '--provider', 'qwen'])\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('langchain_openai', 'langchain_core', 'openai', 'httpx')]\n"
        "print('IMPORTED', bad)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=workdir, env=cli_env(), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "IMPORTED []" in out
    assert "----- system -----" in out and "共享前缀" in out and "词元估算" in out
    assert "只是估计" in out and "此处为上限" not in out  # cl100k counts are estimates, not bounds
    assert "王建华" in out  # the facts are in the messages
    assert not (workdir / "facts.draft.md").exists()


def test_ctrl_c_keeps_completed_sections(workdir):
    slow = Reply(content="不会完成", delay=20)
    with FakeOpenAI(default=slow) as srv:
        # the longest sections start first: 四 (performance), 一, 五, 七; make 四, 一 and 五 quick
        srv.on("第四部分", "第四部分正文。")
        srv.on("第一部分", "第一部分正文。一是抓学习；二是抓落实。")
        srv.on("第五部分", "第五部分正文。")
        proc = subprocess.Popen(
            [sys.executable, "-m", "draftbot", "write", "facts.md"],
            cwd=workdir, env=cli_env(llm_env(srv)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done = [
                r
                for r in srv.chat_requests
                if r.finished and "部分正文" in (r.reply.content if r.reply else "")
            ]
            if len(done) == 3 and len(srv.chat_requests) >= 7:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err
    assert "已中断" in err
    draft = (workdir / "facts.draft.md").read_text(encoding="utf-8")
    assert "第一部分正文。" in draft and "第四部分正文。" in draft and "第五部分正文。" in draft
    assert draft.count("draftbot:failed") == 6  # the other 4 sections, the opening and the closing
    assert KEY not in out + err + draft
