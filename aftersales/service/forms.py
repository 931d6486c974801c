"""Forms of the service-order pages: reception, lines, and the input of each step. They parse; the services in
`aftersales.service.services` check and save, and their errors come back beside these fields.

Choice lists that a page draws many times (a technician select per job, the jobs to redo, earlier orders)
are plain choices built once from lists the view already holds, so a form costs no query per field.
"""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.customers.choices import AssetKind
from aftersales.customers.models import Asset, Customer
from aftersales.org.choices import TeamKind
from aftersales.org.models import Team
from aftersales.org.roles import ROLES
from aftersales.parts.forms_stock import PartCodeField, quantity_field
from aftersales.service.choices import VISIT_TYPES, ConsentMethod, FuelLevel, OrderType, Payer, PaymentMethod
from aftersales.service.forms_appointments import DateTimeLocalInput, booking_branches
from aftersales.service.services.installation import INSTALLATION_CHECKS

#: The exterior and interior areas of the walk-around check (环车检查), in the order one walks round a car.
WALKAROUND_AREAS = (
    _("Front bumper"),
    _("Rear bumper"),
    _("Left front door"),
    _("Right front door"),
    _("Left rear door"),
    _("Right rear door"),
    _("Bonnet"),
    _("Roof"),
    _("Boot"),
    _("Left mirror"),
    _("Right mirror"),
    _("Windscreen"),
    _("Wheels"),
    _("Seats"),
    _("Dashboard"),
    _("Carpets"),
)
PAYMENT_ROWS = 3
MONEY_INPUT = {"step": "0.01", "inputmode": "decimal"}


def person_name(user) -> str:
    employee = getattr(user, "employee", None)
    return employee.name if employee else user.get_username()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_name(obj)


class TeamChoiceField(forms.ModelChoiceField):
    """An installation team, shown with its branch (the service checks it is the order's branch's)."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.branch.code} · {obj.name}"


def installation_teams_for(user):
    """The active installation teams of the branches the user books into."""
    return (
        Team.objects.filter(branch__in=booking_branches(user).values("pk"), kind=TeamKind.INSTALLATION, active=True)
        .select_related("branch")
        .order_by("branch__code", "name")
    )


def work_roles() -> list[str]:
    """The roles whose holders work jobs (`service.work_serviceorder`)."""
    return [code for code, role in ROLES.items() if "service.work_serviceorder" in role.permissions]


def technicians_for(branch) -> list:
    """Active people of the branch (main or further branch) holding a role that works jobs, by name (one query)."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, employee__active=True, groups__name__in=work_roles())
        .filter(Q(employee__branch=branch) | Q(employee__branches=branch))
        .select_related("employee")
        .distinct()
        .order_by("employee__name", "id")
    )


def assignees_for(user):
    """Who may be sent on a visit: active people of the branches the user books into."""
    branches = booking_branches(user).values("pk")
    return (
        get_user_model()
        .objects.filter(is_active=True, employee__active=True)
        .filter(Q(employee__branch__in=branches) | Q(employee__branches__in=branches))
        .select_related("employee")
        .distinct()
        .order_by("employee__name", "id")
    )


# -- reception ----------------------------------------------------------------------------------------------------------


