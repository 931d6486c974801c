"""Settings from the environment: the secret key kept locally when none is given, and the deploy check."""

import stat

from aftersales.core.checks import secret_key_from_the_environment
from config.env import env_bool, env_list, local_secret_key


def test_a_secret_key_is_made_once_kept_private_and_reused(tmp_path):
    path = tmp_path / "var" / "secret_key"

    first = local_secret_key(path)
    second = local_secret_key(path)

    assert first == second and len(first) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_deploy_check_warns_while_the_key_comes_from_the_file(settings):
    settings.SECRET_KEY_FROM_FILE = True
    assert [w.id for w in secret_key_from_the_environment(None)] == ["aftersales.W001"]

    settings.SECRET_KEY_FROM_FILE = False
    assert secret_key_from_the_environment(None) == []


def test_environment_values_are_read_strictly(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    monkeypatch.setenv("HOSTS", " a.example , b.example ,")

    assert env_bool("FLAG", False) is True
    assert env_list("HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("FLAG", "maybe")
    try:
        env_bool("FLAG", False)
    except ValueError as exc:
        assert "FLAG" in str(exc)
    else:
        raise AssertionError("a non-boolean value must be refused")
