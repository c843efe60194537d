"""The flows the commands share, callable from Python: draft a report, check it, rewrite sections, export Word.

Plain inputs (paths, names, options) and plain results. Nothing is printed here except what an
engine shows while it runs (the LLM engine's progress on stderr); notes that should reach the user
before a long run (which engine, a facts file changed since drafting) go to `notify` when given,
and are kept on the result as well. The `cli` modules parse options, call these functions and
print what they return.

    from draftbot.workflow import write_report
    result = write_report("要点.md", engine="offline")
    print(result.path, result.report.summary.total)
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from draftbot.checks.finding import LEVELS
from draftbot.checks.run import check_draft  # the check flow, for library users too
from draftbot.errors import InputError, Interrupted

FONTS_ENV = "DRAFTBOT_FONTS"


# -- inputs and engines ---------------------------------------------------------------------------


@dataclass
class Inputs:
    """What a draft is written from: the facts, the plan and the samples."""

    facts: Any
    plan: Any
    samples: list


def load_inputs(facts: str | Path, plan: str | None = None, samples: str | Path | None = None,
                add_samples: bool = False) -> Inputs:
    """Read the facts file, resolve the plan (by name, file or the facts' type) and load the samples."""
    from draftbot.facts import load_facts
    from draftbot.plans import resolve_plan
    from draftbot.samples import load_samples

    if add_samples and samples is None:
        raise InputError("--add-samples 需要和 --samples 目录一起使用。")
    facts_data = load_facts(Path(facts))
    sample_path = Path(samples) if samples is not None else None
    return Inputs(facts_data, resolve_plan(plan, facts_data), load_samples(sample_path, add=add_samples))


def test_model(flags: dict, *, local_only: bool = False) -> list[str]:
    """`draftbot config test`: one tiny request to the configured model (engines/selftest.py)."""
    from draftbot.config import resolve_config
    from draftbot.engines.selftest import test_connection

    flags = {k: v for k, v in flags.items() if v is not None}
    cfg = resolve_config({**flags, "local_only": True} if local_only else flags)
    if not cfg.configured:
        from draftbot.errors import ConfigError

        raise ConfigError(
            "还没有设置大模型，没有可以试连的服务。",
            hint="先运行 draftbot config set provider 服务名（如 deepseek、ollama），再运行 draftbot config test。",
        )
    if cfg.local_only and cfg.base_url:  # refused before a key is asked for
        from draftbot.localonly import require_local

        require_local(cfg.base_url)
    cfg.require_ready()
    return test_connection(cfg)


def config_overrides(provider=None, model=None, base_url=None, concurrency=None, timeout=None,
                     context_tokens=None, local_only=False, no_log=False) -> dict:
    """Model settings given on the command line, as the overrides config.resolve_config takes
    (None: not given, the config decides). `local_only` and `no_log` only ever switch on
    local-only and off the audit log."""
    return {
        "provider": provider,
        "model": model,
        "base_url": base_url,
        "concurrency": concurrency,
        "timeout": timeout,
        "context_tokens": context_tokens,
        "local_only": True if local_only else None,
        "audit_log": False if no_log else None,
    }


def make_engine(engine: Any = None, flags: dict | None = None, *, names: Any = None,
                draft: str = "", options: dict | None = None, model: Any = None) -> tuple[Any, str | None]:
    """(engine, note): `engine` is an Engine, a name (offline, llm) or None for "the LLM engine when a
    model is configured, else offline"; the note says which was chosen and why, when that matters.
    `model` is a LangChain chat model of the caller's own (it drafts instead of a configured one);
    `names` (a masking.NameTable) masks every model call; `draft` labels the calls in the audit log;
    `options` go to the LLM engine (e.g. slots)."""
    from draftbot.engines.base import Engine

    if isinstance(engine, Engine):
        return engine, None
    from draftbot.config import choose_engine
    from draftbot.engines import get_engine

    if model is not None:
        from draftbot.config import resolve_config

        config = resolve_config(flags or config_overrides())
        return get_engine("llm", config=config, names=names, draft=draft, model=model, **(options or {})), None
    name, config, note = choose_engine(engine, flags or config_overrides())
    if config is None:
        if names is not None:
            note = " ".join(filter(None, [note, "离线引擎不向外发送任何内容，保密模式无需生效。"]))
        return get_engine(name), note
    return get_engine(name, config=config, names=names, draft=draft, **(options or {})), note


def name_table(facts: Any, mask: bool | None = False, mask_names: str | Path | None = None, *,
               inputs: Inputs | None = None, hint: str | None = None) -> Any:
    """The placeholder table of a masked run (masking.NameTable), or None when not masking. With
    `inputs`, the user's own samples and plan file are searched for names as well, and the built-in
    samples, plans and prompt templates are marked as the program's own (already anonymised)."""
    if not mask and mask_names is None:
        return None
    from draftbot.masking import build_table

    texts, trusted = _mask_sources(inputs) if inputs is not None else ([], [])
    return build_table(facts, Path(mask_names) if mask_names is not None else None,
                       texts=[*texts, hint or ""], trusted=trusted)  # fmt: skip


def _mask_sources(inputs: Inputs) -> tuple[list[str], list[str]]:
    """(the user's texts to search for names, the program's own anonymised texts)."""
    from draftbot.prompting import plan_text
    from draftbot.resources import plans_dir, prompts_dir, samples_dir
    from draftbot.textio import resolved

    def builtin(source, folder: Path) -> bool:
        return source is None or resolved(Path(source)).parent == resolved(folder)

    texts: list[str] = []
    trusted = [p.read_text(encoding="utf-8") for p in sorted(prompts_dir().glob("*.md"))]
    for sample in inputs.samples:
        text = "\n".join([sample.text, *(str(v) for v in (sample.meta or {}).values())])
        (trusted if builtin(sample.source, samples_dir()) else texts).append(text)
    plan = inputs.plan
    if plan is not None:
        (trusted if builtin(plan.source, plans_dir()) else texts).append(plan_text(plan))
    return texts, trusted


MASKED_KEY = "masked"  # front matter: the draft was written in confidential mode
NAMES_KEY = "mask_names"  # front matter: with this names file (relative to the draft's folder)


def draft_names_file(meta: dict, draft_path: Path, mask: bool | None, mask_names):
    """The names file a run on a draft uses: as given, else the one the draft was written with."""
    recorded = (meta or {}).get(NAMES_KEY)
    if mask_names is not None or mask is False or not recorded:
        return mask_names
    path = Path(str(recorded))
    path = path if path.is_absolute() else draft_path.parent / path
    if not path.is_file():
        raise InputError(f"草稿记录的保密名单文件“{path}”不存在。", hint="用 --mask-names 指定名单文件，或加 --no-mask。")
    return path


def draft_mask(meta: dict, mask: bool | None, mask_names, notify=None) -> bool:
    """Whether a run on an existing draft masks: as asked, else as the draft was written
    (its front matter says so); says which when it matters."""
    recorded = bool((meta or {}).get(MASKED_KEY))
    if mask is False and mask_names is not None:
        raise InputError("--no-mask 和 --mask-names 不能同时使用。")
    if mask is None and mask_names is None and recorded:
        _tell(notify, "这份草稿是在保密模式下生成的，本次同样先把名称换成占位符再发送（不需要时加 --no-mask）。")
        return True
    if mask is False and recorded:
        _tell(notify, "这份草稿是在保密模式下生成的，但已按 --no-mask 关闭保密模式：真实名称会发给模型。")
    return bool(mask) or mask_names is not None


def mark_masked(text: str) -> str:
    """The draft's text with `masked: true` in its front matter."""
    from draftbot.draft import parse_draft
    from draftbot.draftedit import set_front_matter

    meta = dict(parse_draft(text).meta)
    if meta.get(MASKED_KEY):
        return text
    meta[MASKED_KEY] = True
    return set_front_matter(text, meta)


# -- write: draft -> save -> check -> export -------------------------------------------------------


@dataclass
class WriteResult:
    """What `write_report` did: the draft, where it was saved, the check report, the Word file."""

    draft: Any
    path: Path
    inputs: Inputs
    engine: Any
    results: list
    notes: list[str] = field(default_factory=list)  # where facts without a matching heading went
    engine_note: str | None = None  # why this engine (e.g. no model configured: offline)
    backup: Path | None = None
    report: Any = None  # checks.run.CheckReport of the saved draft
    export: ExportResult | None = None
    names: Any = None  # masking.NameTable of a masked run
    usage_lines: list[str] = field(default_factory=list)  # the engine's report on the first write
    repair: Any = None  # repair.RepairResult when repair rounds ran
    resume_note: str | None = None  # what `resume` reused, or why it could not
    reused: list[str] = field(default_factory=list)  # section ids taken from the journal
    export_error: Exception | None = None  # the draft was saved, the Word file was not
    run: Any = None  # engines.base.EngineRun of the first write (usage, notes, interrupted)
    promises: list | None = None  # lastyear.Promise per plan of last year's report (write --last-year)

    @property
    def failed(self) -> list:
        """The section results that failed (their sections carry a failure marker)."""
        return [r for r in self.results if r.failed]

    @property
    def chars(self) -> int:
        draft = self.draft
        return sum(len(s.body) for s in draft.sections) + len(draft.opening) + len(draft.closing)


def default_output(facts_path: str | Path) -> Path:
    """要点.md -> 要点.draft.md"""
    facts_path = Path(facts_path)
    return facts_path.with_name(f"{facts_path.stem}.draft.md")


def refuse_before_writing(facts: Path, out: Path, *, force: bool, docx: bool) -> None:
    """Every refusal that needs no drafting happens before any work (or any paid request) is done."""
    from draftbot.textio import check_target, resolved

    if resolved(out) == resolved(facts):
        raise InputError("输出文件不能与事实文件相同，否则会覆盖事实文件。")
    check_target(out, force=force, what="草稿")
    if docx:
        check_docx_output(docx_beside(out, facts), force=force)


def write_report(
    facts: str | Path,
    *,
    output: str | Path | None = None,
    plan: str | None = None,
    samples: str | Path | None = None,
    add_samples: bool = False,
    engine: Any = None,
    flags: dict | None = None,
    force: bool = False,
    docx: bool = False,
    fonts: Any = None,
    on_event: Any = None,
    notify: Any = None,
    repair: int | None = None,
    repair_budget: int | None = None,
    resume: bool = False,
    mask: bool = False,
    mask_names: str | Path | None = None,
    model: Any = None,
    last_year: str | Path | None = None,
) -> WriteResult:
    """Draft a report from a facts file, save it (never overwriting without `force`), check it,
    and with `docx` export the Word file beside it. Failed sections are marked in the draft and
    listed in `result.failed`; the caller decides what that means (the CLI exits 3). Once the draft
    is saved, a failing export does not lose it: the error is kept in `result.export_error`.

    Finished sections are journaled next to the draft as they come in; with `resume` a journal
    of the same facts, plan, samples and model is reused and only the rest is requested (an
    existing draft is then replaced, keeping a backup). After drafting, up to `repair` rounds
    (default: 1 with a model, 0 offline) rewrite the sections with error-level findings. With
    `mask` (or a `mask_names` list file) names leave the machine only as placeholders (masking.py).

    `model`: any LangChain chat model (a `BaseChatModel`) drafts instead of a configured provider;
    `on_event` sees the engine's progress events (engines/base.py) as they happen."""
    from draftbot.draft import parse_draft
    from draftbot.errors import DraftbotError

    facts_path = Path(facts)
    out = Path(output) if output is not None else default_output(facts_path)
    refuse_before_writing(facts_path, out, force=force or resume, docx=docx)
    if docx and fonts is None:
        fonts = resolve_font_options()  # a bad $DRAFTBOT_FONTS is refused before any drafting
    inputs = load_inputs(facts_path, plan, samples, add_samples)
    names = name_table(inputs.facts, mask, mask_names, inputs=inputs)
    chosen, note = make_engine(engine, flags, names=names, draft=str(out), model=model)
    _tell(notify, note)
    writer = _with_last_year(chosen, last_year, inputs, notify)
    draft, routing, run, journal, wrapped = _compose_journaled(inputs, writer, out, on_event, resume, notify)
    result = WriteResult(draft, out, inputs, chosen, run.sections, list(routing.notes), note)
    result.names, result.run = names, run
    result.resume_note, result.reused = journal.note, wrapped.reused
    result.usage_lines = list(run.summary)
    if names is not None:
        draft.meta[MASKED_KEY] = True  # regen, repair, review and batch on it mask too
        if mask_names is not None:  # ... with the same names file
            draft.meta[NAMES_KEY] = _relative_to(Path(mask_names), out)
    if last_year is not None:
        draft.meta["last_year"] = _relative_to(Path(last_year), out)  # check, export, regen find it again
    text = draft.render()
    rounds = default_repair_rounds(chosen) if repair is None else repair
    if rounds > 0 and not result.failed:  # failed or interrupted: --resume first, repair later
        try:
            result.repair = repair_text(text, inputs, chosen, rounds=rounds, budget=repair_budget,
                                        label=str(out), record=True, on_event=on_event)  # fmt: skip
        except KeyboardInterrupt:  # every section is paid for: keep the draft as it was before repair
            save_draft(out, text, force=force or resume)
            journal.remove()
            raise Interrupted(
                f"草稿已保存（自动修复之前的版本）：{out}", hint=f"继续自动修复：draftbot repair {out}"
            ) from None
        if result.repair.text != text:
            text = result.repair.text
            result.draft = draft = parse_draft(text, out)
    result.backup = save_draft(out, text, force=force or resume)
    if not result.failed:
        journal.remove()
    result.report = check_saved(out, inputs)
    if last_year is not None:
        result.promises = result.report.inputs.promises
    if docx:
        try:
            result.export = export_word(
                draft, docx_beside(out, facts_path), force=force, fonts=fonts, report=result.report
            )
        except DraftbotError as exc:
            result.export_error = exc
    return result


def _relative_to(path: Path, out: Path) -> str:
    """`path` as the file at `out` would name it (relative to its folder where possible)."""
    from draftbot.textio import resolved

    try:
        return Path(os.path.relpath(resolved(path), resolved(out).parent)).as_posix()
    except ValueError:  # another drive on Windows
        return str(resolved(path))


def _with_last_year(engine: Any, last_year, inputs: Inputs, notify) -> Any:
    """With last year's report: the model is told which of its plans this year's facts show done."""
    if last_year is None:
        return engine
    from draftbot.lastyear import LastYearEngine, done_plan_groups, load_last_year

    last = load_last_year(last_year)
    groups = done_plan_groups(last, inputs.facts, inputs.plan)
    done = sum(len(g.facts) for g in groups.values())
    _tell(notify, f"去年的报告中有 {len(last.promises)} 项打算，事实显示已完成 {done} 项"
                  + ("，已告诉模型写明落实情况。" if engine.name != "offline" else "。"))
    return engine if engine.name == "offline" else LastYearEngine(engine, groups)


def save_draft(path: Path, text: str, *, force: bool) -> Path | None:
    """Save a drafted text (perhaps paid for): when the file cannot be written after all, the text
    goes to a rescue file and the error says where. Returns the backup of the old file, if any."""
    from draftbot.textio import write_text_safely

    return write_text_safely(path, text, force=force, what="草稿", precious=True)


def _tell(notify, note: str | None) -> None:
    if notify is not None and note:
        notify(note)


def _compose_journaled(inputs: Inputs, engine: Any, out: Path, on_event: Any, resume: bool, notify=None):
    """compose_run with each finished section journaled next to `out` (reused with `resume`)."""
    from draftbot.compose import compose_run
    from draftbot.journal import Journal, JournaledEngine, journal_key, journal_path

    key = journal_key(inputs.facts, inputs.plan, inputs.samples, engine)
    path = journal_path(out)
    journal = Journal.resume(path, key)[0] if resume else Journal.start(path, key)
    _tell(notify, journal.note)
    wrapped = JournaledEngine(engine, journal)
    try:
        draft, routing, run = compose_run(
            inputs.facts, inputs.plan, inputs.samples, wrapped, out_path=out, on_event=on_event
        )
    except BaseException:
        if not journal.sections:
            journal.remove()
        raise
    return draft, routing, run, journal, wrapped


def dry_run(facts: str | Path, *, output: str | Path | None = None, plan: str | None = None,
            samples: str | Path | None = None, add_samples: bool = False, flags: dict | None = None,
            mask: bool = False, mask_names: str | Path | None = None) -> str:
    """The prompts a model write would send (masked, with `mask`) and their token counts, as text;
    nothing is sent or written."""
    from draftbot.compose import build_requests

    out = Path(output) if output is not None else default_output(facts)
    from draftbot.textio import resolved

    if resolved(out) == resolved(Path(facts)):
        raise InputError("输出文件不能与事实文件相同，否则会覆盖事实文件。")
    from draftbot.budget import caps_line, fit_prompts
    from draftbot.config import resolve_config
    from draftbot.prompting import dry_run_text

    inputs = load_inputs(facts, plan, samples, add_samples)
    cfg = resolve_config(flags or config_overrides())
    requests = build_requests(inputs.facts, inputs.plan, inputs.samples)
    fit = fit_prompts(requests, context=cfg.context_tokens, explicit_cap=cfg.max_output_tokens)
    text = dry_run_text(requests, fit.prompts) + "\n" + caps_line(fit)
    names = name_table(inputs.facts, mask, mask_names, inputs=inputs)
    if names is None:
        return text
    names.search(text)  # what the last gate would add before sending
    table = ["===== 保密模式：占位符（只在本机显示，不会发送）=====", *names.describe()]
    return names.mask(text) + "\n" + "\n".join(table)


def check_saved(path: str | Path, inputs: Inputs | None = None, *, period: int | None = None) -> Any:
    """Check a saved draft with the inputs it was written from (when known): a checks.run.CheckReport."""
    if inputs is None:
        return check_draft(Path(path), period=period)
    return check_draft(Path(path), facts=inputs.facts, plan=inputs.plan, samples=inputs.samples, period=period)


# -- regen: pick -> rewrite -> save ---------------------------------------------------------------


@dataclass
class RegenResult:
    """What `regenerate_sections` did: the parts chosen, their results, the backup, the new check."""

    draft: Any
    path: Path
    inputs: Inputs
    engine: Any
    sections: list[str]  # the chosen parts' labels (三、…, 开头, 结尾)
    results: list
    notes: list[str] = field(default_factory=list)  # e.g. the facts file changed since drafting
    engine_note: str | None = None
    backup: Path | None = None
    report: Any = None
    names: Any = None  # masking.NameTable of a masked run
    run: Any = None  # engines.base.EngineRun (usage, notes, interrupted)

    @property
    def done(self) -> list[str]:
        return [s for s, r in zip(self.sections, self.results, strict=True) if not r.failed]

    @property
    def failed(self) -> list:
        return [r for r in self.results if r.failed]


def regen_inputs(document: Any, path: Path, facts=None, plan=None, samples=None) -> tuple[Inputs, list[str]]:
    """The facts, plan and samples a draft was written from (or those given), and notes about them.
    The facts are read again from their file, so a fact the user corrected is used."""
    from draftbot.checks.run import resolve_inputs

    resolved = resolve_inputs(document.meta, path, facts, plan, samples, None, None)
    if resolved.facts is None:
        raise InputError(
            f"找不到草稿“{path}”对应的事实文件，无法重新生成。", hint="用 --facts 指定事实要点文件。"
        )
    if resolved.plan is None:
        raise InputError(f"草稿“{path}”没有记录提纲。", hint="用 --plan 指定提纲，如 --plan 述职报告。")
    notes = [n for n in resolved.notes if "事实文件" in n and "改动" in n]
    return Inputs(resolved.facts, resolved.plan, resolved.samples), notes


def _editable_draft(path: Path) -> str:
    """The text of a .md/.txt draft that draftbot may rewrite in place (a .docx goes through docxedit)."""
    from draftbot.textio import read_text

    return read_text(path, "草稿")


def _docx_edit(path: Path, facts=None, plan=None):
    """A .docx opened for rewriting in place (None for a .md/.txt draft)."""
    if path.suffix.lower() != ".docx":
        return None
    from draftbot.docxedit import open_docx_edit

    return open_docx_edit(path, mappable_without_embed=facts is not None and plan is not None)


def _refuse_docx_sub_items(edit, keys: list, document) -> None:
    """A Word file is rewritten a whole part at a time: a sub-item is refused before any request."""
    sub = next((k for k in keys if isinstance(k, tuple)), None)
    if edit is not None and sub is not None:
        number = document.sections[sub[0] - 1].number
        raise InputError(
            f"Word 文件暂不支持只重写小标题（{sub[1]}）这一项，只能重写整个部分。",
            hint=f"用 --section {number} 重写第{number}部分；或对 .md 草稿只重写这一项。",
        )


def _check_docx_mapping(edit, keys: list, inputs: Inputs) -> None:
    if edit is not None:
        from draftbot.docxedit import check_mapping

        check_mapping(edit, keys, inputs.plan)


def _save_edit(edit, path: Path, old: str, new: str, track: bool) -> Path | None:
    if edit is None:
        return save_rewritten(path, old, new)
    return edit.save(new, track=track)


def _sources(inputs: Inputs):
    from draftbot.rewrite import Sources

    return Sources(inputs.facts, inputs.plan, inputs.samples)


def save_rewritten(path: Path, old: str, new: str) -> Path | None:
    """Save a rewritten draft keeping the previous text as a backup; nothing at all when unchanged.

    The draft may have changed while the model was writing (a hand edit, another regen): under a
    lock on its folder the file is read again and only the rewritten parts are applied to it. When
    the same part changed on both sides, nothing is overwritten: the new text is saved beside it."""
    from draftbot.atomicfile import rescue_copy
    from draftbot.draftedit import merge_rewrite
    from draftbot.redact import clean
    from draftbot.textio import folder_lock

    if new == old:
        return None
    with folder_lock(path.parent):
        try:
            current = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        except (OSError, UnicodeDecodeError):
            current = old  # gone or unreadable: save_draft says what is wrong
        merged = merge_rewrite(old, new, current)
        if merged is None:
            rescue = rescue_copy(path, clean(new).encode("utf-8"))
            raise InputError(
                f"草稿“{path}”在重新生成期间被改动过（同一部分也改了），为不覆盖这些改动，没有保存。"
                f"新生成的全文另存为：{rescue}",
                hint="对照两个文件，把需要的内容复制过去；或重新运行一次。",
            )
        if merged == current:
            return None
        return save_draft(path, merged, force=True)



@dataclass
class _Rewrite:
    """What regen and repair start from: the draft, its inputs and the engine that rewrites it."""

    path: Path
    text: str
    document: Any
    inputs: Inputs
    notes: list[str]
    names: Any
    engine: Any
    engine_note: str | None
    picked: Any = None  # the parts `pick` chose
    edit: Any = None  # docxedit's handle when the draft is a .docx rewritten in place


def _open_rewrite(draft: str | Path, *, facts, plan, samples, engine, flags, notify, mask, mask_names,
                  model=None, pick=None, hint=None) -> _Rewrite:
    """The preamble regen and repair share: read the draft (a .docx through docxedit; a folder it
    cannot be saved in is refused before any request), `pick` its parts, resolve the inputs it was
    written from, and build the engine. Notes go to `notify` as they come."""
    from draftbot.draft import parse_draft
    from draftbot.textio import check_target

    path = Path(draft)
    edit = _docx_edit(path, facts, plan)
    text = edit.text if edit is not None else _editable_draft(path)
    check_target(path, force=True, what="草稿")
    document = parse_draft(text, path)
    picked = pick(document) if pick is not None else None
    inputs, notes = regen_inputs(document, path, facts, plan, samples)
    if picked is not None:
        _refuse_docx_sub_items(edit, picked, document)
        _check_docx_mapping(edit, picked, inputs)
    for note in notes:
        _tell(notify, note)
    mask = draft_mask(document.meta, mask, mask_names, notify)  # as the draft was written, unless told
    mask_names = draft_names_file(document.meta, path, mask, mask_names)
    names = name_table(inputs.facts, mask, mask_names, inputs=inputs, hint=hint)
    recorded = recorded_model(document.meta, engine, flags, model)
    if recorded is None:
        chosen, note = make_engine(engine, flags, names=names, draft=str(path), model=model)
    else:
        chosen, note = _recorded_engine(recorded, document.meta, names, str(path))
    _tell(notify, note)
    return _Rewrite(path, text, document, inputs, notes, names, chosen, note, picked, edit)


def recorded_model(meta: dict, engine: Any, flags: dict | None, model: Any = None) -> dict | None:
    """The model settings a draft records (provider, model, base URL; never a key), as flags for
    regen, repair and review when no engine or model flag was given: a draft a model wrote is
    rewritten by that model, not silently by the offline engine. None when nothing applies (a
    model given on the command line, in the environment or in the config is used as it is)."""
    if engine is not None or model is not None or meta.get("engine") != "llm":
        return None
    given = flags or config_overrides()
    if any(given.get(k) for k in ("provider", "model", "base_url")):
        return None  # what the command line says wins
    from draftbot.config import resolve_config

    if resolve_config(given).configured:  # ... and a model set up in the environment or config
        return None
    provider = meta.get("provider")
    if provider == "langchain":  # a caller's own chat model: nothing to reconnect to
        return None
    recorded = {"provider": None if provider in (None, "custom") else str(provider),
                "model": meta.get("model") or None, "base_url": meta.get("base_url") or None}
    if not any(recorded.values()):
        return None
    return {**given, **recorded}


def _recorded_engine(flags: dict, meta: dict, names: Any, draft: str) -> tuple[Any, str | None]:
    """The LLM engine for the model a draft records; a missing key or server is said, not
    replaced by the offline engine (exit 2, with the flag that would use it)."""
    from draftbot.errors import ConfigError

    provider = None if meta.get("provider") == "custom" else meta.get("provider")
    what = "、".join(str(v) for v in (provider, meta.get("model"), meta.get("base_url")) if v)
    try:
        chosen, _ = make_engine("llm", flags, names=names, draft=draft)
    except ConfigError as exc:
        raise ConfigError(
            f"草稿是用大模型（{what}）写的，本次也用它改写，但{exc.message}",
            hint="；".join(filter(None, [exc.hint, "或加 --engine offline 改用离线引擎（按要点和提纲写出固定的文字）"])),
        ) from None
    return chosen, f"按草稿记录使用大模型：{what}（密钥取自环境变量或配置）。"


def _masked_text(job: _Rewrite, text: str) -> str:
    """A rewritten .md draft of a masked run records it in its front matter."""
    if job.names is None or job.edit is not None or text == job.text:
        return text
    return mark_masked(text)


def regenerate_sections(
    draft: str | Path,
    sections: list[str] | str | int | None = None,
    *,
    failed: bool = False,
    hint: str | None = None,
    facts: str | Path | None = None,
    plan: str | None = None,
    samples: str | Path | None = None,
    engine: Any = None,
    flags: dict | None = None,
    on_event: Any = None,
    notify: Any = None,
    mask: bool | None = None,
    mask_names: str | Path | None = None,
    track: bool = True,
    model: Any = None,
) -> RegenResult:
    """Rewrite the parts named in `sections` (3, 三, 开头, 结尾 or heading text) and, with `failed`,
    every failed section. The request carries each part's current findings, the `hint` and the other
    parts as they stand; every other byte of the file stays as it is. The old file is kept as a
    backup; a part whose rewrite failed keeps its old text (nothing failed: the file is untouched).
    A .docx is rewritten in place (docxedit): only the chosen parts' paragraphs change, as tracked
    changes unless `track` is off."""
    from draftbot.draft import parse_draft
    from draftbot.rewrite import make_checker, pick_parts, regenerate_parts

    if isinstance(sections, (str, int)):
        sections = [sections]  # one part: 3, "3", "三", "开头" …
    job = _open_rewrite(draft, facts=facts, plan=plan, samples=samples, engine=engine, flags=flags,
                        notify=notify, mask=mask, mask_names=mask_names, model=model, hint=hint,
                        pick=lambda document: pick_parts(document, [str(n) for n in sections or []], failed))  # fmt: skip
    path, sources = job.path, _sources(job.inputs)
    done = regenerate_parts(job.text, job.picked, sources, job.engine, check=make_checker(sources, label=str(path), at=path),
                            hint=hint, on_event=on_event)  # fmt: skip
    result = RegenResult(parse_draft(done.text, path), path, job.inputs, job.engine, done.labels, done.results,
                         job.notes, job.engine_note)  # fmt: skip
    result.names, result.run = job.names, done.run
    result.backup = _save_edit(job.edit, path, job.text, _masked_text(job, done.text), track)
    result.report = check_saved(path, job.inputs)
    return result


# -- repair: check -> rewrite flagged parts -> keep the best -> save -------------------------------


@dataclass
class RepairRun:
    """What `repair_draft` did: the repair result (per part before/after, rounds, tokens, money)."""

    path: Path
    repair: Any  # repair.RepairResult
    engine: Any
    notes: list[str] = field(default_factory=list)
    engine_note: str | None = None
    backup: Path | None = None
    report: Any = None


def default_repair_rounds(engine: Any) -> int:
    """Without --repair: one round with a model, none offline (it would write the same text again)."""
    return 1 if engine.name == "llm" else 0


def repair_text(text: str, inputs: Inputs, engine: Any, *, rounds: int, budget: int | None = None,
                label: str = "<草稿>", hint: str | None = None, record: bool = False, on_event: Any = None):
    """The repair loop on a draft's text; the result's text carries the run in its front matter
    when it changed something (with `record`: whenever a request was sent)."""
    from draftbot.repair import DEFAULT_BUDGET, repair, with_history
    from draftbot.rewrite import make_checker

    sources = _sources(inputs)
    at = None if label == "<草稿>" else Path(label)  # judged as `draftbot check` judges the saved file
    result = repair(text, check=make_checker(sources, label=label, at=at), engine=engine, sources=sources,
                    rounds=rounds, budget=DEFAULT_BUDGET if budget is None else budget, hint=hint,
                    on_event=on_event)  # fmt: skip
    if result.changed or (record and result.requests):
        result.text = with_history(result, engine)
    return result


def repair_draft(
    draft: str | Path,
    *,
    rounds: int | None = None,
    budget: int | None = None,
    facts: str | Path | None = None,
    plan: str | None = None,
    samples: str | Path | None = None,
    engine: Any = None,
    flags: dict | None = None,
    notify: Any = None,
    hint: str | None = None,
    mask: bool | None = None,
    mask_names: str | Path | None = None,
    track: bool = True,
    model: Any = None,
    on_event: Any = None,
) -> RepairRun:
    """Repair an existing draft: each part with error-level findings is rewritten with its findings,
    for up to `rounds` rounds (default 1 with a model); only what the checker judges better is kept.
    The file changes only when something was fixed (the old text is kept as a backup)."""
    job = _open_rewrite(draft, facts=facts, plan=plan, samples=samples, engine=engine, flags=flags,
                        notify=notify, mask=mask, mask_names=mask_names, model=model, hint=hint)  # fmt: skip
    rounds = max(1, default_repair_rounds(job.engine)) if rounds is None else rounds
    result = repair_text(job.text, job.inputs, job.engine, rounds=rounds, budget=budget, label=str(job.path),
                         hint=hint, on_event=on_event)  # fmt: skip
    run = RepairRun(job.path, result, job.engine, job.notes, job.engine_note)
    result.text = _masked_text(job, result.text)
    run.backup = _save_edit(job.edit, job.path, job.text, result.text, track)
    run.report = check_saved(job.path, job.inputs)
    return run


# -- export: check -> Word -------------------------------------------------------------------------


@dataclass
class ExportResult:
    """A written Word file, its backup, and the findings put in it as comments."""

    path: Path
    backup: Path | None = None
    findings: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    comments: bool = True
    evidence_path: Path | None = None  # the 事实依据 .docx beside it (export --evidence)
    evidence: list = field(default_factory=list)  # evidence.FigureEvidence rows
    evidence_backup: Path | None = None

    def counts(self) -> dict[str, int]:
        return {level: sum(1 for f in self.findings if f.level == level) for level in LEVELS}


def default_docx_path(draft_path: str | Path) -> Path:
    """要点.draft.md -> 要点.docx ; 报告.txt -> 报告.docx"""
    draft_path = Path(draft_path)
    stem = draft_path.stem
    if stem.endswith(".draft"):
        stem = stem[: -len(".draft")]
    return draft_path.with_name(f"{stem}.docx")


def docx_beside(draft_path: Path, facts_path: Path) -> Path:
    """The .docx `write --docx` makes next to the draft; never the facts file itself (要点.docx)."""
    from draftbot.textio import resolved

    out = default_docx_path(draft_path)
    if resolved(out) == resolved(facts_path):
        out = draft_path.with_suffix(".docx")
    return out


def check_docx_output(out: Path, *, force: bool, source: Path | None = None) -> None:
    """Refuse before any work: a folder, a missing folder, the draft itself, or a file without --force."""
    from draftbot.textio import check_target, resolved

    if out.suffix.lower() != ".docx":
        raise InputError(f"输出文件“{out}”应以 .docx 结尾。")
    if source is not None and resolved(out) == resolved(source):
        raise InputError(f"输出文件“{out}”与草稿是同一个文件，请用 -o 指定新的文件名。")
    if out.exists() and not force:
        raise InputError(
            f"Word 文件“{out}”已存在，未覆盖（里面可能有您在 Word 中的修改）。",
            hint="加 --force 覆盖（旧文件会保留为 .bak 备份），或用 -o 指定新的文件名。",
        )
    check_target(out, force=force, what="Word 文件")


def resolve_font_options(preset: str | None = None, overrides: list[str] | None = None):
    """The font set: a preset (gb2312, windows, noto; default from $DRAFTBOT_FONTS) plus role=font overrides."""
    from draftbot.export.fonts import resolve_fonts

    return resolve_fonts(preset or os.environ.get(FONTS_ENV) or None, overrides)


def export_word(
    draft: Any,
    out: str | Path | None = None,
    *,
    comments: bool = True,
    fonts: Any = None,
    force: bool = False,
    check_options: dict | None = None,
    min_level: str = "info",
    report: Any = None,
    evidence: bool = False,
    last_year: str | Path | None = None,
) -> ExportResult:
    """Check the draft (unless comments are off), then write the GB/T 9704 .docx, keeping a backup
    of an old one. `draft`: a Draft or a path (.md, .txt, .docx); `report`: a check report of this
    very draft's text, when the caller has one already."""
    from draftbot.draft import Draft, load_draft
    from draftbot.export.docx_writer import build_docx
    from draftbot.textio import write_bytes_safely

    if min_level not in LEVELS:
        raise InputError(f"--min-level 只能是 info、warning 或 error，而不是“{min_level}”。")
    if not isinstance(draft, Draft):
        source = Path(draft)
        out = Path(out) if out is not None else default_docx_path(source)
        check_docx_output(out, force=force, source=source if source.exists() else None)
        draft = load_draft(source)
    else:
        if out is None and draft.path is None:
            raise InputError("这份草稿没有文件路径，请指定 Word 文件的保存位置。")
        out = Path(out) if out is not None else default_docx_path(draft.path)
        check_docx_output(out, force=force, source=draft.path)
    result = ExportResult(out, comments=comments)
    if evidence or last_year is not None:
        result.evidence_path = evidence_docx_path(out)
        check_docx_output(result.evidence_path, force=force)
    source_text = draft.render()  # the text the findings' line numbers refer to
    if last_year is not None:
        check_options = {**(check_options or {}), "last_year": last_year}
        report = None  # checked again, with last year's report
    if comments or result.evidence_path is not None:
        from draftbot.checks.run import check_draft

        report = report or check_draft(draft, **(check_options or {}))
    if comments:
        result.findings, result.notes = _findings(draft, check_options or {}, min_level, report)
    fonts = fonts or resolve_font_options()
    tables = _review_tables(report, evidence, last_year, result) if result.evidence_path else []
    data = build_docx(
        _for_output(draft, out), findings=result.findings, fonts=fonts,
        comments=comments, source_text=source_text,
    )
    result.backup = write_bytes_safely(out, data, force=force, what="Word 文件")
    if tables:
        from draftbot.export.docx_writer import fixed_datetime
        from draftbot.export.tables import build_tables_docx

        title = f"{draft.title or '报告'} 审核用表"
        sheet = build_tables_docx(title, tables, fonts=fonts, when=fixed_datetime(draft.meta or {}))
        result.evidence_backup = write_bytes_safely(result.evidence_path, sheet, force=force, what="Word 文件")
    return result


def evidence_docx_path(out: Path) -> Path:
    """报告.docx -> 报告.事实依据.docx"""
    return out.with_name(f"{out.stem}.事实依据.docx")


def _review_tables(report, evidence: bool, last_year, result: ExportResult) -> list:
    """The tables of the reviewer's companion file: 事实依据 and (with last year's report) 去年打算落实情况."""
    from draftbot.export.tables import Table

    tables = []
    inputs = report.inputs
    if inputs is None or inputs.facts is None:
        raise InputError("导出事实依据表需要事实文件：草稿没有记录事实文件，或找不到它。", hint="用 --facts 指定事实要点文件。")
    if evidence:
        from draftbot.evidence import UNSOURCED, figure_evidence

        rules = inputs.rules
        result.evidence = figure_evidence(report.text, inputs.facts, period=inputs.period,
                                          allowed_years=rules.allowed_years if rules else (),
                                          options=rules.figure_options() if rules else None)  # fmt: skip
        rows = [[str(n), row.figure, row.part, row.sentence, row.source_text,
                 UNSOURCED if row.status == UNSOURCED else "已核对依据"]
                for n, row in enumerate(result.evidence, 1)]  # fmt: skip
        note = ("草稿中的每个数字、所在的句子和它出自的事实要点（文件:行：要点）；“待核实”的数字在事实要点中找不到，"
                "请核对后补进要点或修改。")  # fmt: skip
        tables.append(Table("一、事实依据", note, ["序号", "数字", "所在部分", "原句", "依据（文件:行：要点）", "核实"],
                            rows, [12, 22, 40, 80, 80, 20]))  # fmt: skip
    if last_year is not None:
        from draftbot.lastyear import promise_table

        tables.append(promise_table(last_year, inputs.promises or [], number="二、" if evidence else "一、"))
    return tables


def _findings(draft, options: dict, min_level: str, report=None) -> tuple[list, list[str]]:
    from draftbot.checks.finding import filter_level

    report = report or check_draft(draft, **options)
    return filter_level(report.findings, min_level), list(report.notes)


def _for_output(draft, out: Path):
    """A copy whose recorded facts path is relative to the .docx's folder, so check finds it there."""
    from draftbot.textio import resolved

    recorded = draft.meta.get("facts") if draft.meta else None
    if not recorded or draft.path is None:
        return draft
    facts = Path(str(recorded))
    if not facts.is_absolute():
        facts = resolved(Path(draft.path).parent / facts)
    copied = copy.copy(draft)
    copied.meta = dict(draft.meta)
    try:
        copied.meta["facts"] = Path(os.path.relpath(facts, resolved(out).parent)).as_posix()
    except ValueError:  # another drive on Windows
        copied.meta["facts"] = str(facts)
    return copied


# -- import: an edited .docx back to a Markdown draft ----------------------------------------------


@dataclass
class ImportResult:
    """A .docx turned back into a .md draft: where it went, what changed per part since export."""

    source: Path
    path: Path
    changes: list[str]  # one line per part that differs from the export
    state: str  # "ok", "none" (draftbot did not write the file) or "damaged"
    backup: Path | None = None
    problem: str = ""


def default_import_path(docx_path: str | Path) -> Path:
    """报告.docx -> 报告.draft.md"""
    docx_path = Path(docx_path)
    return docx_path.with_name(f"{docx_path.stem}.draft.md")


def import_docx(docx: str | Path, output: str | Path | None = None, *, force: bool = False) -> ImportResult:
    """Read an (edited) .docx back as a Markdown draft: the front matter from the embedded part
    (its facts path made relative to the new file), tracked insertions as text, deletions left out.
    Never overwrites without `force` (then the old file is kept as .bak)."""
    from draftbot.docxedit import change_summary, read_docx_edit
    from draftbot.draft import parse_draft
    from draftbot.textio import check_target

    source = Path(docx)
    if source.suffix.lower() != ".docx":
        raise InputError(f"“{source}”不是 .docx 文件：import 只读取 Word 文件。")
    out = Path(output) if output is not None else default_import_path(source)
    if out.suffix.lower() not in (".md", ".txt"):
        raise InputError(f"输出文件“{out}”应以 .md 结尾。")
    check_target(out, force=force, what="草稿")
    edit = read_docx_edit(source)
    draft = parse_draft(edit.text, source)
    draft.path = source
    text = _for_output(draft, out).render()
    result = ImportResult(source, out, change_summary(edit), edit.embedded.state, problem=edit.embedded.problem)
    result.backup = save_draft(out, text, force=force)
    return result


# -- review: findings by part, the command that fixes each ------------------------------------------


@dataclass
class ReviewItem:
    """One flagged part of a draft: its findings and the command that rewrites it (when there is one)."""

    label: str
    findings: list
    spec: str | None = None  # what regen --section takes (三, 开头, 结尾); None: not a part
    command: str | None = None
    why_not: str | None = None  # why draftbot cannot regenerate it

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.level == "warning")


