"""Pages: walk-around photos — upload from the order page (a phone opens its camera), remove one taken by mistake
while the order is in reception, and the picture itself.

Photos are customer data: there is no public URL for them. `order_photo` streams the file only after the access
funnel (another branch's photo answers 404 like a missing one) and the permission to view orders (403). The
order page and the printed job card show the same streamed picture, scaled down by CSS.

A refused upload (not a picture, too big, a closed order) comes back as an error toast naming the field, and the
user stays on the order's photos.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.service.forms import WALKAROUND_AREAS
from aftersales.service.models import OrderPhoto, ServiceOrder
from aftersales.service.services import photos as photo_services

VIEW = "service.view_serviceorder"
CHANGE = "service.change_serviceorder"
#: How long a browser may keep a photo (only the signed-in user's own browser: `private`).
CACHE_SECONDS = 24 * 3600


class PhotoForm(forms.Form):
    """A photo, the walk-around area it shows (those of the reception form) and a caption."""

    image = forms.FileField(label=gettext_lazy("Photo"))
    area = forms.ChoiceField(label=gettext_lazy("Area"), required=False)
    caption = forms.CharField(label=gettext_lazy("Caption"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the names as the reception form stores them: in the language of the request
        self.fields["area"].choices = [("", "—"), *((str(area), str(area)) for area in WALKAROUND_AREAS)]


def _order(request, pk) -> ServiceOrder:
    """The order: 404 if the user may not see it, then 403 without the permission to view orders."""
    order = get_for_user_or_404(ServiceOrder.objects.select_related("branch"), request.user, pk=pk)
    require_perm(request.user, VIEW)
    return order


def _back(order) -> str:
    return f"{order.get_absolute_url()}#photos"


def _error_toasts(request, form) -> None:
    """Each error of the form as a toast naming its field (the upload form is on the order page, not here)."""
    for name, errors in form.errors.items():
        for error in errors:
            if name in form.fields:
                text = _("%(field)s: %(message)s") % {"field": form.fields[name].label, "message": error}
            else:
                text = error
            messages.error(request, text)


@login_required
def order_photo(request, pk, photo_pk):
    """The picture itself, streamed to a user who may see the order (never a public file)."""
    visible = ServiceOrder.objects.for_user(request.user)
    try:
        photo = OrderPhoto.objects.select_related("order").get(pk=photo_pk, order_id=pk, order__in=visible)
    except (OrderPhoto.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    require_perm(request.user, VIEW)
    extension = photo.image.name.rsplit(".", 1)[-1].lower()
    content_type = photo_services.CONTENT_TYPES.get(extension)
    if content_type is None:  # only what the upload checked and named is ever streamed
        raise Http404
    try:
        photo.image.open("rb")
    except FileNotFoundError as exc:  # the row outlived its file (a shared media volume not mounted here?)
        raise Http404 from exc
    response = FileResponse(
        photo.image.file, content_type=content_type, filename=f"{photo.order.number}-{photo.pk}.{extension}"
    )
    response["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
@login_required
def order_photo_add(request, pk):
    order = _order(request, pk)
    require_perm(request.user, CHANGE)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        _error_toasts(request, form)
        return redirect(_back(order))
    data = form.cleaned_data
    try:
        photo_services.order_photo_add(
            actor=request.user, order=order, image=data["image"], area=data["area"], caption=data["caption"]
        )
    except ValidationError as exc:
        apply_form_errors(form, exc)
        _error_toasts(request, form)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Photo added."))
    return redirect(_back(order))


@require_POST
@login_required
def order_photo_remove(request, pk, photo_pk):
    order = _order(request, pk)
    require_perm(request.user, CHANGE)
    try:
        photo = OrderPhoto.objects.get(pk=photo_pk, order=order)
    except OrderPhoto.DoesNotExist as exc:
        raise Http404 from exc
    try:
        photo_services.order_photo_remove(actor=request.user, photo=photo, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Photo removed."))
    return redirect(_back(order))


urlpatterns = [
    path("orders/<int:pk>/photos/new/", order_photo_add, name="order_photo_add"),
    path("orders/<int:pk>/photos/<int:photo_pk>/", order_photo, name="order_photo"),
    path("orders/<int:pk>/photos/<int:photo_pk>/remove/", order_photo_remove, name="order_photo_remove"),
]
