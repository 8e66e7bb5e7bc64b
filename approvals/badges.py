"""The menu badges of approvals (secrecy.badges): what each counts, as a queryset, for whom."""
from personnel.models import Role
from personnel.policy import roles_of, works_with_carriers


def requests_to_decide(user):
    """待办: requests this user may decide — an approver, or a 定密责任人 deciding 密级变更."""
    from .models import ApprovalRequest
    from .policy import decidable_requests_q, may_decide_anything

    if not works_with_carriers(user) or not (Role.APPROVER in roles_of(user) or may_decide_anything(user)):
        return None
    return ApprovalRequest.objects.filter(decidable_requests_q(user)).order_by().values("pk")


def requests_to_witness(user):
    """Approved destruction batches waiting for this user's own 监销 confirmation."""
    from .selectors import requests_to_witness_queryset

    return requests_to_witness_queryset(user=user).order_by().values("pk") if works_with_carriers(user) else None


def requests_to_carry_out(user):
    """审批办理: approved requests this registrar carries out, and copies waiting to be collected."""
    from .selectors import requests_to_carry_out_queryset

    if not works_with_carriers(user) or Role.REGISTRAR not in roles_of(user):
        return None
    return requests_to_carry_out_queryset(user=user).order_by().values("pk")
