"""System check audits.E001 (issue 11 §4): in production the audit key file must exist and be
valid, so a missing key is reported by `manage.py check --deploy` / `migrate` at deployment
rather than by the first audited action failing. With DEBUG on the key is created on first use."""
from django.conf import settings
from django.core.checks import Error, register

from .chain import key_problem


@register()
def audit_key_check(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    problem = key_problem()
    if not problem:
        return []
    return [Error(problem, hint="运行 `manage.py audit_key --create-if-missing`（首次部署），或恢复备份的密钥文件。",
                  id="audits.E001")]
