"""Chinese by default on every page, English when the user switches; the API follows Accept-Language."""

import re


def _html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_pages_are_chinese_even_for_an_english_browser(db, client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert _html_lang(response) == "zh-CN"
    assert "登录" in response.content.decode()


def test_switching_to_english_and_back(person, pages):
    client = pages(person("service_advisor"))

    client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    english = client.get("/customers/")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/customers/"})
    chinese = client.get("/customers/")

    assert _html_lang(english) == "en" and "<h1>Customers</h1>" in english.content.decode()
    assert _html_lang(chinese) == "zh-CN" and "<h1>客户</h1>" in chinese.content.decode()


def test_api_messages_follow_accept_language(db, client):
    body = {"username": "nobody", "password": "wrong-password"}

    default = client.post("/api/v1/auth/token", body, content_type="application/json")
    english = client.post("/api/v1/auth/token", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")

    assert default.status_code == english.status_code == 401
    assert default.json()["message"] == "用户名或密码错误。"
    assert english.json()["message"] == "Wrong user name or password."
