"""What the carrier and request screens share: a service refusal as one message, a service call
whose refusal becomes that message (an invisible object a 404), and the carrier a user may see.
"""
from django.contrib import messages
from django.http import Http404

from secrecy.errors import DomainError, NotVisible, ValidationFailed

from . import selectors, services


def error_text(error):
    """A DomainError as one sentence: its message, or its field errors joined."""
    parts = [error.message] if not isinstance(error, ValidationFailed) else []
    for messages_ in error.field_errors.values():
        parts.extend([messages_] if isinstance(messages_, str) else [str(m) for m in messages_])
    return "；".join(parts) or error.message


def perform(request, action, *, success):
    """Run one service call; a refusal becomes an error message, an invisible object a 404."""
    try:
        result = action()
    except NotVisible:
        raise Http404("未找到") from None
    except DomainError as error:
        messages.error(request, error_text(error))
        return None
    messages.success(request, success)
    return result


def carrier_or_404(request, pk):
    """The carrier if the user may see it; otherwise the refusal is recorded and it is a 404."""
    try:
        return selectors.carrier_get_for_user(user=request.user, pk=pk)
    except NotVisible:
        services.carrier_record_denied(user=request.user, requested=pk)
        raise Http404("未找到该载体") from None
