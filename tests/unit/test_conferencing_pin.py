"""Leader PINs: the policy (length, patterns, own numbers) and hashing."""

from __future__ import annotations

import pytest

from uc_signal.conferencing.pin import PinPolicy, WeakPinError, check_pin, hash_pin, numbers_of, verify_pin

POLICY = PinPolicy()


def test_defaults_follow_lync():
    assert (POLICY.min_length, POLICY.max_attempts, POLICY.allow_common_patterns) == (5, 5, False)


@pytest.mark.parametrize("pin", ["80417", "135792", "2580", "00010"])
def test_good_pins(pin):
    policy = PinPolicy(min_length=4)
    assert check_pin(pin, policy) == pin


@pytest.mark.parametrize("pin, reason", [
    ("8041", "at least 5"),
    ("1" * 25, "at most 24"),
    ("12a45", "digits only"),
    ("", "digits only"),
    ("８０４１７", "digits only"),          # full-width digits are not keypad digits
    ("55555", "repeat one digit"),
    ("12345", "ascending"),
    ("78901", "ascending"),                  # runs wrap past 9
    ("98765", "descending"),
    ("21098", "descending"),
])
def test_weak_pins(pin, reason):
    with pytest.raises(WeakPinError, match=reason):
        check_pin(pin, POLICY)


@pytest.mark.parametrize("pin", ["50100", "55501", "00100"])
def test_own_number_and_extension_are_refused(pin):
    with pytest.raises(WeakPinError, match="phone number or extension"):
        check_pin(pin, POLICY, numbers_of("tel:+14255550100;ext=100"))


def test_common_patterns_allowed_by_policy():
    assert check_pin("11111", PinPolicy(allow_common_patterns=True)) == "11111"
    with pytest.raises(WeakPinError, match="at least"):
        check_pin("1111", PinPolicy(allow_common_patterns=True))


@pytest.mark.parametrize("kwargs", [{"min_length": 3}, {"min_length": 25}, {"max_attempts": 0}])
def test_bad_policies(kwargs):
    with pytest.raises(ValueError):
        PinPolicy(**kwargs)


def test_numbers_of_a_line_uri():
    assert numbers_of("tel:+14255550100;ext=100") == ("+14255550100", "100")
    assert numbers_of("tel:+14255550100") == ("+14255550100",)
    assert numbers_of(None) == ()


def test_hash_is_salted_and_verifies():
    first, second = hash_pin("80417"), hash_pin("80417")
    assert first != second and "80417" not in first
    assert first.startswith("scrypt$16384$8$1$")
    assert verify_pin("80417", first) and verify_pin("80417", second)
    assert not verify_pin("80418", first)


@pytest.mark.parametrize("stored", ["", "scrypt$x", "bcrypt$1$2$3$AAAA$AAAA", "scrypt$16384$8$1$!!$AAAA"])
def test_verify_against_garbage_is_false(stored):
    assert verify_pin("80417", stored) is False
