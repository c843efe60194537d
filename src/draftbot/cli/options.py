"""Options shared by commands that run an engine (`write`, `regen`), and choosing that engine."""

from __future__ import annotations

import typer

from draftbot.cli.app import echo

ENGINE = typer.Option(
    None,
    "--engine",
    help="起草引擎：offline（离线）或 llm（大模型）；默认：已配置模型时用 llm，否则 offline。",
)
PROVIDER = typer.Option(
    None,
    "--provider",
    help="大模型服务：openai、deepseek、qwen、glm、kimi，或本机的 ollama、llamacpp、vllm。",
)
MODEL = typer.Option(None, "--model", help="模型名称（覆盖预设）。")
BASE_URL = typer.Option(None, "--base-url", help="OpenAI 兼容接口地址（覆盖预设）。")
CONCURRENCY = typer.Option(
    None,
    "--concurrency",
    min=1,
    help="同时起草的部分数（默认 4；ollama、llamacpp 预设为 1）。服务一次只能处理一个请求时自动降为 1。",
)
TIMEOUT = typer.Option(
    None,
    "--timeout",
    min=1,
    help="超时秒数：一次调用这么久没有任何输出就重试（默认 120；整次调用最长为其 4 倍）。",
)
CONTEXT_TOKENS = typer.Option(
    None,
    "--context-tokens",
    min=1000,
    help="上下文窗口的词元数（默认：本机服务自己报告的大小，否则取预设值）。提示词和回答上限按它安排，"
    "范文放不下时少放；不能小于提示词（不含范文）加最短的回答预留。",
)
SAMPLES = typer.Option(None, "--samples", help="自己的范文文件夹（.txt/.md/.docx），默认代替内置范文。")
PLAN = typer.Option(
    None, "--plan", help="提纲名称（述职报告、述职述廉报告、年度工作总结）或 .yaml 提纲文件。"
)


def model_flags(provider, model, base_url, concurrency, timeout, context_tokens) -> dict:
    return {
        "provider": provider,
        "model": model,
        "base_url": base_url,
        "concurrency": concurrency,
        "timeout": timeout,
        "context_tokens": context_tokens,
    }


def make_engine(engine: str | None, flags: dict):
    """The engine to run: --engine, else the LLM engine when a model is configured, else offline."""
    from draftbot.config import choose_engine
    from draftbot.engines.base import get_engine

    name, config, note = choose_engine(engine, flags)
    if note:
        echo(note, err=True)
    return get_engine(name, config=config) if config else get_engine(name)


def fail_on_failed_sections(results, engine, outcome: str, hint: str) -> None:
    """Exit 3 (after everything was written) when sections failed or the run was interrupted."""
    failed = [r for r in results if r.failed]
    if not failed:
        return
    from draftbot.errors import ModelError

    what = "已中断" if getattr(engine, "interrupted", False) else f"{len(failed)} 个部分生成失败"
    raise ModelError(f"{what}；{outcome}", hint=hint)


def report_engine(engine) -> None:
    for line in getattr(engine, "report_lines", list)():
        echo(line)
