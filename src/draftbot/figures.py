"""Figures in Chinese report text: numbers with their unit, years and dates.

A figure is what a reader would check against the facts: 2.5亿元, 15.3%, 1.2个百分点, 372亩,
23万平方米, 30公里, 12个项目, 2025年, 2025年9月24日, 1-10月. Equal amounts in other units are the
same figure (2.5亿元 = 25000万元); 35% is never the same figure as 35亿元. Chinese-numeral
formulations (三年来, 一是, 两个维护, 四个意识, 第一议题) are not figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# ------------------------------------------------------------------ units
# unit -> (dimension, factor to the dimension's base unit)
_MONEY = {"元": 1.0, "万元": 1e4, "亿元": 1e8, "千元": 1e3, "百万元": 1e6, "千万元": 1e7, "万亿元": 1e12}
_AREA = {
    "平方米": 1.0,
    "㎡": 1.0,
    "m²": 1.0,
    "m2": 1.0,
    "平方公里": 1e6,
    "平方千米": 1e6,
    "公顷": 1e4,
    "亩": 1e4 / 15,
}
_LENGTH = {"公里": 1000.0, "千米": 1000.0, "km": 1000.0, "米": 1.0}
_COUNT = (
    "个",
    "家",
    "项",
    "次",
    "人",
    "件",
    "户",
    "家次",
    "万人",
    "万户",
    "宗",
    "名",
    "座",
    "所",
    "条",
    "台",
    "套",
    "批次",
    "批",
    "场",
    "处",
    "栋",
    "辆",
    "篇",
    "份",
    "位",
    "人次",
    "个批次",
    "余人",
    "个村",
    "村",
)
_COUNT_SYNONYMS = {"名": "人", "位": "人", "个批次": "批次", "场": "次"}
_COUNT_FACTOR = {"万人": 1e4, "万户": 1e4}
_DURATION = {"小时": 1 / 24, "天": 1.0, "日": 1.0, "周": 7.0, "个月": 30.0, "年": 365.0}
_OTHER = ("倍", "吨", "万吨", "千瓦", "兆瓦", "千伏", "千瓦时", "度", "辆", "床", "株", "立方米", "头", "只")
_MAGNITUDE = {"万亿": 1e12, "千万": 1e7, "百万": 1e6, "十万": 1e5, "亿": 1e8, "万": 1e4, "千": 1e3, "百": 1e2}

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 1e4, "亿": 1e8}

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_RANGE_SEP = r"[-—–~～至到]"
_APPROX = r"(?:余|多)"
_APPROX_BEFORE = ("约", "近", "超", "逾", "超过", "接近", "将近", "大约")


def _alternation(words: Iterable[str]) -> str:
    """Longest first (the regex takes the first that matches); the same text every run."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


_UNIT_WORDS = [*_MONEY, *_AREA, *_LENGTH, *_COUNT, *_DURATION, *_OTHER, "%", "％", "‰", "个百分点", "百分点"]
_UNIT_RE = _alternation(_UNIT_WORDS)
_MAG_RE = _alternation(_MAGNITUDE)

# A date or year: 2025年9月24日, 2025年9月, 2025年, 2021—2025年, 9月24日, 1-10月, 2025.9.24
_DATE = re.compile(  # starts with a digit test (fast scan); "inside a longer number" is checked in _dates
    rf"(?=\d)(?:(?=[0-9])(?P<y>(?:19|20)\d\d)(?:{_RANGE_SEP}(?P<y2>(?:19|20)\d\d))?年(?:度)?"
    rf"(?:(?P<m>\d{{1,2}})(?:{_RANGE_SEP}(?P<m2>\d{{1,2}}))?月(?:(?P<d>\d{{1,2}})日)?)?"
    rf"|(?P<om>\d{{1,2}})(?:{_RANGE_SEP}(?P<om2>\d{{1,2}}))?月(?:(?P<od>\d{{1,2}})(?:日|号))?"
    rf"|(?P<dy>(?:19|20)\d\d)[.\-/](?P<dm>\d{{1,2}})[.\-/](?P<dd>\d{{1,2}})(?![\d.]))"
)
# An Arabic number, optionally a range, with an optional magnitude and unit: 2.5亿元, 3-5个, 1.2万亩
_ARABIC = re.compile(
    rf"(?=\d)(?<![\d.A-Za-z])(?P<n>{_NUM})(?:{_RANGE_SEP}(?P<n2>{_NUM}))?"  # (?=\d): fast scan
    rf"(?:(?P<mag>{_MAG_RE})(?![伏瓦米克]))?(?P<approx>{_APPROX})?(?P<unit>{_UNIT_RE})?(?![A-Za-z\d])"
)
_CN_NUM = r"[零〇一二两三四五六七八九十百千万亿]+(?:点[零〇一二三四五六七八九]+[万亿]{0,2})?"
_CHINESE = re.compile(
    rf"(?P<n>{_CN_NUM})(?P<approx>{_APPROX})?"
    rf"(?P<unit>{_alternation([*_MONEY, *_AREA, *_LENGTH, *_COUNT, '个百分点', '百分点'])})"
)
_PERCENT_CN = rf"百分之(?P<n>{_CN_NUM}|{_NUM})"  # compiled (by re's cache) only for texts with 百分之
_LIST_NUMBER = re.compile(r"(?m)^[ \t#>*-]*[（(]?\d{1,2}[.、．)）]")


