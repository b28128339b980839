"""The C front's HA1 table follows the user directory (CachedUserDirectory.on_credentials
-> challenge_front.set_credentials): an enabled user's HA1s are there, a user disabled,
removed or never added is not (so its REGISTERs pass to Python), a password change
replaces them."""

from __future__ import annotations

from uc_signal.store import CachedUserDirectory
from uc_signal.store.model import UserRecord, credentials_for
from uc_signal.transport.challenge_front import set_credentials
from uc_signal._sipfront import SipFront

SECRET = b"front-credentials-secret-0123456789"


def _record(username: str, password: str = "pw", *, enabled: bool = True) -> UserRecord:
    return UserRecord(username, "example.com", enabled=enabled,
                      credentials=credentials_for(username, "example.com", password))


def test_the_table_follows_puts_disables_and_drops() -> None:
    directory = CachedUserDirectory()
    directory.put(_record("alice"))
    directory.put(_record("carol", enabled=False))
    front = SipFront(SECRET, "sl.")
    calls: list[tuple[str, str, object]] = []

    def follow(username: str, domain: str, credentials: object) -> None:
        calls.append((username, domain, credentials))
        set_credentials(front, username, domain, credentials)  # type: ignore[arg-type]

    for username, domain, credentials in directory.enabled_credentials():
        set_credentials(front, username, domain, credentials)
    assert front.users == 1   # carol is disabled
    directory.on_credentials = follow
    directory.put(_record("bob"))
    assert front.users == 2 and calls[-1] == ("bob", "example.com", credentials_for("bob", "example.com", "pw"))
    directory.put(_record("bob", "new"))   # a password change: dropped, then the new HA1s
    assert calls[-2] == ("bob", "example.com", None) and calls[-1][2] == credentials_for("bob", "example.com", "new")
    directory.put(_record("alice", enabled=False))
    assert front.users == 1 and calls[-1] == ("alice", "example.com", None)
    directory.drop("bob", "example.com")
    assert front.users == 0
    directory.put(_record("carol"))
    assert front.users == 1


def test_a_name_the_table_cannot_hold_is_left_out() -> None:
    front = SipFront(SECRET, "sl.")
    set_credentials(front, "x" * 300, "example.com", {"MD5": "0" * 32})
    assert front.users == 0
