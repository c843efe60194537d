"""`draftbot write FACTS`: draft a report from bullet facts."""

from __future__ import annotations

from pathlib import Path

import typer

from draftbot.cli import options as opt
from draftbot.cli.app import app, echo
from draftbot.errors import InputError

WRITE_HELP = """根据事实要点文件起草报告，生成 Markdown 草稿。

已配置大模型时用大模型起草，否则用内置的离线引擎（不需要大模型）。草稿保存在事实文件旁边，
名为“文件名.draft.md”；写完后自动检查并显示问题摘要。

示例：

  draftbot write 要点.md

  draftbot write 要点.md -o 述职报告草稿.md --plan 述职述廉报告

  draftbot write 要点.md --samples 我的范文/ --add-samples --force

  draftbot write 要点.md --docx                     同时导出 Word 公文

  draftbot write 要点.md --provider deepseek      （需先设置 DEEPSEEK_API_KEY）

  draftbot write 要点.md --provider qwen --dry-run    只看提示词和词元数
"""


def default_output(facts_path: Path) -> Path:
    return facts_path.with_name(f"{facts_path.stem}.draft.md")


@app.command("write", help=WRITE_HELP)
def write(
    facts: Path = typer.Argument(..., help="事实要点文件（.md、.txt 或 .docx；UTF-8 或 GBK 编码）。"),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="草稿输出路径（默认：事实文件名.draft.md）。"
    ),
    plan: str | None = opt.PLAN,
    samples: Path | None = opt.SAMPLES,
    add_samples: bool = typer.Option(
        False, "--add-samples", help="与 --samples 一起用：在内置范文之外再加上自己的范文。"
    ),
    engine: str | None = opt.ENGINE,
    force: bool = typer.Option(False, "--force", help="覆盖已存在的草稿（旧文件保留为 .bak 备份）。"),
    docx: bool = typer.Option(
        False, "--docx", help="同时导出 Word 文件（GB/T 9704 公文格式，检查问题作为批注），与草稿同名 .docx。"
    ),
    provider: str | None = opt.PROVIDER,
    model: str | None = opt.MODEL,
    base_url: str | None = opt.BASE_URL,
    concurrency: int | None = opt.CONCURRENCY,
    timeout: float | None = opt.TIMEOUT,
    context_tokens: int | None = opt.CONTEXT_TOKENS,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="只显示发给大模型的提示词和词元数，不调用模型、不写草稿。"
    ),
) -> None:
    from draftbot.compose import compose_draft
    from draftbot.textio import write_text_safely

    if add_samples and samples is None:
        raise InputError("--add-samples 需要和 --samples 目录一起使用。")
    out = output or default_output(facts)
    _refuse_before_work(facts, out, force=force, docx=docx and not dry_run, dry_run=dry_run)
    facts_data, plan_data, sample_set = _load_inputs(facts, plan, samples, add_samples)
    flags = opt.model_flags(provider, model, base_url, concurrency, timeout, context_tokens)
    if dry_run:
        return _dry_run(facts_data, plan_data, sample_set, flags)
    chosen = opt.make_engine(engine, flags)
    draft, routing, results = compose_draft(facts_data, plan_data, sample_set, chosen, out_path=out)
    backup = write_text_safely(out, draft.render(), force=force, what="草稿")
    opt.report_engine(chosen)
    for note in routing.notes:
        echo(f"提示：{note}", err=True)
    if backup is not None:
        echo(f"原草稿已备份为：{backup}")
    chars = sum(len(s.body) for s in draft.sections) + len(draft.opening) + len(draft.closing)
    echo(
        f"已生成草稿：{out}（{plan_data.name}，{len(draft.sections)} 个部分，约 {chars} 字，引擎：{chosen.name}）"
    )
    from draftbot.cli.check import summary_after_write

    report = summary_after_write(out, facts_data, plan_data, sample_set)
    if docx:
        _export_beside(draft, out, facts, force, report)
    opt.fail_on_failed_sections(
        results,
        chosen,
        "已完成的部分已写入草稿，未完成的部分已标记。",
        hint=f"稍后运行 draftbot regen {out} --failed 重新生成标记的部分。",
    )


def _refuse_before_work(facts: Path, out: Path, *, force: bool, docx: bool, dry_run: bool) -> None:
    """Every refusal that needs no drafting happens before any work is done."""
    from draftbot.textio import check_target, resolved, write_text_safely

    check_target(out)
    if resolved(out) == resolved(facts):
        raise InputError("输出文件不能与事实文件相同，否则会覆盖事实文件。")
    if out.exists() and not force and not dry_run:
        write_text_safely(out, "", force=False, what="草稿")
    if docx:
        from draftbot.cli.export import check_output, docx_beside

        check_output(docx_beside(out, facts), force=force)


def _load_inputs(facts: Path, plan: str | None, samples: Path | None, add_samples: bool):
    from draftbot.facts import load_facts
    from draftbot.plans import resolve_plan
    from draftbot.samples import load_samples

    facts_data = load_facts(facts)
    return facts_data, resolve_plan(plan, facts_data), load_samples(samples, add=add_samples)


def _export_beside(draft, out, facts, force, checked) -> None:
    """The Word file next to the draft; its comments are the findings of the summary just printed."""
    from draftbot.cli import export

    fonts = export.resolve_font_options(None, None)
    export.report(
        export.export_docx(draft, export.docx_beside(out, facts), force=force, fonts=fonts, report=checked)
    )


def _dry_run(facts_data, plan_data, sample_set, flags) -> None:
    from draftbot.compose import build_requests
    from draftbot.config import resolve_config
    from draftbot.prompting import build_prompts, dry_run_text

    cfg = resolve_config(flags)
    requests = build_requests(facts_data, plan_data, sample_set)
    prompts = build_prompts(requests, context_tokens=cfg.context_tokens)
    echo(dry_run_text(requests, prompts))
