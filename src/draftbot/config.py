"""Model configuration in layers, later wins:

    built-in presets (data/providers.toml) < draftbot.toml (working directory, else the user
    config dir) < environment (OPENAI_API_KEY, OPENAI_BASE_URL, DRAFTBOT_MODEL,
    DRAFTBOT_PROVIDER) < command-line flags (--provider, --model, --base-url).

Where a layer chooses the provider, the model, base URL, context size and prices of the layers
below it are dropped: `--provider qwen` means qwen's preset, not the model a config file named
for another provider. The API key is the provider's own variable (e.g. DEEPSEEK_API_KEY) when
set, else OPENAI_API_KEY, else `api_key` in the config file.

DRAFTBOT_HOME moves the user config dir (tests point it at a temporary folder).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from draftbot.errors import ConfigError, os_message
from draftbot.redact import register as register_secrets
from draftbot.resources import DATA_DIR, user_dir

CONFIG_NAME = "draftbot.toml"
DEFAULT_CONCURRENCY = 4
DEFAULT_TIMEOUT = 120.0
DEFAULT_CONTEXT = 32768

ENV_VARS = {
    "provider": "DRAFTBOT_PROVIDER",
    "model": "DRAFTBOT_MODEL",
    "base_url": "OPENAI_BASE_URL",
    "api_key": "OPENAI_API_KEY",
}
FLAG_NAMES = {
    "provider": "--provider",
    "model": "--model",
    "base_url": "--base-url",
    "concurrency": "--concurrency",
    "timeout": "--timeout",
    "context_tokens": "--context-tokens",
    "local_only": "--local-only",
    "audit_log": "--no-log",
}
# Settings that belong to one provider: taken only from the provider's layer and above.
PROVIDER_BOUND = ("model", "base_url", "context_tokens", "prices")
FILE_KEYS = {
    "provider": str,
    "model": str,
    "base_url": str,
    "api_key": str,
    "context_tokens": int,
    "concurrency": int,
    "timeout": (int, float),
    "temperature": (int, float),
    "max_output_tokens": int,
    "retries": int,
    "backoff": (int, float),
    "prices": dict,
    "providers": dict,
    "local_only": bool,  # refuse endpoints outside this machine and the LAN (localonly.py)
    "audit_log": bool,  # record every model call in the local audit log (auditlog.py)
}
PRICE_KEYS = ("input", "cached", "output")
# The allowed range of every numeric setting, checked in one place (check_number) wherever a value
# comes from: config set, draftbot.toml / the user file, environment and command-line flags.
RANGES = {
    "context_tokens": (1000, 10_000_000),
    "concurrency": (1, 64),
    "timeout": (1, 3600),
    "retries": (0, 20),
    "temperature": (0, 2),
    "max_output_tokens": (1, 1_000_000),
    "backoff": (0, 60),
    **{f"prices.{k}": (0, 100_000) for k in PRICE_KEYS},
}


@dataclass(frozen=True)
class Prices:
    """Per million tokens."""

    currency: str
    input: float
    cached: float
    output: float
    as_of: str | None = None

    def cost(self, input_tokens: int, cached_tokens: int, output_tokens: int) -> float:
        fresh = max(0, input_tokens - cached_tokens)
        return (fresh * self.input + cached_tokens * self.cached + output_tokens * self.output) / 1e6

    @property
    def symbol(self) -> str:
        return {"CNY": "¥", "USD": "$"}.get(self.currency, self.currency + " ")

    def describe(self) -> str:
        unit = {"CNY": "元", "USD": "美元"}.get(self.currency, self.currency)
        text = f"输入 {self.input:g} / 缓存命中 {self.cached:g} / 输出 {self.output:g} {unit}每百万词元"
        return text + (f"，{self.as_of} 公开价" if self.as_of else "")


def money(amount: float, currency: str = "CNY") -> str:
    """A cost with its currency: ¥0.0123, $1.25 (four decimals under one unit, two above)."""
    symbol = {"CNY": "¥", "RMB": "¥", "USD": "$", "": "¥"}.get(currency, currency + " ")
    return f"{symbol}{amount:.4f}" if abs(amount) < 1 else f"{symbol}{amount:.2f}"


@dataclass
class ModelConfig:
    provider: str | None
    model: str | None
    base_url: str | None
    api_key: str | None = field(repr=False)
    key_env: str | None = None
    needs_key: bool = True
    context_tokens: int = DEFAULT_CONTEXT
    concurrency: int = DEFAULT_CONCURRENCY
    timeout: float = DEFAULT_TIMEOUT
    temperature: float | None = None
    max_output_tokens: int | None = None
    retries: int = 3  # further attempts after a failed call
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    prices: Prices | None = None
    configured: bool = False  # a provider, model or base URL was chosen somewhere
    sources: dict[str, str] = field(default_factory=dict)
    config_file: Path | None = None
    local_only: bool = False
    audit_log: bool = True

    @property
    def masked_key(self) -> str:
        return mask_key(self.api_key)

    @property
    def key_hint(self) -> str:
        """The variable that holds the key, and the fallback: `DEEPSEEK_API_KEY（或 OPENAI_API_KEY）`."""
        own = self.key_env or "OPENAI_API_KEY"
        return own if own == "OPENAI_API_KEY" else f"{own}（或 OPENAI_API_KEY）"

    def key_setup(self, environ=None, os_name: str | None = None) -> str:
        """How to give the key: `draftbot keys set`, or the variable in the user's shell's syntax."""
        name = self.provider or "openai"
        return f"运行 draftbot keys set {name} 保存密钥，或设置环境变量：{env_command(self.key_env or 'OPENAI_API_KEY', 'sk-...', environ, os_name)}"

    def require_ready(self) -> None:
        """Raise ConfigError with a fix when the model cannot be called."""
        name = self.provider or "自定义服务"
        if not self.base_url:
            raise ConfigError(
                f"{name} 需要指定服务地址。",
                hint="例如：--base-url http://127.0.0.1:8000/v1（或设置 OPENAI_BASE_URL）",
            )
        if not self.model:
            raise ConfigError(
                f"{name} 需要指定模型名称。", hint="例如：--model 模型名（或设置 DRAFTBOT_MODEL）"
            )
        if self.needs_key and not self.api_key:
            raise ConfigError(f"缺少 {name} 的 API 密钥。", hint=self.key_setup())

    def describe(self) -> dict:
        """What goes into the draft's front matter (never the key)."""
        return {
            "provider": self.provider or "custom",
            "model": self.model,
            "base_url": safe_url(self.base_url),
        }


