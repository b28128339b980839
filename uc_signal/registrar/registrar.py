"""The registrar: REGISTER rules of RFC 3261 section 10.3, with Path (RFC 3327), outbound
(RFC 5626) and GRUU (RFC 5627). Storage is the location service's business.

Sans-IO: `register(request, source, now)` returns the response; `now` is wall-clock
seconds (bindings are persisted in it, and nonces must survive a restart).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from ..directory import Binding, UserDirectory
from ..local_domains import LocalDomains
from ..application import RequestContext
from ..sip import Contact, DigestAuthenticator, ParseError, Request, Response, SipUri, make_response
from ..sip.fields import format_date
from ..sip.frozen_init import direct_init
from ..sip.grammar import format_params, unquote
from ..sip.random_tokens import token_hex
from ..transport.peer import Peer
from .errors import REPLIES, RegistrarError
from .location import BindingChange, LocationService, aor_key, contact_key

# Option tags this registrar supports (RFC 3261 10.3 step 2: others in Require get 420).
SUPPORTED = ("path", "gruu", "outbound")
_SUPPORTED_VALUE = ", ".join(SUPPORTED)


@dataclass(frozen=True)
class RegistrarConfig:
    min_expires: int = 60        # shorter non-zero requests get 423 (10.3 step 7)
    max_expires: int = 3600      # longer requests are shortened
    default_expires: int = 3600  # when neither the contact nor Expires says
    max_contacts: int = 16       # per address of record


class RegistrarRejected(Exception):
    def __init__(self, error: RegistrarError) -> None:
        super().__init__(error.value)
        self.error = error


@direct_init  # one per Contact of every REGISTER
@dataclass(frozen=True)
class _Update:
    """One Contact of the request, read and checked, not applied yet."""

    uri: str
    expires: int
    existing: Binding | None
    instance: str | None   # its +sip.instance (RFC 5626 4.1)
    params: dict[str, str | None]  # its header parameters but expires and q, in order
    q: float | None


class GruuIndex:
    """Temporary GRUU tokens -> (aor, instance), rebuilt from the location service's
    callbacks (RFC 5627 3.2: a temp GRUU lives as long as its registration)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._by_token: dict[str, tuple[str, str]] = {}
        self._token_of: dict[tuple[str, str], str] = {}  # (aor, contact) -> its current token

    def token(self, binding: Binding) -> str:
        text = f"{binding.aor}|{binding.instance}|{binding.call_id}".encode()
        return hmac.new(self._secret, text, hashlib.sha256).hexdigest()[:24]

    def on_change(self, change: BindingChange, binding: Binding) -> None:
        key = (binding.aor, binding.contact)
        old = self._token_of.pop(key, None)
        if old is not None:
            self._by_token.pop(old, None)
        if binding.instance is not None and change in (
                BindingChange.INSERTED, BindingChange.UPDATED, BindingChange.LOADED):
            token = self.token(binding)
            self._by_token[token] = (binding.aor, binding.instance)
            self._token_of[key] = token

    def __len__(self) -> int:
        return len(self._by_token)

    def resolve(self, token: str) -> tuple[str, str] | None:
        return self._by_token.get(token)


def instance_id(binding_params: Mapping[str, str | None]) -> str | None:
    """The +sip.instance value without its quotes and angle brackets (RFC 5626 4.1)."""
    value = binding_params.get("+sip.instance")
    if not value:
        return None
    return unquote(value).strip().removeprefix("<").removesuffix(">") or None


