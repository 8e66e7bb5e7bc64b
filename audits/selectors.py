"""Reads of the audit log for the 安全审计员 (SPEC §1, §10; issue 6 "The auditor's screens").

Only the auditor reads the log; every selector here that takes a user checks it and raises
NotVisible (answered as 404) for anyone else — the two other admins and superusers included, since
their own acts are what the log is there to show. The daily summary's arithmetic (`day_summary`)
takes no user: the periodic job writes it into the log, and the page shows it to the auditor.
"""
import dataclasses
import datetime as dt
import json

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from secrecy.errors import DomainError, NotVisible, ValidationFailed
from secrecy.keyset import keyset_page, queryset_fetch
from secrecy.levels import level_label
from secrecy.printing import Column, Register

from .chain import ALG_LABELS
from .events import DAILY_SUMMARY, LOGIN_FAILED
from .filters import FILTER_KEYS, SHANGHAI, AuditEventFilter, day_start, describe_filters
from .labels import action_label, declared_action_codes
from .models import AuditEvent, AuditHead, AuditResult
from .policy import actor_related, full_name, may_read_audit_log, watched_admin_ids
from .chain import event_hash_of
from .verify import GENESIS_HASH, ROW_FIELDS

DAILY_SUMMARY_ACTION = DAILY_SUMMARY.action
FAILED_LOGIN_ACTION = LOGIN_FAILED.action
# Whose acts the daily summary lists as 管理员操作: audits.policy.watched_admin_ids.

# An export renders in the request (there is no worker job for it). XLSX streams, about half a
# second per 1,000 rows; the PDF lays out its table at ~8 ms a row (measured: 1,000 rows 8.6 s), so
# its cap is lower to keep the request well under half a minute. Past the cap the export is
# refused with a message, never cut short.
EXPORT_MAX_ROWS = {"xlsx": 20_000, "pdf": 2_000}

EXPORT_COLUMNS = [
    Column("序号", 13), Column("时间", 30), Column("操作人", 30), Column("动作", 52),
    Column("对象", 72), Column("密级", 12), Column("结果", 12), Column("来源IP", 28),
]


def _require(user):
    if not may_read_audit_log(user):
        raise NotVisible()


# ------------------------------------------------------------------------------------ labels


def actor_label(event):
    """Who acted, as the auditor knows them: "姓名（账号）", the account alone, or who it was
    when nobody was signed in. Callers select_related(actor_related()) for a whole page."""
    username = event.actor_username
    if event.actor_id is None and not username:
        return "未登录用户" if event.action.startswith("auth.") else "系统"
    name = full_name(event.actor) if event.actor_id is not None else ""
    return f"{name}（{username}）" if name and name != username else username


def with_labels(events):
    for event in events:
        event.action_label = action_label(event.action)
        event.actor_label = actor_label(event)
        event.level_label = level_label(event.level)
    return events


# ------------------------------------------------------------------------------------ search


