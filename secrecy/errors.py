"""Domain error hierarchy. Services raise these; views translate them to a message in one place."""


class DomainError(Exception):
    """A business rule refused the action. `message` is shown to the user (Chinese)."""

    def __init__(self, message="操作未被允许", *, field_errors=None):
        super().__init__(message)
        self.message = message
        # {field_name: [message, ...]} so forms can show the error next to the field.
        self.field_errors = field_errors or {}


class PolicyDenied(DomainError):
    """The actor may not do this."""


class InvalidState(DomainError):
    """The object is not in a state that allows this action."""


class ValidationFailed(DomainError):
    """Input breaks a rule; field_errors says which field."""

    def __init__(self, field_errors, message="输入有误，请检查标红的字段"):
        super().__init__(message, field_errors=field_errors)


class NotVisible(DomainError):
    """The object does not exist for this user (answered as 404, never 403)."""

    def __init__(self, message="未找到"):
        super().__init__(message)


def full_clean_or_refuse(instance, **kwargs):
    """Model validation (field ranges, lengths, choices) as a refusal at the fields. A service
    that calls full_clean() must not let Django's ValidationError escape: it is no DomainError,
    so the views would answer it with a 500."""
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean(**kwargs)
    except ValidationError as error:
        problems = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        raise ValidationFailed(problems) from None
