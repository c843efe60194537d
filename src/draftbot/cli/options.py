"""Options shared by several commands, and the printing of results they share."""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path

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

NO_TRACK = typer.Option(
    False,
    "--no-track",
    help="对 .docx：直接写入新文字，不作为修订（默认作为作者为 draftbot 的修订，可在 Word/WPS 中接受或拒绝）。",
)

MASK = typer.Option(
    False,
    "--mask",
    help="保密模式：人名、单位、地名、企业名在发给大模型前换成占位符（如【人名1】），回答中再换回；"
    "发送前逐条检查，仍含真实名称则拒绝发送。",
)
MASK_DRAFT = typer.Option(
    None,
    "--mask/--no-mask",
    help="保密模式（同 write --mask）。草稿是在保密模式下生成的，不加这个选项也同样保密；"
    "--no-mask 明确关闭（真实名称会发给模型）。",
)
MASK_NAMES = typer.Option(
    None,
    "--mask-names",
    help="保密名单文件：每行一个名称，可在后面加类型（人名、单位、地名、企业）；隐含 --mask。",
)
LOCAL_ONLY = typer.Option(
    False,
    "--local-only",
    help="仅限本地：模型服务不在本机或内网（127.x、10.x、172.16～31.x、192.168.x）时拒绝连接（也可在配置文件中写 local_only = true）。",
)
NO_LOG = typer.Option(
    False, "--no-log", help="本次不记审计日志（默认每次调用模型都记入本地日志，见 draftbot log）。"
)


@dataclass
class ModelOptions:
    """The model options of write, regen, repair, review and batch, declared once (`model_options`)."""

    engine: str | None = None
    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    concurrency: int | None = None
    timeout: float | None = None
    context_tokens: int | None = None
    mask: bool | None = False  # None: as the draft was written (regen, repair, review, batch)
    mask_names: Path | None = None
    local_only: bool = False
    no_log: bool = False

    def overrides(self) -> dict:
        """The config overrides these flags make (workflow.config_overrides)."""
        from draftbot.workflow import config_overrides

        return config_overrides(self.provider, self.model, self.base_url, self.concurrency, self.timeout,
                                self.context_tokens, self.local_only, self.no_log)  # fmt: skip


MODEL_OPTIONS = {  # name: (type, typer option), in the order --help lists them
    "engine": (str | None, ENGINE),
    "provider": (str | None, PROVIDER),
    "model": (str | None, MODEL),
    "base_url": (str | None, BASE_URL),
    "concurrency": (int | None, CONCURRENCY),
    "timeout": (float | None, TIMEOUT),
    "context_tokens": (int | None, CONTEXT_TOKENS),
    "mask": (bool, MASK),
    "mask_names": (Path | None, MASK_NAMES),
    "local_only": (bool, LOCAL_ONLY),
    "no_log": (bool, NO_LOG),
}


def model_options(*, without: tuple[str, ...] = (), on_draft: bool = False):
    """Give a command the model options (all but `without`): typer sees them as its own parameters,
    the command receives them as one `models: ModelOptions`. `on_draft`: the command works on a
    draft, which masks by default when it was written masked (--mask/--no-mask)."""
    names = [n for n in MODEL_OPTIONS if n not in without]
    options = dict(MODEL_OPTIONS, mask=(bool | None, MASK_DRAFT)) if on_draft else MODEL_OPTIONS

    def decorate(func):
        signature = inspect.signature(func)
        own = [p for p in signature.parameters.values() if p.name != "models"]
        added = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=options[n][1],
                              annotation=options[n][0])  # fmt: skip
            for n in names
        ]

        @functools.wraps(func)
        def command(*args, **kwargs):
            values = {n: kwargs.pop(n) for n in names}
            return func(*args, models=ModelOptions(**values), **kwargs)

        command.__signature__ = signature.replace(parameters=[*own, *added])
        command.__annotations__ = {k: v for k, v in func.__annotations__.items() if k != "models"} | {
            n: options[n][0] for n in names
        }
        return command

    return decorate


ENGINE_NAMES = {"offline": "离线引擎", "llm": "大模型"}


