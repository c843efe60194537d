"""Drafting many facts files at once: one bound on model calls, a manifest to resume, 千人一面 check.

    result = run_batch(find_facts_files("述职/"), BatchOptions(concurrency=8))

Every report runs in a worker thread (its own event loop, as `write` runs); all their model calls
share one `SharedSlots` bound. A manifest (draftbot-batch.json, replaced atomically after every
change) records each report under a key made of its facts' hash, plan, samples, model, draftbot
version and masking: a re-run skips reports done under the same key, re-drafts only the failed
sections of a partly failed one, and redoes the rest. The first report of each plan starts alone
and the others follow once it streams, so a provider's prefix cache already holds the shared
system prompt and samples when they arrive.
"""

from __future__ import annotations

import glob
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from draftbot import workflow
from draftbot.atomicfile import lock_file, move_aside, replace_file
from draftbot.checks.similarity import Similar
from draftbot.errors import DraftbotError, InputError, os_message
from draftbot.journal import journal_path

MANIFEST_NAME = "draftbot-batch.json"
FACTS_SUFFIXES = (".md", ".txt", ".markdown", ".docx")
SIMILAR_NAME = "draftbot-batch-similar.txt"  # the full 千人一面 list (cli/batch.py writes it)
SKIP_NAMES = ("readme.md", "readme.txt", MANIFEST_NAME, SIMILAR_NAME)
LEADER_WAIT = 10.0  # seconds the other reports of a plan wait for its first report to stream


# -- finding the facts files -------------------------------------------------------------------


def find_facts_files(spec: str | Path) -> list[Path]:
    """Facts files in a folder (not its sub-folders), or matching a glob; drafts and backups left out."""
    path = Path(spec)
    if path.is_dir():
        candidates = [p for p in path.iterdir() if p.is_file()]
    elif any(ch in str(spec) for ch in "*?["):
        candidates = [Path(p) for p in glob.glob(str(spec), recursive=True) if Path(p).is_file()]
    elif path.is_file():
        candidates = [path]
    else:
        raise InputError(f"找不到“{spec}”：请给出一个文件夹，或用引号括起的通配符，如 \"述职/*.md\"。")
    files = [p for p in candidates if _is_facts_file(p)]
    # 要点.docx next to 要点.md is the Word file `--docx` made from it, not another facts file
    texts = {p.with_suffix("") for p in files if p.suffix.lower() != ".docx"}
    files = sorted(p for p in files if p.suffix.lower() != ".docx" or p.with_suffix("") not in texts)
    if not files:
        raise InputError(f"“{spec}”中没有要点文件（.md、.txt、.docx；草稿 *.draft.md 不算）。")
    return files


def _is_facts_file(path: Path) -> bool:
    name = path.name.lower()
    return (
        path.suffix.lower() in FACTS_SUFFIXES
        and not name.startswith((".", "~$"))
        and ".draft." not in name
        and name not in SKIP_NAMES
    )


# -- options and results -------------------------------------------------------------------------


@dataclass
class BatchOptions:
    plan: str | None = None
    samples: str | Path | None = None
    add_samples: bool = False
    engine: str | None = None
    flags: dict | None = None
    concurrency: int = 4
    docx: bool = False
    mask: bool | None = None  # None: as the earlier runs of this batch (its manifest) were
    mask_names: str | Path | None = None
    force: bool = False  # overwrite drafts this batch did not make
    out_dir: Path | None = None
    manifest: Path | None = None
    extra: dict = field(default_factory=dict)  # further write_report options (e.g. repair)


@dataclass
class ReportOutcome:
    facts: str
    draft: str
    status: str = "pending"  # done | failed | skipped (done earlier)
    action: str = ""  # 起草 | 重做失败部分 | 跳过 | 沿用
    person: str = ""
    sections: int = 0
    failed_sections: int = 0
    findings: dict = field(default_factory=lambda: {"error": 0, "warning": 0, "info": 0})
    tokens: dict = field(default_factory=lambda: {"input": 0, "cached": 0, "output": 0})
    cost: float | None = None
    currency: str = ""
    error: str = ""
    seconds: float = 0.0
    docx: str | None = None


