"""Setting up a model from the command line, as a secretary would: `config set`, `keys set`,
`config test`, and the messages a stopped server, a wrong address or a wrong key give."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from clirun import EXAMPLE_FACTS, REPO, cli_env, run_cli
from fake_openai import FakeOpenAI, Reply

KEY = "sk-setup-secret-0a1b2c3d4e5f6789"


def home() -> Path:
    return Path(os.environ["DRAFTBOT_HOME"])


def user_file() -> dict:
    return tomllib.loads((home() / "draftbot.toml").read_text(encoding="utf-8"))


def keys_set(provider: str, key: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """`draftbot keys set PROVIDER` with the key typed on standard input (no terminal: no echo to hide)."""
    return subprocess.run(
        [sys.executable, "-m", "draftbot", "keys", "set", provider], input=key + "\n", cwd=cwd,
        env=cli_env(env), capture_output=True, text=True, encoding="utf-8", timeout=60,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_config_set_validates_writes_the_user_file_and_names_it(tmp_path):
    result = run_cli("config", "set", "provider", "deepseek", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert str(home() / "draftbot.toml") in result.stdout and "draftbot keys set deepseek" in result.stdout
    assert run_cli("config", "set", "context", "16384", cwd=tmp_path).returncode == 0
    assert run_cli("config", "set", "local_only", "是", cwd=tmp_path).returncode == 0
    assert run_cli("config", "set", "prices.input", "1.5", cwd=tmp_path).returncode == 0
    data = user_file()
    assert data["provider"] == "deepseek" and data["context_tokens"] == 16384 and data["local_only"] is True
    assert data["prices"]["input"] == 1.5 and data["prices"]["currency"] == "CNY"
    shown = run_cli("config", cwd=tmp_path)
    assert "deepseek" in shown.stdout and "16384" in shown.stdout and "仅限本地    开" in shown.stdout
    for args, words in [
        (("provider", "nosuch"), "未知的模型服务“nosuch”"),
        (("timeout", "abc"), "timeout 应是 1～3600 之间的数字"),
        (("concurrency", "0"), "concurrency 应在 1～64 之间"),
        (("timeout", "1e400"), "timeout 应在 1～3600 之间"),
        (("timeout", "nan"), "timeout 应在 1～3600 之间"),
        (("timeout", "-5"), "timeout 应在 1～3600 之间"),
        (("retries", "1000000"), "retries 应在 0～20 之间"),
        (("concurrency", "99999999999999999999"), "concurrency 应在 1～64 之间"),
        (("temperature", "99"), "temperature 应在 0～2 之间"),
        (("prices.input", "inf"), "prices.input 应在 0～100000 之间"),
        (("base_url", "localhost:8000/v1"), "应以 http:// 或 https:// 开头"),
        (("colour", "red"), "没有“colour”这个设置项"),
        (("api_key", KEY), "draftbot keys set"),
    ]:
        bad = run_cli("config", "set", *args, cwd=tmp_path)
        assert bad.returncode == 2 and words in bad.stderr, (args, bad.stderr)
        assert "Traceback" not in bad.stderr
    assert user_file() == data  # a refused value changes nothing
    (tmp_path / "facts.md").write_text("- 完成项目 3 个\n", encoding="utf-8")
    for flag, value in (("--timeout", "nan"), ("--timeout", "inf"), ("--concurrency", "99999999999999999999")):
        bad = run_cli("write", "facts.md", flag, value, cwd=tmp_path)
        assert bad.returncode == 2 and f"命令行 {flag}）应在" in bad.stderr, (flag, value, bad.stderr)
    (tmp_path / "draftbot.toml").write_text("timeout = inf\n", encoding="utf-8")
    bad = run_cli("config", cwd=tmp_path)
    assert bad.returncode == 2 and "timeout（来自配置文件" in bad.stderr and "1～3600" in bad.stderr, bad.stderr
    (tmp_path / "draftbot.toml").unlink()
    assert KEY not in (home() / "draftbot.toml").read_text(encoding="utf-8")


def test_changing_provider_drops_the_old_providers_settings_and_keeps_comments(tmp_path):
    (home() / "draftbot.toml").write_text(
        '# 我的设置\nprovider = "deepseek"\nmodel = "deepseek-reasoner"\ntimeout = 60\n', encoding="utf-8"
    )
    result = run_cli("config", "set", "provider", "ollama", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "已去掉属于原服务的设置：model" in result.stdout
    text = (home() / "draftbot.toml").read_text(encoding="utf-8")
    assert text.startswith("# 我的设置") and "deepseek-reasoner" not in text and "timeout = 60" in text
    assert run_cli("config", "unset", "timeout", cwd=tmp_path).returncode == 0
    assert "timeout" not in user_file()
    again = run_cli("config", "unset", "timeout", cwd=tmp_path)
    assert again.returncode == 0 and "无需去掉" in again.stdout
    shown = run_cli("config", cwd=tmp_path).stdout
    assert "qwen2.5:7b" in shown and "8192" in shown  # the preset agrees with the README (at least 8192)


def test_a_working_folders_file_that_wins_is_named(tmp_path):
    (tmp_path / "draftbot.toml").write_text('provider = "qwen"\n', encoding="utf-8")
    result = run_cli("config", "set", "provider", "glm", cwd=tmp_path)
    assert result.returncode == 0 and "当前文件夹中的" in result.stdout and "优先" in result.stdout


def test_keys_set_stores_the_key_owner_only_and_never_shows_it(tmp_path):
    result = keys_set("deepseek", KEY, tmp_path)
    assert result.returncode == 0, result.stderr
    path = home() / "keys.toml"
    assert str(path) in result.stdout
    assert KEY not in result.stdout + result.stderr
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shown = run_cli("config", "--provider", "deepseek", cwd=tmp_path)
    assert KEY not in shown.stdout and "密钥文件" in shown.stdout and KEY[-4:] in shown.stdout
    listed = run_cli("keys", cwd=tmp_path)
    assert "deepseek" in listed.stdout and KEY not in listed.stdout
    env_wins = run_cli("config", "--provider", "deepseek", cwd=tmp_path, env={"DEEPSEEK_API_KEY": "sk-from-env-0000999988887777"})
    assert "环境变量 DEEPSEEK_API_KEY" in env_wins.stdout
    empty = keys_set("deepseek", "", tmp_path)
    assert empty.returncode == 2 and "不能为空" in empty.stderr
    unknown = keys_set("nosuch", KEY, tmp_path)
    assert unknown.returncode == 2 and "未知的模型服务" in unknown.stderr
    gone = run_cli("keys", "unset", "deepseek", cwd=tmp_path)
    assert gone.returncode == 0 and "deepseek" not in tomllib.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "shell, words", [("/bin/bash", "export DEEPSEEK_API_KEY=sk-..."), ("/usr/bin/fish", "set -gx DEEPSEEK_API_KEY sk-...")]
)
def test_missing_key_hint_fits_the_shell(tmp_path, shell, words):
    shutil.copy(EXAMPLE_FACTS, tmp_path / "facts.md")
    result = run_cli("write", "facts.md", "--provider", "deepseek", cwd=tmp_path, env={"SHELL": shell})
    assert result.returncode == 2
    assert words in result.stderr and "draftbot keys set deepseek" in result.stderr
    assert "或OPENAI" not in result.stderr


def test_windows_hint_gives_powershell_and_cmd():
    from draftbot.config import env_command

    text = env_command("DEEPSEEK_API_KEY", "sk-...", {}, "nt")
    assert '$env:DEEPSEEK_API_KEY="sk-..."' in text and "set DEEPSEEK_API_KEY=sk-..." in text


def test_readme_quick_start_then_config_set_keys_set_config_test(tmp_path):
    """The README's quick start as written, then the three setup commands against the loopback server."""
    work = tmp_path / "repo"
    shutil.copytree(REPO / "examples", work / "examples")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick = "draftbot write examples/facts.md --engine offline --force"
    assert quick in readme
    first = run_cli(*quick.split()[1:], cwd=work)
    assert first.returncode == 0, first.stderr
    assert (work / "examples" / "facts.draft.md").exists()
    with FakeOpenAI(api_key=KEY, models=("deepseek-chat",)) as server:
        for key, value in (("provider", "deepseek"), ("base_url", server.base_url)):
            assert run_cli("config", "set", key, value, cwd=work).returncode == 0
        before = run_cli("config", "test", cwd=work)
        assert before.returncode == 2 and "缺少 deepseek 的 API 密钥" in before.stderr
        assert keys_set("deepseek", KEY, work).returncode == 0
        result = run_cli("config", "test", cwd=work)
        assert result.returncode == 0, result.stderr
        assert "可以连接" in result.stdout and "密钥：已被接受" in result.stdout and "128000" in result.stdout
        assert KEY not in result.stdout + result.stderr
        (chat,) = server.chat_requests  # one tiny request
        assert chat.body["max_tokens"] <= 8
        wrong = keys_set("deepseek", "sk-wrong-key-000000000000", work)
        assert wrong.returncode == 0
        refused = run_cli("config", "test", cwd=work)
        assert refused.returncode == 3 and "密钥无效或无权访问（401）" in refused.stderr
        assert "draftbot keys set deepseek" in refused.stderr and "DEEPSEEK_API_KEY" in refused.stderr


