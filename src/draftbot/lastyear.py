"""Last year's report against this year's (`--last-year FILE` on write, check and export).

    recycled sentences   near-identical to a sentence of last year's report: a warning; an error
                         when the sentence carries last year's figures or year as this year's
    promises kept        the items of last year's 下一步/打算 section, each matched to this year's
                         facts and draft: 兑现 / 部分 / 未提及
    repeated figures     a figure equal to last year's where this year's facts give a new value
                         of the same kind in the same context

Matching is by character bigrams of the Chinese text (with the genre's common words left out), not
by word segmentation: the items are short, and jieba would add a dependency and ~2 s of start-up
for a handful of sentences.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from draftbot.checks.base import Hit
from draftbot.engines.base import Engine
from draftbot.errors import InputError
from draftbot.figures import Figure, FigureIndex, FigureOptions, extract_figures

KEPT, PARTLY, MISSING = "兑现", "部分", "未提及"
PLAN_HEADING_RE = re.compile(r"下一步|打算|明年|来年|工作安排|工作思路|工作计划|努力方向|今后")
ITEM_SPLIT_RE = re.compile(r"[。；;！!？?]|(?=[一二三四五六七八九十]是)|(?=[（(][一二三四五六七八九十\d]+[）)])")
SENTENCE_RE = re.compile(r"[^。！？；!?;]+[。！？；!?;]?")
# Words every report uses: they say nothing about which promise a bullet keeps.
COMMON = set(
    "工作 推进 推动 加强 持续 进一步 全面 不断 坚持 深入 扎实 积极 认真 切实 努力 重点 做好 抓好 落实 "
    "提升 提高 完善 健全 强化 深化 全力 力争 确保 围绕 聚焦 着力 今年 明年 全年 年度 我们 自己 同志 "
    "开展 实施 加快 建设 发展 服务 管理 工作的 方面 进行 继续 更加 以上 以及 一是 二是 三是 四是 五是".split()
)
RECYCLED_RATIO = 0.85
MIN_SENTENCE = 16


@dataclass
class LastYear:
    """Last year's report, read: its text, sentences, year and promise items."""

    path: Path
    text: str
    year: int | None
    sentences: list[tuple[int, str]]  # (paragraph number, sentence)
    promises: list[str]


@dataclass
class Promise:
    item: str
    status: str  # 兑现 / 部分 / 未提及
    fact: str = ""  # the facts bullet that shows it, "file:line：text"
    draft: str = ""  # the draft sentence that reports it


@dataclass
class Comparison:
    hits: list[Hit] = field(default_factory=list)
    promises: list[Promise] = field(default_factory=list)


# -- reading last year's report -------------------------------------------------------------------


def load_last_year(path: str | Path) -> LastYear:
    from draftbot.draft import load_draft

    path = Path(path)
    if path.suffix.lower() not in (".docx", ".md", ".txt"):
        raise InputError(f"去年的报告“{path}”应是 .docx、.md 或 .txt 文件。")
    if not path.exists():
        raise InputError(f"找不到去年的报告：{path}")
    draft = load_draft(path)
    paragraphs = [p for p in [draft.title, *draft.opening.split("\n")] if p.strip()]
    promises: list[str] = []
    for section in draft.sections:
        paragraphs.append(section.full_heading)
        paragraphs.extend(section.paragraphs())
        if PLAN_HEADING_RE.search(section.heading):
            promises.extend(promise_items(section.body))
    paragraphs.extend(p for p in draft.closing.split("\n") if p.strip())
    sentences = [(n, s.strip()) for n, p in enumerate(paragraphs, 1) for s in SENTENCE_RE.findall(p) if s.strip()]
    text = "\n".join(paragraphs)
    if not draft.sections:
        raise InputError(
            f"去年的报告“{path}”中没有找到“一、……”这样的部分标题，无法找出其中的“下一步打算”。",
            hint="请确认文件是去年的述职报告或工作总结（各部分以“一、”“二、”编号）。",
        )
    return LastYear(path, text, _year(draft, text), sentences, promises)


