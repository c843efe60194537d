"""`draftbot config`: show the effective model settings and where each came from."""

from __future__ import annotations

import os
import sys

import typer

from draftbot.cli.app import app, echo

CONFIG_HELP = """显示当前生效的大模型设置，以及每一项来自哪里（密钥只显示首尾几位）；用 set、unset 修改设置，
用 test 试连一次模型。

设置的优先级（后者覆盖前者）：内置预设 < draftbot.toml（当前目录，否则用户配置目录）
< 环境变量（OPENAI_API_KEY、OPENAI_BASE_URL、DRAFTBOT_MODEL、DRAFTBOT_PROVIDER）< 命令行参数。
密钥用 draftbot keys set 保存。

示例：

  draftbot config                              查看当前设置

  draftbot config set provider deepseek        改用 DeepSeek（写入用户配置文件）

  draftbot config --providers                  列出全部预设
"""

SET_HELP = """修改一项大模型设置，写入用户配置目录中的 draftbot.toml（文件中原有的注释保留）。

可以设置：provider（服务）、model（模型）、base_url（地址）、context（上下文词元数）、concurrency（并发数）、
timeout（超时秒数）、retries（重试次数）、temperature、max_output_tokens、local_only（仅限本地，是/否）、
audit_log（审计日志，是/否）、prices.input / prices.cached / prices.output（每百万词元的价格）、prices.currency
（CNY 或 USD）。改换服务时，属于原服务的模型、地址、上下文和价格会一并去掉。

示例：

  draftbot config set provider deepseek

  draftbot config set model deepseek-chat

  draftbot config set context 16384
"""

UNSET_HELP = """从用户配置文件中去掉一项设置（之后用预设值）。

示例：

  draftbot config unset model

  draftbot config unset context
"""

TEST_HELP = """试连当前设置的模型：发一个很小的请求（几个词元），看服务是否在运行、密钥是否被接受、
模型是否存在，并显示上下文窗口的大小。

示例：

  draftbot config test

  draftbot config test --provider ollama
"""

