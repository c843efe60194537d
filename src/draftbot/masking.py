"""Confidential mode: names of people, units, places and companies become stable placeholders.

A `NameTable` is built before anything leaves the machine, from, in this order:

1. the facts' front matter (`author` -> 人名, `unit` -> 单位 and its short forms, the units and
   places inside `position`);
2. a user list file (one name a line, optionally followed by its type);
3. the names that names.py finds (rules, then jieba's tagger) in every text of the user's that
   will be sent: the facts, the user's own samples, a hint, a plan file.

Matching works on a normal form of both sides (normal_form): zero-width and other format
characters dropped, spaces next to Chinese characters dropped, full-width letters and digits
folded, traditional characters read as simplified (OpenCC), so 王 建华, 王建華 and 王\u200b建华 are
all 王建华. `prepare()` is the last gate before a request is sent: it looks for names in every
line of the request that is not the program's own anonymised text (built-in samples, templates),
adds what it finds, masks, and then scans the result for any known name in any variant; what
it finds there is reported with its position, and the request is not sent. `restore()` puts the
names back into an answer and reports every placeholder that was altered (never guessed) or
that the section needed but the answer dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from draftbot import names as finder
from draftbot.errors import InputError

KINDS = finder.KINDS
KIND_ALIASES = {
    "人名": "人名", "人": "人名", "姓名": "人名", "person": "人名",
    "单位": "单位", "机构": "单位", "部门": "单位", "unit": "单位", "org": "单位",
    "地名": "地名", "地点": "地名", "地方": "地名", "place": "地名",
    "企业": "企业", "公司": "企业", "company": "企业",
}  # fmt: skip
META_KINDS = (("author", "人名"), ("unit", "单位"))
# forms of address after a given name alone (建华同志): masked with the person's full name known
GIVEN_TITLES = ("同志", "书记", "主任", "部长", "局长", "县长", "镇长", "市长", "区长", "乡长", "村长", "校长",
                "院长", "经理", "老师", "委员")  # fmt: skip
# what a unit's full name may end in beyond its short form (白沙镇人民政府 -> 白沙镇)
_UNIT_TAILS = re.compile(
    r"(?:人民政府|政府|党委|党工委|委员会|管委会|管理委员会|办事处|街道办事处|人大常委会|人大|政协|纪委|"
    r"股份有限公司|有限责任公司|有限公司|集团公司|集团|公司)$"
)
_PLACE_HEAD = re.compile(r"^(.{2,8}?(?:省|市|县|区|镇|乡|街道|村|开发区|园区))(?=.{2,})")
_PLACE_CORE = re.compile(r"^(.{2,6}?)(?:省|市|县|区|镇|乡|村|社区|街道)$")

PLACEHOLDER = re.compile(r"【(人名|单位|地名|企业)(\d+)】")
# anything that looks like a placeholder, however a model may have bent it: needs a bracket on
# at least one side, so that "企业11家" is not taken for one
_LOOSE = re.compile(
    r"[【\[［〔]\s*(?:人名|单位|地名|企业)\s*[0-9０-９一二三四五六七八九十]+\s*[】\]］〕]?"
    r"|(?:人名|单位|地名|企业)\s*[0-9０-９一二三四五六七八九十]+\s*[】\]］〕]"
)


@dataclass(frozen=True)
class Entry:
    """One masked text: `text` goes out as `placeholder + keep` (张局长 -> 【人名2】局长)."""

    text: str
    kind: str
    placeholder: str
    source: str
    keep: str = ""

    @property
    def masked(self) -> str:
        return self.placeholder + self.keep

    @property
    def value(self) -> str:
        """What the placeholder stands for."""
        return self.text[: len(self.text) - len(self.keep)]


@dataclass(frozen=True)
class MaskIssue:
    """A placeholder the answer altered (not restored) or dropped (the section needed it)."""

    kind: str  # "altered" | "dropped"
    token: str
    section: str = ""
    value: str = ""

    def message(self, names: bool = True) -> str:
        """In Chinese; `names=False` leaves out the name a placeholder stands for (for the audit log)."""
        where = f"{self.section}：" if self.section else ""
        if self.kind == "altered":
            return f"{where}模型改动了占位符“{self.token}”，无法确定对应的名称，未还原，请人工核对。"
        value = f"（{self.value}）" if names and self.value else ""
        return f"{where}本部分要点中的“{self.token}”{value}在回答中没有出现，请核对是否漏写。"


@dataclass(frozen=True)
class Leak:
    """A known name still in a request: where (message number, from 1; character offset)."""

    name: str
    message: int
    offset: int

    @property
    def where(self) -> str:
        return f"第 {self.message} 条消息第 {self.offset + 1} 字"


@dataclass
class NameTable:
    """Known names and their placeholders, stable for one report."""

    entries: list[Entry] = field(default_factory=list)
    _by_key: dict[str, Entry] = field(default_factory=dict)
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _pattern: re.Pattern[str] | None = None
    trusted: str = ""  # the program's own anonymised texts: lines found in it are not searched
    segmenter: bool = True  # jieba as the second net (names.py)
    _searched: set[str] = field(default_factory=set)

    # -- building --------------------------------------------------------------------------
    def add(self, text: str, kind: str, source: str, keep: str = "") -> Entry | None:
        text = text.strip()
        key = normal_text(text)
        if len(key) < 2 or len(text) == len(keep) or _LOOSE.search(text) or PLACEHOLDER.search(text):
            return None
        if key in self._by_key:
            return self._by_key[key]
        value = text[: len(text) - len(keep)]
        placeholder = self._by_value.get((kind, normal_text(value)))
        if placeholder is None:
            number = sum(1 for k, _ in self._by_value if k == kind) + 1
            placeholder = self._by_value[(kind, normal_text(value))] = f"【{kind}{number}】"
        entry = Entry(text, kind, placeholder, source, keep)
        self.entries.append(entry)
        self._by_key[key] = entry
        self._pattern = None
        return entry

    def add_found(self, text: str, source: str) -> int:
        """Add what names.py finds in `text` (and each name's other forms); how many were new."""
        before = len(self.entries)
        given = [e.text for e in self.entries if e.source in ("开头信息", "名单") and len(e.text) >= 3]
        for name, kind, keep in finder.find_names(text, self.segmenter):
            if any(g in name and not name.startswith(g) for g in given):
                continue  # 本人任 + 青溪经济开发区: the user's own name with words in front of it
            entry = self.add(name, kind, source, keep=keep)
            if entry is not None and entry.text == name and not keep:
                self.add_forms(entry, source)
        self.add_given_names(text, source)
        return len(self.entries) - before

    def add_forms(self, entry: Entry, source: str) -> None:
        """The other forms a unit or place appears in: 白沙镇 for 白沙镇人民政府, 青溪 for 青溪县."""
        for form, kind, keep in other_forms(entry.value, entry.kind):
            self.add(form, kind, source, keep=keep)

    def add_given_names(self, text: str, source: str) -> None:
        """A known person's given name with a form of address, where `text` has it (建华同志)."""
        norm = normal_text(text)
        for entry in [e for e in self.entries if e.kind == "人名" and not e.keep]:
            given = entry.value[len(finder.surname_of(entry.value)) :]
            if not finder.surname_of(entry.value) or len(given) != 2 or given not in norm:
                continue
            for title in GIVEN_TITLES:
                if given + title in norm:
                    self.add(given + title, "人名", source, keep=title)

    def trust(self, text: str) -> None:
        """Text that is the program's own and already anonymised (built-in samples, templates)."""
        self.trusted += "\n" + normal_text(text)

    @property
    def placeholders(self) -> dict[str, str]:
        """Placeholder -> the name it stands for (the first text given for it)."""
        out: dict[str, str] = {}
        for e in self.entries:
            out.setdefault(e.placeholder, e.value)
        return out

    def __len__(self) -> int:
        return len(self.entries)

    # -- outgoing --------------------------------------------------------------------------
    def _regex(self) -> re.Pattern[str] | None:
        if self._pattern is None and self.entries:
            keys = sorted(self._by_key, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(k) for k in keys))
        return self._pattern

    def mask(self, text: str) -> str:
        """Every known name in `text`, in any variant, replaced by its placeholder."""
        regex = self._regex()
        if regex is None or not text:
            return text
        norm, index = normal_form(text)
        norm = _blank_placeholders(norm)
        out: list[str] = []
        last = 0
        for match in regex.finditer(norm):
            start, end = index[match.start()], index[match.end() - 1] + 1
            out.append(text[last:start])
            out.append(self._by_key[match.group(0)].masked)
            last = end
        out.append(text[last:])
        return "".join(out)

    def mask_messages(self, messages: list[dict]) -> list[dict]:
        return [{**m, "content": self.mask(m.get("content") or "")} for m in messages]

    def search(self, text: str) -> int:
        """Look for names in the lines of `text` not searched before and not the program's own;
        add them. Returns how many names were new."""
        lines = []
        for line in text.split("\n"):
            if line in self._searched:
                continue
            self._searched.add(line)
            if not self._trusted_line(line):
                lines.append(line)
        return self.add_found("\n".join(lines), "发送前检查") if lines else 0

    def _trusted_line(self, line: str) -> bool:
        """Every clause of the line is the program's own text (a sample cut short, a sample's
        heading made of its front matter, a template line)."""
        clauses = _CLAUSE.split(normal_text(line))
        return all(self._trusted_clause(c.strip("#>-*·• ")) for c in clauses)

    def _trusted_clause(self, clause: str) -> bool:
        return len(clause) < 2 or not re.search(r"[\u4e00-\u9fff]", clause) or clause in self.trusted

    def prepare(self, messages: list[dict]) -> tuple[list[dict], list[Leak]]:
        """The last gate: the messages as they may be sent, and the known names still in them
        (nothing may be sent when there are any)."""
        for m in messages:
            self.search(m.get("content") or "")
        sent = self.mask_messages(messages)
        return sent, self.leaks(sent)

    def leaks(self, messages: list[dict]) -> list[Leak]:
        """Every known name, in any variant, outside the placeholders of `messages`."""
        found = []
        for number, m in enumerate(messages, start=1):
            norm, index = normal_form(m.get("content") or "")
            norm = _blank_placeholders(norm)
            for key in self._by_key:
                at = norm.find(key)
                if at >= 0:
                    found.append(Leak(self._by_key[key].text, number, index[at]))
        return found

    def leaked(self, text: str) -> list[str]:
        """Known names still present in `text` (placeholders themselves do not count)."""
        return list(dict.fromkeys(leak.name for leak in self.leaks([{"content": text}])))

    # -- incoming --------------------------------------------------------------------------
    def needed(self, text: str) -> list[str]:
        """Known placeholders that occur in `text`, in order, once each."""
        known = self.placeholders
        return list(dict.fromkeys(m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) in known))

    def restore(self, answer: str, needed: list[str] = (), section: str = "") -> tuple[str, list[MaskIssue]]:
        """Exact known placeholders back to their names; every other placeholder-like token is
        left as it is and reported, as is each needed placeholder the answer does not contain."""
        known = self.placeholders
        issues: list[MaskIssue] = []
        for match in _LOOSE.finditer(answer):
            token = match.group(0)
            if token not in known:
                issues.append(MaskIssue("altered", token, section))
        present = set(PLACEHOLDER.findall(answer))
        for token in needed:
            kind_number = PLACEHOLDER.fullmatch(token)
            if kind_number and kind_number.groups() not in present:
                issues.append(MaskIssue("dropped", token, section, known.get(token, "")))
        restored = PLACEHOLDER.sub(lambda m: known.get(m.group(0), m.group(0)), answer)
        return restored, issues

    def describe(self) -> list[str]:
        """One line per placeholder, for the user (local output only)."""
        seen: dict[str, list[str]] = {}
        for e in self.entries:
            seen.setdefault(e.placeholder, []).append(f"{e.text}（{e.source}）")
        return [f"{p} = {'、'.join(v)}" for p, v in seen.items()]


