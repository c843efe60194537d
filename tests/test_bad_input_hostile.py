"""Issue 21: what a hostile run found (alias bombs, exit-4 crashes, lost work), each through the CLI."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import sys

import pytest

from clirun import EXAMPLE_FACTS, run_cli
from fake_openai import FakeOpenAI, Reply

CHINESE = re.compile(r"[\u4e00-\u9fff]")
KEY = "sk-hostile-0123456789abcdef"

# Nine lines: 9**9 (387 million) strings once anything walks the result.
BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
)


def refused(result, code: int = 2) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert CHINESE.search(result.stderr), result.stderr
    return result.stderr


@pytest.fixture
def work(tmp_path):
    shutil.copy(EXAMPLE_FACTS, tmp_path / "facts.md")
    return tmp_path


@pytest.fixture
def drafted(work):
    assert run_cli("write", "facts.md", "--engine", "offline", cwd=work).returncode == 0
    return work / "facts.draft.md"


def with_front_matter(draft, edit) -> str:
    """The draft's text with `edit` applied to its front matter (the lines between the --- lines)."""
    text = draft.read_text(encoding="utf-8")
    _, head, body = text.split("---\n", 2)
    return f"---\n{edit(head)}---\n{body}"


def memory_capped(limit: int = 1_500_000_000):
    """A preexec_fn capping the child's address space: a bomb that expands fails fast, not the machine."""
    import resource

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def run_capped(*args, cwd, timeout=60):
    import subprocess

    from clirun import cli_env

    return subprocess.run(
        [sys.executable, "-m", "draftbot", *map(str, args)], cwd=cwd, env=cli_env(), capture_output=True,
        text=True, encoding="utf-8", timeout=timeout, preexec_fn=memory_capped(),
    )  # fmt: skip


# ------------------------------------------------------------------ YAML alias bombs


@pytest.mark.parametrize("command", ["check", "export", "regen --section 1", "review", "repair"])
def test_alias_bomb_in_a_draft_is_refused_at_once(drafted, command):
    bomb = drafted.with_name("bomb.md")
    bomb.write_text(with_front_matter(drafted, lambda head: head + BOMB + "\nfacts: *i\n"), encoding="utf-8")
    before = bomb.read_bytes()
    err = refused(run_capped(*command.split()[:1], "bomb.md", *command.split()[1:], cwd=drafted.parent))
    assert "别名" in err and "bomb.md" in err
    assert bomb.read_bytes() == before


def test_alias_bomb_in_rules_facts_and_plan_files(drafted):
    work = drafted.parent
    (work / "rules").mkdir()
    (work / "rules" / "r.yaml").write_text(BOMB + "\nrules: *i\n", encoding="utf-8")
    err = refused(run_capped("check", "facts.draft.md", "--rules", "rules", cwd=work))
    assert "别名" in err and "r.yaml" in err

    (work / "bomb-facts.md").write_text("---\ntitle: &t 述职报告\nauthor: *t\n---\n# 履职成效\n- 完成项目18个\n",
                                        encoding="utf-8")  # fmt: skip
    err = refused(run_capped("write", "bomb-facts.md", "--engine", "offline", cwd=work))
    assert "别名" in err and not (work / "bomb-facts.draft.md").exists()

    plan = (work / "plan.yaml")
    plan.write_text(BOMB + "\nsections: *i\n", encoding="utf-8")
    err = refused(run_capped("write", "facts.md", "-o", "new.md", "--plan", "plan.yaml", "--engine", "offline",
                             cwd=work))  # fmt: skip
    assert "别名" in err and "plan.yaml" in err


# ------------------------------------------------------------------ exit 4 → a clear message


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda h: re.sub(r"section_ids:\n(  .*\n)+", "section_ids: [1, 2]\n", h), "section_ids"),
        (lambda h: h.replace("facts: facts.md", "facts: " + "要" * 5000), "太长"),
        (lambda h: h.replace("facts: facts.md", 'facts: "facts\\0.md"'), "控制字符"),
        (lambda h: re.sub(r"period: .*", "period: " + "9" * 5000, h), "数字太长"),
        (lambda h: re.sub(r"samples:\n(- .*\n)+", "samples: 5\n", h), "samples"),
    ],
    ids=["section-ids-list", "long-facts", "nul-facts", "5000-digit-period", "samples-not-a-list"],
)
@pytest.mark.parametrize("command", ["check", "regen --section 1", "export"])
def test_malformed_draft_front_matter_is_refused(drafted, edit, fragment, command):
    bad = drafted.with_name("bad.md")
    bad.write_text(with_front_matter(drafted, edit), encoding="utf-8")
    before = sorted(p.name for p in drafted.parent.iterdir())
    err = refused(run_cli(*command.split()[:1], "bad.md", *command.split()[1:], cwd=drafted.parent))
    assert fragment in err and "bad.md" in err
    assert sorted(p.name for p in drafted.parent.iterdir()) == before


