"""Appraisal forms (考核表): weighted items per position, each scored by the manager or by a rule over a metric
(`MIN(督查次数 / 10, 1) × 100`), and the score arithmetic appraisals share (weighted mean, 0–100, half up)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_changes, audit_record, audit_snapshot
from aftersales.core.models import AuditAction
from aftersales.pay.choices import ItemSource, PeriodKind
from aftersales.pay.formula import Formula, FormulaError, compile_formula
from aftersales.pay.metrics import METRICS
from aftersales.pay.models import AppraisalForm, AppraisalFormItem

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
MAX_WEIGHT = Decimal("999.99")
ITEM_KEYS = ("name", "weight", "source", "metric", "rule")
FORM_FIELDS = ("name", "position", "kind", "active")
APPRAISAL_FIELDS = ("employee", "form", "kind", "period", "status", "score")
#: Records kept behind a metric item's value (enough to explain it; a payslip lists them all).
SOURCES_KEPT = 50


# -- numbers ----------------------------------------------------------------------------------------------------------


def score_clean(value, field: str) -> Decimal:
    """A score from 0 to 100, to two decimals half up; 422 on `field` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({field: [_("Enter a score from 0 to 100.")]})
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: [_("Enter a score from 0 to 100.")]}) from exc
    if not number.is_finite() or number < ZERO or number > HUNDRED:
        raise ValidationError({field: [_("Enter a score from 0 to 100.")]})
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def weighted_score(pairs) -> Decimal | None:
    """Σ weight × score / Σ weight over (weight, score) pairs, to two decimals half up; None without pairs."""
    total_weight = ZERO
    total = ZERO
    for weight, score in pairs:
        total_weight += weight
        total += weight * score
    if not total_weight:
        return None
    return (total / total_weight).quantize(CENT, rounding=ROUND_HALF_UP)


