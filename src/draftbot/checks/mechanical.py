"""Mechanical defects a proofreader marks first: `doubled-text` (在在, ，，), `unpaired-punctuation`
(“…“, 《…, （… without its partner), `invisible-char` (zero-width, BOM, NBSP, U+2028 pasted from web
pages), `halfwidth-punctuation` (a half-width comma inside a Chinese sentence) and `mixed-digits`
(full-width and ASCII digits in one figure).

Doubled characters without segmentation (jieba is a 10 MB dictionary and 0.5 s to load, too slow for a
cold check, and a segmenter does not tell an accident from reduplication either): content words
reduplicate legitimately (常常, 人人, 看看, 谢谢, 天天, 认认真真) and two words often meet on one character
(学习|习近平, 党委|委员, 工作|作风), so only *function* characters are judged — prepositions, particles,
conjunctions and adverbs that never reduplicate in standard Chinese (在, 的, 了, 是, 和, 与, 对 …). Each
keeps the characters before or after it that form an ordinary word across the pair (现在|在, 为了|了解,
但是|是否), and an AABB form (的的确确, 是是非非) is reduplication too.
"""

from __future__ import annotations

import re

from draftbot.checks.base import Hit
from draftbot.checks.registry import CheckContext, Rule, check

# function character -> characters that, just before the pair, end a word with its first half
# ("" when none): 现在在 = 现在 + 在, 作为为 = 作为 + 为
_FUNCTION_CHARS = {
    "在": "现存实自所潜内外健正好", "的": "目有标端打", "了": "不为除罢", "是": "但还就凡总算正于要老倒也又可若或即",
    "和": "总温缓平谐柔祥饱暖", "与": "参给赋授", "为": "作认因成称行以视较更极", "以": "可所得难足予加用给借何是",
    "将": "即", "从": "服盲听自跟", "向": "方导志意倾指动取转走", "于": "由属关对处等至终善勇敢急乐基鉴在位出过", "而": "然因从进反继",
    "及": "以涉危普来", "并": "合吞兼", "或": "", "也": "", "就": "成早造迁将", "都": "首", "又": "", "还": "归偿退",
    "被": "棉", "其": "尤及极与", "但": "不非", "却": "冷忘推退", "更": "变", "很": "", "不": "", "没": "淹埋出",
    "给": "供配交补", "由": "自理缘经", "因": "原基成诱病", "则": "原规准守法细总否", "即": "立随旋当", "既": "",
    "要": "需主重只必纪首提摘概", "把": None, "对": None, "等": None, "着": None, "地": None, "得": None,
    "所": None, "如": None, "让": None, "按": None, "最": None, "多": None,
}
# function character -> characters that, just after the pair, start a word with its second half
_NEXT_WORD = {"了": "解结却然", "是": "否非", "在": "乎意于", "的": "确"}
_DOUBLED_CHAR = re.compile("([" + "".join(c for c, before in _FUNCTION_CHARS.items() if before is not None) + r"])\1")
_DOUBLED_PUNCT = re.compile(r"([，。、；：])\1+")
_REPEAT = re.compile(r"([\u4e00-\u9fff]{3,8})\1")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DISTRIBUTIVE = "一每逐各两三四五六七八九十"

_INVISIBLE = {
    "\u200b": "零宽空格", "\u200c": "零宽非连接符", "\u200d": "零宽连接符", "\u2060": "零宽不换行符",
    "\ufeff": "字节顺序标记（BOM）", "\u202a": "双向文字控制符", "\u202b": "双向文字控制符", "\u202c": "双向文字控制符",
    "\u202d": "双向文字控制符", "\u202e": "双向文字控制符", "\u00ad": "软连字符", "\u00a0": "不换行空格（NBSP）",
    "\u2028": "行分隔符（U+2028）", "\u2029": "段分隔符（U+2029）", "\u180e": "蒙古文元音分隔符",
}
_INVISIBLE_RE = re.compile("[" + "".join(_INVISIBLE) + "]+")
_SOFT = {"\u00a0", "\u2028", "\u2029"}  # visible as a space or a line break: a warning

_HALF = re.compile(r"(?<=[\u4e00-\u9fff”’）])([,;:?!]|\.(?=[\u4e00-\u9fff]))(?=[\u4e00-\u9fff“‘（])")
_HEADING_NUMBER = re.compile(r"(?:^|\n)[ \t#]*[一二三四五六七八九十]+$|(?:^|\n)[ \t#]*$")
_HALF_NAMES = {",": "逗号", ";": "分号", ":": "冒号", "?": "问号", "!": "叹号", ".": "句点"}
_FULL_FOR = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", ".": "。"}