@dataclass
class BatchResult:
    reports: list[ReportOutcome]
    similar: list[Similar]
    manifest: Path
    wall_s: float = 0.0
    max_in_flight: int = 0

    @property
    def failed(self) -> list[ReportOutcome]:
        return [r for r in self.reports if r.status == "failed"]

    def totals(self) -> dict:
        tokens = {k: sum(r.tokens.get(k, 0) for r in self.reports) for k in ("input", "cached", "output")}
        costs = [r.cost for r in self.reports if r.cost is not None]
        return {"tokens": tokens, "cost": round(sum(costs), 6) if costs else None}

    def to_json(self) -> dict:
        return {
            "reports": [asdict(r) for r in self.reports],
            "similar": [asdict(s) for s in self.similar],
            "totals": self.totals(),
            "failed": len(self.failed),
            "manifest": str(self.manifest),
            "wall_s": round(self.wall_s, 3),
            "max_calls_in_flight": self.max_in_flight,
        }


# -- the manifest ---------------------------------------------------------------------------------


EXPORT_FAILED = "草稿已写好，但 Word 文件未导出："


class Manifest:
    """draftbot-batch.json: each report's key and outcome, replaced atomically on every change."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        self.entries: dict[str, dict] = {}
        self.note = ""
        if path.exists():
            try:
                self.entries = _manifest_entries(json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, OSError):
                self.note = f"批处理记录“{path}”已损坏，本次全部重新起草（旧记录保留为 .bak）。"
                move_aside(path, path.with_name(path.name + ".bak"))

    def name(self, facts: Path) -> str:
        try:
            return Path(os.path.relpath(facts.resolve(), self.path.parent.resolve())).as_posix()
        except ValueError:  # another drive on Windows
            return str(facts.resolve())

    def get(self, facts: Path) -> dict | None:
        return self.entries.get(self.name(facts))

    def put(self, facts: Path, **values) -> None:
        with self.lock:
            entry = self.entries.setdefault(self.name(facts), {})
            entry.update(values, updated=datetime.now().astimezone().isoformat(timespec="seconds"))
            self._save()

    def _save(self) -> None:
        from draftbot import __version__

        data = {"draftbot": __version__, "reports": self.entries}
        replace_file(self.path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def _journaled(draft: Path) -> bool:
    """Whether a killed run left finished sections of `draft` in its journal."""
    try:
        return bool(json.loads(journal_path(draft).read_text(encoding="utf-8")).get("sections"))
    except (OSError, ValueError, AttributeError):
        return False


def _same_kind(value, default) -> bool:
    """Whether a manifest value can stand in for an outcome field's `default`."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(default, dict):
        return isinstance(value, dict) and all(type(v) is int for v in value.values())
    return default is None and isinstance(value, str) or type(value) is type(default)


def _manifest_entries(data) -> dict[str, dict]:
    """The reports of a manifest's JSON; ValueError when it is not the shape draftbot writes."""
    reports = data.get("reports") if isinstance(data, dict) else None
    if reports is None and isinstance(data, dict):
        return {}
    if not isinstance(reports, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) and all(isinstance(f, str) for f in v) for k, v in reports.items()
    ):
        raise ValueError("not a draftbot batch manifest")
    return dict(reports)


class FolderLock:
    """An OS file lock next to the manifest, held while a batch runs: a second batch on the same
    folder is refused instead of drafting the same reports twice. The OS drops it with the process
    (also on kill -9), so it never goes stale."""

    def __init__(self, manifest: Path):
        self.path = manifest.with_name(manifest.name + ".lock")
        self._fh = None

    def __enter__(self):
        self._fh = open(self.path, "a+b")  # noqa: SIM115 - held until __exit__
        try:
            lock_file(self._fh, wait=False)
        except OSError as exc:
            self._fh.close()
            raise InputError(
                f"另一个 draftbot batch 正在处理这批报告（{self.path.parent}），请等它结束后再运行。"
            ) from exc
        return self

    def __exit__(self, *exc):
        self._fh.close()  # closing releases the lock
        return False


def default_manifest(files: list[Path], out_dir: Path | None) -> Path:
    if out_dir is not None:
        return out_dir / MANIFEST_NAME
    common = Path(os.path.commonpath([str(f.resolve().parent) for f in files]))
    return common / MANIFEST_NAME


# -- keys -----------------------------------------------------------------------------------------


def _sha(text: str | bytes) -> str:
    from draftbot.textio import sha256_bytes

    return sha256_bytes(text.encode("utf-8") if isinstance(text, str) else text)


