"""Appraisals (考核): forms of weighted items per position, and each employee's monthly or annual appraisal.

An appraisal goes self → manager → HR (`APPRAISAL_TRANSITIONS`): the employee assesses themself, the manager
scores it, HR confirms it or returns it to the manager. A confirmed appraisal is locked: every later change
answers 409 `appraisal_locked`; pay runs read confirmed scores only.

An appraisal made from a form keeps a copy of the form's items (`Appraisal.items`, so editing the form later
changes no appraisal): `{name, weight, source, metric, rule, self_score, manager_score, metric_value, score}`.
A manual item is scored by the manager; a metric item by its rule, a formula over the metric's value for the
employee and the period (`MIN(督查次数 / 10, 1) × 100`), clamped to 0–100. The score is the weighted mean of the
item scores, to two decimals half up. An appraisal without items (the API's direct form) carries the manager's
score as it was given.
"""

from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import get_for_user_or_404, require_perm, visible_branch_ids
from aftersales.core.audit import audit_created, audit_record
from aftersales.core.errors import Conflict
from aftersales.core.models import AuditAction
from aftersales.org.models import Employee
from aftersales.pay.choices import APPRAISAL_TRANSITIONS, AppraisalStatus, ItemSource, PeriodKind
from aftersales.pay.formula import FormulaError
from aftersales.pay.metrics import METRICS, Period, metric_values
from aftersales.pay.models import Appraisal, AppraisalForm

# the forms are written in appraisal_forms; pages and the API reach both through this module
from aftersales.pay.services.appraisal_forms import (  # noqa: F401
    APPRAISAL_FIELDS,
    SOURCES_KEPT,
    _clamp,
    _text,
    appraisal_form_create,
    appraisal_form_default,
    appraisal_form_update,
    rule_compile,
    score_clean,
    weighted_score,
)

# -- reads ------------------------------------------------------------------------------------------------------------


def appraisal_list(
    *, user, employee: int | None = None, period: str = "", kind: str = "", status: str = "", q: str = ""
) -> QuerySet:
    """The appraisals the user may see (their branch's with `pay.view_appraisal`, their own always), newest first."""
    queryset = Appraisal.objects.for_user(user).select_related("employee__branch", "employee__position")
    if employee:
        queryset = queryset.filter(employee_id=employee)
    if (period or "").strip():
        queryset = queryset.filter(period=period.strip())
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    term = (q or "").strip()
    if term:
        queryset = queryset.filter(Q(employee__name__icontains=term) | Q(employee__employee_no__icontains=term))
    return queryset.order_by("-period_start", "employee__employee_no", "kind", "-id")


def appraisal_get(*, user, pk) -> Appraisal:
    """One appraisal the user may see (404 otherwise)."""
    return get_for_user_or_404(
        Appraisal.objects.select_related(
            "employee__branch", "employee__position", "form", "reviewed_by__employee", "confirmed_by__employee"
        ),
        user,
        pk=pk,
    )


def _is_own(user, appraisal: Appraisal) -> bool:
    return appraisal.employee.user_id == getattr(user, "pk", None)


def appraisal_actions(*, user, appraisal: Appraisal) -> list[str]:
    """The steps of `APPRAISAL_TRANSITIONS` this user may take on this appraisal now (the page's buttons)."""
    if appraisal.status == AppraisalStatus.CONFIRMED:
        return []
    own = _is_own(user, appraisal)
    names = []
    for name, step in APPRAISAL_TRANSITIONS.items():
        if appraisal.status not in step.sources:
            continue
        if step.permission is None:
            if own:
                names.append(name)
        elif not own and user.has_perm(step.permission):
            names.append(name)
    return names


# -- writes: appraisals -----------------------------------------------------------------------------------------------


