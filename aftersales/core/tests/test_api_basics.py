"""Signing in: API tokens, throttling, the sign-in / sign-out / password pages, the API docs, the language switch."""

import datetime
import json
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from aftersales.core.testing import PASSWORD
from aftersales.org import services
from aftersales.org.models import ApiToken

TOKEN_URL = "/api/v1/auth/token"
NEW_PASSWORD = "Repair-shop-2027"


def _token_request(client: Client, username: str, password: str):
    return client.post(TOKEN_URL, json.dumps({"username": username, "password": password}), "application/json")


def _bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _assert_error_shape(response, status: int, code: str):
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]
    assert isinstance(body["fields"], dict)


@pytest.fixture
def advisor(person):
    return person("service_advisor")


# -- tokens -----------------------------------------------------------------------------------------------------------


def test_right_credentials_give_a_token_that_opens_the_api(advisor, client):
    response = _token_request(client, advisor.username, PASSWORD)

    assert response.status_code == 200
    assert list(response.json()) == ["token"]
    token = response.json()["token"]
    assert len(token) >= 40
    assert _bearer(token).get("/api/v1/branches").status_code == 200
    # only the token's hash is kept
    stored = ApiToken.objects.get(user=advisor)
    assert stored.key_hash != token and token not in stored.key_hash


def test_wrong_password_answers_401_with_the_error_shape(advisor, client):
    response = _token_request(client, advisor.username, "not-the-password")

    _assert_error_shape(response, 401, "not_authenticated")
    assert not ApiToken.objects.exists()


def test_unknown_user_answers_401(db, client):
    _assert_error_shape(_token_request(client, "nobody", PASSWORD), 401, "not_authenticated")


def test_token_request_without_password_answers_422_naming_the_field(advisor, client):
    response = client.post(TOKEN_URL, json.dumps({"username": advisor.username}), "application/json")

    _assert_error_shape(response, 422, "invalid")
    assert "password" in response.json()["fields"]


def test_repeated_failures_are_throttled_even_with_the_right_password(advisor, client):
    allowed = settings.AFTERSALES["LOGIN_FAILURES_ALLOWED"]
    for _ in range(allowed - 1):
        assert _token_request(client, advisor.username, "guess").status_code == 401
    # one failure short of the limit the right password still works, and clears the count
    assert _token_request(client, advisor.username, PASSWORD).status_code == 200

    for _ in range(allowed):
        assert _token_request(client, advisor.username, "guess").status_code == 401
    response = _token_request(client, advisor.username, PASSWORD)

    _assert_error_shape(response, 429, "throttled")
    assert ApiToken.objects.filter(user=advisor).count() == 1


def test_throttling_counts_per_user_name(advisor, person, client):
    other = person("technician")
    for _ in range(settings.AFTERSALES["LOGIN_FAILURES_ALLOWED"]):
        _token_request(client, advisor.username, "guess")

    assert _token_request(client, other.username, PASSWORD).status_code == 200


def test_sign_in_page_is_throttled_by_the_same_failures(advisor, client):
    for _ in range(settings.AFTERSALES["LOGIN_FAILURES_ALLOWED"]):
        _token_request(client, advisor.username, "guess")

    response = client.post("/accounts/login/", {"username": advisor.username, "password": PASSWORD})

    assert response.status_code == 200
    (error,) = response.context["form"].non_field_errors().as_data()
    assert error.code == "throttled"
    assert str(error.message) in response.content.decode()  # the reason is shown, not a bare refusal
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_failures_on_the_sign_in_page_throttle_the_page(advisor, client):
    for _ in range(settings.AFTERSALES["LOGIN_FAILURES_ALLOWED"]):
        response = client.post("/accounts/login/", {"username": advisor.username, "password": "guess"})
        assert response.status_code == 200

    response = client.post("/accounts/login/", {"username": advisor.username, "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["throttled"]
    assert _token_request(client, advisor.username, PASSWORD).status_code == 429


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "Token abc", "Basic YWRtaW46YWRtaW4="])
def test_garbage_authorization_answers_401(advisor, header):
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/branches")

    _assert_error_shape(response, 401, "not_authenticated")


def test_no_token_answers_401(db, client):
    _assert_error_shape(client.get("/api/v1/employees"), 401, "not_authenticated")


def test_expired_token_answers_401(advisor):
    token = services.api_token_issue(username=advisor.username, password=PASSWORD, address="127.0.0.1")
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    _assert_error_shape(_bearer(token).get("/api/v1/branches"), 401, "not_authenticated")


def test_revoked_token_answers_401(advisor):
    token = services.api_token_issue(username=advisor.username, password=PASSWORD, address="127.0.0.1")
    assert _bearer(token).get("/api/v1/branches").status_code == 200

    ApiToken.objects.update(revoked_at=timezone.now())

    _assert_error_shape(_bearer(token).get("/api/v1/branches"), 401, "not_authenticated")


