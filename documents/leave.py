"""documents' answer to personnel's "what does this person still hold?" (REG24 art. 53: 清退国家
秘密载体 before leaving a secret post). Registered in DocumentsConfig.ready()."""
from .models import Carrier, CustodyStatus

# Where a carrier is with a person rather than in the registry (在库, 待销毁 are the registry's;
# the rest have left for good). A registrar is accountable for what is 在库, which the registry
# hands over separately; what is out in someone's hands must come back first.
HELD_STATUSES = tuple(
    s for s in CustodyStatus.values
    if s not in (CustodyStatus.IN_REGISTRY, CustodyStatus.PENDING_DESTRUCTION, CustodyStatus.DESTROYED,
                 CustodyStatus.RETURNED, CustodyStatus.ARCHIVED, CustodyStatus.TRANSFERRED, CustodyStatus.LOST)
)


def carriers_held_blocker(user):
    # Named by 统一编号, 载体类别 and status only: the 保密办 member reading it may be outside the
    # carrier's 知悉范围, so no title.
    rows = (Carrier.objects.filter(custodian=user, custody_status__in=HELD_STATUSES)
            .order_by("serial").values_list("serial", "kind", "custody_status"))
    kinds = dict(Carrier._meta.get_field("kind").choices)
    return [f"载体 {serial}（{kinds.get(kind, kind)}，{CustodyStatus(status).label}）" for serial, kind, status in rows]
