"""The client IP of a request, as the OMS API's IP whitelist sees it.

By default only the connecting address counts (``REMOTE_ADDR``): any ``X-Forwarded-For`` can be
forged by whoever connects. Only when the connecting peer is one of ``settings.TRUSTED_PROXIES``
(addresses or networks) is its ``X-Forwarded-For`` believed, read from the right and skipping
further trusted proxies, so the first address no trusted proxy vouches for is the client.

Parsing and normalising the addresses (ports, brackets, IPv4-mapped IPv6, RFC 7239 tokens) is
django-ipware's (python-ipware underneath). Its own ``proxy_trusted_ips`` matches a fixed
number of hops position by position, which cannot express "any of these networks, any number of
hops", so the walk along the chain is done here.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip
from python_ipware.modern.parsers import parse_ip, split_proxy_chain, unwrap_ipv4_network

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(
        unwrap_ipv4_network(ipaddress.ip_network(entry, strict=False)) for entry in entries
    )


def trusted_networks() -> tuple[Network, ...]:
    return _trusted_networks(tuple(settings.TRUSTED_PROXIES or ()))


def _is_trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, networks) -> bool:
    return any(ip.version == net.version and ip in net for net in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The address the whitelist is checked against, or None if none can be read."""
    peer_text, _routable = get_client_ip(request, request_header_order=["REMOTE_ADDR"])
    peer = parse_ip(peer_text) if peer_text else None
    if peer is None:
        return None
    networks = trusted_networks()
    if not networks or not _is_trusted(peer, networks):
        return str(peer)
    chain = split_proxy_chain(request.META.get("HTTP_X_FORWARDED_FOR", ""), strict=True)
    if not chain:
        # A trusted proxy that forwards no (or a garbled) chain: the proxy itself is all we know.
        return str(peer)
    for hop in reversed(chain):
        if not _is_trusted(hop, networks):
            return str(hop)
    return str(chain[0])
