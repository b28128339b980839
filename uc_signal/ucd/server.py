"""The ucd process: wires the store, the SIP transports, the media engine, the SIP services
with their application chain, the admin API and the metrics into one asyncio loop, and
takes them down again on SIGTERM.

Start-up order: data dir and admin token -> store (migrations) -> users, meetings, contact
lists, bindings, presence state and the IM store read into memory -> transports -> the
one HTTP server (admin API on its port, SIP over WebSocket on its own) -> the media engine
([media]) -> the SIP services, whose chain is registrar -> rls -> presence -> focus factory
(meet-now SERVICE) -> dial-in -> focus (and its conference events) -> im -> proxy; the
stored publications and presence and list subscriptions restored into them.
Shutdown (SIGTERM/SIGINT): stop accepting (TCP/TLS listeners closed; new requests over
UDP answered 503 with Retry-After), end the calls the server holds (meeting participants
and dial-in callers sent BYE; presence and list subscriptions are kept in the store and go
on after the restart), let open transactions finish for at most `daemon.shutdown_grace`
seconds, write the IM store, stop the transports, HTTP and the engine, write the queued
binding and presence state changes and the meeting locks in flight, close the store.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp

import uc_signal

from ..admin import AdminContext, create_admin_app
from ..application import Application
from ..conferencing.directory import MeetingDirectory
from ..conferencing.settings import directory_settings
from ..store.meetings import SqlMeetingStore
from ..admin.im_routes import ImAdmin
from ..im import ArchivedMessage, HistoryQuery, ImService, im_application
from ..im.policy import settings_from_config
from ..store.im_store import SqlImStore, WriteBehindImStore
from ..config import Config
from ..sip import Request, RequestReceived, Response, TransactionEvent, make_response
from ..rls import ContactDirectory, ContactsPolicy, RlsConfig, rls_application
from ..store import (CachedUserDirectory, ContactService, SqlContactStore, SqlStore, UserService,
                     WriteBehindBindingStore, sqlite_url)
from ..transport import HttpServer, TransportConfig, TransportManager, sip_websocket_app
from ..transport.certificates import ensure_certificate
from ..transport.http_server import bind_tcp_socket
from ..transport.peer import Peer
from .admin_token import ensure_admin_token
from .banner import sign_in_banner
from .http_app import ListenerDispatch
from .metrics import DaemonCollector, MeteredTransactionLayer, SipMetrics, exposition
from ..proxy.driver import ServicesDriver
from ..proxy.services import ApplicationFactory
from .sip_core import build_sip_core, ensure_secret
from ..transport.challenge_front import challenge_front, set_credentials
from ..sip.transaction_table import Timer
from ..dialin.application import access_key
from ..admin.presence_routes import PresenceAdmin
from ..presence import PresenceService, presence_application
from ..store.presence import PresenceStore
from .presence import load_presence
from ..store.presence_state import SqlPresenceState, WriteBehindPresenceState
from .presence_state import restore_presence_state
from ..focus import FocusApplication
from ..focus.events import ConferenceEventsConfig, conference_services
from ..focus.meetings import DirectoryConferences, WatchedMeetingDirectory, meeting_admission
from ..focus.roster import FocusRoster
from ..proxy.services import ApplicationServices
from ..focus.factory import DirectoryMeetingMaker, FocusFactory, meet_now_policy
from .media_engine import MediaCollector, MediaService
from ..conferencing.settings import attendant_settings, key_map
from ..dialin import DialInApplication
from ..dialin.engine_media import EngineAttendantMedia, route_event
from ..dialin.meetings import DirectoryAccess
from uc_media.engine import Event

log = logging.getLogger("ucd")

# How long a client told 503 during shutdown should wait (RFC 3261 21.5.4, 20.33).
RETRY_AFTER_SECONDS = 5


class StartupError(Exception):
    """A failure to start that is the operator's to fix; str() is ucd's one line."""


class Daemon:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.data_dir = Path(config.daemon.data_dir)
        self.draining = False
        self.sip_metrics = SipMetrics()
        self.registry = CollectorRegistry()
        self.store: SqlStore | None = None
        self.directory = CachedUserDirectory()
        self.bindings: WriteBehindBindingStore | None = None
        self.contacts = ContactDirectory()
        self.im_store: WriteBehindImStore | None = None
        self.im: ImService | None = None
        self.manager: TransportManager | None = None
        self.core: ServicesDriver | None = None
        self.presence: PresenceService | None = None      # shared by the SIP agent, admin API and RLS
        self.presence_store: PresenceStore | None = None
        self.presence_state: WriteBehindPresenceState | None = None   # publications, subscriptions
        self.http: HttpServer | None = None
        self.https: HttpServer | None = None
        self.admin_url = ""
        self.token = ""
        self.token_file: Path | None = None
        self.media: MediaService | None = None
        self.focus: FocusApplication | None = None
        self.roster: FocusRoster | None = None
        self.dialin: DialInApplication | None = None
        self.meeting_view = DirectoryConferences()
        self.meetings: MeetingDirectory | None = None

    # --- start ------------------------------------------------------------------------------

    async def start(self) -> None:
        config = self.config
        try:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.token, self.token_file = ensure_admin_token(config.http.admin_token, self.data_dir)
        except (OSError, ValueError) as error:
            raise StartupError(f"data directory {self.data_dir}: {error}") from error
        database = self.data_dir / config.store.path
        try:
            # HA1 hashes are password equivalents for this realm: owner-only, like the token.
            # (SQLite gives its -wal and -shm files the database file's permissions.)
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as error:
            raise StartupError(f"store {database}: {error.strerror or error}") from error
        self.store = SqlStore(sqlite_url(database))
        try:
            await self.store.open()
        except Exception as error:
            raise StartupError(f"store {self.data_dir / config.store.path}: {error}") from error
        log.info("store open", extra={"schema": self.store.revision, "path": str(self.data_dir / config.store.path)})
        await self.directory.load(self.store)
        # Meetings: the focus finds them in memory; the directory keeps that view current.
        self.meetings = WatchedMeetingDirectory(SqlMeetingStore(self.store), self.store,
                                                directory_settings(config.conferencing), view=self.meeting_view)
        await self.meeting_view.load(self.meetings, time.time())
        self.contacts.load(await SqlContactStore(self.store).load_all())
        self.bindings = WriteBehindBindingStore(self.store, config.store.bindings_flush_interval)
        await self.bindings.preload(time.time())
        self.bindings.start()
        self.presence, self.presence_store = await load_presence(config, self.store, self.directory, self.contacts)
        self.presence_state = WriteBehindPresenceState(SqlPresenceState(self.store), config.presence.state_flush_interval)
        await self.presence_state.preload(time.time())
        self.presence_state.start()
        self.im_store = WriteBehindImStore(SqlImStore(self.store.engine), config.im.flush_interval,
                                           config.im.history_flush_interval)
        await self.im_store.preload()
        self.im_store.start()

        sip = config.sip
        transport_config = TransportConfig(
            hosts=sip.listen, domain=sip.domain, data_dir=self.data_dir,
            udp_port=sip.udp_port if "udp" in sip.transports else None,
            tcp_port=sip.tcp_port if "tcp" in sip.transports else None,
            tls_port=sip.tls_port if "tls" in sip.transports else None,
            ws_port=None,  # served by the daemon's one HTTP server below
            ws_path=sip.ws_path, tls_cert=Path(sip.tls_cert) if sip.tls_cert else None,
            tls_key=Path(sip.tls_key) if sip.tls_key else None, max_connections=sip.max_connections,
            idle_timeout=sip.idle_timeout)
        layer = MeteredTransactionLayer(self.sip_metrics, retransmit_2xx=False)
        self.manager = manager = TransportManager(transport_config, self._on_event, layer)
        try:
            await manager.start()
        except OSError as error:
            await self._close_store()
            raise StartupError(f"cannot open the SIP transports on {', '.join(sip.listen)} "
                               f"(udp {sip.udp_port}, tcp {sip.tcp_port}, tls {sip.tls_port}): "
                               f"{error.strerror or error}") from error
        await self._start_http()  # binds the WS listener, which the proxy's addresses include
        if config.media.enabled:
            try:
                self.media = MediaService(config)
            except (OSError, ValueError) as error:
                await self.shutdown()
                raise StartupError(f"cannot start the media engine (media.bind {config.media.bind}, "
                                   f"ports {config.media.port_min}-{config.media.port_max}): {error}") from error
            self.media.start()
        try:
            self.core = build_sip_core(config, manager, self.directory, self.bindings, self.data_dir,
                                       applications=[self._rls(), presence_application(self.presence),
                                                     *self._applications(),
                                                     *([self._im_application()] if config.im.enabled else [])])
        except (OSError, ValueError) as error:
            await self.shutdown()
            raise StartupError(f"data directory {self.data_dir}: {error}") from error
        if config.sip.udp_challenge_front and "udp" in sip.transports:
            self._install_challenge_front()
        restore_presence_state(self.presence_state, self.presence, self.core.services.core.chain, time.time())
        self.core.start()
        manager.stateless_lanes["REGISTER"] = self._register_alone
        if self.media is not None:
            self.registry.register(MediaCollector(self.media, lambda: self.focus))
        self.contacts.add_observer(lambda _owner, _now: self.core.poke() if self.core else None)
        self.registry.register(DaemonCollector(
            self.sip_metrics, manager, registrations=lambda: len(self.core.registrations(time.time())) if self.core else 0,
            users=lambda: len(self.directory),
            binding_write_errors=lambda: self.bindings.write_errors if self.bindings else 0))
        log.info("ready", extra={"domain": sip.domain, "admin": self.admin_url})

    def _install_challenge_front(self) -> None:
        """The C front for UDP (uc_signal.transport.challenge_front): the registrar's and the
        caller authentication's challenges, under the secret their nonces use; the dial-in
        access numbers are left to the attendant."""
        assert self.core is not None and self.manager is not None
        services = self.core.services
        numbers = (access_key(number) for number in self.config.conferencing.dialin_numbers)
        front = self.manager.front = challenge_front(
            ensure_secret(self.data_dir), services.registrar.authenticators,
            services.applications.caller_auth.authenticators,
            [key for key in numbers if key is not None and key.startswith("sip:")])
        # Authenticated REGISTERs: the front verifies them from its HA1 table (kept in step
        # with the directory) and the registrar applies them (_register_verified); the 200
        # is kept for retransmissions as long as Timer J would have kept its transaction.
        for username, domain, credentials in self.directory.enabled_credentials():
            set_credentials(front, username, domain, credentials)
        self.directory.on_credentials = functools.partial(set_credentials, front)
        front.register_memory = self.manager.layer.config.initial_interval(Timer.J, False) or 0.0
        front.register_handler = self._register_verified
        front.register = True

    def _applications(self) -> list[Callable[[ApplicationServices], Application]]:
        """The chain between registrar and proxy, in order."""
        factories: list[Callable[[ApplicationServices], Application]] = []
        if self.meetings is not None:
            # Meet-now from the organizer's client (SERVICE addConference), stored through the
            # same directory as the admin API's meetings.
            factories.append(self._focus_factory(self.meetings))
        media = self.media
        if media is None and self.config.conferencing.dialin_numbers:
            log.warning("conferencing.dialin_numbers ignored: dial-in needs the media engine (media.enabled)")
        if media is not None:
            conferencing = self.config.conferencing
            roster = self.roster = FocusRoster(time.time, lobby_timeout=conferencing.lobby_timeout,
                                               max_participants=conferencing.max_participants, view=self.meeting_view,
                                               store_lock=self.meetings.store_lock if isinstance(
                                                   self.meetings, WatchedMeetingDirectory) else None)

            def focus(services: ApplicationServices) -> Application:
                if self.focus is not None:   # already built for the dial-in, which drives it
                    return self.focus
                self.focus = FocusApplication(services, self.meeting_view, media.rooms, admission=meeting_admission,
                                              lobby_timeout=self.config.conferencing.lobby_timeout,
                                              announcements=self.config.focus.announcements)
                # The meetings' rosters drive it: roles, lobby, controls, chimes.
                roster.attach(self.focus)
                return self.focus
            if self.config.conferencing.dialin_numbers:
                factories.append(self._dialin(media, focus))   # before the focus: DTMF INFO in meetings
            factories.append(focus)
            # Conference events, SIP controls and IM into meetings, right after the focus.
            factories.append(conference_services(
                lambda: self.focus, roster, self.im_store if self.config.im.enabled else None,
                ConferenceEventsConfig(min_expires=conferencing.events_min_expires,
                                       max_expires=conferencing.events_max_expires,
                                       default_expires=conferencing.events_max_expires)))
        return factories

    def _focus_factory(self, meetings: MeetingDirectory) -> ApplicationFactory:
        def poke() -> None:
            if self.core is not None:
                self.core.poke()
        maker = DirectoryMeetingMaker(meetings, poke)
        policy = meet_now_policy(self.config.policies.conferencing)
        return lambda services: FocusFactory(services, maker, policy)

    def _dialin(self, media: MediaService, focus: Callable[[ApplicationServices], Application]) -> ApplicationFactory:
        """The auto attendant on the access numbers, joining callers through the focus;
        the engine's DTMF, playback and recording events reach it from the media task."""
        section = self.config.conferencing

        def poke() -> None:
            if self.core is not None:
                self.core.poke()

        def dialin(services: ApplicationServices) -> Application:
            built = focus(services)
            assert isinstance(built, FocusApplication) and self.meetings is not None
            application = DialInApplication(
                services, section.dialin_numbers, EngineAttendantMedia(media.rooms),
                DirectoryAccess(self.meeting_view, self.meetings, poke), built,
                settings=attendant_settings(section), key_map=key_map(section), roster=self.roster)
            self.dialin = application

            def on_event(event: Event) -> None:
                route_event(application, event, time.time())
                poke()
            media.listeners.append(on_event)
            return application
        return dialin

    def _rls(self) -> ApplicationFactory:
        """The resource list server over the users' contact lists, with the presence
        service as its presence source (asked for at first use)."""
        rls = self.config.rls
        presence = self.presence
        assert presence is not None
        return rls_application(self.contacts, lambda: presence, RlsConfig(
            notify_interval=rls.notify_interval, min_expires=rls.min_expires, max_expires=rls.max_expires,
            default_expires=rls.default_expires))

    def _contact_service(self) -> ContactService:
        assert self.store is not None
        policies = {name: ContactsPolicy(max_contacts=policy.max_contacts)
                    for name, policy in self.config.policies.contacts.items()}
        return ContactService(self.store, SqlContactStore(self.store), self.contacts, self.config.sip.domain, policies)

    def _im_application(self) -> ApplicationFactory:
        assert self.im_store is not None

        def keep(service: ImService) -> None:
            self.im = service
        return im_application(settings_from_config(self.config.im, self.config.policies.im), self.im_store, keep)

    def _im_admin(self) -> ImAdmin:
        assert self.im_store is not None
        im_store = self.im_store

        async def history(query: HistoryQuery) -> list[ArchivedMessage]:
            await im_store.sync()   # what has been delivered, including the rows still queued
            return await im_store.sql.search(query)
        return ImAdmin(history=history,
                       conversations=lambda: self.im.conversations.all() if self.im else [],
                       offline=lambda: self.im.pending() if self.im else [])

    async def _start_http(self) -> None:
        assert self.manager is not None and self.store is not None
        assert self.presence is not None and self.presence_store is not None
        config = self.config
        sockets: list[socket.socket] = []
        try:
            admin_socket = bind_tcp_socket(config.http.host, config.http.port)
            sockets.append(admin_socket)
            ws_sockets = self._bind_all("ws", config.sip.ws_port, sockets)
            wss_sockets = self._bind_all("wss", config.sip.wss_port, sockets)
            tls_files = self._tls_files() if wss_sockets else None
        except (OSError, ValueError) as error:
            for sock in sockets:
                sock.close()
            await self.manager.stop()
            await self._close_store()
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            raise StartupError(f"cannot open the HTTP listeners (admin {config.http.host}:{config.http.port}, "
                               f"ws port {config.sip.ws_port}, wss port {config.sip.wss_port}): {reason}") from error
        admin_host, admin_port = admin_socket.getsockname()[:2]
        host_text = f"[{admin_host}]" if ":" in admin_host else admin_host
        self.admin_url = f"http://{host_text}:{admin_port}"
        admin_app = create_admin_app(AdminContext(
            users=UserService(self.store, self.directory), domain=config.sip.domain, token=self.token,
            version=uc_signal.__version__,
            registrations=lambda now: self.core.registrations(now) if self.core else [],
            listening=self._listening_text, metrics=lambda: exposition(self.registry),
            draining=lambda: self.draining, focus=lambda: self.focus, roster=lambda: self.roster,
            meetings=self.meetings, contacts=self._contact_service(), im=self._im_admin(),
            presence=PresenceAdmin(self.presence, self.presence_store,
                                   lambda: self.core.poke() if self.core else None)))
        apps: dict[int, ASGIApp] = {admin_port: admin_app}
        ws_app = sip_websocket_app(self.manager, config.sip.ws_path)
        for ws_socket in ws_sockets:
            address = ws_socket.getsockname()[:2]
            apps[address[1]] = ws_app
            self.manager.add_listener("WS", address)
        max_message = self.manager.config.max_head + self.manager.config.max_body
        self.http = HttpServer(ListenerDispatch(apps), [s for s in sockets if s not in wss_sockets],
                               max_message=max_message)
        await self.http.start()
        if wss_sockets and tls_files:
            # uvicorn serves TLS per server, not per socket: WSS is a second server of the
            # same stack in the same loop, with the SIP certificate.
            self.https = HttpServer(ws_app, wss_sockets, certfile=tls_files[0], keyfile=tls_files[1],
                                    max_message=max_message)
            await self.https.start()
            for wss_socket in wss_sockets:
                self.manager.add_listener("WSS", wss_socket.getsockname()[:2])

    def _bind_all(self, transport: str, port: int, sockets: list[socket.socket]) -> list[socket.socket]:
        """One listening socket per sip.listen address (the first one's port for the rest
        when the port is 0), appended to `sockets` as they are bound."""
        bound: list[socket.socket] = []
        if transport in self.config.sip.transports:
            for host in self.config.sip.listen:
                bound.append(bind_tcp_socket(host, bound[0].getsockname()[1] if bound else port))
                sockets.append(bound[-1])
        return bound

    def _tls_files(self) -> tuple[str, str]:
        assert self.manager is not None
        if self.manager.tls_files is not None:
            return self.manager.tls_files
        sip = self.config.sip
        cert, key = ensure_certificate(Path(sip.tls_cert) if sip.tls_cert else None,
                                       Path(sip.tls_key) if sip.tls_key else None, self.data_dir, sip.domain)
        return str(cert), str(key)

    def _listening_text(self) -> dict[str, list[str]]:
        assert self.manager is not None
        return {transport: [f"{host}:{port}" for host, port in addresses]
                for transport, addresses in self.manager.listening.items()}

    def banner(self) -> str:
        assert self.manager is not None
        return sign_in_banner(version=uc_signal.__version__, domain=self.config.sip.domain,
                              listening=self.manager.listening, admin_url=self.admin_url,
                              data_dir=self.config.daemon.data_dir, token_file=self.token_file,
                              ws_path=self.config.sip.ws_path)

    # --- SIP events -------------------------------------------------------------------------

    def _on_event(self, event: TransactionEvent) -> None:
        if self.core is None or self.manager is None:
            return  # still starting: a UDP client retransmits, a stream request waits for it
        if isinstance(event, RequestReceived):
            self.sip_metrics.request_received(event.request)
            if self.draining and event.transaction is not None and event.request.method not in ("ACK", "CANCEL"):
                # Shutting down: turn new work away (RFC 3261 21.5.4) so clients retry elsewhere.
                response = make_response(event.request, 503, to_tag=os.urandom(6).hex())
                response.headers.add("Retry-After", str(RETRY_AFTER_SECONDS))
                self.manager.send_response(response, event.transaction)
                return
        self.core.on_event(event)

    def _register_alone(self, request: Request, source: Peer) -> Response | None:
        """A REGISTER over UDP, answered by the registrar without a server transaction or
        the chain (Registrar.answer_alone); None leaves it to the full path, which also
        takes it while starting and while draining (its 503). Counted as _on_event and
        MeteredTransactionLayer count the full path's."""
        if self.core is None or self.draining:
            return None
        response = self.core.services.registrar.answer_alone(request, source, time.time())
        if response is None:
            return None
        self.sip_metrics.request_received(request)
        self.sip_metrics.final_response("server", request.method, response.status)
        # Re-read every deadline: a binding's expiry, and whatever the location service's
        # subscribers scheduled (IM: the delivery of stored messages on registration).
        self.core.poke()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("REGISTER answered statelessly", extra={
                "status": response.status, "to": request.headers.get("To"), "source": f"{source.host}:{source.port}"})
        return response

    def _register_verified(self, user: str, host: str, contact_uri: str, contact_params: str, expires: str | None,
                           call_id: str, cseq: int, source_host: str, source_port: int, flow: str,
                           user_agent: str | None, supported: str | None, nonce: str, issued_at: float, nc: int,
                           now: float) -> str | None:
        """An authenticated REGISTER the C front verified (SipFront.register_handler): the
        registrar applies it (Registrar.register_verified) and gives the 200's fields after
        its Content-Length; None leaves it to the Python stack (also while starting or
        draining). Counted at scrape time from the front's counters (DaemonCollector)."""
        if self.core is None or self.draining:
            return None
        source = Peer(source_host, source_port, "UDP", flow)
        tail = self.core.services.registrar.register_verified(
            user, host, contact_uri, contact_params, expires, call_id, cseq, source, user_agent, supported, nonce,
            issued_at, nc, now)
        if tail is None:
            return None
        # Re-read every deadline, as _register_alone does (a binding's expiry; IM's delivery
        # of stored messages on registration).
        self.core.poke()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("REGISTER answered by the C front", extra={
                "status": 200, "to": f"sip:{user}@{host}", "source": f"{source_host}:{source_port}"})
        return tail

    # --- shutdown ---------------------------------------------------------------------------

    async def shutdown(self) -> None:
        self.draining = True
        if self.manager is not None and self.manager.front is not None:
            self.manager.front.enabled = False   # new requests get the 503 below, not a challenge
        manager = self.manager
        if self.dialin is not None and self.core is not None:
            waiting = self.dialin.end_all(time.time())   # callers still at the attendant: BYE
            if waiting:
                log.info("dialin: %d callers sent BYE", waiting)
        if self.focus is not None and self.core is not None:
            # The meetings end: each participant gets a BYE, whose transaction the grace
            # below lets finish.
            ended = self.focus.end_all(time.time())
            if ended:
                log.info("focus: %d participants sent BYE", ended)
        if manager is not None:
            manager.stop_accepting()
            grace = self.config.daemon.shutdown_grace
            layer = manager.layer
            assert isinstance(layer, MeteredTransactionLayer)
            log.info("draining", extra={"unfinished": layer.unfinished(), "grace": grace})
            deadline = time.monotonic() + grace
            while layer.unfinished() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if layer.unfinished():
                log.warning("shutdown: %d transactions still unfinished after %.1f s; closing anyway",
                            layer.unfinished(), grace)
        if self.core is not None:
            self.core.stop()
        await self._flush_im()
        if manager is not None:
            await manager.stop()
        if self.media is not None:
            await self.media.close()
            self.media = None
        if self.http is not None:
            await self.http.stop()
        if self.https is not None:
            await self.https.stop()
        await self._close_store()
        log.info("stopped")

    async def _flush_im(self) -> None:
        """Write the IM store's queue; stored messages' 202s go out while the transports
        are still open."""
        if self.im_store is not None:
            await self.im_store.flush()
            log.info("im store persisted", extra={"writes": self.im_store.writes})
            self.im_store = None

    async def _close_store(self) -> None:
        await self._flush_im()
        if self.bindings is not None:
            await self.bindings.flush()
            log.info("bindings persisted", extra={"writes": self.bindings.writes})
            self.bindings = None
        if isinstance(self.meetings, WatchedMeetingDirectory):
            await self.meetings.drain()   # meeting locks still being written
        if self.presence_state is not None:
            await self.presence_state.flush()
            log.info("presence state persisted", extra={"writes": self.presence_state.writes})
            self.presence_state = None
        if self.store is not None:
            await self.store.close()
            self.store = None
