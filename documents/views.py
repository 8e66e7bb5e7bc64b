from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from secrecy.errors import NotVisible

from . import selectors, services


@login_required
def carrier_list(request):
    rows = selectors.carrier_list_visible_to(user=request.user, filters=request.GET)
    return HttpResponse("\n".join(c.serial for c in rows[:50]))


@login_required
def carrier_detail(request, pk):
    try:
        carrier = selectors.carrier_get_for_user(user=request.user, pk=pk)
    except NotVisible:
        services.carrier_record_denied(user=request.user, requested=pk)
        raise Http404("未找到该载体") from None
    services.carrier_record_view(user=request.user, carrier=carrier)
    return HttpResponse(carrier.serial)