_DIGIT_RUN = re.compile(r"[0-9０-９][0-9０-９.．,，]*[0-9０-９]")
_ASCII_DIGITS = frozenset("0123456789")
_WIDE_DIGITS = frozenset("０１２３４５６７８９")

_PAIRS = {"“": "”", "‘": "’", "《": "》", "（": "）", "【": "】", "〔": "〕", "〈": "〉", "「": "」", "『": "』"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}
_MARKS = re.compile("[" + "".join(_PAIRS) + "".join(_CLOSERS) + "\n]")
_LIST_CLOSE = re.compile(r"(?:^|\n)[ \t]*[（(]?[0-9一二三四五六七八九十]{1,3}$")


@check("mechanical", label="文字和标点", order=110, rules=(
    Rule("doubled-text", "重复字词", "重复的字和标点为错误，连写两遍的词为警告",
         "“在在”“的的”“，，”这类多打的字和标点（“常常”“认认真真”等叠词不算）"),
    Rule("unpaired-punctuation", "标点不成对", "警告", "引号、书名号、括号缺了另一半"),
    Rule("invisible-char", "看不见的字符", "零宽字符为错误，不换行空格为警告",
         "从网页复制带来的零宽字符、BOM、不换行空格等看不见的字符"),
    Rule("halfwidth-punctuation", "半角标点", "提示", "中文句子中用了半角逗号、句号等"),
    Rule("mixed-digits", "全半角数字混用", "警告", "一个数字中全角和半角数字混写"),
))
def run(ctx: CheckContext) -> list[Hit]:
    return find_mechanical(ctx.masked)


def find_mechanical(text: str) -> list[Hit]:
    return (find_doubled(text) + find_unpaired(text) + find_invisible(text) + find_halfwidth(text)
            + find_mixed_digits(text))


# ------------------------------------------------------------------ doubled characters and words


def find_doubled(text: str) -> list[Hit]:
    hits = []
    for m in _DOUBLED_CHAR.finditer(text):
        at, ch = m.start(), m.group(1)
        if not _legitimate(text, at, ch, _FUNCTION_CHARS[ch]):
            context = " ".join(text[max(0, at - 4) : at + 6].split())
            hits.append(Hit("doubled-text", "error", at, at + 2, f"“{ch}”字重复了（“{context}”）。",
                            f"删去一个“{ch}”。"))
    for m in _DOUBLED_PUNCT.finditer(text):
        hits.append(Hit("doubled-text", "error", m.start(), m.end(), f"标点“{m.group(1)}”重复了。",
                        f"只保留一个“{m.group(1)}”。"))
    for m in _REPEAT.finditer(text):
        if m.group(1)[0] in _DISTRIBUTIVE:
            continue  # 一个班一个班, 每一天每一天: distributive reduplication
        hits.append(Hit("doubled-text", "warning", m.start(), m.end(), f"“{m.group(1)}”连着写了两遍。",
                        f"删去重复的“{m.group(1)}”。"))
    return hits


def _legitimate(text: str, at: int, ch: str, before: str) -> bool:
    prev = text[at - 1] if at else ""
    nxt = text[at + 2] if at + 2 < len(text) else ""
    if prev and prev in before:
        return True  # 现在|在, 作为|为
    if nxt and nxt in _NEXT_WORD.get(ch, ""):
        return True  # 为了|了解, 但是|是否
    if at + 3 < len(text) and text[at + 2] == text[at + 3] and _CJK.match(nxt):
        return True  # AABB: 的的确确, 是是非非
    if at >= 2 and text[at - 2] == text[at - 1] and _CJK.match(prev):
        return True  # the BB of an AABB: 和和美美 read from 美美
    return text[at - 2 : at + 4] in ("不了了之",) or text[at - 1 : at + 3] == "一了了百"


# ------------------------------------------------------------------ paired punctuation


def find_unpaired(text: str) -> list[Hit]:
    """Paired marks are matched within each paragraph (line); a mark left without its partner is a
    warning. A closing bracket after a list number at the start of a line (1） 一）) is numbering.
    Only the marks and the line breaks are visited (one regex scan), not every character."""
    hits: list[Hit] = []
    stack: list[tuple[str, int]] = []
    bad: list[tuple[int, str]] = []
    line_start = 0
    for m in _MARKS.finditer(text):
        ch, i = m.group(), m.start()
        if ch == "\n":
            hits += _report(text, bad + [(j, o) for o, j in stack])
            stack, bad, line_start = [], [], i + 1
        elif ch in _PAIRS:
            if ch in "“‘" and stack and stack[-1][0] == ch:
                stack.pop()
                bad.append((i, _PAIRS[ch]))  # “…“: the second mark should close the first
                continue
            stack.append((ch, i))
        else:
            opener = _CLOSERS[ch]
            if stack and stack[-1][0] == opener:
                stack.pop()
            elif any(o == opener for o, _ in stack):
                while stack and stack[-1][0] != opener:
                    o, j = stack.pop()
                    bad.append((j, o))
                stack.pop()
            elif ch == "）" and _LIST_CLOSE.search(text[line_start:i]):
                continue
            else:
                bad.append((i, ch))
    return hits + _report(text, bad + [(j, o) for o, j in stack])


