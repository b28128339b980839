"""ucctl, the management shell over ucd's admin API (Typer + rich).

    ucctl user add alice --password SECRET [--display-name "Alice"] [--line-uri tel:+14255550100]
    ucctl user list | show USER | set USER ... | remove USER
    ucctl registrations [--user USER]
    ucctl contacts list USER | add USER CONTACT [--name N] [--group G]... [--relationship R]
                 | remove USER CONTACT | groups list|add|remove USER [NAME]
    ucctl status
    ucctl meeting add ORGANIZER [--subject S] [--start ISO --end ISO] [--presenters P] [--lobby L]
    ucctl meeting list [--organizer USER] | show MEETING | remove MEETING
    ucctl meeting set MEETING [--subject S] [--lobby L] [--presenters P] [--expires ISO] [--end ISO]
                              [--pstn-bypass/--no-pstn-bypass]
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
from typing import Any, Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

from .client import AdminClient, CtlError, check_running, default_url, find_token

app = typer.Typer(help="Manage a running ucd through its admin API.", no_args_is_help=True)
user_app = typer.Typer(help="Users: add, list, show, set, remove.", no_args_is_help=True)
app.add_typer(user_app, name="user")
meeting_app = typer.Typer(help="Meetings: add, list, show, set, remove; running meetings: roster and controls.", no_args_is_help=True)
app.add_typer(meeting_app, name="meeting")
pin_app = typer.Typer(help="Leader PINs for dial-in conferencing.", no_args_is_help=True)
app.add_typer(pin_app, name="pin")
contacts_app = typer.Typer(help="A user's contact list (what the user's clients subscribe to).",
                           no_args_is_help=True)
app.add_typer(contacts_app, name="contacts")
groups_app = typer.Typer(help="Groups of a user's contact list.", no_args_is_help=True)
contacts_app.add_typer(groups_app, name="groups")

# No markup: what ucctl prints is data (display names, IM text) in which "[b]" is text, and a
# stray "[/b]" would otherwise stop the command with a MarkupError.
out = Console(highlight=False, markup=False)
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


def _answer(ctx: typer.Context, as_json: bool, call: Callable[[AdminClient], Any], show: Callable[[Any], None],
            data: Optional[Callable[[Any], Any]] = None) -> None:
    """What every command does: call the API (an error is one line on stderr, exit 1), then print
    the answer as text with `show`, or with --json `data(answer)` (by default the answer itself)."""
    settings: Settings = ctx.obj
    try:
        client = settings.client()
        try:
            answer = call(client)
        finally:
            client.close()
    except CtlError as error:
        err.print(f"ucctl: {error}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if as_json:
        _print_json(answer if data is None else data(answer))
    else:
        show(answer)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


def _say(text: str) -> None:
    out.print(text, markup=False)


def _table_or(empty: str, table: Callable[[list[Any]], Table]) -> Callable[[list[Any]], None]:
    """Text for a list answer: its table, or `empty` when there is nothing."""
    return lambda rows: out.print(table(rows)) if rows else _say(empty)


def _folding_table(*headers: str) -> Table:
    """A table that wraps whole values (URIs) rather than cutting them with an ellipsis."""
    table = Table(*headers)
    for column in table.columns:
        column.overflow = "fold"
    return table


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
    table = _folding_table("uri", "display name", "line uri", "enabled", "policies", "digest")
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
    _answer(ctx, as_json, lambda client: client.add_user(body), lambda created: _say(f"created {created['uri']}"))


@user_app.command("list")
def user_list(ctx: typer.Context, domain: Optional[str] = typer.Option(None, "--domain"),
              as_json: bool = JsonOption) -> None:
    """List users."""
    _answer(ctx, as_json, lambda client: client.users(domain), _table_or("no users", _user_table))


@user_app.command("show")
def user_show(ctx: typer.Context, user: str, as_json: bool = JsonOption) -> None:
    """Show one user."""
    _answer(ctx, as_json, lambda client: client.user(user), _show_user)


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
    _answer(ctx, as_json, lambda client: client.set_user(user, changes), _show_user)


@user_app.command("remove")
def user_remove(ctx: typer.Context, user: str, as_json: bool = JsonOption) -> None:
    """Delete a user (its HA1 credentials and policies go with it)."""
    _answer(ctx, as_json, lambda client: client.remove_user(user), lambda _: _say(f"removed {user}"),
            data=lambda _: {"removed": user})


def _registrations_table(bindings: list[dict[str, Any]]) -> Table:
    table = _folding_table("aor", "contact", "expires in", "transport", "source", "user agent")
    for binding in bindings:
        table.add_row(binding["aor"], binding["contact"], f"{binding['expires_in']} s", binding["transport"],
                      binding["source"], binding["user_agent"])
    return table


@app.command("registrations")
def registrations(ctx: typer.Context, user: Optional[str] = typer.Option(None, "--user", "-u"),
                  as_json: bool = JsonOption) -> None:
    """List registered contacts (the registrar's bindings)."""
    _answer(ctx, as_json, lambda client: client.registrations(user),
            _table_or("no registrations", _registrations_table))


def _show_status(server: dict[str, Any]) -> None:
    _say(f"ucd {server['version']}, domain {server['domain']}{' (draining)' if server['draining'] else ''}")
    for transport, addresses in server["listening"].items():
        _say(f"  {transport.lower():4} {', '.join(addresses)}")
    _say(f"  {server['users']} users, {server['registrations']} registrations")


@app.command("status")
def status(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Version, domain, listeners, counts."""
    _answer(ctx, as_json, lambda client: client.server(), _show_status)


# --- conferencing ---------------------------------------------------------------------------

def _when(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _meeting_table(meetings: list[dict[str, Any]]) -> Table:
    table = _folding_table("meeting", "conference id", "organizer", "kind", "subject", "start", "presenters", "lobby")
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


def _show_created_meeting(created: dict[str, Any]) -> None:
    _say(f"created meeting {created['meeting_id']} (conference ID {created['conference_id']})")
    out.print(f"  {created['conference_uri']}", markup=False, soft_wrap=True)


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
    _answer(ctx, as_json, lambda client: client.add_meeting(body), _show_created_meeting)


@meeting_app.command("list")
def meeting_list(ctx: typer.Context, organizer: Optional[str] = typer.Option(None, "--organizer", "-o"),
                 as_json: bool = JsonOption) -> None:
    """List meetings that have not expired."""
    _answer(ctx, as_json, lambda client: client.meetings(organizer),
            _table_or("no meetings", _meeting_table))


@meeting_app.command("show")
def meeting_show(ctx: typer.Context, meeting: str = typer.Argument(..., help="meeting ID, conference ID or URI"),
                 as_json: bool = JsonOption) -> None:
    """Show one meeting."""
    _answer(ctx, as_json, lambda client: client.meeting(meeting), _show_meeting)


@meeting_app.command("set")
def meeting_set(ctx: typer.Context, meeting: str = typer.Argument(..., help="meeting ID, conference ID or URI"),
                subject: Optional[str] = typer.Option(None, "--subject", "-s"),
                lobby: Optional[str] = typer.Option(None, "--lobby",
                                                    help="who waits: nobody, unauthenticated or outside-company"),
                presenters: Optional[str] = typer.Option(None, "--presenters", help="none, company or everyone"),
                expires: Optional[str] = typer.Option(None, "--expires", help="ISO 8601 (UTC without an offset): "
                                                      "when the meeting is gone; after its end"),
                end: Optional[str] = typer.Option(None, "--end", help="ISO 8601: a scheduled meeting's new end "
                                                  "(its expiry moves with it unless --expires is given)"),
                pstn_bypass: Optional[bool] = typer.Option(None, "--pstn-bypass/--no-pstn-bypass",
                                                           help="dial-in callers get in directly"),
                as_json: bool = JsonOption) -> None:
    """Change a meeting's subject, policies, end or expiry (a running meeting's next joiners see it)."""
    changes: dict[str, Any] = {}
    for name, value in (("subject", subject), ("lobby_policy", lobby), ("presenter_policy", presenters),
                        ("expires_at", expires), ("end", end), ("pstn_bypass_lobby", pstn_bypass)):
        if value is not None:
            changes[name] = value
    if not changes:
        err.print("ucctl: nothing to change (see ucctl meeting set --help)")
        raise typer.Exit(2)
    _answer(ctx, as_json, lambda client: client.set_meeting(meeting, changes), _show_meeting)


@meeting_app.command("remove")
def meeting_remove(ctx: typer.Context, meeting: str = typer.Argument(..., help="meeting ID or conference ID"),
                   as_json: bool = JsonOption) -> None:
    """Delete a meeting."""
    _answer(ctx, as_json, lambda client: client.remove_meeting(meeting), lambda _: _say(f"removed meeting {meeting}"),
            data=lambda _: {"removed": meeting})


def _control(ctx: typer.Context, meeting: str, control: str, participant: str | None, as_json: bool) -> None:
    _answer(ctx, as_json, lambda client: client.meeting_control(meeting, control, participant),
            lambda _: _say(f"{control}{' ' + participant if participant else ''}: done in meeting {meeting}"))


def _show_roster(roster: dict[str, Any]) -> None:
    _say(f"meeting {roster['conference_id']}  locked={roster['locked']}  "
         f"audience muted={roster['audience_muted']}  speakers={', '.join(roster['speakers']) or '-'}")
    table = Table("participant", "role", "state", "muted", "endpoints")
    for person in roster["participants"]:
        table.add_row(person["entity"], person["role"], person["state"], "yes" if person["muted"] else "no",
                      " ".join(person["endpoints"]))
    out.print(table)


@meeting_app.command("roster")
def meeting_roster(ctx: typer.Context, meeting: str = typer.Argument(..., help="conference ID or meeting ID"),
                   as_json: bool = JsonOption) -> None:
    """Who is in a running meeting: roles, lobby, mute, active speakers."""
    _answer(ctx, as_json, lambda client: client.meeting_roster(meeting), _show_roster)


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
    _answer(ctx, as_json, lambda client: client.set_pin(user, pin),
            lambda result: _say(f"PIN set for {result['user']}"))


def _show_contacts(found: dict[str, Any]) -> None:
    _say(f"{found['owner']}: {len(found['contacts'])} of {found['max_contacts']} contacts "
         f"(policy {found['policy']}); subscribe to {found['list_uri']}")
    if found["contacts"]:
        table = _folding_table("uri", "display name", "groups", "relationship")
        for contact in found["contacts"]:
            table.add_row(contact["uri"], contact["display_name"], ", ".join(contact["groups"]),
                          contact["relationship"] or "")
        out.print(table)
    if found["groups"]:
        _say("groups: " + ", ".join(found["groups"]))


@contacts_app.command("list")
def contacts_list(ctx: typer.Context, user: str = typer.Argument(..., help="alice, alice@domain or sip:alice@domain"),
                  as_json: bool = JsonOption) -> None:
    """List a user's contacts and groups."""
    _answer(ctx, as_json, lambda client: client.contacts(user), _show_contacts)


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
    _answer(ctx, as_json, lambda client: client.add_contact(user, body),
            lambda added: _say(f"added {added['uri']} to the contacts of {user}"))


@contacts_app.command("remove")
def contacts_remove(ctx: typer.Context, user: str, contact: str, as_json: bool = JsonOption) -> None:
    """Remove a contact from a user's list."""
    _answer(ctx, as_json, lambda client: client.remove_contact(user, contact),
            lambda _: _say(f"removed {contact} from the contacts of {user}"),
            data=lambda _: {"removed": contact, "user": user})


def _show_group_names(names: list[str]) -> None:
    if not names:
        _say("no groups")
    for name in names:
        _say(name)


@groups_app.command("list")
def groups_list(ctx: typer.Context, user: str, as_json: bool = JsonOption) -> None:
    """List the groups of a user's contact list."""
    _answer(ctx, as_json, lambda client: client.contact_groups(user), _show_group_names)


@groups_app.command("add")
def groups_add(ctx: typer.Context, user: str, name: str, as_json: bool = JsonOption) -> None:
    """Add an (empty) group to a user's contact list."""
    _answer(ctx, as_json, lambda client: client.add_contact_group(user, name),
            lambda _: _say(f"added group {name!r} to the contacts of {user}"), data=lambda found: found["groups"])


@groups_app.command("remove")
def groups_remove(ctx: typer.Context, user: str, name: str, as_json: bool = JsonOption) -> None:
    """Remove a group (its contacts stay in the list)."""
    _answer(ctx, as_json, lambda client: client.remove_contact_group(user, name),
            lambda _: _say(f"removed group {name!r} from the contacts of {user}"),
            data=lambda _: {"removed": name, "user": user})

# --- presence ---------------------------------------------------------------------------------

presence_app = typer.Typer(help="Presence: state, privacy relationships, settings, calendar.", no_args_is_help=True)
relationship_app = typer.Typer(help="Privacy relationships: what a watcher sees of a user.", no_args_is_help=True)
presence_app.add_typer(relationship_app, name="relationship")
app.add_typer(presence_app, name="presence")


def _show_presence(found: dict[str, Any]) -> None:
    _say(f"{found['aor']}: {found['state']} ({found['lync_availability']}), "
         f"{found['endpoints']} endpoint(s)" + (f", note {found['note']!r}" if found["note"] else ""))


@presence_app.command("show")
def presence_show(ctx: typer.Context, user: str, as_json: bool = JsonOption) -> None:
    """A user's aggregated presence now."""
    _answer(ctx, as_json, lambda client: client.presence(user), _show_presence)


@relationship_app.command("set")
def relationship_set(ctx: typer.Context, user: str, watcher: str,
                     relationship: str = typer.Argument(..., help="friends-and-family, workgroup, colleague, "
                                                                  "external or blocked"),
                     as_json: bool = JsonOption) -> None:
    """Set what WATCHER is to USER (what WATCHER may see of USER's presence)."""
    _answer(ctx, as_json, lambda client: client.set_relationship(user, watcher, relationship),
            lambda result: _say(f"{result['watcher']} is {result['relationship']} to {result['presentity']}"))


@relationship_app.command("clear")
def relationship_clear(ctx: typer.Context, user: str, watcher: str, as_json: bool = JsonOption) -> None:
    """Back to the default (Colleague inside the domain, External Contact outside)."""
    _answer(ctx, as_json, lambda client: client.clear_relationship(user, watcher),
            lambda _: _say(f"cleared {watcher}"), data=lambda _: {"cleared": watcher})


def _relationships_table(rows: list[dict[str, Any]]) -> Table:
    table = Table("watcher", "relationship")
    for row in rows:
        table.add_row(row["watcher"], row["relationship"])
    return table


@relationship_app.command("list")
def relationship_list(ctx: typer.Context, user: str, as_json: bool = JsonOption) -> None:
    """The relationships USER has set."""
    _answer(ctx, as_json, lambda client: client.relationships(user),
            _table_or("no relationships set", _relationships_table))


def _show_presence_settings(found: dict[str, Any]) -> None:
    table = Table(show_header=False, box=None)
    table.add_row("aor", found["aor"])
    table.add_row("privacy mode", "on" if found["privacy_mode"] else "off")
    table.add_row("authorization", found["authorization"])
    for name, value in found["card"].items():
        if value:
            table.add_row(name, value)
    table.add_row("calendar", f"{found['calendar_intervals']} busy interval(s)")
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
    _answer(ctx, as_json, lambda client: client.set_presence_settings(user, body) if body
            else client.presence_settings(user), _show_presence_settings)


@presence_app.command("calendar")
def presence_calendar(ctx: typer.Context, user: str,
                      ics: typer.FileText = typer.Argument(..., help="an iCalendar file (VFREEBUSY or VEVENTs)"),
                      as_json: bool = JsonOption) -> None:
    """Import a user's free/busy (In a Meeting while busy)."""
    text = ics.read()
    _answer(ctx, as_json, lambda client: client.set_calendar(user, text),
            lambda found: _say(f"{found['aor']}: {found['calendar_intervals']} busy interval(s)"))


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


def _history_table(entries: list[dict[str, Any]]) -> Table:
    table = _folding_table("delivered (UTC)", "from", "to", "conversation", "text")
    for entry in entries:
        when = datetime.fromtimestamp(entry["delivered_at"], timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(when, entry["sender"], entry["recipient"], entry["conversation"] or "", entry["text"])
    return table


def _history(ctx: typer.Context, params: dict[str, Any], as_json: bool) -> None:
    _answer(ctx, as_json, lambda client: client.im_history(params), _table_or("no messages", _history_table))


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


def _conversations_table(conversations: list[dict[str, Any]]) -> Table:
    table = _folding_table("uri", "created by", "participants")
    for conversation in conversations:
        table.add_row(conversation["uri"], conversation["created_by"], ", ".join(conversation["participants"]))
    return table


@im_app.command("conversations")
def im_conversations(ctx: typer.Context, user: Optional[str] = typer.Option(None, "--user", "-u"),
                     as_json: bool = JsonOption) -> None:
    """List multiparty conversations and their participants."""
    _answer(ctx, as_json, lambda client: client.im_conversations(user),
            _table_or("no conversations", _conversations_table))