def env_command(name: str, value: str, environ=None, os_name: str | None = None) -> str:
    """Setting an environment variable as the user's shell writes it: bash/zsh, fish, or on
    Windows both PowerShell and cmd (which of the two runs cannot be told reliably)."""
    environ = os.environ if environ is None else environ
    if (os_name or os.name) == "nt":
        return f'PowerShell 中 $env:{name}="{value}"；命令提示符（cmd）中 set {name}={value}'
    if Path(environ.get("SHELL", "")).name == "fish":
        return f"set -gx {name} {value}"
    return f"export {name}={value}"


def safe_url(url: str | None) -> str | None:
    """The URL without user info or query string (where proxies sometimes carry a key)."""
    if not url:
        return url
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "") if "@" in parts.netloc else parts.netloc
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def mask_key(key: str | None) -> str:
    if not key:
        return "（未设置）"
    if len(key) < 16:
        return "****"
    return f"{key[:3]}…{key[-4:]}"


# -- presets -----------------------------------------------------------------------------------


@cache
def providers_data() -> dict:
    """data/providers.toml as it is: the provider presets and the `servers` table (engines/providers.py)."""
    with open(DATA_DIR / "providers.toml", "rb") as fh:
        return tomllib.load(fh)


def presets() -> dict[str, dict]:
    """The provider presets by name."""
    return {name: table for name, table in providers_data().items() if name != "servers"}


# -- config files ------------------------------------------------------------------------------


def user_config_dir() -> Path:
    return user_dir("config")


