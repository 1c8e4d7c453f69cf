"""Changing the profile file: set_value, set_secret, atomic writes, permissions, keyring round trips."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail, null

import core.providers
from core.config import resolve_settings, set_secret, set_value
from core.config.store import load_config, write_config
from core.errors import ConfigError, InternalError
from core.redact import redact_text
from tests.cli_helpers import REPO
from tests.keyring_backend import FileKeyring


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered providers under the test's control: a stand-in offline engine and a plug-in."""
    stand_in = "tests.test_config_resolve:FakeProvider"
    monkeypatch.setattr(core.providers, "_REGISTRY", {"local": stand_in, "fake": stand_in})


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "docrelay.toml"


@pytest.fixture
def env(config_path: Path) -> dict[str, str]:
    return {"DOCRELAY_CONFIG_FILE": str(config_path)}


@pytest.fixture
def keyring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("DOCRELAY_TEST_KEYRING_FILE", str(path))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield path
    keyring.set_keyring(previous)


@pytest.fixture(params=[fail.Keyring, null.Keyring], ids=["fail", "null"])
def no_keyring(request: pytest.FixtureRequest) -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(request.param())
    yield
    keyring.set_keyring(previous)


def toml(path: Path) -> dict[str, object]:
    return load_config(path)


# -- set_value ------------------------------------------------------------------------------------------


