"""The start-up data cache (parsed built-in data) is never stale or fatal."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import draftbot.datacache as datacache


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("DRAFTBOT_HOME", str(tmp_path))
    monkeypatch.setattr(datacache, "_entries", None)
    return tmp_path


def _reload_data_cache(monkeypatch):
    monkeypatch.setattr(datacache, "_entries", None)  # as a new process would


def test_data_cache_reuses_identical_text_and_reparses_changed_text(fresh, monkeypatch):
    calls = []

    def parse(text):
        calls.append(text)
        return {"value": text.upper(), "items": [1, 2]}

    assert datacache.parsed("plan", "a.yaml", "abc", parse) == {"value": "ABC", "items": [1, 2]}
    assert datacache.cache_file().exists()
    _reload_data_cache(monkeypatch)
    assert datacache.parsed("plan", "a.yaml", "abc", parse)["value"] == "ABC"
    assert calls == ["abc"]  # second run: from the cache
    assert datacache.parsed("plan", "a.yaml", "abd", parse)["value"] == "ABD"
    assert calls == ["abc", "abd"]  # an edited file is parsed again
    first = datacache.parsed("plan", "a.yaml", "abd", parse)
    first["items"].append(3)
    assert datacache.parsed("plan", "a.yaml", "abd", parse)["items"] == [1, 2]  # a fresh copy each time


def test_corrupt_or_unwritable_data_cache_means_parsing(fresh, monkeypatch):
    datacache.cache_file().parent.mkdir(parents=True)
    datacache.cache_file().write_bytes(b"\x00garbage")
    assert datacache.parsed("rules", "r.yaml", "x", lambda t: [t]) == ["x"]
    _reload_data_cache(monkeypatch)
    monkeypatch.setenv("DRAFTBOT_HOME", str(fresh / "file-not-folder"))
    (fresh / "file-not-folder").write_text("not a folder", encoding="utf-8")
    assert datacache.parsed("rules", "r.yaml", "y", lambda t: [t]) == ["y"]


def test_builtin_data_is_the_same_with_and_without_the_cache(fresh, monkeypatch):
    from draftbot.plans import load_plan

    first = load_plan("述职报告")
    _reload_data_cache(monkeypatch)
    second = load_plan("述职报告")
    assert first == second


def test_builtin_samples_are_the_same_from_the_cache(fresh, monkeypatch):
    from draftbot.samples import builtin_samples, parse_sample

    parsed_now = builtin_samples()  # parses and caches
    _reload_data_cache(monkeypatch)
    assert sum(key.startswith("sample-1:") for key in datacache._load()) == len(parsed_now)  # on disk
    from_cache = builtin_samples()
    assert from_cache == parsed_now
    assert any(s.sections and s.sections[0].children for s in from_cache)  # nested sections survive
    for sample in from_cache:  # and equal a parse that never touches the cache
        assert parse_sample(sample.source.read_text(encoding="utf-8"), sample.name, sample.source) == sample


def test_builtin_rules_are_the_same_from_the_cache(fresh, monkeypatch):
    from draftbot.checks import rules as rulesmod

    def load():
        rulesmod._CACHE.clear()
        return rulesmod.load_rules()

    parsed_now = load()  # parsed, validated, kept as plain data
    _reload_data_cache(monkeypatch)
    kept = [key for key in datacache._load() if key.startswith("rules-plain-")]
    assert len(kept) == 1
    from_cache = load()
    assert from_cache == parsed_now  # every record, pattern and setting
    assert from_cache.dated and all(isinstance(r.now, list) for r in from_cache.dated)
    assert from_cache.leak.stock == parsed_now.leak.stock and from_cache.leak.stock
    assert all(isinstance(p, re.Pattern) for r in from_cache.dated for p in r.patterns)
    # a changed record class means another cache kind: never decoded with the old field list
    @dataclasses.dataclass(frozen=True)
    class NowText(rulesmod.NowText):
        extra: str = ""

    monkeypatch.setitem(rulesmod._RECORDS, "NowText", NowText)
    assert rulesmod._plain_kind() not in kept[0]


def test_cached_builtin_data_is_made_again_when_the_code_or_noise_rules_change(fresh, monkeypatch, tmp_path):
    """The kept samples and rules depend on code and on sample_noise.yaml, not only on their files."""
    from draftbot import samples
    from draftbot.checks import rules as rulesmod

    made = {"samples": 0, "rules": 0}
    real_parts, real_load = samples._sample_parts, rulesmod._RuleFile.load_into
    monkeypatch.setattr(samples, "_sample_parts", lambda raw: made.__setitem__("samples", made["samples"] + 1)
                        or real_parts(raw))
    monkeypatch.setattr(rulesmod._RuleFile, "load_into", lambda self, rules, text=None: made.__setitem__(
        "rules", made["rules"] + 1) or real_load(self, rules, text))

    def run():
        rulesmod._CACHE.clear()
        _reload_data_cache(monkeypatch)
        return samples.builtin_samples(), rulesmod.load_rules()

    first = run()
    counted = dict(made)
    assert counted["samples"] >= 5 and counted["rules"] >= 8  # every sample, every rule file
    assert run() == first and made == counted  # unchanged: all from the cache
    noise = samples._noise_text() + "\n# 本单位补充的水印\n"
    monkeypatch.setattr(samples, "_noise_text", lambda: noise)
    run()
    assert made["samples"] == 2 * counted["samples"] and made["rules"] == counted["rules"]  # samples only
    edited = tmp_path / "rules.py"
    edited.write_text(Path(rulesmod.__file__).read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    monkeypatch.setattr(rulesmod, "__file__", str(edited))
    assert run()[1] == first[1] and made["rules"] == 2 * counted["rules"]  # code changed: parsed again


WRITER = """
import sys, time
from pathlib import Path
import draftbot.datacache as datacache
tag, go = sys.argv[1], Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
for i in range(40):
    datacache.parsed("test", f"{tag}-{i}", "text", lambda t: [t, i])
"""


def test_two_processes_writing_the_cache_at_once_lose_no_entry(tmp_path):
    """Each run merges its entries into the file under a lock: the last writer does not drop the
    other's entries (which made every cold run parse the rules again)."""
    import os
    import subprocess
    import sys

    go = tmp_path / "go"
    env = {**os.environ, "DRAFTBOT_HOME": str(tmp_path),
           "PYTHONPATH": str(Path(datacache.__file__).resolve().parent.parent)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, tag, str(go)], env=env) for tag in ("a", "b")]
    go.touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    held = datacache.read_marshal_dict(tmp_path / "cache" / datacache.cache_file().name)
    assert {f"test:{tag}-{i}" for tag in ("a", "b") for i in range(40)} <= set(held)
