"""The focus factory: meet-now meetings made from the organizer's client, as Lync's clients
do ([MS-CONFBAS] 3.2.5.1): a SIP SERVICE to the organizer's focus factory URI,
`sip:alice@example.test;gruu;opaque=app:conf:focusfactory`, carrying a C3P
`addConference` (application/cccp+xml, cccp.py's subset). An application of the chain,
sans-IO: the meeting is made through a `MeetingMaker`, which may answer later; the SERVICE
is answered then. ucd's is `DirectoryMeetingMaker` (below): the meeting directory the admin
API uses (`WatchedMeetingDirectory`), so the meeting is stored and the focus finds it at once.

    SERVICE to <user>;gruu;opaque=app:conf:focusfactory, out of dialog
      415 + Accept       another body than application/cccp+xml
      407 / 403          caller authentication (a local user's credentials)
      404 notFound       the Request-URI names no user of this server
      403 unauthorized   the sender is not that user (only organizers make their meetings;
                         a caller of another domain is not authenticated here)
      400 requestMalformed  not one addConference of the subset (defusedxml: no DTD, no entities)
      403 unauthorized   the organizer's conferencing policy forbids meet-now
      200 success        the new meeting's conference URI, meeting ID and dial-in ID
      500 otherFailure   the directory could not make it (the store failed)

Responses carry the C3P <response> (code and reason) besides the SIP status.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..application import RequestContext
from ..conferencing.directory import MeetingDirectory
from ..conferencing.meeting import LobbyPolicy, Meeting, MeetingKind
from ..directory import User
from ..proxy.services import ApplicationServices
from ..sip import ParseError, SipUri, make_response
from .cccp import CONTENT_TYPE as CCCP
from .cccp import AddConference, CccpError, build_add_conference_response, parse_add_conference

log = logging.getLogger(__name__)

FACTORY_OPAQUE = "app:conf:focusfactory"
POLICY_KIND = "conferencing"
DEFAULT_POLICY = "Global"

MeetingMade = Callable[[Meeting | None, float], None]
"""(the meeting, or None when it could not be made; now)."""


class MeetingMaker(Protocol):
    def make(self, organizer: str, request: AddConference, now: float, done: MeetingMade) -> None:
        """Make a meet-now meeting for `organizer` (an AOR), stored like the admin API's;
        `done` may be called later (ucd: when the store has it)."""
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

    def on_request(self, context: RequestContext) -> bool:
        request = context.request
        to = request.to
        if request.method != "SERVICE" or (to is not None and to.tag is not None):
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
            self._refuse(context, 403, "Forbidden (only the organizer makes its meetings)", "", factory, actor,
                         "unauthorized")
            return True
        try:
            add = parse_add_conference(request.body)
        except CccpError as error:
            self._refuse(context, 400, f"Bad Request ({_phrase(str(error))})", "", factory, actor, "requestMalformed")
            return True
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

    def _refuse(self, context: RequestContext, status: int, reason: str, request_id: str, factory: str, actor: str,
                code: str) -> None:
        self._reply(context, status, reason, build_add_conference_response(request_id, factory, actor, reason=code))

    @staticmethod
    def _reply(context: RequestContext, status: int, reason: str, body: bytes) -> None:
        response = make_response(context.request, status, reason, to_tag=context.to_tag)
        response.set_body(body, CCCP)
        context.reply(response)


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
        task = asyncio.get_running_loop().create_task(make())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
