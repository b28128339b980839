"""ucctl, the management shell over ucd's admin API (Typer + rich).

    ucctl user add alice --password SECRET [--display-name "Alice"] [--line-uri tel:+14255550100]
    ucctl user list | show USER | set USER ... | remove USER
    ucctl registrations [--user USER]
    ucctl contacts list USER | add USER CONTACT [--name N] [--group G]... [--relationship R]
                 | remove USER CONTACT | groups list|add|remove USER [NAME]
    ucctl status
    ucctl meeting add ORGANIZER [--subject S] [--start ISO --end ISO] [--presenters P] [--lobby L]
    ucctl meeting list [--organizer USER] | show MEETING | remove MEETING
    ucctl meeting roster|end MEETING | mute MEETING [P] [--unmute] | eject MEETING P | lock MEETING [--unlock]
    ucctl meeting admit MEETING [P] [--deny] | promote MEETING P [--demote]
    ucctl pin set USER [--pin DIGITS]
    ucctl im history [--user U] [--peer P] [--since T] [--until T] | im search TEXT | im conversations

Every command takes --json for machine-readable output. The token comes from --token,
$UCD_ADMIN_TOKEN, or DATA_DIR/admin-token (DATA_DIR: --data-dir, $UCD_DATA_DIR, ./var).
Shell completion: `ucctl --install-completion`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from .client import AdminClient, CtlError, check_running, default_url, find_token

app = typer.Typer(help="Manage a running ucd through its admin API.", no_args_is_help=True)
user_app = typer.Typer(help="Users: add, list, show, set, remove.", no_args_is_help=True)
app.add_typer(user_app, name="user")
meeting_app = typer.Typer(help="Meetings: add, list, show, remove; running meetings: roster and controls.", no_args_is_help=True)
app.add_typer(meeting_app, name="meeting")
pin_app = typer.Typer(help="Leader PINs for dial-in conferencing.", no_args_is_help=True)
app.add_typer(pin_app, name="pin")
contacts_app = typer.Typer(help="A user's contact list (what the user's clients subscribe to).",
                           no_args_is_help=True)
app.add_typer(contacts_app, name="contacts")
groups_app = typer.Typer(help="Groups of a user's contact list.", no_args_is_help=True)
contacts_app.add_typer(groups_app, name="groups")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

JsonOption = typer.Option(False, "--json", help="print JSON instead of a table")


@dataclass
class Settings:
    url: str
    token: Optional[str]
    data_dir: str

    def client(self) -> AdminClient:
        try:
            token = find_token(self.token, self.data_dir)
        except CtlError:
            check_running(self.url)
            raise
        return AdminClient(self.url, token)


@app.callback()
def main(ctx: typer.Context,
         url: str = typer.Option(default_url(), "--url", help="ucd's admin API ($UCCTL_URL)"),
         token: Optional[str] = typer.Option(None, "--token", envvar="UCD_ADMIN_TOKEN",
                                             help="admin bearer token ($UCD_ADMIN_TOKEN)"),
         data_dir: str = typer.Option(os.environ.get("UCD_DATA_DIR", "./var"), "--data-dir",
                                      help="ucd's data directory, where admin-token is ($UCD_DATA_DIR)")) -> None:
    ctx.obj = Settings(url, token, data_dir)


def _run(ctx: typer.Context, action: Any) -> Any:
    settings: Settings = ctx.obj
    try:
        client = settings.client()
        try:
            return action(client)
        finally:
            client.close()
    except CtlError as error:
        err.print(f"ucctl: {error}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


def _policies(values: list[str]) -> dict[str, str]:
    policies = {}
    for value in values:
        kind, eq, name = value.partition("=")
        if not eq or not kind or not name:
            err.print(f"ucctl: --policy {value!r}: write KIND=NAME, e.g. voice=International", markup=False)
            raise typer.Exit(2)
        policies[kind.strip()] = name.strip()
    return policies


def _user_table(users: list[dict[str, Any]]) -> Table:
    table = Table("uri", "display name", "line uri", "enabled", "policies", "digest")
    for column in table.columns:
        column.overflow = "fold"
    for user in users:
        table.add_row(user["uri"], user["display_name"], user["line_uri"] or "", "yes" if user["enabled"] else "no",
                      ", ".join(f"{k}={v}" for k, v in user["policies"].items()),
                      ", ".join(user["digest_algorithms"]))
    return table


def _show_user(user: dict[str, Any]) -> None:
    table = Table(show_header=False, box=None)
    for key in ("uri", "display_name", "line_uri", "enabled", "policies", "digest_algorithms"):
        value = user[key]
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(value)
        table.add_row(key, "" if value is None else str(value))
    out.print(table)


@user_app.command("add")
def user_add(ctx: typer.Context, user: str = typer.Argument(..., help="alice, alice@domain or sip:alice@domain"),
             password: str = typer.Option(..., "--password", "-p", prompt=True, hide_input=True,
                                          confirmation_prompt=True, help="hashed to HA1 by ucd, never stored"),
             display_name: str = typer.Option("", "--display-name", "-n"),
             line_uri: Optional[str] = typer.Option(None, "--line-uri", help="tel:+E.164"),
             disabled: bool = typer.Option(False, "--disabled", help="create the user disabled"),
             policy: list[str] = typer.Option([], "--policy", help="KIND=NAME, repeatable"),
             as_json: bool = JsonOption) -> None:
    """Create a user."""
    body = {"user": user, "password": password, "display_name": display_name, "line_uri": line_uri,
            "enabled": not disabled, "policies": _policies(policy)}
    created = _run(ctx, lambda client: client.add_user(body))
    if as_json:
        _print_json(created)
    else:
        out.print(f"created {created['uri']}", markup=False)


@user_app.command("list")
def user_list(ctx: typer.Context, domain: Optional[str] = typer.Option(None, "--domain"),
              as_json: bool = JsonOption) -> None:
    """List users."""
    users = _run(ctx, lambda client: client.users(domain))
    if as_json:
        _print_json(users)
    elif not users:
        out.print("no users")
    else:
        out.print(_user_table(users))


@user_app.command("show")
def user_show(ctx: typer.Context, user: str, as_json: bool = JsonOption) -> None:
    """Show one user."""
    found = _run(ctx, lambda client: client.user(user))
    if as_json:
        _print_json(found)
    else:
        _show_user(found)


@user_app.command("set")
def user_set(ctx: typer.Context, user: str,
             password: Optional[str] = typer.Option(None, "--password", "-p", help="new password"),
             display_name: Optional[str] = typer.Option(None, "--display-name", "-n"),
             line_uri: Optional[str] = typer.Option(None, "--line-uri", help='tel:+E.164; "" clears it'),
             enabled: Optional[bool] = typer.Option(None, "--enable/--disable"),
             policy: list[str] = typer.Option([], "--policy", help="KIND=NAME, repeatable; replaces all"),
             clear_policies: bool = typer.Option(False, "--clear-policies"),
             as_json: bool = JsonOption) -> None:
    """Change a user's password, display name, line URI, enabled flag or policies."""
    changes: dict[str, Any] = {}
    for name, value in (("password", password), ("display_name", display_name), ("line_uri", line_uri),
                        ("enabled", enabled)):
        if value is not None:
            changes[name] = value
    if policy or clear_policies:
        changes["policies"] = _policies(policy)
    if not changes:
        err.print("ucctl: nothing to change (see ucctl user set --help)")
        raise typer.Exit(2)
    updated = _run(ctx, lambda client: client.set_user(user, changes))
    if as_json:
        _print_json(updated)
    else:
        _show_user(updated)


