from .policy import may_read_audit_log


def navigation(request):
    """`is_auditor` for the 审计日志 entry of the main navigation (only the auditor reads the log)."""
    return {"is_auditor": may_read_audit_log(getattr(request, "user", None))}