def _year(draft, text: str) -> int | None:
    period = str((draft.meta or {}).get("period") or "")
    for source in (period, draft.title, text[:400]):
        match = re.search(r"(20\d{2}|19\d{2})\s*年", source or "")
        if match:
            return int(match.group(1))
    return None


def promise_items(body: str) -> list[str]:
    """The items of a 下一步打算 section: its 一是/二是 clauses, numbered points and sentences."""
    from draftbot.docx_reader import CLOSING_START_RE

    items = []
    for paragraph in body.split("\n"):
        if CLOSING_START_RE.match(paragraph.strip()):
            break  # 以上述职…: the closing, not a plan
        for piece in ITEM_SPLIT_RE.split(paragraph):
            piece = re.sub(r"^[一二三四五六七八九十]是|^[（(][一二三四五六七八九十\d]+[）)]|^\d+[.、．]", "", piece.strip())
            piece = piece.strip(" ，,：:")
            if len(_terms(piece)) >= 3:
                items.append(piece)
    return items


def _terms(text: str) -> set[str]:
    """Chinese bigrams of the text, the genre's common words left out."""
    grams = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        for i in range(len(run) - 1):
            gram = run[i : i + 2]
            if gram not in COMMON:
                grams.add(gram)
    return grams


# -- comparing ---------------------------------------------------------------------------------


def compare(text: str, last: LastYear, *, facts=None, period: int | None = None, skip: str = "",
            options: FigureOptions | None = None) -> Comparison:  # fmt: skip
    """Check the draft `text` (as the checker reads it) against last year's report. `skip` is text
    whose sentences are standard (the plan's own wording) and never count as recycled."""
    from draftbot.figures import default_options

    options = options or default_options()
    facts_index = FigureIndex(extract_figures(_facts_text(facts), options)) if facts is not None else None
    result = Comparison()
    result.hits += _recycled(text, last, facts_index, period, skip, options)
    result.hits += _repeated_figures(text, last, facts, facts_index, options, [(h.start, h.end) for h in result.hits])
    result.promises = [_promise(item, facts, text) for item in last.promises]
    return result


def _facts_text(facts) -> str:
    return "\n".join(f.text for f in facts.all_facts()) if facts is not None else ""


def _draft_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) of the body (front matter, markers and headings left out)."""
    from draftbot.evidence import FRONT_MATTER_RE

    start = FRONT_MATTER_RE.match(text)
    offset = start.end() if start else 0
    out = []
    for line in text[offset:].split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith(("<!--", "#")):
            for m in SENTENCE_RE.finditer(line):
                if m.group(0).strip():
                    out.append((offset + m.start(), m.group(0)))
        offset += len(line) + 1
    return out


def _recycled(text: str, last: LastYear, facts_index, period, skip: str, options) -> list[Hit]:
    standard = {s.strip() for s in SENTENCE_RE.findall(skip)}
    by_gram: dict[str, set[int]] = {}
    for index, (_, sentence) in enumerate(last.sentences):
        for gram in _terms(sentence):
            by_gram.setdefault(gram, set()).add(index)
    hits = []
    for at, sentence in _draft_sentences(text):
        core = sentence.strip()
        if len(core) < MIN_SENTENCE or core in standard:
            continue
        grams = _terms(core)
        counts: dict[int, int] = {}
        for gram in grams:
            for index in by_gram.get(gram, ()):
                counts[index] = counts.get(index, 0) + 1
        best, ratio = None, 0.0
        for index, shared in sorted(counts.items(), key=lambda kv: -kv[1])[:5]:
            if shared < 0.6 * len(grams):
                break
            r = difflib.SequenceMatcher(None, core, last.sentences[index][1], autojunk=False).ratio()
            if r > ratio:
                best, ratio = index, r
        if best is None or ratio < RECYCLED_RATIO:
            continue
        paragraph, old = last.sentences[best]
        stale = _stale_figures(core, old, facts_index, period, last.year, options)
        start = at + (len(sentence) - len(sentence.lstrip()))
        where = f"与去年报告第 {paragraph} 段的句子几乎相同（{round(ratio * 100)}%）"
        if stale:
            message = f"{where}，且带有去年的{'、'.join(f'“{s}”' for s in stale)}，当作今年的写了。"
            hits.append(Hit("last-year-recycled", "error", start, start + len(core), message,
                            "按今年的事实重写这句，换成今年的数字和时间。"))  # fmt: skip
        else:
            hits.append(Hit("last-year-recycled", "warning", start, start + len(core), f"{where}。",
                            "照搬去年的句子容易被看出来，建议结合今年的工作重写。"))  # fmt: skip
    return hits


def _stale_figures(sentence: str, old: str, facts_index, period, last_year, options) -> list[str]:
    """Figures this sentence shares with last year's that this year's facts do not give, and last
    year's year written as the current one."""
    old_keys = {f.key for f in extract_figures(old, options)}
    stale = []
    for figure in extract_figures(sentence, options):
        if figure.key not in old_keys:
            continue
        if figure.dim == "year":
            if last_year and int(figure.base) == last_year and (period is None or period > last_year):
                stale.append(figure.text)
            continue
        if facts_index is None or not facts_index.grounds(figure):
            stale.append(figure.text)
    return stale


