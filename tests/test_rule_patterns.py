"""Rule regexes compiled on first use with a literal prefilter: the prefilter never hides a match."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from draftbot.checks.pattern import RulePattern, chars_pattern, literal_pattern, required_literals
from draftbot.checks.rules import RuleError, load_rules

REPO = Path(__file__).resolve().parent.parent


def builtin_patterns() -> list[RulePattern]:
    rules = load_rules()
    found = [p.pattern for p in rules.placeholders] + [j.pattern for j in rules.junk] + list(rules.names)
    for group in (rules.substitutions, rules.dated, rules.formulations):
        found += [p for rule in group for p in rule.patterns]
    return found


def corpus() -> list[str]:
    """The samples, the test fixtures and (when beside the repository) the published reports."""
    folders = [REPO / "samples", REPO / "tests" / "fixtures", REPO / "examples"]
    folders += [REPO.parent / "shared" / "real-reports", REPO.parent / "shared" / "seeds"]
    texts = []
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.suffix in (".md", ".txt") and path.is_file():
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return texts


@pytest.mark.parametrize(
    ("pattern", "needles"),
    [
        ("十九届[一二三四五六七]中全会", ("十九届",)),
        ("疫情要防住[、，,]?\\s*经济要稳住", ("疫情要防住",)),
        ("ab?c", ("a",)),  # b may be absent: only a is certain
        ("ab*cd", ("cd",)),
        ("ab+cd", ("ab",)),  # b repeats: c need not follow the first b
        ("a{0,2}bc", ("bc",)),
        ("某{2,}", ("某",)),
        ("_{3,}|＿{2,}", ("_", "＿")),
        ("(?:党的)?群众路线教育实践活动", ("群众路线教育实践活动",)),
        ("(?:严禁|禁止)外传|仅供(?:学习|会员)", ("外传", "仅供")),
        ("(?:甲乙|丙丁)", ("甲乙", "丙丁")),
        ("\\d+年度", ("年度",)),
        ("a\\.b", ("a",)),
        ("(?<!问题)动态清零", ("动态清零",)),
        ("(?i)qq群", ()),  # case-folded: no literal is certain
        ("(?x) 甲 乙", ()),  # verbose: the spaces are not literal
        ("[○〇]{2,}", ()),
        ("甲|", ()),  # a branch that matches anything
        ("(?:甲|乙)+", ("甲", "乙")),  # at least one repetition
        ("(?:甲|乙)*丙", ("丙",)),
        ("(?P<n>甲乙)", ("甲乙",)),
        ("[【\\[][^】\\n]{0,12}(?:待补|待填)[^】]{0,12}】", ("待补", "待填")),  # a required group
        ("a(?:b|c)?d", ("a",)),  # an optional group is no requirement
        ("(?=甲乙)丙", ("丙",)),  # a lookaround consumes nothing
        ("甲[乙", ()),  # broken: no prefilter (and the loader reports it)
    ],
)
def test_required_literals(pattern: str, needles: tuple[str, ...]):
    assert required_literals(pattern) == needles
    assert required_literals(pattern, re.IGNORECASE) == ()


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("\\u3000{2,}", "全角空格\u3000\u3000之后"),  # escapes that stand for other characters
        ("\\x41BC", "xABCx"),
        ("\\101", "A"),
        ("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)\\11z", "abcdefghijkkz"),  # a backreference
        ("\\N{IDEOGRAPHIC SPACE}甲", "\u3000甲"),
        ("a{[}xyz]", "a{x"),  # { that is no quantifier is a letter
        ("第{(一}|二三四)章", "第{一}章"),
        ("(?#[)a|b(?#])c", "a"),  # comments
        ("ab(?#x)?c", "ac"),
        ("a{}b", "a{}b"),
    ],
)
def test_prefilter_keeps_matches_of_tricky_patterns(pattern: str, text: str):
    assert re.search(pattern, text)
    assert RulePattern(pattern).may_match(text), RulePattern(pattern).needles
    assert RulePattern(pattern).search(text).span() == re.search(pattern, text).span()


def test_prefilter_reads_pos_and_endpos_as_re_does():
    pattern = RulePattern("甲乙")
    assert pattern.may_match("甲乙", -1) and pattern.search("甲乙", -1).span() == (0, 2)
    assert not RulePattern("甲乙").may_match("甲乙", 0, -1)
    assert re.compile("甲乙").search("甲乙", 0, -1) is None


def test_prefilter_is_sound_on_random_patterns():
    """Random patterns over a small alphabet: whenever the regex matches, the prefilter said it may."""
    rng = random.Random(8)
    atoms = ["甲", "乙", "丙", "a", "b", "[甲乙]", "[^丙]", "\\s", ".", "(?:甲|乙丙)", "(乙|丙丙)", "(?=甲)",
             "(?<!乙)", "\\.", "(?:a|b)+", "\\x61", "\\u7532", "{", "}", "(?#c)", "(a)\\1"]
    quantifiers = ["", "", "", "?", "*", "+", "{2}", "{0,2}", "{1,}", "+?"]
    texts = ["".join(rng.choice("甲乙丙ab. ") for _ in range(rng.randint(0, 12))) for _ in range(300)]
    checked = 0
    for _ in range(1500):
        branches = ["".join(rng.choice(atoms) + rng.choice(quantifiers) for _ in range(rng.randint(1, 5)))
                    for _ in range(rng.randint(1, 3))]
        source = "|".join(branches)
        try:
            compiled = re.compile(source)
        except re.error:
            continue
        prefilter = RulePattern(source)  # never compiled: may_match is the literal test itself
        pattern = RulePattern(source)
        for text in texts:
            if compiled.search(text):
                checked += 1
                assert prefilter.may_match(text), (source, text, prefilter.needles)
                assert pattern.search(text).span() == compiled.search(text).span()
        assert prefilter._compiled is None
    assert checked > 1000


def test_builtin_patterns_compile_and_never_match_empty():
    patterns = builtin_patterns()
    assert len(patterns) >= 40
    for pattern in patterns:
        assert pattern.compiled.match("") is None, pattern.pattern
    assert sum(bool(p.needles) for p in patterns) >= 0.75 * len(patterns)  # most are prefiltered


def test_builtin_prefilter_never_hides_a_match_in_real_texts():
    texts = corpus()
    assert len(texts) >= 10
    matched = 0
    for builtin in builtin_patterns():
        compiled = re.compile(builtin.pattern)
        for text in texts:
            found = compiled.findall(text)
            assert RulePattern(builtin.pattern).findall(text) == found, builtin.pattern
            matched += bool(found)
            prefilter = RulePattern(builtin.pattern)
            for line in text.splitlines():
                if compiled.search(line):
                    assert prefilter.may_match(line), (builtin.pattern, line)
            assert prefilter._compiled is None
    assert matched >= 20  # the corpus exercises the patterns


def test_prefilter_is_not_applied_once_compiled():
    pattern = RulePattern("十九届[一二三]中全会")
    assert not pattern.may_match("二十届三中全会")
    assert pattern.search("十九届三中全会").group() == "十九届三中全会"
    assert pattern.may_match("二十届三中全会")  # compiled: the regex itself answers
    assert pattern.search("二十届三中全会") is None
    assert not RulePattern("十九届[一二三]中全会").may_match("十九届", 1)  # the literal must lie in text[pos:]


def test_builtin_patterns_are_not_compiled_until_used():
    rules = load_rules()
    stale = next(r for r in rules.dated if any("动态清零" in p.pattern for p in r.patterns))
    pattern = next(p for p in stale.patterns if "动态清零" in p.pattern)
    fresh = RulePattern(pattern.pattern)
    assert fresh.search("全年没有提到疫情。") is None
    assert fresh._compiled is None  # skipped by the prefilter
    assert fresh.search("坚持动态清零").group() == "动态清零"
    assert fresh._compiled is not None


def test_literal_and_chars_patterns():
    assert literal_pattern("a.b").search("xa.bx").group() == "a.b"
    assert literal_pattern("a.b").search("axb") is None
    assert [m.group() for m in chars_pattern("*＊").finditer("a**b＊c")] == ["**", "＊"]
    assert chars_pattern("*＊").needles == ("*", "＊")


def test_user_rule_regex_is_checked_at_load(tmp_path: Path):
    (tmp_path / "empty.yaml").write_text("junk:\n  - id: a\n    regex: 'x*'\n", encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path)
    assert "第 3 行" in info.value.message and "空字符串" in info.value.message
    (tmp_path / "empty.yaml").write_text("names:\n  - '甲(乙'\n", encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path)
    assert "第 2 行" in info.value.message and "正则" in info.value.message
