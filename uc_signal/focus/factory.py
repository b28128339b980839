"""The focus factory: the organizer's client makes and manages its meetings, as Lync's
clients do ([MS-CONFBAS] 3.2.5, [MS-CONFPRO] 3.1.4): a SIP SERVICE to the organizer's focus
factory URI, `sip:alice@example.test;gruu;opaque=app:conf:focusfactory`, carrying one C3P
command (application/cccp+xml, cccp.py's subsets): `addConference` (a meet-now meeting),
`getConference`, `modifyConference`, `deleteConference` (one of the organizer's meetings)
and `getConferences` (all of them). An application of the chain, sans-IO: the work is done
through a `MeetingMaker`, which may answer later; the SERVICE is answered then. ucd's is
`DirectoryMeetingMaker` (below): the meeting directory the admin API uses
(`WatchedMeetingDirectory`), so what changes is stored and the focus sees it at once.

    SERVICE to <user>;gruu;opaque=app:conf:focusfactory, out of dialog
      415 + Accept       another body than application/cccp+xml
      407 / 403          caller authentication (a local user's credentials)
      404 notFound       the Request-URI names no user of this server
      403 unauthorized   the sender is not that user (only organizers make their meetings;
                         a caller of another domain is not authenticated here)
      400 requestMalformed  not one command of the subsets (defusedxml: no DTD, no entities),
                         or a modification the meeting cannot take (an end on a meet-now)
      403 unauthorized   addConference: the organizer's conferencing policy forbids meet-now;
                         the others: the meeting named is another organizer's
      404 notFound       get/modify/deleteConference: no such meeting (or it expired)
      200 success        the new meeting's conference URI, meeting ID and dial-in ID; the
                         meeting as it now is; the deleted meeting's URI; every meeting
      500 otherFailure   the directory could not do it (the store failed)

Responses carry the C3P <response> (code and reason) besides the SIP status.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..application import RequestContext
from ..conferencing.directory import MeetingDirectory
from ..conferencing.meeting import (InvalidMeetingError, LobbyPolicy, Meeting, MeetingKind, PresenterPolicy,
                                    conference_uri)
from ..directory import User
from ..proxy.services import ApplicationServices
from ..sip import ParseError, SipUri, make_response
from ..store.meetings import MeetingNotFoundError
from .cccp import CONTENT_TYPE as CCCP
from .cccp import (FACTORY_COMMANDS, AddConference, CccpError, FactoryRequest, MeetingInfo,
                   build_add_conference_response, build_factory_response, parse_factory_request)

log = logging.getLogger(__name__)

FACTORY_OPAQUE = "app:conf:focusfactory"
POLICY_KIND = "conferencing"
DEFAULT_POLICY = "Global"

MeetingMade = Callable[[Meeting | None, float], None]
"""(the meeting, or None when it could not be made; now)."""


MAX_LISTED = 50   # getConferences answers at most this many meetings, the newest

# A failed command's C3P reason and its SIP status.
REASON_STATUS = {"requestMalformed": (400, "Bad Request"), "unauthorized": (403, "Forbidden"),
                 "notFound": (404, "Not Found"), "otherFailure": (500, "Server Internal Error")}


@dataclass(frozen=True)
class Managed:
    """The outcome of getConference / modifyConference / deleteConference / getConferences:
    the meetings to show (the one named, as it now is; every one for getConferences), or the
    C3P reason it failed (a key of REASON_STATUS)."""

    meetings: tuple[Meeting, ...] = ()
    reason: str | None = None


ManageDone = Callable[[Managed, float], None]


class MeetingMaker(Protocol):
    def make(self, organizer: str, request: AddConference, now: float, done: MeetingMade) -> None:
        """Make a meet-now meeting for `organizer` (an AOR), stored like the admin API's;
        `done` may be called later (ucd: when the store has it)."""
        ...

    def manage(self, organizer: str, request: FactoryRequest, now: float, done: ManageDone) -> None:
        """Run a get/modify/delete/getConferences for `organizer` on its own meetings only;
        `done` may be called later."""
        ...


def factory_organizer(uri_text: str) -> SipUri | None:
    """The Request-URI when it is a focus factory URI (opaque=app:conf:focusfactory)."""
    try:
        uri = SipUri.parse(uri_text.strip().strip("<>"))
    except ParseError:
        return None
    opaque = uri.params.get("opaque")
    if not isinstance(opaque, str) or opaque.lower() != FACTORY_OPAQUE or not uri.user:
        return None
    return uri


def meet_now_policy(policies: Mapping[str, Any]) -> Callable[[User], str | None]:
    """The check of `[policies.conferencing.<name>]` (`meet_now`): None when the user may
    make meet-now meetings, else why not. A user without a policy gets `Global` when it is
    defined, else may; a user naming an undefined policy may not (as for IM)."""
    def check(user: User) -> str | None:
        name = user.policy(POLICY_KIND)
        policy = policies.get(name if name is not None else DEFAULT_POLICY)
        if policy is None:
            return None if name is None else f"conferencing policy {name} is not defined"
        return None if policy.meet_now else f"conferencing policy {name or DEFAULT_POLICY} does not allow meet-now"
    return check


class FocusFactory:
    name = "focus-factory"

    def __init__(self, services: ApplicationServices, maker: MeetingMaker,
                 policy: Callable[[User], str | None] | None = None) -> None:
        self.services = services
        self.maker = maker
        self.policy = policy or (lambda _user: None)
        self.made = 0
        self.managed = 0

    def on_request(self, context: RequestContext) -> bool:
        request = context.request
        if request.method != "SERVICE":
            return False
        to = request.to
        if to is not None and to.tag is not None:
            return False
        target = factory_organizer(request.uri_text)
        if target is None:
            return False
        content_type = request.content_type
        if content_type is None or content_type.mime_type != CCCP:
            context.respond(415, headers=[("Accept", CCCP)])
            return True
        if not self.services.caller_auth.authorize(context):
            return True   # answered: 407 or 403
        factory = request.uri_text
        organizer = self.services.users.find_user(target.user or "", target.host.lower())
        sender = self.services.caller_auth.sender(request)
        from_ = request.from_
        actor = sender.aor if sender is not None else (from_.uri_text if from_ is not None else "")
        if organizer is None:
            self._refuse(context, 404, "Not Found (no such organizer here)", "", factory, actor, "notFound")
            return True
        if sender is None or sender.aor != organizer.aor:
            self._refuse(context, 403, "Forbidden (only the organizer makes and manages its meetings)", "", factory, actor,
                         "unauthorized")
            return True
        try:
            command = parse_factory_request(request.body)
        except CccpError as error:
            self._reply(context, 400, f"Bad Request ({_phrase(str(error))})",
                        build_factory_response(_command_of(request.body), "", factory, actor,
                                               reason="requestMalformed"))
            return True
        if command.add is None:
            self._manage(context, command, organizer.aor, factory, actor)
            return True
        add = command.add
        refused = self.policy(organizer)
        if refused is not None:
            self._refuse(context, 403, f"Forbidden ({_phrase(refused)})", add.request_id, factory, actor,
                         "unauthorized")
            return True

        def done(meeting: Meeting | None, now: float) -> None:
            if meeting is None:
                self._refuse(context, 500, "Server Internal Error (the meeting could not be made)", add.request_id,
                             factory, actor, "otherFailure")
                return
            self.made += 1
            log.info("focus factory: %s made meet-now %s (%s)", organizer.aor, meeting.conference_uri,
                     meeting.conference_id)
            body = build_add_conference_response(add.request_id, factory, actor, conference_uri=meeting.conference_uri,
                                                 meeting_id=meeting.meeting_id, conference_id=meeting.conference_id,
                                                 subject=meeting.subject)
            self._reply(context, 200, "OK", body)

        self.maker.make(organizer.aor, add, context.now, done)
        return True

    def _manage(self, context: RequestContext, command: FactoryRequest, organizer: str, factory: str,
                actor: str) -> None:
        def done(outcome: Managed, now: float) -> None:
            if outcome.reason is not None:
                status, phrase = REASON_STATUS.get(outcome.reason, REASON_STATUS["otherFailure"])
                body = build_factory_response(command.command, command.request_id, factory, actor,
                                              reason=outcome.reason)
                self._reply(context, status, phrase, body)
                return
            self.managed += 1
            if command.command != "getConferences":
                log.info("focus factory: %s ran %s on %s", organizer, command.command, command.meeting_id)
            body = build_factory_response(command.command, command.request_id, factory, actor,
                                          meetings=tuple(meeting_info(m) for m in outcome.meetings))
            self._reply(context, 200, "OK", body)
        self.maker.manage(organizer, command, context.now, done)

    def _refuse(self, context: RequestContext, status: int, reason: str, request_id: str, factory: str, actor: str,
                code: str) -> None:
        # named after the command the body seems to hold (addConference's failure is the same shape)
        self._reply(context, status, reason, build_factory_response(_command_of(context.request.body), request_id,
                                                                    factory, actor, reason=code))

    @staticmethod
    def _reply(context: RequestContext, status: int, reason: str, body: bytes) -> None:
        response = make_response(context.request, status, reason, to_tag=context.to_tag)
        response.set_body(body, CCCP)
        context.reply(response)


def _command_of(body: bytes) -> str:
    """The command a malformed request seems to be (for the failure's element name); the
    body is not parsed again, only searched, so nothing in it is expanded."""
    found = _COMMAND_TAG.search(body[:4096].decode("utf-8", "replace"))
    return found[1] if found else "addConference"


_COMMAND_TAG = re.compile(r"<(?:[\w.-]+:)?(" + "|".join(FACTORY_COMMANDS) + r")[\s/>]")


def meeting_info(meeting: Meeting) -> MeetingInfo:
    return MeetingInfo(conference_uri=meeting.conference_uri, meeting_id=meeting.meeting_id,
                       conference_id=meeting.conference_id, subject=meeting.subject,
                       expires_at=meeting.expires_at, end=meeting.end, lobby_policy=meeting.lobby_policy.value,
                       presenter_policy=meeting.presenter_policy.value,
                       pstn_bypass_lobby=meeting.pstn_bypass_lobby, locked=meeting.locked)


async def manage_meetings(directory: MeetingDirectory, organizer: str, request: FactoryRequest,
                          now: float) -> Managed:
    """A get/modify/delete/getConferences through the meeting directory, on `organizer`'s
    own meetings only: another organizer's meeting is `unauthorized`, an unknown or expired
    one `notFound`, a modification the meeting cannot take `requestMalformed`; a store
    failure propagates (the caller answers otherFailure)."""
    if request.command == "getConferences":
        # the newest MAX_LISTED: an answer has to fit a SIP response over UDP (~1 KB each)
        return Managed(tuple((await directory.list(now, organizer))[-MAX_LISTED:]))
    reference = request.meeting_id or ""
    try:
        meeting = await directory.get(conference_uri(organizer, reference) if reference else "", now)
    except (MeetingNotFoundError, InvalidMeetingError):
        return Managed(reason="notFound")
    if meeting.organizer != organizer:
        return Managed(reason="unauthorized")
    if request.command == "getConference":
        return Managed((meeting,))
    if request.command == "deleteConference":
        try:
            return Managed((await directory.delete(meeting.conference_uri),))
        except MeetingNotFoundError:   # deleted meanwhile
            return Managed(reason="notFound")
    changes = request.changes
    try:
        changed = await directory.modify(
            meeting.conference_uri, now, subject=changes.subject, end=changes.end, expires_at=changes.expires_at,
            presenter_policy=PresenterPolicy(changes.presenter_policy) if changes.presenter_policy else None,
            lobby_policy=LobbyPolicy(changes.lobby_policy) if changes.lobby_policy else None,
            pstn_bypass_lobby=changes.pstn_bypass_lobby, locked=changes.locked)
    except MeetingNotFoundError:
        return Managed(reason="notFound")
    except InvalidMeetingError as error:
        log.info("focus factory: %s's modifyConference of %s refused: %s", organizer, reference, error)
        return Managed(reason="requestMalformed")
    return Managed((changed,))


def _phrase(text: str) -> str:
    """A reason phrase fragment: one line, no parentheses, bounded."""
    return " ".join(text.replace("(", "").replace(")", "").split())[:80]


class DirectoryMeetingMaker:
    """The focus factory's `MeetingMaker` in ucd: a meet-now meeting made by the meeting
    directory (the one the admin API uses: stored, and in the focus's view at once), as a
    task on the running loop; `poke` lets the SIP core send the answer it caused."""

    def __init__(self, directory: MeetingDirectory, poke: Callable[[], None],
                 clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.poke = poke
        self.clock = clock
        self._tasks: set[asyncio.Task[None]] = set()

    def make(self, organizer: str, request: AddConference, now: float,
             done: Callable[[Meeting | None, float], None]) -> None:
        async def make() -> None:
            meeting: Meeting | None
            try:
                meeting = await self.directory.create(
                    organizer, now, kind=MeetingKind.MEET_NOW, subject=request.subject,
                    lobby_policy=LobbyPolicy(request.lobby_policy) if request.lobby_policy else None,
                    pstn_bypass_lobby=request.pstn_bypass_lobby)
            except Exception:   # the store failed, the organizer was deleted meanwhile
                log.exception("focus factory: the meet-now meeting of %s was not made", organizer)
                meeting = None
            done(meeting, self.clock())
            self.poke()
        self._start(make())

    def manage(self, organizer: str, request: FactoryRequest, now: float, done: ManageDone) -> None:
        async def manage() -> None:
            try:
                outcome = await manage_meetings(self.directory, organizer, request, now)
            except Exception:   # the store failed
                log.exception("focus factory: %s of %s failed", request.command, organizer)
                outcome = Managed(reason="otherFailure")
            done(outcome, self.clock())
            self.poke()
        self._start(manage())

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
