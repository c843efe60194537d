"""`draftbot write FACTS`: draft a report from bullet facts."""

from __future__ import annotations

from pathlib import Path

import typer

from draftbot.cli.app import app, echo
from draftbot.errors import InputError

WRITE_HELP = """根据事实要点文件起草报告，生成 Markdown 草稿。

默认使用内置的离线引擎（不需要大模型），草稿保存在事实文件旁边，名为“文件名.draft.md”。

示例：

  draftbot write 要点.md

  draftbot write 要点.md -o 述职报告草稿.md --plan 述职述廉报告

  draftbot write 要点.md --samples 我的范文/ --add-samples --force

  draftbot write 要点.md --provider deepseek      （需先设置 DEEPSEEK_API_KEY）

  draftbot write 要点.md --provider qwen --dry-run    只看提示词和词元数
"""


def default_output(facts_path: Path) -> Path:
    return facts_path.with_name(f"{facts_path.stem}.draft.md")


@app.command("write", help=WRITE_HELP)
def write(
    facts: Path = typer.Argument(..., help="事实要点文件（.md 或 .txt，UTF-8 或 GBK 编码）。"),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="草稿输出路径（默认：事实文件名.draft.md）。"
    ),
    plan: str | None = typer.Option(
        None,
        "--plan",
        help="提纲名称（述职报告、述职述廉报告、年度工作总结）或 .yaml 提纲文件；默认取事实文件的 type。",
    ),
    samples: Path | None = typer.Option(
        None, "--samples", help="自己的范文文件夹（.txt/.md），默认代替内置范文。"
    ),
    add_samples: bool = typer.Option(
        False, "--add-samples", help="与 --samples 一起用：在内置范文之外再加上自己的范文。"
    ),
    engine: str | None = typer.Option(
        None,
        "--engine",
        help="起草引擎：offline（离线）或 llm（大模型）；默认：已配置模型时用 llm，否则 offline。",
    ),
    force: bool = typer.Option(False, "--force", help="覆盖已存在的草稿（旧文件保留为 .bak 备份）。"),
    docx: bool = typer.Option(
        False, "--docx", help="同时导出 Word 文件（GB/T 9704 公文格式，检查问题作为批注），与草稿同名 .docx。"
    ),
    # -- model options (LLM engine; see `draftbot config`) --
    provider: str | None = typer.Option(
        None, "--provider", help="大模型服务：openai、deepseek、qwen、glm、kimi、ollama、vllm。"
    ),
    model: str | None = typer.Option(None, "--model", help="模型名称（覆盖预设）。"),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI 兼容接口地址（覆盖预设）。"),
    concurrency: int | None = typer.Option(None, "--concurrency", min=1, help="同时起草的部分数（默认 4）。"),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        min=1,
        help="超时秒数：一次调用这么久没有任何输出就重试（默认 120；整次调用最长为其 4 倍）。",
    ),
    context_tokens: int | None = typer.Option(
        None,
        "--context-tokens",
        min=1000,
        help="提示词的词元预算（默认取预设的上下文长度）；按 cl100k 估算，国产模型实际约为一半，是上限。",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="只显示发给大模型的提示词和词元数，不调用模型、不写草稿。"
    ),
) -> None:
    from draftbot.compose import compose_draft
    from draftbot.config import choose_engine
    from draftbot.engines.base import get_engine
    from draftbot.facts import load_facts
    from draftbot.plans import resolve_plan
    from draftbot.samples import load_samples
    from draftbot.textio import write_text_safely

    if add_samples and samples is None:
        raise InputError("--add-samples 需要和 --samples 目录一起使用。")
    out = output or default_output(facts)
    if out.resolve() == facts.resolve():
        raise InputError("输出文件不能与事实文件相同，否则会覆盖事实文件。")
    if out.exists() and not force and not dry_run:  # fail before any work is done
        write_text_safely(out, "", force=False, what="草稿")
    if docx and not dry_run:  # the Word file too: refuse before any work
        from draftbot.cli.export import check_output, docx_beside

        check_output(docx_beside(out, facts), force=force)
    facts_data = load_facts(facts)
    plan_data = resolve_plan(plan, facts_data)
    sample_set = load_samples(samples, add=add_samples)
    flags = {"provider": provider, "model": model, "base_url": base_url, "concurrency": concurrency,
             "timeout": timeout, "context_tokens": context_tokens}  # fmt: skip
    if dry_run:
        return _dry_run(facts_data, plan_data, sample_set, flags)
    engine_name, model_config, note = choose_engine(engine, flags)
    if note:
        echo(note, err=True)
    chosen = get_engine(engine_name, config=model_config) if model_config else get_engine(engine_name)
    draft, routing, results = compose_draft(facts_data, plan_data, sample_set, chosen, out_path=out)
    backup = write_text_safely(out, draft.render(), force=force, what="草稿")
    for line in getattr(chosen, "report_lines", list)():
        echo(line)
    for note in routing.notes:
        echo(f"提示：{note}", err=True)
    if backup is not None:
        echo(f"原草稿已备份为：{backup}")
    chars = sum(len(s.body) for s in draft.sections) + len(draft.opening) + len(draft.closing)
    echo(
        f"已生成草稿：{out}（{plan_data.name}，{len(draft.sections)} 个部分，约 {chars} 字，引擎：{chosen.name}）"
    )
    from draftbot.cli.check import summary_after_write

    summary_after_write(out, facts_data, plan_data, sample_set)
    if docx:
        from draftbot.cli.export import docx_beside, export_docx, report, resolve_font_options

        checked = {"facts": facts_data, "plan": plan_data, "samples": sample_set}  # as the summary above
        fonts = resolve_font_options(None, None)
        report(export_docx(draft, docx_beside(out, facts), force=force, fonts=fonts, check_options=checked))
    _fail_on_failed_sections(results, chosen)


def _fail_on_failed_sections(results, chosen) -> None:
    failed = [r for r in results if r.failed]
    if failed:
        from draftbot.errors import ModelError

        what = "已中断" if getattr(chosen, "interrupted", False) else f"{len(failed)} 个部分生成失败"
        raise ModelError(
            f"{what}；已完成的部分已写入草稿，未完成的部分已标记。",
            hint="运行 draftbot check 草稿文件 可查看标记的部分；稍后加 --force 重新运行可再次起草。",
        )


def _dry_run(facts_data, plan_data, sample_set, flags) -> None:
    from draftbot.compose import build_requests
    from draftbot.config import resolve_config
    from draftbot.prompting import build_prompts, dry_run_text

    cfg = resolve_config(flags)
    requests = build_requests(facts_data, plan_data, sample_set)
    prompts = build_prompts(requests, context_tokens=cfg.context_tokens)
    echo(dry_run_text(requests, prompts))
