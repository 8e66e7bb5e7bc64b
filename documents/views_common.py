"""What the carrier and request screens share: the carrier a user may see. (A service call whose
refusal becomes a message is secrecy.forms.perform, the same for every app.)"""
from django.http import Http404

from secrecy.errors import NotVisible

from . import selectors, services


def carrier_or_404(request, pk):
    """The carrier if the user may see it; otherwise the refusal is recorded and it is a 404."""
    try:
        return selectors.carrier_get_for_user(user=request.user, pk=pk)
    except NotVisible:
        services.carrier_record_denied(user=request.user, requested=pk)
        raise Http404("未找到该载体") from None