@dataclass
class ReviewResult:
    path: Path
    report: Any  # checks.run.CheckReport
    items: list[ReviewItem]
    text: str | None = None  # the draft's text (.md/.txt), None for a Word file

    @property
    def editable(self) -> bool:
        return self.text is not None


def review_draft(draft: str | Path, *, facts=None, plan=None, samples=None) -> ReviewResult:
    """Check a draft (any document `check` reads) and group the error and warning findings by part,
    each with the exact command that rewrites it where draftbot can map the part to the plan."""
    path = Path(draft)
    options = {"facts": facts, "plan": plan, "samples": samples}
    report = check_saved(path, None, **{k: v for k, v in options.items() if v is not None})
    flagged = [f for f in report.findings if f.level in ("error", "warning")]
    if path.suffix.lower() == ".docx":
        return ReviewResult(path, report, _docx_items(path, flagged, options))
    from draftbot.textio import read_text

    text = read_text(path, "草稿")
    return ReviewResult(path, report, _text_items(path, text, flagged, options), text)


def _docx_items(path: Path, findings: list, options: dict) -> list[ReviewItem]:
    """The flagged parts of a .docx; a section gets its regen command when draftbot can map it
    (an exported file, or --facts and --plan given)."""
    from draftbot.checks.finding import shell_path
    from draftbot.docx_reader import docx_embedded
    from draftbot.draft import load_draft

    mapped = docx_embedded(path).state == "ok" or (options["facts"] is not None and options["plan"] is not None)
    sections = load_draft(path).sections if mapped else []
    extra = "".join(f" --{k} {shell_path(str(options[k]))}" for k in ("facts", "plan") if options[k] is not None)
    why = "不是 draftbot 导出的 Word 文件：加 --facts 和 --plan 后可以按标题对应到提纲再重新生成"
    groups: dict[tuple, list] = {}
    for f in findings:
        groups.setdefault((f.section_index or 0, f.section or "全文"), []).append(f)
    items = []
    for (index, label), found in sorted(groups.items()):
        if 0 < index <= len(sections):
            spec = sections[index - 1].number
            command = f"draftbot regen {shell_path(str(path))} --section {spec}{extra}"
            items.append(ReviewItem(label, found, spec, command))
        else:
            items.append(ReviewItem(label, found, why_not=why if not mapped else "涉及全文，请在 Word 中修改"))
    return items