def find_config_file(cwd: Path | None = None) -> Path | None:
    """The first draftbot.toml that exists (a folder or a device by that name is an error, not skipped)."""
    for candidate in ((cwd or Path.cwd()) / CONFIG_NAME, user_config_dir() / CONFIG_NAME):
        if candidate.is_file():
            return candidate
        if os.path.lexists(candidate):
            return candidate  # load_config_file says what is wrong with it
    return None


def read_config_text(path: Path) -> str:
    """The config file's text: UTF-8 or GBK like the facts, a clear ConfigError for anything else."""
    from draftbot.errors import InputError
    from draftbot.textio import decode_bytes, read_bytes

    try:
        return decode_bytes(read_bytes(path, "配置文件", 1_000_000), f"配置文件“{path}”")
    except InputError as exc:
        raise ConfigError(exc.message, hint=exc.hint or "配置文件应是 UTF-8 编码的 TOML 文本文件。") from exc


def load_config_file(path: Path) -> dict:
    try:
        data = tomllib.loads(read_config_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件格式有误：{path}（{_toml_problem(exc)}）") from exc
    for key, value in data.items():
        kind = FILE_KEYS.get(key)
        if kind is None:
            allowed = "、".join(FILE_KEYS)
            raise ConfigError(f"配置文件 {path} 中有未知的设置项“{key}”。", hint=f"可用的设置项：{allowed}")
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise ConfigError(f"配置文件 {path} 中“{key}”的值类型不对：{value!r}")
        if key in RANGES:
            check_number(key, value, f"配置文件 {path}")
    if "prices" in data:
        _check_prices(data["prices"], str(path))
    return data


def _toml_problem(exc: Exception) -> str:
    """tomllib's English message in Chinese where it is one of the common ones, with its line."""
    text = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)", text)
    where = f"第 {match.group(1)} 行第 {match.group(2)} 列" if match else ""
    return f"{where}不是有效的 TOML：每行写成 键 = 值，文字值加引号，如 provider = \"deepseek\"".lstrip()


def _check_prices(prices: dict, where: str) -> None:
    for key in PRICE_KEYS:
        value = prices.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"{where} 的价格缺少或写错了“{key}”（每百万词元的价格，非负数）。")
        check_number(f"prices.{key}", value, where)


def check_number(key: str, value, where: str = ""):
    """`value` if it is a finite number in RANGES[key]; ConfigError (exit 2) naming the range otherwise."""
    low, high = RANGES[key]
    integer = FILE_KEYS.get(key) is int
    place = f"（来自{where}）" if where else " "
    what = "整数" if integer else "数"
    if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
        raise ConfigError(f"{key}{place}应是 {low}～{high} 之间的{what}，现在是“{value}”。")
    if not math.isfinite(value) or not low <= value <= high:
        shown = value if math.isfinite(value) else "非有限数（inf/nan）"
        raise ConfigError(f"{key}{place}应在 {low}～{high} 之间，现在是 {shown}。")
    return value


# -- resolution --------------------------------------------------------------------------------


@dataclass
class _Layer:
    label: str
    values: dict


def _layers(flags: dict | None, cwd: Path | None, environ: dict) -> tuple[list[_Layer], Path | None]:
    path = find_config_file(cwd)
    file_values = load_config_file(path) if path else {}
    layers = [_Layer(f"配置文件 {path}", {k: v for k, v in file_values.items() if k != "providers"})]
    env = {key: environ[name] for key, name in ENV_VARS.items() if environ.get(name)}
    layers.append(_Layer("环境变量", env))
    layers.append(_Layer("命令行", {k: v for k, v in (flags or {}).items() if v is not None}))
    return layers, path


def _source(layer: _Layer, key: str) -> str:
    if layer.label == "环境变量":
        return f"环境变量 {ENV_VARS[key]}"
    if layer.label == "命令行":
        return f"命令行 {FLAG_NAMES.get(key, key)}"
    return layer.label


