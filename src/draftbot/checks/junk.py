"""`template-junk`: lines left over from a report copied off the web (adverts, watermarks, QQ numbers)."""

from __future__ import annotations

from draftbot.checks.base import Hit
from draftbot.checks.rules import JunkRule

MAX_LINE = 80  # longer lines are prose, never a watermark


def find_junk(text: str, rules: list[JunkRule]) -> list[Hit]:
    """One error per block of junk lines (lines between them blank only)."""
    if not rules:
        return []
    blocks: list[list[tuple[int, int, JunkRule]]] = []
    gap = False
    at = 0
    for raw in text.split("\n"):
        line = raw.strip()
        rule = _junk_rule(line, rules) if line and len(line) <= MAX_LINE else None
        if rule is not None:
            if blocks and not gap:
                blocks[-1].append((at, at + len(raw), rule))
            else:
                blocks.append([(at, at + len(raw), rule)])
            gap = False
        elif line:
            gap = True
        at += len(raw) + 1
    return [_hit(text, block) for block in blocks]


def _junk_rule(line: str, rules: list[JunkRule]) -> JunkRule | None:
    return next((r for r in rules if r.pattern.search(line)), None)


def _hit(text: str, block: list[tuple[int, int, JunkRule]]) -> Hit:
    start, end = block[0][0], block[-1][1]
    kinds = "、".join(dict.fromkeys(r.name or r.id for _, _, r in block))
    first = text[block[0][0] : block[0][1]].strip()
    lines = f"这{len(block)}行" if len(block) > 1 else "这一行"
    message = f"{lines}是复制网上模板留下的{kinds}（“{first[:20]}”），不是报告内容。"
    return Hit("template-junk", "error", start, end, message, "删去这些行。")
