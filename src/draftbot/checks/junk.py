"""`template-junk`: lines left over from a report copied off the web (adverts, watermarks, QQ numbers)."""

from __future__ import annotations

from draftbot.checks.base import Hit
from draftbot.checks.registry import CheckContext, check
from draftbot.checks.rules import JunkRule

MAX_LINE = 80  # longer lines are prose, never a watermark
MAX_SLOGAN = 30  # a short line between two junk lines (an advert's slogan) is junk too


@check("template-junk", label="模板残留", order=95, level="错误",
       doc="从网上模板复制留下的广告、水印、整理者署名、QQ 号（“仅供学习 禁止外传”“××整理，咨询QQ……”），相邻的几行算一处")
def run(ctx: CheckContext) -> list[Hit]:
    return find_junk(ctx.masked, ctx.rules.junk)


def find_junk(text: str, rules: list[JunkRule]) -> list[Hit]:
    """One error per block of junk lines (lines between them blank only)."""
    if not rules:
        return []
    lines = _lines(text, rules)
    _absorb_slogans(lines)
    blocks: list[list[tuple[int, int, JunkRule | None]]] = []
    gap = True
    for start, end, kind, rule in lines:
        if kind == "junk":
            if gap:
                blocks.append([])
            blocks[-1].append((start, end, rule))
            gap = False
        elif kind != "blank":
            gap = True
    return [_hit(text, block) for block in blocks]


def _lines(text: str, rules: list[JunkRule]) -> list[list]:
    """[start, end, kind, rule] per line; kind is junk, blank, short (could be a slogan) or text."""
    out = []
    at = 0
    for raw in text.split("\n"):
        line = raw.strip()
        rule = next((r for r in rules if r.pattern.search(line)), None) if 0 < len(line) <= MAX_LINE else None
        if rule is not None:
            kind = "junk"
        elif not line:
            kind = "blank"
        elif len(line) <= MAX_SLOGAN and not any(ch in line for ch in "。；;"):
            kind = "short"
        else:
            kind = "text"
        out.append([at, at + len(raw), kind, rule])
        at += len(raw) + 1
    return out


def _absorb_slogans(lines: list[list]) -> None:
    """Runs of short lines directly between two junk lines (no blank line in between) become junk."""
    i = 0
    while i < len(lines):
        if lines[i][2] != "short":
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j][2] == "short":
            j += 1
        if i > 0 and j < len(lines) and lines[i - 1][2] == "junk" and lines[j][2] == "junk":
            for k in range(i, j):
                lines[k][2] = "junk"
        i = j


def _hit(text: str, block: list[tuple[int, int, JunkRule | None]]) -> Hit:
    start, end = block[0][0], block[-1][1]
    kinds = "、".join(dict.fromkeys(r.name or r.id for _, _, r in block if r is not None))
    first = text[block[0][0] : block[0][1]].strip()
    lines = f"这{len(block)}行" if len(block) > 1 else "这一行"
    message = f"{lines}是复制网上模板留下的{kinds}（“{first[:20]}”），不是报告内容。"
    return Hit("template-junk", "error", start, end, message, "删去这些行。")
