"""The sample corpus: loading, cleaning by rules, splitting into sections by heading."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from draftbot import headings
from draftbot.datacache import code_stamp, parsed
from draftbot.errors import SampleError
from draftbot.headings import LEVEL_PATTERNS, looks_like_title, split_inline_heading
from draftbot.resources import DATA_DIR, samples_dir
from draftbot.textio import read_text
from draftbot.yamlio import YamlSyntaxError, load_yaml

SAMPLE_SUFFIXES = (".txt", ".md", ".docx")


@dataclass
class SampleSection:
    """A numbered section of a sample, with its sub-sections."""

    level: int
    number: str
    heading: str
    body: str
    line: int
    children: list[SampleSection] = field(default_factory=list)

    def text(self) -> str:
        parts = [self.heading, self.body, *(c.text() for c in self.children)]
        return "\n".join(p for p in parts if p)


@dataclass
class Sample:
    """One sample report: front matter, cleaned text, and its sections."""

    name: str
    meta: dict[str, str]
    text: str
    title: str
    opening: str
    sections: list[SampleSection]
    source: Path | None = None

    @property
    def kind(self) -> str:
        return self.meta.get("kind", "")


# ---------------------------------------------------------------- cleaning


_NOISE_FILE = DATA_DIR / "sample_noise.yaml"


@cache
def _noise_text() -> str:
    return _NOISE_FILE.read_text(encoding="utf-8")


@cache
def _noise_rules() -> tuple[int, re.Pattern[str] | None, list[re.Pattern[str]]]:
    data = parsed("yaml-1", str(_NOISE_FILE), _noise_text(), load_yaml)
    line = data.get("line") or []
    line_re = re.compile("|".join(re.escape(p) for p in line)) if line else None
    inline = [re.compile(p) for p in data.get("inline") or []]
    return int(data.get("max_line_chars", 60)), line_re, inline


def clean_text(text: str) -> str:
    """Drop watermark/advert lines and inline vendor signatures; collapse blank runs."""
    max_chars, line_re, inline = _noise_rules()
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line_re is not None and len(line) <= max_chars and line_re.search(line):
            continue
        for pattern in inline:
            line = pattern.sub("", line).strip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


# ---------------------------------------------------------------- splitting


def match_heading(line: str) -> tuple[int, str, str, str] | None:
    """(level, number, heading, inline body) when `line` opens a numbered section."""
    for level, pattern in LEVEL_PATTERNS:
        match = pattern.match(line.strip())
        if not match:
            continue
        number, rest = match.group(1), match.group(2).strip()
        if not rest:
            return None
        heading, body = split_inline_heading(rest)
        return level, number, heading, body
    return None


def split_sections(text: str) -> tuple[str, str, list[SampleSection]]:
    """Split cleaned text into (title, opening, top-level sections with children)."""
    lines = text.split("\n")
    title = ""
    opening: list[str] = []
    top: list[SampleSection] = []
    stack: list[SampleSection] = []
    for index, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        found = match_heading(line)
        if found and found[2]:
            level, number, heading, body = found
            section = SampleSection(level, number, heading, body, index)
            while stack and stack[-1].level >= level:
                stack.pop()
            if stack:
                stack[-1].children.append(section)
            elif level == 1:
                top.append(section)
            else:  # a sub-heading before any top section belongs to the opening
                opening.append(line)
                continue
            stack.append(section)
        elif stack:
            stack[-1].body = f"{stack[-1].body}\n{line}".strip()
        elif not title and not opening and looks_like_title(line):
            title = line
        else:
            opening.append(line)
    return title, "\n".join(opening), top


# ---------------------------------------------------------------- loading


def _header_yaml(text: str) -> tuple[bool, object]:
    """(True, the header's value), or (False, None) when it is not valid YAML."""
    try:
        return True, load_yaml(text)
    except YamlSyntaxError:
        return False, None


def _split_header(text: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 4)
    if end < 0:
        return {}, text
    ok, meta = _header_yaml(text[4:end])
    meta = meta or {}
    if not ok or not isinstance(meta, dict):
        return {}, text
    return {str(k): str(v) for k, v in meta.items()}, text[end + 5 :]


def _guess_kind(text: str) -> str:
    head = text[:300]
    return "单位总结" if "总结" in head and "述职" not in head else "个人述职"


def parse_sample(raw: str, name: str, source: Path | None = None, builtin: bool = False) -> Sample:
    if not builtin:
        return Sample(name, *_sample_parts(raw), source)
    # a built-in sample's header, cleaned text and sections are kept between runs (see draftbot.datacache)
    made_from = "\0".join((code_stamp(__file__, headings.__file__), _noise_text(), raw))
    *parts, sections = parsed("sample-1", str(source), made_from, lambda _: _plain_parts(raw))
    return Sample(name, *parts, [_section(s) for s in sections], source)


def _sample_parts(raw: str) -> tuple:
    """(meta, cleaned text, title, opening, sections) of a sample file's text."""
    meta, body = _split_header(raw)
    cleaned = clean_text(body)
    title, opening, sections = split_sections(cleaned)
    meta.setdefault("kind", _guess_kind(cleaned))
    return meta, cleaned, title or meta.get("title", ""), opening, sections


def _plain_parts(raw: str) -> tuple:
    """_sample_parts as data marshal can store: the sections as nested tuples."""
    *parts, sections = _sample_parts(raw)
    return (*parts, [_section_tuple(s) for s in sections])


def _section_tuple(section: SampleSection) -> tuple:
    children = [_section_tuple(c) for c in section.children]
    return section.level, section.number, section.heading, section.body, section.line, children


def _section(data: tuple) -> SampleSection:
    *fields, children = data
    return SampleSection(*fields, [_section(c) for c in children])


def load_sample_file(path: Path, builtin: bool = False) -> Sample:
    if path.suffix.lower() == ".docx":
        from draftbot.docx_reader import read_docx_text

        raw = read_docx_text(path)
    else:
        raw = read_text(path, "范文")
    sample = parse_sample(raw, path.stem, path, builtin)
    if not sample.text.strip():
        raise SampleError(f"范文“{path}”清理后没有正文内容。")
    return sample


def _sample_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SAMPLE_SUFFIXES)


def builtin_samples() -> list[Sample]:
    return [
        load_sample_file(p, builtin=True)
        for p in _sample_files(samples_dir())
        if p.name.lower() != "readme.md"
    ]


def load_samples(user_dir: str | Path | None = None, add: bool = False) -> list[Sample]:
    """Built-in samples, or the user's folder instead of (or, with add=True, besides) them."""
    if user_dir is None:
        return builtin_samples()
    folder = Path(user_dir)
    if not folder.is_dir():
        raise SampleError(f"范文文件夹“{folder}”不存在或不是文件夹。")
    files = _sample_files(folder)
    if not files:
        raise SampleError(f"范文文件夹“{folder}”中没有 .txt、.md 或 .docx 文件。")
    user = [load_sample_file(p) for p in files]
    return builtin_samples() + user if add else user
