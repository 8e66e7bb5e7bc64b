"""The client address of a request, one rule for the audit log (source_ip) and django-axes
(AXES_CLIENT_IP_CALLABLE), so both name the same machine.

X-Forwarded-For is written by whoever sends the request, so it is believed only when the request
comes from a proxy the operator listed in SECRECY_TRUSTED_PROXIES (addresses or networks,
comma-separated; default none). The header is then read from the right — each trusted proxy
appends the address it saw — and the first address that is not itself a trusted proxy is the
client. Anything unparsable falls back to the connecting address, never to what a client wrote.
"""
import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies):
    networks = []
    for entry in proxies:
        entry = entry.strip()
        if entry:
            networks.append(ipaddress.ip_network(entry, strict=False))
    return tuple(networks)


def _parse(value):
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def _trusted(address, networks):
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request):
    remote = _parse(request.META.get("REMOTE_ADDR"))
    if remote is None:
        return None
    networks = _networks(tuple(getattr(settings, "SECRECY_TRUSTED_PROXIES", ()) or ()))
    if not networks or not _trusted(remote, networks):
        return str(remote)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed(forwarded.split(",")):
        address = _parse(hop)
        if address is None:
            # A malformed hop: what lies left of it cannot be trusted either.
            break
        if not _trusted(address, networks):
            return str(address)
    return str(remote)