@dataclass(slots=True)
class Figure:
    """One figure as written (`value` and `unit` as in the text) plus its normalised form.

    Slotted: a long draft holds hundreds of thousands of figures."""

    text: str
    value: float
    unit: str
    start: int
    end: int
    dim: str = "number"
    base: float = 0.0
    approx: bool = False

    @property
    def key(self) -> tuple[str, float]:
        """Same key == same figure: dimension plus the amount in the dimension's base unit."""
        return (self.dim, _round(self.base))


def _round(x: float) -> float:
    return round(x, 3)


# ------------------------------------------------------------------ Chinese numerals


def chinese_to_number(text: str) -> float | None:
    """Convert 三, 十二, 二十三, 一百零五, 两千, 3千 style numerals, and decimals read digit by digit
    after 点 (三点五 = 3.5, 零点八 = 0.8, 三点五亿 = 3.5e8); None if not a numeral."""
    if not text:
        return None
    if "点" in text:
        return _chinese_decimal(text)
    total, section, digit = 0.0, 0.0, None
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0 and ch != "零":
                return None  # 二三 is not a number
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        elif ch in _CN_BIG:
            section += digit or 0
            total = (total + section) * _CN_BIG[ch] if total < _CN_BIG[ch] else total + section * _CN_BIG[ch]
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0)


def _chinese_decimal(text: str) -> float | None:
    whole, _, rest = text.partition("点")
    digits = ""
    while rest and rest[0] in _CN_DIGITS and rest[0] != "两":
        digits, rest = digits + str(_CN_DIGITS[rest[0]]), rest[1:]
    if not digits or (rest and rest not in _CN_BIG and rest not in ("万亿",)):
        return None
    base = chinese_to_number(whole) if whole not in ("零", "〇") else 0.0
    if base is None:
        return None
    scale = {"": 1.0, "万": 1e4, "亿": 1e8, "万亿": 1e12}[rest]
    return (base + float("0." + digits)) * scale


# ------------------------------------------------------------------ extraction


@dataclass(frozen=True, slots=True)
class FigureOptions:
    """Data-driven exceptions (from the rule files): phrases that are formulations, not figures."""

    not_figures: tuple[str, ...] = ()
    formulation_tails: tuple[str, ...] = ()


_DEFAULT_OPTIONS: FigureOptions | None = None


def default_options() -> FigureOptions:
    """The exceptions in the built-in data file data/rules/figures.yaml, loaded once.

    The check passes its own options (built-in plus --rules files); this default serves callers
    outside a check (the offline engine's tests, a library user)."""
    global _DEFAULT_OPTIONS
    if _DEFAULT_OPTIONS is None:
        from draftbot.datacache import parsed
        from draftbot.resources import rules_dir
        from draftbot.yamlio import load_yaml

        path = rules_dir() / "figures.yaml"
        data = parsed("figure-options-1", str(path), path.read_text(encoding="utf-8"), load_yaml) or {}
        _DEFAULT_OPTIONS = FigureOptions(
            tuple(data.get("not_figures") or ()), tuple(data.get("formulation_tails") or ())
        )
    return _DEFAULT_OPTIONS


