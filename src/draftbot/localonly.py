"""`--local-only`: model requests go only to this machine or the LAN, and only directly.

Local means an address in a loopback, private (RFC 1918, IPv6 ULA) or link-local range; `localhost`
and `*.localhost` count only when they resolve to loopback. A host name is resolved (hosts file,
then the system's resolver) and every address it resolves to must be local.

Three layers:

- `require_local(url)` before anything is sent (the engine's guard calls it when a run starts);
- the HTTP clients made here (`async_client`, `sync_client`) with `local_only=True`: no proxy from
  the environment (`trust_env=False`: HTTP(S)_PROXY/ALL_PROXY would send the request elsewhere and
  make a LAN server unreachable), no redirect followed (a redirect is refused and its target shown),
  and the host of every request resolved and checked before the client connects;
- `refusal_in(exc)` finds such a refusal inside whatever the client stack wrapped it in.

Not excluded: the HTTP client resolves the name once more when it connects, so a DNS server that
answers differently a moment later (DNS rebinding) is not caught; give an IP address (or a hosts
file entry) for the strictest setting.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from draftbot.errors import ConfigError

LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
        "::1/128", "fc00::/7", "fe80::/10",
    )
)  # fmt: skip
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
HINT = (
    "--local-only 只允许本机或内网的模型服务：请使用 127.0.0.1、10.x、172.16～31.x、192.168.x 等地址"
    "（或解析到这些地址的主机名），或去掉 --local-only / 配置中的 local_only。"
)
PREFIX = "已启用仅限本地（--local-only）"

Resolver = Callable[[str, int | None], list[str]]


class Refused(ConfigError):
    """A request --local-only does not allow (the host is not local, or the server redirects)."""

    def __init__(self, message: str, hint: str | None = HINT):
        super().__init__(message, hint=hint)


def _address(text: str):
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address


def is_local_address(text: str, networks=LOCAL_NETWORKS) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in networks)


def resolve(host: str, port: int | None = None) -> list[str]:
    """Every address the system resolves `host` to (hosts file first); [] when it cannot."""
    try:
        infos = socket.getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def host_verdict(host: str, port: int | None = None, resolver: Resolver = resolve) -> str | None:
    """None when `host` is local; else why not (Chinese)."""
    host = host.strip("[]").lower().rstrip(".")
    if not host:
        return "地址中没有主机名"
    if _address(host) is not None:
        return None if is_local_address(host) else f"{host} 是公网地址"
    loopback_only = host == "localhost" or host.endswith(".localhost")
    addresses = resolver(host, port)
    if not addresses:
        return f"无法解析主机名 {host}，不能确认它在本机或内网"
    networks = LOOPBACK if loopback_only else LOCAL_NETWORKS
    outside = [a for a in addresses if not is_local_address(a, networks)]
    if outside:
        where = "不是本机回环地址" if loopback_only else "不在本机或内网"
        return f"主机名 {host} 解析到 {outside[0]}，{where}"
    return None


def require_local(url: str | None, *, resolver: Resolver = resolve) -> None:
    """Raise Refused unless `url`'s host is on this machine or the LAN (nothing is sent either way)."""
    from draftbot.config import safe_url

    parts = urlsplit(url or "")
    reason = host_verdict(parts.hostname or "", _port(parts), resolver)
    if reason is not None:
        raise Refused(f"{PREFIX}，拒绝连接模型服务 {safe_url(url)}：{reason}。未发送任何内容。")


def _port(parts) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def refusal_in(exc: BaseException | None) -> Refused | None:
    """The Refused inside `exc` (the client stack wraps errors raised in its hooks), if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, Refused):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


# -- the HTTP clients -----------------------------------------------------------------------------


def _check_request(request) -> None:
    require_local(str(request.url))


def _refuse_redirect(response) -> None:
    if not response.is_redirect:
        return
    from draftbot.config import safe_url

    source = str(response.request.url)
    target = urljoin(source, response.headers.get("location", ""))
    raise Refused(
        f"{PREFIX}，模型服务 {safe_url(source)} 要求重定向到 {safe_url(target)}（{response.status_code}），"
        "已拒绝：仅限本地时不跟随任何重定向。",
        hint="请把配置中的服务地址直接改成最终地址（须在本机或内网）。",
    )


async def _check_request_async(request) -> None:
    import asyncio

    parts = urlsplit(str(request.url))
    host = (parts.hostname or "").strip("[]")
    addresses: list[str] = []
    if host and _address(host) is None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, _port(parts) or 0, type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        except (OSError, UnicodeError):
            pass
    require_local(str(request.url), resolver=lambda _host, _port: addresses)


async def _refuse_redirect_async(response) -> None:
    _refuse_redirect(response)


def async_client(local_only: bool, **options):
    """The async HTTP client for the model calls: with `local_only`, the policy above; otherwise
    the openai SDK's default client."""
    if not local_only:
        import openai

        return openai.DefaultAsyncHttpxClient(**options)
    import httpx

    hooks = {"request": [_check_request_async], "response": [_refuse_redirect_async]}
    options = {**options, "follow_redirects": False, "trust_env": False}
    return httpx.AsyncClient(event_hooks=hooks, **options)


def sync_client(local_only: bool, **options):
    """A plain HTTP client (the server probes): never the environment's proxy, no redirects, and
    with `local_only` every request's host checked before connecting."""
    import httpx

    hooks = {"request": [_check_request], "response": [_refuse_redirect]} if local_only else {}
    options = {**options, "follow_redirects": False, "trust_env": False}
    return httpx.Client(event_hooks=hooks, **options)
