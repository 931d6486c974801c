"""Walk-around photos: uploaded from the order page (a phone opens its camera) or through the service, refused when
they are not really a JPEG, PNG or WebP picture or are too big, streamed only to those who may see the order (never
a public file), removable only while the order is in reception, and shown on the order page and the job card
without the page's query count growing with them."""

import html as html_lib
import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from PIL import Image

from aftersales.core.errors import Conflict
from aftersales.core.testing import make_person
from aftersales.service.choices import OrderStatus
from aftersales.service.forms import WALKAROUND_AREAS
from aftersales.service.models import OrderEvent, OrderPhoto
from aftersales.service.services import orders as order_services
from aftersales.service.services.photos import MAX_BYTES, MAX_PHOTOS, order_photo_add, order_photo_remove

pytestmark = pytest.mark.usefixtures("english")
S = OrderStatus
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded files go to a fresh folder per test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def picture_bytes(fmt="JPEG", size=(40, 30), mode="RGB", colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, fmt)
    return buffer.getvalue()


def noisy_bytes(fmt="JPEG", size=(400, 300)) -> bytes:
    """A picture of noise: it does not compress away, so a cut copy still has a whole header."""
    buffer = io.BytesIO()
    Image.effect_noise(size, 50).convert("RGB").save(buffer, fmt)
    return buffer.getvalue()


