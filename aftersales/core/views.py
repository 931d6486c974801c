"""Pages of the shell: health check, home, sign-in with throttling, password change."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from aftersales.core.forms import apply_form_errors


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the app and its database answer: one trivial query. The benchmarks' baseline."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok"})


@login_required
def home(request: HttpRequest):
    from aftersales.core.dashboard import dashboard_for

    return render(request, "core/home.html", {"dashboard": dashboard_for(request.user)})


class SigninForm(AuthenticationForm):
    """Django's sign-in form, refusing further tries after repeated failures (per user name and address)."""

    def clean(self):
        from aftersales.org.services import signin_failed, signin_succeeded, signin_throttled

        username = self.cleaned_data.get("username") or ""
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        if username and signin_throttled(username=username, address=address):
            raise ValidationError(_("Too many failed sign-ins. Wait a few minutes and try again."), code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            if username:
                signin_failed(username=username, address=address)
            raise
        signin_succeeded(username=username, address=address)
        return cleaned


class SigninView(auth_views.LoginView):
    form_class = SigninForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=gettext_lazy("Current password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label=gettext_lazy("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("At least 8 characters, not only digits, not a common password."),
    )
    new_password_again = forms.CharField(
        label=gettext_lazy("New password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password") and cleaned.get("new_password") != cleaned.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return cleaned


@login_required
def password_change(request: HttpRequest):
    from django.contrib.auth import update_session_auth_hash

    from aftersales.org.services import password_change as change

    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as exc:
            apply_form_errors(form, exc, field_map={"password": "new_password"})
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("home")
    return render(request, "registration/password_change.html", {"form": form})
