"""Last year's report (`--last-year`) and the 事实依据 of every figure, on a pair of fixture reports:
tests/fixtures/lastyear/去年.md (2025) and 今年.md (2026, from 要点.md), made for these tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clirun import REPO, run_cli
from fake_openai import FakeOpenAI

FIXTURES = REPO / "tests" / "fixtures" / "lastyear"
KEY = "sk-lastyear-secret-0123456789abcdef"


@pytest.fixture
def pair(tmp_path: Path) -> Path:
    for name in ("去年.md", "今年.md", "要点.md"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def check_json(folder: Path, *args: str) -> dict:
    result = run_cli("check", "今年.md", "--facts", "要点.md", "--plan", "述职报告", "--format", "json", *args,
                     cwd=folder)  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def by_rule(data: dict, rule: str) -> list[dict]:
    return [f for f in data["findings"] if f["rule"] == rule]


def test_recycled_sentences_warn_and_err_when_they_carry_last_years_figures(pair):
    data = check_json(pair, "--last-year", "去年.md")
    recycled = by_rule(data, "last-year-recycled")
    errors = [f for f in recycled if f["level"] == "error"]
    warnings = [f for f in recycled if f["level"] == "warning"]
    assert [f["text"][:8] for f in errors] == ["围绕园区主导产业"]  # carries last year's 8次
    assert "“8次”" in errors[0]["message"]
    assert any(f["text"].startswith("对新兴产业的研究还不够深入") for f in warnings)  # copied, no figures
    # a sentence of this year written afresh is not flagged
    assert not any("谋划储备重大产业项目23个" in f["text"] for f in recycled)
    assert by_rule(check_json(pair), "last-year-recycled") == []  # only with --last-year


def test_a_figure_repeating_last_year_where_the_facts_give_a_new_value(pair):
    repeated = by_rule(check_json(pair, "--last-year", "去年.md"), "last-year-figure")
    assert [f["text"] for f in repeated] == ["42.6亿元"]
    assert "56.8亿元" in repeated[0]["message"] and "要点.md:13" in repeated[0]["message"]


def test_promises_kept_partly_and_not_mentioned(pair):
    promises = {p["item"][:8]: p for p in check_json(pair, "--last-year", "去年.md")["promises"]}
    assert promises["谋划储备重大产业"]["status"] == "兑现"
    assert promises["谋划储备重大产业"]["fact"].startswith("要点.md:14：")
    assert promises["建成园区智慧安全"]["status"] == "兑现"
    assert promises["推行企业服务专员"]["status"] == "部分"
    assert promises["启动园区污水处理"]["status"] == "未提及"
    assert len(promises) == 4  # the closing 以上述职 is no plan
    text = run_cli("check", "今年.md", "--facts", "要点.md", "--plan", "述职报告", "--last-year", "去年.md", cwd=pair)
    assert "去年打算落实情况：兑现 2，部分 1，未提及 1" in text.stdout
    assert "【未提及】启动园区污水处理厂提标改造工程" in text.stdout


def test_every_figure_carries_its_source_in_json(pair):
    data = check_json(pair)
    rows = {row["figure"]: row for row in data["figures"]}
    assert rows["18个"]["status"] == "有依据" and rows["18个"]["sources"][0]["line"] == 13
    assert rows["312亩"]["sources"] == [{"file": "要点.md", "line": 17, "text": "建成标准厂房8.6万平方米，盘活闲置土地312亩"}]
    assert rows["312亩"]["sentence"] == "建成标准厂房8.6万平方米，盘活闲置土地312亩。"
    assert rows["42.6亿元"]["status"] == "待核实" and rows["42.6亿元"]["sources"] == []
    assert rows["8次"]["status"] == "待核实"
    ungrounded = {f["text"] for f in by_rule(data, "figure-ungrounded")}
    assert ungrounded == {r["figure"] for r in data["figures"] if r["status"] == "待核实"}
    assert data["figure_counts"]["待核实"] == len([r for r in data["figures"] if r["status"] == "待核实"])


def test_export_evidence_and_promises_table(pair):
    import docx

    result = run_cli("export", "今年.md", "--facts", "要点.md", "--plan", "述职报告", "--evidence",
                     "--last-year", "去年.md", cwd=pair)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "已导出审核用表：" in result.stdout and "待核实 2" in result.stdout
    sheet = docx.Document(str(pair / "今年.事实依据.docx"))
    evidence, promises = sheet.tables
    header = [c.text for c in evidence.rows[0].cells]
    assert header == ["序号", "数字", "所在部分", "原句", "依据（文件:行：要点）", "核实"]
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in evidence.rows[1:]}
    assert rows["312亩"][4] == "要点.md:17：建成标准厂房8.6万平方米，盘活闲置土地312亩"
    assert rows["42.6亿元"][5] == "待核实" and rows["42.6亿元"][4] == "待核实"
    statuses = [r.cells[2].text for r in promises.rows[1:]]
    assert statuses == ["兑现", "兑现", "部分", "未提及"]
    again = run_cli("export", "今年.md", "--facts", "要点.md", "--evidence", cwd=pair)
    assert again.returncode == 2 and "已存在" in again.stderr  # neither file overwritten without --force


def test_bad_last_year_file(pair):
    (pair / "去年.pdf").write_bytes(b"%PDF")
    result = run_cli("check", "今年.md", "--facts", "要点.md", "--last-year", "去年.pdf", cwd=pair)
    assert result.returncode == 2 and "应是 .docx、.md 或 .txt" in result.stderr
    result = run_cli("check", "今年.md", "--facts", "要点.md", "--last-year", "没有.md", cwd=pair)
    assert result.returncode == 2 and "找不到去年的报告" in result.stderr


def test_write_tells_the_model_which_plans_are_done(pair):
    with FakeOpenAI(default="本部分按事实要点如实写作。") as server:
        (pair / "draftbot.toml").write_text("backoff = 0.01\n", encoding="utf-8")
        env = {"OPENAI_BASE_URL": server.base_url, "DRAFTBOT_MODEL": "fake-model", "OPENAI_API_KEY": KEY}
        result = run_cli("write", "要点.md", "--last-year", "去年.md", "--repair", "0", cwd=pair, env=env)
        assert result.returncode == 0, result.stderr
        finals = [r.last_content for r in server.chat_requests]
    told = [m for m in finals if "去年“下一步打算”中、事实显示已经完成的事项" in m]
    assert len(told) == 1  # only the section those facts are routed to
    assert "去年的打算“谋划储备重大产业项目不少于20个" in told[0] and "今年已完成：谋划储备重大产业项目23个" in told[0]
    assert "污水处理厂" not in told[0]  # a plan the facts do not show done is not claimed
    assert "去年打算落实情况" in result.stdout
    assert "事实显示已完成 2 项" in result.stderr
    from draftbot.draft import load_draft

    assert load_draft(pair / "要点.draft.md").meta["last_year"] == "去年.md"  # check finds it again
    again = run_cli("check", "要点.draft.md", cwd=pair)
    assert "去年打算落实情况：" in again.stdout