_CLAUSE = re.compile(r"[，。；：！？（）()“”\"'《》【】\[\],.;:!?\s]+")


# -- the normal form ---------------------------------------------------------------------------


def _blank_placeholders(norm: str) -> str:
    return PLACEHOLDER.sub(lambda m: "\x00" * len(m.group(0)), norm)


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


@cache
def _converter():
    """OpenCC's traditional-to-simplified converter (offline; its tables ship in the wheel)."""
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """`text` with traditional characters read as simplified, character for character."""
    if text.isascii():
        return text
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(c if len(c := _converter().convert(ch)) == 1 else ch for ch in text)


_normal_cache: dict[str, tuple[str, list[int]]] = {}


def normal_form(text: str) -> tuple[str, list[int]]:
    """(normal text, where each of its characters is in `text`): format characters (zero-width
    space, joiner, BOM …) and spaces next to a Chinese character dropped, full-width and other
    compatibility forms folded (NFKC, one character each), ASCII lower-cased, traditional
    characters as simplified."""
    hit = _normal_cache.get(text)
    if hit is not None:
        return hit
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            chars.append(ch.lower())
            index.append(i)
            continue
        if unicodedata.category(ch) == "Cf" or (ch.isspace() and _next_to_cjk(text, i)):
            continue
        folded = unicodedata.normalize("NFKC", ch)
        chars.append((folded if len(folded) == 1 else ch).lower())
        index.append(i)
    result = (simplified("".join(chars)), index)
    if len(_normal_cache) < 4096:
        _normal_cache[text] = result
    return result


