"""Pay policies: the sheet as HR types it, the line that is paid, and where each input comes from.

An input whose name is a registered metric's (售后检查单数 …) is bound to that metric, 月考核分 / 年终考核分 to the
confirmed appraisal score, and any other input to a manual input of the same name — unless the policy's
`bindings` say otherwise (`{"名称": {"source": "metric" | "appraisal" | "manual" | "constant", "key"?, "value"?}}`).
The stored bindings are the resolved ones, one per input, so a payslip can always say where a value came from.
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_created, model_update
from aftersales.pay.choices import APPRAISAL_INPUTS, InputSource, PeriodKind
from aftersales.pay.formula import FormulaError, is_valid_name
from aftersales.pay.metrics import METRICS
from aftersales.pay.models import PayPolicy, PieceRate
from aftersales.pay.policy import PolicySheet

POLICY_FIELDS = ("code", "name", "position", "kind", "sheet", "total", "bindings", "active")


@lru_cache(maxsize=256)
def sheet_parse(text: str) -> PolicySheet:
    """A parsed sheet, kept: a pay run of thousands of employees parses each policy once."""
    return PolicySheet.parse(text)


def binding_default(name: str, kind: str) -> dict:
    """Where an input comes from when the policy does not say: a metric, an appraisal score or a manual input."""
    metric = METRICS.get(name)
    if metric is not None and kind in metric.kinds:
        return {"source": InputSource.METRIC.value, "key": name}
    if name in APPRAISAL_INPUTS:
        return {"source": InputSource.APPRAISAL.value, "key": APPRAISAL_INPUTS[name].value}
    return {"source": InputSource.MANUAL.value, "key": name}


def _binding_clean(name: str, given: Mapping, kind: str) -> dict:
    """One binding checked and completed; ValidationError names the input."""
    if not isinstance(given, Mapping):
        raise ValidationError({"bindings": _("“%(name)s”: give a source.") % {"name": name}})
    source = given.get("source")
    if source not in InputSource.values:
        raise ValidationError(
            {
                "bindings": _("“%(name)s”: the source must be one of %(values)s.")
                % {"name": name, "values": ", ".join(InputSource.values)}
            }
        )
    key = str(given.get("key") or "").strip()
    if source == InputSource.CONSTANT:
        try:
            value = Decimal(str(given.get("value")))
        except (InvalidOperation, ValueError):
            raise ValidationError(
                {"bindings": _("“%(name)s”: a constant needs a number as its value.") % {"name": name}}
            ) from None
        if not value.is_finite():
            raise ValidationError(
                {"bindings": _("“%(name)s”: a constant needs a number as its value.") % {"name": name}}
            )
        return {"source": source, "value": str(value)}
    if source == InputSource.METRIC:
        key = key or name
        metric = METRICS.get(key)
        if metric is None:
            raise ValidationError(
                {"bindings": _("“%(name)s”: there is no metric “%(key)s”.") % {"name": name, "key": key}}
            )
        if kind not in metric.kinds:
            raise ValidationError(
                {
                    "bindings": _("“%(name)s”: the metric “%(key)s” is not computed for this period.")
                    % {"name": name, "key": key}
                }
            )
        return {"source": source, "key": key}
    if source == InputSource.APPRAISAL:
        key = key or APPRAISAL_INPUTS.get(name, kind)
        key = {"月考核分": PeriodKind.MONTHLY.value, "年终考核分": PeriodKind.ANNUAL.value}.get(key, key)
        if key not in PeriodKind.values:
            raise ValidationError(
                {"bindings": _("“%(name)s”: an appraisal score is monthly or annual.") % {"name": name}}
            )
        return {"source": source, "key": key}
    key = key or name
    if not is_valid_name(key):
        raise ValidationError(
            {"bindings": _("“%(name)s”: “%(key)s” is not a valid input name.") % {"name": name, "key": key}}
        )
    return {"source": source, "key": key}


def bindings_resolve(sheet: PolicySheet, given: Mapping | None, kind: str) -> dict[str, dict]:
    """The binding of every input of the sheet: the given ones checked, the others by default."""
    given = dict(given or {})
    unknown = [name for name in given if name not in sheet.inputs]
    if unknown:
        raise ValidationError(
            {
                "bindings": _("“%(name)s” is not an input of the policy (it is defined by a line or not used).")
                % {"name": unknown[0]}
            }
        )
    return {
        name: _binding_clean(name, given[name], kind) if name in given else binding_default(name, kind)
        for name in sorted(sheet.inputs)
    }


def policy_sheet_check(*, sheet: str, total: str, bindings: Mapping | None, kind: str) -> tuple[PolicySheet, dict]:
    """The parsed sheet and resolved bindings, or a ValidationError on `sheet`, `total` or `bindings`."""
    try:
        parsed = sheet_parse(sheet or "")
    except FormulaError as exc:
        raise ValidationError({"sheet": str(exc)}) from None
    total = (total or "").strip()
    if total not in parsed:
        raise ValidationError(
            {"total": _("The total must be one of the policy's lines: %(names)s.") % {"names": "、".join(parsed.names)}}
        )
    return parsed, bindings_resolve(parsed, bindings, kind)


def _policy_clean(data: dict) -> dict:
    kind = data.get("kind") or PeriodKind.MONTHLY
    if kind not in PeriodKind.values:
        raise ValidationError({"kind": _("Choose monthly or annual.")})
    _sheet, bindings = policy_sheet_check(
        sheet=data.get("sheet", ""), total=data.get("total", ""), bindings=data.get("bindings"), kind=kind
    )
    data = {**data, "kind": kind, "bindings": bindings, "total": (data.get("total") or "").strip()}
    position, active = data.get("position"), data.get("active", True)
    if position is not None and active:
        clash = PayPolicy.objects.filter(position=position, kind=kind, active=True)
        if data.get("pk"):
            clash = clash.exclude(pk=data["pk"])
        if clash.exists():
            raise ValidationError({"position": _("This position already has an active policy for this period.")})
    data.pop("pk", None)
    return data


@transaction.atomic
def policy_create(
    *, actor, code: str, name: str, position, sheet: str, total: str, bindings=None, kind: str = "monthly", active=True
) -> PayPolicy:
    require_perm(actor, "pay.add_paypolicy")
    data = _policy_clean(
        {
            "code": (code or "").strip(),
            "name": (name or "").strip(),
            "position": position,
            "kind": kind,
            "sheet": sheet,
            "total": total,
            "bindings": bindings,
            "active": active,
        }
    )
    policy = PayPolicy(**data, created_by=actor)
    policy.full_clean()
    policy.save()
    audit_created(actor=actor, instance=policy, fields=POLICY_FIELDS)
    return policy


@transaction.atomic
def policy_update(*, actor, policy: PayPolicy, **changes) -> PayPolicy:
    """Change a policy; its history keeps every earlier sheet (payslips keep the formulas they were computed with)."""
    require_perm(actor, "pay.change_paypolicy")
    policy = PayPolicy.objects.select_for_update().get(pk=policy.pk)
    current = {name: getattr(policy, name) for name in POLICY_FIELDS}
    merged = {**current, **{k: v for k, v in changes.items() if k in POLICY_FIELDS}}
    if "bindings" not in changes:
        merged["bindings"] = {k: v for k, v in current["bindings"].items()}
        # keep the explicit bindings of the inputs that are still inputs; the others fall back to their defaults
        try:
            inputs = sheet_parse(merged["sheet"]).inputs
        except FormulaError:
            inputs = frozenset()
        merged["bindings"] = {k: v for k, v in merged["bindings"].items() if k in inputs}
    data = _policy_clean({**merged, "pk": policy.pk})
    model_update(instance=policy, data=data, actor=actor)
    return policy


@transaction.atomic
def piece_rate_set(*, actor, product_type: str, rate: Decimal, active: bool = True) -> PieceRate:
    """Create or change the piece rate of a product type (the empty type is the rate for all others)."""
    require_perm(actor, "pay.change_piecerate")
    product_type = (product_type or "").strip()
    existing = PieceRate.objects.select_for_update().filter(product_type=product_type).first()
    if existing is None:
        piece_rate = PieceRate(product_type=product_type, rate=rate, active=active)
        piece_rate.full_clean()
        piece_rate.save()
        audit_created(actor=actor, instance=piece_rate, fields=("product_type", "rate", "active"))
        return piece_rate
    model_update(instance=existing, data={"rate": rate, "active": active}, actor=actor)
    return existing
