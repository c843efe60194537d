"""`sample-leak`: text copied from a sample.

A copied run that carries the sample's own specifics (figures, dates, blanks, company or place
names) the facts do not contain is an error; a verbatim run of 30+ characters found in only one
sample is a warning; runs shared by several samples are the genre's common formulations (套话).

Speed: K-character grams of one side (draft or samples) are indexed every `stride` characters, so
any common run of at least K + stride - 1 characters contains an indexed gram; the other side is
scanned once against them, and each hit is grown to its maximal extent by slice comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from draftbot.checks.base import Hit
from draftbot.checks.registry import CheckContext, check
from draftbot.figures import FigureIndex, FigureOptions, extract_figures

K = 8
_BLANK_MARK = re.compile(r"[*＊×]|(?<![A-Za-z])[xX]+(?![A-Za-z])")


@dataclass(frozen=True, slots=True)
class SampleIndex:
    """The samples' names and texts, side by side."""

    names: list[str]
    texts: list[str]


@check("sample-leak", label="照抄范文", needs=("samples",), order=90, level="错误或警告",
       doc="照抄范文且带有范文自己的数字、单位名、地名（错误）；与某一篇范文连续 30 字以上相同（警告）；几篇范文共有的"
           "套话和规范表述（“在思想上政治上行动上同以习近平同志为核心的党中央保持高度一致”）不算")
def run(ctx: CheckContext) -> list[Hit]:
    from draftbot.checks.grounding import facts_index, facts_text_of

    settings = ctx.rules.leak
    return find_leaks(ctx.masked, ctx.samples, facts_text_of(ctx), facts_index(ctx), ctx.rules.names,
                      ctx.figure_options, settings.min_specific_run, settings.min_verbatim_run, settings.stock)


def sample_index(samples) -> SampleIndex:
    return SampleIndex([getattr(s, "name", str(i)) for i, s in enumerate(samples)],
                       [getattr(s, "text", s) for s in samples])


def common_runs(text: str, index: SampleIndex, min_len: int) -> list[tuple[int, int]]:
    """Maximal spans of `text` (at least `min_len` long) that occur verbatim in some sample.

    The longer side is indexed every `stride` characters (any common run of `min_len` contains an
    indexed gram) and the shorter side is scanned at every position."""
    stride = max(1, min_len - K + 1)
    if len(text) <= sum(len(t) for t in index.texts):
        runs = _scan_draft(text, index, stride, min_len)
    else:
        runs = _scan_samples(text, index, stride, min_len)
    return _merge(runs)


def _scan_draft(text: str, index: SampleIndex, stride: int, min_len: int) -> list[tuple[int, int]]:
    starts = range(len(text) - K + 1)
    grams = [text[pos : pos + K] for pos in starts]
    present = set(grams)
    probes: dict[str, list[tuple[int, int]]] = {}  # only the sample grams the draft has (most have none)
    for si, sample in enumerate(index.texts):
        indexed = range(0, len(sample) - K + 1, stride)
        for spos, gram in [(p, g) for p in indexed if (g := sample[p : p + K]) in present]:
            probes.setdefault(gram, []).append((si, spos))
    found = _Diagonals(min_len)
    for pos in [p for p, gram in zip(starts, grams, strict=True) if gram in probes]:
        for si, spos in probes[grams[pos]][:50]:
            found.hit(text, pos, index.texts[si], si, spos)
    return found.runs


def _scan_samples(text: str, index: SampleIndex, stride: int, min_len: int) -> list[tuple[int, int]]:
    probes: dict[str, list[int]] = {}
    for pos in range(0, len(text) - K + 1, stride):
        probes.setdefault(text[pos : pos + K], []).append(pos)
    found = _Diagonals(min_len)
    for si, sample in enumerate(index.texts):
        for spos in range(len(sample) - K + 1):
            for pos in probes.get(sample[spos : spos + K], ())[:50]:
                found.hit(text, pos, sample, si, spos)
    return found.runs


