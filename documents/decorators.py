"""View guards shared by the carrier pages."""
from functools import wraps

from django.http import Http404

from personnel.policy import is_admin_role


def carrier_content(view):
    """The three administrators have no carrier content at all (SPEC §1): a page that lists or
    shows carriers does not exist for them — 404, not an empty list."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if is_admin_role(request.user):
            raise Http404()
        return view(request, *args, **kwargs)

    return guarded
