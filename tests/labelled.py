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


def load(path: Path) -> Labelled:
    raw = path.read_text(encoding="utf-8")
    labels = [(m.group(2), KIND[m.group(1)]) for m in _LABEL.finditer(raw)]
    return Labelled(path.name, _LABEL.sub(lambda m: m.group(2), raw), labels)


def load_all() -> list[Labelled]:
    return [load(p) for p in sorted(FOLDER.glob("labelled*.md"))]


def false_masks(entries: list[str], sets: list[Labelled]) -> list[str]:
    """Masked texts that are not a labelled name, nor part of one, nor contain one."""
    labelled = {name for s in sets for name, _ in s.labels}
    return [e for e in entries if not any(e in name or name in e for name in labelled)]
