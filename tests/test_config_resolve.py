"""Resolving settings: order of sources, profiles, keyring references, fallbacks, validation, display."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import keyring
import pytest
from keyring.backends import fail

import core.providers
from core.config import DEFAULT_TIMEOUT, Settings, config_file_path, resolve_settings
from core.errors import ConfigError
from core.providers.base import Capabilities, Provider
from core.redact import redact_text
from tests.keyring_backend import FileKeyring


class FakeProvider(Provider):
    """Registered under test names; config only reads its class attributes and hooks."""

    name = "fake"
    capabilities = Capabilities()
    setting_names: ClassVar[tuple[str, ...]] = ("endpoint", "token", "region")
    secret_settings: ClassVar[tuple[str, ...]] = ("token",)
    fallback_calls: ClassVar[int] = 0

    @classmethod
    def fallback_settings(cls, env: Mapping[str, str]) -> dict[str, tuple[Any, str]]:
        cls.fallback_calls += 1
        offered = {"endpoint": ("https://fallback.example", "~/.fake/credentials")}
        if env.get("FAKE_SDK_TOKEN"):
            offered["token"] = (env["FAKE_SDK_TOKEN"], "env FAKE_SDK_TOKEN")
        return offered

    def upload(self, *args: Any) -> Any:
        raise NotImplementedError

    def start_prediction(self, *args: Any) -> Any:
        raise NotImplementedError

    def poll(self, *args: Any) -> Any:
        raise NotImplementedError

    def fetch_result(self, *args: Any) -> Any:
        raise NotImplementedError

    def list_models(self) -> Any:
        raise NotImplementedError


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "docrelay.toml"


@pytest.fixture
def env(config_path: Path) -> dict[str, str]:
    return {"DOCRELAY_CONFIG_FILE": str(config_path)}


@pytest.fixture
def fake_provider(monkeypatch: pytest.MonkeyPatch) -> type[FakeProvider]:
    monkeypatch.setitem(core.providers._REGISTRY, "fake", f"{__name__}:FakeProvider")
    # The offline engine is another module's business; config only has to choose it.
    monkeypatch.setitem(core.providers._REGISTRY, "local", f"{__name__}:FakeProvider")
    FakeProvider.fallback_calls = 0
    return FakeProvider


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FileKeyring]:
    monkeypatch.setenv("DOCRELAY_TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))
    previous = keyring.get_keyring()
    backend = FileKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


# -- order of sources ---------------------------------------------------------------------------


def test_argument_beats_environment_beats_profile_beats_default(
    config_path: Path, env: dict[str, str]
) -> None:
    write(
        config_path,
        """
        [profiles.default]
        client_id = "from-profile"
        client_secret = "secret-from-profile"
        api_url = "https://profile.example/v1"
        """,
    )
    env.update(DOCRELAY_CRADL_CLIENT_ID="from-env", DOCRELAY_CRADL_CLIENT_SECRET="secret-from-env")

    settings = resolve_settings(
        "cradl", overrides={"client_id": "from-argument", "access_token": None}, env=env
    )

    assert settings.values["client_id"] == "from-argument"
    assert settings.values["client_secret"] == "secret-from-env"
    assert settings.values["api_url"] == "https://profile.example/v1"
    assert settings.values["auth_url"] == "https://auth.lucidtech.ai/oauth2/token"
    assert "access_token" not in settings.values
    assert settings.origins["client_id"] == "argument"
    assert settings.origins["client_secret"] == "env DOCRELAY_CRADL_CLIENT_SECRET"
    assert settings.origins["api_url"] == f"profile default ({config_path})"
    assert settings.origins["auth_url"] == "default"


def test_timeout_from_each_level(config_path: Path, env: dict[str, str]) -> None:
    assert resolve_settings("cradl", env=env).timeout == DEFAULT_TIMEOUT == 300
    write(config_path, "[profiles.default]\ntimeout = 120\n")
    assert resolve_settings("cradl", env=env).timeout == 120
    env["DOCRELAY_TIMEOUT"] = "60.5"
    settings = resolve_settings("cradl", env=env)
    assert (settings.timeout, settings.origins["timeout"]) == (60.5, "env DOCRELAY_TIMEOUT")
    settings = resolve_settings("cradl", overrides={"timeout": 5}, env=env)
    assert (settings.timeout, settings.origins["timeout"]) == (5, "argument")


def test_provider_from_each_level(config_path: Path, env: dict[str, str], fake_provider: type) -> None:
    settings = resolve_settings(env=env)
    assert (settings.provider, settings.origins["provider"], settings.profile) == ("local", "default", None)
    write(config_path, '[profiles.default]\nprovider = "contractfit"\n')
    assert resolve_settings(env=env).provider == "contractfit"
    env["DOCRELAY_PROVIDER"] = "deepopinion"
    assert resolve_settings(env=env).provider == "deepopinion"
    assert resolve_settings("CRADL", env=env).provider == "cradl"
    assert resolve_settings(overrides={"provider": "fake"}, env=env).provider == "fake"


def test_blank_values_count_as_not_set(config_path: Path, env: dict[str, str]) -> None:
    write(config_path, '[profiles.default]\nclient_id = "from-profile"\n')
    env.update(DOCRELAY_CRADL_CLIENT_ID="  ", DOCRELAY_PROVIDER="")
    settings = resolve_settings("cradl", overrides={"client_id": ""}, env=env)
    assert settings.values["client_id"] == "from-profile"


def test_values_are_trimmed_but_secrets_keep_inner_spaces(env: dict[str, str]) -> None:
    env.update(DOCRELAY_CRADL_CLIENT_ID=" id \n", DOCRELAY_CRADL_CLIENT_SECRET=" pass word \r\n")
    settings = resolve_settings("cradl", env=env)
    assert settings.values["client_id"] == "id"
    assert settings.values["client_secret"] == " pass word "


def test_defaults_of_each_provider(env: dict[str, str]) -> None:
    assert resolve_settings("cradl", env=env).values["api_url"] == "https://api.lucidtech.ai/v1"
    assert resolve_settings("contractfit", env=env).values["url"] == "https://cfportal.contract-p.fit/api"
    assert resolve_settings("deepopinion", env=env).values["url"] == "https://api.deepopinion.ai"


# -- profiles -----------------------------------------------------------------------------------


PROFILES = """
    [profiles.default]
    client_id = "default-id"

    [profiles.work]
    client_id = "work-id"

    [profiles.home]
    client_id = "home-id"
    """


def test_profile_argument_beats_environment_beats_default(config_path: Path, env: dict[str, str]) -> None:
    write(config_path, PROFILES)
    assert resolve_settings("cradl", env=env).values["client_id"] == "default-id"
    env["DOCRELAY_PROFILE"] = "work"
    settings = resolve_settings("cradl", env=env)
    assert (settings.profile, settings.values["client_id"]) == ("work", "work-id")
    assert settings.origins["profile"] == "env DOCRELAY_PROFILE"
    settings = resolve_settings("cradl", profile="home", env=env)
    assert (settings.profile, settings.origins["profile"], settings.values["client_id"]) == (
        "home",
        "argument",
        "home-id",
    )


def test_missing_default_profile_is_fine(config_path: Path, env: dict[str, str]) -> None:
    write(config_path, '[profiles.work]\nclient_id = "x"\n')
    settings = resolve_settings("cradl", env=env)
    assert settings.profile is None
    assert "client_id" not in settings.values
    assert resolve_settings("cradl", profile="default", env=env).profile is None


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_named_missing_profile_lists_existing_ones(config_path: Path, env: dict[str, str], how: str) -> None:
    write(config_path, PROFILES)
    if how == "environment":
        env["DOCRELAY_PROFILE"] = "wrok"
    with pytest.raises(ConfigError) as caught:
        resolve_settings("cradl", profile="wrok" if how == "argument" else None, env=env)
    message = caught.value.full_message
    assert caught.value.exit_code == 3
    assert "Profile 'wrok' not found" in message
    assert str(config_path) in message
    assert "default, home, work" in message
    assert "--profile" in message


def test_named_profile_without_config_file(config_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="does not exist") as caught:
        resolve_settings("cradl", profile="work", env=env)
    assert "docrelay --profile work config set" in caught.value.full_message


def test_provider_table_wins_over_flat_keys_for_that_provider(config_path: Path, env: dict[str, str]) -> None:
    write(
        config_path,
        """
        [profiles.default]
        password = "flat-password"
        url = "https://flat.example"
        timeout = 30

        [profiles.default.deepopinion]
        password = "deepopinion-password"
        timeout = 90
        """,
    )
    deepopinion = resolve_settings("deepopinion", env=env)
    assert deepopinion.values["password"] == "deepopinion-password"
    assert deepopinion.values["url"] == "https://flat.example"
    assert deepopinion.timeout == 90
    assert deepopinion.origins["password"] == f"profile default.deepopinion ({config_path})"

    contractfit = resolve_settings("contractfit", env=env)
    assert contractfit.values["password"] == "flat-password"
    assert contractfit.timeout == 30


def test_unknown_profile_keys_are_ignored_with_a_warning(
    config_path: Path, env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    write(
        config_path,
        """
        [profiles.default]
        client_idd = "typo"
        [profiles.default.cradl]
        urll = "typo"
        """,
    )
    settings = resolve_settings("cradl", env=env)
    assert "client_idd" not in settings.values
    assert "client_idd" in caplog.text
    assert "urll" in caplog.text


# -- validation -----------------------------------------------------------------------------------


def test_malformed_toml_names_file_and_line(config_path: Path, env: dict[str, str]) -> None:
    write(config_path, "[profiles.default]\nclient_id = abc\n")
    with pytest.raises(ConfigError) as caught:
        resolve_settings("cradl", env=env)
    message = caught.value.full_message
    assert str(config_path) in message
    assert "not valid TOML" in message
    assert "line 2" in message
    assert "text editor" in message


def test_file_that_is_not_utf8(config_path: Path, env: dict[str, str]) -> None:
    config_path.parent.mkdir(parents=True)
    config_path.write_bytes(b'[profiles.default]\nclient_id = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        resolve_settings("cradl", env=env)


def test_byte_order_mark_is_accepted(config_path: Path, env: dict[str, str]) -> None:
    config_path.parent.mkdir(parents=True)
    config_path.write_bytes('\ufeff[profiles.default]\nclient_id = "bom"\n'.encode())
    assert resolve_settings("cradl", env=env).values["client_id"] == "bom"


def test_profiles_must_be_tables(config_path: Path, env: dict[str, str]) -> None:
    write(config_path, 'profiles = "oops"\n')
    with pytest.raises(ConfigError, match="malformed profiles section"):
        resolve_settings("cradl", env=env)


@pytest.mark.parametrize(
    ("where", "value", "origin"),
    [
        ("env", "abc", "env DOCRELAY_TIMEOUT"),
        ("profile", "-5", "profile default"),
        ("argument", "0", "argument"),
        ("argument", "nan", "argument"),
    ],
)
def test_invalid_timeout_names_its_source(
    config_path: Path, env: dict[str, str], where: str, value: str, origin: str
) -> None:
    overrides = {}
    if where == "env":
        env["DOCRELAY_TIMEOUT"] = value
    elif where == "profile":
        write(config_path, f"[profiles.default]\ntimeout = {value}\n")
    else:
        overrides["timeout"] = value
    with pytest.raises(ConfigError) as caught:
        resolve_settings("cradl", overrides=overrides, env=env)
    assert caught.value.message.startswith("Invalid timeout")
    assert value in caught.value.message
    assert origin in caught.value.message
    assert "positive number of seconds" in caught.value.full_message


def test_truststore_parsing(config_path: Path, env: dict[str, str]) -> None:
    assert resolve_settings("cradl", env=env).truststore is False
    env["DOCRELAY_TRUSTSTORE"] = "yes"
    assert resolve_settings("cradl", env=env).truststore is True
    write(config_path, "[profiles.default]\ntruststore = true\n")
    assert resolve_settings("cradl", env={"DOCRELAY_CONFIG_FILE": str(config_path)}).truststore is True
    env["DOCRELAY_TRUSTSTORE"] = "maybe"
    with pytest.raises(
        ConfigError, match="Invalid value 'maybe' for truststore from env DOCRELAY_TRUSTSTORE"
    ):
        resolve_settings("cradl", env=env)


def test_ca_bundle_must_exist(tmp_path: Path, config_path: Path, env: dict[str, str]) -> None:
    env["DOCRELAY_CA_BUNDLE"] = str(tmp_path / "missing.pem")
    with pytest.raises(ConfigError) as caught:
        resolve_settings("cradl", env=env)
    assert "missing.pem" in caught.value.message
    assert "env DOCRELAY_CA_BUNDLE" in caught.value.message
    assert "truststore" in caught.value.full_message


def test_relative_ca_bundle_in_profile_is_relative_to_the_file(
    config_path: Path, env: dict[str, str]
) -> None:
    write(config_path, '[profiles.default]\nca_bundle = "corp.pem"\n')
    (config_path.parent / "corp.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    settings = resolve_settings("cradl", env=env)
    assert settings.ca_bundle == str((config_path.parent / "corp.pem").resolve())


def test_unknown_provider_names_source_and_choices(config_path: Path, env: dict[str, str]) -> None:
    env["DOCRELAY_PROVIDER"] = "cradle"
    with pytest.raises(ConfigError) as caught:
        resolve_settings(env=env)
    message = caught.value.full_message
    assert "Unknown provider 'cradle' (from env DOCRELAY_PROVIDER)" in message
    assert "contractfit, cradl, deepopinion, local" in message
    assert caught.value.exit_code == 3

    write(config_path, '[profiles.default]\nprovider = "nope"\n')
    with pytest.raises(ConfigError, match=r"Unknown provider 'nope' \(from profile default"):
        resolve_settings(env={"DOCRELAY_CONFIG_FILE": str(config_path)})


def test_unknown_explicit_setting_lists_valid_ones(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_settings("cradl", overrides={"api_key": "x"}, env=env)
    assert "Unknown setting 'api_key' for provider cradl" in caught.value.message
    valid = "client_id, client_secret, api_url, auth_url, access_token, review_workflow, review_url, timeout"
    assert valid in caught.value.full_message


def test_non_text_values_are_refused(config_path: Path, env: dict[str, str]) -> None:
    write(config_path, "[profiles.default]\nclient_id = true\n")
    with pytest.raises(ConfigError, match=r"client_id from profile default .* must be text"):
        resolve_settings("cradl", env=env)


def test_numbers_become_text(config_path: Path, env: dict[str, str]) -> None:
    write(config_path, "[profiles.default]\nproject = 42\n")
    assert resolve_settings("deepopinion", env=env).values["project"] == "42"


# -- secrets ----------------------------------------------------------------------------------------


def test_keyring_reference_is_resolved_and_registered(
    config_path: Path, env: dict[str, str], file_keyring: FileKeyring
) -> None:
    file_keyring.set_password("corp-vault", "cradl/secret", "s3cr3t-from-keyring")
    write(
        config_path,
        '[profiles.default]\nclient_id = "id"\nclient_secret = "keyring:corp-vault/cradl/secret"\n',
    )
    settings = resolve_settings("cradl", env=env)
    assert settings.values["client_secret"] == "s3cr3t-from-keyring"
    assert settings.origins["client_secret"].endswith("via keyring:corp-vault/cradl/secret")
    assert redact_text("token s3cr3t-from-keyring here") == "token *** here"


def test_keyring_reference_for_a_non_secret_setting_is_masked(
    config_path: Path, env: dict[str, str], file_keyring: FileKeyring
) -> None:
    file_keyring.set_password("docrelay", "default/client_id", "id-from-keyring")
    write(config_path, '[profiles.default]\nclient_id = "keyring:docrelay/default/client_id"\n')
    settings = resolve_settings("cradl", env=env)
    assert "client_id" in settings.secret_names()
    assert settings.shown()["settings"]["client_id"] == "***"


def test_missing_keyring_entry(config_path: Path, env: dict[str, str], file_keyring: FileKeyring) -> None:
    write(config_path, '[profiles.work]\nclient_secret = "keyring:docrelay/work/client_secret"\n')
    with pytest.raises(ConfigError) as caught:
        resolve_settings("cradl", profile="work", env=env)
    message = caught.value.full_message
    assert "client_secret" in message
    assert "keyring:docrelay/work/client_secret" in message
    assert "not in the OS credential store" in message
    assert "docrelay --profile work config set-secret client_secret" in message
    assert "DOCRELAY_CRADL_CLIENT_SECRET" in message


def test_keyring_reference_without_a_backend(
    config_path: Path, env: dict[str, str], no_keyring: None
) -> None:
    write(config_path, '[profiles.default]\nclient_secret = "keyring:docrelay/default/client_secret"\n')
    with pytest.raises(ConfigError) as caught:
        resolve_settings("cradl", env=env)
    message = caught.value.full_message
    assert "no OS credential store is available" in message
    assert "keyring:docrelay/default/client_secret" in message
    assert "DOCRELAY_CRADL_CLIENT_SECRET" in message


def test_references_can_be_shown_without_reading_the_keyring(
    config_path: Path, env: dict[str, str], no_keyring: None
) -> None:
    write(config_path, '[profiles.default]\nclient_secret = "keyring:docrelay/default/client_secret"\n')
    settings = resolve_settings("cradl", env=env, read_keyring=False)
    assert settings.shown()["settings"]["client_secret"] == "keyring:docrelay/default/client_secret"
    assert settings.origins["client_secret"].endswith("via keyring:docrelay/default/client_secret")


def test_malformed_keyring_reference(config_path: Path, env: dict[str, str]) -> None:
    write(config_path, '[profiles.default]\nclient_secret = "keyring:no-slash"\n')
    with pytest.raises(ConfigError, match="Invalid keyring reference"):
        resolve_settings("cradl", env=env)


def test_environment_values_are_never_treated_as_references(env: dict[str, str], no_keyring: None) -> None:
    env["DOCRELAY_CRADL_CLIENT_SECRET"] = "keyring:looks/like-a-reference"
    assert resolve_settings("cradl", env=env).values["client_secret"] == "keyring:looks/like-a-reference"


def test_resolved_secrets_are_registered_for_redaction(env: dict[str, str]) -> None:
    env["DOCRELAY_CRADL_CLIENT_SECRET"] = "env-secret-value-123"
    resolve_settings("cradl", env=env)
    assert "env-secret-value-123" not in redact_text("got env-secret-value-123")


# -- display and requirements -------------------------------------------------------------------------


def test_shown_masks_secrets_and_lists_unset_settings(env: dict[str, str]) -> None:
    env.update(DOCRELAY_CRADL_CLIENT_ID="visible-id", DOCRELAY_CRADL_ACCESS_TOKEN="hidden-token-value")
    settings = resolve_settings("cradl", env=env)
    shown = settings.shown()
    assert shown["settings"] == {
        "client_id": "visible-id",
        "client_secret": None,
        "api_url": "https://api.lucidtech.ai/v1",
        "auth_url": "https://auth.lucidtech.ai/oauth2/token",
        "access_token": "***",
        "review_workflow": None,
        "review_url": None,
    }
    assert shown["origins"]["access_token"] == "env DOCRELAY_CRADL_ACCESS_TOKEN"
    assert shown["provider"] == "cradl"
    assert shown["timeout"] == 300
    assert shown["config_file"] == env["DOCRELAY_CONFIG_FILE"]
    assert "hidden-token-value" not in repr(settings)
    assert "hidden-token-value" not in str(shown)
    assert settings.secret_names() == {"client_secret", "access_token"}


def test_settings_are_read_only(env: dict[str, str]) -> None:
    settings = resolve_settings("cradl", env=env)
    with pytest.raises(TypeError):
        settings.values["client_id"] = "x"  # type: ignore[index]


def test_require_explains_every_way_to_set_a_value(config_path: Path, env: dict[str, str]) -> None:
    write(config_path, '[profiles.work]\nclient_id = "id"\n')
    settings = resolve_settings("cradl", profile="work", env=env)
    assert settings.require("client_id") == "id"
    assert settings.get("client_secret") is None
    assert settings.get("client_secret", "fallback") == "fallback"

    with pytest.raises(ConfigError) as caught:
        settings.require("client_secret", "to get an access token")
    message = caught.value.full_message
    assert "Missing cradl setting client_secret (to get an access token)" in message
    assert "DOCRELAY_CRADL_CLIENT_SECRET" in message
    assert "`docrelay --profile work config set-secret client_secret`" in message
    assert caught.value.exit_code == 3


def test_require_for_a_plain_setting(env: dict[str, str]) -> None:
    settings = resolve_settings("contractfit", env=env)
    with pytest.raises(ConfigError) as caught:
        settings.require("inbox")
    message = caught.value.full_message
    assert "DOCRELAY_CONTRACTFIT_INBOX" in message
    assert "`docrelay config set inbox VALUE`" in message
    assert "[profiles.default]" in message
    assert env["DOCRELAY_CONFIG_FILE"] in message


def test_settings_can_be_built_directly() -> None:
    settings = Settings(provider="cradl", values={"client_id": "x"})
    assert settings.get("client_id") == "x"
    assert settings.timeout == 300


# -- registered providers and their fallbacks ----------------------------------------------------------


def test_registered_provider_declares_its_settings(env: dict[str, str], fake_provider: type) -> None:
    env.update(DOCRELAY_FAKE_TOKEN="fake-token-value", DOCRELAY_FAKE_REGION="eu")
    settings = resolve_settings("fake", env=env)
    assert settings.values["region"] == "eu"
    assert settings.values["token"] == "fake-token-value"
    assert settings.shown()["settings"]["token"] == "***"
    assert "fake-token-value" not in redact_text("x fake-token-value")


def test_fallbacks_come_after_the_profile_and_before_defaults(
    config_path: Path, env: dict[str, str], fake_provider: type[FakeProvider]
) -> None:
    env["FAKE_SDK_TOKEN"] = "sdk-token-value"
    settings = resolve_settings("fake", env=env)
    assert settings.values["endpoint"] == "https://fallback.example"
    assert settings.origins["endpoint"] == "~/.fake/credentials"
    assert settings.origins["token"] == "env FAKE_SDK_TOKEN"
    assert "sdk-token-value" not in redact_text("sdk-token-value")

    write(config_path, '[profiles.default]\nendpoint = "https://profile.example"\n')
    settings = resolve_settings("fake", env=env)
    assert settings.values["endpoint"] == "https://profile.example"
    assert settings.values["token"] == "sdk-token-value"


def test_fallbacks_are_not_consulted_when_nothing_is_missing(
    env: dict[str, str], fake_provider: type[FakeProvider]
) -> None:
    overrides = {"endpoint": "e", "token": "token-value", "region": "r"}
    resolve_settings("fake", overrides=overrides, env=env)
    assert fake_provider.fallback_calls == 0


# -- cost ---------------------------------------------------------------------------------------------


def test_config_file_path_defaults_to_the_user_config_folder() -> None:
    path = config_file_path({})
    assert path.name == "docrelay.toml"
    assert path.parent.name == "docrelay"
    assert config_file_path({"DOCRELAY_CONFIG_FILE": "~/x.toml"}) == Path("~/x.toml").expanduser()


def test_import_is_cheap() -> None:
    code = (
        "import sys, core.config; "
        "print(sorted(m for m in ('keyring', 'requests', 'pydantic', 'tomli_w', 'core.providers.base') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
