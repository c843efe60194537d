"""`draftbot config test`: one tiny request to the configured model — is the service running, is the
key accepted, does the model exist, how large is its context window?"""

from __future__ import annotations

import time

from draftbot.config import ModelConfig, safe_url
from draftbot.errors import ModelError

PROBE_PROMPT = "请只回答一个字：好"
ANSWER_CAP = 8  # tokens: the test costs next to nothing
SHORT_WINDOW = 8192  # a 述职报告 needs at least this (README: 本机模型服务)


def test_connection(cfg: ModelConfig) -> list[str]:
    """The lines `config test` prints; ModelError (exit 3) with the cause and its fix when the call fails."""
    import openai

    from draftbot.engines.providers import profile_for
    from draftbot.engines.retry import classify

    name = cfg.provider or "自定义服务"
    lines = [f"试连 {name}：模型 {cfg.model}，地址 {safe_url(cfg.base_url)}"]
    from draftbot.engines.client import sync_http_client
    from draftbot.localonly import refusal_in

    client = openai.OpenAI(
        base_url=cfg.base_url, api_key=cfg.api_key or "not-needed", timeout=min(cfg.timeout, 30.0), max_retries=0,
        http_client=sync_http_client(cfg),  # the connection policy of draftbot write
    )
    profile = profile_for(cfg.provider, cfg.base_url)
    cap = {profile.cap_field: ANSWER_CAP}
    started = time.monotonic()
    try:
        reply = client.chat.completions.create(
            model=cfg.model, messages=[{"role": "user", "content": PROBE_PROMPT}], **cap
        )
    except Exception as exc:  # noqa: BLE001 - every failure is classified and explained
        refused = refusal_in(exc)
        if refused is not None:  # as in draftbot write: the refusal itself, with its hint
            raise ModelError(refused.message, hint=refused.hint) from exc
        raise ModelError(f"试连失败：{classify(exc).reason}。", hint=_hint(classify(exc), cfg)) from exc
    finally:
        client.close()
    seconds = time.monotonic() - started
    answer = printable((reply.choices[0].message.content or "") if reply.choices else "").strip()
    if not answer:  # draftbot write would fail the same way (模型返回了空内容)
        raise ModelError(
            f"试连失败：服务可以连接（{seconds:.1f} 秒），但模型 {printable(reply.model or cfg.model or '')} 返回了空内容，"
            "draftbot write 无法用它起草。",
            hint="请换一个模型（--model），或检查服务端的模型是否已正确加载、对话模板是否正确。",
        )
    lines.append(f"  服务：可以连接（{seconds:.1f} 秒得到回答）")
    lines.append("  密钥：已被接受" if cfg.needs_key or cfg.api_key else "  密钥：不需要")
    lines.append(f"  模型：{printable(reply.model or cfg.model or '')} 可以使用，回答“{answer[:20]}”")
    lines.append(_window_line(cfg, bool(cfg.base_url) and profile.probe))
    lines.append("结论：可以使用。draftbot write 要点.md 会用这个模型起草。")
    return lines


def printable(text: str) -> str:
    """`text` without control characters (NUL, ESC …: a server's junk must not drive the terminal)."""
    import unicodedata

    text = text.replace("\n", " ").replace("\t", " ")
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))


def _hint(error, cfg: ModelConfig) -> str:
    from draftbot.engines.failures import status_failure

    failure = error.failure
    if failure is not None and failure.kind == "auth":
        failure = status_failure(401, cfg.key_env, cfg.provider)
    if failure is not None:
        return failure.hint
    return "请核对地址、模型名称和密钥（draftbot config 查看当前设置），稍后再试一次。"


def _window_line(cfg: ModelConfig, local: bool) -> str:
    if local:
        from draftbot.engines.server import probe

        info = probe(cfg.base_url, cfg.model, cfg.api_key, bool(getattr(cfg, "local_only", False)))
        if info.context:
            short = (
                f"；不足 {SHORT_WINDOW}，放不下述职报告的提示词，请加大服务的上下文" if info.context < SHORT_WINDOW else ""
            )
            return f"  上下文窗口：{info.context} 词元（{info.label} 报告）{short}"
    source = cfg.sources.get("context_tokens", "默认值")
    return f"  上下文窗口：{cfg.context_tokens} 词元（{source}；服务没有报告窗口大小）"
