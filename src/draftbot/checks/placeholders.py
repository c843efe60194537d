"""`placeholder`: blanks left where a figure, date or name should be (20**年*月, x亿元, X%, 某某)."""

from __future__ import annotations

import re

from draftbot.checks.base import Hit
from draftbot.checks.registry import CheckContext, check
from draftbot.checks.rules import PlaceholderRule

_ASCII_LETTER = re.compile(r"[A-Za-z]")
_PUNCT_OR_SPACE = set(" \t\n\r，。、；：！？“”‘’（）《》【】—…,.;:!?\"'()[]<>")
_LINE_HEAD = re.compile(r"[ \t]*(?:#{1,6}[ \t]+|[-+>][ \t]+|\d+[.、][ \t]*)?")
_UNITS_AFTER = ("亿", "万", "元", "%", "％", "个", "家", "项", "次", "人", "件", "户", "亩", "平方", "公里",
                "宗", "批", "名", "余", "多", "倍", "千", "百", "米", "吨", "小时", "天", "周")


def blanks(ctx: CheckContext) -> list[Hit]:
    """The draft's blanks (once per draft: figure-ungrounded skips the figures inside them)."""
    return ctx.shared("placeholders", lambda: find_placeholders(ctx.masked, ctx.rules.placeholders, ctx.markdown))


@check("placeholder", label="待填空白", order=70, level="警告",
       doc="未填的空白：`20**年*月`、`x亿元`、`X%`、`*亩`、`××`、`某某`、`【待补】`；离线引擎在没有要点的部分按提纲写的"
           "通用表述后面标有 `【待确认：本段为通用表述】`，也在此报告，请核实或改写；汇总中统计待填空白数")
def run(ctx: CheckContext) -> list[Hit]:
    return blanks(ctx)


def find_placeholders(text: str, rules: list[PlaceholderRule], markdown: bool = True) -> list[Hit]:
    spans: list[tuple[int, int, PlaceholderRule]] = []
    for rule in rules:
        for m in rule.pattern.finditer(text):
            spans.append((m.start(), m.end(), rule))
    spans = _without_exempt(text, spans, markdown)
    hits, last_end = [], -1
    for start, end, rule in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < last_end:
            continue  # overlapping blanks from two rules count once
        last_end = end
        hits.append(_hit(text, start, end, rule))
    return hits


def _without_exempt(text: str, spans, markdown: bool) -> list:
    emphasis = _emphasis_runs(text, spans) if markdown else set()
    kept = []
    for start, end, rule in spans:
        if rule.kind == "chars" and (
            (start, end) in emphasis or _is_ordinary(text, start, end)
        ):
            continue
        kept.append((start, end, rule))
    return kept


def _is_ordinary(text: str, start: int, end: int) -> bool:
    run = text[start:end]
    before = text[start - 1] if start > 0 else "\n"
    after = text[end] if end < len(text) else "\n"
    if _ASCII_LETTER.fullmatch(run[0]) and (_ASCII_LETTER.match(before) or _ASCII_LETTER.match(after)):
        return True  # a Latin word (Excel, xlsx, MAX)
    if run[0] in "*＊" and after in " \t" and text[text.rfind("\n", 0, start) + 1 : start].strip() == "":
        return True  # a Markdown bullet
    if run[0] in "*＊" and before in " \t" and after in " \t\n":
        return True  # a lone * between spaces is markup or a multiplication sign, not a blank
    if len(run) == 1 and before.isdigit() and after.isdigit():
        return True  # 3×4, 1920x1080
    return run[0] in "xX" and len(run) == 1 and after == "-" and _ASCII_LETTER.match(text[end + 1 : end + 2] or " ")


def _emphasis_runs(text: str, spans) -> set[tuple[int, int]]:
    """Pairs of `**` that are Markdown bold (**一是加强学习。**), not anonymisation marks."""
    runs = sorted((s, e) for s, e, r in spans if r.kind == "chars" and text[s:e] in ("**", "__"))
    out: set[tuple[int, int]] = set()
    i = 0
    while i + 1 < len(runs):
        (s1, e1), (s2, e2) = runs[i], runs[i + 1]
        if _is_emphasis(text, s1, e1, s2, e2):
            out.update({(s1, e1), (s2, e2)})
            i += 2
        else:
            i += 1
    return out


def _is_emphasis(text: str, s1: int, e1: int, s2: int, e2: int) -> bool:
    """Bold only where anonymisation marks never sit: a pair opening its line (**一是……。**)
    or standing between spaces. Mid-sentence **……** in Chinese text is taken as blanks."""
    inner = text[e1:s2]
    if not 2 <= len(inner) <= 60 or "\n" in inner or inner != inner.strip():
        return False
    if inner[0] in _PUNCT_OR_SPACE or inner[-1] in "“‘（《【(":
        return False
    line_head = text[text.rfind("\n", 0, s1) + 1 : s1]
    at_line_start = _LINE_HEAD.fullmatch(line_head) is not None
    outer_before = text[s1 - 1] if s1 > 0 else "\n"
    outer_after = text[e2] if e2 < len(text) else "\n"
    return at_line_start or (outer_before in " \t\n" and outer_after in " \t\n")


def _hit(text: str, start: int, end: int, rule: PlaceholderRule) -> Hit:
    run = text[start:end]
    what = _position_kind(text, start, end)
    message = rule.message or f"占位符“{run}”（{rule.name}）：此处应填写{what}。"
    return Hit("placeholder", rule.level, start, end, message, f"用事实中的{what}替换“{run}”，或删去这一句。")


def _position_kind(text: str, start: int, end: int) -> str:
    after = text[end : end + 2]
    before = text[max(0, start - 2) : start]
    if after[:1] in ("年", "月", "日", "号") or before.endswith(("20", "19")):
        return "日期"
    if after.startswith(_UNITS_AFTER) or before.endswith(("增长", "增速", "完成", "达到", "占比", "下降")):
        return "数字"
    return "名称或内容"
