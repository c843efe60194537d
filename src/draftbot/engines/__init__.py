"""The drafting engines behind one contract (engines.base), and choosing one by name."""

from __future__ import annotations

ENGINES = ("offline", "llm")


def get_engine(name: str, **options):
    """The engine called `name` (offline, llm); `options` go to the LLM engine's factory."""
    from draftbot.errors import ConfigError

    if name == "offline":
        from draftbot.engines.offline import OfflineEngine

        return OfflineEngine()
    if name == "llm":
        try:
            from draftbot.engines.llm import create_llm_engine
        except ImportError as exc:  # the LLM engine is not part of this build
            raise ConfigError("尚未配置大模型：当前版本只能使用离线引擎（--engine offline）。") from exc
        return create_llm_engine(**options)
    raise ConfigError(f"未知的引擎“{name}”：可选 {' 或 '.join(ENGINES)}。")
