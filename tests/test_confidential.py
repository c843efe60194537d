"""Confidential mode against the loopback server: masking, the leak scan, --local-only, the audit log."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from clirun import EXAMPLE_FACTS
from draftbot.auditlog import AuditLog, default_log_path
from draftbot.compose import compose_draft
from draftbot.config import resolve_config
from draftbot.engines.callguard import CallGuard
from draftbot.engines.llm import LLMEngine
from draftbot.errors import ConfigError, ModelError
from draftbot.facts import load_facts
from draftbot.masking import NameTable, build_table
from draftbot.plans import resolve_plan
from draftbot.samples import load_samples
from draftbot.workflow import Inputs, name_table
from fake_openai import FakeOpenAI, Reply

KEY = "sk-confidential-test-5a4b3c2d1e0f"
PLACEHOLDER = re.compile(r"【(?:人名|单位|地名|企业)\d+】")


@pytest.fixture(scope="module")
def inputs():
    facts = load_facts(EXAMPLE_FACTS)
    return facts, resolve_plan(None, facts), load_samples()


def table_for(facts, plan, samples) -> NameTable:
    """The table a masked run builds (the built-in samples and templates marked as the program's own)."""
    return name_table(facts, True, inputs=Inputs(facts, plan, samples))


POLITICAL = ("坚持用习近平新时代中国特色社会主义思想武装头脑，深刻领悟“两个确立”的决定性意义，"
             "增强“四个意识”、坚定“四个自信”、做到“两个维护”")


def echo_placeholders(body: dict) -> str:
    """An answer that uses every placeholder of the section's own message (as a model would)."""
    tail = body["messages"][-1]["content"]
    found = list(dict.fromkeys(PLACEHOLDER.findall(tail)))
    named = "、".join(found) + "。" if found else ""  # never “。。”
    if tail.startswith("请起草第一部分"):  # the political section carries its required formulations
        named += POLITICAL + "。"
    return "正文：" + tail.splitlines()[0][:20].rstrip("。") + "。" + named + "一是抓学习；二是抓落实。"


def make_engine(srv, names=None, **cfg_values) -> LLMEngine:
    cfg = resolve_config(
        {"base_url": srv.base_url, "model": "fake-model"}, cwd=Path("/nonexistent"), environ={"OPENAI_API_KEY": KEY}
    )
    cfg.backoff = 0.01
    for key, value in cfg_values.items():
        setattr(cfg, key, value)
    return LLMEngine(cfg, guard=CallGuard(cfg, names=names, draft="test.draft.md"))


def sent_text(srv) -> str:
    return "\n".join(json.dumps(r.body, ensure_ascii=False) + r.raw.decode("utf-8") for r in srv.chat_requests)


# -- masking end to end ------------------------------------------------------------------------


def test_masked_run_sends_no_name_and_restores_them(inputs):
    facts, plan, samples = inputs
    table = table_for(facts, plan, samples)
    assert len(table) == 7
    with FakeOpenAI(responder=echo_placeholders) as srv:
        srv.on("结尾段", "以上是【人名1】在【单位1】的述职，请予评议。")
        engine = make_engine(srv, table)
        draft, _, results = compose_draft(facts, plan, samples, engine)
    assert len(srv.chat_requests) == 9 and not any(r.failed for r in results)
    body = sent_text(srv)
    for name in table.placeholders.values():
        assert name not in body
    assert "【人名1】" in body and "【单位3】" in body
    assert draft.closing == "以上是王建华在青溪经济开发区的述职，请予评议。"
    assert "企业服务中心、规划建设局、安全生产监督管理局" in draft.opening
    assert not PLACEHOLDER.search(draft.render())
    assert engine.guard.issues == []
    # the log holds masked text only
    rows = AuditLog().rows()
    assert len(rows) == 9 and all(r["masked"] == 1 for r in rows)
    logged = "".join(r["request"] + r["response"] for r in rows)
    assert "【单位2】" in logged and not any(name in logged for name in table.placeholders.values())


def test_altered_placeholder_is_reported_not_restored(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_placeholders) as srv:
        srv.on("第一部分", "【人名 1】同志分管招商引资，联系［单位3］和【单位2】。")
        srv.on("开头段", "本人联系【单位2】等单位，现将履职情况报告如下：")  # drops 【单位3】 and 【单位4】
        engine = make_engine(srv, table_for(facts, plan, samples))
        draft, _, _ = compose_draft(facts, plan, samples, engine)
    first = draft.sections[0].body
    assert "【人名 1】" in first and "［单位3］" in first and "企业服务中心" in first
    altered = sorted(i.token for i in engine.guard.issues if i.kind == "altered")
    assert altered == ["【人名 1】", "［单位3］"]
    assert all(i.section.startswith("一、") for i in engine.guard.issues if i.kind == "altered")
    dropped = sorted((i.token, i.section) for i in engine.guard.issues if i.kind == "dropped")
    assert dropped == [("【单位3】", "开头"), ("【单位4】", "开头")]
    row = next(r for r in AuditLog().rows() if r["section"].endswith(draft.sections[0].heading[:18]))
    assert "改动了占位符" in row["notes"]
    logged = json.dumps(AuditLog().rows(), ensure_ascii=False)
    assert "没有出现" in logged  # a dropped placeholder is noted, without the name it stands for
    assert not any(name in logged for name in build_table(facts).placeholders.values())


def test_leak_scan_refuses_to_send(inputs, monkeypatch):
    """A masking bug (here: only the first occurrence replaced) must not reach the network."""
    facts, plan, samples = inputs
    real_mask = NameTable.mask
    monkeypatch.setattr(NameTable, "mask", lambda self, text: real_mask(self, text).replace("【人名1】", "王建华"))
    with FakeOpenAI(responder=echo_placeholders) as srv:
        with pytest.raises(ModelError) as err:
            compose_draft(facts, plan, samples, make_engine(srv, table_for(facts, plan, samples)))
        assert srv.chat_requests == []
    assert "拒绝发送" in err.value.message and "王建华" in err.value.message
    rows = AuditLog().rows()
    assert rows and all(r["status"] == "refused" for r in rows)
    assert not any("王建华" in r["error"] + r["notes"] for r in rows)  # the log holds masked text only


# -- local only --------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    """Record any DNS lookup or connection attempt."""
    attempts = []

    def resolve(*args, **kwargs):
        attempts.append(("getaddrinfo", args[0]))
        raise OSError("blocked")

    def connect(self, address):
        attempts.append(("connect", address))
        raise ConnectionRefusedError("blocked")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


@pytest.mark.parametrize(
    "url", ["https://api.deepseek.com/v1", "http://8.8.8.8/v1", "http://[2001:db8::1]:8000/v1", "http://gpu.lan/v1"]
)
def test_local_only_refuses_public_host_without_connecting(url, no_network):
    cfg = resolve_config({"base_url": url, "model": "m", "local_only": True}, cwd=Path("/nonexistent"), environ={})
    with pytest.raises(ConfigError) as err:
        LLMEngine(cfg)
    assert "仅限本地" in err.value.message and "未发送任何内容" in err.value.message
    # a host name is resolved to be checked (here the lookup fails: refused); nothing connects
    assert [a for a in no_network if a[0] == "connect"] == []
    assert all(a[1] == urlsplit(url).hostname for a in no_network)


def test_local_only_verdicts():
    from draftbot.localonly import host_verdict

    for host in ("127.0.0.1", "::1", "10.1.2.3", "172.20.0.5", "192.168.1.10", "fe80::1", "169.254.3.4"):
        assert host_verdict(host) is None, host
    assert "172.32.0.1 是公网地址" in host_verdict("172.32.0.1")
    assert host_verdict("localhost") is None  # resolves to loopback on every system

    def fake(answers):
        return lambda host, port: answers.get(host, [])

    lan = fake({"gpu.lan": ["192.168.1.20"], "mixed.lan": ["192.168.1.20", "203.0.113.9"],
                "app.localhost": ["192.168.1.5"], "ok.localhost": ["127.0.0.1", "::1"]})  # fmt: skip
    assert host_verdict("gpu.lan", resolver=lan) is None
    assert "203.0.113.9" in host_verdict("mixed.lan", resolver=lan)
    assert "不是本机回环地址" in host_verdict("app.localhost", resolver=lan)  # *.localhost: loopback only
    assert host_verdict("ok.localhost", resolver=lan) is None
    assert "无法解析" in host_verdict("nowhere.lan", resolver=lan)


def test_local_only_accepts_loopback(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(responder=echo_placeholders) as srv:
        compose_draft(facts, plan, samples, make_engine(srv, local_only=True))
        assert len(srv.chat_requests) == 9


class _Redirecting(BaseHTTPRequestHandler):
    """Answers every request with a redirect to another host."""

    def do_POST(self):
        self.send_response(307)
        self.send_header("Location", "http://203.0.113.50:8000/v1/chat/completions")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST

    def log_message(self, *args):
        pass


def test_local_only_refuses_a_redirect_and_shows_its_target(cli, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (tmp_path / "facts.md").write_text(EXAMPLE_FACTS.read_text(encoding="utf-8"), encoding="utf-8")
        (tmp_path / "draftbot.toml").write_text("backoff = 0.01\n", encoding="utf-8")
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        proc = cli("write", "facts.md", "--local-only", "--base-url", url, "--model", "m",
                   cwd=tmp_path, env={"OPENAI_API_KEY": KEY})  # fmt: skip
    finally:
        server.shutdown()
    assert proc.returncode == 3, proc.stderr
    assert "重定向到 http://203.0.113.50:8000/v1/chat/completions" in proc.stderr and "已拒绝" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_local_only_ignores_proxy_variables(cli, workdir):
    """A proxy in the environment neither receives the request nor makes the LAN server unreachable."""
    with FakeOpenAI(responder=echo_placeholders) as srv:
        env = {**llm_env(srv), "HTTPS_PROXY": "http://203.0.113.9:3128", "HTTP_PROXY": "http://203.0.113.9:3128",
               "ALL_PROXY": "http://203.0.113.9:3128", "NO_PROXY": ""}  # fmt: skip
        proc = cli("write", "facts.md", "--local-only", "--engine", "llm", cwd=workdir, env=env)
        assert proc.returncode == 0, proc.stderr
        assert len(srv.chat_requests) >= 9  # straight to the loopback server, not through the proxy


# -- the command line ----------------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "facts.md").write_text(EXAMPLE_FACTS.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "draftbot.toml").write_text("backoff = 0.01\n", encoding="utf-8")
    return tmp_path


def llm_env(srv):
    return {"OPENAI_BASE_URL": srv.base_url, "DRAFTBOT_MODEL": "fake-model", "OPENAI_API_KEY": KEY}


def test_cli_local_only_refuses_before_anything(cli, workdir, no_network):
    proc = cli("write", "facts.md", "--local-only", "--base-url", "https://api.deepseek.com/v1", "--model", "m",
               cwd=workdir, env={"OPENAI_API_KEY": KEY})  # fmt: skip
    assert proc.returncode == 2 and "仅限本地" in proc.stderr and "Traceback" not in proc.stderr
    assert not [a for a in no_network if a[0] == "connect"] and not (workdir / "facts.draft.md").exists()
    (workdir / "draftbot.toml").write_text("backoff = 0.01\nlocal_only = true\n", encoding="utf-8")
    proc = cli("write", "facts.md", "--base-url", "http://203.0.113.7/v1", "--model", "m", cwd=workdir)
    assert proc.returncode == 2 and "203.0.113.7 是公网地址" in proc.stderr
    assert not [a for a in no_network if a[0] == "connect" or a[1] == "203.0.113.7"]  # an IP: no lookup


def test_cli_masked_write_and_log(cli, workdir):
    names = workdir / "names.txt"
    names.write_text("新能源电池材料项目 企业\n", encoding="utf-8")
    with FakeOpenAI(responder=echo_placeholders) as srv:
        srv.on("第二部分", Reply.error(500))
        srv.on("第五部分", "【单位1】全年新签约项目18个，【企业1】当年开工，" + KEY[:3] + "。")
        proc = cli("write", "facts.md", "--mask-names", names, cwd=workdir, env=llm_env(srv))
        body = sent_text(srv)
        n_requests = len(srv.chat_requests)
        host = srv.base_url.split("/")[2]
    assert proc.returncode == 0, proc.stderr
    assert "保密模式：9 个名称（人名 1、单位 6、企业 1、地名 1）在发送前已换成占位符" in proc.stderr
    for name in ("王建华", "青溪经济开发区", "规划建设局", "新能源电池材料项目"):
        assert name not in body
    draft = (workdir / "facts.draft.md").read_text(encoding="utf-8")
    assert "青溪经济开发区全年新签约项目18个，新能源电池材料项目当年开工" in draft
    rows = AuditLog().rows()
    # nine sections, one retried after a 500, and the default repair round rewrote one part: its
    # request carries the draft's current text (real names restored locally), masked again on the way out
    assert n_requests == 11 and len(rows) == 11
    assert [r["repair_round"] for r in rows].count(1) == 1 and rows[-1]["repair_round"] == 1
    assert sorted(r["status"] for r in rows).count("error") == 1
    assert next(r for r in rows if r["status"] == "error")["error"] == "服务出错（500）"
    assert {r["draft"] for r in rows} == {"facts.draft.md"} and len({r["run"] for r in rows}) == 1
    assert all(r["host"] == host and r["model_asked"] == "fake-model" for r in rows)
    assert all(r["model_answered"] == "fake-model" for r in rows if r["status"] == "ok")
    assert all(r["input_tokens"] > 0 for r in rows if r["status"] == "ok")
    assert KEY.encode() not in default_log_path().read_bytes()

    listed = cli("log", "--format", "json", cwd=workdir)
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 11
    shown = cli("log", "show", "3", cwd=workdir)
    assert "===== 请求 =====" in shown.stdout and "【人名1】" in shown.stdout and "王建华" not in shown.stdout
    ok = cli("log", "verify", cwd=workdir)
    assert ok.returncode == 0 and "校验通过" in ok.stdout and "共 11 条记录" in ok.stdout


def test_log_verify_detects_edited_and_deleted_rows(cli, workdir):
    with FakeOpenAI(responder=echo_placeholders) as srv:
        assert cli("write", "facts.md", cwd=workdir, env=llm_env(srv)).returncode == 0
    path = default_log_path()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE calls SET response = response || '（改）' WHERE id = 4")
    proc = cli("log", "verify", cwd=workdir)
    assert proc.returncode == 1 and "第 4 条记录的内容与其哈希不符" in proc.stderr
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE calls SET response = substr(response, 1, length(response) - 3) WHERE id = 4")
    assert cli("log", "verify", cwd=workdir).returncode == 0  # edited back: the chain holds again
    with sqlite3.connect(path) as conn:  # a prompt text, stored once for all the calls sharing it
        conn.execute("UPDATE texts SET text = replace(text, '12次', '21次') WHERE text LIKE '%12次%'")
    proc = cli("log", "verify", cwd=workdir)
    assert proc.returncode == 1 and "消息正文" in proc.stderr and "被改动" in proc.stderr
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM calls WHERE id = 4")
    proc = cli("log", "verify", cwd=workdir)
    assert proc.returncode == 1 and "第 4 条记录缺失" in proc.stderr and "第 5 条记录与前一条的链接对不上" in proc.stderr


def test_no_log_flag_and_switch(cli, workdir):
    with FakeOpenAI(responder=echo_placeholders) as srv:
        assert cli("write", "facts.md", "--no-log", cwd=workdir, env=llm_env(srv)).returncode == 0
        assert AuditLog().rows() == []
        (workdir / "draftbot.toml").write_text("backoff = 0.01\naudit_log = false\n", encoding="utf-8")
        assert cli("write", "facts.md", "--force", cwd=workdir, env=llm_env(srv)).returncode == 0
        assert AuditLog().rows() == []
        assert len(srv.chat_requests) >= 18  # two drafts were written (plus any repair round), none logged


def test_log_never_stores_a_key_the_server_echoes(inputs):
    facts, plan, samples = inputs
    with FakeOpenAI(default=f"回答里出现了密钥 {KEY}，不应被记录。") as srv:
        compose_draft(facts, plan, samples, make_engine(srv))
    rows = AuditLog().rows()
    assert len(rows) == 9 and all("****" in r["response"] for r in rows)
    assert KEY.encode() not in default_log_path().read_bytes()


def test_dry_run_shows_masked_prompts_and_the_table(cli, workdir):
    proc = cli("write", "facts.md", "--dry-run", "--mask", "--provider", "qwen", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    prompts, _, table = proc.stdout.partition("===== 保密模式：占位符")
    assert "姓名：【人名1】" in prompts and "单位：【单位1】" in prompts
    assert "王建华" not in prompts and "规划建设局" not in prompts
    assert "【人名1】 = 王建华（开头信息）" in table and "【单位3】 = 规划建设局（识别）" in table


def test_unusable_log_is_refused_before_sending(cli, workdir):
    default_log_path().parent.mkdir(parents=True, exist_ok=True)
    default_log_path().write_bytes(b"this is not a database" * 100)
    with FakeOpenAI(responder=echo_placeholders) as srv:
        proc = cli("write", "facts.md", cwd=workdir, env=llm_env(srv))
        assert srv.chat_requests == []
    assert proc.returncode == 2 and "无法打开审计日志" in proc.stderr and "--no-log" in proc.stderr
    assert "Traceback" not in proc.stderr and not (workdir / "facts.draft.md").exists()
    proc = cli("log", "verify", cwd=workdir)
    assert proc.returncode == 2 and "无法打开审计日志" in proc.stderr


def test_regen_masked_and_offline_note(cli, workdir):
    with FakeOpenAI(responder=echo_placeholders) as srv:
        assert cli("write", "facts.md", "--mask", cwd=workdir, env=llm_env(srv)).returncode == 0
        srv.reset()
        srv.on("第一部分", "【人名1】联系【单位3】。")
        proc = cli("regen", "facts.draft.md", "--section", "1", "--mask", cwd=workdir, env=llm_env(srv))
        bodies = sent_text(srv)
    assert proc.returncode == 0, proc.stderr
    assert len(srv.chat_requests) == 1 and "王建华" not in bodies and "规划建设局" not in bodies
    assert "王建华联系规划建设局。" in (workdir / "facts.draft.md").read_text(encoding="utf-8")
    offline = cli("write", "facts.md", "-o", "off.md", "--engine", "offline", "--mask", cwd=workdir)
    assert offline.returncode == 0 and "离线引擎不向外发送任何内容" in offline.stderr
