"""What keeps a person from leaving a secret post (REG24 art. 53: 清退国家秘密载体、涉密设备 before
leaving). personnel never imports documents or meetings (ARCHITECTURE "The house"), so the apps
that know what a person holds register their answer here in AppConfig.ready().

A blocker is `func(user) -> list[str]`: one short line per thing still held, naming it by its
统一编号 or reference — never a title, because the 保密办 member reading the refusal is often
outside the carrier's 知悉范围.
"""

_blockers = []


def register_leave_blocker(func):
    if func not in _blockers:
        _blockers.append(func)
    return func


def leave_blockers_for(user):
    found = []
    for blocker in _blockers:
        found.extend(blocker(user))
    return found
