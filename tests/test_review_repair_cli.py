"""regen, repair, write --repair/--resume and review as a user runs them, against the loopback server."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clirun import EXAMPLE_FACTS, cli_env
from draftbot.compose import compose_draft
from draftbot.draft import CLOSING, OPENING, load_draft, parse_draft
from draftbot.draftedit import replace_part
from draftbot.engines.offline import OfflineEngine
from draftbot.facts import load_facts
from draftbot.headings import chinese_number
from draftbot.plans import resolve_plan
from draftbot.samples import load_samples
from fake_openai import FakeOpenAI, Reply

KEY = "sk-review-secret-0123456789abcdef"
VISITS = ("136家次", "163家次")  # figures the facts do not have: figure-ungrounded errors
ISSUES = ("问题42个", "问题24个")
MEETINGS = ("调度会38次", "调度会83次")
TALKS = ("16人次", "61人次")


@pytest.fixture(scope="module")
def good():
    """Section id -> a correct answer (the offline engine's text), and the task line -> section id."""
    facts = load_facts(EXAMPLE_FACTS)
    plan = resolve_plan(None, facts)
    _, _, results = compose_draft(facts, plan, load_samples(), OfflineEngine())
    tasks = {f"请起草第{chinese_number(i)}部分": s.id for i, s in enumerate(plan.sections, 1)}
    tasks.update({"请起草报告的开头段": plan.opening.id, "请起草报告的结尾段": plan.closing.id})
    return {r.section_id: r.body for r in results}, tasks


def good_answers(good):
    bodies, tasks = good

    def respond(body: dict) -> str:
        tail = body["messages"][-1]["content"]
        return bodies[next(sid for task, sid in tasks.items() if tail.startswith(task))]

    return respond


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "facts.md").write_text(EXAMPLE_FACTS.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "draftbot.toml").write_text("backoff = 0.01\nretries = 0\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def server(good):
    with FakeOpenAI(responder=good_answers(good), usage_shape="deepseek", prefix_cache=True) as srv:
        yield srv


def llm_env(srv):
    return {"OPENAI_BASE_URL": srv.base_url, "DRAFTBOT_MODEL": "fake-model", "OPENAI_API_KEY": KEY}


def model_draft(cli, workdir, server) -> Path:
    proc = cli("write", "facts.md", "--repair", "0", cwd=workdir, env=llm_env(server))
    assert proc.returncode == 0, proc.stderr
    server.reset()
    return workdir / "facts.draft.md"


def flaw(path: Path, key, *swaps) -> str:
    """Put wrong figures into one part of the file (directly in its bytes); returns the new text."""
    text = path.read_text(encoding="utf-8")
    draft = parse_draft(text)
    body = draft.opening if key == OPENING else draft.sections[key - 1].body
    new = body
    for old, wrong in swaps:
        assert old in new
        new = new.replace(old, wrong)
    text = text.replace(body, new)
    path.write_text(text, encoding="utf-8")
    return text


def same_outside(a: str, b: str, key) -> bool:
    """Everything but part `key` (and the front matter) is the same bytes in both texts."""
    return replace_part(a, key, "§").split("\n---\n", 1)[1] == replace_part(b, key, "§").split("\n---\n", 1)[1]


# -- regen -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, key, marker",
    [
        ("3", 3, "请起草第三部分"),
        ("三", 3, "请起草第三部分"),
        ("勤勉敬业", 3, "请起草第三部分"),
        ("四、聚焦主责主业，推动各项工作取得实效", 4, "请起草第四部分"),
        ("开头", OPENING, "请起草报告的开头段"),
        ("结尾", CLOSING, "请起草报告的结尾段"),
    ],
)
def test_regen_by_number_ordinal_heading_and_opening_closing(cli, workdir, server, spec, key, marker):
    path = model_draft(cli, workdir, server)
    before = path.read_text(encoding="utf-8")
    server.on(marker, "重新写的这一部分。")
    proc = cli("regen", path, "--section", spec, cwd=workdir, env=llm_env(server))
    assert proc.returncode == 0, proc.stderr
    assert len(server.chat_requests) == 1 and server.chat_requests[0].last_content.startswith(marker)
    after = path.read_text(encoding="utf-8")
    draft = parse_draft(after)
    body = {OPENING: draft.opening, CLOSING: draft.closing}.get(key) or draft.sections[int(key) - 1].body
    assert body == "重新写的这一部分。"
    assert same_outside(before, after, key)
    assert path.with_name("facts.draft.md.bak").read_text(encoding="utf-8") == before


