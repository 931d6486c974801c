"""Forms of the workshop's setup pages. They parse; `workshop.services.setup` checks and saves, and its errors come
back beside these fields (a skill's error beside that skill's row)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import DateInput
from aftersales.workshop.choices import BAY_KINDS, LEVELS, NAME_MAX, SKILLS

#: 0 means "doesn't have this skill"; 1 (apprentice) … 5 (master).
LEVEL_CHOICES = [(0, "—")] + [(level, str(level)) for level in LEVELS]
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


def _level_field(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=LEVEL_CHOICES, coerce=int, initial=0, required=False, empty_value=0
    )


def skill_categories(current: dict[str, int]) -> list[str]:
    """The rows of the skills editor: the offered categories, then any other the technician has (by name)."""
    return list(SKILLS) + sorted(name for name in current if name not in SKILLS)


class SkillsForm(forms.Form):
    """One level per category (`level_<row>`), 0 = none, and one free row for a category not in the list."""

    other_name = forms.CharField(label=_("Other category"), max_length=NAME_MAX, required=False)
    other_level = _level_field(_("Its level"))

    def __init__(self, *args, current: dict[str, int], **kwargs):
        self.categories = skill_categories(current)
        initial = {f"level_{row}": current.get(name, 0) for row, name in enumerate(self.categories)}
        super().__init__(*args, initial=initial, **kwargs)
        for row, name in enumerate(self.categories):
            self.fields[f"level_{row}"] = _level_field(SKILLS.get(name, name))
        self.order_fields([f"level_{row}" for row in range(len(self.categories))])

    def rows(self):
        return [self[f"level_{row}"] for row in range(len(self.categories))]

    def clean(self):
        data = super().clean()
        name, level = (data.get("other_name") or "").strip(), data.get("other_level") or 0
        if name and not level:
            self.add_error("other_level", _("Choose a level for this category."))
        elif level and not name:
            self.add_error("other_name", _("Name the skill category."))
        elif name in self.categories and data.get(f"level_{self.categories.index(name)}"):
            self.add_error("other_name", _("This category is already in the list above."))
        return data

    def skills(self) -> dict[str, int]:
        """{category: level} of the levels above zero, as `technician_skills_set` takes them."""
        data = self.cleaned_data
        chosen = {name: data.get(f"level_{row}") or 0 for row, name in enumerate(self.categories)}
        if (data.get("other_name") or "").strip():
            chosen[data["other_name"].strip()] = data.get("other_level") or 0
        return {name: level for name, level in chosen.items() if level}

    def field_for(self, key: str) -> str | None:
        """The field a service error key (`skills.<category>`) belongs beside."""
        name = key.removeprefix("skills.")
        if name in self.categories:
            return f"level_{self.categories.index(name)}"
        return "other_name" if key.startswith("skills.") else None


class HoursForm(forms.Form):
    """A shift: its start and end and an optional break (times of day)."""

    start = forms.TimeField(label=_("Shift starts"), widget=TimeInput())
    end = forms.TimeField(label=_("Shift ends"), widget=TimeInput())
    break_start = forms.TimeField(label=_("Break starts"), required=False, widget=TimeInput())
    break_end = forms.TimeField(label=_("Break ends"), required=False, widget=TimeInput())


class ShiftForm(HoursForm):
    weekly_off = forms.TypedMultipleChoiceField(
        label=_("Weekly days off"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
    )


class DayOffForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    reason = forms.CharField(label=_("Reason for the day off"), max_length=60, required=False)

    def clean_date(self) -> datetime.date:
        date = self.cleaned_data["date"]
        if date < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later date."))
        return date


class BayForm(forms.Form):
    """A bay: its code, name, kinds of work (the offered ones as boxes, others as a comma list) and, when editing,
    whether it is in use."""

    code = forms.CharField(label=_("Code"), max_length=12, help_text=_("Short, e.g. A1."))
    name = forms.CharField(label=_("Name"), max_length=40)
    kinds = forms.MultipleChoiceField(
        label=_("Kinds of work"),
        choices=list(BAY_KINDS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
    )
    other_kinds = forms.CharField(
        label=_("Other kinds"), max_length=200, required=False, help_text=_("Separate them with commas.")
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["active"]  # a new bay is in use

    @staticmethod
    def initial_for(bay) -> dict:
        kinds = list(bay.kinds or [])
        return {
            "code": bay.code,
            "name": bay.name,
            "kinds": [k for k in kinds if k in BAY_KINDS],
            "other_kinds": ", ".join(k for k in kinds if k not in BAY_KINDS),
            "active": bay.active,
        }

    def all_kinds(self) -> list[str]:
        """The ticked kinds, then the typed ones (the service trims them and drops repeats)."""
        typed = (self.cleaned_data.get("other_kinds") or "").replace("，", ",").split(",")
        return list(self.cleaned_data.get("kinds") or []) + [k.strip() for k in typed if k.strip()]


class PeriodForm(forms.Form):
    """A period of whole days; without dates, this month up to today."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if "date_from" in self.errors or "date_to" in self.errors:
            return data
        today = timezone.localdate()
        date_from = data.get("date_from") or (data.get("date_to") or today).replace(day=1)
        date_to = data.get("date_to") or max(today, date_from)
        if date_to < date_from:
            self.add_error("date_to", _("The end date is before the start date."))
        data["date_from"], data["date_to"] = date_from, date_to
        return data
