"""`draftbot config`: show the effective model settings and where each came from."""

from __future__ import annotations

import typer

from draftbot.cli.app import app, echo

CONFIG_HELP = """显示当前生效的大模型设置，以及每一项来自哪里（密钥只显示首尾几位）。

设置的优先级（后者覆盖前者）：内置预设 < draftbot.toml（当前目录，否则用户配置目录）
< 环境变量（OPENAI_API_KEY、OPENAI_BASE_URL、DRAFTBOT_MODEL、DRAFTBOT_PROVIDER）< 命令行参数。

示例：

  draftbot config

  draftbot config --provider deepseek

  draftbot config --providers
"""

ROWS = (
    ("provider", "服务"),
    ("model", "模型"),
    ("base_url", "地址"),
    ("api_key", "密钥"),
    ("context_tokens", "上下文词元"),
    ("concurrency", "并发数"),
    ("timeout", "超时（秒）"),
    ("prices", "价格"),
    ("local_only", "仅限本地"),
    ("audit_log", "审计日志"),
)


@app.command("config", help=CONFIG_HELP)
def config(
    provider: str | None = typer.Option(None, "--provider", help="预览指定服务的设置，如 deepseek、qwen。"),
    model: str | None = typer.Option(None, "--model", help="预览指定模型的设置。"),
    base_url: str | None = typer.Option(None, "--base-url", help="预览指定服务地址的设置。"),
    list_providers: bool = typer.Option(False, "--providers", help="列出内置的模型服务预设。"),
) -> None:
    from draftbot import config as cfgmod

    if list_providers:
        _print_presets(cfgmod)
        return
    cfg = cfgmod.resolve_config({"provider": provider, "model": model, "base_url": base_url})
    echo("大模型设置（优先级：内置预设 < 配置文件 < 环境变量 < 命令行）：")
    for key, label in ROWS:
        echo(f"  {_pad(label, 12)}{_pad(_value(cfg, key), 52)}{cfg.sources.get(key, '')}")
    where = cfg.config_file or f"未找到（可放在当前目录或 {cfgmod.user_config_dir() / cfgmod.CONFIG_NAME}）"
    echo(f"配置文件：{where}")
    echo(_status(cfg))


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(1, width - _width(text))


def _value(cfg, key: str) -> str:
    if key == "api_key":
        if cfg.api_key:
            return cfg.masked_key
        return "不需要" if not cfg.needs_key else f"（未设置：请设置环境变量 {cfg.key_hint}）"
    if key == "prices":
        return cfg.prices.describe() if cfg.prices else "（无公开价格，不估算费用）"
    value = getattr(cfg, key)
    if isinstance(value, bool):
        return "开" if value else "关"
    if key == "base_url":
        from draftbot.config import safe_url

        value = safe_url(value)
    if isinstance(value, float):
        return f"{value:g}"
    if key == "provider" and value is None:
        return "自定义（OpenAI 兼容）"
    return "（未设置）" if value in (None, "") else str(value)


def _status(cfg) -> str:
    if not cfg.configured:
        return "状态：未配置模型，draftbot write 使用离线引擎（设置 DRAFTBOT_PROVIDER 或加 --provider 即可接入大模型）。"
    from draftbot.errors import ConfigError

    try:
        cfg.require_ready()
    except ConfigError as exc:
        return f"状态：已选择模型，但还不能调用：{exc.message}{(' ' + exc.hint) if exc.hint else ''}"
    return "状态：已配置，draftbot write 默认使用大模型起草。"


def _print_presets(cfgmod) -> None:
    echo("内置的模型服务预设（都可用 --model、--base-url 或配置文件覆盖）：")
    for name, p in cfgmod.presets().items():
        key = f"密钥 {p['key_env']}" if p.get("needs_key") else "不需要密钥"
        url = p.get("base_url") or "需用 --base-url 指定"
        model = p.get("model") or "需用 --model 指定"
        echo(f"  {name:<9}{p.get('label', '')}")
        echo(f"           模型 {model}，地址 {url}，上下文 {p.get('context_tokens')}，{key}")