def test_regen_request_keeps_the_first_prefix_and_carries_findings_hint_and_hand_edits(cli, workdir, good):
    with FakeOpenAI(responder=good_answers(good)) as srv:
        proc = cli("write", "facts.md", "--repair", "0", cwd=workdir, env=llm_env(srv))
        assert proc.returncode == 0, proc.stderr
        prefixes = {json.dumps(r.messages[:-1], ensure_ascii=False) for r in srv.chat_requests}
        assert len(prefixes) == 1
        srv.reset()
        path = workdir / "facts.draft.md"
        text = path.read_text(encoding="utf-8")
        second = parse_draft(text).sections[1].body
        hand = "我手工改写的第二部分，   空格和\n单换行都保留。"
        path.write_text(text.replace(second, hand), encoding="utf-8")
        flawed = flaw(path, 3, VISITS)
        srv.on("请起草第三部分", good[0]["diligence"])
        proc = cli("regen", path, "--section", "三", "--hint", "突出为企业办实事", cwd=workdir, env=llm_env(srv))
        assert proc.returncode == 0, proc.stderr
        (rec,) = srv.chat_requests
    assert json.dumps(rec.messages[:-1], ensure_ascii=False) in prefixes  # byte-identical shared prefix
    tail = rec.last_content
    assert "“163家次”" in tail and "错误：" in tail  # the section's finding, to fix
    assert "用户的修改意见：突出为企业办实事" in tail
    assert "我手工改写的第二部分，   空格和\n单换行都保留。" in tail  # the other sections as they stand
    after = path.read_text(encoding="utf-8")
    assert hand in after and same_outside(flawed, after, 3)
    assert parse_draft(after).sections[2].body == good[0]["diligence"]
    assert KEY not in proc.stdout + proc.stderr + after


