"""Cells shared by the carrier registers: dates, statuses and marks printed the same way on every
register of this package."""
import zoneinfo

from django.conf import settings
from django.utils import timezone

from secrecy.levels import Urgency, is_state_secret

from ..models import CustodyStatus, Direction, SecrecyStatus, TransmissionMethod

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def unit_name():
    return settings.SECRECY.get("UNIT_NAME", "")


def date_text(value):
    return value.isoformat() if value else ""


def local_date_text(moment):
    return timezone.localtime(moment, SHANGHAI).date().isoformat() if moment else ""


def moment_text(moment):
    return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


def status_text(carrier):
    status = CustodyStatus(carrier.custody_status).label
    if carrier.secrecy_status == SecrecyStatus.DECLASSIFIED:
        status += "（已解密）"
    return status


def urgency_text(carrier):
    return Urgency(carrier.urgency).label if carrier.urgency else ""


def transmission_text(carrier):
    return TransmissionMethod(carrier.transmission).label if carrier.transmission else ""


def number_or_serial(carrier):
    parts = [carrier.doc_number] if carrier.doc_number else []
    if carrier.device_serial:
        parts.append(f"序列号 {carrier.device_serial}")
    return "\n".join(parts)


def period_mark(carrier):
    """保密期限 printed as the full mark (机密★10年); a work secret has no state-secret period."""
    return carrier.mark if is_state_secret(carrier.level) else "—"


def issuer_text(carrier):
    if carrier.issuer:
        return carrier.issuer
    # Outgoing and internal carriers are made by the unit itself.
    if carrier.direction in (Direction.OUTGOING, Direction.INTERNAL):
        return unit_name()
    return ""