def test_impossible_dates_are_text_not_crashes(drafted):
    work = drafted.parent
    (work / "d.md").write_text(
        with_front_matter(drafted, lambda h: re.sub(r"created: .*", "created: 2026-13-45", h)), encoding="utf-8"
    )
    assert run_cli("check", "d.md", cwd=work).returncode == 0
    result = run_cli("export", "d.md", cwd=work)
    assert result.returncode == 0, result.stderr
    (work / "f.md").write_text("---\nperiod: 2026-13-45\n---\n# 履职成效\n- 完成项目18个\n", encoding="utf-8")
    result = run_cli("write", "f.md", "--engine", "offline", cwd=work)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr


def test_5000_digit_period_in_facts(work):
    (work / "f.md").write_text(f"---\nperiod: {'1' * 5000}\n---\n# 履职成效\n- 完成项目18个\n", encoding="utf-8")
    err = refused(run_cli("write", "f.md", "--engine", "offline", cwd=work))
    assert "f.md" in err and "数字太长" in err


def test_ten_thousand_bullets_in_one_section(work):
    lines = ["# 履职成效", *(f"- 完成第{i}项任务" for i in range(1, 10_003))]
    (work / "many.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("write", "many.md", "--engine", "offline", cwd=work, timeout=120)
    assert result.returncode == 0, result.stderr
    text = (work / "many.draft.md").read_text(encoding="utf-8")
    assert "一万零二是完成第10002项任务" in text


@pytest.mark.parametrize(
    "manifest",
    ['[1, 2]', '"x"', '{"reports": [1]}', '{"reports": {"a.md": 5}}',
     '{"reports": {"a.md": {"status": "done", "key": 3, "sections": "x", "findings": [1], "tokens": "x"}}}'],
)  # fmt: skip
def test_batch_manifest_of_the_wrong_shape(work, manifest):
    shutil.move(work / "facts.md", work / "a.md")
    (work / "draftbot-batch.json").write_text(manifest, encoding="utf-8")
    result = run_cli("batch", ".", "--engine", "offline", cwd=work)
    assert result.returncode in (0, 3), (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr and "内部错误" not in result.stderr
    assert (work / "a.draft.md").exists()


def test_log_limits_and_row_ids_beyond_sqlite(work):
    server = FakeOpenAI(responder=lambda body: "正文：一是抓学习；二是抓落实。")
    with server:
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
        assert run_cli("write", "facts.md", "--repair", "0", cwd=work, env=env).returncode == 0
    huge = "9" * 20
    for args in (("log", "--limit", huge), ("log", "-n", huge, "--format", "json")):
        result = run_cli(*args, cwd=work)
        assert result.returncode == 0 and ("#9" in result.stdout or "\"id\": 9" in result.stdout), result.stderr
    err = refused(run_cli("log", "show", huge, cwd=work))
    assert huge in err


def test_invalid_utf8_in_the_log_is_tampering(work, tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DRAFTBOT_HOME", str(home))
    with FakeOpenAI(responder=lambda body: "正文：一是抓学习。") as server:
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
        assert run_cli("write", "facts.md", "--repair", "0", cwd=work, env=env).returncode == 0
    (log,) = home.rglob("audit.sqlite3")
    with sqlite3.connect(log) as conn:
        conn.execute("UPDATE calls SET response = CAST(X'FFFE41' AS TEXT) WHERE id = 3")
    for args in (("log",), ("log", "show", "3")):
        result = run_cli(*args, cwd=work)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    result = run_cli("log", "verify", cwd=work)
    assert result.returncode == 1 and "第 3 条记录" in result.stderr, result.stderr


@pytest.mark.parametrize(
    "editor, kept",
    [
        ("import sys; open(sys.argv[1], 'wb').write('改写后的正文，做到两个维护。'.encode('gbk'))", True),
        ("import os, sys; os.remove(sys.argv[1])", False),
    ],
    ids=["gbk", "deleted"],
)
def test_review_editor_saving_gbk_or_deleting_the_file(drafted, editor, kept):
    work = drafted.parent
    drafted.write_text(drafted.read_text(encoding="utf-8").replace("两个维护", "两个拥护"), encoding="utf-8")
    before = drafted.read_bytes()
    (work / "ed.py").write_text(editor, encoding="utf-8")
    env = {"EDITOR": f"{sys.executable} {work / 'ed.py'}", "VISUAL": ""}
    import subprocess

    from clirun import cli_env

    result = subprocess.run(
        [sys.executable, "-m", "draftbot", "review", drafted.name, "--interactive"], cwd=work,
        env=cli_env(env), input="e\nq\n", capture_output=True, text=True, encoding="utf-8", timeout=60,
    )  # fmt: skip
    assert result.returncode in (0, 1) and "Traceback" not in result.stdout + result.stderr, result.stderr
    assert "内部错误" not in result.stdout + result.stderr
    text = drafted.read_text(encoding="utf-8")
    if kept:
        assert "改写后的正文，做到两个维护。" in text
    else:
        assert drafted.read_bytes() == before and "未修改" in result.stdout


def test_malformed_journal_entries_are_redrafted_not_a_crash(work):
    with FakeOpenAI(responder=lambda body: "正文：一是抓学习；二是抓落实。") as server:
        server.on("第二部分", *[Reply.error(503)] * 5)
        (work / "draftbot.toml").write_text("retries = 0\nbackoff = 0.01\n", encoding="utf-8")
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
        first = run_cli("write", "facts.md", "--repair", "0", cwd=work, env=env)
        assert first.returncode == 3, first.stderr
        journal = work / "facts.draft.md.journal.json"
        data = json.loads(journal.read_text(encoding="utf-8"))
        ids = [sid for sid in data["sections"]]
        data["sections"][ids[0]] = "oops"
        data["sections"][ids[1]] = {"body": 5}
        journal.write_text(json.dumps(data), encoding="utf-8")
        server.reset()
        second = run_cli("write", "facts.md", "--resume", "--force", "--repair", "0", cwd=work, env=env)
        asked = len(server.chat_requests)
    assert second.returncode == 0, (second.stdout, second.stderr)
    assert "已损坏" in second.stdout + second.stderr
    assert asked == 3  # the failed section and the two broken entries; the other six are reused
    assert "正文：一是抓学习" in (work / "facts.draft.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------ interruptions, full disk, batch


def popen(*args, cwd, env=None, **kw):
    import subprocess

    from clirun import cli_env

    return subprocess.Popen(
        [sys.executable, "-m", "draftbot", *map(str, args)], cwd=cwd, env=cli_env(env),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", **kw,
    )  # fmt: skip


def wait_for(condition, timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_ctrl_c_during_check_says_interrupted(drafted):
    import signal
    import time

    big = drafted.with_name("big.md")
    big.write_text(drafted.read_text(encoding="utf-8") * 40, encoding="utf-8")
    for delay in (0.4, 1.0):
        proc = popen("check", "big.md", cwd=drafted.parent)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        if proc.returncode == 130:
            assert "已中断" in err and "Traceback" not in err, err
            return
    pytest.skip("check finished before the signal arrived")


def test_ctrl_c_during_the_repair_round_keeps_the_paid_draft(work):
    import signal

    calls = []

    def answer(body):
        calls.append(1)
        if len(calls) <= 9:  # the first draft: every section has an error-level finding
            return "正文：做到“两个拥护”。一是抓学习；二是抓落实。"
        return Reply.slow("修复后的正文。", 60)

    (work / "draftbot.toml").write_text("retries = 0\nbackoff = 0.01\n", encoding="utf-8")
    with FakeOpenAI(responder=answer) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
        proc = popen("write", "facts.md", "--repair", "1", "--repair-budget", "100000000", cwd=work, env=env)
        wait_for(lambda: len(server.chat_requests) > 9)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err)
    assert "已中断" in err and "草稿已保存" in err and "draftbot repair" in err, err
    draft = (work / "facts.draft.md").read_text(encoding="utf-8")
    assert draft.count("两个拥护") >= 7 and "draftbot:failed" not in draft
    assert not (work / "facts.draft.md.journal.json").exists()


def test_full_disk_during_batch_is_a_clear_failure(work):
    import resource
    import signal
    import subprocess

    from clirun import cli_env

    for i in range(6):
        shutil.copy(work / "facts.md", work / f"p{i}.md")
    (work / "facts.md").unlink()

    def small_files():  # files past 12 KB fail with EFBIG, as on a full disk (no signal)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (12_000, 12_000))

    result = subprocess.run(
        [sys.executable, "-m", "draftbot", "batch", ".", "--engine", "offline", "--docx"], cwd=work,
        env=cli_env(), capture_output=True, text=True, encoding="utf-8", timeout=120, preexec_fn=small_files,
    )  # fmt: skip
    assert result.returncode in (2, 3), (result.stdout, result.stderr)
    both = result.stdout + result.stderr
    assert "Traceback" not in both and "内部错误" not in both and "File too large" not in both, both
    assert "文件太大" in both
    assert not [p.name for p in work.iterdir() if ".tmp" in p.name]
    # nothing written before stays broken: every draft on disk parses
    from draftbot.draft import load_draft

    for draft in work.glob("*.draft.md"):
        assert load_draft(draft).sections


def test_batch_rerun_after_kill_reuses_the_journals_and_sigterm_leaves_no_temp_files(work):
    import signal

    shutil.move(work / "facts.md", work / "a.md")
    (work / "draftbot.toml").write_text("retries = 0\nbackoff = 0.01\nconcurrency = 1\n", encoding="utf-8")
    with FakeOpenAI(responder=lambda body: "正文：一是抓学习；二是抓落实。") as server:
        server.on("第五部分", Reply.slow("第五部分正文。", 60))
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
        proc = popen("batch", ".", "--repair", "0", cwd=work, env=env)
        wait_for(lambda: any("第五部分" in r.last_content for r in server.chat_requests))
        wait_for(lambda: (work / "a.draft.md.journal.json").exists()
                 and len(json.loads((work / "a.draft.md.journal.json").read_text("utf-8"))["sections"]) >= 4)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        done = len(json.loads((work / "a.draft.md.journal.json").read_text("utf-8"))["sections"])
        server.reset()
        server.on("第五部分", Reply.slow("第五部分正文。", 4))  # a running report finishes first
        proc = popen("batch", ".", "--repair", "0", cwd=work, env=env)
        wait_for(lambda: any("第五部分" in r.last_content for r in server.chat_requests))
        asked_before_five = len(server.chat_requests)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert asked_before_five <= 9 - done, (done, asked_before_five)  # the journaled sections were not paid again
    assert proc.returncode in (0, 3, 130) and "Traceback" not in err, err
    assert "已中断" in out + err
    assert not [p.name for p in work.iterdir() if ".tmp" in p.name]


# ------------------------------------------------------------------ facts paths from a received draft


def test_a_received_draft_cannot_send_a_file_elsewhere(drafted, tmp_path_factory):
    secret = tmp_path_factory.mktemp("elsewhere") / "secret.md"
    secret.write_text("# 履职成效\n- 机密：银行卡密码 864213\n", encoding="utf-8")
    work = drafted.parent
    (work / "received.md").write_text(
        with_front_matter(drafted, lambda h: h.replace("facts: facts.md", f"facts: {secret}")), encoding="utf-8"
    )
    before = (work / "received.md").read_bytes()
    with FakeOpenAI(responder=lambda body: "正文：一是抓学习。") as server:
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
        for args in (("regen", "received.md", "--section", "1"), ("repair", "received.md"), ("check", "received.md")):
            err = refused(run_cli(*args, cwd=work, env=env))
            assert str(secret) in err and "--facts" in err
        assert not server.chat_requests and "864213" not in json.dumps([r.body for r in server.requests])
        assert (work / "received.md").read_bytes() == before
        # the user's own choice is honoured
        result = run_cli("regen", "received.md", "--section", "1", "--facts", "facts.md", cwd=work, env=env)
        assert result.returncode == 0, result.stderr


def test_facts_recorded_outside_the_draft_folder_are_used_when_unchanged(work):
    (work / "out").mkdir()
    assert run_cli("write", "facts.md", "-o", "out/d.md", "--engine", "offline", cwd=work).returncode == 0
    result = run_cli("regen", "out/d.md", "--section", "1", "--engine", "offline", cwd=work)
    assert result.returncode == 0, result.stderr
    (work / "facts.md").write_text((work / "facts.md").read_text(encoding="utf-8") + "- 新增一条\n", encoding="utf-8")
    err = refused(run_cli("regen", "out/d.md", "--section", "1", "--engine", "offline", cwd=work))
    assert "facts.md" in err and "--facts" in err


# ------------------------------------------------------------------ a server that echoes the key


def test_a_server_echoing_the_key_never_gets_it_into_files_or_output(work):
    import zipfile

    def echo_key(body):
        return f"正文：收到的密钥是 {KEY}，一是抓学习；二是抓落实。"

    (work / "draftbot.toml").write_text("retries = 0\nbackoff = 0.01\n", encoding="utf-8")
    with FakeOpenAI(responder=echo_key) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
        write = run_cli("write", "facts.md", "--docx", "--repair", "0", cwd=work, env=env)
        regen = run_cli("regen", "facts.draft.md", "--section", "2", cwd=work, env=env)
        log = run_cli("log", "show", "1", cwd=work, env=env)
    for result in (write, regen):
        assert result.returncode == 0, result.stderr
        assert "API 密钥" in result.stdout + result.stderr and "****" in result.stdout + result.stderr
    for result in (write, regen, log):
        assert KEY not in result.stdout + result.stderr
    draft = (work / "facts.draft.md").read_text(encoding="utf-8")
    assert "收到的密钥是 ****" in draft
    for path in work.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    with zipfile.ZipFile(work / "facts.docx") as docx:
        assert not any(KEY.encode() in docx.read(name) for name in docx.namelist())


# ------------------------------------------------------------------ lost updates


def slow_regen_server(delay: float):
    def answer(body):
        first = body["messages"][-1]["content"].splitlines()[0]
        which = re.search(r"第(.)部分", first)
        return Reply.slow(f"重写的第{which.group(1) if which else '？'}部分正文。一是抓学习；二是抓落实。", delay)

    return FakeOpenAI(responder=answer)


def test_two_regens_of_one_draft_keep_both_changes(drafted):
    work = drafted.parent
    with slow_regen_server(1.5) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
        first = popen("regen", drafted.name, "--section", "1", cwd=work, env=env)
        second = popen("regen", drafted.name, "--section", "3", cwd=work, env=env)
        results = [(p.wait(timeout=60), *p.communicate()) for p in (first, second)]
    assert [code for code, _, _ in results] == [0, 0], results
    text = drafted.read_text(encoding="utf-8")
    assert "重写的第一部分正文" in text and "重写的第三部分正文" in text
    from draftbot.draft import load_draft

    assert len(load_draft(drafted).meta["regenerated"]) == 2


def test_a_hand_edit_made_while_regen_waits_is_kept(drafted):
    work = drafted.parent
    with slow_regen_server(2) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
        proc = popen("regen", drafted.name, "--section", "1", cwd=work, env=env)
        wait_for(lambda: server.chat_requests)
        text = drafted.read_text(encoding="utf-8")
        drafted.write_text(text.replace("存在的不足\n\n", "存在的不足\n\n手工补充的一段话。\n\n", 1), encoding="utf-8")
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    text = drafted.read_text(encoding="utf-8")
    assert "手工补充的一段话。" in text and "重写的第一部分正文" in text


def test_the_same_part_edited_by_hand_meanwhile_is_not_overwritten(drafted):
    work = drafted.parent
    with slow_regen_server(2) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
        proc = popen("regen", drafted.name, "--section", "1", cwd=work, env=env)
        wait_for(lambda: server.chat_requests)
        edited = drafted.read_text(encoding="utf-8").replace("始终把政治建设摆在首位", "我手工改过的第一部分", 1)
        drafted.write_text(edited, encoding="utf-8")
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert drafted.read_text(encoding="utf-8") == edited
    (rescue,) = [p for p in work.iterdir() if p.name.startswith("facts.draft") and p.name not in
                 ("facts.draft.md", "facts.draft.md.bak")]  # fmt: skip
    assert rescue.name in err and "重写的第一部分正文" in rescue.read_text(encoding="utf-8")


def test_an_audit_log_that_breaks_mid_run_keeps_the_answers(work, tmp_path_factory, monkeypatch):
    import os

    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DRAFTBOT_HOME", str(home))
    (work / "draftbot.toml").write_text("retries = 0\nbackoff = 0.01\nconcurrency = 1\n", encoding="utf-8")
    with FakeOpenAI(responder=lambda body: Reply.slow("正文：一是抓学习；二是抓落实。", 0.3)) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
        proc = popen("write", "facts.md", "--repair", "0", cwd=work, env=env)
        wait_for(lambda: len(server.chat_requests) >= 2)
        (log,) = home.rglob("audit.sqlite3")
        os.replace(log, log.with_name("saved.sqlite3"))
        log.write_bytes(b"this is not a database" * 100)
        out, err = proc.communicate(timeout=60)
        asked = len(server.chat_requests)
    assert proc.returncode == 0, err
    assert "审计日志" in out + err and "写入失败" in out + err and "Traceback" not in err
    assert asked == 9
    draft = (work / "facts.draft.md").read_text(encoding="utf-8")
    assert draft.count("正文：一是抓学习") >= 7 and "draftbot:failed" not in draft