def _repeated_figures(text: str, last: LastYear, facts, facts_index, options, taken) -> list[Hit]:
    """A draft figure equal to one of last year's, not in this year's facts, where a facts bullet of
    the same context gives another value of the same kind."""
    if facts is None:
        return []
    last_keys = {f.key for f in extract_figures(last.text, options) if f.dim not in ("year", "number")}
    bullets = [(fact, extract_figures(fact.text, options)) for fact in facts.all_facts()]
    label = Path(facts.source).name if getattr(facts, "source", None) else "事实要点"
    hits = []
    for at, sentence in _draft_sentences(text):
        for figure in extract_figures(sentence, options):
            span = (at + figure.start, at + figure.end)
            inside = any(start <= span[0] < end for start, end in taken)  # said by last-year-recycled
            if figure.key not in last_keys or facts_index.grounds(figure) or inside:
                continue
            newer = _newer_value(figure, sentence, bullets)
            if newer is None:
                continue
            fact, value = newer
            message = (f"“{figure.text}”与去年报告中的数字相同，而今年的事实中同类数字是“{value.text}”"
                       f"（{label}:{fact.line}：{fact.text}）。")  # fmt: skip
            hits.append(Hit("last-year-figure", "error", *span, message, f"改为今年的“{value.text}”，或核对事实。"))
    return hits


def _newer_value(figure: Figure, sentence: str, bullets) -> tuple | None:
    context = _terms(sentence)
    best, score = None, 0
    for fact, figures in bullets:
        same_kind = [f for f in figures if f.dim == figure.dim and f.key != figure.key]
        if not same_kind:
            continue
        shared = len(context & _terms(fact.text))
        if shared > score:
            best, score = (fact, same_kind[0]), shared
    return best if score >= 3 else None


def _promise(item: str, facts, text: str) -> Promise:
    terms = _terms(item)
    fact_line, fact_score = "", 0.0
    if facts is not None:
        label = Path(facts.source).name if getattr(facts, "source", None) else "事实要点"
        for fact in facts.all_facts():
            score = len(terms & _terms(fact.text)) / len(terms)
            if score > fact_score:
                fact_line, fact_score = f"{label}:{fact.line}：{fact.text}", score
    draft_line, draft_score = "", 0.0
    for _, sentence in _draft_sentences(text):
        score = len(terms & _terms(sentence)) / len(terms)
        if score > draft_score:
            draft_line, draft_score = sentence.strip(), score
    if fact_score >= 0.5 or (fact_score >= 0.35 and draft_score >= 0.5):
        status = KEPT
    elif max(fact_score, draft_score) >= 0.25:
        status = PARTLY
    else:
        status = MISSING
    return Promise(item, status, fact_line if fact_score >= 0.25 else "", draft_line if draft_score >= 0.25 else "")


def kept_promises(last: LastYear, facts) -> list[tuple[str, object]]:
    """(item, facts bullet) for each of last year's plans the facts show as done (for write's prompt)."""
    out = []
    for item in last.promises:
        terms = _terms(item)
        best, score = None, 0.0
        for fact in facts.all_facts():
            s = len(terms & _terms(fact.text)) / len(terms)
            if s > score:
                best, score = fact, s
        if best is not None and score >= 0.5:
            out.append((item, best))
    return out


