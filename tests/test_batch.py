"""`draftbot batch` against the loopback server: isolation of failures, resume, the shared bound, masking."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from clirun import cli_env
from draftbot.batch import BatchOptions, find_facts_files, run_batch
from draftbot.errors import InputError
from fake_openai import FakeOpenAI, Reply

KEY = "sk-batch-test-00112233445566"
PEOPLE = [
    ("赵一", "东山镇", "走访农户", 101),
    ("钱二", "西河街道", "调处矛盾纠纷", 202),
    ("孙三", "南湖园区", "服务企业", 303),
    ("李四", "北岭乡", "排查隐患", 404),
]


def facts_text(author: str, unit: str, work: str, n: int, extra: str = "") -> str:
    return f"""---
type: 述职报告
author: {author}
unit: {unit}
period: 2026年
---

# 政治建设
- 参加{unit}党委理论学习中心组学习{n % 17 + 3}次，交流发言{n % 5 + 1}次

# 工作作风
- 全年{work}{n}次，现场解决问题{n // 3}个

# 履职成效
- 完成{work}专项任务{n % 13 + 2}项，群众满意率{80 + n % 19}%

# 廉洁自律
- 严格执行中央八项规定及其实施细则精神{extra}

# 存在不足
- 调查研究不够深入，{work}的办法还不多

# 明年打算
- 力争{work}工作再上新台阶，完成任务{n % 7 + 10}项
"""


POLITICAL = ("坚持用习近平新时代中国特色社会主义思想武装头脑，深刻领悟“两个确立”的决定性意义，"
             "增强“四个意识”、坚定“四个自信”、做到“两个维护”")


def echo_section(body: dict) -> str:
    """A distinct answer per person and section: the section's own facts, rephrased."""
    tail = body["messages"][-1]["content"]
    lines = [line[2:] for line in tail.splitlines() if line.startswith("- ")]
    body = "；".join(line.rstrip("。") for line in lines)
    if tail.startswith("请起草第一部分"):  # the political section carries its required formulations
        body = POLITICAL + (body and "；" + body)
    return "正文：" + tail.splitlines()[0][:24].rstrip("。") + "。" + (body + "。" if body else "")  # never “。。”


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "facts"
    root.mkdir()
    for author, unit, work, n in PEOPLE:
        (root / f"{author}.md").write_text(facts_text(author, unit, work, n), encoding="utf-8")
    (tmp_path / "draftbot.toml").write_text("backoff = 0.01\n", encoding="utf-8")
    return root


def llm_env(srv):
    return {"OPENAI_BASE_URL": srv.base_url, "DRAFTBOT_MODEL": "fake-model", "OPENAI_API_KEY": KEY}


def whose(request) -> str:
    body = json.dumps(request.body, ensure_ascii=False)
    found = [author for author, *_ in PEOPLE if author in body]
    assert len(found) == 1, found
    return found[0]


def test_failures_stay_apart_and_rerun_redoes_only_them(cli, folder):
    (folder / "孙三.md").write_text(facts_text(*PEOPLE[2], extra="；孙三专有：廉政谈话9人次"), encoding="utf-8")
    broken = {"on": True}

    def responder(body):
        if broken["on"] and "李四" in json.dumps(body, ensure_ascii=False):
            return Reply.error(500)
        return echo_section(body)

    with FakeOpenAI(responder=responder, usage_shape="deepseek", prefix_cache=True) as srv:
        srv.on("孙三专有", *[Reply.error(503) for _ in range(4)])  # one section of 孙三 fails for good
        first = cli("batch", folder, "--concurrency", "3", "--format", "json", cwd=folder.parent, env=llm_env(srv))
        assert first.returncode == 3, first.stderr
        assert "4 份报告中有 2 份失败" in first.stderr
        summary = json.loads(first.stdout)
        by_name = {r["facts"]: r for r in summary["reports"]}
        for name in ("赵一.md", "钱二.md"):
            assert by_name[name]["status"] == "done" and by_name[name]["sections"] == 7
            assert by_name[name]["failed_sections"] == 0 and by_name[name]["tokens"]["input"] > 0
        assert by_name["孙三.md"]["status"] == "failed" and by_name["孙三.md"]["failed_sections"] == 1
        assert by_name["李四.md"]["status"] == "failed" and "500" in by_name["李四.md"]["error"]
        assert summary["failed"] == 2 and 1 <= summary["max_calls_in_flight"] <= 3
        total_in = sum(r["tokens"]["input"] for r in summary["reports"])
        assert summary["totals"]["tokens"]["input"] == total_in
        assert (folder / "赵一.draft.md").exists() and not (folder / "李四.draft.md").exists()
        assert (folder / "孙三.draft.md").read_text(encoding="utf-8").count("draftbot:failed") == 1

        srv.reset()
        broken["on"] = False
        second = cli("batch", folder, "--concurrency", "3", cwd=folder.parent, env=llm_env(srv))
        assert second.returncode == 0, second.stderr
        owners = [whose(r) for r in srv.chat_requests]
        assert owners.count("孙三") == 1 and owners.count("李四") == 9 and len(owners) == 10
        assert "赵一.md                       跳过" in second.stdout
        assert "合计：4/4 份完成" in second.stdout
        assert "draftbot:failed" not in (folder / "孙三.draft.md").read_text(encoding="utf-8")

        srv.reset()
        third = cli("batch", folder, cwd=folder.parent, env=llm_env(srv))
        assert third.returncode == 0 and srv.chat_requests == []

        # a changed facts file is redone, and only it
        (folder / "钱二.md").write_text(facts_text("钱二", "西河街道", "调处矛盾纠纷", 203), encoding="utf-8")
        fourth = cli("batch", folder, cwd=folder.parent, env=llm_env(srv))
        assert fourth.returncode == 0, fourth.stderr
        assert {whose(r) for r in srv.chat_requests} == {"钱二"} and len(srv.chat_requests) == 9
        assert (folder / "钱二.draft.md.bak").exists()


def test_one_bound_on_calls_across_reports(folder, tmp_path):
    with FakeOpenAI(responder=echo_section, chunks_per_second=80, chunk_chars=3) as srv:
        opts = BatchOptions(
            engine="llm", concurrency=3,
            flags={"base_url": srv.base_url, "model": "fake-model", "concurrency": 3},
        )  # fmt: skip
        os.environ["OPENAI_API_KEY"] = KEY
        try:
            result = run_batch(find_facts_files(folder), opts)
        finally:
            del os.environ["OPENAI_API_KEY"]
        assert len(srv.chat_requests) == 36
        assert srv.max_in_flight == 3
    assert result.max_in_flight == 3 and not result.failed
    # reports overlapped: some report started before another had finished
    spans = {}
    for r in srv.chat_requests:
        person = whose(r)
        lo, hi = spans.get(person, (r.received, r.finished))
        spans[person] = (min(lo, r.received), max(hi, r.finished))
    ordered = sorted(spans.values())
    assert any(later[0] < earlier[1] for earlier, later in zip(ordered, ordered[1:], strict=False))


def test_masked_batch_sends_no_names(cli, folder):
    with FakeOpenAI(responder=echo_section) as srv:
        srv.on("请起草报告的结尾段", *["以上是【人名1】在【单位1】的述职。"] * 4)
        proc = cli("batch", folder, "--mask", cwd=folder.parent, env=llm_env(srv))
        bodies = [json.dumps(r.body, ensure_ascii=False) for r in srv.chat_requests]
    assert proc.returncode == 0, proc.stderr
    assert len(bodies) == 36
    for author, unit, *_ in PEOPLE:
        assert not any(author in b or unit in b for b in bodies)
        draft = (folder / f"{author}.draft.md").read_text(encoding="utf-8")
        assert f"以上是{author}在{unit}的述职。" in draft


def test_local_only_refuses_before_any_work(cli, folder):
    proc = cli("batch", folder, "--local-only", "--base-url", "https://api.deepseek.com/v1", "--model", "m",
               cwd=folder.parent, env={"OPENAI_API_KEY": KEY})  # fmt: skip
    assert proc.returncode == 2 and "仅限本地" in proc.stderr
    assert not (folder / "draftbot-batch.json").exists()


def test_cross_report_check_flags_copied_paragraphs_only(cli, folder):
    proc = cli("batch", folder, "--engine", "offline", "--format", "json", cwd=folder.parent)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["similar"] == []  # the plan's standard sentences are shared by all
    # 钱二 copies 赵一's work facts word for word
    text = facts_text("钱二", "西河街道", "走访农户", 101).replace("西河街道党委", "东山镇党委")
    (folder / "钱二.md").write_text(text, encoding="utf-8")
    proc = cli("batch", folder, "--engine", "offline", "--format", "json", cwd=folder.parent)
    similar = json.loads(proc.stdout)["similar"]
    assert similar and all({s["a"], s["b"]} == {"赵一.draft.md", "钱二.draft.md"} for s in similar)
    assert all(s["similarity"] >= 0.8 for s in similar)
    assert any("走访农户101次" in s["excerpt"] for s in similar)


def test_finding_facts_files(folder):
    (folder / "赵一.draft.md").write_text("草稿", encoding="utf-8")
    (folder / "README.md").write_text("说明", encoding="utf-8")
    assert [p.name for p in find_facts_files(folder)] == sorted(f"{p[0]}.md" for p in PEOPLE)
    assert [p.name for p in find_facts_files(str(folder / "赵*.md"))] == ["赵一.md"]
    (folder / "赵一.docx").write_bytes(b"made by --docx")  # the Word file of 赵一.md, not a facts file
    assert "赵一.docx" not in [p.name for p in find_facts_files(folder)]
    with pytest.raises(InputError):
        find_facts_files(folder / "nothing")


def test_kill_9_mid_run_loses_and_duplicates_nothing(folder):
    slow = {"李四": 8.0}

    def responder(body):
        text = json.dumps(body, ensure_ascii=False)
        delay = next((d for who, d in slow.items() if who in text), 0.0)
        return Reply(content=echo_section(body), delay=delay)

    manifest = folder / "draftbot-batch.json"
    with FakeOpenAI(responder=responder) as srv:
        env = cli_env({**llm_env(srv), "DRAFTBOT_HOME": str(folder.parent / "home")})
        proc = subprocess.Popen(
            [sys.executable, "-m", "draftbot", "batch", str(folder), "--concurrency", "4"],
            cwd=folder.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        done: list[str] = []
        while time.monotonic() < deadline:
            if manifest.exists():
                entries = json.loads(manifest.read_text(encoding="utf-8"))["reports"]
                done = [k for k, v in entries.items() if v["status"] == "done"]
                if len(done) == 3:
                    break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert sorted(done) == ["孙三.md", "赵一.md", "钱二.md"]
        entries = json.loads(manifest.read_text(encoding="utf-8"))["reports"]  # still valid JSON
        assert entries["李四.md"]["status"] == "running"
        srv.reset()
        slow.clear()
        rerun = subprocess.run(
            [sys.executable, "-m", "draftbot", "batch", str(folder)],
            cwd=folder.parent, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert rerun.returncode == 0, rerun.stderr
        assert {whose(r) for r in srv.chat_requests} == {"李四"} and len(srv.chat_requests) == 9
    for author, *_ in PEOPLE:
        assert "draftbot:failed" not in (folder / f"{author}.draft.md").read_text(encoding="utf-8")
        assert not (folder / f"{author}.draft.md.bak").exists()


def test_draft_written_but_not_recorded_is_adopted_not_redone(cli, folder):
    """kill -9 between saving a draft and recording it: the next run checks the draft, pays nothing."""
    with FakeOpenAI(responder=echo_section) as srv:
        assert cli("batch", folder, cwd=folder.parent, env=llm_env(srv)).returncode == 0
        manifest = folder / "draftbot-batch.json"
        data = json.loads(manifest.read_text(encoding="utf-8"))
        data["reports"]["赵一.md"]["status"] = "running"
        manifest.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        srv.reset()
        proc = cli("batch", folder, "--format", "json", cwd=folder.parent, env=llm_env(srv))
        assert proc.returncode == 0 and srv.chat_requests == []
    report = next(r for r in json.loads(proc.stdout)["reports"] if r["facts"] == "赵一.md")
    assert report["status"] == "done" and report["action"].startswith("沿用") and report["sections"] == 7
    assert "[4/4]" in proc.stderr and not (folder / "赵一.draft.md.bak").exists()
    assert json.loads(manifest.read_text(encoding="utf-8"))["reports"]["赵一.md"]["status"] == "done"


def test_docx_for_every_report_and_kept_on_rerun(cli, folder):
    proc = cli("batch", folder, "--engine", "offline", "--docx", "--format", "json", cwd=folder.parent)
    assert proc.returncode == 0, proc.stderr
    reports = json.loads(proc.stdout)["reports"]
    assert sorted(r["docx"] for r in reports) == sorted(f"{p[0]}.docx" for p in PEOPLE)
    stamp = (folder / "赵一.docx").stat().st_mtime_ns
    again = cli("batch", folder, "--engine", "offline", "--docx", "--format", "json", cwd=folder.parent)
    assert again.returncode == 0 and all(r["status"] == "skipped" for r in json.loads(again.stdout)["reports"])
    assert (folder / "赵一.docx").stat().st_mtime_ns == stamp
    (folder / "钱二.docx").unlink()  # a missing Word file is made again, without redrafting
    third = cli("batch", folder, "--engine", "offline", "--docx", "--format", "json", cwd=folder.parent)
    assert third.returncode == 0 and (folder / "钱二.docx").exists()
    assert not (folder / "钱二.draft.md.bak").exists()


def test_ctrl_c_finishes_running_reports_and_leaves_the_rest(folder):
    def responder(body):
        return Reply(content=echo_section(body), delay=0.3)

    manifest = folder / "draftbot-batch.json"
    with FakeOpenAI(responder=responder) as srv:
        env = cli_env({**llm_env(srv), "DRAFTBOT_HOME": str(folder.parent / "home")})
        proc = subprocess.Popen(
            [sys.executable, "-m", "draftbot", "batch", str(folder), "--concurrency", "1"],
            cwd=folder.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(srv.chat_requests) < 2:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    assert "已中断" in err and "Traceback" not in err
    entries = json.loads(manifest.read_text(encoding="utf-8"))["reports"]
    done = [k for k, v in entries.items() if v["status"] == "done"]
    assert len(done) == 1  # the report that was running finished; the others never started
    assert {whose(r) for r in srv.chat_requests} == {done[0][:-3]}


def test_second_batch_on_the_same_folder_is_refused(cli, folder):
    from draftbot.batch import FolderLock

    with FolderLock(folder / "draftbot-batch.json"):
        code = (
            "import sys\nfrom draftbot.cli import main\n"
            f"main(['batch', {str(folder)!r}, '--engine', 'offline'])\n"
        )
        proc = subprocess.run([sys.executable, "-c", code], cwd=folder.parent, env=cli_env(),
                              capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "另一个 draftbot batch 正在处理" in proc.stderr
    assert not (folder / "赵一.draft.md").exists()
    assert cli("batch", folder, "--engine", "offline", cwd=folder.parent).returncode == 0  # released


def test_repair_rounds_pass_through_and_are_logged(cli, folder):
    from draftbot.auditlog import AuditLog

    def responder(body):
        tail = body["messages"][-1]["content"]
        if "9999" in tail:  # a rewrite of the flawed part: answer without the invented figure
            return "深入基层走访，现场解决了一批实际问题。"
        if "请起草第三部分" in tail:
            return "全年走访9999次。"  # a figure the facts do not have: an error the repair fixes
        return echo_section(body)

    with FakeOpenAI(responder=responder) as srv:
        proc = cli("batch", folder, "--repair", "1", "--format", "json", cwd=folder.parent, env=llm_env(srv))
        assert proc.returncode == 0, proc.stderr
        repaired = [r for r in AuditLog().rows() if r["repair_round"] == 1]
        assert len(repaired) == 4 and len(srv.chat_requests) == 36 + 4  # one rewrite per report
        for author, *_ in PEOPLE:
            draft = (folder / f"{author}.draft.md").read_text(encoding="utf-8")
            assert "9999" not in draft and "深入基层走访" in draft
        srv.reset()
        again = cli("batch", folder, "--repair", "0", cwd=folder.parent, env=llm_env(srv))
        assert again.returncode == 0 and len(srv.chat_requests) == 36  # another repair setting: redone
        assert not any(r["repair_round"] for r in AuditLog().rows()[-36:])


def test_same_name_different_suffix_gets_one_draft_each(cli, tmp_path):
    """p.md (赵一) and p.txt (钱二) in one folder: each person's report under its own name, recorded."""
    root = tmp_path / "same"
    root.mkdir()
    (root / "p.md").write_text(facts_text(*PEOPLE[0]), encoding="utf-8")
    (root / "p.txt").write_text(facts_text(*PEOPLE[1]), encoding="utf-8")
    for _ in range(2):  # the rerun finds both done, nothing overwritten
        result = cli("batch", root, "--engine", "offline", cwd=tmp_path)
        assert result.returncode == 0, (result.stdout, result.stderr)
        assert "东山镇" in (root / "p.draft.md").read_text(encoding="utf-8")
        assert "西河街道" not in (root / "p.draft.md").read_text(encoding="utf-8")
        assert "西河街道" in (root / "p.txt.draft.md").read_text(encoding="utf-8")
        assert "东山镇" not in (root / "p.txt.draft.md").read_text(encoding="utf-8")
    reports = json.loads((root / "draftbot-batch.json").read_text(encoding="utf-8"))["reports"]
    assert reports["p.md"]["draft"] == "p.draft.md" and reports["p.txt"]["draft"] == "p.txt.draft.md"
    assert reports["p.md"]["status"] == reports["p.txt"]["status"] == "done"
    assert not list(root.glob("*.bak*"))

    # the same name from two folders into one --out-dir is refused before any work
    other = tmp_path / "other"
    other.mkdir()
    (other / "p.md").write_text(facts_text(*PEOPLE[2]), encoding="utf-8")
    out = tmp_path / "out"
    result = cli("batch", str(tmp_path / "*" / "p.md"), "--engine", "offline", "-o", out, cwd=tmp_path)
    assert result.returncode == 2 and "会互相覆盖" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() or not list(out.glob("*.draft.md"))
