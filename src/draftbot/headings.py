"""The heading numbering of a report (一、 （一） 1.) and Chinese numerals: recognising and writing them."""

from __future__ import annotations

import re
from functools import cache

_CN = "一二三四五六七八九十"
_CN_DIGITS = "零一二三四五六七八九"

# A heading line with its number and text; a Markdown '#' prefix is allowed.
LEVEL_PATTERNS = (
    (1, re.compile(rf"^(?:#+\s*)?([{_CN}]{{1,3}})\s*[、.．]\s*(.*)$")),  # 一、 一. 一．
    (2, re.compile(rf"^(?:#+\s*)?[（(]([{_CN}]{{1,3}})[)）]\s*(.*)$")),
    (3, re.compile(r"^(?:#+\s*)?(\d{1,2})[.．、](?!\d)\s*(.*)$")),
)
MAX_INLINE_HEADING = 40

# Heading numbers of GB/T 9704-2012 §7.3.3 at the start of a paragraph: 一、 （一） 1. (compiled on
# first use: checking a Markdown draft never needs them)
_PARAGRAPH_NUMBERS = {
    1: r"^[一二三四五六七八九十]{1,3}、",
    2: r"^[（(][一二三四五六七八九十]{1,3}[）)]",
    3: r"^\d{1,2}[.．](?!\d)",
}
# A heading written on its own line is short and does not run into body text.
STANDALONE_MAX = 40


def looks_like_title(line: str) -> bool:
    """A line before the first section that reads as the report's title: short, no sentence in it."""
    return len(line) <= 40 and not line.endswith(("。", "：", ":", "；")) and "，" not in line


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 101 -> 一百零一, 1010 -> 一千零一十,
    10001 -> 一万零一 (1..99,999,999: more than a 10 MB facts file can hold)."""
    if not 0 < n < 100_000_000:
        raise ValueError(n)
    if n >= 10000:
        high, low = divmod(n, 10000)
        rest = chinese_number(low) if low else ""
        if 10 <= low < 20:
            rest = "一" + rest  # 一万零一十, not 一万零十
        return chinese_number(high) + "万" + ("零" if 0 < low < 1000 else "") + rest
    if n < 100:
        tens, ones = divmod(n, 10)
        if tens == 0:
            return _CN_DIGITS[ones]
        head = "" if tens == 1 else _CN_DIGITS[tens]
        return head + "十" + (_CN_DIGITS[ones] if ones else "")
    out, gap = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            out += ("零" if gap and out else "") + _CN_DIGITS[digit] + unit
            gap = False
        elif out:
            gap = True
    return out


@cache
def paragraph_number(level: int) -> re.Pattern:
    """The pattern of a level-1, 2 or 3 heading number at the start of a paragraph."""
    return re.compile(_PARAGRAPH_NUMBERS[level])


def heading_level(text: str) -> int:
    """1, 2 or 3 for text that starts with 一、 / （一） / 1.; 0 otherwise."""
    for level in (1, 2, 3):
        if paragraph_number(level).match(text):
            return level
    return 0


def split_inline_heading(rest: str) -> tuple[str, str]:
    """'永葆忠诚之心，做到“一心向党”。一方面……' -> heading, body."""
    stop = rest.find("。")
    if 0 < stop <= MAX_INLINE_HEADING:
        return rest[:stop], rest[stop + 1 :].strip()
    if len(rest) <= MAX_INLINE_HEADING:
        return rest.rstrip("。"), ""
    return "", rest
