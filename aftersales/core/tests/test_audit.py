"""The audit trail: who changed which field from what to what, and where people read it."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.core.audit import audit_created, audit_events_for, model_update
from aftersales.core.models import AuditAction, AuditEvent
from aftersales.org.choices import BranchKind
from aftersales.org.models import Branch


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.IGNORECASE)]


def test_model_update_records_before_and_after_of_each_changed_field_only(branch, admin_user):
    changes = model_update(
        instance=branch, data={"name": "北京朝阳旗舰店", "phone": "010-12345678", "address": ""}, actor=admin_user
    )

    assert changes == {
        "name": {"before": "北京朝阳店", "after": "北京朝阳旗舰店"},
        "phone": {"before": "", "after": "010-12345678"},
    }
    event = AuditEvent.objects.get()
    assert event.action == AuditAction.UPDATE
    assert event.actor == admin_user
    assert event.object_id == branch.pk
    assert event.object_repr == "BJ01 北京朝阳旗舰店"
    assert event.changes == changes
    branch.refresh_from_db()
    assert (branch.name, branch.phone) == ("北京朝阳旗舰店", "010-12345678")


def test_model_update_with_nothing_changed_saves_nothing_and_records_nothing(branch, admin_user):
    updated_at = branch.updated_at

    with CaptureQueriesContext(connection) as queries:
        changes = model_update(
            instance=branch, data={"name": branch.name, "kind": branch.kind, "parent": branch.parent}, actor=admin_user
        )

    assert changes == {}
    assert _writes(queries.captured_queries) == []
    assert not AuditEvent.objects.exists()
    branch.refresh_from_db()
    assert branch.updated_at == updated_at


def test_model_update_saves_only_the_changed_columns(branch, admin_user):
    with CaptureQueriesContext(connection) as queries:
        model_update(instance=branch, data={"name": "北京朝阳旗舰店", "code": "BJ01"}, actor=admin_user)

    (update,) = [sql for sql in _writes(queries.captured_queries) if sql.lstrip().upper().startswith("UPDATE")]
    assert '"name"' in update and '"updated_at"' in update
    assert '"code"' not in update


def test_foreign_keys_are_recorded_by_the_name_people_read(branch, region, admin_user):
    head_office = region.parent
    east = Branch.objects.create(code="RE", name="华东区域", kind="region", parent=head_office)

    changes = model_update(instance=branch, data={"parent": east}, actor=admin_user)

    assert changes == {"parent": {"before": "RN 华北区域", "after": "RE 华东区域"}}


def test_choices_are_recorded_by_code_and_shown_by_label_in_the_readers_language(branch, admin_user):
    from django.utils import translation

    from aftersales.core.audit import audit_history

    changes = model_update(instance=branch, data={"kind": BranchKind.SERVICE_CENTER}, actor=admin_user)
    with translation.override("zh-hans"):
        chinese = audit_history(branch)[0].rows
    with translation.override("en"):
        english = audit_history(branch)[0].rows

    assert changes == {"kind": {"before": "store", "after": "service_center"}}
    assert [(r.label, r.before, r.after) for r in chinese] == [("类型", "门店", "服务站")]
    assert [(r.label, r.before, r.after) for r in english] == [("Kind", "Store", "Service center")]


def test_invalid_update_is_refused_before_anything_is_saved_or_recorded(branch, admin_user):
    with pytest.raises(ValidationError) as caught:
        model_update(instance=branch, data={"code": "bad code!"}, actor=admin_user)

    assert "code" in caught.value.message_dict
    assert not AuditEvent.objects.exists()
    assert Branch.objects.get(pk=branch.pk).code == "BJ01"
    assert branch.code == "BJ01"  # the object in hand is left as it was, too


def test_refused_foreign_key_change_leaves_the_object_in_hand_as_it_was(region, admin_user):
    head_office = region.parent
    sub_region = Branch.objects.create(code="RN2", name="天津片区", kind="region", parent=region)

    with pytest.raises(ValidationError):
        model_update(instance=region, data={"parent": sub_region, "name": "新名字"}, actor=admin_user)

    assert (region.parent, region.name) == (head_office, "华北区域")


def test_creation_records_the_filled_fields_with_nothing_before(branch, admin_user):
    event = audit_created(actor=admin_user, instance=branch, fields=("code", "name", "kind", "parent", "phone"))

    assert event.action == AuditAction.CREATE
    assert event.changes == {
        "code": {"before": None, "after": "BJ01"},
        "name": {"before": None, "after": "北京朝阳店"},
        "kind": {"before": None, "after": "store"},
        "parent": {"before": None, "after": "RN 华北区域"},
    }


def test_events_of_an_object_come_newest_first_in_one_query(
    branch, other_branch, admin_user, django_assert_num_queries
):
    model_update(instance=branch, data={"name": "第一次"}, actor=admin_user)
    model_update(instance=other_branch, data={"name": "别的门店"}, actor=admin_user)
    model_update(instance=branch, data={"name": "第二次"}, actor=admin_user)

    with django_assert_num_queries(1):
        events = audit_events_for(branch)
        actors = [event.actor.username for event in events]

    assert [event.changes["name"]["after"] for event in events] == ["第二次", "第一次"]
    assert actors == ["root", "root"]


def _history_section(html: str) -> str:
    start = html.index('aria-labelledby="audit-title"')
    return html[start : html.index("</section>", start)]


def test_editing_a_branch_through_its_page_shows_the_change_in_its_history(branch, person, pages):
    manager = person("service_manager")
    client = pages(manager)

    response = client.post(
        f"/org/branches/{branch.pk}/edit/",
        {"code": "BJ01", "name": "北京朝阳旗舰店", "kind": "store", "phone": "010-12345678", "active": "on"},
    )

    assert response.status_code == 302
    history = _history_section(client.get(f"/org/branches/{branch.pk}/").content.decode())
    assert "北京朝阳店" in history  # before
    assert "北京朝阳旗舰店" in history  # after
    assert "010-12345678" in history
    assert manager.username in history  # who
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert set(event.changes) == {"name", "phone"}  # the unchanged region is not recorded as a change


def test_an_object_never_changed_has_an_empty_history(branch, person, pages):
    response = pages(person("service_manager")).get(f"/org/branches/{branch.pk}/")

    assert response.status_code == 200
    assert "<li>" not in _history_section(response.content.decode())