class _Diagonals:
    """Grows each hit once per alignment (sample, offset): hits inside a run already grown on the
    same alignment are skipped, so long copies cost linear time."""

    def __init__(self, min_len: int):
        self.min_len = min_len
        self.reach: dict[tuple[int, int], int] = {}
        self.runs: list[tuple[int, int]] = []

    def hit(self, text: str, pos: int, sample: str, si: int, spos: int) -> None:
        key = (si, spos - pos)
        if self.reach.get(key, -1) > pos:
            return
        start, end = _grow(text, pos, sample, spos)
        self.reach[key] = end
        if end - start >= self.min_len:
            self.runs.append((start, end))


def _grow(a: str, apos: int, b: str, bpos: int) -> tuple[int, int]:
    """Extend the common K-gram at a[apos], b[bpos] left and right as far as the texts agree."""
    left = 0
    while apos - left > 0 and bpos - left > 0 and a[apos - left - 1] == b[bpos - left - 1]:
        left += 1
    lo, hi = K, min(len(a) - apos, len(b) - bpos)
    while lo < hi:  # binary search on slice equality: the common prefix length
        mid = (lo + hi + 1) // 2
        if a[apos : apos + mid] == b[bpos : bpos + mid]:
            lo = mid
        else:
            hi = mid - 1
    return apos - left, apos + lo


def _merge(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Distinct runs, without those lying inside a longer one."""
    out: list[tuple[int, int]] = []
    reach = -1
    for start, end in sorted(set(runs), key=lambda r: (r[0], -r[1])):
        if end > reach:
            out.append((start, end))
            reach = end
    return out


def find_leaks(
    text: str,
    samples,
    facts_text: str,
    facts_index: FigureIndex | None,
    names: list[re.Pattern],
    options: FigureOptions,
    min_specific: int = 12,
    min_verbatim: int = 30,
    stock: tuple[str, ...] | list[str] = (),
) -> list[Hit]:
    """`stock`: standard formulations every report writes; a run is judged on what remains without them."""
    if not samples:
        return []
    index = sample_index(samples)
    hits = []
    for start, end in common_runs(text, index, min(min_specific, min_verbatim)):
        run = text[start:end]
        own = _without_stock(run, stock)
        if sum("\u4e00" <= ch <= "\u9fff" for ch in own) < min(min_specific, min_verbatim) // 2:
            continue  # punctuation, numbers, Latin text or standard formulations, not the sample's prose
        owners = [n for n, t in zip(index.names, index.texts, strict=True) if run in t]
        if len(owners) != 1:
            continue  # shared by several samples: the genre's common wording
        specific = _specific(run, facts_text, facts_index, names, options)
        if specific:
            message = f"照抄了范文 {owners[0]} 的原文，并带有范文自己的具体信息“{specific}”（事实中没有）。"
            suggestion = "删去这句，或改写为事实文件中的内容。"
            hits.append(Hit("sample-leak", "error", start, end, message, suggestion))
        elif len(own) >= min_verbatim:
            message = f"与范文 {owners[0]} 连续 {len(run)} 字相同，属于照抄原文。"
            hits.append(Hit("sample-leak", "warning", start, end, message, "用自己的话改写这段。"))
    return hits


def _without_stock(run: str, stock) -> str:
    for phrase in stock:
        if phrase in run:
            run = run.replace(phrase, "")
    return run


def _specific(run: str, facts_text: str, facts_index, names, options) -> str:
    for fig in extract_figures(run, options):
        if facts_index is None or not facts_index.grounds(fig):
            return fig.text
    m = _BLANK_MARK.search(run)
    if m:
        return run[max(0, m.start() - 4) : m.end() + 4]
    for pattern in names:
        for m in pattern.finditer(run):
            if m.group() not in facts_text:
                return m.group()
    return ""