def test_set_value_round_trip(config_path: Path, env: dict[str, str]) -> None:
    change = set_value("client_id", " my-client ", env=env)
    assert change == {
        "config_file": str(config_path),
        "profile": "default",
        "key": "client_id",
        "value": "my-client",
        "removed": False,
    }
    set_value("provider", "Cradl", env=env)
    set_value("timeout", "60", env=env)
    set_value("truststore", "yes", env=env)
    assert toml(config_path) == {
        "profiles": {
            "default": {"client_id": "my-client", "provider": "cradl", "timeout": 60, "truststore": True}
        }
    }
    settings = resolve_settings(env=env)
    assert (settings.provider, settings.values["client_id"], settings.timeout, settings.truststore) == (
        "cradl",
        "my-client",
        60,
        True,
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_file_is_private(config_path: Path, env: dict[str, str]) -> None:
    config_path.parent.mkdir(parents=True)
    config_path.write_text("[profiles.default]\n", encoding="utf-8")
    config_path.chmod(0o644)
    set_value("client_id", "x", env=env)
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600


def test_set_value_into_a_provider_table(config_path: Path, env: dict[str, str]) -> None:
    set_value("password", "keyring:vault/cf", profile="work", provider="contractfit", env=env)
    change = set_value("deepopinion.url", "https://studio.example", profile="work", env=env)
    assert change["key"] == "deepopinion.url"
    assert toml(config_path) == {
        "profiles": {
            "work": {
                "contractfit": {"password": "keyring:vault/cf"},
                "deepopinion": {"url": "https://studio.example"},
            }
        }
    }


def test_set_value_uses_the_profile_from_the_environment(config_path: Path, env: dict[str, str]) -> None:
    env["DOCRELAY_PROFILE"] = "robots"
    set_value("inbox", "invoices", env=env)
    assert toml(config_path) == {"profiles": {"robots": {"inbox": "invoices"}}}


def test_empty_value_removes_the_key(config_path: Path, env: dict[str, str]) -> None:
    set_value("client_id", "x", env=env)
    set_value("cradl.api_url", "https://api.example", env=env)
    assert set_value("cradl.api_url", "", env=env)["removed"] is True
    set_value("client_id", None, env=env)
    assert toml(config_path) == {"profiles": {"default": {}}}


def test_other_content_is_kept(config_path: Path, env: dict[str, str]) -> None:
    config_path.parent.mkdir(parents=True)
    config_path.write_text(
        textwrap.dedent(
            """
            future = "kept"
            [profiles.other]
            url = "https://other.example"
            [profiles.default.cradl]
            client_id = "sub"
            """
        ),
        encoding="utf-8",
    )
    set_value("client_id", "flat", env=env)
    assert toml(config_path) == {
        "future": "kept",
        "profiles": {
            "other": {"url": "https://other.example"},
            "default": {"cradl": {"client_id": "sub"}, "client_id": "flat"},
        },
    }


def test_secret_in_plain_text_is_refused(config_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        set_value("client_secret", "plain-secret-value", env=env)
    message = caught.value.full_message
    assert "client_secret is a secret and is never written to the configuration file" in message
    assert "docrelay config set-secret client_secret" in message
    assert "DOCRELAY_CRADL_CLIENT_SECRET" in message
    assert "plain-secret-value" not in message
    assert caught.value.exit_code == 3
    assert not config_path.exists()
    assert "plain-secret-value" not in redact_text("plain-secret-value")


def test_shared_secret_name_lists_every_variable(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        set_value("password", "plain-password", env=env)
    assert "DOCRELAY_CONTRACTFIT_PASSWORD or DOCRELAY_DEEPOPINION_PASSWORD" in caught.value.full_message
    with pytest.raises(ConfigError) as caught:
        set_value("deepopinion.password", "plain-password", profile="work", env=env)
    message = caught.value.full_message
    assert "`docrelay --profile work config set-secret deepopinion.password`" in message
    assert "DOCRELAY_DEEPOPINION_PASSWORD." in message


def test_settings_of_a_registered_provider_can_be_set(
    config_path: Path, env: dict[str, str], registry: None, keyring_file: Path
) -> None:
    set_value("region", "eu", env=env)
    with pytest.raises(ConfigError, match="token is a secret"):
        set_value("fake.token", "plain-fake-token", env=env)
    set_secret("fake.token", "fake-secret-value", env=env)
    assert toml(config_path) == {
        "profiles": {"default": {"region": "eu", "fake": {"token": "keyring:docrelay/default/fake.token"}}}
    }
    settings = resolve_settings("fake", env=env)
    assert settings.values["token"] == "fake-secret-value"
    assert settings.values["region"] == "eu"


def test_keyring_reference_may_be_set_directly(config_path: Path, env: dict[str, str]) -> None:
    set_value("cradl.client_secret", "keyring:corp/cradl", env=env)
    assert toml(config_path) == {"profiles": {"default": {"cradl": {"client_secret": "keyring:corp/cradl"}}}}
    with pytest.raises(ConfigError, match="Invalid keyring reference"):
        set_value("client_secret", "keyring:broken", env=env)


@pytest.mark.parametrize(
    ("key", "provider", "expected"),
    [
        ("client_idd", None, "Unknown setting 'client_idd'"),
        ("api_key", "cradl", "Unknown setting 'api_key' for provider cradl"),
        ("cradl.api_key", None, "Unknown setting 'cradl.api_key' for provider cradl"),
        ("url", "nope", "Unknown provider 'nope'"),
        ("profile", None, "profile is chosen for each run"),
        ("cradl.url", "contractfit", "names provider 'cradl' but provider 'contractfit'"),
    ],
)
def test_unknown_keys_are_refused(
    config_path: Path, env: dict[str, str], registry: None, key: str, provider: str | None, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        set_value(key, "x", provider=provider, env=env)
    assert not config_path.exists()


def test_unknown_key_message_lists_valid_keys(env: dict[str, str], registry: None) -> None:
    with pytest.raises(ConfigError) as caught:
        set_value("clientid", "x", env=env)
    hint = caught.value.hint or ""
    expected = ("client_id", "api_key", "organization", "timeout", "ca_bundle", "truststore", "region")
    for name in expected:
        assert name in hint
    with pytest.raises(ConfigError) as caught:
        set_value("token", "x", provider="cradl", env=env)
    assert "client_id, client_secret, api_url, auth_url, access_token, timeout, ca_bundle, truststore" in (
        caught.value.hint or ""
    )


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("timeout", "soon", "Invalid timeout 'soon'"),
        ("truststore", "perhaps", "Invalid value 'perhaps' for truststore"),
        ("ca_bundle", "/nonexistent/ca.pem", "does not exist"),
        ("provider", "cradle", "Unknown provider 'cradle'"),
    ],
)
def test_invalid_values_are_refused(
    config_path: Path, env: dict[str, str], key: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        set_value(key, value, env=env)
    assert not config_path.exists()


def test_ca_bundle_is_stored_as_an_absolute_path(
    tmp_path: Path, config_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "corp.pem").write_text("pem", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    set_value("ca_bundle", "corp.pem", env=env)
    assert toml(config_path) == {
        "profiles": {"default": {"ca_bundle": str((tmp_path / "corp.pem").resolve())}}
    }


def test_a_malformed_file_is_never_overwritten(config_path: Path, env: dict[str, str]) -> None:
    config_path.parent.mkdir(parents=True)
    config_path.write_text("[profiles.default\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        set_value("client_id", "x", env=env)
    assert config_path.read_text(encoding="utf-8") == "[profiles.default\n"


# -- atomic writes ---------------------------------------------------------------------------------------


def existing_file(config_path: Path) -> str:
    config_path.parent.mkdir(parents=True)
    original = '[profiles.default]\nclient_id = "original"\n'
    config_path.write_text(original, encoding="utf-8")
    return original


def test_failed_replace_leaves_the_old_file_and_no_temp_file(
    config_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = existing_file(config_path)

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ConfigError) as caught:
        set_value("client_id", "new", env=env)
    assert f"Cannot write the configuration file {config_path}: Permission denied" in caught.value.message
    assert "DOCRELAY_CONFIG_FILE" in caught.value.full_message
    assert config_path.read_text(encoding="utf-8") == original
    assert sorted(p.name for p in config_path.parent.iterdir()) == ["docrelay.toml"]


def test_unserializable_document_leaves_the_old_file(config_path: Path) -> None:
    original = existing_file(config_path)
    with pytest.raises(InternalError):
        write_config(config_path, {"profiles": {"default": {"client_id": object()}}})
    assert config_path.read_text(encoding="utf-8") == original
    assert sorted(p.name for p in config_path.parent.iterdir()) == ["docrelay.toml"]


# -- set_secret --------------------------------------------------------------------------------------------


def test_set_secret_round_trip_keeps_the_secret_out_of_the_file(
    config_path: Path, env: dict[str, str], keyring_file: Path
) -> None:
    set_value("client_id", "my-client", profile="work", env=env)
    change = set_secret("client_secret", "round-trip-secret\n", profile="work", env=env)
    assert change["value"] == "keyring:docrelay/work/client_secret"
    assert change["key"] == "client_secret"

    text = config_path.read_text(encoding="utf-8")
    assert "round-trip-secret" not in text
    assert 'client_secret = "keyring:docrelay/work/client_secret"' in text
    assert json.loads(keyring_file.read_text(encoding="utf-8")) == {
        "docrelay": {"work/client_secret": "round-trip-secret"}
    }
    settings = resolve_settings("cradl", profile="work", env=env)
    assert settings.values["client_secret"] == "round-trip-secret"
    assert settings.shown()["settings"]["client_secret"] == "***"
    assert "round-trip-secret" not in redact_text("round-trip-secret")


def test_set_secret_for_one_provider(config_path: Path, env: dict[str, str], keyring_file: Path) -> None:
    change = set_secret("contractfit.password", "cf-password-value", env=env)
    assert change["value"] == "keyring:docrelay/default/contractfit.password"
    assert toml(config_path) == {
        "profiles": {
            "default": {"contractfit": {"password": "keyring:docrelay/default/contractfit.password"}}
        }
    }
    assert resolve_settings("contractfit", env=env).values["password"] == "cf-password-value"
    assert "password" not in resolve_settings("deepopinion", env=env).values


def test_set_secret_without_a_credential_store(
    config_path: Path, env: dict[str, str], no_keyring: None
) -> None:
    with pytest.raises(ConfigError) as caught:
        set_secret("client_secret", "no-store-secret", env=env)
    message = caught.value.full_message
    assert "No OS credential store is available to keep client_secret" in message
    assert "DOCRELAY_CRADL_CLIENT_SECRET" in message
    assert "no-store-secret" not in message
    assert caught.value.exit_code == 3
    assert not config_path.exists()


def test_set_secret_refuses_empty_values_and_global_settings(
    env: dict[str, str], keyring_file: Path, registry: None
) -> None:
    with pytest.raises(ConfigError, match="No value given for the secret client_secret"):
        set_secret("client_secret", " \n", env=env)
    with pytest.raises(ConfigError, match="timeout is not a secret setting"):
        set_secret("timeout", "5", env=env)
    with pytest.raises(ConfigError, match="Unknown setting 'secret'"):
        set_secret("secret", "x", env=env)


def test_keyring_backend_works_in_a_subprocess(tmp_path: Path, config_path: Path) -> None:
    """The CLI tests select the test backend through the environment alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCRELAY_", "PYTHON_KEYRING"))}
    env.update(
        DOCRELAY_CONFIG_FILE=str(config_path),
        DOCRELAY_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"),
        PYTHON_KEYRING_BACKEND="tests.keyring_backend.FileKeyring",
        PYTHONPATH=str(REPO),
    )
    store = (
        "from core.config import set_secret; set_secret('access_token', 'subprocess-token', provider='cradl')"
    )
    read = "from core.config import resolve_settings; print(resolve_settings('cradl').values['access_token'])"
    for code in (store, read):
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "subprocess-token"
    assert "subprocess-token" not in config_path.read_text(encoding="utf-8")
