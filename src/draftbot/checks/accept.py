"""Working with findings: ignoring accepted ones, and `check --fix`.

Accepted findings are kept next to the draft in `草稿名.ignore.yaml` (rule + the text it applied to +
the line when accepted): a finding of that rule on that text no longer comes back, wherever the text
moves; once the text is gone, the entry simply matches nothing.

`--fix` applies only certain replacements: 必错 typos, canonical-form substitutions and garbled names
(error level, a single “改为” form), and removes zero-width characters. It never touches 疑似 entries,
enumerations or figures; the original is kept as `.bak` and every change is listed.
"""

from __future__ import annotations

import re
from pathlib import Path

from draftbot.errors import InputError, os_message

FIXABLE = ("typo", "formulation-noncanonical", "garbled-formulation", "invisible-char")


def ignore_path(draft: Path) -> Path:
    return draft.with_name(draft.name + ".ignore.yaml")


def load_ignored(draft: Path | None) -> list[dict]:
    if draft is None or not ignore_path(draft).exists():
        return []
    from draftbot.yamlio import load_yaml

    path = ignore_path(draft)
    if path.is_dir():
        raise InputError(f"忽略记录“{path}”是一个文件夹，不是文件：请改名或删去这个文件夹后重试。")
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        detail = os_message(exc) if isinstance(exc, OSError) else "不是 UTF-8 编码"
        raise InputError(f"无法读取忽略记录“{path}”：{detail}。") from exc
    try:
        data = load_yaml(raw) or {}
    except Exception as exc:  # a hand-edited file that is no longer YAML
        raise InputError(f"忽略记录“{path}”不是合法的 YAML（{exc}），请修正或删除它。") from exc
    items = data.get("ignored") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(f"忽略记录“{path}”的格式不对：应有 ignored: 列表（每项写 rule 和 text）。")
    return [i for i in items if isinstance(i, dict) and i.get("rule") and "text" in i]


def split_ignored(findings: list, ignored: list[dict]) -> tuple[list, list]:
    """(findings still shown, findings an ignore entry covers)."""
    keys = {(str(i["rule"]), str(i["text"])) for i in ignored}
    kept, hidden = [], []
    for f in findings:
        (hidden if (f.rule, f.text) in keys else kept).append(f)
    return kept, hidden


def add_ignored(draft: Path, specs: list[str], findings: list) -> list[dict]:
    """Record each `RULE:TEXT` (or `RULE:TEXT` matched against a finding's text) as accepted; every
    spec is validated before anything is written."""
    import datetime

    entries = load_ignored(draft)
    added = []
    for spec in specs:
        rule, sep, text = spec.partition(":")
        if not sep:
            rule, sep, text = spec.partition("：")
        match = next((f for f in findings if f.rule == rule.strip() and f.text == text.strip()), None)
        if match is None:
            raise InputError(f"草稿中没有规则“{rule.strip()}”在文字“{text.strip()}”上的问题，无法忽略。",
                             hint="写成 --ignore 规则:文字，如 --ignore typo:份内（规则和文字见检查结果）。")
        entry = {"rule": match.rule, "text": match.text, "line": match.line, "message": match.message,
                 "added": datetime.date.today().isoformat()}
        if not any(e["rule"] == entry["rule"] and e["text"] == entry["text"] for e in entries):
            entries.append(entry)
            added.append(entry)
    _save(draft, entries)
    return added


def _save(draft: Path, entries: list[dict]) -> None:
    import yaml

    header = "# draftbot check 的忽略记录：这些问题已确认不用改（规则 + 原文），检查时不再报告。删去一项即恢复。\n"
    body = yaml.safe_dump({"ignored": entries}, allow_unicode=True, sort_keys=False)
    path = ignore_path(draft)
    try:
        path.write_text(header + body, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"无法写入忽略记录“{path}”：{os_message(exc)}") from exc


def apply_fixes(draft: Path, text: str, findings: list) -> tuple[str, list[tuple[int, str, str]]]:
    """The text with every certain fix applied, and (line, old, new) for each change. Nothing is
    changed inside a URL, a code block or span, or a file name, nor next to a digit."""
    from draftbot.checks.base import LineIndex

    lines = LineIndex(text)
    protected = _protected_spans(text)
    edits = []
    for f in findings:
        new = _replacement(f)
        if new is None:
            continue
        start = lines.line_start(f.line) + f.column - 1
        end = start + len(f.text)
        if text[start:end] != f.text or not f.text:
            continue
        if any(a < end and start < b for a, b in protected) or not _safe_context(f, text, start, end):
            continue
        edits.append((start, start + len(f.text), new, f.line, f.text))
    edits.sort()
    out, changes, at = [], [], 0
    for start, end, new, line, old in edits:
        if start < at:
            continue  # overlapping findings: the first wins
        out += [text[at:start], new]
        changes.append((line, old, new))
        at = end
    out.append(text[at:])
    return "".join(out), changes


# where a fix would change something that is not prose: a web address, Markdown code, a file name
_PROTECTED = re.compile(
    r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|`[^`\n]+`"
    r"|(?:https?|ftp)://[^\s“”‘’《》（）()<>，。；、]+|www\.[^\s“”‘’《》（）()<>，。；、]+"
    r"|[^\s“”‘’《》（）()<>，。；：、]+\.(?:docx?|xlsx?|pptx?|wps|et|dps|pdf|txt|md|csv|ofd|zip|rar|jpe?g|png)\b",
    re.S | re.I,
)
# a character after a short wrong form that makes it ordinary language (两个确定的时间, 确定性目标)
_ORDINARY_AFTER = "的地得性了着过者化"


def _protected_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _PROTECTED.finditer(text)]


def _safe_context(f, text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before.isdigit() or after.isdigit():
        return False  # 12\u200b3: removing or changing it would merge or alter a figure
    if f.rule == "formulation-noncanonical" and len(f.text) <= 4 and after and after in _ORDINARY_AFTER:
        return False  # a short wrong form read as ordinary words: reported, changed by hand
    return True


def _replacement(f) -> str | None:
    if f.rule not in FIXABLE or f.level != "error":
        return None
    if f.rule == "invisible-char":
        return ""
    if f.rule == "formulation-noncanonical" and ("列举" in f.message or "顺序" in f.message):
        return None  # an enumeration is rewritten by hand
    s = f.suggestion
    if s.startswith("改为“") and s.endswith("”。") and s.count("“") == 1:
        new = s[3:-2]
        if any(c.isdigit() for c in new + f.text):
            return None  # never the user's figures
        return new
    return None
