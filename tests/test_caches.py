"""The start-up caches (parsed built-in data, compiled regex programs) are never stale or fatal."""

from __future__ import annotations

import importlib
import re

import pytest

import draftbot.datacache as datacache
import draftbot.regexes as regexes


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("DRAFTBOT_HOME", str(tmp_path))
    monkeypatch.setattr(datacache, "_entries", None)
    monkeypatch.setattr(regexes, "_programs", None)
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


PATTERNS = [
    r"(?P<n>\d+(?:\.\d+)?)(?P<unit>亿元|万元|%)",
    r"^[一二三四五六七八九十]+、\s*(.+)$",
    r"[\u4e00-\u9fff]{2,}|[A-Za-z]+",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_cached_regex_programs_match_like_re_compile(fresh, pattern):
    text = "全年新签约项目18个，协议总投资56.8亿元，增长12%\n一、坚定理想信念\nABC 述职"
    expected = re.compile(pattern, re.M)
    compiled = regexes.compile(pattern, re.M)  # first run: compiled and stored
    regexes._save()
    importlib.reload(regexes)  # a new process: programs come from the cache file
    again = regexes.compile(pattern, re.M)
    for candidate in (compiled, again):
        assert [m.groupdict() or m.group(0) for m in candidate.finditer(text)] == [
            m.groupdict() or m.group(0) for m in expected.finditer(text)
        ]
        assert candidate.groups == expected.groups and candidate.groupindex == expected.groupindex


def test_bad_pattern_and_corrupt_regex_cache(fresh):
    with pytest.raises(re.error):
        regexes.compile("(unclosed")
    path = regexes._cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not marshal data")
    importlib.reload(regexes)
    assert regexes.compile(r"\d+亿元").findall("56亿元和7亿元") == ["56亿元", "7亿元"]
