"""Shared pytest fixtures."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

# Before any draftbot module compiles patterns or caches data: never the real user folders.
os.environ["DRAFTBOT_HOME"] = tempfile.mkdtemp(prefix="draftbot-tests-")

from fake_openai import FakeOpenAI

# --- model access (LLM engine) ------------------------------------------------------------
_MODEL_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "DRAFTBOT_MODEL",
    "DRAFTBOT_PROVIDER",
    "DEEPSEEK_API_KEY",
    "DASHSCOPE_API_KEY",
    "ZHIPUAI_API_KEY",
    "MOONSHOT_API_KEY",
)
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def _isolated_user_config(tmp_path_factory, monkeypatch):
    """No test reads the real home or a developer's model settings."""
    monkeypatch.setenv("DRAFTBOT_HOME", str(tmp_path_factory.mktemp("draftbot-home")))
    for name in _MODEL_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Tests never reach the network: a connection beyond 127.0.0.1 fails at once."""
    real_connect = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOPBACK:
            raise ConnectionRefusedError(f"network access blocked in tests: {address[0]}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def fake_openai():
    """A running loopback OpenAI-compatible server (see tests/fake_openai.py)."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def cli(monkeypatch, capfd):
    """Run draftbot's main() in this process (langchain is imported once, not per run)."""

    def run(*args, cwd: Path, env: dict | None = None):
        from draftbot.cli import main

        monkeypatch.chdir(cwd)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capfd.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        out, err = capfd.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run