def _preset(name: str | None, custom: dict) -> dict:
    if name is None:
        return {}
    table = dict(presets().get(name, {}))
    table.update(custom.get(name, {}))
    if not table:
        known = "、".join(sorted(set(presets()) | set(custom)))
        raise ConfigError(f"未知的模型服务“{name}”。", hint=f"可选：{known}")
    return table


def resolve_config(flags: dict | None = None, *, cwd: Path | None = None, environ=None) -> ModelConfig:
    """The effective model settings and where each came from."""
    environ = os.environ if environ is None else environ
    layers, path = _layers(flags, cwd, environ)
    custom = load_config_file(path).get("providers", {}) if path else {}
    values: dict = {}
    sources: dict[str, str] = {}
    provider_level = -1
    for level, layer in enumerate(layers):
        if "provider" in layer.values:
            provider_level = level
    for level, layer in enumerate(layers):
        for key, value in layer.values.items():
            if key in RANGES:
                check_number(key, value, _source(layer, key))
            if key in PROVIDER_BOUND and level < provider_level:
                continue
            values[key], sources[key] = value, _source(layer, key)
    configured = any(k in values for k in ("provider", "model", "base_url"))
    provider = values.get("provider")
    if provider is None and "base_url" not in values:
        provider = "openai"  # a model name alone means OpenAI's endpoint
        sources["provider"] = "默认值"
    preset = _preset(provider, custom)
    for key in ("model", "base_url", "context_tokens", "concurrency", "timeout"):
        if key not in values and preset.get(key):
            values[key], sources[key] = preset[key], f"内置预设（{provider}）"
    return _build(values, sources, preset, provider, configured, path, environ)


def _build(values, sources, preset, provider, configured, path, environ) -> ModelConfig:
    key_env = preset.get("key_env")
    api_key = values.get("api_key")
    if key_env and environ.get(key_env):
        api_key, sources["api_key"] = environ[key_env], f"环境变量 {key_env}"
    elif not sources.get("api_key", "").startswith("环境变量") and provider:
        stored = stored_key(provider)  # draftbot keys set; environment variables win over it
        if stored:
            api_key, sources["api_key"] = stored, f"密钥文件 {keys_file()}"
    prices = _prices(values, preset, sources, provider)
    from urllib.parse import urlsplit

    register_secrets(api_key, urlsplit(values.get("base_url") or "").password)
    cfg = ModelConfig(
        provider=provider,
        model=values.get("model") or None,
        base_url=(values.get("base_url") or "").rstrip("/") or None,
        api_key=api_key,
        key_env=key_env,
        needs_key=bool(preset.get("needs_key", bool(preset))),
        context_tokens=_positive(values, "context_tokens", DEFAULT_CONTEXT),
        concurrency=_positive(values, "concurrency", DEFAULT_CONCURRENCY),
        timeout=float(_positive(values, "timeout", DEFAULT_TIMEOUT)),
        temperature=values.get("temperature"),
        max_output_tokens=values.get("max_output_tokens"),
        retries=int(values.get("retries", 3)),
        backoff=float(values.get("backoff", 1.0)),
        prices=prices,
        configured=configured,
        sources=sources,
        config_file=path,
        local_only=bool(values.get("local_only", False)),
        audit_log=bool(values.get("audit_log", True)),
    )
    for key in ("context_tokens", "concurrency", "timeout", "local_only", "audit_log"):
        sources.setdefault(key, "默认值")
    check_base_url(cfg.base_url, sources.get("base_url", ""))
    return cfg


def check_base_url(url: str | None, source: str = "") -> None:
    """Refuse a service address that cannot be an OpenAI-compatible HTTP endpoint, before any request."""
    if not url:
        return
    from urllib.parse import urlsplit

    where = f"（来自{source}）" if source else ""
    example = "例如 https://api.deepseek.com/v1 或 http://127.0.0.1:8000/v1"
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https"):
        raise ConfigError(
            f"服务地址“{safe_url_text(url)}”{where}无效：应以 http:// 或 https:// 开头。", hint=example
        )
    if not parts.hostname or not _port_ok(parts) or any(ch.isspace() for ch in url):
        raise ConfigError(f"服务地址“{safe_url_text(url)}”{where}无效：缺少主机名或端口不对。", hint=example)