def extract_figures(text: str, options: FigureOptions | None = None) -> list[Figure]:
    """All figures in `text`, in order of position."""
    options = options or default_options()
    taken = bytearray(len(text) + 1)  # 1 where an earlier (longer) figure already sits
    out: list[Figure] = []

    def free(start: int, end: int) -> bool:
        # spans never nest strictly inside a figure, so the two ends tell whether one overlaps
        return not (taken[start] or taken[end - 1])

    def take(start: int, end: int) -> None:
        taken[start:end] = b"\x01" * (end - start)

    for fig in _dates(text):
        take(fig.start, fig.end)
        out.append(fig)
    skip = {m.end() - 1 for m in _LIST_NUMBER.finditer(text)}
    for m in _ARABIC.finditer(text):
        if not free(m.start(), m.end()) or _is_list_number(m, skip):
            continue
        figs = _arabic(m, text)
        out.extend(figs)
        take(m.start(), m.end())
    for m in re.finditer(_PERCENT_CN, text) if "百分之" in text else ():
        n = chinese_to_number(m["n"]) if not m["n"][0].isdigit() else float(m["n"].replace(",", ""))
        if n is not None and free(m.start(), m.end()):
            out.append(Figure(m.group(), n, "%", m.start(), m.end(), "percent", n))
            take(m.start(), m.end())
    for m in _CHINESE.finditer(text):
        if free(m.start(), m.end()):
            fig = _chinese(text, m, options)
            if fig is not None:
                out.append(fig)
    out.sort(key=lambda f: (f.start, f.end))
    return out


