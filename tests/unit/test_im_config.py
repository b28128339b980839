"""The [im] table and the [policies.im.<name>] tables: defaults, named policies, and
errors that name the key."""

from __future__ import annotations

import pytest

from uc_signal.config import ConfigError, config_from_dict
from uc_signal.im import ImPolicy
from uc_signal.im.policy import settings_from_config


def test_defaults_give_the_built_in_settings() -> None:
    config = config_from_dict({})
    settings = settings_from_config(config.im, config.policies.im)
    assert settings.max_size == 8192 and settings.factory_user == "chat" and settings.retention_days == 0
    assert settings.policies == () and not settings.filter.block_urls


def test_policies_and_filter_from_toml_tables() -> None:
    config = config_from_dict({"im": {
        "max_size": 2048, "retention_days": 30, "filter_block_urls": ["*://*.bad.test/*"],
        "blocked_extensions": ["exe"]},
        "policies": {"im": {"Global": {"archive": False}, "NoOffline": {"offline": False, "max_size": 100}}}})
    settings = settings_from_config(config.im, config.policies.im)
    assert settings.max_size == 2048 and settings.retention_days == 30.0
    assert settings.filter.block_urls == ("*://*.bad.test/*",) and settings.filter.blocked_extensions == ("exe",)
    assert settings.policies == (ImPolicy("Global", archive=False), ImPolicy("NoOffline", offline=False, max_size=100))


@pytest.mark.parametrize("im, key, reason", [
    ({"max_size": 0}, "im.max_size", "must be a positive integer"),
    ({"retention_days": -1}, "im.retention_days", "must be a number >= 0"),
    ({"factory_user": "a b"}, "im.factory_user", "must be a SIP user name"),
    ({"filter_block_urls": "*x*"}, "im.filter_block_urls", "must be a list of non-empty strings"),
    ({"enabled": "yes"}, "im.enabled", "must be true or false"),
    ({"colour": 1}, "im.colour", "unknown key"),
])
def test_bad_values_name_the_key(im: dict[str, object], key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from_dict({"im": im}, "ucd.toml")
    assert raised.value.key == key and reason in raised.value.reason
    assert str(raised.value).startswith(f"ucd.toml: {key}: ")


@pytest.mark.parametrize("policies, reason", [
    ({"X": {"offline": "no"}}, "X.offline: must be true or false"),
    ({"X": {"max_size": -5}}, "X.max_size: must be a byte count"),
    ({"X": {"colour": 1}}, "X.colour: unknown key"),
    ({"X": 3}, "X: must be a table"),
])
def test_bad_im_policies_name_the_key(policies: dict[str, object], reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from_dict({"policies": {"im": policies}}, "ucd.toml")
    assert raised.value.key == "policies.im" and reason in raised.value.reason
