"""The declared transition tables of the approval workflows (SPEC §5). The table is the
documentation: services ask it whether a move is allowed and who may make it.

    (state, action) -> Move(next state, who may act)

Who may act is one of three parties; documents.policy decides whether a given user is that party
for a given request (the requester, an eligible approver of the current step, a registrar serving
every carrier's 管理部门).

Approving moves the request to 已批准 only when its last required step is approved; until then it
stays 待审批 for the next step (a 绝密 copy, for instance, will have more than one step).
"""
import dataclasses

from django.db import models

from secrecy.errors import InvalidState

from .models import KIND_STATE_LABELS, RequestKind, RequestState


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


@dataclasses.dataclass(frozen=True)
class Move:
    to: str
    by: str


S, A, P = RequestState, Action, Party

# 借阅: the requester asks, a leader approves, the registrar hands it out and takes it back.
LEND_TRANSITIONS = {
    (S.DRAFT, A.SUBMIT): Move(S.SUBMITTED, P.REQUESTER),
    (S.DRAFT, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.APPROVED, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.APPROVE): Move(S.APPROVED, P.APPROVER),
    (S.SUBMITTED, A.REJECT): Move(S.REJECTED, P.APPROVER),
    (S.APPROVED, A.CHECK_OUT): Move(S.IN_PROGRESS, P.REGISTRAR),
    (S.IN_PROGRESS, A.RETURN): Move(S.COMPLETED, P.REGISTRAR),
}

D = DestroyAction

# 销毁 (batch): the registrar builds and submits it, a leader approves, the registrar designates the
# 监销人 (at any time before execution), each witness confirms with their own login, and the
# registrar records the execution. Designating and confirming keep the state: the execution checks
# that enough witnesses have confirmed.
DESTROY_TRANSITIONS = {
    (S.DRAFT, A.SUBMIT): Move(S.SUBMITTED, P.REQUESTER),
    (S.DRAFT, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.APPROVED, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.APPROVE): Move(S.APPROVED, P.APPROVER),
    (S.SUBMITTED, A.REJECT): Move(S.REJECTED, P.APPROVER),
    (S.DRAFT, D.DESIGNATE): Move(S.DRAFT, P.REQUESTER),
    (S.SUBMITTED, D.DESIGNATE): Move(S.SUBMITTED, P.REQUESTER),
    (S.APPROVED, D.DESIGNATE): Move(S.APPROVED, P.REQUESTER),
    (S.APPROVED, D.WITNESS_CONFIRM): Move(S.APPROVED, P.WITNESS),
    (S.APPROVED, D.EXECUTE): Move(S.COMPLETED, P.REGISTRAR),
}

# One table per kind; the other kinds are added together with their services.
TRANSITIONS = {
    RequestKind.LEND: LEND_TRANSITIONS,
    RequestKind.DESTROY: DESTROY_TRANSITIONS,
}


def action_label(action):
    for choices in (Action, DestroyAction):
        if action in choices.values:
            return choices(action).label
    return str(action)


def state_label(kind, state):
    return KIND_STATE_LABELS.get((kind, state), RequestState(state).label)


def move_for(kind, state, action):
    """The allowed move, or InvalidState with a message the user can read."""
    table = TRANSITIONS.get(kind)
    if table is None:
        raise InvalidState(f"{RequestKind(kind).label}申请的办理流程尚未开放")
    move = table.get((state, action))
    if move is None:
        raise InvalidState(
            f"该{RequestKind(kind).label}申请当前为“{state_label(kind, state)}”，不能{action_label(action)}"
        )
    return move


def actions_from(kind, state):
    """The actions the table allows from a state (for showing buttons)."""
    return [action for (from_state, action) in TRANSITIONS.get(kind, {}) if from_state == state]
