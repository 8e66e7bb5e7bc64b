"""The current request's source IP, so services can record it without taking a request argument."""
import contextvars

_source_ip = contextvars.ContextVar("secrecy_source_ip", default=None)


def set_source_ip(ip):
    return _source_ip.set(ip)


def reset_source_ip(token):
    _source_ip.reset(token)


def current_source_ip():
    return _source_ip.get()