def _next_to_cjk(text: str, i: int) -> bool:
    before = text[:i].rstrip()
    after = text[i + 1 :].lstrip()
    return bool(before and _is_cjk(before[-1])) or bool(after and _is_cjk(after[0]))


def normal_text(text: str) -> str:
    return normal_form(text)[0]


# -- sources -----------------------------------------------------------------------------------


def parse_name_list(text: str, label: str = "名单文件") -> list[tuple[str, str]]:
    """(name, kind) from a list: one name a line, optionally `名称 类型` / `名称,类型`; # comments."""
    out = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p for p in re.split(r"[\s,，、\t:：]+", line) if p]
        name, kind = parts[0], "单位"
        if len(parts) >= 2:
            kind = KIND_ALIASES.get(parts[-1].lower())
            if kind is None or len(parts) > 2:
                raise InputError(
                    f"{label}第 {number} 行“{line}”看不懂：每行写一个名称，可在后面加类型（{'、'.join(KINDS)}）。"
                )
        elif finder.person_shape(name) and not finder.suffix_kind(name):
            kind = "人名"
        else:
            kind = finder.suffix_kind(name) or "单位"
        if len(name) < 2:
            raise InputError(f"{label}第 {number} 行的名称“{name}”太短：至少两个字。")
        out.append((name, kind))
    return out


