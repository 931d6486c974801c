"""Form helpers shared by every app's pages."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q


def apply_form_errors(form: forms.Form, exc: ValidationError, *, field_map: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError beside the form's fields (or above the form when no field matches)."""
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        target = field_map.get(name, name)
        if target == NON_FIELD_ERRORS or target not in form.fields:
            for error in errors:
                form.add_error(None, error)
        else:
            for error in errors:
                form.add_error(target, error)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ServiceModelForm(forms.ModelForm):
    """A ModelForm that only parses input: the service builds, validates and saves the object.

    Django's ModelForm copies the input onto the instance and validates it in `_post_clean`; here the
    instance stays untouched (so the service can record what changed) and the service's
    ValidationError comes back beside the fields through `apply_form_errors`. Choice fields of related
    objects are narrowed to what the user may see (`restrict_to`).
    """

    #: field name → callable(user) returning the queryset the user may choose from
    restrict_to: dict = {}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, queryset_for in self.restrict_to.items():
            if name in self.fields:
                self.fields[name].queryset = self._with_current_value(name, queryset_for(user))

    def _with_current_value(self, name: str, queryset):
        """Keep the object's current choice selectable even when the narrowed list leaves it out
        (a deactivated position, a region above what the user sees); otherwise saving the form would
        silently change it."""
        field = self.instance._meta.get_field(name) if self.instance.pk else None
        current = getattr(self.instance, field.attname, None) if field is not None and field.many_to_one else None
        if current is None:
            return queryset
        return queryset.model.objects.filter(Q(pk__in=queryset.values("pk")) | Q(pk=current))

    def _post_clean(self):
        pass

    def changed_data_dict(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}
