"""Replacing one part of a draft file: only that part's bytes change, in every layout a user may leave."""

from __future__ import annotations

import pytest

from draftbot.draft import CLOSING_MARKER, parse_draft
from draftbot.draftedit import CLOSING, OPENING, part_body, part_keys, replace_part, set_front_matter

TRAILING = "   "
DRAFT = f"""---
plan: 述职报告
---

# 2026年度个人述职报告

开头第一段。
开头第二段，手工改成了一行一段。

## 一、坚定理想信念

第一部分原文。

## 二、加强学习实践
二部分紧贴标题，   行尾有空格{TRAILING}
第二段。


一、勤勉敬业。粘贴来的行内正文，紧跟在标题后面。
下一段。

## 四、空的部分

{CLOSING_MARKER}

结尾原文。
"""


def _others_equal(before, after, key):
    for other in part_keys(before):
        if other != key:
            assert part_body(after, other) == part_body(before, other), other


@pytest.mark.parametrize("key", [OPENING, 1, 2, 3, 4, CLOSING])
def test_replace_changes_only_that_part(key):
    before = parse_draft(DRAFT)
    text = replace_part(DRAFT, key, "新的第一段。\n新的第二段。")
    after = parse_draft(text)
    assert part_body(after, key) == "新的第一段。\n新的第二段。"
    _others_equal(before, after, key)
    assert [s.full_heading for s in after.sections] == [s.full_heading for s in before.sections]
    assert after.meta == before.meta and after.title == before.title
    # everything outside the part is the same bytes: marking the part in both files gives one text
    assert replace_part(text, key, "§") == replace_part(DRAFT, key, "§")
    assert replace_part(DRAFT, key, "§").count("§") == 1


def test_bytes_around_a_section_are_untouched():
    text = replace_part(DRAFT, 1, "换掉。")
    head, tail = DRAFT.split("第一部分原文。")
    assert text == head + "换掉。" + tail


def test_inline_body_stays_on_the_heading_line():
    text = replace_part(DRAFT, 3, "新正文。")
    assert "一、勤勉敬业。新正文。\n\n## 四、空的部分" in text
    assert parse_draft(text).sections[2].heading == "勤勉敬业"


def test_closing_added_when_the_draft_has_none():
    plain = DRAFT.split(CLOSING_MARKER)[0].rstrip() + "\n"
    text = replace_part(plain, CLOSING, "新结尾。")
    assert text.startswith(plain) and parse_draft(text).closing == "新结尾。"


def test_front_matter_replaced_body_kept():
    text = set_front_matter(DRAFT, {"plan": "述职报告", "repairs": [{"round": 1}]})
    assert text.split("---\n", 2)[2] == DRAFT.split("---\n", 2)[2]
    assert parse_draft(text).meta["repairs"] == [{"round": 1}]
    bare = "# 标题\n\n正文。\n"
    assert set_front_matter(bare, {"a": 1}) == "---\na: 1\n---\n\n" + bare
