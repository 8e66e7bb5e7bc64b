"""The transition tables of the approval workflows (SPEC §5): the shape, the shared parts and
the lookup. Each kind declares its own table in approvals/kinds/<kind>.py and registers it in
ApprovalsConfig.ready(); the table is the documentation: services ask it whether a move is
allowed and who may make it.

    (state, action) -> Move(next state, who may act)

Who may act is one of three parties; approvals.policy decides whether a given user is that party
for a given request (the requester, an eligible approver of the current step, a registrar serving
every carrier's 管理部门).

Approving moves the request to 已批准 only when its last required step is approved; until then it
stays 待审批 for the next step (policy.required_steps decides how many there are).
"""
from django.db import models

from secrecy.errors import InvalidState
from secrecy.workflow import Move, Workflow

from .models import KIND_STATE_LABELS, RequestKind, RequestState
from .registry import handler_for, registered_kinds


class Action(models.TextChoices):
    SUBMIT = "submit", "提交"
    CANCEL = "cancel", "撤销"
    APPROVE = "approve", "批准"
    REJECT = "reject", "驳回"
    CHECK_OUT = "check_out", "借出"
    RETURN = "return", "归还"


class Party(models.TextChoices):
    REQUESTER = "requester", "申请人"
    APPROVER = "approver", "有审批权限的领导"
    REGISTRAR = "registrar", "负责该载体管理部门的机要秘书"
    WITNESS = "witness", "指定的监销人"


class DestroyAction(models.TextChoices):
    """Actions only a destruction batch has (kept apart so the other tables' grids stay theirs)."""

    DESIGNATE = "designate", "指定监销人"
    WITNESS_CONFIRM = "witness_confirm", "确认监销"
    EXECUTE = "execute", "执行销毁"


class CopyAction(models.TextChoices):
    """What only a 复制 request has: the registrar makes the copies."""

    MAKE_COPIES = "make_copies", "制作复制件"


# How the generic hand-out / take-back actions read for each kind that has them.
KIND_ACTION_LABELS = {
    ("carry_out", "check_out"): "携带外出",
    ("carry_out", "return"): "登记返回",
    ("repair", "check_out"): "送修",
    ("repair", "return"): "修复入库",
}


S, A, P = RequestState, Action, Party

# The asking and deciding part every kind shares.
ASK_AND_DECIDE = {
    (S.DRAFT, A.SUBMIT): Move(S.SUBMITTED, P.REQUESTER),
    (S.DRAFT, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.APPROVED, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.APPROVE): Move(S.APPROVED, P.APPROVER),
    (S.SUBMITTED, A.REJECT): Move(S.REJECTED, P.APPROVER),
}

# Handing a carrier out under the approved request and taking it back (借阅, 外出携带, 维修).
HAND_OUT_AND_TAKE_BACK = {
    (S.APPROVED, A.CHECK_OUT): Move(S.IN_PROGRESS, P.REGISTRAR),
    (S.IN_PROGRESS, A.RETURN): Move(S.COMPLETED, P.REGISTRAR),
}

def action_label(action, kind=None):
    if (str(kind), str(action)) in KIND_ACTION_LABELS:
        return KIND_ACTION_LABELS[(str(kind), str(action))]
    for choices in (Action, DestroyAction, CopyAction):
        if action in choices.values:
            return choices(action).label
    return str(action)


def state_label(kind, state):
    return KIND_STATE_LABELS.get((kind, state), RequestState(state).label)


def transitions_of(kind):
    """The declared table of a kind ({} when the kind is not registered)."""
    handler = handler_for(kind)
    return handler.transitions if handler is not None else {}


def all_transitions():
    """{kind: table} of every registered kind."""
    return {kind: handler.transitions for kind, handler in registered_kinds().items()}


def workflow_of(kind):
    """The kind's table as a Workflow (secrecy.workflow), or None when the kind is not registered."""
    table = transitions_of(kind)
    if not table:
        return None
    return Workflow(table, refusal=lambda state, action: (
        f"该{RequestKind(kind).label}申请当前为“{state_label(kind, state)}”，不能{action_label(action, kind)}"))


def move_for(kind, state, action):
    """The allowed move, or InvalidState with a message the user can read."""
    workflow = workflow_of(kind)
    if workflow is None:
        raise InvalidState(f"{RequestKind(kind).label}申请的办理流程尚未开放")
    return workflow.move_for(state, action)


def actions_from(kind, state):
    """The actions the table allows from a state (for showing buttons)."""
    workflow = workflow_of(kind)
    return workflow.actions_from(state) if workflow is not None else []