def _text_items(path: Path, text: str, findings: list, options: dict) -> list[ReviewItem]:
    from draftbot.checks.finding import shell_path
    from draftbot.draft import parse_draft
    from draftbot.draftedit import part_keys, part_label
    from draftbot.rewrite import findings_by_part, part_name, plan_part

    draft = parse_draft(text, path)
    grouped = findings_by_part(text, findings, draft)
    plan_obj, why = _review_plan(draft, path, options)
    items = []
    for key in [*part_keys(draft), None]:
        if key not in grouped:
            continue
        if key is None:
            items.append(ReviewItem("全文", grouped[key], why_not="涉及全文或草稿结构，请手工修改"))
            continue
        item = ReviewItem(part_label(draft, key), grouped[key], part_name(draft, key), why_not=why)
        if plan_obj is not None and plan_part(draft, key, plan_obj) is None:
            item.why_not = f"在提纲“{plan_obj.name}”中找不到对应的部分，请手工修改"
        elif why is None:
            item.command = f"draftbot regen {shell_path(str(path))} --section {item.spec}"
        items.append(item)
    return items


def _review_plan(draft, path: Path, options: dict):
    """(plan, None) when parts of this draft can be regenerated, else (plan or None, the reason)."""
    from draftbot.checks.run import resolve_inputs

    try:
        resolved = resolve_inputs(draft.meta, path, options["facts"], options["plan"], [], None, None)
    except InputError as exc:
        return None, exc.message
    if resolved.plan is None:
        return None, "草稿没有记录提纲，无法重新生成（可用 --plan 指定）"
    if resolved.facts is None:
        return resolved.plan, "找不到草稿对应的事实文件，无法重新生成（可用 --facts 指定）"
    return resolved.plan, None


