"""Confidential mode keeps its promise (issue 20): every case of the report, through the real command
line against the loopback server, with every request body captured and searched for every name."""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from draftbot.auditlog import AuditLog
from fake_openai import FakeOpenAI

CASES = Path(__file__).parent / "fixtures" / "masking" / "issue20"
KEY = "sk-names-test-0a1b2c3d4e5f"
PLACEHOLDER = re.compile(r"【(?:人名|单位|地名|企业)\d+】")
# every name in the facts file, the user's own sample and the names file, by the case it stands for
NAMES = {
    "front matter": ["王建华", "白沙镇人民政府", "白沙镇", "青溪县"],
    "title before, two in one bullet": ["刘德明", "周晓燕"],
    "villages and a district": ["红星村", "石桥村", "滨江区"],
    "company without 有限公司, no suffix at all": ["远航科技", "宁德时代"],
    "provincial commission": ["省发改委"],
    "village secretary and committee director": ["覃永福", "李桂兰"],
    "compound surnames": ["欧阳振华", "司马玉兰"],
    "place and school without a listed suffix": ["北山水库", "青溪二中"],
    "person without a title": ["赵丽华"],
    "given name with 同志": ["建华同志"],
    "full-width letters": ["ABC电子", "ＡＢＣ电子"],
    "only in the user's samples": ["李娟", "青山镇", "张三", "红旗村", "远航科技有限公司"],
}
VARIANTS = ["王 建华", "王建華", "王\u200b建华"]  # a space, traditional characters, a zero-width space
POSITION = "白沙镇党委书记、青溪县委常委"


def every_name() -> list[str]:
    return [n for names in NAMES.values() for n in names] + VARIANTS + [POSITION]


def echo_placeholders(body: dict) -> str:
    """An answer that uses every placeholder of the section's own message (as a model would)."""
    tail = body["messages"][-1]["content"]
    found = list(dict.fromkeys(PLACEHOLDER.findall(tail)))
    return "本部分正文。" + "、".join(found) + "等单位和同志共同推进。一是抓学习；二是抓落实。"


def bodies(srv) -> list[str]:
    """Each request as the server saw it: the raw bytes and the message texts (JSON unescaped)."""
    out = []
    for r in srv.requests:
        texts = [m.get("content") or "" for m in (r.body or {}).get("messages", [])] if r.body else []
        out.append(r.raw.decode("utf-8", errors="replace") + "\n" + "\n".join(texts))
    return out


def leaks(texts: list[str]) -> list[str]:
    """Names (and their variants, in any normal form) found in any of `texts`."""
    found = []
    for text in texts:
        folded = unicodedata.normalize("NFKC", text)
        for name in every_name():
            if name in text or unicodedata.normalize("NFKC", name) in folded:
                found.append(name)
    return sorted(set(found))


@pytest.fixture
def case(tmp_path):
    for item in CASES.iterdir():
        (shutil.copytree if item.is_dir() else shutil.copy)(item, tmp_path / item.name)
    (tmp_path / "draftbot.toml").write_text("backoff = 0.01\n", encoding="utf-8")
    return tmp_path


def env(srv) -> dict:
    return {"OPENAI_BASE_URL": srv.base_url, "DRAFTBOT_MODEL": "fake-model", "OPENAI_API_KEY": KEY}


def test_the_fixture_holds_every_case():
    facts = (CASES / "facts.md").read_text(encoding="utf-8")
    sample = (CASES / "samples" / "我的范文.md").read_text(encoding="utf-8")
    for case, names in NAMES.items():
        for name in names:
            if name in ("ABC电子",):
                continue  # the names file spells it in ASCII, the facts in full-width letters
            where = sample if case == "only in the user's samples" else facts
            assert name in where, (case, name)
    assert all(v + "同志" in facts for v in VARIANTS) and POSITION in facts


def test_masked_write_sends_no_name_of_any_case(cli, case):
    with FakeOpenAI(responder=echo_placeholders) as srv:
        proc = cli("write", "facts.md", "--mask", "--mask-names", "names.txt", "--samples", "samples",
                   "--repair", "0", cwd=case, env=env(srv))  # fmt: skip
        sent = bodies(srv)
    assert proc.returncode == 0, proc.stderr
    assert "Building prefix dict" not in proc.stderr and "Loading model" not in proc.stderr  # jieba is quiet
    assert len(sent) >= 9
    assert leaks(sent) == []
    assert any("【人名1】" in b for b in sent) and any("】书记" in b or "】党委书记" in b for b in sent)  # titles stay visible
    # the audit log of a masked run holds placeholders only
    rows = AuditLog().rows()
    assert rows and all(r["masked"] == 1 for r in rows)
    assert leaks([json.dumps(rows, ensure_ascii=False)]) == []
    # the draft remembers it was masked, and has the real names back
    draft = (case / "facts.draft.md").read_text(encoding="utf-8")
    assert "\nmasked: true\n" in draft.split("\n---", 1)[0] + "\n"
    assert "王建华" in draft and not PLACEHOLDER.search(draft.split("---", 2)[2])


