"""事实依据: for every figure of a draft, the sentence it is in and the facts bullet it comes from
(file, line, text), or 待核实 when the facts do not give it. The positive record a reviewer signs off;
`figure-ungrounded` findings are the same question asked the other way round.

    rows = figure_evidence(text, facts, period=2026)
    for row in rows: print(row.figure, row.status, row.sources)
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from draftbot.figures import Figure, FigureIndex, FigureOptions, extract_figures

SOURCED, PERIOD, UNSOURCED = "有依据", "报告期", "待核实"
SENTENCE_END = re.compile(r"[。！？；;!?]")
BLANK_CHARS = "*xX×"
DATE_LINE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
MD_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+)?")
FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n.*?\n---[ \t]*(?:\n|\Z)", re.S)


@dataclass(frozen=True)
class Source:
    """A facts bullet (or a front matter entry, line 0 … its own line) a figure comes from."""

    file: str
    line: int
    text: str


@dataclass
class FigureEvidence:
    figure: str
    line: int  # in the checked text (for a .docx: the paragraph number)
    column: int  # 1-based
    part: str  # 开头, 一、…, 结尾, 标题
    sentence: str
    status: str  # 有依据 / 报告期 / 待核实
    sources: list[Source] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def source_text(self) -> str:
        """The sources as a reviewer reads them: 文件:行：要点 (one per line)."""
        if self.status == PERIOD:
            return "报告年度及其前后一年（不需要依据）"
        if not self.sources:
            return UNSOURCED
        first = self.sources[0]
        more = f"\n（另有 {len(self.sources) - 1} 条要点含此数）" if len(self.sources) > 1 else ""
        return f"{first.file}:{first.line}：{first.text}{more}"


def _facts_label(facts) -> str:
    source = getattr(facts, "source", None)
    return Path(source).name if source else "事实要点"


class _FactsIndex:
    """One figure index per facts bullet (and per front matter entry), to name the source."""

    def __init__(self, facts, options: FigureOptions):
        label = _facts_label(facts)
        self.entries: list[tuple[Source, FigureIndex]] = []
        for key, value in (getattr(facts, "meta", None) or {}).items():
            figures = extract_figures(str(value), options)
            if figures:
                self.entries.append((Source(label, 0, f"开头信息 {key}: {value}"), FigureIndex(figures)))
        for fact in facts.all_facts():
            figures = extract_figures(fact.text, options)
            if figures:
                self.entries.append((Source(label, fact.line, fact.text), FigureIndex(figures)))

    def sources(self, figure: Figure, sentence: str = "") -> list[Source]:
        """The bullets that give the figure: the same kind of figure first, then the bullet that
        shares most wording with the sentence."""
        found = [(source, index) for source, index in self.entries if index.grounds(figure)]
        found.sort(key=lambda item: (figure.key not in item[1].keys, -_overlap(item[0].text, sentence)))
        return [source for source, _ in found]


def _overlap(a: str, b: str) -> int:
    return len({a[i : i + 2] for i in range(len(a) - 1)} & {b[i : i + 2] for i in range(len(b) - 1)})


def figure_evidence(text: str, facts, *, period: int | None = None, allowed_years=(),
                    options: FigureOptions | None = None, draft=None) -> list[FigureEvidence]:
    """Every figure of the draft text (front matter and markers left out), with its sources."""
    from draftbot.draft import parse_draft
    from draftbot.draftedit import part_at_line, part_label

    if options is None:
        from draftbot.figures import default_options

        options = default_options()
    draft = draft or parse_draft(text)
    index = _FactsIndex(facts, options) if facts is not None else None
    years = {float(y) for y in allowed_years}
    if period:
        years |= {float(period - 1), float(period), float(period + 1)}
    start = FRONT_MATTER_RE.match(text)
    first_line = text[: start.end()].count("\n") + 1 if start else 1
    rows: list[FigureEvidence] = []
    labels: dict = {}
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if number < first_line or not stripped or stripped.startswith("<!--") or DATE_LINE.match(stripped):
            continue  # a line that is only a date is the 成文日期
        key = part_at_line(text, number, draft)
        if key not in labels:
            labels[key] = part_label(draft, key) if key is not None else "标题"
        prefix = len(MD_PREFIX.match(line).group(0))
        for offset, sentence in _sentences(line[prefix:]):
            offset += prefix
            for figure in extract_figures(sentence, options):
                if _blank(sentence, figure):
                    continue
                sources = index.sources(figure, sentence) if index is not None else []
                status = SOURCED if sources else (PERIOD if _period_year(figure, years) else UNSOURCED)
                rows.append(FigureEvidence(figure.text, number, offset + figure.start + 1, labels[key],
                                           sentence.strip(), status, sources))  # fmt: skip
    return rows


def _sentences(line: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for match in SENTENCE_END.finditer(line):
        out.append((start, line[start : match.end()]))
        start = match.end()
    if start < len(line):
        out.append((start, line[start:]))
    return out


def _blank(sentence: str, figure: Figure) -> bool:
    """A figure next to a placeholder (the 20 of 20**年) is no figure to source."""
    before = sentence[figure.start - 1] if figure.start > 0 else ""
    after = sentence[figure.end] if figure.end < len(sentence) else ""
    return bool(before and before in BLANK_CHARS) or bool(after and after in BLANK_CHARS)


def _period_year(figure: Figure, years: set[float]) -> bool:
    if figure.dim == "year":
        return figure.base in years
    if figure.dim in ("yearmonth", "date"):
        divisor = 100 if figure.dim == "yearmonth" else 10000
        return float(int(figure.base) // divisor) in years
    return False


def evidence_counts(rows: list[FigureEvidence]) -> dict[str, int]:
    return {status: sum(1 for r in rows if r.status == status) for status in (SOURCED, PERIOD, UNSOURCED)}