class ReceptionForm(forms.Form):
    """Opening an order (接待) for a customer picked by the quick search (`customer` is a hidden id)."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), widget=forms.HiddenInput)
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=None, empty_label=None)
    asset = forms.ModelChoiceField(
        label=_("Vehicle / asset"), queryset=Asset.objects.none(), required=False, empty_label=_("None")
    )
    type = forms.ChoiceField(
        label=_("Type"),
        choices=OrderType.choices,
        initial=OrderType.REPAIR,
        widget=forms.Select({"data-kind-switch": ""}),
    )
    mileage = forms.IntegerField(label=_("Mileage (km)"), min_value=0, max_value=9_999_999, required=False)
    fuel = forms.ChoiceField(label=_("Fuel"), choices=[("", "—"), *FuelLevel.choices], required=False)
    concerns = forms.CharField(
        label=_("Customer's concerns"),
        required=False,
        help_text=_("In the customer's own words."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    promised_at = forms.DateTimeField(label=_("Promised time"), required=False, widget=DateTimeLocalInput())
    insurer = forms.CharField(label=_("Insurer"), max_length=100, required=False)
    assignee = PersonChoiceField(
        label=_("Assignee"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Who makes the visit."),
    )
    response_due_at = forms.DateTimeField(label=_("Response deadline"), required=False, widget=DateTimeLocalInput())
    team = TeamChoiceField(
        label=_("Installation team"),
        queryset=Team.objects.none(),
        required=False,
        help_text=_("The team that installs on site."),
    )
    scheduled_at = forms.DateTimeField(label=_("Scheduled for"), required=False, widget=DateTimeLocalInput())
    valuables_acknowledged = forms.BooleanField(
        label=_("The customer was reminded to take their valuables, and acknowledged it"), required=False
    )

    def __init__(self, *args, user=None, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        branches = booking_branches(user)
        self.fields["branch"].queryset = branches
        self.fields["customer"].queryset = Customer.objects.for_user(user)
        assets = Asset.objects.filter(customer=customer, active=True) if customer else Asset.objects.none()
        self.fields["asset"].queryset = assets.order_by("id")
        self.fields["assignee"].queryset = assignees_for(user)
        self.fields["team"].queryset = installation_teams_for(user)
        self.damage_fields = []
        for index, area in enumerate(WALKAROUND_AREAS):
            name = f"damage_{index}"
            self.fields[name] = forms.CharField(
                label=area,
                max_length=100,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": _("No damage"), "autocomplete": "off"}),
            )
            self.damage_fields.append(name)
        if customer is not None:
            self.initial.setdefault("customer", customer.pk)
            if "branch" not in self.initial and branches.filter(pk=customer.branch_id).exists():
                self.initial["branch"] = customer.branch_id
        if "branch" not in self.initial:
            own = getattr(getattr(user, "employee", None), "branch_id", None)
            if own and branches.filter(pk=own).exists():
                self.initial["branch"] = own

    @property
    def damage_bound(self):
        return [self[name] for name in self.damage_fields]

    def clean(self):
        data = super().clean()
        asset = data.get("asset")
        visit = data.get("type") in VISIT_TYPES
        if (
            asset is not None
            and asset.kind == AssetKind.VEHICLE
            and not visit
            and not data.get("valuables_acknowledged")
        ):
            self.add_error(
                "valuables_acknowledged",
                _("Remind the customer to take their valuables out of the vehicle, and tick this."),
            )
        return data

    def walkaround(self) -> dict:
        """`{"items": [{"area", "damage"}]}`: the areas where damage was noted."""
        items = []
        for index, area in enumerate(WALKAROUND_AREAS):
            damage = (self.cleaned_data.get(f"damage_{index}") or "").strip()
            if damage:
                items.append({"area": str(area), "damage": damage})
        return {"items": items}

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        visit = data["type"] in VISIT_TYPES
        installation = data["type"] == OrderType.INSTALLATION
        return {
            "branch": data["branch"],
            "customer": data["customer"],
            "asset": data["asset"],
            "type": data["type"],
            "mileage": data["mileage"],
            "fuel": data["fuel"],
            "concerns": data["concerns"],
            "walkaround": self.walkaround(),
            "valuables_acknowledged": data["valuables_acknowledged"],
            "promised_at": data["promised_at"],
            "insurer": data["insurer"] if data["type"] == OrderType.ACCIDENT else "",
            "assignee": data["assignee"] if visit else None,
            "response_due_at": data["response_due_at"] if visit else None,
            "team": data["team"] if installation else None,
            "scheduled_at": data["scheduled_at"] if installation else None,
        }


# -- lines --------------------------------------------------------------------------------------------------------------


def _payer_field(initial):
    return forms.ChoiceField(label=_("Payer"), choices=Payer.choices, initial=initial)


class LabourLineForm(forms.Form):
    """A labour line: an operation, its hours and hourly rate (the branch's rate when left empty)."""

    name = forms.CharField(label=_("Operation"), max_length=200)
    hours = forms.DecimalField(
        label=_("Hours"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        initial=Decimal("1.00"),
        widget=forms.NumberInput(attrs=MONEY_INPUT),
    )
    rate = forms.DecimalField(
        label=_("Hourly rate"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text=_("Empty: the branch's rate."),
        widget=forms.NumberInput(attrs=MONEY_INPUT),
    )
    skill = forms.CharField(label=_("Skill category"), max_length=20, required=False)
    min_level = forms.TypedChoiceField(
        label=_("Minimum level"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        initial=1,
        required=False,
        empty_value=1,
        help_text=_("The lowest skill level (1–5) a technician needs for this job."),
    )
    bay_kind = forms.CharField(
        label=_("Bay needed"), max_length=20, required=False, help_text=_("Empty: no bay needed.")
    )

    def __init__(self, *args, payer=Payer.CUSTOMER, **kwargs):
        kwargs.setdefault("prefix", "labour")
        super().__init__(*args, **kwargs)
        self.fields["payer"] = _payer_field(payer)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": "labour",
            "name": data["name"],
            "hours": data["hours"],
            "rate": data["rate"],
            "skill": data["skill"],
            "min_level": data["min_level"],
            "bay_kind": data["bay_kind"],
            "payer": data["payer"],
        }


class PartLineForm(forms.Form):
    """A part line: the part by code, OEM number or barcode, a quantity, and a price (retail when left empty)."""

    part = PartCodeField()
    quantity = quantity_field(label=_("Quantity"))
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text=_("Empty: the part's retail price (warranty price when the maker pays)."),
        widget=forms.NumberInput(attrs=MONEY_INPUT),
    )

    def __init__(self, *args, payer=Payer.CUSTOMER, **kwargs):
        kwargs.setdefault("prefix", "part")
        super().__init__(*args, **kwargs)
        self.fields["quantity"].initial = Decimal("1")
        self.fields["payer"] = _payer_field(payer)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": "part",
            "part": data["part"],
            "quantity": data["quantity"],
            "unit_price": data["unit_price"],
            "payer": data["payer"],
        }


class LineCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason given"), max_length=200, required=False)


# -- the steps ----------------------------------------------------------------------------------------------------------


class ActionForm(forms.Form):
    """The input of one step; `data_for_service()` is what `order_act` takes, `field_map` where its errors go."""

    field_map: dict = {}

    def __init__(self, *args, action: str, **kwargs):
        kwargs.setdefault("prefix", action)
        super().__init__(*args, **kwargs)
        self.action = action

    def data_for_service(self) -> dict:
        return dict(self.cleaned_data)


class ApproveForm(ActionForm):
    method = forms.ChoiceField(label=_("How the customer consented"), choices=ConsentMethod.choices)
    by = forms.CharField(label=_("Who consented"), max_length=60, help_text=_("The customer, or who spoke for them."))


class DispatchForm(ActionForm):
    """A technician select per job not started yet; only the jobs whose technician changes are sent."""

    def __init__(self, *args, jobs=(), technicians=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((str(t.pk), person_name(t)) for t in technicians)]
        self.jobs = list(jobs)
        self.field_map = {"assignments": NON_FIELD_ERRORS}
        for job in self.jobs:
            name = f"line_{job.pk}"
            self.fields[name] = forms.ChoiceField(label=job.name, choices=choices, required=False)
            if job.technician_id:
                self.initial[name] = str(job.technician_id)

    def data_for_service(self) -> dict:
        assignments = []
        for job in self.jobs:
            chosen = self.cleaned_data.get(f"line_{job.pk}")
            if chosen and chosen != str(job.technician_id or ""):
                assignments.append({"line": job.pk, "technician": int(chosen)})
        for index, assignment in enumerate(assignments):
            for key in ("line", "technician"):
                self.field_map[f"assignments.{index}.{key}"] = f"line_{assignment['line']}"
        return {"assignments": assignments}


class QcPassForm(ActionForm):
    notes = forms.CharField(label=_("Notes"), max_length=200, required=False)


class QcFailForm(ActionForm):
    reason = forms.CharField(label=_("What must be redone"), max_length=200)
    lines = forms.MultipleChoiceField(label=_("Jobs to redo"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, jobs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(str(job.pk), job.name) for job in jobs]
        self.field_map = {f"lines.{index}": "lines" for index in range(len(self.fields["lines"].choices))}

    def data_for_service(self) -> dict:
        return {"reason": self.cleaned_data["reason"], "lines": [int(pk) for pk in self.cleaned_data["lines"]]}


class SettleForm(ActionForm):
    """Up to three payments (method and amount); the first defaults to the customer's whole total."""

    def __init__(self, *args, payable: Decimal = Decimal("0.00"), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for row in range(1, PAYMENT_ROWS + 1):
            self.fields[f"method_{row}"] = forms.ChoiceField(
                label=_("Method"), choices=[("", "—"), *PaymentMethod.choices], required=False
            )
            self.fields[f"amount_{row}"] = forms.DecimalField(
                label=_("Amount"),
                max_digits=14,
                decimal_places=2,
                min_value=Decimal("0.01"),
                required=False,
                widget=forms.NumberInput(attrs=MONEY_INPUT),
            )
            self.rows.append(row)
        self.initial.setdefault("amount_1", payable)
        self.field_map = {"payments": NON_FIELD_ERRORS}

    def payment_rows(self):
        return [(row, self[f"method_{row}"], self[f"amount_{row}"]) for row in self.rows]

    def clean(self):
        data = super().clean()
        for row in self.rows:
            method, amount = data.get(f"method_{row}"), data.get(f"amount_{row}")
            if amount is not None and not method:
                self.add_error(f"method_{row}", _("Choose how this amount was paid."))
            elif method and amount is None and f"amount_{row}" not in self.errors:
                self.add_error(f"amount_{row}", _("Enter the amount paid this way."))
        if not any(data.get(f"amount_{row}") is not None for row in self.rows) and not self.errors:
            raise forms.ValidationError(_("Enter at least one payment."))
        return data

    def data_for_service(self) -> dict:
        payments = []
        for row in self.rows:
            amount = self.cleaned_data.get(f"amount_{row}")
            if amount is None:
                continue
            index = len(payments)
            self.field_map[f"payments.{index}.method"] = f"method_{row}"
            self.field_map[f"payments.{index}.amount"] = f"amount_{row}"
            payments.append({"method": self.cleaned_data[f"method_{row}"], "amount": amount})
        return {"payments": payments}


class AcceptanceForm(forms.Form):
    """The customer's acceptance of an installation (验收): a box per self-check item (ticked: passed), who signed
    and how. `data_for_service()` is what `installation.order_acceptance_record` takes."""

    signed_by = forms.CharField(
        label=_("Signed by"), max_length=60, help_text=_("The customer, or who accepted the work for them.")
    )
    method = forms.ChoiceField(label=_("How the customer signed"), choices=ConsentMethod.choices)
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "acceptance")
        super().__init__(*args, **kwargs)
        self.check_fields = []
        for code, label in INSTALLATION_CHECKS:
            name = f"check_{code}"
            self.fields[name] = forms.BooleanField(label=label, required=False)
            self.check_fields.append(name)
        self.field_map = {"checks": NON_FIELD_ERRORS}
        self.order_fields([*self.check_fields, "signed_by", "method", "notes"])

    @property
    def checks_bound(self):
        return [self[name] for name in self.check_fields]

    def data_for_service(self) -> dict:
        data = self.cleaned_data
        return {
            "checks": {code: bool(data.get(f"check_{code}")) for code, _label in INSTALLATION_CHECKS},
            "signed_by": data["signed_by"],
            "method": data["method"],
            "notes": data["notes"],
        }


class CompleteForm(ActionForm):
    report = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 4}))


class CancelForm(ActionForm):
    reason = forms.CharField(label=_("Cancellation reason"), max_length=200)


ACTION_FORMS = {
    "approve": ApproveForm,
    "dispatch": DispatchForm,
    "qc_pass": QcPassForm,
    "qc_fail": QcFailForm,
    "settle": SettleForm,
    "complete": CompleteForm,
    "cancel": CancelForm,
}


class ComebackForm(forms.Form):
    """An earlier order of the same asset, delivered within the comeback window, that this order comes back for."""

    first = forms.ChoiceField(label=_("Comeback of"))

    def __init__(self, *args, candidates=(), **kwargs):
        kwargs.setdefault("prefix", "comeback")
        super().__init__(*args, **kwargs)
        self.candidates = {str(order.pk): order for order in candidates}
        self.fields["first"].choices = [
            (str(order.pk), f"{order.number} · {order.get_type_display()}") for order in candidates
        ]

    def first_order(self):
        return self.candidates[self.cleaned_data["first"]]
