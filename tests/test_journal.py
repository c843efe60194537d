"""The resume journal: finished sections kept next to the draft, reused only for the same inputs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from draftbot.compose import compose_draft
from draftbot.config import resolve_config
from draftbot.engines.llm import LLMEngine
from draftbot.facts import load_facts, parse_facts
from draftbot.journal import Journal, JournaledEngine, journal_key, journal_path
from draftbot.plans import load_plan, resolve_plan
from draftbot.samples import load_samples
from fake_openai import FakeOpenAI, Reply

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def inputs():
    facts = load_facts(REPO / "examples" / "facts.md")
    return facts, resolve_plan(None, facts), load_samples()


def engine_for(srv, model="fake-model") -> LLMEngine:
    cfg = resolve_config({"base_url": srv.base_url, "model": model}, cwd=Path("/nonexistent"),
                         environ={"OPENAI_API_KEY": "sk-journal-0123456789"})  # fmt: skip
    return LLMEngine(cfg, retries=0, backoff=0.01)


def answer(body: dict) -> str:
    return "正文：" + body["messages"][-1]["content"].splitlines()[0][:24]


def test_outage_then_resume_asks_only_for_the_missing_sections(tmp_path, inputs):
    facts, plan, samples = inputs
    path = journal_path(tmp_path / "facts.draft.md")
    with FakeOpenAI(responder=answer) as srv:
        srv.on("第二部分", Reply.error(503))
        srv.on("第五部分", Reply.error(503))
        engine = engine_for(srv)
        seen = []

        def progress(event):  # the journal on disk is complete after every section
            if event.kind == "finished":
                seen.append(len(json.loads(path.read_text(encoding="utf-8"))["sections"]))

        wrapped = JournaledEngine(engine, Journal.start(path, journal_key(facts, plan, samples, engine)))
        first, _, results = compose_draft(facts, plan, samples, wrapped, on_event=progress)
        assert [r.failed for r in results].count(True) == 2 and len(srv.chat_requests) == 9
        assert seen == sorted(seen) and seen[-1] == 7
        srv.reset()

        journal, note = Journal.resume(path, journal_key(facts, plan, samples, engine_for(srv)))
        assert "沿用上次已完成的 7 个部分" in note
        resumed = JournaledEngine(engine_for(srv), journal)
        second, _, results = compose_draft(facts, plan, samples, resumed)
        asked = [r.last_content.splitlines()[0] for r in srv.chat_requests]
    assert len(asked) == 2 and all(("第二部分" in a) != ("第五部分" in a) for a in asked)
    assert not any(r.failed for r in results)
    assert second.opening == first.opening and second.closing == first.closing
    for old, new in zip(first.sections, second.sections, strict=True):
        if old.number not in ("二", "五"):
            assert new.body == old.body
    assert second.sections[1].body.startswith("正文：请起草第二部分")
    assert len(json.loads(path.read_text(encoding="utf-8"))["sections"]) == 9


@pytest.mark.parametrize(
    "change, named",
    [
        ("facts", "事实文件"),
        ("plan", "提纲"),
        ("samples", "范文"),
        ("model", "模型"),
    ],
)
def test_changed_inputs_are_not_reused(tmp_path, inputs, change, named):
    facts, plan, samples = inputs
    path = journal_path(tmp_path / "d.md")
    with FakeOpenAI() as srv:
        key = journal_key(facts, plan, samples, engine_for(srv))
        journal = Journal.start(path, key)
        journal.sections["political"] = {"body": "旧的。", "usage": None}
        journal.save()
        if change == "facts":
            facts = parse_facts(facts.text() + "\n- 新增一条事实")
        elif change == "plan":
            plan = load_plan("述职述廉报告")
        elif change == "samples":
            samples = samples[:2] + [replace(samples[2], text=samples[2].text + "改")]
        new_key = journal_key(facts, plan, samples, engine_for(srv, "other-model" if change == "model" else "fake-model"))
    reused, note = Journal.resume(path, new_key)
    assert reused.sections == {} and f"与这次的{named}不同" in note and "不能沿用" in note
    assert json.loads(path.read_text(encoding="utf-8"))["sections"] == {}


def test_missing_or_broken_journal_starts_fresh(tmp_path, inputs):
    facts, plan, samples = inputs
    path = tmp_path / "x.journal.json"
    with FakeOpenAI() as srv:
        key = journal_key(facts, plan, samples, engine_for(srv))
    journal, note = Journal.resume(path, key)
    assert "没有找到" in note and journal.sections == {}
    path.write_text("{not json", encoding="utf-8")
    journal, note = Journal.resume(path, key)
    assert "没有找到" in note and json.loads(path.read_text(encoding="utf-8"))["key"] == key
