"""Shared pytest fixtures."""

from __future__ import annotations

import pytest

from fake_openai import FakeOpenAI

# --- model access (LLM engine) ------------------------------------------------------------
_MODEL_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DRAFTBOT_MODEL", "DRAFTBOT_PROVIDER", "DRAFTBOT_CONFIG")


@pytest.fixture(autouse=True)
def _isolated_user_config(tmp_path_factory, monkeypatch):
    """No test reads the real home or a developer's model settings."""
    monkeypatch.setenv("DRAFTBOT_HOME", str(tmp_path_factory.mktemp("draftbot-home")))
    for name in _MODEL_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_openai():
    """A running loopback OpenAI-compatible server (see tests/fake_openai.py)."""
    with FakeOpenAI() as server:
        yield server