def rewrite_part_text(draft: str | Path, spec: str, body: str) -> Path | None:
    """Put `body` (e.g. edited by hand) in place of one part of a draft file; every other byte stays.
    Returns the backup of the previous file (None when nothing changed)."""
    from draftbot.draft import parse_draft
    from draftbot.draftedit import replace_part
    from draftbot.textio import read_text

    path = Path(draft)
    text = read_text(path, "草稿")
    document = parse_draft(text, path)
    return save_rewritten(path, text, replace_part(text, document.find_part(spec), body, document))


def mark_reviewed(draft: str | Path, spec: str, decision: str = "accepted") -> None:
    """Record a review decision in the draft's front matter (saved at once, no backup: text unchanged)."""
    from datetime import datetime

    from draftbot.draft import parse_draft
    from draftbot.draftedit import set_front_matter
    from draftbot.textio import read_text

    path = Path(draft)
    text = read_text(path, "草稿")
    meta = dict(parse_draft(text, path).meta)
    stamp = datetime.now().astimezone().replace(microsecond=0).isoformat()
    meta["reviewed"] = [*(meta.get("reviewed") or []), {"section": spec, "decision": decision, "at": stamp}]
    _replace_file(path, set_front_matter(text, meta))


def part_text(draft: str | Path, spec: str) -> str:
    """The current text of one part of a draft file."""
    from draftbot.draft import load_draft
    from draftbot.draftedit import part_body

    document = load_draft(Path(draft))
    return part_body(document, document.find_part(spec))


def _replace_file(path: Path, text: str) -> None:
    from draftbot.atomicfile import save_file

    save_file(path, text.encode("utf-8"), what="草稿")
