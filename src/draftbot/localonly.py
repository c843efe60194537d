"""`--local-only`: refuse, before any connection, a model endpoint outside this machine or the LAN.

Accepted hosts: an IP address in a loopback, private (RFC 1918, IPv6 ULA) or link-local range;
`localhost`; or a host name that the local hosts file maps only to such addresses. Any other
name is refused *without* resolving it: a DNS query may itself go to a public server, and the
address it returns could differ from the one the HTTP client resolves a moment later (DNS
rebinding), so a name is trusted only when its answer comes from this machine's own file.
A proxy set in the environment (HTTP(S)_PROXY, ALL_PROXY) that the request would go through
must pass the same test.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from draftbot.errors import ConfigError

LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
        "::1/128", "fc00::/7", "fe80::/10",
    )
)  # fmt: skip
HINT = (
    "--local-only 只允许本机或内网的模型服务：请使用 127.0.0.1、10.x、172.16～31.x、192.168.x 等地址"
    "（或 hosts 文件中指向这些地址的主机名），或去掉 --local-only / 配置中的 local_only。"
)


def is_local_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in LOCAL_NETWORKS)


def hosts_file() -> Path:
    if sys.platform == "win32":
        root = os.environ.get("SystemRoot", r"C:\Windows")
        return Path(root) / "System32" / "drivers" / "etc" / "hosts"
    return Path("/etc/hosts")


def hosts_entries(path: Path | None = None) -> dict[str, list[str]]:
    """Host name (lower case) -> the addresses the hosts file gives it."""
    try:
        text = (path or hosts_file()).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    table: dict[str, list[str]] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        for name in fields[1:]:
            table.setdefault(name.lower().rstrip("."), []).append(fields[0])
    return table


def host_verdict(host: str, hosts: dict[str, list[str]] | None = None) -> str | None:
    """None when `host` is local; else why not (Chinese). Never queries DNS."""
    host = host.strip("[]").lower().rstrip(".")
    if not host:
        return "地址中没有主机名"
    if is_local_address(host):
        return None
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return f"{host} 是公网地址"
    except ValueError:
        pass
    if host == "localhost" or host.endswith(".localhost"):
        return None
    addresses = (hosts if hosts is not None else hosts_entries()).get(host)
    if not addresses:
        return f"主机名 {host} 不在本机 hosts 文件中，无法不经 DNS 确认它是内网地址"
    public = [a for a in addresses if not is_local_address(a)]
    if public:
        return f"hosts 文件把 {host} 指向了非内网地址 {public[0]}"
    return None


def env_proxies(environ) -> dict[str, str]:
    """{scheme or "all" or "no": value} from *_PROXY variables; lower case wins, as in urllib."""
    out: dict[str, str] = {}
    for name in sorted(environ, key=lambda n: n.islower()):
        if name.lower().endswith("_proxy") and environ[name]:
            out[name.lower()[: -len("_proxy")]] = environ[name]
    return out


def proxy_for(url: str, environ=None) -> str | None:
    """The proxy the HTTP client would use for `url` (from the environment), if any."""
    from urllib.request import proxy_bypass_environment

    proxies = env_proxies(os.environ if environ is None else environ)
    parts = urlsplit(url)
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and proxy_bypass_environment(parts.hostname or "", proxies):
        return None
    return proxy


def require_local(url: str | None, *, environ=None, hosts: dict[str, list[str]] | None = None) -> None:
    """Raise ConfigError unless `url` (and any proxy in front of it) is on this machine or the LAN."""
    from draftbot.config import safe_url

    parts = urlsplit(url or "")
    reason = host_verdict(parts.hostname or "", hosts)
    if reason is not None:
        raise ConfigError(
            f"已启用仅限本地（--local-only），拒绝连接模型服务 {safe_url(url)}：{reason}。未发送任何内容。",
            hint=HINT,
        )
    proxy = proxy_for(url or "", environ)
    if proxy is None:
        return
    reason = host_verdict(urlsplit(proxy if "://" in proxy else f"http://{proxy}").hostname or "", hosts)
    if reason is not None:
        raise ConfigError(
            f"已启用仅限本地（--local-only），但请求会经过环境变量中的代理 {safe_url(proxy)}：{reason}。未发送任何内容。",
            hint="请在 NO_PROXY 中加入模型服务的地址，或取消代理设置。",
        )
