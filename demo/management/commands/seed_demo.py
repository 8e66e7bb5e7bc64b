"""python manage.py seed_demo: the demo unit of SPEC §14, built only through the services.

Everything goes through the same services a click would use (department_create, person_save,
role_grant, carrier_register_incoming/outgoing, carrier_correct, and the approval services of
approvals.services and approvals.kinds), so serials, custody rows, the change
history and the audit log are real.

Idempotent: every section first looks for what it would create and creates only what is missing,
so a second run changes nothing (not even the audit log) and says so. The random generator has a
fixed seed; the carrier plan is rebuilt for the day the demo was first seeded, so a run on a later
day looks for the same carriers. The requests section is all or nothing (one transaction) and is
marked by its requests' reasons; so is the circulation/disposal section (by its circulations' and
custody rows' notes). The expiry job runs as of that first day too, so it is idempotent by itself.

Each section lives in a module of this app (demo.cast, .carriers, .approval_requests, .lifecycle,
.people, .meetings, .oversight): the demo is the top of the house and imports the apps, never the
other way round. Later issues add sections: write a function `seed_<thing>(ctx)` in such a module
that returns a `demo.base.SectionResult`, and append it to SECTIONS.
"""
import random
import time
from collections import Counter

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from audits.models import AuditEvent
from demo import meetings, oversight, people
from demo.approval_requests import seed_requests
from demo.base import PASSWORD, RANDOM_SEED, Context, SectionResult
from demo.carriers import seed_carriers
from demo.cast import seed_departments, seed_people
from demo.lifecycle import seed_declassify, seed_lifecycle
from documents.models import (
    Carrier, CarrierKind, Circulation, CirculationState, CustodyStatus, Direction, SecrecyStatus,
)
from approvals.models import ApprovalRequest, RequestKind, RequestState
from approvals.workflows import state_label
from secrecy.levels import Level


def seed_personnel(ctx):
    """涉密人员 records (SPEC §8): see demo/people.py."""
    return people.seed_personnel(ctx, PASSWORD, SectionResult())


def seed_meetings(ctx):
    """Classified meetings (SPEC §9): see demo/meetings.py."""
    return meetings.seed_meetings(ctx)


def seed_inspections(ctx):
    """保密检查 and 泄密/丢失事件 (SPEC §10): see demo/oversight.py."""
    return oversight.seed_inspections(ctx, SectionResult())


# Order matters: later sections use what earlier ones made.
SECTIONS = [
    ("部门", seed_departments),
    ("人员账号", seed_people),
    ("涉密载体", seed_carriers),
    ("审批申请", seed_requests),
    ("传阅与离库处置", seed_lifecycle),
    ("自行解密", seed_declassify),
    ("涉密人员", seed_personnel),
    ("涉密会议", seed_meetings),
    ("保密检查与泄密事件", seed_inspections),
]


class Command(BaseCommand):
    help = ("创建演示数据（SPEC §14）：部门、演示账号（密码 Secrecy#2026，仅供演示）、约300件涉密载体，"
            "借阅、复制、外出携带、维修、销毁、密级变更（延期、提前解密）、知悉范围扩大各状态的审批申请，各状态的传阅，清退、归档、移交、丢失各一件，"
            "并按初次创建之日执行保密期限届满自行解密。可重复运行。")

    def handle(self, *args, **options):
        started = time.monotonic()
        audit_before = AuditEvent.objects.count()
        ctx = Context(rng=random.Random(RANDOM_SEED), today=timezone.localdate())
        total_created = 0
        for label, section in SECTIONS:
            section_started = time.monotonic()
            # One transaction per section: an interrupted run leaves no half-made section.
            with transaction.atomic():
                result = section(ctx)
            total_created += result.created
            line = f"{label}：新建 {result.created}，已存在 {result.existing}"
            if result.note:
                line += f"（{result.note}）"
            self.stdout.write(f"{line}  [{time.monotonic() - section_started:.1f} s]")
        self._summary()
        elapsed = time.monotonic() - started
        if total_created == 0:
            self.stdout.write(self.style.SUCCESS(f"演示数据已齐全，本次未作任何更改（{elapsed:.1f} s）。"))
        else:
            self.stdout.write(self.style.SUCCESS(
                f"演示数据已创建：新建 {total_created} 项，审计事件 +{AuditEvent.objects.count() - audit_before}"
                f"（{elapsed:.1f} s）。演示账号密码均为 {PASSWORD}，仅供演示使用。"))

    def _summary(self):
        carriers = Carrier.objects.all()
        self.stdout.write(f"涉密载体合计 {carriers.count()} 件")
        for field, labels in (("level", dict(Level.choices)), ("kind", dict(CarrierKind.choices)),
                              ("direction", dict(Direction.choices))):
            counts = Counter({row[field]: row["n"] for row in carriers.values(field).annotate(n=Count("id"))})
            parts = "，".join(f"{labels[value]} {counts.get(value, 0)}" for value in labels)
            self.stdout.write(f"  {carriers.model._meta.get_field(field).verbose_name}：{parts}")
        requests = ApprovalRequest.objects.all()
        counts = Counter(requests.values_list("kind", "state"))
        self.stdout.write(f"审批申请合计 {requests.count()} 件")
        for kind in RequestKind:
            parts = "，".join(f"{state_label(kind, state)} {counts[(kind.value, state.value)]}"
                             for state in RequestState if counts[(kind.value, state.value)])
            self.stdout.write(f"  {kind.label}：{parts or '无'}")
        counts = Counter(Circulation.objects.values_list("state", flat=True))
        self.stdout.write("传阅：" + "，".join(f"{state.label} {counts[state.value]}" for state in CirculationState))
        counts = Counter(carriers.values_list("custody_status", flat=True))
        self.stdout.write("载体状态：" + "，".join(
            f"{status.label} {counts[status.value]}" for status in CustodyStatus if counts[status.value]))
        declassified = carriers.filter(secrecy_status=SecrecyStatus.DECLASSIFIED).count()
        self.stdout.write(f"已解密载体 {declassified} 件")