def _report(text: str, bad: list[tuple[int, str]]) -> list[Hit]:
    hits = []
    for i, ch in sorted(bad):
        written = text[i]
        if written != ch:  # “…“
            hits.append(Hit("unpaired-punctuation", "warning", i, i + 1,
                            f"{_mark_name(ch)}方向写反了：这里应是后{_mark_name(ch)}“{ch}”，与前面的“{written}”配对。",
                            f"改为“{ch}”。"))
            continue
        partner = _PAIRS.get(ch) or _CLOSERS.get(ch)
        role = "前" if ch in _PAIRS else "后"
        hits.append(Hit("unpaired-punctuation", "warning", i, i + 1,
                        f"{role}{_mark_name(ch)}“{ch}”在本段中没有配对的“{partner}”。",
                        f"补上“{partner}”，或删去多余的“{ch}”。"))
    return hits


def _mark_name(ch: str) -> str:
    return {"“": "引号", "”": "引号", "‘": "引号", "’": "引号", "《": "书名号", "》": "书名号"}.get(ch, "括号")


# ------------------------------------------------------------------ invisible characters


def find_invisible(text: str) -> list[Hit]:
    hits = []
    for m in _INVISIBLE_RE.finditer(text):
        if m.start() == 0 and m.group() == "\ufeff":
            continue  # a BOM at the very start is how some editors save UTF-8
        if set(m.group()) <= _SOFT and _at_line_edge(text, m.start(), m.end()):
            continue  # an NBSP among the spaces that indent or end a line shows as a space: harmless
        names = "、".join(dict.fromkeys(_INVISIBLE[c] for c in m.group()))
        level = "warning" if set(m.group()) <= _SOFT else "error"
        codes = " ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in m.group()))
        hits.append(Hit("invisible-char", level, m.start(), m.end(),
                        f"这里有{len(m.group())}个看不见的字符：{names}（{codes}），多是从网页复制带来的，"
                        "会影响查找、排版和标题识别。", "删去这些字符（NBSP 换成普通空格或删去）。"))
    return hits


def _at_line_edge(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    return not text[line_start:start].strip(" \t\u3000\u00a0") or not text[end:line_end].strip(" \t\u3000\u00a0")


# ------------------------------------------------------------------ half-width punctuation


def find_halfwidth(text: str) -> list[Hit]:
    """Half-width , ; : ? ! . between Chinese characters: one note (info) for the whole text, at the
    first, counting the others and naming their lines (a text typed that way has them everywhere)."""
    found = []
    at = 0
    for number, line in enumerate(text.split("\n"), 1):
        found += [(at + m.start(), at + m.end(), m.group(), number) for m in _HALF.finditer(line)
                  if not _is_numbering(line, m)]
        at += len(line) + 1
    if not found:
        return []
    start, end, mark, _ = found[0]
    kinds = "、".join(dict.fromkeys(f"“{m}”" for _, _, m, _ in found))
    lines = "、".join(str(n) for n in dict.fromkeys(n for *_, n in found))
    more = f"，全文共 {len(found)} 处（第 {lines} 行）" if len(found) > 1 else ""
    return [Hit("halfwidth-punctuation", "info", start, end, f"中文句子中用了半角标点{kinds}{more}。",
                f"改为全角标点（如“{_FULL_FOR[mark]}”）。")]


def _is_numbering(line: str, m: re.Match) -> bool:
    return m.group() == "." and bool(_HEADING_NUMBER.search(line[: m.start()]))


# ------------------------------------------------------------------ full-width digits


def find_mixed_digits(text: str) -> list[Hit]:
    hits = []
    if not any(c in text for c in _WIDE_DIGITS):
        return hits
    for m in _DIGIT_RUN.finditer(text):
        chars = set(m.group())
        if chars & _ASCII_DIGITS and chars & _WIDE_DIGITS:
            fixed = m.group().translate(_TO_ASCII)
            hits.append(Hit("mixed-digits", "warning", m.start(), m.end(),
                            f"数字“{m.group()}”中混用了全角和半角数字。", f"统一为半角：“{fixed}”。"))
    return hits


_TO_ASCII = str.maketrans("０１２３４５６７８９．", "0123456789.")