def test_token_of_an_employee_who_was_deactivated_answers_401(advisor, person):
    token = services.api_token_issue(username=advisor.username, password=PASSWORD, address="127.0.0.1")
    manager = person("service_manager")

    services.employee_update(actor=manager, employee=advisor.employee, data={"active": False})

    _assert_error_shape(_bearer(token).get("/api/v1/branches"), 401, "not_authenticated")
    _assert_error_shape(_token_request(Client(), advisor.username, PASSWORD), 401, "not_authenticated")


# -- OpenAPI and the docs page ----------------------------------------------------------------------------------------

ISSUE_PATHS = {
    "/api/v1/auth/token": {"post"},
    "/api/v1/branches": {"get", "post"},
    "/api/v1/branches/{branch_id}": {"get", "patch"},
    "/api/v1/positions": {"get", "post"},
    "/api/v1/positions/{position_id}": {"get"},
    "/api/v1/employees": {"get", "post"},
    "/api/v1/employees/{employee_id}": {"get", "patch"},
    "/api/v1/teams": {"get", "post"},
    "/api/v1/teams/{team_id}": {"get", "patch"},
    "/api/v1/customers": {"get", "post"},
    "/api/v1/customers/{customer_id}": {"get", "patch"},
    "/api/v1/assets": {"get", "post"},
    "/api/v1/assets/{asset_id}": {"get", "patch"},
}


def test_openapi_lists_every_path_and_method_of_the_issue(db, client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path, methods in ISSUE_PATHS.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))


def test_openapi_documents_the_error_shape_and_bearer_auth(db, client):
    schema = client.get("/api/v1/openapi.json").json()

    employee_get = schema["paths"]["/api/v1/employees/{employee_id}"]["get"]
    assert {"401", "403", "404"} <= set(employee_get["responses"])
    error = schema["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"code", "message", "fields"}
    assert any(s.get("scheme") == "bearer" for s in schema["components"]["securitySchemes"].values())


def test_api_docs_page_loads_nothing_from_the_internet(db, client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content), asset


# -- sign in, sign out, change password -------------------------------------------------------------------------------


def test_sign_in_page_signs_in_with_the_right_password(advisor, client):
    assert client.get("/accounts/login/").status_code == 200

    response = client.post("/accounts/login/", {"username": advisor.username, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(advisor.pk)
    assert client.get("/").status_code == 200


def test_sign_in_page_refuses_a_wrong_password(advisor, client):
    response = client.post("/accounts/login/", {"username": advisor.username, "password": "guess"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_pages_send_anonymous_visitors_to_sign_in(db, client):
    response = client.get("/org/employees/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_sign_out_ends_the_session(advisor, pages):
    client = pages(advisor)
    assert client.get("/").status_code == 200

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.get("/").status_code == 302


def _change_password(client, old, new, again=None):
    return client.post(
        "/accounts/password/",
        {"old_password": old, "new_password": new, "new_password_again": new if again is None else again},
    )


def test_password_change_with_wrong_current_password_shows_the_error_beside_it(advisor, pages):
    response = _change_password(pages(advisor), "wrong-current", NEW_PASSWORD)

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    assert 'id="id_old_password_error"' in response.content.decode()
    advisor.refresh_from_db()
    assert advisor.check_password(PASSWORD)


def test_password_change_with_two_different_new_passwords_is_refused(advisor, pages):
    response = _change_password(pages(advisor), PASSWORD, NEW_PASSWORD, again=NEW_PASSWORD + "x")

    assert "new_password_again" in response.context["form"].errors
    advisor.refresh_from_db()
    assert advisor.check_password(PASSWORD)


@pytest.mark.parametrize("weak", ["12345678", "password", "short1"])
def test_password_change_to_a_weak_password_is_refused_beside_the_new_password(advisor, pages, weak):
    response = _change_password(pages(advisor), PASSWORD, weak)

    assert "new_password" in response.context["form"].errors
    advisor.refresh_from_db()
    assert advisor.check_password(PASSWORD)


def test_password_change_lets_the_user_sign_in_with_the_new_password_only(advisor, pages):
    client = pages(advisor)

    response = _change_password(client, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert client.get("/").status_code == 200  # still signed in on this session
    assert Client().login(username=advisor.username, password=NEW_PASSWORD)
    assert not Client().login(username=advisor.username, password=PASSWORD)


# -- language ---------------------------------------------------------------------------------------------------------


def _html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_pages_are_chinese_by_default(db, client):
    response = client.get("/accounts/login/")

    assert _html_lang(response) == "zh-CN"
    assert response["Content-Language"] == "zh-hans"


def test_language_switch_turns_the_pages_to_english_and_back(advisor, pages):
    client = pages(advisor)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/org/branches/"})

    assert response.status_code == 302
    assert response["Location"] == "/org/branches/"
    assert _html_lang(client.get("/org/branches/")) == "en"
    assert _html_lang(client.get("/")) == "en"

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert _html_lang(client.get("/")) == "zh-CN"


def test_language_switch_works_before_signing_in(db, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})

    assert _html_lang(client.get("/accounts/login/")) == "en"