def _clamp(value: Decimal) -> Decimal:
    return min(max(value, ZERO), HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _text(value) -> str | None:
    return None if value is None else str(value)


# -- forms ------------------------------------------------------------------------------------------------------------


def rule_compile(rule: str, metric: str) -> Formula:
    """A metric item's rule, compiled; it must read the metric's value and nothing else (FormulaError otherwise)."""
    formula = compile_formula(rule)
    others = sorted(formula.names - {metric})
    if others:
        raise ValueError(
            _("The rule may read only “%(metric)s”, not “%(name)s”.") % {"metric": metric, "name": others[0]}
        )
    if metric not in formula.names:
        raise ValueError(_("The rule must use “%(metric)s”.") % {"metric": metric})
    return formula


def items_clean(items, kind: str) -> list[dict]:
    """The items of a form, checked and normalised; errors name the row (`items.2.rule`)."""
    errors: dict[str, list[str]] = {}
    cleaned: list[dict] = []
    for index, raw in enumerate(items or []):
        row = dict(raw or {})
        prefix = f"items.{index}"
        name = str(row.get("name") or "").strip()
        if not name:
            errors[f"{prefix}.name"] = [_("Name the item.")]
        elif len(name) > 100:
            errors[f"{prefix}.name"] = [_("At most %(max)s characters.") % {"max": 100}]
        weight = row.get("weight")
        try:
            weight = Decimal(str(weight).strip()).quantize(CENT, rounding=ROUND_HALF_UP)
            if not weight.is_finite() or weight <= ZERO or weight > MAX_WEIGHT:
                raise ValueError
        except (InvalidOperation, ValueError, TypeError):
            errors[f"{prefix}.weight"] = [_("Enter a weight above 0 (at most 999.99).")]
            weight = None
        source = str(row.get("source") or ItemSource.MANUAL)
        metric = str(row.get("metric") or "").strip()
        rule = str(row.get("rule") or "").strip()
        if source not in ItemSource.values:
            errors[f"{prefix}.source"] = [_("Choose how the item is scored.")]
        elif source == ItemSource.MANUAL:
            metric, rule = "", ""
        else:
            registered = METRICS.get(metric)
            if not metric:
                errors[f"{prefix}.metric"] = [_("Choose the metric that scores this item.")]
            elif registered is None:
                errors[f"{prefix}.metric"] = [_("“%(metric)s” is not a known metric.") % {"metric": metric}]
            elif kind not in registered.kinds:
                errors[f"{prefix}.metric"] = [_("“%(metric)s” is not measured for this period.") % {"metric": metric}]
            if not rule:
                errors[f"{prefix}.rule"] = [_("Write the scoring rule, e.g. MIN(督查次数 / 10, 1) × 100.")]
            elif len(rule) > 300:
                errors[f"{prefix}.rule"] = [_("At most %(max)s characters.") % {"max": 300}]
            elif registered is not None:
                try:
                    rule_compile(rule, metric)
                except (FormulaError, ValueError) as exc:
                    errors[f"{prefix}.rule"] = [str(exc)]
        cleaned.append({"name": name, "weight": weight, "source": source, "metric": metric, "rule": rule})
    if not cleaned and not errors:
        errors["items"] = [_("Add at least one item.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _form_clean(*, name, kind) -> tuple[str, str]:
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 100:
        errors["name"] = [_("At most %(max)s characters.") % {"max": 100}]
    if kind not in PeriodKind.values:
        errors["kind"] = [_("Choose monthly or annual.")]
    if errors:
        raise ValidationError(errors)
    return name, kind


def _items_save(form: AppraisalForm, items: list[dict]) -> None:
    AppraisalFormItem.objects.bulk_create(
        AppraisalFormItem(form=form, position=position, **item) for position, item in enumerate(items)
    )


def _items_json(items) -> list[dict]:
    return [{**{key: item[key] for key in ITEM_KEYS}, "weight": str(item["weight"])} for item in items]


def _items_text(items) -> str:
    """The items as the history shows them: `出勤 40.00; 督查 60.00 [MIN(督查次数 / 10, 1) × 100]`."""
    return "; ".join(
        f"{item['name']} {item['weight']}" + (f" [{item['rule']}]" if item["rule"] else "") for item in items
    )


def form_items(form: AppraisalForm) -> list[dict]:
    return [{key: getattr(item, key) for key in ITEM_KEYS} for item in form.items.all()]


@transaction.atomic
def appraisal_form_create(
    *, actor, name: str, position=None, kind: str = PeriodKind.MONTHLY, items=(), active: bool = True
) -> AppraisalForm:
    """A new appraisal form with its weighted items (HR)."""
    require_perm(actor, "pay.add_appraisalform")
    errors = {}
    try:
        name, kind = _form_clean(name=name, kind=kind)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cleaned = items_clean(items, kind)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    form = AppraisalForm(name=name, position=position, kind=kind, active=active)
    form.full_clean()
    form.save()
    _items_save(form, cleaned)
    snapshot = audit_snapshot(form, FORM_FIELDS)
    audit_record(
        actor=actor,
        instance=form,
        action=AuditAction.CREATE,
        changes={name: {"before": None, "after": value} for name, value in snapshot.items() if value not in (None, "")},
        payload={"form_items": _items_text(cleaned)},
    )
    return form


@transaction.atomic
def appraisal_form_update(
    *, actor, form: AppraisalForm, name: str, position=None, kind: str, items=(), active: bool | None = None
) -> AppraisalForm:
    """Change a form and replace its items. Appraisals already made keep the items they were made with."""
    require_perm(actor, "pay.change_appraisalform")
    locked = AppraisalForm.objects.select_for_update().get(pk=form.pk)
    errors = {}
    try:
        name, kind = _form_clean(name=name, kind=kind)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cleaned = items_clean(items, kind)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    before = audit_snapshot(locked, FORM_FIELDS)
    old_items = _items_json(form_items(locked))
    locked.name, locked.position, locked.kind = name, position, kind
    if active is not None:
        locked.active = active
    locked.full_clean()
    locked.save()
    changes = audit_changes(before, audit_snapshot(locked, FORM_FIELDS))
    new_items = _items_json(cleaned)
    payload = {}
    if new_items != old_items:
        locked.items.all().delete()
        _items_save(locked, cleaned)
        payload = {"form_items": _items_text(cleaned)}
    if changes or payload:
        audit_record(actor=actor, instance=locked, action=AuditAction.UPDATE, changes=changes, payload=payload)
    form.name, form.position, form.kind, form.active = locked.name, locked.position, locked.kind, locked.active
    return locked


def appraisal_form_default(employee, kind: str) -> AppraisalForm | None:
    """The active form of the employee's position for the kind (the first by name), if there is one."""
    if not employee.position_id:
        return None
    return (
        AppraisalForm.objects.filter(position_id=employee.position_id, kind=kind, active=True)
        .order_by("name", "pk")
        .first()
    )