class Registrar:
    """The `registrar` application: claims REGISTERs for the local domains."""

    name = "registrar"

    def __init__(self, location: LocationService, users: UserDirectory, domains: LocalDomains,
                 authenticators: Mapping[str, DigestAuthenticator], secret: bytes,
                 config: RegistrarConfig | None = None) -> None:
        self.location = location
        self.users = users
        self.domains = domains
        self.authenticators = authenticators  # by realm (= domain)
        self.config = config or RegistrarConfig()
        self.gruu = GruuIndex(secret)
        location.subscribe(self.gruu.on_change)

    # --- the chain --------------------------------------------------------------------------

    def on_request(self, context: RequestContext) -> bool:
        request = context.request
        if request.method != "REGISTER" or not self._for_us(request):
            return False
        response = self.register(request, context.source, context.now, to_tag=context.to_tag)
        if response.status == 401:
            # A digest challenge keeps no transaction (RFC 3261 8.2.7): half of every
            # registration's transactions would otherwise wait out Timer J (32 s over UDP).
            context.reply_statelessly(response)
        else:
            context.reply(response)
        return True

    def answer_alone(self, request: Request, source: Peer, now: float) -> Response | None:
        """The response the chain would send for `request`, computed without it: the
        stateless lane of REGISTER (ucd, over UDP; TransactionLayer.receive_stateless).
        The registrar heads the chain (proxy.assembly), so a REGISTER it claims reaches no
        other application: the same validation as the proxy core's, then `register`.
        None when the chain would not come here: not a REGISTER for the local domains, or
        a request that does not validate (the core answers it 400)."""
        if request.method != "REGISTER" or not self._for_us(request):
            return None
        try:
            request.validate()
        except ParseError:
            return None
        return self.register(request, source, now, to_tag=token_hex(6))

    def _for_us(self, request: Request) -> bool:
        try:
            uri = request.uri
        except ParseError:
            return False
        return isinstance(uri, SipUri) and (self.domains.is_domain(uri.host) or self.domains.is_this_server(uri))

    # --- REGISTER (10.3) ---------------------------------------------------------------------

    def register(self, request: Request, source: Peer, now: float, *, to_tag: str = "reg") -> Response:
        unsupported = [tag for tag in request.require if tag.lower() not in SUPPORTED] if request.require else None
        if unsupported:  # step 2
            response = self._reject(request, RegistrarError.BAD_EXTENSION, to_tag)
            response.headers.add("Unsupported", ", ".join(unsupported))
            return response
        to = request.to
        aor = aor_key(to.uri) if to is not None else None
        realm = self.domains.realm_for(aor.split("@", 1)[1]) if aor else None
        if aor is None or realm is None:
            return self._reject(request, RegistrarError.BAD_TO, to_tag)
        authenticator = self.authenticators[realm]
        verdict = authenticator.verify_request(request, now)  # step 3
        if verdict.error is not None:
            return authenticator.rejection(request, verdict.error, now, to_tag=to_tag)
        username = aor[4:].split("@", 1)[0]
        user = self.users.find_user(username, realm)
        if user is None:
            return self._reject(request, RegistrarError.UNKNOWN_AOR, to_tag)
        if not user.enabled:
            return self._reject(request, RegistrarError.USER_DISABLED, to_tag)
        if verdict.username != username:  # step 4: only the user registers its AOR
            return self._reject(request, RegistrarError.AOR_NOT_AUTHORIZED, to_tag)
        try:
            self._apply(request, aor, source, now)
        except RegistrarRejected as rejected:
            response = self._reject(request, rejected.error, to_tag)
            if rejected.error is RegistrarError.INTERVAL_TOO_BRIEF:
                response.headers.add("Min-Expires", str(self.config.min_expires))
            return response
        return self._ok(request, aor, now, to_tag)

    # The loops below are plain ones rather than comprehensions and generators: each of
    # those is a call of its own, and every REGISTER comes here (Python 3.11).

    def _apply(self, request: Request, aor: str, source: Peer, now: float) -> None:
        call_id = request.call_id or ""
        cseq_field = request.cseq
        cseq = cseq_field.seq if cseq_field else 0
        contacts = request.contact
        current = self.location.lookup(aor, now)
        star = False
        for contact in contacts:
            star = star or contact.is_star
        if star:  # step 6: "*" only alone and with Expires: 0
            if len(contacts) != 1 or request.expires != 0:
                raise RegistrarRejected(RegistrarError.BAD_STAR)
            if any(b.call_id == call_id and cseq <= b.cseq for b in current):
                raise RegistrarRejected(RegistrarError.OUT_OF_ORDER)
            self.location.delete_aor(aor)
            return
        updates: list[_Update] = []
        for contact in contacts:
            updates.append(self._read(contact, request, current))
        self._check_updates(updates, current, call_id, cseq)
        path = tuple([str(p) for p in request.path]) if request.path else ()
        self._put_updates(aor, updates, call_id, cseq, path, _supports(request, "outbound"),
                          request.headers.get("User-Agent") or "", source, now)

    def _check_updates(self, updates: list[_Update], current: list[Binding], call_id: str, cseq: int) -> None:
        """10.3 step 7 for every contact before any change: RegistrarRejected if refused."""
        min_expires = self.config.min_expires
        new_uris = set()
        for update in updates:  # step 7, checked for every contact before any change
            if 0 < update.expires < min_expires:
                raise RegistrarRejected(RegistrarError.INTERVAL_TOO_BRIEF)
            old = update.existing
            if old is not None and old.call_id == call_id and cseq <= old.cseq:
                raise RegistrarRejected(RegistrarError.OUT_OF_ORDER)
            if old is None and update.expires > 0:
                new_uris.add(contact_key(update.uri))
        if len(current) + len(new_uris) > self.config.max_contacts:
            raise RegistrarRejected(RegistrarError.TOO_MANY_CONTACTS)

    def _put_updates(self, aor: str, updates: list[_Update], call_id: str, cseq: int, path: tuple[str, ...],
                     outbound: bool, user_agent: str, source: Peer, now: float) -> None:
        """The checked updates into the location service (10.3 step 7's changes)."""
        for update in updates:
            if update.expires == 0:
                if update.existing is not None:
                    self.location.delete(update.existing)
                continue
            params = update.params
            instance = update.instance
            reg_id = _int_or_none(params.get("reg-id")) if outbound and instance else None
            binding = Binding(
                aor=aor, contact=update.uri, expires_at=now + update.expires, q=update.q,
                call_id=call_id, cseq=cseq, params=tuple(params.items()), path=path,
                transport=source.transport, source_host=source.host, source_port=source.port,
                flow=source.flow, instance=instance, reg_id=reg_id, user_agent=user_agent,
                registered_at=update.existing.registered_at if update.existing else now)
            old = update.existing
            if old is not None and contact_key(old.contact) != contact_key(update.uri):
                self.location.delete(old)  # same instance (and reg-id), new Contact URI
            self.location.put(binding)

    def _read(self, contact: Contact, request: Request, current: list[Binding]) -> _Update:
        try:
            contact.uri  # noqa: B018 - parse now: a Contact must be a URI
            expires = contact.expires
            contact.q
        except (ParseError, ValueError):
            raise RegistrarRejected(RegistrarError.BAD_CONTACT) from None
        if expires is None:
            expires = request.expires if request.expires is not None else self.config.default_expires
        expires = min(expires, self.config.max_expires)
        key = contact_key(contact.uri_text)
        existing = None
        for binding in current:
            if contact_key(binding.contact) == key:
                existing = binding
                break
        instance = instance_id(contact.params)
        if existing is None and instance is not None:
            # RFC 5626 6 / RFC 5627 4.2: a binding with the same instance (and reg-id)
            # is the same UA instance re-registering, perhaps from a new address.
            reg_id = _int_or_none(contact.params.get("reg-id"))
            existing = next((b for b in current if b.instance == instance and b.reg_id == reg_id), None)
        params = dict(contact.params)
        params.pop("expires", None)
        params.pop("q", None)
        return _Update(contact.uri_text, expires, existing, instance, params, contact.q)

    # --- responses ------------------------------------------------------------------------------

    def _reject(self, request: Request, error: RegistrarError, to_tag: str) -> Response:
        status, reason = REPLIES[error]
        return make_response(request, status, reason, to_tag=to_tag)

    def _ok(self, request: Request, aor: str, now: float, to_tag: str) -> Response:
        """200 OK listing every current binding with its remaining expiry (10.3 step 8)."""
        response = make_response(request, 200, to_tag=to_tag)
        contacts, outbound_used = self._contact_values(aor, now, _supports(request, "gruu"))
        for value in contacts:
            response.headers.add("Contact", value)
        if request.path and _supports(request, "path"):  # RFC 3327 5.3: echo Path when supported
            for path in request.headers.get_all("Path"):
                response.headers.add("Path", path)
        if outbound_used:
            response.headers.add("Require", "outbound")  # RFC 5626 6
        response.headers.add("Supported", _SUPPORTED_VALUE)
        response.headers.add("Date", _http_date(now))
        return response

    def _contact_values(self, aor: str, now: float, gruu: bool) -> tuple[list[str], bool]:
        """The 200's Contact values, every current binding with its remaining expiry (10.3
        step 8, GRUUs when supported), and whether one of them uses outbound."""
        contacts: list[str] = []
        outbound_used = False
        for binding in self.location.lookup(aor, now):
            params: dict[str, str | None] = dict(binding.params)
            params["expires"] = str(binding.expires_in(now))
            if binding.q is not None:
                params["q"] = f"{binding.q:g}"
            if gruu and binding.instance is not None:
                params["pub-gruu"] = f'"{self.public_gruu(binding)}"'
                params["temp-gruu"] = f'"{self.temp_gruu(binding)}"'
            outbound_used = outbound_used or binding.reg_id is not None
            # what str(Contact(binding.contact, params=params)) writes, without the object
            contacts.append(f"<{binding.contact}>{format_params(params)}")
        return contacts, outbound_used

    # --- an authenticated REGISTER verified by the C front (uc_signal._sipfront) ----------------

    def register_verified(self, user: str, host: str, contact_uri: str, contact_params: str, expires: str | None,
                          call_id: str, cseq: int, source: Peer, user_agent: str | None, supported: str | None,
                          nonce: str, issued_at: float, nc: int, now: float) -> str | None:
        """`register` for a REGISTER the C front of UDP checked and verified (csrc/sip_front.c,
        VERIFIED: To = From = sip:`user`@`host`, one Contact `<contact_uri>contact_params`
        without +sip.instance or reg-id, no Path, Require or q, digest credentials of the
        To user for the domain's realm, correct and fresh): the same rules on these values,
        through the same location service. Returns the 200's header fields after its
        Content-Length (each "Name: value" CRLF, then the blank line), or None to leave
        the request to the Python stack, before anything changed: a user not (or no longer)
        enabled, a 423 / out-of-order / too-many-contacts refusal, a replayed or forgotten
        nonce-count - the full path then gives its answer."""
        domain = host.lower()
        realm = self.domains.realm_for(domain)
        if realm is None:
            return None
        account = self.users.find_user(user, realm)
        if account is None or not account.enabled:
            return None
        aor = f"sip:{user}@{domain}"
        params: dict[str, str | None] = {}
        for item in contact_params.split(";")[1:]:  # ";name[=token]" each (the front checked)
            name, equals, text = item.partition("=")
            params[name] = text if equals else None
        given = params.pop("expires", None)
        seconds = int(given) if given is not None else int(expires) if expires is not None \
            else self.config.default_expires
        seconds = min(seconds, self.config.max_expires)
        current = self.location.lookup(aor, now)
        key = contact_key(contact_uri)
        existing = None
        for binding in current:
            if contact_key(binding.contact) == key:
                existing = binding
                break
        updates = [_Update(contact_uri, seconds, existing, None, params, None)]
        try:
            self._check_updates(updates, current, call_id, cseq)
        except RegistrarRejected:
            return None
        authenticator = self.authenticators[realm]  # its nonce-count record, the one there is
        tracker = authenticator.tracker
        tracker.forget_before(now - authenticator.nonce_lifetime)
        if tracker.accept(nonce, issued_at, nc) is not None:
            return None
        options = [tag.strip().lower() for tag in supported.split(",")] if supported else []
        self._put_updates(aor, updates, call_id, cseq, (), "outbound" in options, user_agent or "", source, now)
        contacts, outbound_used = self._contact_values(aor, now, "gruu" in options)
        fields = [f"Contact: {value}\r\n" for value in contacts]
        if outbound_used:
            fields.append("Require: outbound\r\n")
        fields.append(f"Supported: {_SUPPORTED_VALUE}\r\nDate: {_http_date(now)}\r\n\r\n")
        return "".join(fields)

    def public_gruu(self, binding: Binding) -> str:
        """RFC 5627 3.1: the AOR with gr=<instance id>."""
        return f"{binding.aor};gr={binding.instance}"

    def temp_gruu(self, binding: Binding) -> str:
        """RFC 5627 3.2: an opaque user part that reveals nothing about the AOR."""
        domain = binding.aor.split("@", 1)[1]
        return f"sip:tgruu.{self.gruu.token(binding)}@{domain};gr"

    def resolve_gruu(self, uri: SipUri, now: float) -> list[Binding] | None:
        """The binding a GRUU Request-URI names (RFC 5627 5.1), [] when it no longer has
        one, None when `uri` is no GRUU."""
        if "gr" not in uri.params:
            return None
        gr = uri.params.get("gr")
        if gr is None and uri.user and uri.user.startswith("tgruu."):
            found = self.gruu.resolve(uri.user[len("tgruu."):])
            if found is None:
                return []
            aor, instance = found
        else:
            aor_text = aor_key(uri)
            if aor_text is None or gr is None:
                return []
            aor, instance = aor_text, unquote(gr)
        return [b for b in self.location.lookup(aor, now) if b.instance == instance]


def _supports(request: Request, option: str) -> bool:
    """Whether the request's Supported lists `option` (a lower-case option tag)."""
    for tag in request.supported:
        if tag.lower() == option:
            return True
    return False


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


_date_cache: tuple[int, str] = (-1, "")


def _http_date(now: float) -> str:
    """The Date header value (RFC 3261 20.17: whole seconds), made once per second."""
    global _date_cache
    second = int(now)
    if _date_cache[0] != second:
        _date_cache = (second, format_date(datetime.fromtimestamp(second, timezone.utc)))
    return _date_cache[1]