def report_key(inputs, model: str, opts: BatchOptions) -> str:
    """What a finished report depends on: facts, plan, samples, model, draftbot version, masking."""
    from draftbot import __version__

    plan = inputs.plan
    plan_src = plan.source.read_bytes() if plan.source is not None and plan.source.exists() else b""
    parts = {
        "facts": inputs.facts.sha256,
        "plan": [plan.name, _sha(plan_src)],
        "samples": [[s.name, _sha(s.text)] for s in inputs.samples],
        "model": model,
        "draftbot": __version__,
        "mask": [bool(opts.mask or opts.mask_names), _names_hash(opts.mask_names)],
        "extra": {k: str(v) for k, v in sorted(opts.extra.items())},
    }
    return _sha(json.dumps(parts, ensure_ascii=False, sort_keys=True))[:24]


def _names_hash(path) -> str:
    try:
        return _sha(Path(path).read_bytes()) if path else ""
    except OSError:
        return "unreadable"


def model_label(opts: BatchOptions) -> str:
    from draftbot.config import choose_engine, safe_url

    name, cfg, _ = choose_engine(opts.engine, opts.flags or workflow.config_overrides())
    if cfg is None:
        return name
    return f"{cfg.provider or 'custom'}/{cfg.model}@{safe_url(cfg.base_url)}"


# -- the run --------------------------------------------------------------------------------------


@dataclass
class _Job:
    facts: Path
    out: Path
    outcome: ReportOutcome
    inputs: Any = None
    key: str = ""
    engine: Any = None
    started: threading.Event = field(default_factory=threading.Event)
    running: set = field(default_factory=set)  # section ids in flight (from the engine's events)
    tokens: dict = field(default_factory=lambda: {"input": 0, "cached": 0, "output": 0})
    cost: float = 0.0  # of the runs finished so far
    currency: str = ""

    def on_event(self, event) -> None:
        """Progress of this report's engine runs (engines/base.py events; any thread)."""
        from draftbot.engines.base import FAILED, FINISHED, STARTED, STREAMING

        if event.kind in (STARTED, STREAMING, FINISHED, FAILED):
            self.started.set()  # the leader streams: the provider's cache is warm
        if event.kind == STARTED:
            self.running.add(event.section_id)
        elif event.kind in (FINISHED, FAILED):
            self.running.discard(event.section_id)
            usage = event.result.usage if event.result is not None else None
            for key in self.tokens:
                self.tokens[key] += (usage or {}).get(key) or 0

    def add_run(self, run, repair=None) -> None:
        """The cost of a finished engine run (and of its repair rounds)."""
        spent = [(run.cost, run.currency)]
        if repair is not None:
            spent.append((repair.cost, repair.currency))
        for cost, currency in spent:
            if cost is not None:
                self.cost, self.currency = self.cost + cost, currency or self.currency


