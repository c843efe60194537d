"""`draftbot regen DRAFT --section N`: rewrite single sections of a draft, keep the rest."""

from __future__ import annotations

from pathlib import Path

import typer

from draftbot.cli import options as opt
from draftbot.cli.app import app, echo

REGEN_HELP = """重新生成草稿中的某几个部分，其余部分（包括您手工改过的内容）一字不动。

请求里会带上这一部分检查出的错误和警告、您的修改意见（--hint）以及其他部分的现状，
让模型有针对性地改写。事实文件、提纲、范文默认取草稿开头记录的信息，事实文件重新读取
（改过的事实会用上）；改动前的草稿保留为 .bak 备份。

示例：

  draftbot regen 要点.draft.md --section 3

  draftbot regen 要点.draft.md --section 2 --section 四

  draftbot regen 要点.draft.md --section 开头 --hint "更简练，不超过 150 字"

  draftbot regen 要点.draft.md --section 履职成效     按标题中的文字指定

  draftbot regen 要点.draft.md --section 项目建设     只重写小标题“（二）项目建设”这一项

  draftbot regen 要点.draft.md --failed                重新生成所有标记为失败的部分

  draftbot regen 要点.draft.md --section 4 --facts 新要点.md --provider deepseek

  draftbot regen 报告.docx --section 三 --hint "突出为企业办实事"    在 Word 里改过的文件：
  只改这一部分（作为修订，可在 Word/WPS 中接受或拒绝；--no-track 直接写入），原文件留 .bak
"""


@app.command("regen", help=REGEN_HELP)
@opt.model_options(on_draft=True)
def regen(
    draft: Path = typer.Argument(..., metavar="草稿", help="draftbot 生成的草稿（.md），或导出后在 Word/WPS 中改过的 .docx。"),
    section: list[str] = typer.Option(
        [], "--section", "-s", help="要重新生成的部分：序号（3、三或第三部分）、开头、结尾、标题中的文字，或小标题（一）及其文字（只重写这一项），可重复。"
    ),
    hint: str | None = typer.Option(None, "--hint", help="对重写的要求，原样交给模型（离线引擎不用）。"),
    failed: bool = typer.Option(False, "--failed", help="重新生成所有标记为“生成失败”的部分（包括开头和结尾）。"),
    facts: Path | None = typer.Option(None, "--facts", help="事实要点文件；默认取草稿开头记录的事实文件。"),
    plan: str | None = opt.PLAN,
    samples: Path | None = opt.SAMPLES,
    no_track: bool = opt.NO_TRACK,
    models: opt.ModelOptions = None,
) -> None:
    from draftbot.workflow import regenerate_sections

    flags, mask, mask_names, engine = models.overrides(), models.mask, models.mask_names, models.engine
    with opt.progress_display() as show:
        result = regenerate_sections(
            draft, section, failed=failed, hint=hint, facts=facts, plan=plan, samples=samples,
            engine=engine, flags=flags, notify=opt.notify, mask=mask, mask_names=mask_names,
            track=not no_track, on_event=show,
        )  # fmt: skip
    opt.print_mask_summary(result.names, result.engine)
    if hint and result.engine.name == "offline":
        echo("提示：离线引擎按要点和提纲重写，不使用 --hint 的修改意见；要按意见改写，请接入大模型"
             "（draftbot config set provider 服务名），或直接修改草稿。", err=True)  # fmt: skip
    opt.report_run(result.run)
    if result.done:
        echo(f"已重新生成：{'；'.join(result.done)}（引擎：{opt.engine_name(result.engine)}）")
    if result.backup is not None:
        echo(f"已更新草稿：{draft}（原草稿备份为：{result.backup}）")
    else:
        echo(f"草稿未改动：{draft}")
    opt.print_check_summary(draft, result.report)
    opt.fail_on_failed_sections(
        result.results,
        result.run.interrupted,
        "失败的部分保留原文，其余部分已更新。",
        hint=f"稍后再次运行 {_retry_command(draft, result)}。",
    )


def _retry_command(draft: Path, result) -> str:
    """The command that retries exactly the parts that failed (they kept their old text, so
    `--failed` would not find a section that was fine before)."""
    labels = [label for label, r in zip(result.sections, result.results, strict=True) if r.failed]
    names = [_spec(label) for label in labels]
    return f"draftbot regen {draft} " + " ".join(f"--section {n}" for n in names)


def _spec(label: str) -> str:
    """三 for 三、heading; （二）项目建设 for 第四部分中的（二）项目建设; the label itself otherwise."""
    if "部分中的" in label:
        return label.split("部分中的", 1)[1]
    return label.split("、", 1)[0] if "、" in label[:4] else label
