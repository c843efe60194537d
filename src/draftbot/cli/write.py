"""`draftbot write FACTS`: draft a report from bullet facts."""

from __future__ import annotations

from pathlib import Path

import typer

from draftbot.cli import options as opt
from draftbot.cli.app import app, echo

WRITE_HELP = """根据事实要点文件起草报告，生成 Markdown 草稿。

已配置大模型时用大模型起草，否则用内置的离线引擎（不需要大模型）。草稿保存在事实文件旁边，
名为“文件名.draft.md”；写完后自动检查并显示问题摘要。

示例：

  draftbot write 要点.md

  draftbot write 要点.md -o 述职报告草稿.md --plan 述职述廉报告

  draftbot write 要点.md --samples 我的范文/ --add-samples --force

  draftbot write 要点.md --docx                     同时导出 Word 公文

  draftbot write 要点.md --provider deepseek      需先设置 DEEPSEEK_API_KEY

  draftbot write 要点.md --provider qwen --dry-run    只看提示词和词元数

  draftbot write 要点.md --repair 2                  写完后自动修复有错误的部分，最多 2 轮

  draftbot write 要点.md --resume                    中断后续写：已完成的部分不再请求模型
"""


@app.command("write", help=WRITE_HELP)
@opt.model_options()
def write(
    facts: Path = typer.Argument(..., metavar="要点文件", help="事实要点文件（.md、.txt 或 .docx；UTF-8 或 GBK 编码）。"),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="草稿输出路径（默认：事实文件名.draft.md）。"
    ),
    plan: str | None = opt.PLAN,
    samples: Path | None = opt.SAMPLES,
    add_samples: bool = typer.Option(
        False, "--add-samples", help="与 --samples 一起用：在内置范文之外再加上自己的范文。"
    ),
    force: bool = typer.Option(False, "--force", help="覆盖已存在的草稿（旧文件保留为 .bak 备份）。"),
    docx: bool = typer.Option(
        False, "--docx", help="同时导出 Word 文件（GB/T 9704 公文格式，检查问题作为批注），与草稿同名 .docx。"
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="只显示发给大模型的提示词和词元数，不调用模型、不写草稿。"
    ),
    repair: int | None = typer.Option(
        None, "--repair", min=0, help="写完后自动修复有错误的部分，最多几轮（默认：大模型 1 轮，离线 0）。"
    ),
    repair_budget: int | None = opt.REPAIR_BUDGET,
    resume: bool = typer.Option(
        False, "--resume", help="接着上次中断的起草：沿用已完成的部分（事实、提纲、范文、模型须相同），草稿旧文件留 .bak。"
    ),
    last_year: Path | None = typer.Option(
        None, "--last-year", help="去年的报告（.docx/.md/.txt）：告诉模型去年的哪些打算已经完成，写完后查照搬去年的句子和数字。"
    ),
    models: opt.ModelOptions = None,
) -> None:
    from draftbot import workflow

    flags, mask, mask_names, engine = models.overrides(), models.mask, models.mask_names, models.engine
    if dry_run:
        echo(workflow.dry_run(facts, output=output, plan=plan, samples=samples, add_samples=add_samples,
                              flags=flags, mask=mask, mask_names=mask_names))
        return
    with opt.progress_display() as show:
        result = workflow.write_report(
            facts, output=output, plan=plan, samples=samples, add_samples=add_samples,
            engine=engine, flags=flags, force=force, docx=docx, notify=lambda note: echo(note, err=True),
            repair=repair, repair_budget=repair_budget, resume=resume, mask=mask, mask_names=mask_names,
            on_event=show, last_year=last_year,
        )
    opt.print_mask_summary(result.names, result.engine)
    opt.report_run(result.run)
    if result.repair is not None:
        opt.report_mask_issues(result.repair.mask_issues)
        opt.print_repair(result.repair)
    for note in result.notes:
        echo(f"提示：{note}", err=True)
    if result.backup is not None:
        echo(f"原草稿已备份为：{result.backup}")
    echo(
        f"已生成草稿：{result.path}（{result.inputs.plan.name}，{len(result.draft.sections)} 个部分，"
        f"约 {result.chars} 字，引擎：{opt.engine_name(result.engine)}）"
    )
    opt.print_check_summary(result.path, result.report)
    if result.promises is not None:
        from draftbot.lastyear import promise_lines

        echo("\n".join(promise_lines(result.promises)))
    if result.export is not None:
        opt.print_export(result.export)
    if result.export_error is not None:
        raise result.export_error
    opt.fail_on_failed_sections(
        result.results,
        result.run.interrupted,
        "已完成的部分已写入草稿，未完成的部分已标记。",
        hint=f"稍后运行 draftbot write {facts} --resume 续写未完成的部分"
        f"（或 draftbot regen {result.path} --failed）。",
    )
    if result.repair is not None:
        opt.fail_on_repair_failure(result.repair)