def test_config_test_reports_a_local_servers_window(tmp_path):
    with FakeOpenAI(flavour="llamacpp", n_ctx=4096) as server:
        result = run_cli("config", "test", "--provider", "llamacpp", "--base-url", server.base_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "上下文窗口：4096 词元" in result.stdout and "不足 8192" in result.stdout
    assert "密钥：不需要" in result.stdout


def test_config_test_without_a_model_says_how_to_set_one(tmp_path):
    result = run_cli("config", "test", cwd=tmp_path)
    assert result.returncode == 2 and "draftbot config set provider" in result.stderr


@pytest.mark.parametrize(
    "kind", ["refused", "dns", "tls", "not_found"]
)
def test_each_connection_problem_has_its_own_message(tmp_path, kind):
    with FakeOpenAI() as server:
        url = {
            "refused": f"http://127.0.0.1:{free_port()}/v1",
            "dns": "http://no-such-host.invalid/v1",
            "tls": server.base_url.replace("http://", "https://"),
            "not_found": server.base_url,
        }[kind]
        server.enqueue(Reply.error(404))
        result = run_cli("config", "test", "--base-url", url, "--model", "m", cwd=tmp_path)
    words = {
        "refused": "服务没有运行，或地址/端口不对",
        "dns": "域名无法解析",
        "tls": "加密连接（TLS）失败",
        "not_found": "模型或地址不存在（404）",
    }[kind]
    assert result.returncode == 3, result.stderr
    assert words in result.stderr and "连接中断" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_stopped_server_fails_fast_with_one_quick_retry(tmp_path):
    shutil.copy(EXAMPLE_FACTS, tmp_path / "facts.md")
    url = f"http://127.0.0.1:{free_port()}/v1"
    env = {"OPENAI_BASE_URL": url, "DRAFTBOT_MODEL": "m", "OPENAI_API_KEY": KEY}
    result = run_cli("write", "facts.md", "--concurrency", "1", cwd=tmp_path, env=env)
    assert result.returncode == 3
    assert "无法连接到" in result.stderr and "服务没有运行，或地址/端口不对" in result.stderr
    assert "draftbot config test" in result.stderr
    assert result.stderr.count("重试") <= 1  # one quick retry for the whole run, not four per part
    assert not (tmp_path / "facts.draft.md").exists()


def test_config_test_local_only_goes_direct_like_write(tmp_path):
    """A proxy in the environment is ignored with --local-only (as by write): the loopback server answers."""
    proxy = f"http://127.0.0.1:{free_port()}"  # nothing listens there: going through it would fail
    env = {name: proxy for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")}
    env.update({"NO_PROXY": "", "no_proxy": ""})
    with FakeOpenAI() as server:
        args = ("config", "test", "--base-url", server.base_url, "--model", "fake-model")
        direct = run_cli(*args, "--local-only", cwd=tmp_path, env=env)
        assert direct.returncode == 0, direct.stderr
        assert "结论：可以使用" in direct.stdout and len(server.chat_requests) == 1
        proxied = run_cli(*args, cwd=tmp_path, env=env)  # without --local-only the proxy is honoured
        assert proxied.returncode == 3 and len(server.chat_requests) == 1, proxied.stderr


def test_config_test_refuses_an_empty_answer_and_cleans_a_junk_one(tmp_path):
    args = ("config", "test", "--base-url", None, "--model", "fake-model")
    with FakeOpenAI(default=Reply(content="")) as server:
        empty = run_cli(*(a or server.base_url for a in args), cwd=tmp_path)
    assert empty.returncode == 3, empty.stdout + empty.stderr
    assert "返回了空内容" in empty.stderr and "可以使用" not in empty.stdout + empty.stderr
    assert "Traceback" not in empty.stderr
    with FakeOpenAI(default=Reply(content="好\x00\x1b[2J\x1b]0;title\x07\x08")) as server:
        junk = run_cli(*(a or server.base_url for a in args), cwd=tmp_path)
    assert junk.returncode == 0, junk.stderr
    assert "回答“好[2J]" in junk.stdout
    assert not any(ch in junk.stdout + junk.stderr for ch in "\x00\x1b\x07\x08")
