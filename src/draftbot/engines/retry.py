"""Failed attempts: what went wrong (in Chinese), whether another attempt may succeed, how long to wait.

`classify` turns any exception of the client stack (openai, httpx, langchain) into an
`AttemptError`; `backoff_delay` spaces the retries (Retry-After honoured).
"""

from __future__ import annotations

import json
import random

MAX_BACKOFF = 60.0


class AttemptError(Exception):
    """One failed attempt; `retry` says whether another attempt may succeed."""

    def __init__(
        self,
        reason: str,
        *,
        retry: bool,
        retry_after: float | None = None,
        fatal: bool = False,
        free: bool = False,
        overflow=None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.retry_after = retry_after
        self.fatal = fatal  # no section can succeed (bad key, unknown model, prompt over the window)
        self.free = free  # not the section's fault (cut off by another request): does not use a retry
        self.overflow = overflow  # a ContextOverflow (engines/server.py) when the window was exceeded
        self.limit: int | None = None  # the window a context overflow named (set when described)
        self.failure = None  # an engines.failures.Failure: refused, DNS, TLS, key, not found


def _from_failure(failure) -> AttemptError:
    error = AttemptError(failure.reason, retry=failure.retry, fatal=failure.fatal)
    error.failure = failure
    return error


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _retry_after(response) -> float | None:
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def classify(exc: BaseException) -> AttemptError:
    """Turn an exception from the client stack into a retry decision and a Chinese reason."""
    import httpx
    import openai

    from draftbot.engines.failures import connection_failure
    from draftbot.localonly import refusal_in

    if isinstance(exc, AttemptError):
        return exc
    refused = refusal_in(exc)  # --local-only refused a redirect or a host: never retried
    if refused is not None:
        return AttemptError(refused.message, retry=False, fatal=True)
    for err in _chain(exc):
        status = getattr(err, "status_code", None)
        overflow = _overflow(err, status)
        if overflow is not None:
            return AttemptError(
                "提示词超出了模型服务的上下文窗口", retry=False, fatal=True, overflow=overflow
            )
        if isinstance(status, int):
            return _status_error(status, getattr(err, "response", None))
        if isinstance(err, openai.APITimeoutError | TimeoutError | httpx.TimeoutException):
            return AttemptError("请求超时", retry=True)
        if isinstance(err, json.JSONDecodeError | openai.APIResponseValidationError):
            return AttemptError("服务返回了无法解析的数据", retry=True)
        if isinstance(err, openai.APIConnectionError | httpx.TransportError):
            failure = connection_failure(exc, _address(exc))
            if failure is not None:
                return _from_failure(failure)
            return AttemptError(f"连接中断（{_address(exc)}）" if _address(exc) else "连接中断", retry=True)
    if isinstance(exc, ValueError) and "No generation chunks" in str(exc):
        # llama-cpp-python answers a prompt over its window with an empty stream
        return AttemptError("服务没有返回任何内容（提示词可能超出了服务的上下文窗口）", retry=True)
    return AttemptError(f"调用失败（{type(exc).__name__}）", retry=False)


def _overflow(err: BaseException, status):
    """The context overflow an error reports (any server's wording), else None."""
    from draftbot.engines.server import parse_context_error

    if not isinstance(status, int):
        return None
    response = getattr(err, "response", None)
    text = getattr(response, "text", None) if response is not None else None
    try:
        text = text if isinstance(text, str) else str(err)
    except Exception:  # noqa: BLE001 - a streamed body may not be readable any more
        text = str(err)
    return parse_context_error(status, text)


def _address(exc: BaseException) -> str:
    """The address a failed connection tried (scheme, host, port and path; never a key)."""
    from draftbot.config import safe_url

    for err in _chain(exc):
        try:
            url = str(err.request.url)  # openai and httpx errors carry the request
        except (AttributeError, RuntimeError):
            continue
        return safe_url(url) or ""
    return ""


def _status_error(status: int, response) -> AttemptError:
    if status == 429:
        return AttemptError("请求过于频繁（429）", retry=True, retry_after=_retry_after(response))
    if status >= 500 or status == 408:
        return AttemptError(f"服务出错（{status}）", retry=True, retry_after=_retry_after(response))
    from draftbot.engines.failures import status_failure

    failure = status_failure(status)
    if failure is not None:
        return _from_failure(failure)
    return AttemptError(f"请求被拒绝（{status}）", retry=False)


def backoff_delay(attempt: int, base: float, retry_after: float | None = None) -> float:
    """Seconds to wait before attempt `attempt + 1`: Retry-After when given, else exponential with jitter."""
    if retry_after is not None:
        return min(retry_after, MAX_BACKOFF)
    return min(base * 2 ** (attempt - 1) * random.uniform(0.75, 1.25), MAX_BACKOFF)


def context_hint(limit: int | None) -> str:
    """How to fix a prompt that does not fit the server's window."""
    size = f" {limit}" if limit else ""
    return (
        f"请用 --context-tokens{size or ' 加上服务端的上下文大小'} 重新运行（draftbot 会少放范文），"
        "或加大模型服务的上下文：llama.cpp 用 -c，llama-cpp-python 用 --n_ctx，vLLM 用 --max-model-len，"
        "Ollama 设置 OLLAMA_CONTEXT_LENGTH。改好后可运行 draftbot config test 查看服务的上下文窗口。"
    )
