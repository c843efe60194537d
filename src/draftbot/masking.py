"""Confidential mode: names of people, units, places and companies become stable placeholders.

A `NameTable` is built before anything leaves the machine, from, in this order:

1. the facts' front matter (`author` -> 人名, `unit` -> 单位);
2. a user list file (one name a line, optionally followed by its type);
3. patterns over the facts: a surname with a title (王建华同志, 张局长) and unit or place
   names ending in 局/镇/村/公司/园区/学校/医院/委员会 … (plain patterns, no model).

`mask()` replaces every known name in outgoing text (facts, samples, plan alike) by its
placeholder (【人名1】, 【单位1】, 【地名1】, 【企业1】); `leaked()` scans a final request for any
known name; `restore()` puts the names back into an answer and reports every placeholder that
was altered (never guessed) or that the section needed but the answer dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from draftbot.errors import InputError

KINDS = ("人名", "单位", "地名", "企业")
KIND_ALIASES = {
    "人名": "人名", "人": "人名", "姓名": "人名", "person": "人名",
    "单位": "单位", "机构": "单位", "部门": "单位", "unit": "单位", "org": "单位",
    "地名": "地名", "地点": "地名", "地方": "地名", "place": "地名",
    "企业": "企业", "公司": "企业", "company": "企业",
}  # fmt: skip
META_KINDS = (("author", "人名"), ("unit", "单位"))

_CJK = "\u4e00-\u9fff"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔汤"
)
TITLES = (
    "同志", "书记", "局长", "主任", "镇长", "县长", "市长", "区长", "乡长", "村长", "处长", "科长",
    "部长", "厅长", "院长", "校长", "所长", "站长", "队长", "组长", "经理", "总经理", "董事长",
    "主席", "秘书长", "行长", "社长", "会长", "主委",
)  # fmt: skip
# characters that make a "given name" part of an office or a word, not a name (常务副县长, 任副主任)
_NOT_GIVEN = set("副务委党局部长市县区镇乡村省厅处科办院校会中心组级们等各全本我该班")

# unit / place / company suffixes and their kind, longest first
SUFFIXES = (
    ("委员会", "单位"), ("管委会", "单位"), ("开发区", "单位"), ("卫生院", "单位"), ("合作社", "企业"),
    ("园区", "单位"), ("学校", "单位"), ("中学", "单位"), ("小学", "单位"), ("大学", "单位"),
    ("学院", "单位"), ("医院", "单位"), ("中心", "单位"), ("银行", "单位"), ("公司", "企业"),
    ("集团", "企业"), ("街道", "地名"), ("局", "单位"), ("镇", "地名"), ("村", "地名"), ("乡", "地名"),
    ("县", "地名"), ("市", "地名"),
)  # fmt: skip
# the last prefix character + suffix form a common word, not a name (开局, 城市, 农村 …)
_STOP_ENDINGS = set(
    "开局 格局 布局 大局 全局 结局 当局 僵局 新局 变局 时局 政局 困局 破局 终局 邮局 "
    "城镇 乡镇 集镇 小镇 重镇 全镇 本镇 我镇 该镇 各镇 "
    "农村 乡村 山村 全村 本村 我村 该村 各村 每村 进村 "
    "城市 超市 上市 都市 全市 本市 我市 该市 各市 门市 股市 夜市 集市 省市 县市 "
    "全县 本县 我县 该县 各县 郡县 城乡 下乡 家乡 全乡 各乡 本乡 返乡 故乡 "
    "为中心 "
    "子公司 本公司 该公司 我公司 各公司 "
    "全园区 本园区 该园区 各园区 我园区 全学校 各学校 各医院 本医院 中小学 清廉学校 示范学校 试点学校 "
    "兄弟学校 基础教育学校 普高学校 市直学校 一所学校 上级党委局".split()
)
# a character right after the suffix that shows the suffix is part of a longer word (市场, 局长 …)
_STOP_FOLLOWERS = {
    "局": set("长面势部"), "市": set("场民值级区长容政面井郊领重"), "县": set("长级域城"),
    "镇": set("长级区"), "村": set("长级民庄落"), "乡": set("长级村镇土亲"), "中心": set("组城任工"),
    "街道": set("办"), "中学": set("习生"), "小学": set("习生"), "大学": set("习生"), "学院": set("派"),
}  # fmt: skip
# a unit name starts after the last of these words in the text before its suffix
_LEAD_WORDS = sorted(
    (
        "和 与 及 同 跟 向 对 在 于 到 赴 从 由 把 被 给 的 了 是 并 等 各 该 我 本 获 个 项 家 名 次 篇 处 "
        "以及 联系 分管 协调 走访 服务于 帮助 支持 推动 配合 组织 参加 参与 深入 前往 牵头 会同 指导 "
        "督促 带领 率领 陪同 调研 考察 引进 围绕 依托 落实 完成 建成 开展 召开 成立 获得 荣获 评为 "
        "担任 兼任 其中 全年 全市 全县 全区 全镇 全省 推进 争取 对接 挂点 包联 结对 帮扶 入驻 落户 "
        "年 月 日 加强 结合 协助 强化 优化 提升 完善 确保 树立 立足 突出 提高 代表 重视 呵护 "
        "着眼 作为 制定 实施 执行 开创 纳入 展示 邀请 通过 保持 借鉴 符合 按照 吸引 举办 实现 入选 构建 "
        "引领 做好 打造 创建 加快 深化 坚持 全面 努力 积极 认真 扎实 切实 不断 "
        "持续 还有 以及 成为 列入 荣膺 成功 首批 唯一 所 家 个 年度 事关 根据 助力 充实 谋划 制作 来 为 进 "
        "调任 调入 听取 使 让 强"
    ).split(),
    key=len,
    reverse=True,
)
MAX_UNIT_PREFIX = 14

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


@dataclass
class NameTable:
    """Known names and their placeholders, stable for one report."""

    entries: list[Entry] = field(default_factory=list)
    _by_text: dict[str, Entry] = field(default_factory=dict)
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _pattern: re.Pattern[str] | None = None

    # -- building --------------------------------------------------------------------------
    def add(self, text: str, kind: str, source: str, keep: str = "") -> Entry | None:
        text = text.strip()
        if len(text) < 2 or len(text) == len(keep) or text in self._by_text or _LOOSE.search(text):
            return self._by_text.get(text)
        value = text[: len(text) - len(keep)]
        placeholder = self._by_value.get((kind, value))
        if placeholder is None:
            number = sum(1 for k, _ in self._by_value if k == kind) + 1
            placeholder = self._by_value[(kind, value)] = f"【{kind}{number}】"
        entry = Entry(text, kind, placeholder, source, keep)
        self.entries.append(entry)
        self._by_text[text] = entry
        self._pattern = None
        return entry

    @property
    def placeholders(self) -> dict[str, str]:
        """Placeholder -> the name it stands for."""
        return {e.placeholder: e.value for e in self.entries}

    def __len__(self) -> int:
        return len(self.entries)

    # -- outgoing --------------------------------------------------------------------------
    def _regex(self) -> re.Pattern[str] | None:
        if self._pattern is None and self.entries:
            texts = sorted(self._by_text, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(t) for t in texts))
        return self._pattern

    def mask(self, text: str) -> str:
        regex = self._regex()
        if regex is None or not text:
            return text
        return regex.sub(lambda m: self._by_text[m.group(0)].masked, text)

    def mask_messages(self, messages: list[dict]) -> list[dict]:
        return [{**m, "content": self.mask(m.get("content") or "")} for m in messages]

    def leaked(self, text: str) -> list[str]:
        """Known names still present in `text` (placeholders themselves do not count)."""
        bare = PLACEHOLDER.sub("\x00", text)
        return [e.text for e in self.entries if e.text in bare]

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
        elif _looks_like_person(name):
            kind = "人名"
        if len(name) < 2:
            raise InputError(f"{label}第 {number} 行的名称“{name}”太短：至少两个字。")
        out.append((name, kind))
    return out


def _looks_like_person(name: str) -> bool:
    return 2 <= len(name) <= 3 and name[0] in SURNAMES and not _suffix_kind(name)


def _suffix_kind(name: str) -> str | None:
    return next((kind for suffix, kind in SUFFIXES if name.endswith(suffix)), None)


_TITLE_RE = "|".join(sorted(TITLES, key=len, reverse=True))
_PERSON = re.compile(rf"([{SURNAMES}])([{_CJK}]{{0,2}}?)(副?)({_TITLE_RE})(?!们)")


def find_people(text: str) -> list[tuple[str, str]]:
    """(text to mask, title kept visible) for each surname + title: 王建华同志 -> (王建华, ""),
    张局长 -> (张局长, 局长)."""
    out = []
    for match in _PERSON.finditer(text):
        surname, given, deputy, title = match.groups()
        if given and set(given) & _NOT_GIVEN:
            continue
        if given:
            out.append((surname + given, ""))
        elif title != "同志":
            out.append((surname + deputy + title, deputy + title))
    return out


_SUFFIX_RE = re.compile("|".join(re.escape(s) for s, _ in SUFFIXES))


def find_units(text: str) -> list[tuple[str, str]]:
    """(name, kind) for each unit, place or company name ending in a known suffix."""
    out = []
    for match in _SUFFIX_RE.finditer(text):
        suffix = match.group(0)
        kind = _suffix_kind(suffix) or "单位"
        run = _cjk_run_before(text, match.start())
        prefix = _after_lead_word(run)
        if len(run) > MAX_UNIT_PREFIX and prefix == run:
            continue  # no boundary in sight: where the name starts is a guess
        name = prefix + suffix
        follower = text[match.end() : match.end() + 1]
        if len(prefix) < 2 or follower in _STOP_FOLLOWERS.get(suffix, ()):
            continue
        if any(name.endswith(stop) for stop in _STOP_ENDINGS):
            continue
        out.append((name, kind))
    return out


def _cjk_run_before(text: str, end: int) -> str:
    start = end
    while start > 0 and end - start <= MAX_UNIT_PREFIX and "\u4e00" <= text[start - 1] <= "\u9fff":
        start -= 1
    return text[start:end]


def _after_lead_word(prefix: str) -> str:
    best = 0
    for word in _LEAD_WORDS:
        index = prefix.rfind(word)
        if index >= 0:
            best = max(best, index + len(word))
    return prefix[best:]


def build_table(facts, name_list: Path | None = None, *, patterns: bool = True) -> NameTable:
    """The table for one report: front matter, then the user's list, then the patterns."""
    table = NameTable()
    for key, kind in META_KINDS:
        value = (facts.meta.get(key) or "").strip()
        if value:
            table.add(value, kind, "开头信息")
    if name_list is not None:
        from draftbot.textio import read_text

        label = f"名单文件“{name_list}”"
        for name, kind in parse_name_list(read_text(name_list, "名单文件"), label):
            table.add(name, kind, "名单")
    if patterns:
        text = "\n".join([facts.meta.get("title", ""), *(f.text for f in facts.all_facts())])
        for name, keep in find_people(text):
            table.add(name, "人名", "识别", keep=keep)
        for name, kind in find_units(text):
            table.add(name, kind, "识别")
    return table