def test_regen_and_repair_of_a_masked_draft_mask_by_default(cli, case):
    with FakeOpenAI(responder=echo_placeholders) as srv:
        assert cli("write", "facts.md", "--mask-names", "names.txt", "--samples", "samples", "--repair", "0",
                   cwd=case, env=env(srv)).returncode == 0  # fmt: skip
        srv.reset()
        proc = cli("regen", "facts.draft.md", "--section", "2", "--hint", "多写刘德明书记的指导",
                   cwd=case, env=env(srv))  # fmt: skip
        sent = bodies(srv)
        assert proc.returncode == 0, proc.stderr
        assert "保密模式下生成" in proc.stderr and "--no-mask" in proc.stderr
        assert len(srv.chat_requests) == 1 and leaks(sent) == []
        assert "【企业" in "".join(sent)  # the names file the draft was written with is used again
        srv.reset()
        proc = cli("repair", "facts.draft.md", cwd=case, env=env(srv))
        assert proc.returncode in (0, 1), proc.stderr
        assert "保密模式下生成" in proc.stderr and leaks(bodies(srv)) == []
        srv.reset()
        proc = cli("regen", "facts.draft.md", "--section", "2", "--no-mask", cwd=case, env=env(srv))
        sent = bodies(srv)
    assert proc.returncode == 0, proc.stderr
    assert "已按 --no-mask 关闭保密模式" in proc.stderr
    assert "王建华" in "".join(sent)  # explicit: real names go out, and the user was told


def test_last_gate_masks_names_typed_into_the_draft(cli, case):
    """A name the user wrote into the draft by hand (not in the facts) is found before sending."""
    with FakeOpenAI(responder=echo_placeholders) as srv:
        assert cli("write", "facts.md", "--mask-names", "names.txt", "--repair", "0", cwd=case,
                   env=env(srv)).returncode == 0  # fmt: skip
        path = case / "facts.draft.md"
        text = path.read_text(encoding="utf-8")
        marker = "<!-- draftbot:closing -->"
        path.write_text(text.replace(marker, "在副市长孙立平和南湖镇党委的支持下，工作取得新进展。\n\n" + marker),
                        encoding="utf-8")  # fmt: skip
        srv.reset()
        proc = cli("regen", "facts.draft.md", "--section", "结尾", cwd=case, env=env(srv))
        sent = "".join(bodies(srv))
    assert proc.returncode == 0, proc.stderr
    assert "孙立平" not in sent and "南湖镇" not in sent


def test_segmenter_works_when_its_table_cannot_be_saved(cli, case, tmp_path):
    """jieba's table cannot be saved (draftbot's folder cannot be made, even by root): masking still
    works, and says nothing about it."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    proc = cli("write", "facts.md", "--dry-run", "--mask", "--provider", "qwen", cwd=case,
               env={"DRAFTBOT_HOME": str(blocker / "home")})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "赵丽华（识别）" in proc.stdout and proc.stderr.strip() == ""


def test_dry_run_shows_what_the_gate_adds(cli, case):
    proc = cli("write", "facts.md", "--dry-run", "--mask-names", "names.txt", "--samples", "samples",
               "--provider", "qwen", cwd=case)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    prompts, _, table = proc.stdout.partition("===== 保密模式：占位符")
    assert leaks([prompts]) == []
    assert "李娟" in table and "青山镇" in table  # found in the user's own sample


def test_labelled_set_recall_per_kind():
    """The labelled set (tests/fixtures/masking, also measured by bench/bench_mask.py through the
    command line): every kind of name over its goal, in the table and last gate of a masked run."""
    import labelled
    from draftbot.facts import parse_facts
    from draftbot.masking import build_table, normal_text

    sets = labelled.load_all()
    assert sum(len(s.bullets()) for s in sets) >= 40 and sum(len(s.labels) for s in sets) >= 200
    totals: dict[str, list[int]] = {}
    for item in sets:
        table = build_table(parse_facts(item.text))
        table.search(item.text)
        masked = normal_text(table.mask(item.text))
        for name, kind in item.names.items():
            totals.setdefault(kind, [0, 0])
            totals[kind][0] += normal_text(name) not in masked
            totals[kind][1] += 1
    assert set(totals) == {"人名", "地名", "单位", "企业"}
    assert totals["人名"][0] / totals["人名"][1] >= 0.98, totals
    for kind in ("地名", "单位", "企业"):
        assert totals[kind][0] / totals[kind][1] >= 0.95, (kind, totals)
