"""Service audits through the services: the seeded 4S checklist, recording audits with known counts, fines moving
from the team to the auditor (equal split with its remainder, the leader split, penalties == reward), audits with
no violations, errors naming the row, cancellation reversing the postings in the current month, checklist editing,
the branch's fine split and violation photos."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone
from PIL import Image

from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction, AuditEvent
from aftersales.core.testing import make_person
from aftersales.org.models import Employee
from aftersales.quality import selectors, services
from aftersales.quality.choices import AuditStatus, FineSplit, PostingKind
from aftersales.quality.models import Audit, AuditPosting, Checklist, ChecklistItem, QualitySettings, ViolationPhoto
from aftersales.quality.tests.conftest import employee_of
from aftersales.service.services import orders as order_services

pytestmark = pytest.mark.usefixtures("english")
D = Decimal


def postings(audit, kind=None, reversal=False):
    queryset = AuditPosting.objects.filter(audit=audit, reverses__isnull=not reversal)
    if kind:
        queryset = queryset.filter(kind=kind)
    return {p.employee_id: p.amount for p in queryset}


def total(audit, kind, **extra) -> Decimal:
    return AuditPosting.objects.filter(audit=audit, kind=kind, **extra).aggregate(s=Sum("amount"))["s"] or D("0")


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# -- the 4S checklist --------------------------------------------------------------------------------------------------


def test_every_installation_starts_with_the_4s_checklist(db):
    checklist = Checklist.objects.get(code="4S")
    codes = list(checklist.items.values_list("code", flat=True))

    assert checklist.is_default and checklist.active
    assert checklist.fine_amount == D("30.00")
    assert codes == [f"S{n:02d}" for n in range(1, 17)]
    assert services.checklist_default() == checklist


# -- recording and the money -------------------------------------------------------------------------------------------


def test_an_audit_fines_each_violation_30_shared_by_the_team_and_rewards_the_auditor(site):
    members = site.member_employees
    audit = site.record([("S03", "未穿鞋套"), ("s12 ", "柜门刮花")], notes="上门抽查")

    assert audit.number.startswith(f"DC-BJ01-{timezone.localdate():%Y%m%d}-")
    assert (audit.status, audit.violation_count) == (AuditStatus.RECORDED, 2)
    assert (audit.fine_per_violation, audit.fine_total) == (D("30.00"), D("60.00"))
    assert audit.branch == site.branch and audit.checklist.code == "4S" and audit.created_by == site.supervisor
    assert [(v.item.code, v.note, v.fine) for v in audit.violations.order_by("id")] == [
        ("S03", "未穿鞋套", D("30.00")),
        ("S12", "柜门刮花", D("30.00")),
    ]
    assert postings(audit, PostingKind.PENALTY) == {m.pk: D("20.00") for m in members}
    assert postings(audit, PostingKind.REWARD) == {site.auditor.pk: D("60.00")}
    assert total(audit, PostingKind.PENALTY) == total(audit, PostingKind.REWARD)
    month = timezone.localdate().replace(day=1)
    assert set(AuditPosting.objects.filter(audit=audit).values_list("month", flat=True)) == {month}
    event = AuditEvent.objects.get(object_id=audit.pk, action=AuditAction.CREATE, object_repr=audit.number)
    assert event.payload["violations"] == "S03、S12"
    assert event.changes["fine_total"]["after"] == "60.00"


def test_postings_are_dated_to_the_month_of_the_audit(site):
    day = timezone.localdate().replace(day=1) - datetime.timedelta(days=20)
    audit = site.record([("S01", "")], audited_on=day)

    assert set(AuditPosting.objects.filter(audit=audit).values_list("month", flat=True)) == {day.replace(day=1)}


@pytest.mark.parametrize(
    ("amount", "count", "leader_index", "expected"),
    [
        # 30 ÷ 7 = 4.2857 → 4.29 each is 30.03: the leader gives back 0.03
        ("30.00", 7, 2, ["4.29", "4.29", "4.26", "4.29", "4.29", "4.29", "4.29"]),
        # 60 ÷ 7 = 8.5714 → 8.57 each is 59.99: the leader takes the missing fen
        ("60.00", 7, 0, ["8.58", "8.57", "8.57", "8.57", "8.57", "8.57", "8.57"]),
        # no leader among the members: the first by employee number takes the difference
        ("10.00", 3, None, ["3.34", "3.33", "3.33"]),
        ("90.00", 4, 3, ["22.50", "22.50", "22.50", "22.50"]),
        ("0.01", 3, None, ["0.01", "0.00", "0.00"]),
    ],
)
def test_an_equal_split_adds_up_to_the_fen(amount, count, leader_index, expected):
    members = [Employee(pk=index + 1, employee_no=f"E{index:03d}", name=f"m{index}") for index in range(count)]
    leader = members[leader_index] if leader_index is not None else Employee(pk=99, employee_no="E999")

    shares = services.fine_shares(total=D(amount), members=list(reversed(members)), leader=leader)

    assert [str(share.amount) for share in shares] == expected
    assert sum(share.amount for share in shares) == D(amount)


def test_the_rounding_remainder_goes_to_the_leader_in_a_recorded_audit(site):
    checklist = services.checklist_create(
        actor=site.manager, code="DOOR", name="门扇标准", fine_amount="10.00", items=[("D01", "门缝均匀")]
    )
    first, leader, third = site.member_employees

    audit = site.record([("D01", "门缝不均")], checklist=checklist)

    assert postings(audit, PostingKind.PENALTY) == {first.pk: D("3.33"), leader.pk: D("3.34"), third.pk: D("3.33")}
    assert postings(audit, PostingKind.REWARD) == {site.auditor.pk: D("10.00")}


def test_inactive_members_bear_nothing(site):
    first, leader, third = site.member_employees
    Employee.objects.filter(pk=third.pk).update(active=False)

    audit = site.record([("S01", ""), ("S02", ""), ("S05", "")])

    assert postings(audit, PostingKind.PENALTY) == {first.pk: D("45.00"), leader.pk: D("45.00")}
    assert postings(audit, PostingKind.REWARD) == {site.auditor.pk: D("90.00")}


def test_with_the_leader_split_the_leader_bears_the_whole_fine(site):
    services.quality_settings_set(actor=site.manager, branch=site.branch, fine_split=FineSplit.LEADER)
    leader = site.member_employees[1]

    audit = site.record([("S01", ""), ("S02", "")])

    assert postings(audit, PostingKind.PENALTY) == {leader.pk: D("60.00")}
    assert postings(audit, PostingKind.REWARD) == {site.auditor.pk: D("60.00")}


def test_the_leader_split_without_a_leader_is_refused(site):
    services.quality_settings_set(actor=site.manager, branch=site.branch, fine_split=FineSplit.LEADER)
    site.team.leader = None
    site.team.save()

    with pytest.raises(Conflict) as excinfo:
        site.record([("S01", "")])

    assert excinfo.value.code == "no_team_leader"
    assert not Audit.objects.exists()


def test_a_team_with_no_active_member_cannot_be_fined(site):
    Employee.objects.filter(team=site.team).update(active=False)

    with pytest.raises(Conflict) as excinfo:
        site.record([("S01", "")])

    assert excinfo.value.code == "team_without_members"
    assert "no active members" in str(excinfo.value.message)
    assert not Audit.objects.exists() and not AuditPosting.objects.exists()


def test_an_audit_without_violations_posts_nothing(site):
    audit = site.record([])

    assert (audit.violation_count, audit.fine_total) == (0, D("0.00"))
    assert not audit.violations.exists() and not AuditPosting.objects.filter(audit=audit).exists()


def test_a_clean_audit_needs_no_team(site):
    audit = site.record([], team=None)

    assert audit.team is None and audit.fine_total == D("0")


# -- what is refused ---------------------------------------------------------------------------------------------------


def test_errors_name_the_violation_row(site):
    ChecklistItem.objects.filter(checklist__code="4S", code="S16").update(active=False)

    with pytest.raises(ValidationError) as excinfo:
        site.record([("S01", "ok"), ("S99", ""), ("S16", ""), ("S01", ""), ("", ""), ("S02", "x" * 301)])

    errors = errors_of(excinfo)
    assert set(errors) == {
        "violations.1.item",
        "violations.2.item",
        "violations.3.item",
        "violations.4.item",
        "violations.5.note",
    }
    assert "S99 is not an item of" in errors["violations.1.item"][0]
    assert "no longer in use" in errors["violations.2.item"][0]
    assert "listed twice" in errors["violations.3.item"][0]
    assert not Audit.objects.exists()


def test_violations_need_a_team_to_bear_the_fine(site):
    with pytest.raises(ValidationError) as excinfo:
        site.record([("S01", "")], team=None)

    assert "team" in errors_of(excinfo)


def test_the_team_and_the_auditor_must_be_of_the_orders_branch(site, far):
    with pytest.raises(ValidationError) as excinfo:
        site.record([("S01", "")], team=far.team, auditor=far.auditor)

    assert set(errors_of(excinfo)) == {"team", "auditor"}


def test_the_auditor_must_be_active_and_not_of_the_audited_team(site):
    member = site.member_employees[0]
    with pytest.raises(ValidationError) as excinfo:
        site.record([("S01", "")], auditor=member)
    assert "member of the audited team" in errors_of(excinfo)["auditor"][0]

    Employee.objects.filter(pk=site.auditor.pk).update(active=False)
    with pytest.raises(ValidationError) as excinfo:
        site.record([("S01", "")])
    assert "active employee" in errors_of(excinfo)["auditor"][0]


def test_an_auditor_working_at_the_branch_as_a_further_branch_may_audit(site, other_branch):
    visitor = employee_of(make_person(role="install_supervisor", branch=other_branch))
    visitor.branches.add(site.branch)

    audit = site.record([("S01", "")], auditor=visitor)

    assert postings(audit, PostingKind.REWARD) == {visitor.pk: D("30.00")}


def test_the_audit_date_cannot_be_in_the_future(site):
    with pytest.raises(ValidationError) as excinfo:
        site.record([], audited_on=timezone.localdate() + datetime.timedelta(days=1))

    assert "audited_on" in errors_of(excinfo)


def test_an_inactive_checklist_is_refused(site):
    checklist = services.checklist_create(
        actor=site.manager, code="OLD", name="旧标准", fine_amount="20", items=[("O1", "旧")], active=False
    )
    with pytest.raises(ValidationError) as excinfo:
        site.record([], checklist=checklist)

    assert "checklist" in errors_of(excinfo)


def test_a_cancelled_order_is_not_audited(site):
    order_services.order_cancel(actor=site.advisor, order=site.order, reason="客户取消")
    site.order.refresh_from_db()

    with pytest.raises(Conflict):
        site.record([])


def test_another_branchs_order_is_not_found(site, far):
    with pytest.raises(Http404):
        site.record([], order=far.order, team=None)


@pytest.mark.parametrize("role", ["technician", "service_advisor", "workshop_manager", "hr"])
def test_roles_that_do_not_audit_cannot_record(site, role, branch):
    with pytest.raises(PermissionDenied):
        site.record([], actor=make_person(role=role, branch=branch))


# -- cancelling --------------------------------------------------------------------------------------------------------


def test_cancelling_reverses_every_posting_in_the_current_month(site):
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    audit = site.record([("S01", ""), ("S02", ""), ("S03", "")], audited_on=last_month)
    originals = list(AuditPosting.objects.filter(audit=audit).order_by("id"))

    services.audit_cancel(actor=site.manager, audit=audit, reason="误判，客户已确认")

    audit.refresh_from_db()
    this_month = timezone.localdate().replace(day=1)
    assert audit.status == AuditStatus.CANCELLED and audit.cancel_reason == "误判，客户已确认"
    assert audit.cancelled_at is not None
    reversals = {p.reverses_id: p for p in AuditPosting.objects.filter(audit=audit, reverses__isnull=False)}
    assert set(reversals) == {p.pk for p in originals}
    for original in originals:
        reversal = reversals[original.pk]
        assert (reversal.employee_id, reversal.kind, reversal.amount) == (
            original.employee_id,
            original.kind,
            -original.amount,
        )
        assert original.month == last_month.replace(day=1) and reversal.month == this_month
    # nothing deleted, and the audit nets to nothing for everyone
    assert AuditPosting.objects.filter(audit=audit).count() == 2 * len(originals)
    assert total(audit, PostingKind.PENALTY) == total(audit, PostingKind.REWARD) == D("0")
    assert AuditEvent.objects.filter(object_id=audit.pk, action=AuditAction.STATUS).exists()


def test_an_audit_is_cancelled_once(site):
    audit = site.record([("S01", "")])
    services.audit_cancel(actor=site.manager, audit=audit, reason="重复录入")

    with pytest.raises(Conflict):
        services.audit_cancel(actor=site.manager, audit=audit, reason="again")
    assert AuditPosting.objects.filter(audit=audit, reverses__isnull=False).count() == 4


def test_cancelling_needs_a_reason_and_the_role(site):
    audit = site.record([("S01", "")])
    with pytest.raises(ValidationError) as excinfo:
        services.audit_cancel(actor=site.manager, audit=audit, reason="  ")
    assert "reason" in errors_of(excinfo)
    with pytest.raises(PermissionDenied):
        services.audit_cancel(actor=site.supervisor, audit=audit, reason="不服")


def test_another_branchs_manager_cannot_cancel(site, far):
    audit = site.record([("S01", "")])

    with pytest.raises(Http404):
        services.audit_cancel(actor=far.manager, audit=audit, reason="x")


# -- checklists --------------------------------------------------------------------------------------------------------


def test_a_new_default_checklist_takes_the_flag_from_the_old_one(site):
    checklist = services.checklist_create(
        actor=site.manager,
        code=" svc ",
        name="服务标准",
        fine_amount="50",
        items=[("A1", "着装"), ("a2", "用语")],
        is_default=True,
    )

    assert checklist.code == "SVC" and checklist.fine_amount == D("50.00")
    assert list(checklist.items.values_list("code", "position")) == [("A1", 1), ("A2", 2)]
    assert list(Checklist.objects.filter(is_default=True)) == [checklist]
    assert site.record([("A2", "")]).fine_total == D("50.00")


def test_checklist_errors_name_the_item_row(site):
    with pytest.raises(ValidationError) as excinfo:
        services.checklist_create(
            actor=site.manager,
            code="4S",
            name="",
            fine_amount="-1",
            items=[("A1", "着装"), ("A1", "重复"), ("", "无编号"), ("A3", "")],
        )
    assert set(errors_of(excinfo)) == {"fine_amount"}  # the amount is read first

    with pytest.raises(ValidationError) as excinfo:
        services.checklist_create(
            actor=site.manager, code="4S", name="", fine_amount="1", items=[("A1", "着装"), ("A1", "重复"), ("", "x")]
        )
    assert set(errors_of(excinfo)) == {"code", "name", "items.1.code", "items.2.code"}


def test_items_are_added_changed_deactivated_and_removed_unless_used(site):
    checklist = services.checklist_create(
        actor=site.manager,
        code="C1",
        name="标准",
        fine_amount="30",
        items=[("A1", "着装"), ("A2", "用语"), ("A3", "清洁")],
    )
    site.record([("A1", "")], checklist=checklist)

    services.checklist_update(
        actor=site.manager,
        checklist=checklist,
        fine_amount="40",
        items=[("A1", "统一着装", False), ("A3", "清理现场"), ("A4", "讲解保养")],
    )

    rows = list(checklist.items.order_by("position").values_list("code", "text", "active", "position"))
    assert rows == [("A1", "统一着装", False, 1), ("A3", "清理现场", True, 2), ("A4", "讲解保养", True, 3)]
    checklist.refresh_from_db()
    assert checklist.fine_amount == D("40.00")
    with pytest.raises(Conflict) as excinfo:
        services.checklist_update(actor=site.manager, checklist=checklist, items=[("A3", "清理现场")])
    assert excinfo.value.code == "item_in_use" and "A1" in str(excinfo.value.message)
    assert checklist.items.count() == 3
    # the audit recorded at 30 keeps its fine
    assert Audit.objects.get(checklist=checklist).fine_total == D("30.00")


def test_the_default_checklist_stays_default_and_active(site):
    checklist = Checklist.objects.get(code="4S")
    with pytest.raises(ValidationError) as excinfo:
        services.checklist_update(actor=site.manager, checklist=checklist, is_default=False)
    assert "is_default" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.checklist_update(actor=site.manager, checklist=checklist, active=False)
    assert "active" in errors_of(excinfo)


def test_checklist_changes_are_audited_and_need_the_role(site):
    checklist = Checklist.objects.get(code="4S")
    services.checklist_update(actor=site.manager, checklist=checklist, name="服务4S标准")

    event = AuditEvent.objects.filter(object_id=checklist.pk, action=AuditAction.UPDATE).latest("id")
    assert event.changes["name"]["after"] == "服务4S标准"
    with pytest.raises(PermissionDenied):
        services.checklist_update(actor=site.supervisor, checklist=checklist, name="x")
    with pytest.raises(PermissionDenied):
        services.checklist_create(actor=site.supervisor, code="X", name="x", fine_amount="1", items=[("A", "a")])


# -- the branch's fine split -------------------------------------------------------------------------------------------


def test_the_fine_split_is_set_per_branch(site, far):
    assert services.quality_settings_for(site.branch).fine_split == FineSplit.EQUAL

    services.quality_settings_set(actor=site.manager, branch=site.branch, fine_split="leader")
    services.quality_settings_set(actor=site.manager, branch=site.branch, fine_split="equal")

    assert QualitySettings.objects.get(branch=site.branch).fine_split == "equal"
    with pytest.raises(ValidationError):
        services.quality_settings_set(actor=site.manager, branch=site.branch, fine_split="boss")
    with pytest.raises(Http404):
        services.quality_settings_set(actor=site.manager, branch=far.branch, fine_split="leader")
    with pytest.raises(PermissionDenied):
        services.quality_settings_set(actor=site.supervisor, branch=site.branch, fine_split="leader")


# -- what an employee sees of their postings ---------------------------------------------------------------------------


def test_an_employees_postings_by_month_with_the_audit_behind_each(site):
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    first = site.member_employees[0]
    old = site.record([("S01", ""), ("S02", "")], audited_on=last_month)  # 20.00 each
    site.record([("S03", "")])  # 10.00 each
    services.audit_cancel(actor=site.manager, audit=old, reason="误判")  # −20.00 this month

    months = selectors.posting_months(first)
    rows = list(selectors.postings_for(first, month=timezone.localdate()))

    this_month = timezone.localdate().replace(day=1)
    assert [(m.month, m.penalties, m.rewards) for m in months] == [
        (this_month, D("-10.00"), D("0.00")),
        (last_month.replace(day=1), D("20.00"), D("0.00")),
    ]
    assert sorted(p.amount for p in rows) == [D("-20.00"), D("10.00")]
    assert {p.audit.number for p in rows} == set(Audit.objects.values_list("number", flat=True))
    rewards = selectors.posting_months(site.auditor)
    assert [(m.month, m.rewards) for m in rewards] == [
        (this_month, D("-30.00")),
        (last_month.replace(day=1), D("60.00")),
    ]


# -- photos ------------------------------------------------------------------------------------------------------------


def picture(fmt="JPEG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, fmt)
    return SimpleUploadedFile(f"p.{fmt.lower()}", buffer.getvalue(), content_type="image/jpeg")


def test_a_violation_keeps_checked_photos(site, media):
    audit = site.record([("S12", "刮花")])
    violation = audit.violations.get()

    photo = services.violation_photo_add(actor=site.supervisor, violation=violation, image=picture())

    assert photo.image.name.startswith("audits/") and photo.image.name.endswith(".jpg")
    assert (media / photo.image.name).exists()
    with pytest.raises(ValidationError) as excinfo:
        services.violation_photo_add(
            actor=site.supervisor, violation=violation, image=SimpleUploadedFile("x.jpg", b"not a picture")
        )
    assert "image" in errors_of(excinfo)
    with pytest.raises(PermissionDenied):
        services.violation_photo_add(actor=site.members[0], violation=violation, image=picture())
    services.audit_cancel(actor=site.manager, audit=audit, reason="x")
    with pytest.raises(Conflict):
        services.violation_photo_add(actor=site.supervisor, violation=violation, image=picture("PNG"))
    assert ViolationPhoto.objects.count() == 1