def upload(content: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def picture(fmt="JPEG", name=None, **kwargs) -> SimpleUploadedFile:
    return upload(picture_bytes(fmt, **kwargs), name or f"photo.{fmt.lower()}", CONTENT_TYPES[fmt])


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def stored_files(media) -> list:
    return sorted(path for path in media.rglob("*") if path.is_file()) if media.exists() else []


def photo_url(photo) -> str:
    return reverse("service:order_photo", args=[photo.order_id, photo.pk])


def add_url(order) -> str:
    return reverse("service:order_photo_add", args=[order.pk])


def detail(order) -> str:
    return reverse("service:order_detail", args=[order.pk])


# -- upload ------------------------------------------------------------------------------------------------------------


def test_an_advisor_uploads_a_photo_from_the_order_page_and_sees_its_thumbnail(pages, shop, media):
    # given an order just opened at reception
    order = shop.open()
    client = pages(shop.advisor)

    # when the advisor takes a photo of the front bumper on the order page
    response = client.post(add_url(order), {"image": picture(), "area": "Front bumper", "caption": "左侧划痕 5cm"})

    # then the photo is kept on the order, under a name of ours, with the event in the timeline
    assert response.status_code == 302 and response["Location"].endswith(f"{detail(order)}#photos")
    photo = OrderPhoto.objects.get(order=order)
    assert (photo.area, photo.caption, photo.uploaded_by) == ("Front bumper", "左侧划痕 5cm", shop.advisor)
    assert re.fullmatch(rf"orders/BJ01/{order.number}/[0-9a-f]{{32}}\.jpg", photo.image.name)
    assert stored_files(media) == [media / photo.image.name]
    event = OrderEvent.objects.get(order=order, action="photo_added")
    assert event.actor == shop.advisor and event.payload == {
        "photo": photo.pk,
        "area": "Front bumper",
        "caption": "左侧划痕 5cm",
    }
    # and the order page shows it as a thumbnail through the streaming URL, never a /media/ address
    page = text(client.get(detail(order)))
    assert "Photo added." in page
    assert f'<img src="{photo_url(photo)}"' in page and "左侧划痕 5cm" in page
    assert "/media/" not in page


def test_the_upload_form_opens_the_phone_camera_and_offers_the_walkaround_areas_of_reception(pages, shop):
    order = shop.open()
    page = text(pages(shop.advisor).get(detail(order)))
    form = re.search(r'<form[^>]*action="' + re.escape(add_url(order)) + r'".*?</form>', page, re.S).group(0)
    assert 'enctype="multipart/form-data"' in form
    assert re.search(r'<input type="file"[^>]*name="image"[^>]*accept="image/\*"[^>]*capture="environment"', form)
    areas = re.findall(r"<option>([^<]*)</option>", re.search(r'<select id="photo-area".*?</select>', form, re.S)[0])
    assert areas == [str(area) for area in WALKAROUND_AREAS]


def test_the_service_keeps_png_and_webp_pictures_with_their_own_extension(shop):
    order = shop.open()
    png = order_photo_add(actor=shop.advisor, order=order, image=picture("PNG", name="x.jpg"), area=" Roof ")
    webp = order_photo_add(actor=shop.advisor, order=order, image=picture("WEBP"), caption="车顶凹陷")
    # the stored extension follows what the file is, not what it was called
    assert png.image.name.endswith(".png") and webp.image.name.endswith(".webp")
    assert png.area == "Roof" and webp.caption == "车顶凹陷"
    assert OrderEvent.objects.filter(order=order, action="photo_added").count() == 2


def test_a_file_that_is_not_a_picture_is_refused_on_the_page_with_a_message_naming_the_field(pages, shop, media):
    order = shop.open()
    client = pages(shop.advisor)

    response = client.post(
        add_url(order), {"image": upload(b"%PDF-1.4 not a photo", "damage.jpg"), "area": "Roof"}, follow=True
    )

    assert "Photo: The file is not a JPEG, PNG or WebP picture." in text(response)
    assert not OrderPhoto.objects.filter(order=order).exists() and stored_files(media) == []


def test_a_file_over_8_mb_is_refused_on_the_page_with_a_message_naming_the_field(pages, shop, media):
    order = shop.open()
    # a real JPEG, padded past the limit (readers ignore bytes after the picture)
    content = picture_bytes()
    content += b"\0" * (MAX_BYTES + 1 - len(content))

    response = pages(shop.advisor).post(add_url(order), {"image": upload(content)}, follow=True)

    assert "Photo: The photo is 8.0 MB; at most 8 MB is taken." in text(response)
    assert not OrderPhoto.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(
    "content, why",
    [
        (picture_bytes("GIF", mode="P", colour=1), "a picture of a format not taken"),
        (noisy_bytes("JPEG")[:35_000], "a JPEG cut short (its structure verifies, its data does not decode)"),
        (picture_bytes("PNG")[:-20], "a PNG cut short"),
        (b"", "an empty file"),
    ],
)
def test_the_service_refuses_what_is_not_really_a_jpeg_png_or_webp_picture(shop, media, content, why):
    order = shop.open()
    with pytest.raises(ValidationError) as refused:
        order_photo_add(actor=shop.advisor, order=order, image=upload(content))
    assert "image" in refused.value.error_dict, why
    assert not OrderPhoto.objects.exists() and stored_files(media) == []


def test_a_picture_of_too_many_pixels_is_refused_even_when_the_file_is_small(shop):
    # a one-bit 8000 × 8000 PNG is a few kilobytes but 64 megapixels once decoded
    bomb = picture("PNG", size=(8000, 8000), mode="1", colour=1)
    assert bomb.size < 100_000
    with pytest.raises(ValidationError) as refused:
        order_photo_add(actor=shop.advisor, order=shop.open(), image=bomb)
    assert refused.value.message_dict == {"image": ["The picture has more than 50 megapixels."]}


def test_an_order_keeps_at_most_30_photos(shop):
    order = shop.open()
    OrderPhoto.objects.bulk_create(
        [OrderPhoto(order=order, image=f"orders/BJ01/{order.number}/{n}.jpg") for n in range(MAX_PHOTOS)]
    )
    with pytest.raises(Conflict) as refused:
        order_photo_add(actor=shop.advisor, order=order, image=picture())
    assert refused.value.code == "too_many_photos"
    assert OrderPhoto.objects.filter(order=order).count() == MAX_PHOTOS


@pytest.mark.parametrize("status", [S.CANCELLED, S.DELIVERED])
def test_a_cancelled_or_delivered_order_takes_no_more_photos(shop, status, pages):
    order = shop.walk(status).order
    with pytest.raises(Conflict) as refused:
        order_photo_add(actor=shop.advisor, order=order, image=picture())
    assert refused.value.code == "invalid_status"
    # and the page neither offers the form nor takes a post
    page = text(pages(shop.advisor).get(detail(order)))
    assert add_url(order) not in page
    response = pages(shop.advisor).post(add_url(order), {"image": picture()}, follow=True)
    assert f"The order is {order.get_status_display()}: it takes no more photos." in text(response)
    assert not OrderPhoto.objects.exists()


def test_a_settled_order_still_takes_photos_of_the_finished_work(shop):
    order = shop.walk(S.SETTLED).order
    photo = order_photo_add(actor=shop.advisor, order=order, image=picture(), caption="完工")
    assert photo.order == order


def test_a_technician_sees_the_photos_but_may_not_upload(pages, shop):
    order = shop.open()
    photo = order_photo_add(actor=shop.advisor, order=order, image=picture())
    client = pages(shop.technician)

    page = text(client.get(detail(order)))
    assert f'<img src="{photo_url(photo)}"' in page and add_url(order) not in page
    assert client.post(add_url(order), {"image": picture()}).status_code == 403
    with pytest.raises(PermissionDenied):
        order_photo_add(actor=shop.technician, order=order, image=picture())
    assert OrderPhoto.objects.count() == 1


# -- streaming and access -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_photo_streams_its_bytes_with_its_content_type_to_who_may_see_the_order(pages, shop, fmt):
    content = picture_bytes(fmt)
    photo = order_photo_add(actor=shop.advisor, order=shop.open(), image=upload(content, f"p.{fmt.lower()}"))

    response = pages(shop.qc).get(photo_url(photo))

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    assert b"".join(response.streaming_content) == content
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "private, max-age=86400"


def test_another_branchs_photo_answers_404_like_a_missing_one(pages, shop, other_branch):
    photo = order_photo_add(actor=shop.advisor, order=shop.open(), image=picture())
    stranger = make_person(role="service_manager", branch=other_branch)
    client = pages(stranger)

    assert client.get(photo_url(photo)).status_code == 404
    assert client.get(reverse("service:order_photo", args=[photo.order_id, photo.pk + 100])).status_code == 404
    assert client.post(add_url(photo.order), {"image": picture()}).status_code == 404
    remove = reverse("service:order_photo_remove", args=[photo.order_id, photo.pk])
    assert client.post(remove).status_code == 404
    assert OrderPhoto.objects.filter(pk=photo.pk).exists()


def test_a_photo_asked_through_another_order_of_the_branch_answers_404(pages, shop):
    photo = order_photo_add(actor=shop.advisor, order=shop.open(), image=picture())
    other_order = shop.open()
    response = pages(shop.advisor).get(reverse("service:order_photo", args=[other_order.pk, photo.pk]))
    assert response.status_code == 404


def test_a_person_of_the_branch_without_the_view_permission_gets_403(pages, shop, branch):
    photo = order_photo_add(actor=shop.advisor, order=shop.open(), image=picture())
    nobody = make_person(role=None, branch=branch)
    assert pages(nobody).get(photo_url(photo)).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(shop, pages):
    photo = order_photo_add(actor=shop.advisor, order=shop.open(), image=picture())
    response = pages().get(photo_url(photo))
    assert response.status_code == 302 and "/accounts/" in response["Location"]


# -- removal ------------------------------------------------------------------------------------------------------------


def test_a_photo_taken_by_mistake_is_removed_in_reception_with_its_file_and_an_event(
    pages, shop, media, django_capture_on_commit_callbacks
):
    order = shop.open()
    photo = order_photo_add(actor=shop.advisor, order=order, image=picture(), area="Roof")
    remove = reverse("service:order_photo_remove", args=[order.pk, photo.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = pages(shop.advisor).post(remove, follow=True)

    assert "Photo removed." in text(response)
    assert not OrderPhoto.objects.filter(pk=photo.pk).exists() and stored_files(media) == []
    event = OrderEvent.objects.get(order=order, action="photo_removed")
    assert event.actor == shop.advisor and event.payload["photo"] == photo.pk and event.payload["area"] == "Roof"


@pytest.mark.parametrize("status", [S.AWAITING_APPROVAL, S.SETTLED])
def test_once_the_order_has_left_reception_its_photos_are_evidence_and_cannot_be_removed(pages, shop, media, status):
    # given a photo taken at reception and the order then moved on, or a photo of the work on a settled order
    if status == S.AWAITING_APPROVAL:
        order = shop.open()
        photo = order_photo_add(actor=shop.advisor, order=order, image=picture())
        shop.add_labour(order)
        order_services.order_submit_estimate(actor=shop.advisor, order=order)
    else:
        order = shop.walk(S.SETTLED).order
        photo = order_photo_add(actor=shop.advisor, order=order, image=picture())
    order.refresh_from_db()
    assert order.status == status

    # when the manager tries to remove it, by the service and through the page
    with pytest.raises(Conflict) as refused:
        order_photo_remove(actor=shop.manager, photo=photo)
    response = pages(shop.manager).post(reverse("service:order_photo_remove", args=[order.pk, photo.pk]), follow=True)

    # then it stays, with its file, and the page offers no remove button
    assert refused.value.code == "invalid_status"
    assert "its photos are on record and can't be removed any more" in text(response)
    assert OrderPhoto.objects.filter(pk=photo.pk).exists() and (media / photo.image.name).exists()
    assert not OrderEvent.objects.filter(action="photo_removed").exists()
    assert "order_photo_remove" not in text(response) and "/remove/" not in text(response)


# -- the order page and the job card ------------------------------------------------------------------------------------


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_order_page_runs_the_same_queries_with_one_photo_and_with_twelve(pages, shop):
    order = shop.open()
    order_photo_add(actor=shop.advisor, order=order, image=picture(), area="Roof")
    client = pages(shop.advisor)
    one = queries_of(client, detail(order))

    other_uploader = make_person(role="service_advisor", branch=shop.branch)
    for number in range(11):
        order_photo_add(
            actor=other_uploader if number % 2 else shop.advisor, order=order, image=picture(), caption=f"#{number}"
        )
    twelve = queries_of(client, detail(order))

    assert twelve == one
    assert text(client.get(detail(order))).count('<img src="/service/orders/') == 12


def test_the_job_card_prints_small_thumbnails_through_the_streaming_url(pages, shop):
    order = shop.open()
    photos = [order_photo_add(actor=shop.advisor, order=order, image=picture(), area=a) for a in ("Roof", "Boot")]

    page = text(pages(shop.technician).get(reverse("service:print_job_card", args=[order.pk])))

    for photo in photos:
        assert f'<img src="{photo_url(photo)}"' in page
    assert "1. Roof" in page and "2. Boot" in page and "/media/" not in page
