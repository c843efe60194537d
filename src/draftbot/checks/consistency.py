"""`figure-inconsistent`: figures of one sentence that contradict each other — a part that exceeds a stated
total (其中 categories may overlap, so only one larger than the whole is judged) or parts listed with
分别为 that do not add up to it; a share (占比, 合格率, 覆盖率 …) above 100%; a
percentage that does not match the two numbers it is computed from (776/862 written as 95.8%); a
growth rate that does not match the two values it compares (由A增长到B，增长X%).

Each test needs the relation spelled out in the sentence, so a figure that relates to something
unstated is never judged. The figures are read by draftbot.figures (Chinese numerals included).
"""

from __future__ import annotations

import re

from draftbot.checks.base import Hit
from draftbot.checks.registry import CheckContext, check

RULE = "figure-inconsistent"
_SENTENCE = re.compile(r"[^。；！？\n]+")
_TOTAL_BEFORE = ("共", "总计", "合计", "累计", "总数", "总共", "一共", "共计")
_SHARE_WORDS = ("占比", "占", "合格率", "达标率", "及格率", "优秀率", "覆盖率", "参与率", "出勤率", "知晓率",
                "满意度", "满意率", "入学率", "巩固率", "升学率", "就业率", "通过率", "签约率", "到位率", "比例为",
                "比例达", "比重")
_RATIO = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[/／]\s*(\d+(?:\.\d+)?)(?![\d.])")
_UP = ("增长", "增加", "提高", "提升", "上升", "增幅")
_DOWN = ("下降", "减少", "降低", "降幅", "缩减")


@check(RULE, label="数字矛盾", order=120, level="警告",
       doc="同一句中互相矛盾的数字：分项大于总数、“分别为”加起来不等于总数、占比超过100%、百分比与算出它的两个数"
           "对不上、增长率与前后两个数对不上")
def run(ctx: CheckContext) -> list[Hit]:
    return find_inconsistent(ctx.masked, ctx.figure_options)


def find_inconsistent(text: str, options=None) -> list[Hit]:
    from draftbot.figures import extract_figures

    hits: list[Hit] = []
    for m in _SENTENCE.finditer(text):
        sentence = m.group()
        tests = [test for cue, test in _TESTS if cue.search(sentence)]
        if not tests:
            continue  # no relation is spelled out: nothing to compare
        figures = extract_figures(sentence, options)
        found = [item for test in tests for item in test(sentence, figures)]
        for start, end, message, suggestion in found:
            hits.append(Hit(RULE, "warning", m.start() + start, m.start() + end, message, suggestion))
    return hits


def _parts(sentence: str, figures) -> list[tuple]:
    at = sentence.find("其中")
    respectively = sentence.find("分别为") if "分别为" in sentence else sentence.find("分别是")
    out = []
    for f in figures:
        before = sentence[max(0, f.start - 8) : f.start].rsplit("，", 1)[-1]
        if not f.dim.startswith("count:") or not any(w in before for w in _TOTAL_BEFORE):
            continue
        after = at if at > f.end else respectively if respectively > f.end else -1
        if after == -1:
            continue
        parts = [g for g in figures if g.start > after and g.dim == f.dim and not g.approx]
        if not parts or f.approx:
            continue
        total = sum(g.base for g in parts)
        biggest = max(parts, key=lambda g: g.base)
        if biggest.base > f.base + 1e-9:  # the categories after 其中 may overlap, but none exceeds the whole
            out.append((f.start, biggest.end, f"其中的“{biggest.text}”超过了总数“{f.text}”，数字前后矛盾。",
                        "核对总数和各分项数字。"))
        elif respectively > f.end and len(parts) > 1 and abs(total - f.base) > 1e-9:
            out.append((f.start, parts[-1].end, f"“分别为”的各项之和（{_num(total)}）与总数“{f.text}”不一致。",
                        "核对总数和各分项数字。"))
    return out


def _shares(sentence: str, figures) -> list[tuple]:
    out = []
    for f in figures:
        if f.dim != "percent" or f.base <= 100:
            continue
        before = sentence[max(0, f.start - 6) : f.start]
        if any(w in before for w in _SHARE_WORDS) and "完成" not in before:
            out.append((f.start, f.end, f"“{f.text}”是一个比例（占比、合格率之类），不会超过100%。", "核对这个百分比。"))
    return out


def _ratios(sentence: str, figures) -> list[tuple]:
    out = []
    percents = [f for f in figures if f.dim == "percent"]
    for m in _RATIO.finditer(sentence):
        part, whole = float(m.group(1)), float(m.group(2))
        near = [p for p in percents if abs(p.start - m.end()) <= 15 or abs(m.start() - p.end) <= 15]
        if not near or not whole or part > whole:
            continue
        p = min(near, key=lambda f: min(abs(f.start - m.end()), abs(m.start() - f.end)))
        expected = part / whole * 100
        if _differs(expected, p):
            out.append((min(m.start(), p.start), max(m.end(), p.end),
                        f"{m.group(1)}÷{m.group(2)} = {_pct(expected, p)}%，与文中的“{p.text}”不符。",
                        f"核对数字，或改为“{_pct(expected, p)}%”。"))
    return out


def _growth(sentence: str, figures) -> list[tuple]:
    out = []
    for i, a in enumerate(figures):
        if a.dim in ("percent", "points") or not sentence[max(0, a.start - 2) : a.start].endswith(("由", "从")):
            continue
        b = next((g for g in figures[i + 1 :] if g.dim == a.dim and g.start - a.end <= 12
                  and re.search(r"(?:到|至|为)\s*$", sentence[a.end : g.start])), None)
        if b is None or not a.base:
            continue
        rate = next((g for g in figures if g.dim == "percent" and g.start > b.end
                     and any(w in sentence[b.end : g.start][-8:] for w in _UP + _DOWN)), None)
        if rate is None:
            continue
        words = sentence[b.end : rate.start][-8:]
        expected = (b.base - a.base) / a.base * 100
        if any(w in words for w in _DOWN):
            expected = -expected
        if _differs(expected, rate):
            out.append((a.start, rate.end, f"由“{a.text}”到“{b.text}”，变化幅度是{_pct(expected, rate)}%，"
                        f"与文中的“{rate.text}”不符。", "核对两个数字和增幅。"))
    return out


_N = r"[\d零〇一二两三四五六七八九十]"
_TESTS = (  # each test with the words (and numbers) its relation cannot be written without
    (re.compile(rf"(?:共|总计|合计|累计|总数|一共|共计)[^，。；]{{0,8}}{_N}[^。；]*(?:其中|分别[为是])[^。；]*{_N}"), _parts),
    (re.compile(rf"(?:{'|'.join(_SHARE_WORDS)})[^，。；]{{0,6}}(?:\d{{3,}}|\d[\d.]*\d{{2}})(?:\.\d+)?[%％]"), _shares),
    (re.compile(r"\d\s*[/／]\s*\d"), _ratios),
    (re.compile(rf"[由从]\s*{_N}[^，。；]{{0,20}}(?:到|至|为)"), _growth),
)


def _decimals(figure) -> int:
    m = re.search(r"[.．](\d+)", figure.text)
    return len(m.group(1)) if m else (1 if "点" in figure.text else 0)


def _differs(expected: float, stated) -> bool:
    digits = _decimals(stated)
    return abs(expected - stated.base) > 10 ** -digits + 1e-9


def _pct(value: float, like) -> str:
    return f"{value:.{max(1, _decimals(like))}f}"


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