def test_regen_uses_a_corrected_facts_file_and_says_so(cli, workdir):
    assert cli("write", "facts.md", "--engine", "offline", cwd=workdir).returncode == 0
    facts = workdir / "facts.md"
    facts.write_text(facts.read_text(encoding="utf-8").replace("136家次", "138家次"), encoding="utf-8")
    proc = cli("regen", "facts.draft.md", "--section", "3", "--engine", "offline", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert "在起草之后改动过" in proc.stderr
    assert "138家次" in load_draft(workdir / "facts.draft.md").sections[2].body


@pytest.mark.parametrize("command", [["regen", "--section", "3"], ["repair"]])
def test_model_failure_leaves_the_file_byte_identical(cli, workdir, server, command):
    path = model_draft(cli, workdir, server)
    flaw(path, 3, VISITS)
    before = path.read_bytes()
    with FakeOpenAI(default=Reply.error(500)) as broken:
        proc = cli(command[0], path, *command[1:], cwd=workdir, env=llm_env(broken))
        assert len(broken.chat_requests) == 1
    assert proc.returncode == 3, proc.stderr
    assert path.read_bytes() == before and not path.with_name("facts.draft.md.bak").exists()
    assert "Traceback" not in proc.stderr


# -- repair ----------------------------------------------------------------------------------------


def test_repair_command_converges_and_records_history(cli, workdir, server, good):
    path = model_draft(cli, workdir, server)
    diligence = good[0]["diligence"]
    flawed = flaw(path, 3, VISITS, ISSUES)
    server.on("请起草第三部分", diligence.replace(*ISSUES), diligence, "不应被请求")
    proc = cli("repair", path, "--rounds", "3", "--hint", "语气再平实一些", cwd=workdir, env=llm_env(server))
    assert proc.returncode == 0, proc.stderr
    assert len(server.chat_requests) == 2
    first, second = server.chat_requests
    assert "“163家次”" in first.last_content and "“24个”" in first.last_content
    assert "“163家次”" not in second.last_content and "“24个”" in second.last_content  # only what is left
    assert all("用户的修改意见：语气再平实一些" in r.last_content for r in (first, second))
    assert first.messages[:-1] == second.messages[:-1]  # fresh requests on one shared prefix
    assert "错误 2→0" in proc.stdout and "已没有错误" in proc.stdout and "检查通过" in proc.stdout
    after = path.read_text(encoding="utf-8")
    (entry,) = parse_draft(after).meta["repairs"]
    assert entry["rounds"] == 2 and entry["requests"] == 2 and entry["sections"] == {"三": "错误 2→0，警告 0→0"}
    assert entry["input_tokens"] > 0 and "cost" not in entry or entry["cost"] >= 0
    assert same_outside(flawed, after, 3)


def test_write_repair_gives_up_after_n_rounds_with_the_expected_requests(cli, workdir, good):
    diligence = good[0]["diligence"]

    def bad(*swaps):
        body = diligence
        for swap in swaps:
            body = body.replace(*swap)
        return body

    with FakeOpenAI(responder=good_answers(good)) as srv:
        srv.on("请起草第三部分", bad(VISITS, ISSUES, MEETINGS), bad(ISSUES, MEETINGS), bad(MEETINGS), "不应被请求")
        proc = cli("write", "facts.md", "--repair", "2", cwd=workdir, env=llm_env(srv))
        assert len(srv.chat_requests) == 9 + 2
    assert proc.returncode == 0, proc.stderr
    assert "自动修复：2 轮，2 次请求" in proc.stdout and "已达到修复轮数上限" in proc.stdout
    assert "错误 3→1" in proc.stdout
    body = load_draft(workdir / "facts.draft.md").sections[2].body
    assert body == bad(MEETINGS)


def test_write_repair_budget_stops_before_spending(cli, workdir, good):
    with FakeOpenAI(responder=good_answers(good)) as srv:
        srv.on("请起草第三部分", good[0]["diligence"].replace(*VISITS))
        proc = cli("write", "facts.md", "--repair", "3", "--repair-budget", "5000", cwd=workdir, env=llm_env(srv))
        assert len(srv.chat_requests) == 9
    assert proc.returncode == 0 and "再修一轮会超出词元预算" in proc.stdout


def test_offline_write_does_not_repair_by_default(cli, workdir):
    proc = cli("write", "facts.md", "--engine", "offline", cwd=workdir)
    assert proc.returncode == 0 and "自动修复" not in proc.stdout
    assert "repairs" not in load_draft(workdir / "facts.draft.md").meta
    assert not (workdir / "facts.draft.md.journal.json").exists()


# -- resume ----------------------------------------------------------------------------------------


def test_outage_then_resume_requests_only_the_missing_sections(cli, workdir, good):
    with FakeOpenAI(responder=good_answers(good)) as srv:
        srv.on("请起草第二部分", Reply.error(503))
        srv.on("请起草第六部分", Reply.error(503))
        proc = cli("write", "facts.md", cwd=workdir, env=llm_env(srv))
        assert proc.returncode == 3 and "--resume" in proc.stderr
        assert len(srv.chat_requests) == 9
        journal = workdir / "facts.draft.md.journal.json"
        assert len(json.loads(journal.read_text(encoding="utf-8"))["sections"]) == 7
        srv.reset()  # the provider is back
        proc = cli("write", "facts.md", "--resume", cwd=workdir, env=llm_env(srv))
        asked = sorted(r.last_content.splitlines()[0][:7] for r in srv.chat_requests)
    assert proc.returncode == 0, proc.stderr
    assert asked == ["请起草第二部分", "请起草第六部分"]
    assert "沿用上次已完成的 7 个部分" in proc.stderr and "检查通过" in proc.stdout
    assert not journal.exists()
    assert (workdir / "facts.draft.md.bak").exists()  # the partial draft is kept
    assert KEY not in proc.stdout + proc.stderr


def test_resume_with_changed_facts_starts_over_and_says_so(cli, workdir, good):
    with FakeOpenAI(responder=good_answers(good)) as srv:
        srv.on("请起草第二部分", Reply.error(503))
        assert cli("write", "facts.md", cwd=workdir, env=llm_env(srv)).returncode == 3
        facts = workdir / "facts.md"
        facts.write_text(facts.read_text(encoding="utf-8") + "\n- 补充一条事实\n", encoding="utf-8")
        srv.reset()
        proc = cli("write", "facts.md", "--resume", "--repair", "0", cwd=workdir, env=llm_env(srv))
        assert len(srv.chat_requests) == 9
    assert proc.returncode == 0 and "与这次的事实文件不同，不能沿用" in proc.stderr


def test_ctrl_c_then_resume(workdir, good):
    bodies, _ = good
    slow = Reply(content="不会完成", delay=20)
    with FakeOpenAI(default=slow) as srv:
        srv.on("请起草第四部分", bodies["performance"])
        srv.on("请起草第一部分", bodies["political"])
        proc = subprocess.Popen(
            [sys.executable, "-m", "draftbot", "write", "facts.md"], cwd=workdir, env=cli_env(llm_env(srv)),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        journal = workdir / "facts.draft.md.journal.json"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if journal.exists() and len(json.loads(journal.read_text(encoding="utf-8"))["sections"]) == 2:
                break
            time.sleep(0.05)
        proc.send_signal(__import__("signal").SIGINT)
        proc.communicate(timeout=30)
        assert proc.returncode == 3
        srv.reset()
        srv.responder = good_answers(good)
        run = subprocess.run(
            [sys.executable, "-m", "draftbot", "write", "facts.md", "--resume"], cwd=workdir,
            env=cli_env(llm_env(srv)), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        asked = {r.last_content.splitlines()[0][:7] for r in srv.chat_requests}
    assert run.returncode == 0, run.stderr
    assert len(asked) == 7 and not asked & {"请起草第四部分", "请起草第一部分"}
    draft = load_draft(workdir / "facts.draft.md")
    assert draft.sections[3].body == bodies["performance"] and draft.sections[0].body == bodies["political"]


# -- review ----------------------------------------------------------------------------------------


def test_review_groups_findings_with_the_command_that_fixes_each(cli, workdir):
    assert cli("write", "facts.md", "--engine", "offline", cwd=workdir).returncode == 0
    path = workdir / "facts.draft.md"
    flaw(path, 3, VISITS)
    flaw(path, 5, TALKS)
    proc = cli("review", "facts.draft.md", cwd=workdir)
    assert proc.returncode == 1
    out = proc.stdout
    assert "三、勤勉敬业，始终保持奋斗姿态（错误 1，警告 0）" in out
    assert "修复：draftbot regen facts.draft.md --section 三" in out
    assert "修复：draftbot regen facts.draft.md --section 五" in out
    assert "draftbot repair facts.draft.md" in out
    assert out.index("三、勤勉敬业") < out.index("五、严守纪律")


def test_review_of_a_word_file_gives_the_regen_command_for_the_docx(cli, workdir):
    assert cli("write", "facts.md", "--engine", "offline", cwd=workdir).returncode == 0
    flaw(workdir / "facts.draft.md", 3, VISITS)
    assert cli("export", "facts.draft.md", cwd=workdir).returncode == 0
    proc = cli("review", "facts.docx", cwd=workdir)
    assert proc.returncode == 1
    assert "勤勉敬业" in proc.stdout and "163家次" in proc.stdout
    assert "修复：draftbot regen facts.docx --section 三" in proc.stdout
    fixed = cli("regen", "facts.docx", "--section", "三", "--engine", "offline", cwd=workdir)
    assert fixed.returncode == 0, fixed.stderr
    assert "163家次" not in cli("check", "facts.docx", cwd=workdir).stdout


# -- review --interactive through a pseudo-terminal --------------------------------------------------


class Terminal:
    """A draftbot process on a pseudo-terminal: wait for text, type answers."""

    def __init__(self, args, cwd, env):
        import pty

        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "draftbot", *args], cwd=cwd, env=cli_env(env),
            stdin=slave, stdout=slave, stderr=slave, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {text!r}; got:\n{self.seen[-2000:]}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                assert chunk, f"process ended before {text!r}; got:\n{self.seen[-2000:]}"
                self.seen += chunk.decode("utf-8", errors="replace")
        found, self.seen = self.seen, self.seen[self.seen.index(text) + len(text) :]
        return found

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode("utf-8"))

    def close(self) -> int:
        code = self.proc.wait(timeout=30)
        os.close(self.master)
        return code


def test_review_interactive_regenerate_edit_accept_and_skip(workdir, tmp_path):
    env = {"EDITOR": f"{sys.executable} {tmp_path / 'editor.py'}", "VISUAL": ""}
    (tmp_path / "editor.py").write_text(
        "import sys\np = sys.argv[1]\nt = open(p, encoding='utf-8').read()\n"
        "open(p, 'w', encoding='utf-8').write(t.replace('61人次', '16人次') + '编辑器里加的一句。')\n",
        encoding="utf-8",
    )
    assert subprocess.run([sys.executable, "-m", "draftbot", "write", "facts.md", "--engine", "offline"],
                          cwd=workdir, env=cli_env(), capture_output=True).returncode == 0  # fmt: skip
    path = workdir / "facts.draft.md"
    clean = load_draft(path)
    flaw(path, OPENING, ("党工委委员", "党工委委员（2019）"))
    flaw(path, 3, VISITS)
    flaw(path, 5, TALKS)
    term = Terminal(["review", "facts.draft.md", "--interactive", "--engine", "offline"], workdir, env)
    term.expect("[1/3]")
    term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    term.send("s")  # the opening: skipped, left as it is
    term.expect("[2/3]")
    shown = term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    assert "163家次" in shown and "数字无依据" in shown
    term.send("r")
    term.expect("修改意见（可直接回车）：")
    term.send("")
    shown = term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    assert "已重新生成并保存" in shown and "错误 0，警告 0" in shown
    assert load_draft(path).sections[2].body == clean.sections[2].body  # saved before the next decision
    term.send("a")
    term.expect("[3/3]")
    term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    term.send("e")
    shown = term.expect("[a]接受 [r]重新生成 [e]编辑 [s]跳过 [q]退出：")
    assert "已保存修改" in shown and "编辑器里加的一句。" in shown
    term.send("x")
    term.expect("请输入")
    term.send("a")
    term.expect("审阅结束：还剩错误 0、警告 1，在 1 处（开头）。继续处理：draftbot review facts.draft.md --interactive")
    assert term.close() == 0
    after = load_draft(path)
    assert "党工委委员（2019）" in after.opening
    assert after.sections[4].body == clean.sections[4].body + "\n编辑器里加的一句。"
    assert [r["section"] for r in after.meta["reviewed"]] == ["三", "五"]
    for index in (0, 1, 3, 5, 6):
        assert after.sections[index].body == clean.sections[index].body