class Batch:
    """One batch run; `snapshot()` may be called from another thread for a progress display."""

    def __init__(self, files: list[Path], opts: BatchOptions, on_done=None):
        from draftbot.engines.callguard import SharedSlots

        self.opts = opts
        self.files = files
        self.on_done = on_done or (lambda outcome: None)
        self.manifest = Manifest(opts.manifest or default_manifest(files, opts.out_dir))
        self.mask_note = None
        if opts.mask is None and opts.mask_names is None:
            opts.mask = any(e.get("masked") for e in self.manifest.entries.values())
            if opts.mask:
                self.mask_note = "这批报告此前是在保密模式下起草的，本次同样先把名称换成占位符再发送（不需要时加 --no-mask）。"
        self.slots = SharedSlots(opts.concurrency)
        self.jobs: list[_Job] = []
        self.model = ""
        self.interrupted = False

    # -- planning ---------------------------------------------------------------------------
    def prepare(self) -> None:
        self.model = model_label(self.opts)
        outputs = self._outputs()
        for facts in self.files:
            out = outputs[facts]
            outcome = ReportOutcome(self.manifest.name(facts), self.manifest.name(out))
            job = _Job(facts, out, outcome)
            try:
                job.inputs = workflow.load_inputs(facts, self.opts.plan, self.opts.samples, self.opts.add_samples)
                job.key = report_key(job.inputs, self.model, self.opts)
                outcome.person = job.inputs.facts.meta.get("author") or facts.stem
            except DraftbotError as exc:
                outcome.status, outcome.error = "failed", exc.message
            self.jobs.append(job)

    def _output(self, facts: Path, name: str | None = None) -> Path:
        out = workflow.default_output(facts)
        if name is not None:
            out = out.with_name(name)
        return (self.opts.out_dir / out.name) if self.opts.out_dir is not None else out

    def _outputs(self) -> dict[Path, Path]:
        """One draft per facts file: p.md and p.txt in one folder give p.draft.md and p.txt.draft.md
        (a .md keeps the usual name); a clash that remains (same name from two folders into one
        --out-dir) is refused before any work."""
        groups: dict[Path, list[Path]] = {}
        for facts in self.files:
            groups.setdefault(self._output(facts).resolve(), []).append(facts)
        outputs: dict[Path, Path] = {}
        for members in groups.values():
            members.sort(key=lambda f: (f.suffix.lower() != ".md", str(f)))
            outputs[members[0]] = self._output(members[0])
            for facts in members[1:]:  # the same file name from two folders stays a clash
                renamed = facts.name != members[0].name
                outputs[facts] = self._output(facts, f"{facts.name}.draft.md" if renamed else None)
        seen: dict[Path, Path] = {}
        for facts, out in outputs.items():
            other = seen.setdefault(out.resolve(), facts)
            if other != facts:
                raise InputError(
                    f"“{other}”和“{facts}”的草稿都会写到“{out}”，会互相覆盖：请给其中一个改名，"
                    "或分开批处理（不用同一个 --out-dir）。"
                )
        return outputs

    # -- running ----------------------------------------------------------------------------
    def run(self) -> BatchResult:
        with FolderLock(self.manifest.path):
            return self._run()

    def _run(self) -> BatchResult:
        started = time.monotonic()
        if not self.jobs:
            self.prepare()
        todo = [j for j in self.jobs if j.outcome.status == "pending"]
        for job in self.jobs:
            if job.outcome.status == "failed":
                self.manifest.put(job.facts, status="failed", error=job.outcome.error, key=job.key)
                self.on_done(job.outcome)
        self._preload()
        leaders = self._leaders(todo)
        workers = max(1, min(len(todo), self.opts.concurrency))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="draftbot-batch")
        futures = {}
        try:
            for job in sorted(todo, key=lambda j: j not in leaders):
                if job not in leaders:
                    self._wait_for_leader(leaders, job)
                futures[pool.submit(self._run_job, job)] = job
            _wait_all(futures)
        except KeyboardInterrupt:
            # Ctrl-C: reports not started yet are left for the next run; those running finish
            self.interrupted = True
            for future, job in futures.items():
                if future.cancel():
                    job.outcome.status, job.outcome.error = "failed", "已中断，未起草"
            for job in todo:
                if not any(j is job for j in futures.values()):
                    job.outcome.status, job.outcome.error = "failed", "已中断，未起草"
            _wait_all(futures)
        pool.shutdown(wait=True)
        result = BatchResult([j.outcome for j in self.jobs], [], self.manifest.path)
        result.similar = cross_report_check(self.jobs)
        result.wall_s = time.monotonic() - started
        result.max_in_flight = self.slots.max_in_use
        return result

    def _preload(self) -> None:
        """Import what the workers will use here, once: first imports racing in several threads can
        see half-initialised modules (httpx, openai)."""
        import draftbot.checks.run  # noqa: F401
        import draftbot.compose  # noqa: F401
        import draftbot.repair  # noqa: F401
        import draftbot.rewrite  # noqa: F401

        if self.model != "offline":
            import httpx  # noqa: F401
            import langchain_openai  # noqa: F401
            import openai  # noqa: F401

            import draftbot.engines.llm  # noqa: F401
            import draftbot.prompting  # noqa: F401
        if self.opts.docx:
            import draftbot.export.docx_writer  # noqa: F401

    def _leaders(self, todo: list[_Job]) -> list[_Job]:
        seen: dict[str, _Job] = {}
        for job in todo:
            seen.setdefault(job.inputs.plan.name, job)
        return list(seen.values())

    def _wait_for_leader(self, leaders: list[_Job], job: _Job) -> None:
        if self.model == "offline":
            return  # no provider cache to warm
        leader = next(j for j in leaders if j.inputs.plan.name == job.inputs.plan.name)
        deadline = time.monotonic() + LEADER_WAIT
        while not leader.started.is_set() and time.monotonic() < deadline:
            if leader.outcome.status != "pending":
                leader.started.set()
                break
            time.sleep(0.01)

    def _run_job(self, job: _Job) -> None:
        outcome = job.outcome
        started = time.monotonic()
        try:
            self._draft(job)
        except DraftbotError as exc:
            outcome.status, outcome.error = "failed", exc.message
        except OSError as exc:  # a full disk, a folder made read-only …
            where = f"“{exc.filename}”" if getattr(exc, "filename", None) else ""
            outcome.status, outcome.error = "failed", f"读写文件{where}时出错：{os_message(exc)}"
        except Exception as exc:  # noqa: BLE001 - one report's bug never stops the others
            outcome.status, outcome.error = "failed", f"内部错误：{type(exc).__name__}: {exc}"
        finally:
            job.started.set()
        outcome.seconds = round(time.monotonic() - started, 3)
        self._usage(job)
        if outcome.status != "skipped":  # a skipped report keeps its entry (and what it cost then)
            self.manifest.put(job.facts, key=job.key, **_entry(outcome))
        self.on_done(outcome)

    def _draft(self, job: _Job) -> None:
        entry = self.manifest.get(job.facts) or {}
        same = entry.get("key") == job.key and job.out.exists()
        if same and entry.get("status") in ("done", "skipped"):
            return self._skip(job, entry)
        if same and entry.get("status") == "failed" and str(entry.get("error", "")).startswith(EXPORT_FAILED):
            return self._skip(job, entry)  # drafted and checked: only the Word file is missing
        if same and entry.get("status") == "failed" and entry.get("failed_sections"):
            return self._redo_failed(job)
        if same and entry.get("status") == "running" and _adoptable(job):
            return self._adopt(job)
        ours = bool(entry) and job.out.exists()
        # sections finished by a run that was killed are in the journal: reuse them (journal.py
        # checks they were made from the same inputs), unless that would replace someone's draft
        resume = _journaled(job.out) and (ours or self.opts.force or not job.out.exists())
        self.manifest.put(job.facts, key=job.key, status="running", draft=job.outcome.draft,
                         masked=bool(self.opts.mask or self.opts.mask_names))
        job.engine, _ = self._engine(job)
        result = workflow.write_report(
            job.facts, output=job.out, plan=self.opts.plan, samples=self.opts.samples,
            add_samples=self.opts.add_samples, engine=job.engine, force=ours or self.opts.force,
            docx=self.opts.docx, on_event=job.on_event, resume=resume, **self.opts.extra,
        )  # fmt: skip
        job.add_run(result.run, result.repair)
        self._record(job, result, "起草")

    def _engine(self, job: _Job):
        names = workflow.name_table(job.inputs.facts, self.opts.mask, self.opts.mask_names, inputs=job.inputs)
        options = {"slots": self.slots}
        return workflow.make_engine(
            self.opts.engine, self.opts.flags, names=names, draft=str(job.out), options=options
        )

    def _redo_failed(self, job: _Job) -> None:
        self.manifest.put(job.facts, status="running")
        job.engine, _ = self._engine(job)
        result = workflow.regenerate_sections(
            job.out, failed=True, plan=self.opts.plan, samples=self.opts.samples, engine=job.engine,
            on_event=job.on_event,
        )
        job.add_run(result.run)
        self._record(job, result, "重做失败部分")
        if self.opts.docx and not job.outcome.failed_sections:
            self._export(job, force=True)

    def _skip(self, job: _Job, entry: dict) -> None:
        outcome = job.outcome
        for key in ("sections", "failed_sections", "findings", "currency", "docx"):
            if _same_kind(entry.get(key), getattr(outcome, key)):  # a hand-edited manifest is ignored
                setattr(outcome, key, entry[key])
        outcome.status, outcome.action = "skipped", "跳过（已完成）"
        outcome.tokens = {"input": 0, "cached": 0, "output": 0}  # nothing spent this time
        outcome.cost = None
        if self.opts.docx:
            out = workflow.docx_beside(job.out, job.facts)
            if out.exists():  # made earlier (by a batch or by hand): left as it is
                outcome.docx = self.manifest.name(out)
            else:
                self._export(job, force=False)

    def _adopt(self, job: _Job) -> None:
        """A draft written by a run killed before it could record it: check it instead of paying again."""
        from draftbot.draft import load_draft

        draft = load_draft(job.out)
        report = workflow.check_saved(job.out, job.inputs)
        self._fill(job.outcome, draft, report, [])
        usage = draft.meta.get("usage") or {}
        job.outcome.tokens = {"input": 0, "cached": 0, "output": 0}
        job.outcome.status, job.outcome.action = "done", "沿用（上次已写完）"
        if isinstance(usage, dict):
            job.outcome.tokens = {k: int(usage.get(f"{k}_tokens", 0)) for k in ("input", "cached", "output")}
        if self.opts.docx:
            self._export(job, force=True)

    def _export(self, job: _Job, force: bool) -> None:
        out = workflow.docx_beside(job.out, job.facts)
        workflow.export_word(job.out, out, force=force)
        job.outcome.docx = self.manifest.name(out)

    def _record(self, job: _Job, result, action: str) -> None:
        self._fill(job.outcome, result.draft, result.report, result.failed)
        job.outcome.action = action
        job.outcome.status = "failed" if job.outcome.failed_sections else "done"
        if job.outcome.failed_sections:
            job.outcome.error = f"{job.outcome.failed_sections} 个部分生成失败"
        if isinstance(result, workflow.WriteResult) and result.export is not None:
            job.outcome.docx = self.manifest.name(result.export.path)
        failed_export = getattr(result, "export_error", None)
        if failed_export is not None and not job.outcome.failed_sections:  # the draft is fine: a rerun only exports
            job.outcome.status, job.outcome.error = "failed", f"{EXPORT_FAILED}{failed_export.message}"

    @staticmethod
    def _fill(outcome: ReportOutcome, draft, report, failed) -> None:
        outcome.sections = len(draft.sections)
        outcome.failed_sections = len(failed) if failed else sum(1 for s in draft.sections if s.failed)
        summary = report.summary
        outcome.findings = {"error": summary.errors, "warning": summary.warnings, "info": summary.infos}
        outcome.error = ""

    def _usage(self, job: _Job) -> None:
        """What this report's model runs spent (every request, failed ones too)."""
        if job.engine is None or job.engine.name != "llm":
            return
        job.outcome.tokens = dict(job.tokens)
        if job.currency:
            job.outcome.cost, job.outcome.currency = round(job.cost, 6), job.currency

    # -- progress -----------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """Reports done and failed, sections in flight, tokens and cost so far (any thread)."""
        done = sum(1 for j in self.jobs if j.outcome.status in ("done", "skipped"))
        failed = sum(1 for j in self.jobs if j.outcome.status == "failed")
        running = 0
        tokens = {"input": 0, "cached": 0, "output": 0}
        cost, currency = 0.0, ""
        for job in self.jobs:
            if job.outcome.status == "pending":
                running += len(job.running)
            for k in tokens:
                tokens[k] += job.tokens[k]
            cost += job.cost
            currency = job.currency or currency
        return {"total": len(self.jobs), "done": done, "failed": failed, "running_sections": running,
                "tokens": tokens, "cost": cost, "currency": currency}  # fmt: skip