@user_app.command("remove")
def user_remove(ctx: typer.Context, user: str, as_json: bool = JsonOption) -> None:
    """Delete a user (its HA1 credentials and policies go with it)."""
    _run(ctx, lambda client: client.remove_user(user))
    if as_json:
        _print_json({"removed": user})
    else:
        out.print(f"removed {user}", markup=False)


@app.command("registrations")
def registrations(ctx: typer.Context, user: Optional[str] = typer.Option(None, "--user", "-u"),
                  as_json: bool = JsonOption) -> None:
    """List registered contacts (the registrar's bindings)."""
    found = _run(ctx, lambda client: client.registrations(user))
    if as_json:
        _print_json(found)
        return
    if not found:
        out.print("no registrations")
        return
    table = Table("aor", "contact", "expires in", "transport", "source", "user agent")
    for column in table.columns:
        column.overflow = "fold"   # whole URIs, wrapped, rather than cut with an ellipsis
    for binding in found:
        table.add_row(binding["aor"], binding["contact"], f"{binding['expires_in']} s", binding["transport"],
                      binding["source"], binding["user_agent"])
    out.print(table)


@app.command("status")
def status(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Version, domain, listeners, counts."""
    server = _run(ctx, lambda client: client.server())
    if as_json:
        _print_json(server)
        return
    out.print(f"ucd {server['version']}, domain {server['domain']}"
              f"{' (draining)' if server['draining'] else ''}", markup=False)
    for transport, addresses in server["listening"].items():
        out.print(f"  {transport.lower():4} {', '.join(addresses)}", markup=False)
    out.print(f"  {server['users']} users, {server['registrations']} registrations")


# --- conferencing ---------------------------------------------------------------------------

def _when(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _meeting_table(meetings: list[dict[str, Any]]) -> Table:
    table = Table("meeting", "conference id", "organizer", "kind", "subject", "start", "presenters", "lobby")
    for column in table.columns:
        column.overflow = "fold"
    for meeting in meetings:
        table.add_row(meeting["meeting_id"], meeting["conference_id"], meeting["organizer"], meeting["kind"],
                      meeting["subject"], _when(meeting["start"]), meeting["presenter_policy"],
                      meeting["lobby_policy"])
    return table


def _show_meeting(meeting: dict[str, Any]) -> None:
    table = Table(show_header=False, box=None)
    for key in ("meeting_id", "conference_id", "conference_uri", "organizer", "kind", "subject", "start", "end",
                "expires_at", "presenter_policy", "lobby_policy", "pstn_bypass_lobby", "locked"):
        value = meeting[key]
        if key in ("start", "end", "expires_at"):
            value = _when(value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        table.add_row(key, str(value))
    out.print(table)


@meeting_app.command("add")
def meeting_add(ctx: typer.Context,
                organizer: str = typer.Argument(..., help="alice, alice@domain or sip:alice@domain"),
                subject: str = typer.Option("", "--subject", "-s"),
                start: Optional[str] = typer.Option(None, "--start", help="ISO 8601, e.g. 2026-12-01T15:00Z "
                                                    "(UTC without an offset); with --end: a scheduled meeting"),
                end: Optional[str] = typer.Option(None, "--end", help="ISO 8601"),
                presenters: Optional[str] = typer.Option(None, "--presenters", help="none, company or everyone"),
                lobby: Optional[str] = typer.Option(None, "--lobby",
                                                    help="who waits: nobody, unauthenticated or outside-company"),
                pstn_bypass: Optional[bool] = typer.Option(None, "--pstn-bypass/--no-pstn-bypass",
                                                           help="dial-in callers get in directly"),
                as_json: bool = JsonOption) -> None:
    """Create a meeting: meet-now without --start/--end, scheduled with them."""
    body: dict[str, Any] = {"organizer": organizer, "subject": subject}
    for name, value in (("start", start), ("end", end), ("presenter_policy", presenters),
                        ("lobby_policy", lobby), ("pstn_bypass_lobby", pstn_bypass)):
        if value is not None:
            body[name] = value
    created = _run(ctx, lambda client: client.add_meeting(body))
    if as_json:
        _print_json(created)
    else:
        out.print(f"created meeting {created['meeting_id']} (conference ID {created['conference_id']})",
                  markup=False)
        out.print(f"  {created['conference_uri']}", markup=False, soft_wrap=True)


@meeting_app.command("list")
def meeting_list(ctx: typer.Context, organizer: Optional[str] = typer.Option(None, "--organizer", "-o"),
                 as_json: bool = JsonOption) -> None:
    """List meetings that have not expired."""
    meetings = _run(ctx, lambda client: client.meetings(organizer))
    if as_json:
        _print_json(meetings)
    elif not meetings:
        out.print("no meetings")
    else:
        out.print(_meeting_table(meetings))


@meeting_app.command("show")
def meeting_show(ctx: typer.Context, meeting: str = typer.Argument(..., help="meeting ID, conference ID or URI"),
                 as_json: bool = JsonOption) -> None:
    """Show one meeting."""
    found = _run(ctx, lambda client: client.meeting(meeting))
    if as_json:
        _print_json(found)
    else:
        _show_meeting(found)


@meeting_app.command("remove")
def meeting_remove(ctx: typer.Context, meeting: str = typer.Argument(..., help="meeting ID or conference ID"),
                   as_json: bool = JsonOption) -> None:
    """Delete a meeting."""
    _run(ctx, lambda client: client.remove_meeting(meeting))
    if as_json:
        _print_json({"removed": meeting})
    else:
        out.print(f"removed meeting {meeting}", markup=False)


def _control(ctx: typer.Context, meeting: str, control: str, participant: str | None, as_json: bool) -> None:
    result = _run(ctx, lambda client: client.meeting_control(meeting, control, participant))
    if as_json:
        _print_json(result)
    else:
        out.print(f"{control}{' ' + participant if participant else ''}: done in meeting {meeting}", markup=False)


@meeting_app.command("roster")
def meeting_roster(ctx: typer.Context, meeting: str = typer.Argument(..., help="conference ID or meeting ID"),
                   as_json: bool = JsonOption) -> None:
    """Who is in a running meeting: roles, lobby, mute, active speakers."""
    roster = _run(ctx, lambda client: client.meeting_roster(meeting))
    if as_json:
        _print_json(roster)
        return
    out.print(f"meeting {roster['conference_id']}  locked={roster['locked']}  "
              f"audience muted={roster['audience_muted']}  speakers={', '.join(roster['speakers']) or '-'}",
              markup=False)
    table = Table("participant", "role", "state", "muted", "endpoints")
    for person in roster["participants"]:
        table.add_row(person["entity"], person["role"], person["state"], "yes" if person["muted"] else "no",
                      " ".join(person["endpoints"]))
    out.print(table)


@meeting_app.command("mute")
def meeting_mute(ctx: typer.Context, meeting: str = typer.Argument(..., help="conference ID or meeting ID"),
                 participant: Optional[str] = typer.Argument(None, help="sip:bob@domain or p3; none: the audience"),
                 unmute: bool = typer.Option(False, "--unmute"), as_json: bool = JsonOption) -> None:
    """Mute (or --unmute) a participant, or without one the audience (attendees)."""
    if participant is None:
        _control(ctx, meeting, "audience-unmute" if unmute else "audience-mute", None, as_json)
    else:
        _control(ctx, meeting, "unmute" if unmute else "mute", participant, as_json)


@meeting_app.command("eject")
def meeting_eject(ctx: typer.Context, meeting: str = typer.Argument(...),
                  participant: str = typer.Argument(..., help="sip:bob@domain or p3"),
                  as_json: bool = JsonOption) -> None:
    """Remove a participant (the focus sends BYE)."""
    _control(ctx, meeting, "eject", participant, as_json)


@meeting_app.command("lock")
def meeting_lock(ctx: typer.Context, meeting: str = typer.Argument(...), unlock: bool = typer.Option(False, "--unlock"),
                 as_json: bool = JsonOption) -> None:
    """Lock (or --unlock) a meeting: new joiners wait in the lobby."""
    _control(ctx, meeting, "unlock" if unlock else "lock", None, as_json)


@meeting_app.command("admit")
def meeting_admit(ctx: typer.Context, meeting: str = typer.Argument(...),
                  participant: Optional[str] = typer.Argument(None, help="sip:guest@domain or p3; none: everyone"),
                  deny: bool = typer.Option(False, "--deny", help="send them away instead"),
                  as_json: bool = JsonOption) -> None:
    """Admit a participant from the lobby (everyone without one), or --deny them."""
    if participant is None:
        if deny:
            raise typer.BadParameter("--deny needs a participant")
        _control(ctx, meeting, "admit-all", None, as_json)
    else:
        _control(ctx, meeting, "deny" if deny else "admit", participant, as_json)


@meeting_app.command("promote")
def meeting_promote(ctx: typer.Context, meeting: str = typer.Argument(...), participant: str = typer.Argument(...),
                    demote: bool = typer.Option(False, "--demote"), as_json: bool = JsonOption) -> None:
    """Make a participant a presenter (or --demote to attendee)."""
    _control(ctx, meeting, "demote" if demote else "promote", participant, as_json)


@meeting_app.command("end")
def meeting_end(ctx: typer.Context, meeting: str = typer.Argument(...), as_json: bool = JsonOption) -> None:
    """End a running meeting: every participant gets BYE."""
    _control(ctx, meeting, "end", None, as_json)


@pin_app.command("set")
def pin_set(ctx: typer.Context, user: str = typer.Argument(..., help="alice, alice@domain or sip:alice@domain"),
            pin: str = typer.Option(..., "--pin", prompt=True, hide_input=True, confirmation_prompt=True,
                                    help="digits; hashed by ucd, never stored"),
            as_json: bool = JsonOption) -> None:
    """Set a user's leader PIN (checked against the PIN policy; clears a lockout)."""
    result = _run(ctx, lambda client: client.set_pin(user, pin))
    if as_json:
        _print_json(result)
    else:
        out.print(f"PIN set for {result['user']}", markup=False)


@contacts_app.command("list")
def contacts_list(ctx: typer.Context, user: str = typer.Argument(..., help="alice, alice@domain or sip:alice@domain"),
                  as_json: bool = JsonOption) -> None:
    """List a user's contacts and groups."""
    found = _run(ctx, lambda client: client.contacts(user))
    if as_json:
        _print_json(found)
        return
    out.print(f"{found['owner']}: {len(found['contacts'])} of {found['max_contacts']} contacts "
              f"(policy {found['policy']}); subscribe to {found['list_uri']}", markup=False)
    if found["contacts"]:
        table = Table("uri", "display name", "groups", "relationship")
        for column in table.columns:
            column.overflow = "fold"
        for contact in found["contacts"]:
            table.add_row(contact["uri"], contact["display_name"], ", ".join(contact["groups"]),
                          contact["relationship"] or "")
        out.print(table)
    if found["groups"]:
        out.print("groups: " + ", ".join(found["groups"]), markup=False)


@contacts_app.command("add")
def contacts_add(ctx: typer.Context, user: str = typer.Argument(..., help="the list's owner"),
                 contact: str = typer.Argument(..., help="bob, bob@domain or sip:bob@domain"),
                 name: str = typer.Option("", "--name", "-n", help="display name"),
                 group: list[str] = typer.Option([], "--group", "-g", help="group name, repeatable (made if new)"),
                 relationship: Optional[str] = typer.Option(
                     None, "--relationship", "-r",
                     help="friends-and-family, workgroup, colleague, external or blocked"),
                 as_json: bool = JsonOption) -> None:
    """Add a contact to a user's list."""
    body = {"uri": contact, "display_name": name, "groups": group, "relationship": relationship}
    added = _run(ctx, lambda client: client.add_contact(user, body))
    if as_json:
        _print_json(added)
    else:
        out.print(f"added {added['uri']} to the contacts of {user}", markup=False)


@contacts_app.command("remove")
def contacts_remove(ctx: typer.Context, user: str, contact: str, as_json: bool = JsonOption) -> None:
    """Remove a contact from a user's list."""
    _run(ctx, lambda client: client.remove_contact(user, contact))
    if as_json:
        _print_json({"removed": contact, "user": user})
    else:
        out.print(f"removed {contact} from the contacts of {user}", markup=False)


@groups_app.command("list")
def groups_list(ctx: typer.Context, user: str, as_json: bool = JsonOption) -> None:
    """List the groups of a user's contact list."""
    found = _run(ctx, lambda client: client.contact_groups(user))
    if as_json:
        _print_json(found)
    elif not found:
        out.print("no groups")
    else:
        for name in found:
            out.print(name, markup=False)


@groups_app.command("add")
def groups_add(ctx: typer.Context, user: str, name: str, as_json: bool = JsonOption) -> None:
    """Add an (empty) group to a user's contact list."""
    found = _run(ctx, lambda client: client.add_contact_group(user, name))
    if as_json:
        _print_json(found["groups"])
    else:
        out.print(f"added group {name!r} to the contacts of {user}", markup=False)


@groups_app.command("remove")
def groups_remove(ctx: typer.Context, user: str, name: str, as_json: bool = JsonOption) -> None:
    """Remove a group (its contacts stay in the list)."""
    _run(ctx, lambda client: client.remove_contact_group(user, name))
    if as_json:
        _print_json({"removed": name, "user": user})
    else:
        out.print(f"removed group {name!r} from the contacts of {user}", markup=False)

# --- presence ---------------------------------------------------------------------------------

presence_app = typer.Typer(help="Presence: state, privacy relationships, settings, calendar.", no_args_is_help=True)
relationship_app = typer.Typer(help="Privacy relationships: what a watcher sees of a user.", no_args_is_help=True)
presence_app.add_typer(relationship_app, name="relationship")
app.add_typer(presence_app, name="presence")


def _presence_path(user: str, *rest: str) -> str:
    from .client import _quote
    return "/api/v1/presence/" + "/".join(_quote(part) for part in (user, *rest))


@presence_app.command("show")
def presence_show(ctx: typer.Context, user: str, as_json: bool = JsonOption) -> None:
    """A user's aggregated presence now."""
    found = _run(ctx, lambda client: client.request("GET", _presence_path(user)))
    if as_json:
        _print_json(found)
        return
    out.print(f"{found['aor']}: {found['state']} ({found['lync_availability']}), "
              f"{found['endpoints']} endpoint(s)" + (f", note {found['note']!r}" if found["note"] else ""),
              markup=False)


@relationship_app.command("set")
def relationship_set(ctx: typer.Context, user: str, watcher: str,
                     relationship: str = typer.Argument(..., help="friends-and-family, workgroup, colleague, "
                                                                  "external or blocked"),
                     as_json: bool = JsonOption) -> None:
    """Set what WATCHER is to USER (what WATCHER may see of USER's presence)."""
    result = _run(ctx, lambda client: client.request("PUT", _presence_path(user, "relationships", watcher),
                                                     json={"relationship": relationship}))
    if as_json:
        _print_json(result)
    else:
        out.print(f"{result['watcher']} is {result['relationship']} to {result['presentity']}", markup=False)


@relationship_app.command("clear")
def relationship_clear(ctx: typer.Context, user: str, watcher: str, as_json: bool = JsonOption) -> None:
    """Back to the default (Colleague inside the domain, External Contact outside)."""
    _run(ctx, lambda client: client.request("DELETE", _presence_path(user, "relationships", watcher)))
    if as_json:
        _print_json({"cleared": watcher})
    else:
        out.print(f"cleared {watcher}", markup=False)


@relationship_app.command("list")
def relationship_list(ctx: typer.Context, user: str, as_json: bool = JsonOption) -> None:
    """The relationships USER has set."""
    found = _run(ctx, lambda client: client.request("GET", _presence_path(user, "relationships")))
    if as_json:
        _print_json(found)
        return
    if not found:
        out.print("no relationships set")
        return
    table = Table("watcher", "relationship")
    for row in found:
        table.add_row(row["watcher"], row["relationship"])
    out.print(table)


@presence_app.command("settings")
def presence_settings(ctx: typer.Context, user: str,
                      privacy_mode: Optional[bool] = typer.Option(None, "--privacy-mode/--no-privacy-mode"),
                      authorization: Optional[str] = typer.Option(None, "--authorization", help="open or confirm"),
                      title: Optional[str] = typer.Option(None, "--title"),
                      email: Optional[str] = typer.Option(None, "--email"),
                      office: Optional[str] = typer.Option(None, "--office"),
                      work_phone: Optional[str] = typer.Option(None, "--work-phone"),
                      mobile_phone: Optional[str] = typer.Option(None, "--mobile-phone"),
                      home_phone: Optional[str] = typer.Option(None, "--home-phone"),
                      as_json: bool = JsonOption) -> None:
    """Show, or change, a user's privacy mode, watcher authorization and contact card."""
    card = {name: value for name, value in (("title", title), ("email", email), ("office", office),
                                            ("work_phone", work_phone), ("mobile_phone", mobile_phone),
                                            ("home_phone", home_phone)) if value is not None}
    body: dict[str, Any] = {}
    if privacy_mode is not None:
        body["privacy_mode"] = privacy_mode
    if authorization is not None:
        body["authorization"] = authorization
    if card:
        body["card"] = card
    path = _presence_path(user, "settings")
    found = _run(ctx, lambda client: client.request("PATCH", path, json=body) if body
                 else client.request("GET", path))
    if as_json:
        _print_json(found)
        return
    table = Table(show_header=False, box=None)
    table.add_row("aor", found["aor"])
    table.add_row("privacy mode", "on" if found["privacy_mode"] else "off")
    table.add_row("authorization", found["authorization"])
    for name, value in found["card"].items():
        if value:
            table.add_row(name, value)
    table.add_row("calendar", f"{found['calendar_intervals']} busy interval(s)")
    out.print(table)


@presence_app.command("calendar")
def presence_calendar(ctx: typer.Context, user: str,
                      ics: typer.FileText = typer.Argument(..., help="an iCalendar file (VFREEBUSY or VEVENTs)"),
                      as_json: bool = JsonOption) -> None:
    """Import a user's free/busy (In a Meeting while busy)."""
    text = ics.read()
    found = _run(ctx, lambda client: client.request("PUT", _presence_path(user, "calendar"), content=text.encode(),
                                                    headers={"Content-Type": "text/calendar"}))
    if as_json:
        _print_json(found)
    else:
        out.print(f"{found['aor']}: {found['calendar_intervals']} busy interval(s)", markup=False)


def run() -> None:
    app(prog_name="ucctl")


# --- instant messaging --------------------------------------------------------------------------

im_app = typer.Typer(help="Instant messaging: the conversation history and the conversations.",
                     no_args_is_help=True)
app.add_typer(im_app, name="im")


def _time_option(value: Optional[str], option: str) -> Optional[float]:
    """Unix seconds, or an ISO 8601 date/time (UTC unless it names an offset)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        err.print(f"ucctl: {option} {value!r}: write Unix seconds or an ISO date such as 2026-11-26T09:00",
                  markup=False)
        raise typer.Exit(2) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _print_history(entries: list[dict[str, Any]]) -> None:
    from datetime import datetime, timezone
    if not entries:
        out.print("no messages")
        return
    table = Table("delivered (UTC)", "from", "to", "conversation", "text")
    for column in table.columns:
        column.overflow = "fold"
    for entry in entries:
        when = datetime.fromtimestamp(entry["delivered_at"], timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(when, entry["sender"], entry["recipient"], entry["conversation"] or "", entry["text"])
    out.print(table)


def _history(ctx: typer.Context, params: dict[str, Any], as_json: bool) -> None:
    entries = _run(ctx, lambda client: client.im_history(params))
    if as_json:
        _print_json(entries)
    else:
        _print_history(entries)


@im_app.command("history")
def im_history(ctx: typer.Context, user: Optional[str] = typer.Option(None, "--user", "-u", help="either side"),
               peer: Optional[str] = typer.Option(None, "--peer", help="the other side, or a conversation URI"),
               since: Optional[str] = typer.Option(None, "--since", help="Unix seconds or ISO date/time"),
               until: Optional[str] = typer.Option(None, "--until", help="Unix seconds or ISO date/time"),
               limit: int = typer.Option(100, "--limit", min=1, max=1000, help="the newest this many"),
               as_json: bool = JsonOption) -> None:
    """List archived instant messages, oldest first."""
    _history(ctx, {"user": user, "peer": peer, "since": _time_option(since, "--since"), "until": _time_option(until, "--until"),
                   "limit": limit}, as_json)


@im_app.command("search")
def im_search(ctx: typer.Context, text: str = typer.Argument(..., help="case-blind substring of the text"),
              user: Optional[str] = typer.Option(None, "--user", "-u", help="either side"),
              peer: Optional[str] = typer.Option(None, "--peer", help="the other side, or a conversation URI"),
              since: Optional[str] = typer.Option(None, "--since", help="Unix seconds or ISO date/time"),
              until: Optional[str] = typer.Option(None, "--until", help="Unix seconds or ISO date/time"),
              limit: int = typer.Option(100, "--limit", min=1, max=1000),
              as_json: bool = JsonOption) -> None:
    """Search the archived instant messages for TEXT."""
    _history(ctx, {"text": text, "user": user, "peer": peer, "since": _time_option(since, "--since"),
                   "until": _time_option(until, "--until"), "limit": limit}, as_json)


@im_app.command("conversations")
def im_conversations(ctx: typer.Context, user: Optional[str] = typer.Option(None, "--user", "-u"),
                     as_json: bool = JsonOption) -> None:
    """List multiparty conversations and their participants."""
    found = _run(ctx, lambda client: client.im_conversations(user))
    if as_json:
        _print_json(found)
        return
    if not found:
        out.print("no conversations")
        return
    table = Table("uri", "created by", "participants")
    for column in table.columns:
        column.overflow = "fold"
    for conversation in found:
        table.add_row(conversation["uri"], conversation["created_by"], ", ".join(conversation["participants"]))
    out.print(table)
