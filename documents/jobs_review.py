"""每年审核 job (SPEC §7; issue 4): once a year (January) each active 定密责任人 is told how many
classified carriers they answer for and given the link to the review page (/reviews/).

One notice per classifier per year: key "annual_review:<year>", so a rerun — or the daily runs
of the January beat entry — sends nothing twice, and a run after downtime (or a classifier who
took on a carrier later in January) still gets theirs once. Batched over classifiers by id
(keyset), one grouped query and one notify_many per batch, whatever the number of carriers.
"""
from django.db import transaction
from django.db.models import Count, Max
from django.urls import reverse

from notifications.jobs import job
from notifications.services import Message, kick_delivery, notify_many
from secrecy.levels import Level

from .models import Carrier, SecrecyStatus

NOTICE_KIND = "annual_review"


def _classifier_batches(batch_size):
    base = (Carrier.objects.filter(secrecy_status=SecrecyStatus.CLASSIFIED, level__gte=Level.CONFIDENTIAL,
                                   classifier__isnull=False, classifier__is_active=True)
            .values("classifier_id").annotate(count=Count("id"), top=Max("level")).order_by("classifier_id"))
    last = 0
    while True:
        batch = list(base.filter(classifier_id__gt=last)[:batch_size])
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        last = batch[-1]["classifier_id"]


@job("annual_review", description="每年一月提醒定密责任人审核其确定的涉密载体（每人每年一次）")
def annual_review(*, today, batch_size):
    year = today.year
    key = f"annual_review:{year}"
    link = reverse("review:list")
    totals = {"classifiers": 0, "notices": 0}
    for batch in _classifier_batches(batch_size):
        messages = [Message(
            recipient_id=row["classifier_id"], kind=NOTICE_KIND, level=row["top"], link=link,
            title=f"{year}年度定密审核",
            body=(f"您作为定密责任人确定的涉密载体共 {row['count']} 件，请逐一审核：保持原密级和保密期限，"
                  f"或申请变更密级、延长保密期限、提前解密。"),
            dedupe_key=key,
        ) for row in batch]
        with transaction.atomic():
            totals["notices"] += len(notify_many(messages, kick=False))
        totals["classifiers"] += len(batch)
    if totals["notices"]:
        transaction.on_commit(kick_delivery)
    return totals