KEYS_HELP = """保存大模型服务的 API 密钥：输入时不显示，保存在用户配置目录的 keys.toml 中（只有您自己能读取），
不会出现在任何输出和日志中。环境变量（如 DEEPSEEK_API_KEY）设置了时优先使用环境变量。

示例：

  draftbot keys set deepseek                   按提示粘贴密钥

  draftbot keys                                查看哪些服务保存了密钥

  draftbot keys unset deepseek                 删除保存的密钥
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


config_app = typer.Typer(help=CONFIG_HELP, invoke_without_command=True, no_args_is_help=False)
app.add_typer(config_app, name="config")
keys_app = typer.Typer(help=KEYS_HELP, invoke_without_command=True, no_args_is_help=False)
app.add_typer(keys_app, name="keys")

PREVIEW_PROVIDER = typer.Option(None, "--provider", help="预览指定服务的设置，如 deepseek、qwen（不写入配置）。")
PREVIEW_MODEL = typer.Option(None, "--model", help="预览指定模型的设置。")
PREVIEW_URL = typer.Option(None, "--base-url", help="预览指定服务地址的设置。")


@config_app.callback()
def config(
    ctx: typer.Context,
    provider: str | None = PREVIEW_PROVIDER,
    model: str | None = PREVIEW_MODEL,
    base_url: str | None = PREVIEW_URL,
    list_providers: bool = typer.Option(False, "--providers", help="列出内置的模型服务预设。"),
) -> None:
    if ctx.invoked_subcommand is not None:
        if any(v is not None for v in (provider, model, base_url)) or list_providers:
            from draftbot.errors import InputError

            raise InputError(
                "--provider、--model、--base-url 要写在子命令后面。",
                hint=f"例如：draftbot config {ctx.invoked_subcommand} --provider {provider or 'deepseek'}",
            )
        return
    from draftbot import config as cfgmod

    if list_providers:
        _print_presets(cfgmod)
        return
    flags = {"provider": provider, "model": model, "base_url": base_url}
    cfg = cfgmod.resolve_config(flags)
    preview = any(v is not None for v in flags.values())
    echo("大模型设置（优先级：内置预设 < 配置文件 < 环境变量 < 命令行）：")
    for key, label in ROWS:
        echo(f"  {_pad(label, 12)}{_pad(_value(cfg, key), 52)}{cfg.sources.get(key, '')}")
    where = cfg.config_file or f"未找到（可放在当前目录或 {cfgmod.user_config_dir() / cfgmod.CONFIG_NAME}）"
    echo(f"配置文件：{where}")
    echo(_status(cfg, preview))


@config_app.command("set", help=SET_HELP, context_settings={"ignore_unknown_options": True})  # -5 is a value
def config_set(
    key: str = typer.Argument(..., metavar="设置项", help="设置项，如 provider、model、base_url、context。"),
    value: str = typer.Argument(..., metavar="值", help="新的值。"),
) -> None:
    from draftbot import config as cfgmod

    key, stored, dropped = cfgmod.set_setting(key, value)
    path = cfgmod.user_config_file()
    shown = ("是" if stored else "否") if isinstance(stored, bool) else stored
    echo(f"已设置 {key} = {shown}（写入 {path}）")
    if dropped:
        echo(f"已去掉属于原服务的设置：{'、'.join(dropped)}（改用 {stored} 的预设值）")
    _shadowed(cfgmod, path)
    if key == "provider":
        cfg = cfgmod.resolve_config()
        if cfg.needs_key and not cfg.api_key:
            echo(f"下一步：draftbot keys set {stored}（保存密钥），然后 draftbot config test")
            return
    echo("运行 draftbot config test 试连一次。")


@config_app.command("unset", help=UNSET_HELP)
def config_unset(
    key: str = typer.Argument(..., metavar="设置项", help="要去掉的设置项，如 model、context。"),
) -> None:
    from draftbot import config as cfgmod

    name = cfgmod.setting_name(key)
    path = cfgmod.user_config_file()
    if cfgmod.unset_setting(key):
        echo(f"已去掉 {name}（{path}）")
    else:
        echo(f"{path} 中没有设置 {name}，无需去掉。")
    _shadowed(cfgmod, path)


def _shadowed(cfgmod, path) -> None:
    """A draftbot.toml in the working folder comes first: say so, or the change seems to do nothing."""
    found = cfgmod.find_config_file()
    if found is not None and found.resolve() != path.resolve():
        echo(f"注意：当前文件夹中的 {found} 优先于用户配置文件，在这个文件夹里运行时以它为准。")


@config_app.command("test", help=TEST_HELP)
def config_test(
    provider: str | None = typer.Option(None, "--provider", help="试连指定的服务（不写入配置）。"),
    model: str | None = typer.Option(None, "--model", help="试连指定的模型。"),
    base_url: str | None = typer.Option(None, "--base-url", help="试连指定的地址。"),
    local_only: bool = typer.Option(False, "--local-only", help="只允许本机或内网的地址（同 write --local-only）。"),
) -> None:
    from draftbot.workflow import test_model

    flags = {"provider": provider, "model": model, "base_url": base_url}
    for line in test_model(flags, local_only=local_only):
        echo(line)


@keys_app.callback()
def keys(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from draftbot import config as cfgmod

    stored = cfgmod.stored_keys()
    if not stored:
        echo(f"还没有保存任何密钥（保存位置：{cfgmod.keys_file()}）。")
        echo("保存：draftbot keys set 服务名，如 draftbot keys set deepseek")
        return
    echo(f"已保存密钥的服务（{cfgmod.keys_file()}；密钥内容不显示）：")
    for name in stored:
        env = cfgmod.presets().get(name, {}).get("key_env")
        wins = f"（环境变量 {env} 已设置，优先使用它）" if env and os.environ.get(env) else ""
        echo(f"  {name}{wins}")


@keys_app.command("set")
def keys_set(provider: str = typer.Argument(..., metavar="服务", help="服务名称，如 deepseek、qwen、glm、kimi。")) -> None:
    """保存一个服务的 API 密钥（输入时不显示），存在用户配置目录的 keys.toml 中，只有您自己能读取。

    示例：

      draftbot keys set deepseek          按提示粘贴 DeepSeek 的密钥

      draftbot keys set qwen              通义千问的密钥
    """
    from draftbot import config as cfgmod

    if provider not in cfgmod.presets():
        from draftbot.errors import ConfigError

        raise ConfigError(f"未知的模型服务“{provider}”。", hint=f"可选：{'、'.join(cfgmod.presets())}")
    key = _read_secret(f"请粘贴 {provider} 的 API 密钥（输入时不显示），按回车结束：")
    path = cfgmod.store_key(provider, key)
    echo(f"已保存 {provider} 的密钥：{path}（只有您自己能读取；密钥不会显示在任何输出中）")
    env = cfgmod.presets()[provider].get("key_env")
    if env and os.environ.get(env):
        echo(f"注意：环境变量 {env} 已设置，draftbot 会优先使用环境变量中的密钥。")
    echo("运行 draftbot config test 检查密钥是否被接受。")


@keys_app.command("unset")
def keys_unset(provider: str = typer.Argument(..., metavar="服务", help="服务名称。")) -> None:
    """删除保存的某个服务的密钥。

    示例：

      draftbot keys unset deepseek

      draftbot keys unset qwen
    """
    from draftbot import config as cfgmod

    if cfgmod.forget_key(provider):
        echo(f"已删除 {provider} 的密钥（{cfgmod.keys_file()}）。")
    else:
        echo(f"没有保存过 {provider} 的密钥。")


def _read_secret(prompt: str) -> str:
    """The key without echo at a terminal; from standard input otherwise (`echo … | draftbot keys set`)."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    sys.stderr.write(prompt + "\n")
    return sys.stdin.readline().strip()


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(1, width - _width(text))


def _value(cfg, key: str) -> str:
    if key == "api_key":
        if cfg.api_key:
            return cfg.masked_key
        return "不需要" if not cfg.needs_key else f"（未设置：draftbot keys set {cfg.provider or 'openai'}）"
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


def _status(cfg, preview: bool = False) -> str:
    if not cfg.configured:
        return "状态：未配置模型，draftbot write 使用离线引擎（接入大模型：draftbot config set provider 服务名）。"
    from draftbot.errors import ConfigError

    try:
        cfg.require_ready()
    except ConfigError as exc:
        return f"状态：已选择模型，但还不能调用：{exc.message}{(' ' + exc.hint) if exc.hint else ''}"
    if preview:
        return (
            "状态：以上是加了这些参数时的设置（预览，未写入配置）；命令中加同样的参数即按此调用，"
            "长期使用请运行 draftbot config set。"
        )
    return "状态：已配置，draftbot write 默认使用大模型起草（draftbot config test 可试连一次）。"


def _print_presets(cfgmod) -> None:
    echo("内置的模型服务预设（都可用 --model、--base-url 或配置文件覆盖）：")
    for name, p in cfgmod.presets().items():
        key = f"密钥 {p['key_env']}" if p.get("needs_key") else "不需要密钥"
        url = p.get("base_url") or "需用 --base-url 指定"
        model = p.get("model") or "需用 --model 指定"
        echo(f"  {name:<9}{p.get('label', '')}")
        echo(f"           模型 {model}，地址 {url}，上下文 {p.get('context_tokens')}，{key}")