def _employee_visible(actor, employee) -> Employee:
    """The employee, if the actor sees their branch (404 otherwise): the appraisal will be scoped by it."""
    pk = getattr(employee, "pk", employee)
    ids = visible_branch_ids(actor)
    queryset = Employee.objects.select_related("position")
    if ids is not None:
        queryset = queryset.filter(branch__in=sorted(ids))
    try:
        return queryset.get(pk=pk)
    except (Employee.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _copy_items(form: AppraisalForm) -> list[dict]:
    return [
        {
            "name": item.name,
            "weight": str(item.weight),
            "source": item.source,
            "metric": item.metric,
            "rule": item.rule,
            "self_score": None,
            "manager_score": None,
            "metric_value": None,
            "score": None,
        }
        for item in form.items.all()
    ]


@transaction.atomic
def appraisal_create(
    *, actor, employee, period: str, kind: str = PeriodKind.MONTHLY, form: AppraisalForm | None = None, score=None
) -> Appraisal:
    """Open an employee's appraisal for a month (`2026-11`) or a year (`2026`).

    Without a score it starts `draft` with the items of `form` (by default the active form of the employee's
    position for the kind; none: a plain appraisal scored as a whole). With a score (the API's direct form) the
    score is recorded as the manager's and the appraisal is `reviewed`, ready for HR to confirm.
    """
    employee = _employee_visible(actor, employee)
    require_perm(actor, "pay.add_appraisal")
    if employee.user_id == actor.pk:
        raise PermissionDenied(_("Nobody appraises themself: ask your manager."))
    errors: dict[str, list[str]] = {}
    parsed = None
    if kind not in PeriodKind.values:
        errors["kind"] = [_("Choose monthly or annual.")]
    else:
        try:
            parsed = Period.parse(period, kind)
        except ValueError:
            example = "2026-11" if kind == PeriodKind.MONTHLY else "2026"
            errors["period"] = [_("Write the period like %(example)s.") % {"example": example}]
    if score is not None and not (isinstance(score, str) and not score.strip()):
        try:
            score = score_clean(score, "score")
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if form is not None:
            errors["form"] = [_("An appraisal with a form is scored item by item: leave the score empty.")]
    else:
        score = None
    if form is not None and "form" not in errors:
        if not form.active:
            errors["form"] = [_("This form is no longer used.")]
        elif form.kind != kind:
            errors["form"] = [_("This form is for another period.")]
    if errors:
        raise ValidationError(errors)
    period_text = parsed.label
    if Appraisal.objects.filter(employee=employee, kind=kind, period=period_text).exists():
        raise _exists(employee, period_text)
    if score is None and form is None:
        form = appraisal_form_default(employee, kind)
    now = timezone.now()
    appraisal = Appraisal(
        employee=employee,
        form=form,
        kind=kind,
        period=period_text,
        period_start=parsed.start,
        status=AppraisalStatus.DRAFT if score is None else AppraisalStatus.REVIEWED,
        items=_copy_items(form) if form is not None else [],
        score=score,
        reviewed_by=actor if score is not None else None,
        reviewed_at=now if score is not None else None,
        created_by=actor,
    )
    appraisal.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            appraisal.save()
    except IntegrityError as exc:  # created meanwhile by someone else
        raise _exists(employee, period_text) from exc
    audit_created(actor=actor, instance=appraisal, fields=APPRAISAL_FIELDS)
    return appraisal


def _exists(employee, period: str) -> Conflict:
    return Conflict(
        _("%(employee)s already has an appraisal for %(period)s.") % {"employee": employee.name, "period": period},
        code="appraisal_exists",
    )


def _step(*, actor, appraisal: Appraisal, action: str) -> tuple[Appraisal, str]:
    """Lock the appraisal and check one step of `APPRAISAL_TRANSITIONS`: visible (404), allowed (403), the
    status (409; a confirmed appraisal is locked). Returns the locked row and the status it starts from."""
    step = APPRAISAL_TRANSITIONS[action]
    locked = get_for_user_or_404(Appraisal.objects.select_for_update(of=("self",)), actor, pk=appraisal.pk)
    locked.employee = Employee.objects.get(pk=locked.employee_id)
    own = locked.employee.user_id == actor.pk
    if step.permission is None:
        if not own:
            raise PermissionDenied(_("Only the employee themself may do this."))
    else:
        require_perm(actor, step.permission)
        if own:
            raise PermissionDenied(_("Nobody scores or confirms their own appraisal."))
    if locked.status == AppraisalStatus.CONFIRMED:
        raise Conflict(
            _("The appraisal of %(period)s is confirmed: its score is locked.") % {"period": locked.period},
            code="appraisal_locked",
        )
    if locked.status not in step.sources:
        raise Conflict(
            _("“%(action)s” is not possible: the appraisal is %(status)s.")
            % {"action": step.label, "status": locked.get_status_display()},
            code="appraisal_status",
        )
    return locked, locked.status


def _finish(*, actor, appraisal: Appraisal, locked: Appraisal, action: str, before: str, fields, changes, payload=None):
    """Move to the step's target, save the fields, record the step, and refresh the caller's object."""
    target = APPRAISAL_TRANSITIONS[action].target
    locked.status = target
    locked.save(update_fields=[*fields, "status", "updated_at"])
    audit_record(
        actor=actor,
        instance=locked,
        action=AuditAction.STATUS,
        changes={name: change for name, change in changes.items() if change["before"] != change["after"]},
        payload={"from": str(before), "to": str(target), "step": action, **(payload or {})},
    )
    for name in (*fields, "status", "updated_at"):
        setattr(appraisal, name, getattr(locked, name))
    return locked


def _scores_clean(
    scores: Mapping | None, items: list[dict], *, sources: tuple[str, ...], key: str
) -> dict[int, Decimal]:
    """Given scores by item index, for every item of the given sources; errors on `items.N.score`."""
    given: dict[int, object] = {}
    errors: dict[str, list[str]] = {}
    for index, value in (scores or {}).items():
        try:
            number = int(index)
        except (TypeError, ValueError):
            errors["scores"] = [_("Give scores by item number.")]
            continue
        if not 0 <= number < len(items) or items[number]["source"] not in sources:
            errors[f"items.{number}.{key}"] = [_("There is no such item to score.")]
            continue
        given[number] = value
    result: dict[int, Decimal] = {}
    for number, item in enumerate(items):
        if item["source"] not in sources:
            continue
        field = f"items.{number}.{key}"
        if field in errors:
            continue
        value = given.get(number)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[field] = [_("Score “%(item)s” from 0 to 100.") % {"item": item["name"]}]
            continue
        try:
            result[number] = score_clean(value, field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return result


def appraisal_metric_scores(appraisal: Appraisal) -> dict[int, tuple[Decimal, Decimal, list]]:
    """`{item index: (metric value, score, sources)}` of the appraisal's metric items, for its employee and period."""
    indexed = [(number, item) for number, item in enumerate(appraisal.items) if item["source"] == ItemSource.METRIC]
    if not indexed:
        return {}
    errors = {}
    for number, item in indexed:
        if item["metric"] not in METRICS:
            errors[f"items.{number}.metric"] = [_("“%(metric)s” is not a known metric.") % {"metric": item["metric"]}]
    if errors:
        raise ValidationError(errors)
    period = Period.parse(appraisal.period, appraisal.kind)
    keys = sorted({item["metric"] for _number, item in indexed})
    values = metric_values(keys, [appraisal.employee], period)
    result = {}
    for number, item in indexed:
        measured = values[item["metric"]][appraisal.employee.pk]
        try:
            raw = rule_compile(item["rule"], item["metric"]).evaluate({item["metric"]: measured.value})
        except (FormulaError, ValueError) as exc:
            errors[f"items.{number}.rule"] = [str(exc)]
            continue
        sources = [source.as_json() for source in measured.sources[:SOURCES_KEPT]]
        result[number] = (measured.value, _clamp(raw), sources)
    if errors:
        raise ValidationError(errors)
    return result


@transaction.atomic
def appraisal_self_assess(
    *, actor, appraisal: Appraisal, scores: Mapping | None = None, comment: str = "", score=None
) -> Appraisal:
    """The employee's self-assessment: a score for each manual item (metric items are computed), or `score`
    for an appraisal without items. May be given again until the manager has scored."""
    locked, before = _step(actor=actor, appraisal=appraisal, action="self_assess")
    items = [dict(item) for item in locked.items]
    if items:
        given = _scores_clean(scores, items, sources=(ItemSource.MANUAL,), key="self_score")
        locked.items = items
        computed = appraisal_metric_scores(locked)
        for number, item in enumerate(items):
            if number in given:
                item["self_score"] = str(given[number])
            else:
                value, item_score, _sources = computed[number]
                item["self_score"] = str(item_score)
                item["metric_value"] = str(value)
        total = weighted_score((Decimal(item["weight"]), Decimal(item["self_score"])) for item in items)
    else:
        total = score_clean(score, "score")
    changes = {"self_score": {"before": _text(locked.self_score), "after": str(total)}}
    locked.items, locked.self_score = items, total
    locked.self_comment = (comment or "").strip()
    return _finish(
        actor=actor,
        appraisal=appraisal,
        locked=locked,
        action="self_assess",
        before=before,
        fields=("items", "self_score", "self_comment"),
        changes=changes,
    )


@transaction.atomic
def appraisal_review(
    *, actor, appraisal: Appraisal, scores: Mapping | None = None, comment: str = "", score=None
) -> Appraisal:
    """The manager's scoring: manual items from `scores`, metric items computed through the metrics registry and
    their rules; the score is their weighted mean. An appraisal without items takes `score` as given."""
    locked, before = _step(actor=actor, appraisal=appraisal, action="review")
    items = [dict(item) for item in locked.items]
    if items:
        if score is not None and not (isinstance(score, str) and not score.strip()):
            raise ValidationError({"score": [_("This appraisal is scored item by item.")]})
        given = _scores_clean(scores, items, sources=(ItemSource.MANUAL,), key="score")
        computed = appraisal_metric_scores(locked)
        for number, item in enumerate(items):
            if number in given:
                item["manager_score"] = item["score"] = str(given[number])
            else:
                value, item_score, sources = computed[number]
                item["metric_value"], item["score"] = str(value), str(item_score)
                item["sources"] = sources
        total = weighted_score((Decimal(item["weight"]), Decimal(item["score"])) for item in items)
    else:
        total = score_clean(score, "score")
    changes = {"score": {"before": _text(locked.score), "after": str(total)}}
    locked.items, locked.score = items, total
    locked.manager_comment = (comment or "").strip()
    locked.reviewed_by, locked.reviewed_at = actor, timezone.now()
    return _finish(
        actor=actor,
        appraisal=appraisal,
        locked=locked,
        action="review",
        before=before,
        fields=("items", "score", "manager_comment", "reviewed_by", "reviewed_at"),
        changes=changes,
    )


@transaction.atomic
def appraisal_confirm(*, actor, appraisal: Appraisal) -> Appraisal:
    """HR confirms the manager's score: from now on the appraisal is locked and pay runs use its score."""
    locked, before = _step(actor=actor, appraisal=appraisal, action="confirm")
    locked.confirmed_by, locked.confirmed_at = actor, timezone.now()
    return _finish(
        actor=actor,
        appraisal=appraisal,
        locked=locked,
        action="confirm",
        before=before,
        fields=("confirmed_by", "confirmed_at"),
        changes={},
        payload={"score": _text(locked.score)},
    )


@transaction.atomic
def appraisal_return(*, actor, appraisal: Appraisal, reason: str) -> Appraisal:
    """HR sends a scored appraisal back to the manager, saying why (kept in the appraisal's history)."""
    locked, before = _step(actor=actor, appraisal=appraisal, action="return")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the appraisal goes back.")]})
    return _finish(
        actor=actor,
        appraisal=appraisal,
        locked=locked,
        action="return",
        before=before,
        fields=(),
        changes={},
        payload={"reason": reason[:500]},
    )


def appraisal_act(*, actor, appraisal: Appraisal, action: str, data: Mapping | None = None) -> Appraisal:
    """One step by name (the API's and the pages' `actions/<name>`), with that step's input."""
    data = dict(data or {})
    if action == "self_assess":
        return appraisal_self_assess(
            actor=actor, appraisal=appraisal, scores=data.get("scores"), comment=data.get("comment") or "",
            score=data.get("score"),
        )  # fmt: skip
    if action == "review":
        return appraisal_review(
            actor=actor, appraisal=appraisal, scores=data.get("scores"), comment=data.get("comment") or "",
            score=data.get("score"),
        )  # fmt: skip
    if action == "confirm":
        return appraisal_confirm(actor=actor, appraisal=appraisal)
    if action == "return":
        return appraisal_return(actor=actor, appraisal=appraisal, reason=data.get("reason") or "")
    raise Http404
