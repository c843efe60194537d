"""Rewriting parts of a .docx in place, so the report can live in Word/WPS after the first export.

    edit = open_docx_edit("报告.docx")        # refuses a locked, read-only or unmappable file
    text = edit.text                          # the draft text read from it (front matter embedded)
    ... regenerate parts of `text` as for a .md draft ...
    backup = edit.save(new_text, track=True)  # only the changed parts' paragraphs are touched

The paragraphs of a part that changed are marked deleted and the new ones inserted before them as
tracked changes authored "draftbot" (w:del / w:ins with a date), so the user accepts or rejects
them in Word/WPS; with track=False they are replaced plainly (comments on them move to the new
text). Every other paragraph, comment and tracked change stays as the file had it; the original
is kept as .bak. python-docx has no API for tracked changes, so they are built with its public
oxml element API (OxmlElement, qn).
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from draftbot.docx_reader import (
    CLOSING_BOOKMARK,
    Embedded,
    open_document,
    paragraph_hash,
    paragraph_pairs,
    paragraph_text,
    read_embedded,
)
from draftbot.draft import CLOSING, OPENING, Draft, docx_markdown, parse_draft
from draftbot.draftedit import PartKey, part_at_line, part_body, part_keys, part_label
from draftbot.errors import InputError

AUTHOR = "draftbot"
_RUN_CONTAINERS = ("hyperlink", "smartTag", "fldSimple")


# -- refusing what cannot be edited safely --------------------------------------------------------


def lock_files(path: Path) -> list[Path]:
    """Owner files Word/WPS (~$name, with the first two characters replaced for long names) and
    LibreOffice (.~lock.name#) keep beside a document while it is open."""
    name = path.name
    candidates = [f"~${name}", f"~${name[2:]}", f"~${name[1:]}", f".~lock.{name}#"]
    return [path.with_name(c) for c in dict.fromkeys(candidates) if path.with_name(c).exists()]


def check_editable(path: Path) -> None:
    """Refuse before any work a .docx that is open in Word/WPS/LibreOffice or read-only."""
    if not path.exists():
        return  # the reader reports the missing file
    locks = lock_files(path)
    if locks:
        raise InputError(
            f"Word 文件“{path}”正在被 Word/WPS 或 LibreOffice 打开（旁边有锁定文件“{locks[0].name}”），"
            "为免覆盖您未保存的修改，没有改动它。",
            hint="请先在 Word/WPS 中保存并关闭这个文件再运行；若程序已经关闭，删除该锁定文件即可。",
        )
    mode = path.stat().st_mode
    if not mode & stat.S_IWUSR:
        raise InputError(
            f"Word 文件“{path}”是只读的，没有改动它。",
            hint="请去掉文件的“只读”属性（或复制一份可以修改的文件）再运行。",
        )


# -- reading: paragraphs per part -------------------------------------------------------------------


@dataclass
class DocxEdit:
    """A .docx opened for rewriting some of its parts."""

    path: Path
    document: Any
    embedded: Embedded
    text: str
    draft: Draft
    parts: dict = field(default_factory=dict)  # part key -> its body paragraph elements (w:p)
    heads: dict = field(default_factory=dict)  # part key -> the heading paragraph it follows
    title: Any = None  # the title paragraph, if any
    last: Any = None  # the last paragraph read

    def part_texts(self) -> dict:
        return {key: [paragraph_text(p) for p in self.parts.get(key, [])] for key in part_keys(self.draft)}

    def save(self, new_text: str, *, track: bool = True, keys: list | None = None) -> Path | None:
        """Put the parts that differ between `self.text` and `new_text` into the file (tracked
        unless `track` is off), store the new front matter, keep the old file as .bak.
        Returns the backup, or None when nothing changed (the file is not touched)."""
        from draftbot.textio import write_bytes_safely

        new = parse_draft(new_text, self.path)
        changed = [k for k in (keys or part_keys(self.draft)) if _body(self.draft, k) != _body(new, k)]
        if not changed and new.meta == self.draft.meta:
            return None
        revisions = _Revisions(self.document)
        for key in changed:
            self._replace(key, [line.strip() for line in part_body(new, key).split("\n") if line.strip()],
                          track, revisions)  # fmt: skip
        if self.embedded.state == "ok" or new.meta:
            _store_embedded(self.document, new.meta, list(self.embedded.sections))
        import io

        buffer = io.BytesIO()
        self.document.save(buffer)
        return write_bytes_safely(self.path, buffer.getvalue(), force=True, what="Word 文件", precious=True)

    # -- one part -------------------------------------------------------------------------------

    def _replace(self, key: PartKey, lines: list[str], track: bool, revisions: _Revisions) -> None:
        old = self.parts.get(key, [])
        templates = _Templates([*old, *self._all_paragraphs()])
        new = [_new_paragraph(line, templates, revisions if track else None) for line in lines]
        anchor = old[0] if old else None
        if anchor is not None:
            for p in new:
                anchor.addprevious(p)
        else:
            after = self._insert_point(key)
            for p in reversed(new):
                if after is None:
                    self.document.element.body.insert(0, p)
                else:
                    after.addnext(p)
        _move_bookmark(old, new)
        for p in old:
            if track:
                following = p.getnext()
                last = following is None or following.tag == qn("w:sectPr")
                _delete_tracked(p, revisions, keep_mark=p is old[-1] and last)
            else:
                _move_comment_marks(p, new[0] if new else None)
                p.getparent().remove(p)
        self.parts[key] = new

    def _insert_point(self, key: PartKey) -> Any:
        if key == OPENING:
            return self.title
        if key == CLOSING:
            return self.last
        head = self.heads.get(key)
        if head is None:
            raise InputError(f"在 Word 文件中找不到“{part_label(self.draft, key)}”的位置，未改动文件。")
        return head

    def _all_paragraphs(self) -> list:
        return [p for ps in self.parts.values() for p in ps]


def _body(draft: Draft, key: PartKey) -> str:
    return "\n".join(line.strip() for line in part_body(draft, key).split("\n") if line.strip())


def open_docx_edit(path: str | Path, *, mappable_without_embed: bool = False) -> DocxEdit:
    """Open a .docx for rewriting. A file whose embedded draftbot part is damaged is refused unless
    the caller has the facts and plan from elsewhere (`mappable_without_embed`)."""
    path = Path(path)
    check_editable(path)
    document = open_document(path)
    embedded = read_embedded(document)
    if embedded.state == "damaged" and not mappable_without_embed:
        raise InputError(
            f"Word 文件“{path}”中 draftbot 保存的草稿信息已损坏（{embedded.problem}），"
            "无法确定它的事实文件和提纲；文件未改动。",
            hint="用 --facts 要点.md --plan 提纲名 指定后再运行，部分按标题对应到提纲。",
        )
    return _map(path, document, embedded)


def read_docx_edit(path: str | Path) -> DocxEdit:
    """The same reading without the checks for writing (for import, which only reads)."""
    path = Path(path)
    document = open_document(path)
    return _map(path, document, read_embedded(document))


def _map(path: Path, document: Any, embedded: Embedded) -> DocxEdit:
    pairs = [(p, info) for p, info in paragraph_pairs(document) if info.text]
    if not pairs:
        raise InputError(f"Word 文件“{path}”中没有文字。")
    meta = embedded.meta if embedded.state == "ok" else {}
    text, where = docx_markdown([info for _, info in pairs], meta)
    draft = parse_draft(text, path)
    edit = DocxEdit(path, document, embedded, text, draft, last=pairs[-1][0])
    heading_lines = {s.line: index for index, s in enumerate(draft.sections, 1)}
    title_line = where[0] if text.split("\n")[where[0] - 1].startswith("# ") else None
    for (p, _), line in zip(pairs, where, strict=True):
        if line in heading_lines:
            edit.heads[heading_lines[line]] = p
            continue
        if line == title_line:
            edit.title = p
            continue
        key = part_at_line(text, line, draft)
        if key is not None and _in_body(p, document):
            edit.parts.setdefault(key, []).append(p)
    return edit


def _in_body(p: Any, document: Any) -> bool:
    """Only top-level paragraphs are rewritten (not those in table cells)."""
    return p.getparent() is document.element.body


def check_mapping(edit: DocxEdit, keys: list, plan: Any) -> None:
    """A .docx draftbot did not write (or whose embedded part is unusable) is mapped to the plan by
    its headings, as check does; refuse when a chosen part has no plan section or shares one."""
    from draftbot.rewrite import plan_part

    if edit.embedded.state == "ok":
        return
    draft = edit.draft
    if not draft.sections:
        raise InputError(
            f"在 Word 文件“{edit.path}”中没有找到“一、……”这样的部分标题，无法对应到提纲“{plan.name}”；文件未改动。",
            hint="请在 Word 中给各部分加上“一、”“二、”编号的标题，或用 draftbot check 查看文件的结构。",
        )
    mapped = {i: plan_part(draft, i, plan) for i in range(1, len(draft.sections) + 1)}
    owners: dict[str, list[int]] = {}
    for i, planned in mapped.items():
        if planned is not None:
            owners.setdefault(planned.id, []).append(i)
    for key in keys:
        if not isinstance(key, int):
            continue
        planned = mapped.get(key)
        if planned is None or len(owners[planned.id]) > 1:
            found = "；".join(
                f"{s.full_heading} → {mapped[i].heading if mapped[i] else '提纲中没有对应部分'}"
                for i, s in enumerate(draft.sections, 1)
            )
            what = "提纲中没有对应的部分" if planned is None else "与其他部分对应到提纲的同一部分"
            raise InputError(
                f"“{part_label(draft, key)}”{what}，无法确定按提纲“{plan.name}”的哪一部分重写；文件未改动。"
                f"文件中找到的部分：{found}",
                hint="用 --section 选能对应的部分，或用 --plan 指定与文件结构相符的提纲。",
            )


# -- what changed since export (for `draftbot import`) -------------------------------------------


def change_summary(edit: DocxEdit) -> list[str]:
    """One line per part that differs from the export (from the section map's fingerprints)."""
    if edit.embedded.state != "ok" or not edit.embedded.sections:
        return []
    current = {key: [paragraph_hash(t) for t in texts] for key, texts in edit.part_texts().items()}
    labels = {key: part_label(edit.draft, key) for key in part_keys(edit.draft)}
    out = []
    seen = set()
    for entry in edit.embedded.sections:
        key = entry.get("key")
        key = int(key) if isinstance(key, int) or str(key).isdigit() else key
        seen.add(key)
        before = list(entry.get("paragraphs") or [])
        label = entry.get("label") or str(key)
        if key not in current:
            out.append(f"{label}：已删除（导出时 {len(before)} 段）")
            continue
        line = _diff_line(before, current[key])
        if labels.get(key) and labels[key] != label:
            line = f"标题改为“{labels[key]}”" + (f"，{line}" if line else "")
        if line:
            out.append(f"{label}：{line}")
    for key in current:
        if key not in seen and current[key]:
            out.append(f"{labels[key]}：新增的部分（{len(current[key])} 段）")
    return out


def _diff_line(before: list[str], after: list[str]) -> str:
    changed = added = removed = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "replace":
            common = min(i2 - i1, j2 - j1)
            changed += common
            added += (j2 - j1) - common
            removed += (i2 - i1) - common
        elif op == "insert":
            added += j2 - j1
        elif op == "delete":
            removed += i2 - i1
    bits = [f"{label} {n} 段" for label, n in (("改动", changed), ("新增", added), ("删除", removed)) if n]
    return "，".join(bits)


# -- building the XML ----------------------------------------------------------------------------


class _Revisions:
    """Ids and the date of the tracked changes draftbot adds to one document."""

    def __init__(self, document: Any):
        ids = [int(v) for el in document.element.iter() if (v := el.get(qn("w:id"))) and v.lstrip("-").isdigit()]
        self.next_id = max(ids, default=0) + 1
        self.date = dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")

    def mark(self, tag: str) -> Any:
        element = OxmlElement(tag)
        element.set(qn("w:id"), str(self.next_id))
        element.set(qn("w:author"), AUTHOR)
        element.set(qn("w:date"), self.date)
        self.next_id += 1
        return element


class _Templates:
    """Paragraph and run formatting to copy for new paragraphs, by their kind (body, heading2 …),
    taken from the part's own paragraphs first, then from the rest of the document."""

    def __init__(self, paragraphs: list):
        from draftbot.export.layout import classify

        self.ppr: dict[str, Any] = {}
        self.rpr: dict[str, Any] = {}
        for p in paragraphs:
            block = classify(paragraph_text(p), "section", None)
            runs = [r for r in p.iter(qn("w:r")) if r.find(qn("w:t")) is not None]
            self.ppr.setdefault(block.kind, p.find(qn("w:pPr")))
            if not runs:
                continue
            if block.lead and len(runs) > 1:
                self.rpr.setdefault(f"heading{block.lead_level}", runs[0].find(qn("w:rPr")))
                self.rpr.setdefault("body", runs[1].find(qn("w:rPr")))
            else:
                self.rpr.setdefault(block.kind, runs[0].find(qn("w:rPr")))

    def paragraph(self, kind: str) -> Any:
        return self.ppr.get(kind, self.ppr.get("body"))

    def run(self, kind: str) -> Any:
        return self.rpr.get(kind, self.rpr.get("body"))


def _clean_copy(element: Any, drop: tuple[str, ...]) -> Any:
    if element is None:
        return None
    element = copy.deepcopy(element)
    for name in drop:
        for child in element.findall(f".//{qn(name)}"):
            child.getparent().remove(child)
    return element


def _new_paragraph(text: str, templates: _Templates, revisions: _Revisions | None) -> Any:
    from draftbot.export.layout import classify

    block = classify(text, "section", None)
    p = OxmlElement("w:p")
    ppr = _clean_copy(templates.paragraph(block.kind), ("w:ins", "w:del", "w:pPrChange", "w:sectPr", "w:rPrChange"))
    if ppr is not None:
        p.append(ppr)
    if revisions is not None:
        ppr = ppr if ppr is not None else p.get_or_add_pPr()
        _paragraph_mark(ppr).insert(0, revisions.mark("w:ins"))
    pieces = [(text[: block.lead], f"heading{block.lead_level}"), (text[block.lead :], "body")] if block.lead else [
        (text, block.kind)
    ]
    holder = revisions.mark("w:ins") if revisions is not None else p
    for piece, kind in pieces:
        if not piece:
            continue
        run = OxmlElement("w:r")
        rpr = _clean_copy(templates.run(kind), ("w:ins", "w:del", "w:rPrChange"))
        if rpr is not None:
            run.append(rpr)
        t = OxmlElement("w:t")
        t.text = piece
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.append(t)
        holder.append(run)
    if holder is not p:
        p.append(holder)
    return p


def _paragraph_mark(ppr: Any) -> Any:
    """The w:rPr of a paragraph's mark (where its insertion or deletion is recorded)."""
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        later = [ppr.find(qn(name)) for name in ("w:sectPr", "w:pPrChange")]
        later = [el for el in later if el is not None]
        if later:
            later[0].addprevious(rpr)
        else:
            ppr.append(rpr)
    return rpr


def _delete_tracked(p: Any, revisions: _Revisions, *, keep_mark: bool = False) -> None:
    """Mark every run of `p` (and its paragraph mark) as deleted by draftbot."""
    for run in [r for r in p.iter(qn("w:r"))]:
        if _inside(run, p, "del"):
            continue  # already deleted (by the user)
        if run.find(qn("w:t")) is None and run.find(qn("w:instrText")) is None and run.find(qn("w:tab")) is None:
            continue  # comment references, field marks, drawings: left as they are
        for t in run.findall(qn("w:t")):
            t.tag = qn("w:delText")
        for t in run.findall(qn("w:instrText")):
            t.tag = qn("w:delInstrText")
        mark = revisions.mark("w:del")
        run.addprevious(mark)
        mark.append(run)
    if not keep_mark:
        _paragraph_mark(p.get_or_add_pPr()).insert(0, revisions.mark("w:del"))


def _inside(element: Any, stop: Any, local: str) -> bool:
    node = element.getparent()
    while node is not None and node is not stop:
        if node.tag == qn(f"w:{local}"):
            return True
        node = node.getparent()
    return False


def _move_bookmark(old: list, new: list) -> None:
    """The closing bookmark goes with the closing's first paragraph (the reader looks for it)."""
    if not new:
        return
    for p in old:
        for start in [*p.iter(qn("w:bookmarkStart")), *_previous_bookmark(p)]:
            if start.get(qn("w:name")) != CLOSING_BOOKMARK:
                continue
            bid = start.get(qn("w:id"))
            ends = [e for e in p.getparent().iter(qn("w:bookmarkEnd")) if e.get(qn("w:id")) == bid]
            _at_start(new[0], start)
            for end in ends[:1]:
                new[0].append(end)
            return


def _at_start(p: Any, element: Any) -> None:
    """Put `element` first in paragraph `p`, after its properties."""
    ppr = p.find(qn("w:pPr"))
    if ppr is not None:
        ppr.addnext(element)
    else:
        p.insert(0, element)


def _previous_bookmark(p: Any) -> list:
    previous = p.getprevious()
    return [previous] if previous is not None and previous.tag == qn("w:bookmarkStart") else []


def _move_comment_marks(p: Any, target: Any) -> None:
    """Comment ranges and references of a paragraph being removed go to `target` (the new text)."""
    if target is None:
        return
    for start in list(p.iter(qn("w:commentRangeStart"))):
        _at_start(target, start)
    for end in list(p.iter(qn("w:commentRangeEnd"))):
        target.append(end)
    for ref in list(p.iter(qn("w:commentReference"))):
        run = ref.getparent()
        target.append(run)


def _store_embedded(document: Any, meta: dict, sections: list) -> None:
    from draftbot.export.docx_writer import embed_report

    embed_report(document, meta, sections)
