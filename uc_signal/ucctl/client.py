"""ucctl's side of the admin API: one httpx client, errors turned into one clear line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

TOKEN_FILE = "admin-token"


class CtlError(Exception):
    """What ucctl prints (after "ucctl: ") before exiting 1."""


def find_token(token: str | None, data_dir: str) -> str:
    if token:
        return token
    path = Path(data_dir) / TOKEN_FILE
    try:
        found = path.read_text().strip()
    except FileNotFoundError:
        raise CtlError(f"no admin token: {path} does not exist (run ucctl where ucd keeps its data directory, "
                       "or pass --data-dir, --token or UCD_ADMIN_TOKEN)") from None
    except PermissionError:
        raise CtlError(f"no admin token: cannot read {path} (permission denied)") from None
    if not found:
        raise CtlError(f"no admin token: {path} is empty")
    return found


class AdminClient:
    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"},
                                    timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.ConnectError as error:
            reason = "connection refused" if "refused" in str(error).lower() else str(error) or "cannot connect"
            raise CtlError(f"ucd is not running at {self.url} ({reason})") from None
        except httpx.TimeoutException:
            raise CtlError(f"ucd at {self.url} did not answer in time") from None
        except httpx.HTTPError as error:
            raise CtlError(f"ucd at {self.url}: {error}") from None
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_success:
            return body
        detail = body.get("detail") if isinstance(body, dict) else None
        if response.status_code == 401:
            raise CtlError(f"ucd at {self.url} refused the admin token ({detail or 'unauthorized'})")
        field = body.get("field") if isinstance(body, dict) else None
        if response.status_code == 422 and field and detail and not str(detail).startswith(f"{field}:"):
            detail = f"{field}: {detail}"
        raise CtlError(str(detail or f"HTTP {response.status_code} from {self.url}{path}"))

    # --- the API ----------------------------------------------------------------------------

    def users(self, domain: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "/api/v1/users", params={"domain": domain} if domain else None)

    def user(self, user: str) -> dict[str, Any]:
        return self.request("GET", f"/api/v1/users/{_quote(user)}")

    def add_user(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/api/v1/users", json=body)

    def set_user(self, user: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self.request("PATCH", f"/api/v1/users/{_quote(user)}", json=changes)

    def remove_user(self, user: str) -> None:
        self.request("DELETE", f"/api/v1/users/{_quote(user)}")

    def registrations(self, user: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "/api/v1/registrations", params={"user": user} if user else None)

    def server(self) -> dict[str, Any]:
        return self.request("GET", "/api/v1/server")

    # --- conferencing -----------------------------------------------------------------------

    def meetings(self, organizer: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "/api/v1/meetings", params={"organizer": organizer} if organizer else None)

    def meeting(self, meeting: str) -> dict[str, Any]:
        return self.request("GET", f"/api/v1/meetings/{_quote(meeting)}")

    def add_meeting(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/api/v1/meetings", json=body)

    def set_meeting(self, meeting: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self.request("PATCH", f"/api/v1/meetings/{_quote(meeting)}", json=changes)

    def remove_meeting(self, meeting: str) -> None:
        self.request("DELETE", f"/api/v1/meetings/{_quote(meeting)}")

    def meeting_roster(self, meeting: str) -> dict[str, Any]:
        return self.request("GET", f"/api/v1/meetings/{_quote(meeting)}/roster")

    def meeting_control(self, meeting: str, control: str, participant: str | None = None) -> dict[str, Any]:
        return self.request("POST", f"/api/v1/meetings/{_quote(meeting)}/controls/{_quote(control)}",
                            json={"participant": participant})

    def set_pin(self, user: str, pin: str) -> dict[str, Any]:
        return self.request("PUT", f"/api/v1/users/{_quote(user)}/pin", json={"pin": pin})

    # --- contact lists ----------------------------------------------------------------------

    def contacts(self, user: str) -> dict[str, Any]:
        return self.request("GET", f"/api/v1/users/{_quote(user)}/contacts")

    def add_contact(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/api/v1/users/{_quote(user)}/contacts", json=body)

    def remove_contact(self, user: str, contact: str) -> None:
        self.request("DELETE", f"/api/v1/users/{_quote(user)}/contacts/{_quote(contact)}")

    def contact_groups(self, user: str) -> list[str]:
        return self.request("GET", f"/api/v1/users/{_quote(user)}/contact-groups")

    def add_contact_group(self, user: str, name: str) -> dict[str, Any]:
        return self.request("POST", f"/api/v1/users/{_quote(user)}/contact-groups", json={"name": name})

    def remove_contact_group(self, user: str, name: str) -> None:
        self.request("DELETE", f"/api/v1/users/{_quote(user)}/contact-groups/{quote(name, safe='')}")

    # --- presence ---------------------------------------------------------------------------

    def presence(self, user: str) -> dict[str, Any]:
        return self.request("GET", _presence_path(user))

    def set_relationship(self, user: str, watcher: str, relationship: str) -> dict[str, Any]:
        return self.request("PUT", _presence_path(user, "relationships", watcher), json={"relationship": relationship})

    def clear_relationship(self, user: str, watcher: str) -> None:
        self.request("DELETE", _presence_path(user, "relationships", watcher))

    def relationships(self, user: str) -> list[dict[str, Any]]:
        return self.request("GET", _presence_path(user, "relationships"))

    def presence_settings(self, user: str) -> dict[str, Any]:
        return self.request("GET", _presence_path(user, "settings"))

    def set_presence_settings(self, user: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self.request("PATCH", _presence_path(user, "settings"), json=changes)

    def set_calendar(self, user: str, ics: str) -> dict[str, Any]:
        return self.request("PUT", _presence_path(user, "calendar"), content=ics.encode(),
                            headers={"Content-Type": "text/calendar"})

    # --- instant messaging ------------------------------------------------------------------

    def im_history(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.request("GET", "/api/v1/im/history", params={k: v for k, v in params.items() if v is not None})

    def im_conversations(self, user: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "/api/v1/im/conversations", params={"user": user} if user else None)


def _quote(user: str) -> str:
    return quote(user, safe="@:+~._-")


def _presence_path(user: str, *rest: str) -> str:
    return "/api/v1/presence/" + "/".join(_quote(part) for part in (user, *rest))


def check_running(url: str) -> None:
    """Raise the "ucd is not running" error if nothing answers at `url` (asked before
    complaining about a missing token: no token file usually means no ucd yet)."""
    try:
        httpx.get(url.rstrip("/") + "/healthz", timeout=5.0)
    except httpx.ConnectError as error:
        reason = "connection refused" if "refused" in str(error).lower() else str(error) or "cannot connect"
        raise CtlError(f"ucd is not running at {url.rstrip('/')} ({reason})") from None
    except httpx.HTTPError:
        pass


def default_url() -> str:
    return os.environ.get("UCCTL_URL", "http://127.0.0.1:8080")
