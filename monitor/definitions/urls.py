"""Which feed URLs may be polled: http(s) to a host that is not link-local, unspecified, multicast or broadcast,
or a local file (which the loader also requires to be inside the home)."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

URL_RULE = "only http(s) URLs or files inside the home are polled"


def is_local(url: str) -> bool:
    """A `file:` URL or a path: read from disk rather than fetched (as the fetcher decides)."""
    return url.startswith("file:") or "://" not in url


def url_problem(url: str) -> str | None:
    """None when a feed URL may be polled, else why not ("" when the rule itself says it): http(s) with a host
    that is not link-local, unspecified or multicast; or a local file (`file:///path` or a path), which the
    loader also requires to be inside the home. Loopback and private addresses stay allowed."""
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        return "control characters"
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as e:  # a bad port or a malformed [IPv6] host
        return str(e)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        host = parts.hostname
        if not host:
            return "no host"
        if not port_ok:
            return "port 0"
        refused = _refused_address(host)
        return f"{refused} address" if refused else None
    if scheme == "file":
        return None if not parts.netloc and parts.path.startswith("/") else "a file: URL is file:///absolute/path"
    if scheme == "" and not url.startswith("//"):
        return None  # a path
    return ""


def _refused_address(host: str) -> str | None:
    """What is wrong with an IP-literal host (link-local, unspecified, multicast, broadcast), else None. Names are
    not resolved here: that is the fetcher's business at connect time."""
    h = host.rstrip(".").split("%", 1)[0]
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        ip = None
        if re.fullmatch(r"[0-9a-fA-FxX.]+", h) and re.search(r"\d", h):
            try:  # the shorthand forms a resolver also takes: 2852039166, 0xa9.254.0xa9fe, 169.254.43518
                ip = ipaddress.IPv4Address(socket.inet_aton(h))
            except OSError:
                ip = None
    if ip is None:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("0.0.0.0/8")):
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip == ipaddress.IPv4Address("255.255.255.255"):
        return "broadcast"
    return None
