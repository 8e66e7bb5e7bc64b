"""Who hears of a carrier reported lost (SPEC §10): oversight opens or joins a 丢失 incident.

oversight sits above documents (ARCHITECTURE.md: imports point down), so documents asks the
question here and OversightConfig.ready() registers the answer. The handler runs inside the
caller's transaction, after the carrier row is locked and marked lost.
"""
_handler = None


def register_lost_carrier_handler(func):
    """func(*, actor, carrier_id, serial, level, note, notify_office) -> the incident the loss joined."""
    global _handler
    _handler = func


def lost_carrier_incident(*, actor, carrier_id, serial, level, note, notify_office):
    """The incident the loss opened or joined. Without a registered handler the loss could not be
    reported upward within the 24 hours REG24 art. 61 demands, so it is refused, not ignored."""
    if _handler is None:
        raise RuntimeError("没有登记丢失载体的处理程序（oversight 未安装）")
    return _handler(actor=actor, carrier_id=carrier_id, serial=serial, level=level, note=note,
                    notify_office=notify_office)