def _port_ok(parts) -> bool:
    try:
        return parts.port is None or 0 < parts.port
    except ValueError:  # not a number, or over 65535
        return False


def safe_url_text(url: str) -> str:
    """safe_url for any text, also one that does not parse as a URL."""
    try:
        return safe_url(url) or url
    except ValueError:
        return url.split("@")[-1].split("?")[0]


def _positive(values: dict, key: str, default):
    value = values.get(key, default)
    if not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{key} 必须是正数，现在是 {value!r}。")
    return value


def _prices(values: dict, preset: dict, sources: dict, provider: str | None) -> Prices | None:
    table = values.get("prices")
    if table is not None:
        sources["prices"] = sources.get("prices", "配置文件")
    elif preset.get("prices"):
        table = dict(preset["prices"], as_of=preset.get("prices_as_of"))
        sources["prices"] = f"内置预设（{provider}）"
    if not table:
        return None
    _check_prices(table, sources["prices"])
    return Prices(
        currency=str(table.get("currency", "CNY")),
        input=float(table["input"]),
        cached=float(table["cached"]),
        output=float(table["output"]),
        as_of=table.get("as_of"),
    )


# -- writing settings from the command line (draftbot config set / unset, draftbot keys set) ---------

KEYS_NAME = "keys.toml"
ALIASES = {"context": "context_tokens", "url": "base_url", "key": "api_key"}
PRICE_SETTINGS = {f"prices.{k}" for k in (*PRICE_KEYS, "currency")}
CLI_SETTABLE = (
    "provider", "model", "base_url", "context_tokens", "concurrency", "timeout", "retries", "temperature",
    "max_output_tokens", "local_only", "audit_log", *sorted(PRICE_SETTINGS),
)  # fmt: skip
_TRUE, _FALSE = {"true", "yes", "on", "1", "是", "开"}, {"false", "no", "off", "0", "否", "关"}


def user_config_file() -> Path:
    return user_config_dir() / CONFIG_NAME


def keys_file() -> Path:
    return user_config_dir() / KEYS_NAME


def setting_name(name: str) -> str:
    """What `config set` calls a setting (base-url, context …) as the file's key; ConfigError if unknown."""
    key = ALIASES.get(name.strip().lower().replace("-", "_"), name.strip().lower().replace("-", "_"))
    if key == "api_key":
        raise ConfigError("密钥不用 config set 保存。", hint="请运行 draftbot keys set 服务名（输入时不显示）。")
    if key not in CLI_SETTABLE:
        raise ConfigError(f"没有“{name}”这个设置项。", hint=f"可以设置：{'、'.join(CLI_SETTABLE)}")
    return key


def parse_setting(key: str, text: str, custom: dict | None = None):
    """The value of `config set KEY VALUE`, checked as the file's reader checks it; ConfigError if wrong."""
    text = text.strip()
    kind = str if key == "prices.currency" else (float if key.startswith("prices.") else FILE_KEYS[key])
    if key == "provider":
        known = set(presets()) | set(custom or {})
        if text not in known:
            raise ConfigError(f"未知的模型服务“{text}”。", hint=f"可选：{'、'.join(sorted(known))}")
        return text
    if key == "base_url":
        check_base_url(text.rstrip("/"))
        return text.rstrip("/")
    if kind is bool:
        if text.lower() not in _TRUE | _FALSE:
            raise ConfigError(f"{key} 只能是 是 或 否（也可写 true/false、on/off），而不是“{text}”。")
        return text.lower() in _TRUE
    if kind is str:
        if not text:
            raise ConfigError(f"{key} 不能为空。")
        return text
    try:
        value = int(text) if kind is int else float(text)
    except ValueError:
        low, high = RANGES[key]
        what = "整数" if kind is int else "数字"
        raise ConfigError(f"{key} 应是 {low}～{high} 之间的{what}，而不是“{text}”。") from None
    return check_number(key, int(value) if kind is int else float(value))


