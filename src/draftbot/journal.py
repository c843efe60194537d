"""The resume journal: the sections a `write` has finished, kept next to the draft and rewritten
atomically after each one, so `write --resume` after a crash, Ctrl-C or provider outage asks the
model only for the rest. A journal is reused only when facts, plan, samples and model are the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from draftbot.atomicfile import replace_file
from draftbot.engines.base import (
    FINISHED,
    Engine,
    EngineRun,
    Event,
    OnEvent,
    SectionRequest,
    SectionResult,
    emit,
)
from draftbot.facts import Facts
from draftbot.plans import Plan
from draftbot.samples import Sample
from draftbot.textio import sha256_bytes

VERSION = 1
KEY_NAMES = {"facts": "事实文件", "plan": "提纲", "samples": "范文", "model": "模型"}


def journal_path(draft_path: Path) -> Path:
    return draft_path.with_name(f"{draft_path.name}.journal.json")


def _digest(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))[:16]


def plan_fingerprint(plan: Plan) -> str:
    return f"{plan.name}:{_digest(repr(plan.all_sections()))}"


def samples_fingerprint(samples: list[Sample]) -> str:
    return _digest("\n".join(f"{s.name}\n{s.text}" for s in samples))


def model_fingerprint(engine: Engine) -> str:
    described = engine.describe()
    if "model" not in described:  # an engine without a model (offline)
        return engine.name
    return ":".join(str(described.get(k) or "") for k in ("provider", "model", "base_url"))


def journal_key(facts: Facts, plan: Plan, samples: list[Sample], engine: Engine) -> dict:
    """What a journal is valid for: the drafting inputs and the model."""
    return {
        "facts": facts.sha256 or _digest(facts.text()),
        "plan": plan_fingerprint(plan),
        "samples": samples_fingerprint(samples),
        "model": model_fingerprint(engine),
    }


@dataclass
class Journal:
    """Finished sections by section id (body and usage)."""

    path: Path
    key: dict
    sections: dict[str, dict] = field(default_factory=dict)
    note: str | None = None  # what a resume reused, or why it could not

    @classmethod
    def start(cls, path: Path, key: dict) -> Journal:
        journal = cls(path, key)
        journal.save()
        return journal

    @classmethod
    def resume(cls, path: Path, key: dict) -> tuple[Journal, str]:
        """The journal at `path` when it fits `key` (else a fresh one) and a note saying which."""
        old = _read(path)
        old_key = old.get("key") if old is not None else None
        old_key = old_key if isinstance(old_key, dict) else {}
        changed = [] if old is None else [KEY_NAMES[k] for k in KEY_NAMES if old_key.get(k) != key[k]]
        if old is None or changed:
            journal = cls.start(path, key)
            journal.note = (
                f"没有找到可以续写的起草记录（{path.name}），全部重新起草。"
                if old is None
                else f"上次的起草记录与这次的{'、'.join(changed)}不同，不能沿用，全部重新起草。"
            )
            return journal, journal.note
        sections, broken = _usable_sections(old.get("sections"))
        journal = cls(path, key, sections)
        journal.note = f"沿用上次已完成的 {len(journal.sections)} 个部分，只起草其余部分。"
        if broken:
            journal.note += f"（记录中有 {broken} 项已损坏，这些部分重新起草。）"
        return journal, journal.note

    def record(self, request: SectionRequest, result: SectionResult) -> None:
        if result.failed:
            return
        self.sections[request.section.id] = {"body": result.body, "usage": result.usage}
        self.save()

    def save(self) -> None:
        data = {"version": VERSION, "key": self.key, "sections": self.sections}
        try:
            replace_file(self.path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
        except OSError:
            pass  # a journal that cannot be written only costs the resume

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _usable_sections(raw) -> tuple[dict[str, dict], int]:
    """The well-formed entries of a journal's sections and how many others there were."""
    if not isinstance(raw, dict):
        return {}, 0 if raw in (None, {}, []) else 1
    good = {
        sid: {"body": entry["body"], "usage": entry.get("usage") if isinstance(entry.get("usage"), dict) else None}
        for sid, entry in raw.items()
        if isinstance(sid, str) and isinstance(entry, dict) and isinstance(entry.get("body"), str)
        and entry["body"].strip()
    }
    return good, len(raw) - len(good)


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


class JournaledEngine(Engine):
    """Wraps an engine: journaled sections are not requested again; each finished one is recorded."""

    def __init__(self, inner: Engine, journal: Journal):
        self.inner = inner
        self.journal = journal
        self.name = inner.name
        self.reused: list[str] = []

    def write_section(self, request: SectionRequest) -> SectionResult:
        return self.write_all([request]).sections[0]

    def write_all(self, requests: list[SectionRequest], on_event: OnEvent | None = None) -> EngineRun:
        done = self.journal.sections
        pending = [r for r in requests if r.section.id not in done]
        self.reused = [r.section.id for r in requests if r.section.id in done]

        def record(event: Event) -> None:
            if event.kind == FINISHED:
                self.journal.record(event.request, event.result)
            emit(on_event, event)

        run = self.inner.write_all(pending, record) if pending else EngineRun([], meta=self.inner.describe())
        fresh = {r.section_id: r for r in run.sections}
        run.sections = [
            fresh.get(r.section.id) or SectionResult(r.section.id, done[r.section.id]["body"])
            for r in requests
        ]
        return run

    def describe(self) -> dict:
        return self.inner.describe()

    def estimate_tokens(self, requests: list[SectionRequest]) -> int:
        return self.inner.estimate_tokens(requests)
