"""The labelled confidential-mode set (tests/fixtures/masking/labelled*.md): facts files whose
names are marked `{人:王某}`, `{地:某镇}`, `{单:某局}`, `{企:某公司}`; used by tests and bench/bench_mask.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "fixtures" / "masking"
KIND = {"人": "人名", "地": "地名", "单": "单位", "企": "企业"}
_LABEL = re.compile(r"\{([人地单企]):([^}]+)\}")


@dataclass
class Labelled:
    name: str
    text: str  # the facts file without the marks
    labels: list[tuple[str, str]]  # (name, kind) in order of appearance

    @property
    def names(self) -> dict[str, str]:
        return {name: kind for name, kind in self.labels}

    def spans(self) -> list[tuple[int, int]]:
        """Where the labelled names are in `text` (every occurrence)."""
        out = []
        for name in self.names:
            start = self.text.find(name)
            while start >= 0:
                out.append((start, start + len(name)))
                start = self.text.find(name, start + 1)
        return out

    def bullets(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.startswith("- ")]


def load(path: Path) -> Labelled:
    raw = path.read_text(encoding="utf-8")
    labels = [(m.group(2), KIND[m.group(1)]) for m in _LABEL.finditer(raw)]
    return Labelled(path.name, _LABEL.sub(lambda m: m.group(2), raw), labels)


def load_all() -> list[Labelled]:
    return [load(p) for p in sorted(FOLDER.glob("labelled*.md"))]