def _load_document(path: Path):
    import tomlkit

    if not path.exists():
        return tomlkit.document()
    load_config_file(path)  # a broken file is reported, not overwritten
    return tomlkit.parse(read_config_text(path))


def write_private(path: Path, text: str, *, private: bool = False) -> None:
    """Replace `path` atomically (the old file or the new one, never half); `private`: readable by
    its owner only (0600 on Linux and macOS; Windows keeps the user folder's own permissions)."""
    from draftbot.atomicfile import replace_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, text.encode("utf-8"), mode=0o600 if private else None)
    except OSError as exc:
        raise ConfigError(f"无法写入“{path}”：{os_message(exc)}") from exc


def set_setting(name: str, text: str) -> tuple[str, object, list[str]]:
    """`config set`: (key, value, settings dropped with an old provider) written to the user file."""
    path = user_config_file()
    doc = _load_document(path)
    key = setting_name(name)
    value = parse_setting(key, text, doc.get("providers"))
    dropped: list[str] = []
    if key == "provider" and doc.get("provider") not in (None, value):
        dropped = [k for k in PROVIDER_BOUND if k in doc]  # they belonged to the provider before
        for k in dropped:
            del doc[k]
    if key.startswith("prices."):
        import tomlkit

        if "prices" not in doc:  # a new table starts from the provider's list prices
            seed = presets().get(str(doc.get("provider", "")), {}).get("prices") or {}
            table = tomlkit.table()
            table["currency"] = seed.get("currency", "CNY")
            for field_name in PRICE_KEYS:
                table[field_name] = float(seed.get(field_name, 0.0))
            doc["prices"] = table
        doc["prices"][key.split(".", 1)[1]] = value
    else:
        doc[key] = value
    _save(path, doc)
    return key, value, dropped


def unset_setting(name: str) -> bool:
    """`config unset`: remove a setting from the user file; False when it was not there."""
    path = user_config_file()
    key = setting_name(name)
    if not path.exists():
        return False
    doc = _load_document(path)
    table, leaf = (doc.get("prices"), key.split(".", 1)[1]) if key.startswith("prices.") else (doc, key)
    if table is None or leaf not in table:
        return False
    del table[leaf]
    _save(path, doc)
    return True


def _save(path: Path, doc) -> None:
    import tomlkit

    text = tomlkit.dumps(doc)
    tomllib.loads(text)  # what is written is read back the same way
    write_private(path, text)


def stored_keys() -> dict[str, str]:
    path = keys_file()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(read_config_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"密钥文件格式有误：{path}（{_toml_problem(exc)}）") from exc
    return {k: v for k, v in data.items() if isinstance(v, str) and v}


def stored_key(provider: str) -> str | None:
    return stored_keys().get(provider)


def store_key(provider: str, key: str) -> Path:
    """Save a provider's key in the user folder, readable by its owner only."""
    import tomlkit

    known = set(presets())
    if provider not in known:
        raise ConfigError(f"未知的模型服务“{provider}”。", hint=f"可选：{'、'.join(sorted(known))}")
    key = key.strip()
    if not key or any(ch.isspace() for ch in key):
        raise ConfigError("密钥不能为空，也不能含空格。", hint="请重新运行，粘贴服务商控制台里的完整密钥。")
    keys = stored_keys()
    keys[provider] = key
    write_private(keys_file(), tomlkit.dumps(keys), private=True)
    return keys_file()


def forget_key(provider: str) -> bool:
    import tomlkit

    keys = stored_keys()
    if provider not in keys:
        return False
    del keys[provider]
    write_private(keys_file(), tomlkit.dumps(keys), private=True)
    return True


def choose_engine(engine: str | None, flags: dict) -> tuple[str, ModelConfig | None, str | None]:
    """(engine name, model config, one-line note) for `draftbot write`.

    No --engine: the LLM engine when a model is configured anywhere, else offline with a note.
    """
    if engine == "offline":
        return "offline", None, None
    cfg = resolve_config(flags)
    if engine is None and not cfg.configured:
        return "offline", None, "未配置大模型，使用离线引擎起草（接入方法：draftbot config --help）。"
    return engine or "llm", cfg, None
