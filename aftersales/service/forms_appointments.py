"""Forms of the appointment pages. They parse input; `services.appointments` checks and saves."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import DateInput
from aftersales.customers.models import Asset, Customer
from aftersales.org.choices import UMBRELLA_KINDS
from aftersales.org.models import Branch
from aftersales.service.services.appointments import APPOINTMENT_TYPES

#: Roles whose people receive customers: the advisor an appointment is booked with is one of them.
ADVISOR_ROLES = ("service_advisor", "service_supervisor", "service_manager")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs={"step": 900, **(attrs or {})}, format="%H:%M")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def booking_branches(user):
    """The branches the user may book into: active ones they see, not regions or the head office."""
    return Branch.objects.for_user(user).filter(active=True).exclude(kind__in=UMBRELLA_KINDS).order_by("code")


def advisors_for(user):
    """Active advisors (and their supervisors and managers) of the branches the user sees."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            employee__active=True,
            employee__branch__in=Branch.objects.for_user(user).values("pk"),
            groups__name__in=ADVISOR_ROLES,
        )
        .select_related("employee")
        .distinct()
        .order_by("employee__name", "id")
    )


class AdvisorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        employee = getattr(obj, "employee", None)
        return employee.name if employee else obj.get_username()


class _TimeForm(forms.Form):
    """A day and a time of day, combined into `starts_at` (local time)."""

    date = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Time"), widget=TimeInput())

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("time") is not None:
            data["starts_at"] = timezone.make_aware(datetime.datetime.combine(data["date"], data["time"]))
        return data


class AppointmentForm(_TimeForm):
    """A booking for a customer already picked (`customer` comes from the quick search, as a hidden id)."""

    field_order = ["branch", "customer", "asset", "date", "time", "type", "request", "advisor", "notes"]

    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none())
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), widget=forms.HiddenInput)
    asset = forms.ModelChoiceField(
        label=_("Vehicle / asset"), queryset=Asset.objects.none(), required=False, empty_label=_("None")
    )
    type = forms.ChoiceField(label=_("Type"), choices=[(t.value, t.label) for t in APPOINTMENT_TYPES])
    request = forms.CharField(
        label=_("Job asked for"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    advisor = AdvisorChoiceField(
        label=_("Service advisor"), queryset=get_user_model().objects.none(), required=False, empty_label=_("Anyone")
    )
    notes = forms.CharField(label=_("Notes"), max_length=200, required=False)

    def __init__(self, *args, user=None, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        branches = booking_branches(user)
        self.fields["branch"].queryset = branches
        self.fields["customer"].queryset = Customer.objects.for_user(user)
        assets = Asset.objects.filter(customer=customer, active=True) if customer else Asset.objects.none()
        self.fields["asset"].queryset = assets.order_by("id")
        self.fields["advisor"].queryset = advisors_for(user)
        if user is not None and "advisor" not in self.initial and user.groups.filter(name="service_advisor").exists():
            self.initial["advisor"] = user.pk  # an advisor books for themselves unless they choose a colleague
        if customer is not None:
            self.initial.setdefault("customer", customer.pk)
            only = list(assets.values_list("pk", flat=True)[:2])
            if len(only) == 1:
                self.initial.setdefault("asset", only[0])
        if "branch" not in self.initial:
            own = getattr(getattr(user, "employee", None), "branch_id", None)
            if own and branches.filter(pk=own).exists():
                self.initial["branch"] = own


class RescheduleForm(_TimeForm):
    pass


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ArriveForm(forms.Form):
    """What reception knows when the customer comes in; the rest is filled in on the order."""

    mileage = forms.IntegerField(label=_("Mileage (km)"), min_value=0, required=False)
    promised_at = forms.DateTimeField(label=_("Promised time"), required=False, widget=DateTimeLocalInput())
    concerns = forms.CharField(label=_("Customer's concerns"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DayForm(forms.Form):
    """The day view's filters: which day, which branch."""

    date = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none(), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = booking_branches(user)
