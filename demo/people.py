"""Demo data for the 涉密人员 life cycle (SPEC §14, issue 5): reviews, trainings (one person short
of the yearly hours), 出入境证件, travel requests in every state, a leave approved (the person is in
the 脱密期 and cannot log in) and one still open. Built only through the services; idempotent —
the section is all or nothing and is marked by the trainings it records."""
import datetime as dt

from django.contrib.auth import get_user_model

from personnel import services as person_services
from personnel.models import LeaveKind, Person, PersonReview, Role, Training
from personnel.services_accounts import account_create
from personnel.services_leave import leave_approve, leave_open, leave_record_talk, leave_sign_commitment
from personnel.services_records import person_review_record, training_record, travel_document_register
from personnel.services_travel import travel_decide, travel_record_education, travel_report_return, travel_request

MARK_TOPIC = "《中华人民共和国保守国家秘密法》及实施条例专题学习"

EXTRA_PEOPLE = [
    # username, full_name, post, department code, class, role
    ("huangmin", "黄敏", "保密办主任", "secrecy", "important", Role.SECRECY_OFFICE),
    ("zhouming", "周明", "业务一处主任科员（已调离）", "biz1", "core", Role.READER),
    ("qianqi", "钱琪", "业务一处科员（拟调岗）", "biz1", "general", Role.READER),
]

# username, name of the new account that waits in 待建档 (no 涉密人员 record yet).
NEWCOMER = ("wuxinyu", "吴新宇")