def _wait_all(futures) -> None:
    """Wait in short slices: a Ctrl-C during Thread.join could leave a worker marked as stopped."""
    from concurrent.futures import wait

    pending = set(futures)
    while pending:
        _, pending = wait(pending, timeout=0.2)


def _adoptable(job: _Job) -> bool:
    """The draft on disk was fully written from these very facts (and has no failed section)."""
    from draftbot.draft import load_draft

    try:
        draft = load_draft(job.out)
    except DraftbotError:
        return False
    return draft.meta.get("facts_sha256") == job.inputs.facts.sha256 and not any(s.failed for s in draft.sections)


def _entry(outcome: ReportOutcome) -> dict:
    values = asdict(outcome)
    values.pop("facts", None)
    return values


def run_batch(files: list[Path], opts: BatchOptions, on_done=None) -> BatchResult:
    batch = Batch(files, opts, on_done)
    batch.prepare()
    return batch.run()


# -- 千人一面: near-identical paragraphs across reports of different people (checks.similarity) ----


def cross_report_check(jobs: list[_Job]) -> list[Similar]:
    """The batch's drafted reports (done or skipped, still on disk) through checks.similarity."""
    from draftbot.checks.similarity import Report, cross_report_check
    from draftbot.draft import load_draft

    reports = []
    for job in jobs:
        if job.outcome.status not in ("done", "skipped") or not job.out.exists() or job.inputs is None:
            continue
        try:
            draft = load_draft(job.out)
        except DraftbotError:
            continue
        reports.append(Report(job.outcome.draft, job.outcome.person, job.inputs.plan, draft))
    return cross_report_check(reports)