def engine_name(engine) -> str:
    """The engine as a person names it: 离线引擎, or 大模型 with its model name."""
    name = engine.name
    model = engine.describe().get("model")
    label = ENGINE_NAMES.get(name, name)
    return f"{label} {model}" if name == "llm" and model else label


def print_mask_summary(table, engine=None) -> None:
    """How many names a masked run replaced (the names themselves stay on this machine); nothing
    with the offline engine, which sends nothing (the run's note already says masking had no effect)."""
    if table is None or (engine is not None and engine.name == "offline"):
        return
    from collections import Counter

    counts = Counter(e.kind for e in table.entries)
    kinds = "、".join(f"{kind} {n}" for kind, n in counts.items()) or "无"
    echo(f"保密模式：{len(table)} 个名称（{kinds}）在发送前已换成占位符，回答中已换回。", err=True)


def report_mask_issues(issues: list[str]) -> None:
    """Placeholders a masked run could not restore cleanly (engines.base.EngineRun.mask_issues)."""
    for issue in issues:
        echo(f"保密模式提示：{issue}", err=True)


REPAIR_BUDGET = typer.Option(
    None,
    "--repair-budget",
    min=0,
    help="自动修复最多花多少词元（输入含缓存命中，加输出；默认 200000）；再修一轮会超出时停止。",
)


def notify(note: str) -> None:
    """A note from the workflow, shown before a long run: which engine, a facts file that changed."""
    echo(note if note.startswith("未配置") else f"提示：{note}", err=True)


def print_check_summary(path, report) -> None:
    """The one-line check summary after a write or regen, with the regen command for each flagged section."""
    from draftbot.checks.finding import regen_command, summary_line

    summary = report.summary
    echo(summary_line(summary) if not summary.total else f"检查：{summary_line(summary)}")
    if summary.total:
        echo(f"详情：draftbot check {path}")
    for n in summary.sections_with_errors:
        echo(f"  {regen_command(str(path), n, report.regen_args)}")


def print_export(result) -> None:
    """What `export` (or `write --docx`) wrote: notes, the backup, the file and its comment counts."""
    for note in result.notes:
        echo(f"提示：{note}", err=True)
    if result.backup is not None:
        echo(f"原 Word 文件已备份为：{result.backup}")
    if not result.comments:
        echo(f"已导出 Word 文件：{result.path}（未加批注）")
    elif not result.findings:
        echo(f"已导出 Word 文件：{result.path}（检查未发现问题，没有批注）")
    else:
        counts = result.counts()
        echo(
            f"已导出 Word 文件：{result.path}（批注 {len(result.findings)} 条：错误 {counts['error']}，"
            f"警告 {counts['warning']}，提示 {counts['info']}）"
        )


def fail_on_failed_sections(results, interrupted: bool, outcome: str, hint: str) -> None:
    """Exit 3 (after everything was written) when sections failed or the run was interrupted."""
    failed = [r for r in results if r.failed]
    if not failed:
        return
    from draftbot.errors import ModelError

    what = "已中断" if interrupted else f"{len(failed)} 个部分生成失败"
    raise ModelError(f"{what}；{outcome}", hint=hint)


def report_run(run) -> None:
    """An engine run's summary (usage, window, notes) and its masking problems."""
    if run is None:
        return
    for line in run.summary:
        echo(line)
    report_mask_issues(run.mask_issues)


def progress_display():
    """The progress display of a model run (cli/progress.py), used as `on_event`."""
    from draftbot.cli.progress import ProgressDisplay

    return ProgressDisplay()


def print_repair(result) -> None:
    """The repair run: per section before/after, rounds, why it stopped, tokens and money."""
    from draftbot.repair import report_lines

    for line in report_lines(result):
        echo(line)


def fail_on_repair_failure(result) -> None:
    """Exit 3 when the model failed during the repair (whatever was fixed before that is saved)."""
    if result.stopped != "failed":
        return
    from draftbot.errors import ModelError

    kept = "之前修好的部分已保存。" if result.changed else "草稿未改动。"
    raise ModelError(f"自动修复中断：{result.error}；{kept}", hint="稍后再次运行 draftbot repair。")
