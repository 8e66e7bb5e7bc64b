"""Password rules that depend on the person (SPEC §12)."""
from django.core.exceptions import ValidationError

MIN_LENGTH_HIGH_CLEARANCE = 10


class ClearanceLengthValidator:
    """≥ 10 characters for accounts cleared for 机密 or 绝密 (SPEC §12); the general ≥ 8 rule is
    Django's MinimumLengthValidator."""

    def validate(self, password, user=None):
        from secrecy.levels import Level

        from .policy import person_of

        person = person_of(user) if user is not None and getattr(user, "pk", None) else None
        if person is not None and person.clearance >= Level.SECRET and len(password) < MIN_LENGTH_HIGH_CLEARANCE:
            raise ValidationError(f"机密级以上涉密人员的密码至少 {MIN_LENGTH_HIGH_CLEARANCE} 位。",
                                  code="password_too_short_for_clearance")

    def get_help_text(self):
        return f"机密级以上涉密人员的密码至少 {MIN_LENGTH_HIGH_CLEARANCE} 位。"


class PasswordAgeRecorder:
    """Validates nothing; Django calls password_changed() after a new password is saved, which is
    when the rotation clock restarts and the new hash joins the password history."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        from .services_sessions import password_change_record

        if user is not None and user.pk:
            password_change_record(user=user)

    def get_help_text(self):
        return ""