def action_codes(*, user):
    """The distinct actions present in the log, for the filter's select.

    On PostgreSQL a recursive "skip scan" over the action index costs one index probe per distinct
    action (a few dozen) instead of reading every entry of a multi-million-row index, which plain
    DISTINCT does. SQLite has no such problem at its sizes (and no parenthesised UNION members).
    """
    _require(user)
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        sql = (
            f"WITH RECURSIVE t AS ((SELECT action FROM {table} ORDER BY action LIMIT 1) "
            f"UNION ALL SELECT (SELECT action FROM {table} WHERE action > t.action ORDER BY action LIMIT 1) "
            f"FROM t WHERE t.action IS NOT NULL) SELECT action FROM t WHERE action IS NOT NULL"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [row[0] for row in cursor.fetchall()]
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def event_filterset(*, user, data=None):
    """The filter form for the search page. Its choices list every declared action (so an auditor
    can look for one the log has none of yet), the old codes present in the log that are no longer
    declared, and the one asked for in the query, so the select shows what is filtered."""
    codes = set(action_codes(user=user)) | set(declared_action_codes())
    asked = (data or {}).get("action") or ""
    if asked and not asked.endswith(".*"):
        codes.add(asked)
    codes = sorted(codes)
    return AuditEventFilter(data or None, queryset=AuditEvent.objects.none(), action_codes=codes)


def _base():
    return AuditEvent.objects.select_related(actor_related(), "target_type")


def event_list(*, user, filters=None):
    """Events matching the filters, newest first. Invalid filter values are ignored (the page says
    so); exports use `normalize_filters` instead, which refuses them."""
    _require(user)
    queryset = _base()
    if filters:
        filterset = AuditEventFilter(filters, queryset=queryset)
        queryset = filterset.qs if filterset.is_valid() else queryset
    return queryset.order_by("-seq")


def event_count(*, user, filters=None, cap=None):
    """(count, exact): the count stops past the cap, because COUNT(*) crawls on big tables."""
    cap = cap or settings.SECRECY["LIST_COUNT_CAP"]
    seqs = event_list(user=user, filters=filters).values("seq")[: cap + 1]
    count = AuditEvent.objects.filter(seq__in=seqs).count()
    return min(count, cap), count <= cap


def event_page(*, user, filters=None, after=None, before=None, size=None):
    """Keyset (seek) pagination on seq, newest first: constant cost on any page (no OFFSET)."""
    page = keyset_page(queryset_fetch(event_list(user=user, filters=filters)), after=after, before=before,
                       size=size or settings.SECRECY["LIST_PAGE_SIZE"], key="seq")
    page["rows"] = with_labels(page["rows"])
    return page


# ------------------------------------------------------------------------------------ one event


def event_get(*, user, seq):
    _require(user)
    try:
        seq = int(seq)
    except (TypeError, ValueError):
        raise NotVisible() from None
    event = _base().filter(seq=seq).first()
    if event is None:
        raise NotVisible()
    return with_labels([event])[0]


@dataclasses.dataclass
class ChainPosition:
    seq: int
    prev_hash: str
    hash: str
    # The stored hash equals the hash recomputed from the stored content and prev_hash.
    hash_ok: bool
    # What prev_hash should be: the previous event's stored hash (or the genesis value for #1);
    # None when the previous event is missing from the log.
    expected_prev_hash: str | None
    prev_seq: int | None
    prev_missing: bool
    next_seq: int | None
    # The next event's prev_hash names this one (None when there is no next event).
    next_link_ok: bool | None

    @property
    def link_ok(self):
        return self.expected_prev_hash is not None and self.expected_prev_hash == self.prev_hash

    @property
    def next_missing(self):
        return self.next_seq is not None and self.next_seq != self.seq + 1

    @property
    def ok(self):
        return self.hash_ok and self.link_ok and self.next_link_ok is not False and not self.next_missing


def event_chain_position(*, user, event):
    """Where the event sits in the hash chain and whether its two links hold, by the same rule as
    verify_audit (audits.chain.event_hash_of over the values() row). Only the neighbours are
    checked; the whole chain is the verify_audit command's walk."""
    _require(user)
    rows = {r["seq"]: r for r in AuditEvent.objects.filter(
        seq__in=[event.seq - 1, event.seq, event.seq + 1]).values(*ROW_FIELDS)}
    row = rows[event.seq]
    if event.seq == 1:
        expected_prev, prev_seq, prev_missing = GENESIS_HASH, None, False
    elif event.seq - 1 in rows:
        expected_prev, prev_seq, prev_missing = rows[event.seq - 1]["hash"], event.seq - 1, False
    else:
        expected_prev, prev_missing = None, True
        prev_seq = AuditEvent.objects.filter(seq__lt=event.seq).order_by("-seq").values_list("seq", flat=True).first()
    nxt = rows.get(event.seq + 1)
    next_seq = nxt["seq"] if nxt else \
        AuditEvent.objects.filter(seq__gt=event.seq).order_by("seq").values_list("seq", flat=True).first()
    return ChainPosition(
        seq=row["seq"], prev_hash=row["prev_hash"], hash=row["hash"],
        hash_ok=event_hash_of(row["prev_hash"], row) == row["hash"],
        expected_prev_hash=expected_prev, prev_seq=prev_seq, prev_missing=prev_missing,
        next_seq=next_seq, next_link_ok=(nxt["prev_hash"] == row["hash"]) if nxt else None,
    )


def detail_json(event):
    return json.dumps(event.detail, ensure_ascii=False, indent=2, sort_keys=True, default=str)


# ------------------------------------------------------------------------------------ export


def normalize_filters(filters):
    """The filters as a plain {name: str} dict of the known, non-empty ones, as recorded in the
    export's audit event. (Checking them is event_export_register's: invalid input is refused
    there, because an export must never silently hold more than the auditor asked for.)"""
    data = {}
    for key in FILTER_KEYS:
        value = filters.get(key) if filters is not None and hasattr(filters, "get") else None
        value = "" if value is None else str(value).strip()
        if value:
            data[key] = value
    return data


def event_export_register(*, user, filters, fmt):
    """The filtered events as a printable register, oldest first: (register, filters, row count).

    Refused (DomainError) when a filter is invalid or more rows match than the format's cap."""
    _require(user)
    cap = EXPORT_MAX_ROWS.get(fmt)
    if cap is None:
        raise DomainError("请选择 PDF 或 XLSX 格式")
    data = normalize_filters(filters)
    filterset = AuditEventFilter(data, queryset=_base())
    if not filterset.is_valid():
        raise ValidationFailed({f: [str(e) for e in errs] for f, errs in filterset.form.errors.items()},
                               message="筛选条件无效，未导出")
    queryset = filterset.qs
    matching = AuditEvent.objects.filter(seq__in=queryset.values("seq")[: cap + 1]).count()
    if matching > cap:
        other = "；XLSX 格式最多可导出 {:,} 条".format(EXPORT_MAX_ROWS["xlsx"]) if fmt == "pdf" else ""
        raise DomainError(f"符合条件的事件超过 {cap:,} 条，{fmt.upper()} 导出最多 {cap:,} 条。"
                          f"请缩小时间范围或增加筛选条件后分批导出{other}。")
    rows, levels = [], []
    for event in with_labels(list(queryset.order_by("seq"))):
        rows.append([
            str(event.seq), f"{event.at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}", event.actor_label,
            event.action_label if event.action_label == event.action else f"{event.action_label}（{event.action}）",
            event.target_repr, event.level_label, event.get_result_display(), event.source_ip or "",
        ])
        levels.append(event.level)
    register = Register(
        name="audit_log", title="审计日志", columns=EXPORT_COLUMNS, rows=rows, levels=levels,
        filters_description=describe_filters(filterset.form.cleaned_data),
    )
    return register, data, len(rows)


# ------------------------------------------------------------------------------------ daily summary


@dataclasses.dataclass
class DaySummary:
    day: dt.date
    total: int
    by_action: list  # [(action, count)], most frequent first
    denied: int
    failed_logins: int
    admin_actions: int
    # The chain head when the day ended: the last event written before midnight (Beijing time).
    head_seq: int
    head_hash: str
    # How the head event's hash was computed (audits.chain): what the heads file records with it.
    head_alg: str = ""

    def as_detail(self):
        return {
            "date": self.day.isoformat(), "total": self.total, "by_action": dict(self.by_action),
            "denied": self.denied, "failed_logins": self.failed_logins, "admin_actions": self.admin_actions,
            "head_seq": self.head_seq, "head_hash": self.head_hash, "head_alg": self.head_alg,
        }


def _day_events(day):
    return AuditEvent.objects.filter(at__gte=day_start(day), at__lt=day_start(day + dt.timedelta(days=1)))


def head_at_end_of(day):
    """(seq, hash, alg) of the last event written before the day ended; (0, genesis, "") for an
    empty log.

    `at` is taken while the chain head is locked (audits.services.record_event), so it grows with
    seq and the newest `at` before midnight is the head's event; ordering by the indexed `at`
    finds it with one index probe, where "max seq with at < midnight" would scan the whole past.
    """
    row = (AuditEvent.objects.filter(at__lt=day_start(day + dt.timedelta(days=1)))
           .order_by("-at", "-seq").values("seq", "hash", "alg").first())
    return (row["seq"], row["hash"], row["alg"]) if row else (0, GENESIS_HASH, "")


def day_summary(day):
    """The counts of one day (Beijing time) and the head of the chain when it ended: a fixed
    number of grouped queries over the indexed `at` range, whatever the day's volume."""
    events = _day_events(day)
    by_action = [(r["action"], r["n"]) for r in
                 events.values("action").annotate(n=Count("id")).order_by("-n", "action")]
    head_seq, head_hash, head_alg = head_at_end_of(day)
    return DaySummary(
        day=day, total=sum(n for _, n in by_action), by_action=by_action,
        denied=events.filter(result=AuditResult.DENIED).count(),
        failed_logins=events.filter(action=FAILED_LOGIN_ACTION).count(),
        admin_actions=events.filter(actor_id__in=watched_admin_ids()).count(),
        head_seq=head_seq, head_hash=head_hash, head_alg=head_alg,
    )


def recorded_summary(day):
    """The audit.daily_summary event written for the day, if any (at most a few hundred such
    events a year, found through the action index)."""
    return (AuditEvent.objects.filter(action=DAILY_SUMMARY_ACTION, detail__date=day.isoformat())
            .order_by("seq").first())


# Lists on the summary page stop here; the search page has them all.
SUMMARY_LIST_ROWS = 200


def day_summary_for(*, user, day):
    """Everything the summary page shows for one day."""
    _require(user)
    summary = day_summary(day)
    events = _day_events(day)
    recorded = recorded_summary(day)
    recorded_check = None
    if recorded is not None:
        seq, recorded_hash = recorded.detail.get("head_seq"), recorded.detail.get("head_hash")
        now_hash = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first() if seq else GENESIS_HASH
        # The head the summary recorded must still be in the log with the same hash; otherwise
        # history before it was rewritten (or cut off) after the summary was written.
        recorded_check = {"seq": seq, "hash": recorded_hash, "ok": recorded_hash == now_hash}
    head = AuditHead.objects.filter(pk=1).values("last_seq", "last_hash").first() or \
        {"last_seq": 0, "last_hash": GENESIS_HASH}

    def listed(queryset):
        return with_labels(list(queryset.select_related(actor_related()).order_by("seq")[:SUMMARY_LIST_ROWS]))

    return {
        "summary": summary,
        "by_action": [(code, action_label(code), n) for code, n in summary.by_action],
        "denied_events": listed(events.filter(result=AuditResult.DENIED)),
        "failed_logins": listed(events.filter(action=FAILED_LOGIN_ACTION)),
        "admin_events": listed(events.filter(actor_id__in=watched_admin_ids())),
        "recorded": recorded,
        "recorded_check": recorded_check,
        "head": head,
        "list_rows": SUMMARY_LIST_ROWS,
    }


def printed_by_label(user):
    """打印人 on the auditor's printouts: the person's name, never the login (the login only for an
    account without one). audits imports no app, so the name comes through audits.policy."""
    return full_name(user) or user.get_username()


# ------------------------------------------------------------------------- printed daily summary

SUMMARY_COLUMNS = [Column("动作", 120), Column("动作代码", 110), Column("次数", 40)]


def summary_register(*, user, day):
    """The daily summary as a register to print and sign (issue 11 §4): the counts by action, the
    chain head at the day's end with its algorithm, and the auditor's signature line. The head
    printed is the one the summary job recorded (and appended to the heads file) when there is
    one; a day without a recorded summary prints the head computed now and says so.

    Only days that are over: the head of a running day is not final. Counts and the head carry
    nothing classified (the notice says the same), so the pages are 非密."""
    _require(user)
    if day >= timezone.localdate():
        raise DomainError("该日尚未结束，日报须在次日生成后打印")
    summary = day_summary(day)
    recorded = recorded_summary(day)
    if recorded is not None:
        head_seq, head_hash = recorded.detail.get("head_seq"), recorded.detail.get("head_hash")
        head_alg = recorded.detail.get("head_alg") or (
            AuditEvent.objects.filter(seq=head_seq).values_list("alg", flat=True).first() or "")
        origin = f"日报已于 {recorded.at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 写入审计日志（第 {recorded.seq} 号事件）"
    else:
        head_seq, head_hash, head_alg = summary.head_seq, summary.head_hash, summary.head_alg
        origin = "该日没有日报记录，以下为打印时按日志即时统计"
    alg_label = ALG_LABELS.get(head_alg, head_alg or "—")
    register = Register(
        name="audit_summary", title="审计日报", columns=SUMMARY_COLUMNS,
        rows=[[action_label(code), code, str(n)] for code, n in summary.by_action],
        levels=[None] * len(summary.by_action),
        header_lines=[f"日期：{day.year}年{day.month}月{day.day}日", origin,
                      f"日终链头：第 {head_seq} 号事件（{alg_label}）", f"链头哈希：{head_hash}"],
        summary_lines=[f"事件总数：{summary.total}", f"拒绝访问：{summary.denied}",
                       f"登录失败：{summary.failed_logins}", f"管理员操作：{summary.admin_actions}",
                       f"日终链头：第 {head_seq} 号事件，哈希 {head_hash}（{alg_label}）",
                       "核对方法：manage.py verify_audit --heads <链头记录文件> 或 --expect-head <链头哈希>"],
        signatures=[("审计员", "", "")], signature_time_label="日期",
    )
    detail = {"date": day.isoformat(), "head_seq": head_seq, "head_hash": head_hash, "head_alg": head_alg,
              "recorded_seq": recorded.seq if recorded is not None else None}
    return register, detail

