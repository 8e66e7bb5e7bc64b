"""The 每年审核 page: the signed-in 定密责任人's classified carriers for this year, each with a
保持 button (POST, recorded by services_review.review_keep) and a link to the 密级变更 / 提前解密
request. Someone who is nobody's 定密责任人 sees an empty list."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from secrecy.errors import DomainError, NotVisible
from secrecy.levels import highest_level

from . import services_review
from .decorators import carrier_content
from .services import local_today
from .views_common import carrier_or_404


@login_required
@carrier_content
def review_list(request):
    year = local_today().year
    rows = list(services_review.review_carriers(request.user, year))
    return render(request, "review/list.html", {
        "rows": rows, "year": year, "pending": sum(1 for c in rows if not c.reviewed),
        "page_level": highest_level(c.level for c in rows),
    })


@login_required
@require_POST
def review_keep(request, pk):
    carrier = carrier_or_404(request, pk)
    year = local_today().year
    try:
        services_review.review_keep(actor=request.user, carrier=carrier, year=year,
                                    note=request.POST.get("note", "")[:300])
    except NotVisible:
        raise Http404("未找到该载体") from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"载体 {carrier.serial} 已确认保持原密级和保密期限（{year}年度审核）")
    return redirect("review:list")