def seed_personnel(ctx, password, result):
    if Training.objects.filter(topic=MARK_TOPIC).exists():
        result.existing += Training.objects.count()
        return result
    users, office = ctx.users, ctx.users["baomi"]
    today = ctx.today
    year_start = dt.date(today.year, 1, 1)

    for username, full_name, post, dept, person_class, role in EXTRA_PEOPLE:
        user = get_user_model().objects.filter(username=username).first() or \
            get_user_model().objects.create_user(username, password=password)
        person_services.person_save(
            actor=None, user=user, full_name=full_name, post=post, department=ctx.departments[dept],
            person_class=person_class, review_passed=True, review_date=dt.date(2025, 3, 1),
            commitment_signed_on=dt.date(2025, 3, 2), secret_post_since=dt.date(2021, 7, 1))
        person_services.role_grant(actor=None, user=user, role=role)
        users[username] = get_user_model().objects.select_related("person").get(pk=user.pk)
        result.created += 1

    # 上岗审查 history matching the records seed_people wrote, then the trainings of this year.
    # Nobody records their own facts: 黄敏 records 孙丽华's (baomi), baomi everyone else's.
    def recorder(person):
        return users["huangmin"] if person.user_id == office.pk else office

    for person in Person.objects.exclude(person_class="").select_related("user").order_by("pk"):
        if not PersonReview.objects.filter(person=person).exists():
            person_review_record(actor=recorder(person), person=person, reviewed_on=dt.date(2025, 3, 1), passed=True,
                                 kind="on_post", reviewer="办公室（组织人事）", today=today)
            result.created += 1
    hours = {"mishu": ("4", "2"), "zhuren": ("4", "2"), "lingdao": ("4",), "baomi": ("6",), "huangmin": ("4",),
             "lisi": ("4", "1.5"), "zhangsan": ("2",), "qianqi": ("4",)}
    for username, parts in hours.items():
        person = users[username].person
        actor = recorder(person)
        for i, amount in enumerate(parts):
            day = min(today, year_start + dt.timedelta(days=60 + 90 * i))
            training_record(actor=actor, person=person, trained_on=day, hours=amount,
                            topic=MARK_TOPIC if i == 0 else "涉密载体管理实务培训",
                            organiser="市国家保密局" if i == 0 else "本单位保密办", today=today)
            result.created += 1

    # 出入境证件 kept by the unit.
    passport = travel_document_register(actor=office, person=users["lisi"].person, kind="passport", number="E98765432",
                                        handed_in_on=dt.date(2025, 4, 1), valid_until=dt.date(2033, 4, 1), today=today)
    permit = travel_document_register(actor=office, person=users["lingdao"].person, kind="hk_macao",
                                      number="C20251234", handed_in_on=dt.date(2025, 5, 8),
                                      valid_until=dt.date(2035, 5, 8), today=today)
    travel_document_register(actor=office, person=users["zhangsan"].person, kind="passport", number="E11223344",
                             handed_in_on=dt.date(2024, 9, 1), valid_until=dt.date(2034, 9, 1), today=today)
    result.created += 3

    # Travel abroad: one waiting for opinions, one approved with its education (证件 out), one back.
    travel_request(actor=users["lisi"], person=users["lisi"].person, kind="private", destination="日本",
                   purpose="春节期间探亲", departs_on=today + dt.timedelta(days=40), returns_on=today + dt.timedelta(days=47),
                   travel_document=passport, today=today)
    trip = travel_request(actor=users["lingdao"], person=users["lingdao"].person, kind="official",
                          destination="香港特别行政区", purpose="参加业务交流会", departs_on=today + dt.timedelta(days=5),
                          returns_on=today + dt.timedelta(days=8), travel_document=permit, today=today)
    travel_decide(actor=users["zhuren"], travel=trip, step="hr", approve=True, comment="同意")
    travel_decide(actor=office, travel=trip, step="secrecy", approve=True, comment="同意，行前须接受保密教育")
    travel_record_education(actor=office, travel=trip, education_on=today, note="境外保密纪律、涉密载体不得携带出境",
                            today=today)
    back = travel_request(actor=users["zhangsan"], person=users["zhangsan"].person, kind="private",
                          destination="泰国", purpose="休假旅游", departs_on=today, returns_on=today, today=today)
    travel_decide(actor=users["zhuren"], travel=back, step="hr", approve=True)
    travel_decide(actor=office, travel=back, step="secrecy", approve=True)
    travel_record_education(actor=office, travel=back, education_on=today, note="行前保密提醒", today=today)
    travel_report_return(actor=users["zhangsan"], travel=back, returned_on=today, report="行程正常，未发生异常情况",
                         today=today)
    result.created += 3

    # Leaving: 周明 has left (脱密期, account disabled); 钱琪's leave is open with the talk held.
    leave = leave_open(actor=office, person=users["zhouming"].person, kind=LeaveKind.LEAVE_UNIT,
                       reason="调往市发展改革委工作", planned_on=today, today=today)
    leave = leave_record_talk(actor=office, leave=leave, talk_on=today, talk_note="重申保密义务，告知脱密期内不得擅自出境",
                              today=today)
    leave = leave_sign_commitment(actor=office, leave=leave, signed_on=today, today=today)
    leave_approve(actor=users["zhuren"], leave=leave, comment="同意", today=today)
    leave = leave_open(actor=office, person=users["qianqi"].person, kind=LeaveKind.LEAVE_POST,
                       reason="调整到非涉密岗位", planned_on=today + dt.timedelta(days=14), today=today)
    leave_record_talk(actor=office, leave=leave, talk_on=today, talk_note="告知离岗保密要求", today=today)
    result.created += 2

    # 待建档 (issue 14 §7): a colleague whose account the 系统管理员 has just made and the 安全保密管理员
    # has given a role, waiting for the 保密办 to create the 涉密人员 record.
    newcomer = get_user_model().objects.filter(username=NEWCOMER[0]).first() or account_create(
        actor=users["sysadmin"], username=NEWCOMER[0], password=password, full_name=NEWCOMER[1])
    person_services.role_grant(actor=users["secadmin"], user=newcomer, role=Role.READER)
    result.created += 1
    result.note = "含一名脱密期人员（周明，账号已停用）、一项办理中的离岗和一个待建档的新账号"
    return result
