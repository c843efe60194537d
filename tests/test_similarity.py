"""千人一面 (checks.similarity): the indexed search finds exactly the pairs that comparing every paragraph
with every other finds (the former O(n²) batch check, kept here as the reference)."""

from __future__ import annotations

import random

import pytest

from draftbot.checks.similarity import SIMILAR, Paragraph, grams, similar_pairs, similar_paragraphs

WORDS = ("走访农户", "调处纠纷", "服务企业", "排查隐患", "督办项目", "乡村振兴", "基层治理", "营商环境", "安全生产",
         "招商引资", "党建引领", "民生实事", "生态环境", "防汛抗旱", "矛盾化解", "网格管理", "产业发展", "人居环境",
         "集体经济", "志愿服务", "文明实践", "信访积案", "项目建设", "耕地保护")
LINKS = ("推动", "完成", "开展", "落实", "建立", "深化", "统筹", "抓好", "加强", "压实", "", "，")


def all_pairs(paragraphs: list[Paragraph], threshold: float) -> list[tuple[int, int, float]]:
    """The former batch check: every paragraph against every later one."""
    out = []
    for i, a in enumerate(paragraphs):
        for j in range(i + 1, len(paragraphs)):
            b = paragraphs[j]
            if a.report == b.report or a.person == b.person:
                continue
            score = len(a.grams & b.grams) / len(a.grams | b.grams)
            if score >= threshold:
                out.append((i, j, score))
    return out


def paragraph_text(rng: random.Random) -> str:
    parts = [rng.choice(LINKS) + rng.choice(WORDS) + str(rng.randint(1, 999)) for _ in range(rng.randint(4, 12))]
    return "".join(parts)


def edited(rng: random.Random, text: str, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        at = rng.randrange(len(chars))
        kind = rng.random()
        if kind < 0.4:
            chars[at] = rng.choice("的和在是了新好快强")
        elif kind < 0.7:
            chars.insert(at, rng.choice("进一步全面持续"))
        elif len(chars) > 20:
            del chars[at]
    return "".join(chars)


def random_batch(seed: int, reports: int, per_report: int) -> list[Paragraph]:
    """Random paragraphs; a quarter of them near-copies (0 to 8 edits) of a paragraph of an earlier
    report, some reports by the same person (never reported)."""
    rng = random.Random(seed)
    texts: list[tuple[int, str]] = []
    for report in range(reports):
        for _ in range(per_report):
            if texts and rng.random() < 0.25:
                text = edited(rng, rng.choice(texts)[1], rng.randint(0, 8))
            else:
                text = paragraph_text(rng)
            texts.append((report, text))
    people = [f"P{r if r % 7 else r - 1}" for r in range(reports)]  # every 7th report: the previous person
    return [Paragraph(r, people[r], f"第{rng.randint(1, 5)}部分", t, grams(t)) for r, t in texts]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("threshold", [0.5, SIMILAR, 0.9])
def test_index_finds_the_same_pairs_as_all_pairs(seed: int, threshold: float):
    paragraphs = random_batch(seed, reports=40, per_report=10)
    expected = all_pairs(paragraphs, threshold)
    assert similar_pairs(paragraphs, threshold) == expected
    if threshold == SIMILAR:
        assert len(expected) > 20  # the planted copies are there to find
        assert any(score < 1.0 for *_, score in expected)  # and not only verbatim ones


def test_a_pair_exactly_at_the_threshold_counts_and_one_just_below_does_not():
    common = {f"g{i}" for i in range(12)}
    at = [Paragraph(0, "A", "第一部分", "a", frozenset(common | {"x"})),
          Paragraph(1, "B", "第一部分", "b", frozenset(common | {"y", "z"}))]  # 12 / 15 = 0.8
    below = [at[0], Paragraph(1, "B", "第一部分", "b", frozenset(common | {"y", "z", "w"}))]  # 12 / 16
    assert [(i, j) for i, j, _ in similar_pairs(at, 0.8)] == [(0, 1)]
    assert similar_pairs(below, 0.8) == [] == all_pairs(below, 0.8)


def test_findings_one_per_pair_of_sections_with_the_excerpt_of_the_first():
    text = "全年走访农户101次，现场解决群众反映的问题37个，推动建成便民服务站3个，帮助协调落实产业扶持资金"
    paragraphs = [Paragraph(0, "赵一", "第二部分", text, grams(text)),
                  Paragraph(0, "赵一", "第二部分", text + "，另有", grams(text + "另有")),
                  Paragraph(1, "钱二", "第二部分", text, grams(text)),
                  Paragraph(2, "赵一", "第三部分", text, grams(text))]  # the same person again: not reported
    found = similar_paragraphs(paragraphs, ["赵一.draft.md", "钱二.draft.md", "赵一2.draft.md"])
    assert [(s.a, s.b, s.section_a, s.section_b) for s in found] == [
        ("赵一.draft.md", "钱二.draft.md", "第二部分", "第二部分"),
        ("钱二.draft.md", "赵一2.draft.md", "第二部分", "第三部分")]
    assert found[0].similarity == 1.0 and found[0].excerpt == text[:40] + "……"
    assert "千人一面：赵一.draft.md（第二部分）与 钱二.draft.md（第二部分）有一段相似度 100%" in found[0].message()
