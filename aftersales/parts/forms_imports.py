"""The upload form of the parts import. It only parses; `services.imports` reads and checks the sheet."""

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.org.models import Branch


class PartImportUploadForm(forms.Form):
    branch = forms.ModelChoiceField(
        label=_("branch"),
        queryset=Branch.objects.none(),
        help_text=_("Opening stock of rows that name no warehouse goes into this branch's default warehouse."),
    )
    file = forms.FileField(
        label=_("xlsx file"),
        help_text=_("At most 10 MB; use the template's columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = Branch.objects.for_user(user).filter(active=True)
        employee = getattr(user, "employee", None) if getattr(user, "is_authenticated", False) else None
        branches = list(self.fields["branch"].queryset[:2])
        if len(branches) == 1:
            self.initial.setdefault("branch", branches[0].pk)
        elif employee is not None:
            self.initial.setdefault("branch", employee.branch_id)
