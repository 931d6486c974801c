"""Helpers that keep page views thin: role-gated views, form submission through a service, htmx partials."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pagination import paginate


def perm_required(perm: str):
    """Signed-in users holding `perm` only: others get 403, anonymous users the sign-in page."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def submit(
    request,
    form,
    save: Callable[[dict], object],
    *,
    success: str,
    field_map: dict | None = None,
    denied_field: str | None = None,
):
    """Validate the form and run the service; return its result, or None with the errors on the form.

    A `PermissionDenied` from the service is shown beside `denied_field` when one is named (e.g. a role
    the user may not grant); otherwise it propagates as a 403.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save(form.cleaned_data)
    except ValidationError as exc:
        apply_form_errors(form, exc, field_map=field_map)
        return None
    except Conflict as exc:
        form.add_error(None, str(exc.message))
        return None
    except PermissionDenied as exc:
        if denied_field is None:
            raise
        form.add_error(denied_field, str(exc))
        return None
    messages.success(request, success)
    return result


def form_page(
    request,
    form,
    save: Callable[[dict], object],
    *,
    success: str,
    title: str,
    obj=None,
    cancel: str | None = None,
    template: str = "core/form.html",
    **submit_options,
):
    """A create or edit page: a valid POST runs the service and goes to what it saved; else the form again."""
    saved = submit(request, form, save, success=success, **submit_options)
    if saved:
        return redirect(saved)
    return render(request, template, {"form": form, "title": title, "object": obj, "cancel": cancel})


def pick(data: dict, names) -> dict:
    """The named entries of a form's cleaned data, as keyword arguments for a service."""
    return {name: data[name] for name in names}


def render_list(request, template: str, partial: str, queryset, context: dict, *, after_page=None):
    """A list page: one page of `queryset` (capped count), the whole page or, for htmx, just the results."""
    page = paginate(queryset, page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    if after_page:
        after_page(page.items)
    context = {**context, "page": page, "results_template": partial}
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        return render(request, partial, context)
    return render(request, template, context)
