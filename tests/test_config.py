"""Layered model configuration: presets < draftbot.toml < env < flags."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from draftbot.config import mask_key, presets, resolve_config, safe_url, user_config_dir
from draftbot.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
KEY = "sk-config-test-abcdefghijklmnop"


def resolve(tmp_path, flags=None, env=None, toml=None):
    if toml is not None:
        (tmp_path / "draftbot.toml").write_text(toml, encoding="utf-8")
    return resolve_config(flags or {}, cwd=tmp_path, environ=env or {})


def test_every_preset_is_complete():
    names = set(presets())
    assert {"openai", "deepseek", "qwen", "glm", "kimi", "ollama", "vllm"} <= names
    for name, p in presets().items():
        assert p["context_tokens"] > 0, name
        assert set(p["prices"]) >= {"currency", "input", "cached", "output"}, name
    assert presets()["ollama"]["base_url"] == "http://localhost:11434/v1"
    assert presets()["ollama"]["needs_key"] is False
    assert "compatible-mode" in presets()["qwen"]["base_url"]


def test_nothing_configured_means_offline(tmp_path):
    cfg = resolve(tmp_path)
    assert not cfg.configured


def test_preset_values_and_sources(tmp_path):
    cfg = resolve(tmp_path, env={"DRAFTBOT_PROVIDER": "deepseek", "DEEPSEEK_API_KEY": KEY})
    assert cfg.configured
    assert (cfg.model, cfg.base_url) == ("deepseek-chat", "https://api.deepseek.com/v1")
    assert cfg.sources["provider"] == "环境变量 DRAFTBOT_PROVIDER"
    assert cfg.sources["model"] == "内置预设（deepseek）"
    assert cfg.sources["api_key"] == "环境变量 DEEPSEEK_API_KEY"
    assert cfg.prices.currency == "CNY" and cfg.prices.cached < cfg.prices.input


def test_layers_later_wins(tmp_path):
    toml = 'provider = "qwen"\nmodel = "qwen-max"\nconcurrency = 6\ntimeout = 30\n'
    cfg = resolve(tmp_path, toml=toml)
    assert (cfg.provider, cfg.model, cfg.concurrency, cfg.timeout) == ("qwen", "qwen-max", 6, 30.0)
    cfg = resolve(tmp_path, env={"DRAFTBOT_MODEL": "qwen-turbo"})
    assert cfg.model == "qwen-turbo" and cfg.sources["model"] == "环境变量 DRAFTBOT_MODEL"
    cfg = resolve(tmp_path, flags={"model": "qwen-long"}, env={"DRAFTBOT_MODEL": "qwen-turbo"})
    assert cfg.model == "qwen-long" and cfg.sources["model"] == "命令行 --model"


def test_provider_from_higher_layer_drops_lower_model(tmp_path):
    cfg = resolve(tmp_path, flags={"provider": "kimi"}, toml='provider = "qwen"\nmodel = "qwen-max"\n')
    assert (cfg.provider, cfg.model) == ("kimi", presets()["kimi"]["model"])
    assert cfg.base_url == "https://api.moonshot.cn/v1"
    # but what the same or a higher layer says about the model is kept
    cfg = resolve(tmp_path, flags={"provider": "kimi", "model": "moonshot-v1-32k"})
    assert cfg.model == "moonshot-v1-32k"


def test_env_base_url_and_key(tmp_path):
    cfg = resolve(
        tmp_path,
        env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1/", "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY},
    )
    assert cfg.base_url == "http://127.0.0.1:9/v1" and cfg.provider is None
    assert cfg.api_key == KEY and cfg.sources["api_key"] == "环境变量 OPENAI_API_KEY"
    cfg.require_ready()


def test_user_dir_file_and_cwd_precedence(tmp_path, monkeypatch):
    home = Path(os.environ["DRAFTBOT_HOME"])
    assert user_config_dir() == home
    (home / "draftbot.toml").write_text('provider = "glm"\n', encoding="utf-8")
    assert resolve(tmp_path).provider == "glm"
    cfg = resolve(tmp_path, toml='provider = "ollama"\n')  # the working directory wins
    assert cfg.provider == "ollama" and cfg.config_file == tmp_path / "draftbot.toml"
    cfg.require_ready()  # ollama needs no key


def test_custom_prices_and_provider_table(tmp_path):
    toml = (
        'provider = "mine"\n[providers.mine]\nbase_url = "http://127.0.0.1:8000/v1"\nmodel = "m1"\n'
        "context_tokens = 16000\nneeds_key = false\n"
        '[prices]\ncurrency = "CNY"\ninput = 1\ncached = 0.1\noutput = 2\n'
    )
    cfg = resolve(tmp_path, toml=toml)
    assert (cfg.model, cfg.context_tokens) == ("m1", 16000)
    assert cfg.prices.cost(1_000_000, 500_000, 1_000_000) == pytest.approx(0.5 + 0.05 + 2)


@pytest.mark.parametrize(
    "toml,needle",
    [
        ("provider = \n", "格式有误"),
        ("modle = 'x'\n", "未知的设置项“modle”"),
        ("concurrency = 'four'\n", "类型不对"),
        ("[prices]\ninput = 1\n", "价格"),
        ("provider = 'nope'\n", "未知的模型服务“nope”"),
        ("concurrency = 0\n", "应在 1～64 之间"),
        ("timeout = inf\n", "timeout（来自配置文件"),
        ("timeout = nan\n", "应在 1～3600 之间"),
        ("retries = 1000000\n", "retries（来自配置文件"),
        ("temperature = 99\n", "应在 0～2 之间"),
        ("[prices]\ninput = inf\noutput = 1\ncached = 1\n", "prices.input"),
    ],
)
def test_bad_config_file_names_the_problem(tmp_path, toml, needle):
    with pytest.raises(ConfigError) as err:
        resolve(tmp_path, toml=toml)
    assert needle in err.value.message + (err.value.hint or "")


def test_missing_key_names_the_env_var(tmp_path):
    cfg = resolve(tmp_path, flags={"provider": "deepseek"})
    with pytest.raises(ConfigError) as err:
        cfg.require_ready()
    assert "DEEPSEEK_API_KEY=sk-..." in err.value.hint and "draftbot keys set deepseek" in err.value.hint


def test_vllm_needs_url_and_model(tmp_path):
    with pytest.raises(ConfigError) as err:
        resolve(tmp_path, flags={"provider": "vllm"}).require_ready()
    assert "--base-url" in err.value.hint
    resolve(
        tmp_path, flags={"provider": "vllm", "base_url": "http://h:8000/v1", "model": "q"}
    ).require_ready()


def test_mask_key_never_shows_the_key():
    assert KEY not in mask_key(KEY) and mask_key(KEY).endswith(KEY[-4:])
    assert mask_key("short") == "****" and mask_key(None) == "（未设置）"


def run_cli(args, tmp_path, env):
    full = {**os.environ, "PYTHONPATH": str(REPO / "src"), **env}
    return subprocess.run(
        [sys.executable, "-m", "draftbot", *args],
        cwd=tmp_path,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_config_command_shows_sources_and_masks_key(tmp_path):
    (tmp_path / "draftbot.toml").write_text('provider = "deepseek"\nconcurrency = 8\n', encoding="utf-8")
    proc = run_cli(["config", "--model", "deepseek-reasoner"], tmp_path, {"OPENAI_API_KEY": KEY})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "deepseek-reasoner" in out and "命令行 --model" in out
    assert "https://api.deepseek.com/v1" in out and "内置预设（deepseek）" in out
    assert str(tmp_path / "draftbot.toml") in out and "8" in out
    assert KEY not in out + proc.stderr and KEY[-4:] in out
    assert "预览，未写入配置" in out and "已配置" not in out  # a preview is not a setting


def test_config_command_offline_and_providers(tmp_path):
    proc = run_cli(["config"], tmp_path, {})
    assert proc.returncode == 0 and "离线引擎" in proc.stdout
    proc = run_cli(["config", "--providers"], tmp_path, {})
    assert proc.returncode == 0
    for name in ("openai", "deepseek", "qwen", "glm", "kimi", "ollama", "vllm"):
        assert name in proc.stdout


def test_config_command_bad_file_is_exit_2(tmp_path):
    (tmp_path / "draftbot.toml").write_text("provider = [\n", encoding="utf-8")
    proc = run_cli(["config"], tmp_path, {})
    assert proc.returncode == 2 and "配置文件格式有误" in proc.stderr and "Traceback" not in proc.stderr


def test_safe_url_drops_credentials():
    assert (
        safe_url("https://user:sk-secret@proxy.example:8443/v1?key=sk-secret")
        == "https://proxy.example:8443/v1"
    )
    assert safe_url("http://localhost:11434/v1") == "http://localhost:11434/v1"
