"""A Python caller's own LangChain chat model drafts a whole report through workflow.write_report."""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from clirun import EXAMPLE_FACTS
from draftbot.draft import load_draft
from draftbot.workflow import write_report

ANSWERS = [f"第{i}段：认真履行职责，一是抓好学习，二是抓好落实，各项工作有序推进。" for i in range(1, 10)]


def test_write_report_with_a_chat_model_that_is_not_chatopenai(tmp_path: Path):
    facts = tmp_path / "facts.md"
    facts.write_text(EXAMPLE_FACTS.read_text(encoding="utf-8"), encoding="utf-8")
    model = GenericFakeChatModel(messages=iter(AIMessage(content=a) for a in ANSWERS))
    seen = []
    result = write_report(facts, model=model, repair=0, on_event=seen.append)
    assert not result.failed and result.engine.name == "llm"
    draft = load_draft(result.path)
    bodies = [draft.opening, *(s.body for s in draft.sections), draft.closing]
    assert len(bodies) == len(ANSWERS) and sorted(bodies) == sorted(ANSWERS)  # every part from the model
    assert draft.meta["engine"] == "llm" and draft.meta["model"] == "GenericFakeChatModel"
    # the model reports no usage: the counts are estimates, the cached share unknown, no cost
    assert draft.meta["usage"]["estimated"] is True and "cached_tokens" not in draft.meta["usage"]
    assert result.run.usage.requests == len(ANSWERS) and result.run.cost is None
    kinds = [e.kind for e in seen]
    assert kinds.count("started") == kinds.count("finished") == len(ANSWERS)
