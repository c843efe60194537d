"""`draftbot regen DRAFT --section N`: rewrite single sections of a draft, keep the rest."""

from __future__ import annotations

from pathlib import Path

import typer

from draftbot.cli import options as opt
from draftbot.cli.app import app, echo
from draftbot.errors import InputError

REGEN_HELP = """重新生成草稿中的某几个部分，其余部分（包括您手工改过的内容）保持不变。

事实文件、提纲、范文默认取草稿开头记录的信息；改动前的草稿保留为 .bak 备份。
适合在 draftbot check 指出某部分有错误、或大模型某部分生成失败之后使用。

示例：

  draftbot regen 要点.draft.md --section 3

  draftbot regen 要点.draft.md --section 2 --section 四

  draftbot regen 要点.draft.md --failed                重新生成所有标记为失败的部分

  draftbot regen 要点.draft.md --section 4 --facts 新要点.md --provider deepseek
"""


@app.command("regen", help=REGEN_HELP)
def regen(
    draft: Path = typer.Argument(..., help="draftbot 生成的草稿（.md）。"),
    section: list[str] = typer.Option(
        [], "--section", "-s", help="要重新生成的部分序号（3 或 三），可重复。"
    ),
    failed: bool = typer.Option(False, "--failed", help="重新生成所有标记为“生成失败”的部分。"),
    facts: Path | None = typer.Option(None, "--facts", help="事实要点文件；默认取草稿开头记录的事实文件。"),
    plan: str | None = opt.PLAN,
    samples: Path | None = opt.SAMPLES,
    engine: str | None = opt.ENGINE,
    provider: str | None = opt.PROVIDER,
    model: str | None = opt.MODEL,
    base_url: str | None = opt.BASE_URL,
    concurrency: int | None = opt.CONCURRENCY,
    timeout: float | None = opt.TIMEOUT,
    context_tokens: int | None = opt.CONTEXT_TOKENS,
    mask: bool = opt.MASK,
    mask_names: Path | None = opt.MASK_NAMES,
    local_only: bool = opt.LOCAL_ONLY,
    no_log: bool = opt.NO_LOG,
) -> None:
    from draftbot.draft import load_draft
    from draftbot.regen import pick_sections, regenerate
    from draftbot.textio import write_text_safely

    if draft.suffix.lower() == ".docx":
        raise InputError(
            "暂不支持直接重新生成 .docx 中的部分：请对 draftbot 生成的 .md 草稿运行 regen，再导出 Word。"
        )
    document = load_draft(draft)
    chosen_sections = pick_sections(document, section, failed)
    inputs = _resolve_inputs(document, draft, facts, plan, samples)
    flags = opt.model_flags(provider, model, base_url, concurrency, timeout, context_tokens, local_only, no_log)
    names = opt.mask_table(mask, mask_names, inputs.facts)
    chosen = opt.make_engine(engine, flags, names=names, draft=str(draft))
    results = regenerate(
        document, chosen_sections, facts=inputs.facts, plan=inputs.plan, samples=inputs.samples, engine=chosen
    )
    backup = write_text_safely(draft, document.render(), force=True, what="草稿")
    opt.report_engine(chosen)
    done = [s.full_heading for s, r in zip(chosen_sections, results, strict=True) if not r.failed]
    if done:
        echo(f"已重新生成：{'；'.join(done)}（引擎：{chosen.name}）")
    echo(f"已更新草稿：{draft}（原草稿备份为：{backup}）")
    from draftbot.cli.check import summary_after_write

    summary_after_write(draft, inputs.facts, inputs.plan, inputs.samples)
    opt.fail_on_failed_sections(
        results,
        chosen,
        "失败的部分保留原文，其余部分已更新。",
        hint=f"稍后再次运行 draftbot regen {draft} --failed。",
    )


def _resolve_inputs(document, path: Path, facts, plan, samples):
    from draftbot.checks.run import resolve_inputs

    inputs = resolve_inputs(document.meta, path, facts, plan, samples, None, None)
    if inputs.facts is None:
        raise InputError(
            f"找不到草稿“{path}”对应的事实文件，无法重新生成。", hint="用 --facts 指定事实要点文件。"
        )
    if inputs.plan is None:
        raise InputError(f"草稿“{path}”没有记录提纲。", hint="用 --plan 指定提纲，如 --plan 述职报告。")
    for note in inputs.notes:
        if "事实文件" in note and "改动" in note:
            echo(f"提示：{note}", err=True)
    return inputs