def promise_counts(promises: list[Promise]) -> dict[str, int]:
    return {status: sum(1 for p in promises if p.status == status) for status in (KEPT, PARTLY, MISSING)}


def plan_wording(plan) -> str:
    """The plan's own sentences (standard wording every year's draft may share)."""
    if plan is None:
        return ""
    parts = []
    for section in [plan.opening, *plan.sections, plan.closing]:
        parts += [section.opening, section.closing, section.guidance, *section.required, *section.default_points]
    return "。".join(p for p in parts if p)


def promise_lines(promises: list[Promise]) -> list[str]:
    """The promises kept table as text lines (for `check`)."""
    if not promises:
        return ["去年报告的“下一步打算”中没有找到具体事项。"]
    counts = promise_counts(promises)
    lines = [f"去年打算落实情况：兑现 {counts[KEPT]}，部分 {counts[PARTLY]}，未提及 {counts[MISSING]}"]
    for n, p in enumerate(promises, 1):
        lines.append(f"  {n}. 【{p.status}】{p.item}")
        if p.fact:
            lines.append(f"     事实：{p.fact}")
        if p.draft and p.status != MISSING:
            lines.append(f"     草稿：{p.draft}")
    return lines


def promise_table(path: str | Path, promises: list[Promise], number: str = "一、"):
    """The 去年打算落实情况 table of the reviewer's companion file (export --last-year)."""
    from draftbot.export.tables import Table

    rows = [[str(n), p.item, p.status, p.fact or "—", p.draft or "—"] for n, p in enumerate(promises, 1)]
    counts = promise_counts(promises)
    note = (f"去年报告（{Path(path).name}）“下一步打算”中的事项，逐条对照今年的事实要点和草稿："
            f"兑现 {counts[KEPT]}，部分 {counts[PARTLY]}，未提及 {counts[MISSING]}。")  # fmt: skip
    return Table(f"{number}去年打算落实情况", note, ["序号", "去年的打算", "落实", "今年的事实（文件:行：要点）", "草稿中的相应句子"],
                 rows, [12, 75, 16, 80, 75])  # fmt: skip


# -- write: tell the model which of last year's plans the facts show as done -------------------------

DONE_HEADING = "去年“下一步打算”中、事实显示已经完成的事项（请在本部分写明落实情况，数字以今年的事实为准）"


def done_plan_groups(last: LastYear, facts, plan) -> dict:
    """plan section id -> a facts group listing the kept plans, for the section whose facts show them."""
    from draftbot.facts import Fact, FactGroup
    from draftbot.plans import route_facts

    routing = route_facts(facts, plan)
    owner: dict[int, str] = {}
    for section in [plan.opening, *plan.sections, plan.closing]:
        for group in routing.groups(section.id):
            for fact in group.all_facts():
                owner.setdefault(id(fact), section.id)
    groups: dict = {}
    for item, fact in kept_promises(last, facts):
        section_id = owner.get(id(fact))
        if section_id is None:
            continue
        group = groups.setdefault(section_id, FactGroup(DONE_HEADING, 0))
        group.facts.append(Fact(f"去年的打算“{item}”——今年已完成：{fact.text}", fact.line))
    return groups


class LastYearEngine(Engine):
    """Wraps an engine: each section's request also lists the plans of last year its facts show done.
    The offline engine writes from the facts alone and is not wrapped (it has no prompt)."""

    def __init__(self, inner: Engine, groups: dict):
        self.inner = inner
        self.groups = groups
        self.name = inner.name

    def describe(self) -> dict:
        return self.inner.describe()

    def write_section(self, request):
        return self.write_all([request]).sections[0]

    def write_all(self, requests, on_event=None):
        for request in requests:
            extra = self.groups.get(request.section.id)
            if extra is not None and not request.rewrite:
                request.facts = [*request.facts, extra]
        return self.inner.write_all(requests, on_event)
