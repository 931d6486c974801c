"""Walk-around photos (环车检查照片): the damage found at reception, or the finished work, kept on the order.

Photos are customer data and evidence in a dispute about damage, so:
- an upload must really be a JPEG, PNG or WebP picture (Pillow reads it all), of at most 8 MB and 50 megapixels;
  the file is stored under a random name with the extension of what Pillow found, never the name sent;
- they are never served as public files: `views.photos.order_photo` streams them after the access check;
- once the order has left reception they can't be removed (what the customer was shown stays on file).
"""

import uuid
import warnings

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image

from aftersales.core.access import require_perm
from aftersales.core.errors import Conflict
from aftersales.service.choices import OrderStatus
from aftersales.service.models import OrderPhoto, ServiceOrder
from aftersales.service.services.common import order_event, order_locked, status_label

CHANGE = "service.change_serviceorder"
#: Pillow's name of each format taken → the stored file's extension.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
#: The stored file's extension → the content type it is streamed with.
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
MAX_BYTES = 8 * 1024 * 1024
#: A phone camera's photo is 12–50 megapixels; a bigger picture in a small file is a decompression bomb.
MAX_PIXELS = 50_000_000
MAX_PHOTOS = 30
#: Orders that take no more photos.
CLOSED = (OrderStatus.CANCELLED, OrderStatus.DELIVERED)
AREA_LENGTH = OrderPhoto._meta.get_field("area").max_length
CAPTION_LENGTH = OrderPhoto._meta.get_field("caption").max_length


def _not_an_image() -> ValidationError:
    return ValidationError({"image": _("The file is not a JPEG, PNG or WebP picture.")})


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        {"image": _("The picture has more than %(max)s megapixels.") % {"max": MAX_PIXELS // 1_000_000}}
    )


def image_checked(image) -> str:
    """The extension to store `image` (an uploaded file) under, or a ValidationError on `image` saying why not."""
    if image is None or not getattr(image, "size", 0):
        raise ValidationError({"image": _("Choose a photo to upload.")})
    if image.size > MAX_BYTES:
        raise ValidationError(
            {
                "image": _("The photo is %(size).1f MB; at most %(max)s MB is taken.")
                % {"size": image.size / 1024 / 1024, "max": MAX_BYTES // 1024 // 1024}
            }
        )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; any bomb is refused.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.seek(0)
            with Image.open(image) as picture:
                kind = picture.format
                width, height = picture.size
                picture.verify()  # the file's structure (PNG chunks and checksums …)
            if kind not in FORMATS:
                raise _not_an_image()
            if width * height > MAX_PIXELS:
                raise _too_many_pixels()
            # verify() does not decode JPEG data: decode it all (JPEG at 1/8 scale, which is cheap) so a truncated
            # or corrupt file is refused here and not when someone opens the photo.
            image.seek(0)
            with Image.open(image) as picture:
                picture.draft("RGB", (max(width // 8, 1), max(height // 8, 1)))
                picture.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except Exception as exc:  # Pillow raises many kinds of errors on a broken or hostile file: all mean "no"
        raise _not_an_image() from exc
    finally:
        image.seek(0)
    return FORMATS[kind]


def _text(value, field: str, length: int) -> str:
    value = (value or "").strip()
    if len(value) > length:
        raise ValidationError(
            {
                field: _("Use at most %(length)s characters (it has %(count)s).")
                % {"length": length, "count": len(value)}
            }
        )
    return value


@transaction.atomic
def order_photo_add(*, actor, order: ServiceOrder, image, area: str = "", caption: str = "") -> OrderPhoto:
    """Keep a photo on the order: `area` names the part of the walk-around it shows, `caption` what it shows.

    Refused (409) on a cancelled or delivered order and once the order has `MAX_PHOTOS`; invalid files are a
    ValidationError on `image`."""
    require_perm(actor, CHANGE)
    order = order_locked(order, actor)  # the lock also keeps two uploads from passing the limit together
    if order.status in CLOSED:
        raise Conflict(
            _("The order is %(status)s: it takes no more photos.") % {"status": status_label(order.status)},
            code="invalid_status",
        )
    if OrderPhoto.objects.filter(order=order).count() >= MAX_PHOTOS:
        raise Conflict(
            _("The order already has %(max)s photos, the most it can keep.") % {"max": MAX_PHOTOS},
            code="too_many_photos",
        )
    area = _text(area, "area", AREA_LENGTH)
    caption = _text(caption, "caption", CAPTION_LENGTH)
    extension = image_checked(image)
    photo = OrderPhoto(order=order, area=area, caption=caption, uploaded_by=actor)
    photo.image.save(f"{uuid.uuid4().hex}.{extension}", image, save=False)
    stored = photo.image.name
    try:
        photo.save()
        order_event(
            order=order,
            actor=actor,
            action="photo_added",
            payload={"photo": photo.pk, "area": area, "caption": caption},
        )
    except Exception:
        # the row is rolled back: the file must not stay behind with nothing pointing at it
        photo.image.storage.delete(stored)
        raise
    return photo


@transaction.atomic
def order_photo_remove(*, actor, photo: OrderPhoto, reason: str = "") -> None:
    """Take a photo off the order: only while the order is in reception (a photo taken by mistake). Afterwards the
    photos are evidence of the asset's state when it came in, and removing one is refused (409)."""
    require_perm(actor, CHANGE)
    order = order_locked(photo.order, actor)
    if order.status != OrderStatus.RECEPTION:
        raise Conflict(
            _("The order is %(status)s: its photos are on record and can't be removed any more.")
            % {"status": status_label(order.status)},
            code="invalid_status",
        )
    photo = OrderPhoto.objects.select_for_update().get(pk=photo.pk, order=order)
    stored, storage = photo.image.name, photo.image.storage
    order_event(
        order=order,
        actor=actor,
        action="photo_removed",
        payload={
            "photo": photo.pk,
            "area": photo.area,
            "caption": photo.caption,
            "reason": _text(reason, "reason", 200),
        },
    )
    photo.delete()
    # The file goes only once the removal is committed: a rollback keeps both the row and its picture.
    transaction.on_commit(lambda: storage.delete(stored))
