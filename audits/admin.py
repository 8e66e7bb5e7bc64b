# The audit log is read through the auditor's screens only (SPEC §10); it is not in Django's admin.
