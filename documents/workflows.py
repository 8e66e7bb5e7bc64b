"""The declared transition tables of the approval workflows (SPEC §5). The table is the
documentation: services ask it whether a move is allowed and who may make it.

    (state, action) -> Move(next state, who may act)

Who may act is one of three parties; documents.policy decides whether a given user is that party
for a given request (the requester, an eligible approver of the current step, a registrar serving
every carrier's 管理部门).

Approving moves the request to 已批准 only when its last required step is approved; until then it
stays 待审批 for the next step (policy.required_steps decides how many there are).
"""
import dataclasses

from django.db import models

from secrecy.errors import InvalidState

from approvals.models import KIND_STATE_LABELS, RequestKind, RequestState


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


@dataclasses.dataclass(frozen=True)
class Move:
    to: str
    by: str


S, A, P = RequestState, Action, Party

# The asking and deciding part every kind shares.
_ASK_AND_DECIDE = {
    (S.DRAFT, A.SUBMIT): Move(S.SUBMITTED, P.REQUESTER),
    (S.DRAFT, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.APPROVED, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.APPROVE): Move(S.APPROVED, P.APPROVER),
    (S.SUBMITTED, A.REJECT): Move(S.REJECTED, P.APPROVER),
}

# Handing a carrier out under the approved request and taking it back (借阅, 外出携带, 维修).
_HAND_OUT_AND_TAKE_BACK = {
    (S.APPROVED, A.CHECK_OUT): Move(S.IN_PROGRESS, P.REGISTRAR),
    (S.IN_PROGRESS, A.RETURN): Move(S.COMPLETED, P.REGISTRAR),
}

# 借阅: the requester asks, a leader approves, the registrar hands it out and takes it back.
LEND_TRANSITIONS = {**_ASK_AND_DECIDE, **_HAND_OUT_AND_TAKE_BACK}

C = CopyAction

# 复制 / 摘抄 / 汇编: asked and decided as above; the registrar then makes the copies in one step
# (new carriers linked to the original), which completes the request.
COPY_TRANSITIONS = {
    **_ASK_AND_DECIDE,
    (S.APPROVED, C.MAKE_COPIES): Move(S.COMPLETED, P.REGISTRAR),
}

# 外出携带: the registrar hands the carrier to the requester for the trip and records its return.
CARRY_OUT_TRANSITIONS = {**_ASK_AND_DECIDE, **_HAND_OUT_AND_TAKE_BACK}

# 维修: the registrar asks; after approval the registrar sends it to repair (on site under a named
# supervisor, or off site once the storage part is removed) and takes it back.
REPAIR_TRANSITIONS = {**_ASK_AND_DECIDE, **_HAND_OUT_AND_TAKE_BACK}

D = DestroyAction

# 销毁 (batch): the registrar builds and submits it, a leader approves, the registrar designates the
# 监销人 (at any time before execution), each witness confirms with their own login, and the
# registrar records the execution. Designating and confirming keep the state: the execution checks
# that enough witnesses have confirmed.
DESTROY_TRANSITIONS = {
    **_ASK_AND_DECIDE,
    (S.DRAFT, D.DESIGNATE): Move(S.DRAFT, P.REQUESTER),
    (S.SUBMITTED, D.DESIGNATE): Move(S.SUBMITTED, P.REQUESTER),
    (S.APPROVED, D.DESIGNATE): Move(S.APPROVED, P.REQUESTER),
    (S.APPROVED, D.WITNESS_CONFIRM): Move(S.APPROVED, P.WITNESS),
    (S.APPROVED, D.EXECUTE): Move(S.COMPLETED, P.REGISTRAR),
}

# 密级变更 / 延期 / 提前解密: the registrar or the 承办人 asks; the 定密责任人 (or an approver with
# 定密 authority) decides, and the decision is the change (LAW24 art. 23, 24: the classifier
# decides, the mark is changed at once, REG24 art. 21). So approving carries it out in the same
# transaction and completes the request: there is no registrar step in which an approved extension
# could wait past the expiry date it had to beat.
RECLASSIFY_TRANSITIONS = {
    (S.DRAFT, A.SUBMIT): Move(S.SUBMITTED, P.REQUESTER),
    (S.DRAFT, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.CANCEL): Move(S.CANCELLED, P.REQUESTER),
    (S.SUBMITTED, A.APPROVE): Move(S.COMPLETED, P.APPROVER),
    (S.SUBMITTED, A.REJECT): Move(S.REJECTED, P.APPROVER),
}

# 知悉范围扩大: a reader in scope or the registrar asks; the 主要负责人 (or their delegate) decides,
# and the decision is the widening (SPEC §5): approving adds the person or department at once.
SCOPE_TRANSITIONS = dict(RECLASSIFY_TRANSITIONS)

# One table per kind.
TRANSITIONS = {
    RequestKind.LEND: LEND_TRANSITIONS,
    RequestKind.COPY: COPY_TRANSITIONS,
    RequestKind.CARRY_OUT: CARRY_OUT_TRANSITIONS,
    RequestKind.REPAIR: REPAIR_TRANSITIONS,
    RequestKind.DESTROY: DESTROY_TRANSITIONS,
    RequestKind.RECLASSIFY: RECLASSIFY_TRANSITIONS,
    RequestKind.SCOPE: SCOPE_TRANSITIONS,
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


def move_for(kind, state, action):
    """The allowed move, or InvalidState with a message the user can read."""
    table = TRANSITIONS.get(kind)
    if table is None:
        raise InvalidState(f"{RequestKind(kind).label}申请的办理流程尚未开放")
    move = table.get((state, action))
    if move is None:
        raise InvalidState(
            f"该{RequestKind(kind).label}申请当前为“{state_label(kind, state)}”，不能{action_label(action, kind)}"
        )
    return move


def actions_from(kind, state):
    """The actions the table allows from a state (for showing buttons)."""
    return [action for (from_state, action) in TRANSITIONS.get(kind, {}) if from_state == state]
