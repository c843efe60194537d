"""`draftbot repair DRAFT`: rewrite the sections with errors until the checker is satisfied (bounded)."""

from __future__ import annotations

from pathlib import Path

import typer

from draftbot.cli import options as opt
from draftbot.cli.app import app, echo

REPAIR_HELP = """自动修复草稿：检查后，把有错误的部分连同检查出的问题交给模型重写，可以指定最多几轮。

判断好坏的是检查，不是模型：只改有错误的部分，其余部分一字不动；每个部分保留检查结果最好的
一版；新增错误的重写不采用。一轮什么也没修好、同样的问题反复出现、或再修一轮会超出词元预算时
提前停止。有改动时，原草稿保留为 .bak 备份，修复记录写在草稿开头。

示例：

  draftbot repair 要点.draft.md

  draftbot repair 要点.draft.md --rounds 3 --repair-budget 100000 --provider deepseek
"""


@app.command("repair", help=REPAIR_HELP)
@opt.model_options(on_draft=True)
def repair(
    draft: Path = typer.Argument(..., metavar="草稿", help="draftbot 生成的草稿（.md），或导出后在 Word/WPS 中改过的 .docx。"),
    rounds: int | None = typer.Option(None, "--rounds", min=0, help="最多修复几轮（默认 1）。"),
    repair_budget: int | None = opt.REPAIR_BUDGET,
    hint: str | None = typer.Option(None, "--hint", help="对每个要重写的部分都适用的要求，原样交给模型。"),
    facts: Path | None = typer.Option(None, "--facts", help="事实要点文件；默认取草稿开头记录的事实文件。"),
    plan: str | None = opt.PLAN,
    samples: Path | None = opt.SAMPLES,
    no_track: bool = opt.NO_TRACK,
    models: opt.ModelOptions = None,
) -> None:
    from draftbot.workflow import repair_draft

    flags, mask, mask_names, engine = models.overrides(), models.mask, models.mask_names, models.engine
    with opt.progress_display() as show:
        run = repair_draft(
            draft, rounds=rounds, budget=repair_budget, facts=facts, plan=plan, samples=samples,
            engine=engine, flags=flags, hint=hint, notify=opt.notify, mask=mask, mask_names=mask_names,
            track=not no_track, on_event=show,
        )  # fmt: skip
    opt.report_mask_issues(run.repair.mask_issues)
    opt.print_repair(run.repair)
    if run.backup is not None:
        echo(f"已更新草稿：{draft}（原草稿备份为：{run.backup}）")
    else:
        echo(f"草稿未改动：{draft}")
    opt.print_check_summary(draft, run.report)
    opt.fail_on_repair_failure(run.repair)