def iter_figures(text: str, options: FigureOptions | None = None, block: int = 1 << 13) -> Iterator[Figure]:
    """extract_figures over `text` in blocks of whole lines: the same figures in the same order,
    with the memory of one block's figures at a time (a long draft holds hundreds of thousands; a block
    of 8,192 characters keeps a 100 KB draft, one block at 65,536, from holding all of its figures)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + block)
        end = len(text) if end == -1 else end + 1
        for fig in extract_figures(text[start:end], options):
            fig.start += start
            fig.end += start
            yield fig
        start = end


def _is_list_number(m: re.Match, list_ends: set[int]) -> bool:
    # "1." / "1、" / "（1）" at the start of a line is numbering, not a figure
    return m["unit"] is None and m["mag"] is None and (m.end() in list_ends)


def _dates(text: str) -> Iterable[Figure]:
    for m in _DATE.finditer(text):
        if m.start() and text[m.start() - 1] in "0123456789.":
            continue  # inside a longer number
        g = m.groupdict()
        s, e, t = m.start(), m.end(), m.group()
        if g["dy"]:
            y, mo, d = int(g["dy"]), int(g["dm"]), int(g["dd"])
            if 1 <= mo <= 12 and 1 <= d <= 31:
                yield Figure(t, y, "日期", s, e, "date", y * 10000 + mo * 100 + d)
            continue
        if g["y"]:
            yield from _year_date(t, s, e, g)
            continue
        mo, mo2, d = int(g["om"]), g["om2"], g["od"]
        if not 1 <= mo <= 12:
            continue
        if d:
            yield Figure(t, mo, "月日", s, e, "monthday", mo * 100 + int(d))
        else:
            yield Figure(t, mo, "月", s, e, "month", mo)
            if mo2 and 1 <= int(mo2) <= 12:
                yield Figure(t, int(mo2), "月", s, e, "month", int(mo2))


def _year_date(t: str, s: int, e: int, g: dict) -> Iterable[Figure]:
    y = int(g["y"])
    if g["m"] and g["d"] and 1 <= int(g["m"]) <= 12:
        yield Figure(t, y, "日期", s, e, "date", y * 10000 + int(g["m"]) * 100 + int(g["d"]))
        return
    yield Figure(t, y, "年", s, e, "year", y)
    if g["y2"]:
        yield Figure(t, int(g["y2"]), "年", s, e, "year", int(g["y2"]))
    if g["m"] and 1 <= int(g["m"]) <= 12:
        yield Figure(t, y, "年月", s, e, "yearmonth", y * 100 + int(g["m"]))
        if g["m2"] and 1 <= int(g["m2"]) <= 12:
            yield Figure(t, y, "年月", s, e, "yearmonth", y * 100 + int(g["m2"]))


def _arabic(m: re.Match, source: str) -> list[Figure]:
    n1, n2, mag_text, approx_text, unit = m.group("n", "n2", "mag", "approx", "unit")
    start, end = m.span()
    unit = unit or ""
    mag = _MAGNITUDE[mag_text] if mag_text else 1.0
    approx = bool(approx_text) or source[max(0, start - 2) : start].endswith(_APPROX_BEFORE)
    shown_unit = (mag_text or "") + unit
    text = source[start:end]
    n = float(n1.replace(",", "")) if "," in n1 else float(n1)
    dim, base = classify(n * mag, unit)
    out = [Figure(text, n, shown_unit, start, end, dim, base, approx)]
    if n2:
        n = float(n2.replace(",", ""))
        dim, base = classify(n * mag, unit)
        out.append(Figure(text, n, shown_unit, start, end, dim, base, approx))
    return out


def classify(amount: float, unit: str) -> tuple[str, float]:
    """(dimension, amount in the dimension's base unit) of `amount` `unit`."""
    info = _UNIT_INFO.get(unit)
    if info is None:
        return ("unit:" + unit, amount) if unit else ("number", amount)
    return info[0], amount * info[1]


def _unit_info() -> dict[str, tuple[str, float]]:
    info: dict[str, tuple[str, float]] = {}
    for table, dim in ((_MONEY, "money"), (_AREA, "area"), (_LENGTH, "length"), (_DURATION, "duration")):
        info.update({unit: (dim, factor) for unit, factor in table.items()})
    for unit in _COUNT:
        if unit in _COUNT_FACTOR:
            info[unit] = ("count:" + unit[1:], _COUNT_FACTOR[unit])
        else:
            info.setdefault(unit, ("count:" + _COUNT_SYNONYMS.get(unit, unit), 1.0))
    info.update({"%": ("percent", 1.0), "％": ("percent", 1.0), "‰": ("percent", 0.1),
                 "个百分点": ("points", 1.0), "百分点": ("points", 1.0)})
    return info


_UNIT_INFO = _unit_info()


def _chinese(text: str, m: re.Match, options: FigureOptions) -> Figure | None:
    numeral = m["n"]
    start = m.start()
    # a numeral run that starts inside a bigger CJK numeral word: 十四五, 二十大, 第七次
    if start > 0 and text[start - 1] in "第每这那前后近上下头逐单各某哪":
        return None
    if numeral in ("一", "〇", "零") or numeral.startswith(("万", "亿", "千", "百")):
        return None
    value = chinese_to_number(numeral)
    if value is None:
        return None
    if _is_formulation(text, m, options):
        return None
    unit = m["unit"]
    dim, base = classify(value, unit)
    return Figure(m.group(), value, unit, start, m.end(), dim, base, bool(m["approx"]))


def _is_formulation(text: str, m: re.Match, options: FigureOptions) -> bool:
    start, end = m.start(), m.end()
    window = text[start : start + 12]
    if any(window.startswith(p) for p in options.not_figures):
        return True
    tail = text[end : end + 2]
    if any(tail.startswith(t) for t in options.formulation_tails):
        return True
    # a quoted slogan: “两个带头”, “三会一课”, “五个一”
    before = text[max(0, start - 1) : start]
    close = text.find("”", end)
    return before in ("“", '"', "「") and close != -1 and close - start <= 10


# ------------------------------------------------------------------ grounding


class FigureIndex:
    """The figures of a source (the facts); answers whether a draft figure comes from them."""

    def __init__(self, figures: Iterable[Figure], extra_years: Iterable[int] = ()):
        self.keys: set[tuple[str, float]] = set()
        self.numbers: set[float] = set()
        self.counts: dict[float, set[str]] = {}
        for f in figures:
            self.add(f)
        for y in extra_years:
            self.keys.add(("year", float(y)))

    def add(self, f: Figure) -> None:
        self.keys.add(f.key)
        self.numbers.add(_round(f.value))
        self.numbers.add(_round(f.base))
        if f.dim.startswith("count:"):
            self.counts.setdefault(_round(f.base), set()).add(f.dim)
        if f.dim == "date":
            y, md = divmod(int(f.base), 10000)
            self.keys.update(
                {
                    ("year", float(y)),
                    ("yearmonth", float(y * 100 + md // 100)),
                    ("monthday", float(md)),
                    ("month", float(md // 100)),
                }
            )
        elif f.dim == "yearmonth":
            y, mo = divmod(int(f.base), 100)
            self.keys.update({("year", float(y)), ("month", float(mo))})
        elif f.dim == "monthday":
            self.keys.add(("month", float(int(f.base) // 100)))

    def grounds(self, f: Figure) -> bool:
        if f.key in self.keys:
            return True
        if f.dim == "number":
            return _round(f.value) in self.numbers or _round(f.base) in self.numbers
        if f.dim.startswith("count:"):
            # 个 is the general measure word: 12个项目 is grounded by 12项 / 12家
            units = self.counts.get(_round(f.base), set())
            return bool(units) and (f.dim == "count:个" or "count:个" in units)
        if f.approx:
            return self._grounds_rounded(f)
        return False

    def _grounds_rounded(self, f: Figure) -> bool:
        # "近2.5亿元" may round 2.46亿元: accept a facts figure that rounds to the draft's precision
        decimals = re.search(r"\.(\d+)", f.text)
        digits = len(decimals.group(1)) if decimals else 0
        scale = f.base / f.value if f.value else 1.0
        for dim, base in self.keys:
            if dim == f.dim and scale and round(base / scale, digits) == round(f.value, digits):
                return True
        return False