def other_forms(name: str, kind: str) -> list[tuple[str, str, str]]:
    """(form, kind, keep) for the shorter forms a name is written in: a person's given name with a
    form of address (建华同志); a unit's name without 人民政府/有限公司 …, and the place it starts
    with (青溪县发展和改革局 -> 青溪县); a place without 县/镇/村 (青溪县 -> 青溪)."""
    out: list[tuple[str, str, str]] = []
    if kind == "人名":
        return out  # given names: NameTable.add_given_names, where the text has them
    short = name
    while (cut := _UNIT_TAILS.sub("", short)) != short and len(cut) >= 2:
        short = cut
        out.append((short, kind if kind != "单位" or not finder.suffix_kind(short) else finder.suffix_kind(short), ""))
    if kind == "企业":
        core = _company_core(short)
        if core != short and len(core) >= 2:
            out.append((core, "企业", ""))
    head = _PLACE_HEAD.match(name)
    if head and kind != "人名":
        out.append((head.group(1), "地名", ""))
    for form in [name, short, head.group(1) if head else ""]:
        if re.search(r"(?:开发|高新|经开|园|景|片|小|矿|库|湖|山|城|新|辖|老|郊|市)区$", form or ""):
            continue  # 青溪经济开发区 is not a place called 青溪经济开发
        core = _PLACE_CORE.match(form or "")
        if core and len(core.group(1)) >= 2 and core.group(1) not in finder.PUBLIC and finder.rare_word(core.group(1)):
            out.append((core.group(1), "地名", ""))  # 青溪 for 青溪县, 北林 for 北林社区; not 人民 for 人民路
    return out


def _company_core(name: str) -> str:
    """恒泰新材 -> 恒泰: the name without the trade word it ends in."""
    for suffix, kind in finder.SUFFIXES:
        if kind == "企业" and name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def build_table(facts, name_list: Path | None = None, *, patterns: bool = True, texts=(),
                trusted=(), segmenter: bool = True) -> NameTable:
    """The table for one report: front matter, then the user's list, then what names.py finds in
    the facts and in `texts` (the user's own samples, a hint, a plan file). `trusted`: texts of
    the program's own that are already anonymised (not searched by the last gate)."""
    table = NameTable(segmenter=segmenter)
    for key, kind in META_KINDS:
        value = (facts.meta.get(key) or "").strip()
        if value:
            table.add_forms(table.add(value, kind, "开头信息") or Entry(value, kind, "", ""), "开头信息")
    if name_list is not None:
        from draftbot.textio import read_text

        label = f"名单文件“{name_list}”"
        for name, kind in parse_name_list(read_text(name_list, "名单文件"), label):
            entry = table.add(name, kind, "名单")
            if entry is not None:
                table.add_forms(entry, "名单")
    for text in trusted:
        table.trust(text)
    table.add_given_names("\n".join([*(f.text for f in facts.all_facts()), *texts]), "开头信息")
    if patterns:
        meta = [str(facts.meta.get(k) or "") for k in ("title", "position", "unit", "author")]
        table.add_found("\n".join([*meta, *(f.text for f in facts.all_facts())]), "识别")
        for fact in facts.all_facts():  # headings of the facts file are sent too
            table.add_found("\n".join(fact.path), "识别")
        for text in texts:
            if text:
                table.add_found(text, "识别")
    return table
