"""What went wrong with a call to a model service, said so that the user knows what to do.

One place for the classification and its Chinese wording: the engine's retry loop (engines/llm.py
`classify`) and `draftbot config test` both use it. A connection that was refused, a host name
that does not resolve and a TLS handshake that fails are told apart from a dropped connection:
each has its own message and points at `draftbot config test`.
"""

from __future__ import annotations

import errno
import socket
import ssl
from dataclasses import dataclass

CHECK = "运行 draftbot config test 检查连接和密钥"
REFUSED_ERRNOS = {errno.ECONNREFUSED, 10061}  # 10061: WSAECONNREFUSED on Windows
DNS_WORDS = ("name or service not known", "nodename nor servname", "getaddrinfo failed",
             "temporary failure in name resolution", "no address associated", "name resolution")
TLS_WORDS = ("ssl", "certificate", "tls")


@dataclass
class Failure:
    """A classified failure: `reason` for progress lines and the final message, `hint` for what to do."""

    kind: str  # refused, dns, tls, auth, not_found
    reason: str
    hint: str
    retry: bool = False
    quick: bool = False  # one quick retry only (a server being restarted), then no section tries again
    fatal: bool = True  # no other call to the same address can succeed either


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def connection_failure(exc: BaseException, address: str = "") -> Failure | None:
    """Refused, DNS or TLS, read from the exception chain (OSError errnos and the resolver's and
    OpenSSL's messages); None for other failures (a dropped connection, a timeout)."""
    where = _server(address) or "模型服务"
    for err in _chain(exc):
        text = str(err).lower()
        if isinstance(err, ConnectionRefusedError) or getattr(err, "errno", None) in REFUSED_ERRNOS or (
            "connection refused" in text
        ):
            return Failure(
                "refused",
                f"无法连接到 {where}：服务没有运行，或地址/端口不对",
                f"请确认模型服务已经启动、地址和端口正确（draftbot config 查看地址），然后{CHECK}。",
                retry=True,
                quick=True,
            )
        if isinstance(err, socket.gaierror) or any(word in text for word in DNS_WORDS):
            return Failure(
                "dns",
                f"找不到服务器 {where}：域名无法解析（地址写错了，或本机没有联网/DNS 不可用）",
                f"请核对地址中的主机名（draftbot config 查看地址），然后{CHECK}。",
            )
        if isinstance(err, ssl.SSLError) or (
            isinstance(err, OSError) and any(word in text for word in TLS_WORDS)
        ) or "certificate_verify_failed" in text or "wrong_version_number" in text:
            return Failure(
                "tls",
                f"与 {where} 的加密连接（TLS）失败：证书不受信任，或该地址不支持 https",
                "本机服务多用 http://（不是 https://）；单位内网的自签名证书需要加入系统信任。"
                f"改好地址后{CHECK}。",
            )
    return None


def _server(address: str) -> str:
    """scheme://host:port of the address a call tried (the path says nothing about a connection)."""
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else address


def status_failure(status: int, key_env: str | None = None, provider: str | None = None) -> Failure | None:
    """401/403 (the key) and 404 (the model or the address), each with the command that checks it."""
    if status in (401, 403):
        name = provider or "openai"
        var = key_env or "OPENAI_API_KEY"
        return Failure(
            "auth",
            f"密钥无效或无权访问（{status}）",
            f"请检查 {name} 的密钥：重新运行 draftbot keys set {name}，或检查环境变量 {var}；然后{CHECK}。",
        )
    if status == 404:
        return Failure(
            "not_found",
            "模型或地址不存在（404）",
            f"请检查模型名称和地址（draftbot config set model 模型名、draftbot config set base_url 地址），然后{CHECK}。",
        )
    return None


def overflow_hint() -> str:
    return f"或{CHECK}，查看服务的上下文窗口。"
