"""Digest access authentication for SIP (RFC 7616, RFC 8760; RFC 2617 vectors).

Sans-IO: nothing here reads a clock. The server side (`DigestAuthenticator`) takes `now`
(float seconds; use wall-clock time so nonces survive a restart) and issues stateless
nonces: an HMAC over the issue time, a random salt and the realm under a server secret, so
any server holding the secret can check a nonce without a shared table. Replays are caught
by a bounded per-nonce record of the highest nonce-count seen (`NonceCountTracker`).

Credentials are stored as HA1 hashes only, bound to (username, realm) because HA1 is
H(username ":" realm ":" password). Verification compares with `hmac.compare_digest`.
Domain failures are the `DigestError` enum, mapped to status codes by one table.
"""

from __future__ import annotations

import base64
import enum
import functools
import hashlib
import heapq
import hmac
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .._sipfront import DigestChecker
from .frozen_init import direct_init
from .random_tokens import token_bytes
from .auth_headers import AuthHeader, Challenge, Credentials, parse_challenges, parse_credentials
from .message import Request, Response, make_response
from .parse_error import ParseError


class DigestAlgorithm(enum.Enum):
    """Hash algorithms for Digest (RFC 7616 section 3.2; RFC 8760 registers them for SIP).

    The `-sess` variants are not offered: SIP deployments do not use them.
    """

    __hash__ = object.__hash__  # members are singletons: identity hash, in C (every digest checked hashes one)

    MD5 = "MD5"
    SHA_256 = "SHA-256"
    SHA_512_256 = "SHA-512-256"

    @classmethod
    def from_token(cls, token: str) -> DigestAlgorithm:
        try:
            return _BY_TOKEN[token.lower()]
        except KeyError:
            raise ValueError(f"unsupported digest algorithm {token!r}") from None

    def hash_hex(self, data: str) -> str:
        # by value: an Enum member's __hash__ is a Python-level call, a str's is not
        return _HASHES[self._value_](data.encode("utf-8")).hexdigest()


_BY_TOKEN = {algorithm.value.lower(): algorithm for algorithm in DigestAlgorithm}
_HASHES: dict[str, Callable[[bytes], Any]] = {
    DigestAlgorithm.MD5.value: hashlib.md5,
    DigestAlgorithm.SHA_256.value: hashlib.sha256,
    DigestAlgorithm.SHA_512_256.value: lambda data: hashlib.new("sha512_256", data),
}


class DigestParseError(ValueError):
    """A WWW-Authenticate / Authorization header value is not a well-formed Digest value."""


class NotDigestError(DigestParseError):
    """The header value is well formed but uses another scheme (Basic, Bearer...)."""


# --- header values: read and written by the message layer's auth_headers ------------------


def _digest_params(value: str | AuthHeader, parse: Callable[[str], list[Any]]) -> dict[str, str]:
    """The auth-params of the first Digest value in a header field (names lower-cased)."""
    if isinstance(value, AuthHeader):
        headers = [value]
    else:
        try:
            headers = parse(value)
        except ParseError as exc:
            raise DigestParseError(str(exc)) from None
    for header in headers:
        if header.is_digest and header.token68 is None:
            return dict(header.params)
    raise NotDigestError(f"no Digest value in {str(value)[:80]!r}")


def _algorithm(params: dict[str, str]) -> DigestAlgorithm:
    """The algorithm auth-param (MD5 when absent, RFC 7616 3.3); DigestParseError if unknown."""
    try:
        return DigestAlgorithm.from_token(params.get("algorithm", "MD5"))
    except ValueError as exc:
        raise DigestParseError(str(exc)) from None


@dataclass(frozen=True)
class DigestChallenge:
    """One Digest challenge (a WWW-Authenticate or Proxy-Authenticate value)."""

    realm: str
    nonce: str
    algorithm: DigestAlgorithm = DigestAlgorithm.MD5
    qop: tuple[str, ...] = ("auth",)
    opaque: str | None = None
    stale: bool = False

    @classmethod
    def parse(cls, value: str | Challenge) -> DigestChallenge:
        params = _digest_params(value, parse_challenges)
        try:
            realm, nonce = params["realm"], params["nonce"]
        except KeyError as exc:
            raise DigestParseError(f"challenge lacks {exc.args[0]!r}") from None
        algorithm = _algorithm(params)
        qop = tuple(q.strip().lower() for q in params.get("qop", "").split(",") if q.strip())
        return cls(
            realm=realm,
            nonce=nonce,
            algorithm=algorithm,
            qop=qop,
            opaque=params.get("opaque"),
            stale=params.get("stale", "false").lower() == "true",
        )

    def __str__(self) -> str:
        params = {"realm": self.realm}
        if self.qop:
            params["qop"] = ", ".join(self.qop)
        params.update(nonce=self.nonce, algorithm=self.algorithm.value)
        if self.opaque is not None:
            params["opaque"] = self.opaque
        if self.stale:
            params["stale"] = "true"
        return str(Challenge("Digest", params))


@direct_init  # one per authenticated request
@dataclass(frozen=True)
class DigestCredentials:
    """One Digest credentials value (an Authorization or Proxy-Authorization value)."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: DigestAlgorithm = DigestAlgorithm.MD5
    qop: str | None = None
    nc: str | None = None
    cnonce: str | None = None
    opaque: str | None = None

    @classmethod
    def parse(cls, value: str | Credentials) -> DigestCredentials:
        params = _digest_params(value, parse_credentials)
        try:
            fields = {name: params[name] for name in ("username", "realm", "nonce", "uri", "response")}
        except KeyError as exc:
            raise DigestParseError(f"credentials lack {exc.args[0]!r}") from None
        algorithm = _algorithm(params)
        return cls(
            algorithm=algorithm,
            qop=params.get("qop"),
            nc=params.get("nc"),
            cnonce=params.get("cnonce"),
            opaque=params.get("opaque"),
            **fields,
        )

    def __str__(self) -> str:
        params = {
            "username": self.username,
            "realm": self.realm,
            "uri": self.uri,
            "algorithm": self.algorithm.value,
            "nonce": self.nonce,
        }
        if self.qop is not None and self.nc is not None and self.cnonce is not None:
            params.update(nc=self.nc, cnonce=self.cnonce, qop=self.qop)
        params["response"] = self.response
        if self.opaque is not None:
            params["opaque"] = self.opaque
        return str(Credentials("Digest", params))


# --- the digest computation (RFC 7616 section 3.4.1 - 3.4.3) --------------------------------


def compute_ha1(algorithm: DigestAlgorithm, username: str, realm: str, password: str) -> str:
    """HA1 = H(username ":" realm ":" password) (RFC 7616 section 3.4.2, non-sess)."""
    return algorithm.hash_hex(f"{username}:{realm}:{password}")


def compute_response(
    algorithm: DigestAlgorithm,
    ha1: str,
    nonce: str,
    method: str,
    uri: str,
    *,
    qop: str | None = None,
    nc: str | None = None,
    cnonce: str | None = None,
) -> str:
    """The request-digest (RFC 7616 section 3.4.1; RFC 2069 form when qop is absent)."""
    ha2 = algorithm.hash_hex(f"{method}:{uri}")  # qop=auth: A2 = Method ":" request-uri
    if qop is None:
        return algorithm.hash_hex(f"{ha1}:{nonce}:{ha2}")
    return algorithm.hash_hex(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def build_credentials(
    challenge: DigestChallenge,
    username: str,
    password: str,
    method: str,
    uri: str,
    *,
    cnonce: str,
    nc: int = 1,
) -> DigestCredentials:
    """Answer a challenge (the UAC side, RFC 3261 section 22.2 / RFC 7616 section 3.4)."""
    ha1 = compute_ha1(challenge.algorithm, username, challenge.realm, password)
    if "auth" in challenge.qop:
        qop: str | None = "auth"
        nc_text: str | None = f"{nc:08x}"
        cnonce_value: str | None = cnonce
    elif challenge.qop:
        raise DigestParseError(f"challenge offers only qop {challenge.qop!r}; auth-int is not supported")
    else:
        qop = nc_text = cnonce_value = None  # RFC 2069 compatibility: no qop offered
    response = compute_response(
        challenge.algorithm, ha1, challenge.nonce, method, uri, qop=qop, nc=nc_text, cnonce=cnonce_value
    )
    return DigestCredentials(
        username=username,
        realm=challenge.realm,
        nonce=challenge.nonce,
        uri=uri,
        response=response,
        algorithm=challenge.algorithm,
        qop=qop,
        nc=nc_text,
        cnonce=cnonce_value,
        opaque=challenge.opaque,
    )


@dataclass
class DigestClient:
    """A UAC's credentials plus the nonce-count it must increase per nonce (RFC 7616 3.4)."""

    username: str
    password: str
    random_bytes: Callable[[int], bytes] = os.urandom
    _nonce_counts: dict[str, int] = field(default_factory=dict, repr=False)

    def authorize(self, challenge_value: str | Challenge, method: str, uri: str) -> str:
        """Return the Authorization / Proxy-Authorization value answering `challenge_value`."""
        challenge = DigestChallenge.parse(challenge_value)
        nc = self._nonce_counts.get(challenge.nonce, 0) + 1
        if len(self._nonce_counts) >= 64 and challenge.nonce not in self._nonce_counts:
            self._nonce_counts.clear()  # old nonces are useless once the server re-challenges
        self._nonce_counts[challenge.nonce] = nc
        cnonce = base64.urlsafe_b64encode(self.random_bytes(12)).decode("ascii")
        return str(build_credentials(challenge, self.username, self.password, method, uri, cnonce=cnonce, nc=nc))


# --- server side ----------------------------------------------------------------------------


class DigestError(enum.Enum):
    """Why a request's credentials were not accepted."""

    MISSING_CREDENTIALS = "missing credentials"
    MALFORMED_CREDENTIALS = "malformed credentials"
    REALM_MISMATCH = "realm mismatch"
    UNSUPPORTED_ALGORITHM = "unsupported algorithm"
    UNSUPPORTED_QOP = "unsupported qop"
    URI_MISMATCH = "uri does not match the Request-URI"
    INVALID_NONCE = "nonce not issued by this server"
    OPAQUE_MISMATCH = "opaque mismatch"
    UNKNOWN_USER = "unknown user"
    WRONG_RESPONSE = "wrong response"
    STALE_NONCE = "stale nonce"
    REPLAYED_NONCE_COUNT = "replayed nonce count"


@dataclass(frozen=True)
class Rejection:
    """How to answer a DigestError: status, reason, and whether to send a fresh challenge."""

    status: int
    reason: str
    challenge: bool
    stale: bool = False


# The one table mapping domain errors to responses (the registrar/reply.c habit). 401 is the
# UAS form; a proxy answers 407 with Proxy-Authenticate instead (RFC 3261 section 22.3).
# UNKNOWN_USER and WRONG_RESPONSE share an answer so usernames cannot be probed.
REJECTIONS: Mapping[DigestError, Rejection] = {
    DigestError.MISSING_CREDENTIALS: Rejection(401, "Unauthorized", challenge=True),
    DigestError.MALFORMED_CREDENTIALS: Rejection(400, "Bad Request", challenge=False),
    DigestError.REALM_MISMATCH: Rejection(401, "Unauthorized", challenge=True),
    DigestError.UNSUPPORTED_ALGORITHM: Rejection(401, "Unauthorized", challenge=True),
    DigestError.UNSUPPORTED_QOP: Rejection(401, "Unauthorized", challenge=True),
    DigestError.URI_MISMATCH: Rejection(400, "Bad Request", challenge=False),
    DigestError.INVALID_NONCE: Rejection(401, "Unauthorized", challenge=True),
    DigestError.OPAQUE_MISMATCH: Rejection(401, "Unauthorized", challenge=True),
    DigestError.UNKNOWN_USER: Rejection(403, "Forbidden", challenge=False),
    DigestError.WRONG_RESPONSE: Rejection(403, "Forbidden", challenge=False),
    # RFC 7616 section 3.3: stale=true only when the digest itself was valid.
    DigestError.STALE_NONCE: Rejection(401, "Unauthorized", challenge=True, stale=True),
    DigestError.REPLAYED_NONCE_COUNT: Rejection(401, "Unauthorized", challenge=True),
}


class CredentialStore(Protocol):
    """Where HA1 hashes live. Returns None for an unknown (username, realm)."""

    def ha1(self, username: str, realm: str, algorithm: DigestAlgorithm) -> str | None: ...


class InMemoryCredentials:
    """A CredentialStore holding only HA1 hashes, keyed by (username, realm, algorithm)."""

    def __init__(self) -> None:
        self._ha1: dict[tuple[str, str, DigestAlgorithm], str] = {}

    def add_password(self, username: str, realm: str, password: str) -> None:
        """Hash `password` into one HA1 per algorithm; the password itself is not kept."""
        for algorithm in DigestAlgorithm:
            self._ha1[(username, realm, algorithm)] = compute_ha1(algorithm, username, realm, password)

    def add_ha1(self, username: str, realm: str, algorithm: DigestAlgorithm, ha1: str) -> None:
        self._ha1[(username, realm, algorithm)] = ha1.lower()

    def ha1(self, username: str, realm: str, algorithm: DigestAlgorithm) -> str | None:
        return self._ha1.get((username, realm, algorithm))


class NonceCountTracker:
    """Highest nonce-count seen per nonce, bounded in size (RFC 7616 section 3.4 / 5.12).

    When full, the entry of the oldest nonce is evicted and `floor` rises to its issue time;
    a nonce issued at or before `floor` that is not in the table may have been used already,
    so it is refused (the caller answers stale=true and the client moves to a fresh nonce).
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.floor = float("-inf")
        self._highest: dict[str, int] = {}
        self._by_age: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._highest)

    def accept(self, nonce: str, issued_at: float, nc: int) -> DigestError | None:
        """Record `nc` for `nonce` if it is higher than any seen; else say why not."""
        highest = self._highest.get(nonce)
        if highest is None:
            if issued_at <= self.floor:
                return DigestError.STALE_NONCE
            while len(self._highest) >= self.max_entries:
                self._evict_oldest()
            heapq.heappush(self._by_age, (issued_at, nonce))
        elif nc <= highest:
            return DigestError.REPLAYED_NONCE_COUNT
        self._highest[nonce] = nc
        return None

    def forget_before(self, issued_before: float) -> None:
        """Drop nonces issued before `issued_before` (they are expired and refused anyway)."""
        while self._by_age and self._by_age[0][0] < issued_before:
            self._evict_oldest()

    def _evict_oldest(self) -> None:
        issued_at, nonce = heapq.heappop(self._by_age)
        del self._highest[nonce]
        self.floor = max(self.floor, issued_at)


@direct_init  # one per authenticated request
@dataclass(frozen=True)
class DigestVerdict:
    """The outcome of checking one request: the user, or the error and how to answer it."""

    username: str | None
    error: DigestError | None

    @property
    def accepted(self) -> bool:
        return self.error is None


_NONCE_SALT_BYTES = 8


class DigestAuthenticator:
    """Server side: issue challenges, verify credentials (RFC 7616 section 3.3 / 3.4).

    `proxy=True` selects Proxy-Authenticate / Proxy-Authorization and 407 (RFC 3261 22.3).
    `algorithms` lists the challenges offered, preferred first (RFC 8760 section 2.4: a UAS
    sends one challenge per algorithm, SHA-256 before MD5).
    """

    def __init__(
        self,
        realm: str,
        secret: bytes,
        credentials: CredentialStore,
        *,
        nonce_lifetime: float = 300.0,
        algorithms: tuple[DigestAlgorithm, ...] = (DigestAlgorithm.SHA_256, DigestAlgorithm.MD5),
        proxy: bool = False,
        tracker: NonceCountTracker | None = None,
        random_bytes: Callable[[int], bytes] = token_bytes,
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the nonce secret must be at least 16 bytes")
        if not algorithms:
            raise ValueError("offer at least one algorithm")
        self.realm = realm
        self.nonce_lifetime = nonce_lifetime
        self.algorithms = algorithms
        self.proxy = proxy
        self.tracker = tracker if tracker is not None else NonceCountTracker()
        self._credentials = credentials
        self._random_bytes = random_bytes
        # The opaque is fixed per realm and secret: it only has to come back unchanged.
        self.opaque = hmac.new(secret, b"opaque:" + realm.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
        # The checks themselves run in C (csrc/sip_digest.c), the one copy of these rules.
        self._checker = DigestChecker(
            secret, realm, self.opaque, [algorithm.value for algorithm in algorithms], nonce_lifetime
        )

    @property
    def challenge_header(self) -> str:
        return "Proxy-Authenticate" if self.proxy else "WWW-Authenticate"

    @property
    def credentials_header(self) -> str:
        return "Proxy-Authorization" if self.proxy else "Authorization"

    # nonces: base64url(issued_ms || salt || HMAC-SHA256(secret, issued_ms || salt || realm)[:16])

    def make_nonce(self, now: float) -> str:
        return self._checker.make_nonce(now, self._random_bytes(_NONCE_SALT_BYTES))

    def nonce_issued_at(self, nonce: str) -> float | None:
        """The issue time of a nonce this server made, or None if forged or mangled."""
        return self._checker.nonce_issued_at(nonce)

    def challenges(self, now: float, *, stale: bool = False) -> list[str]:
        """One challenge value per offered algorithm, sharing one fresh nonce."""
        nonce = self.make_nonce(now)
        return [head + nonce + tail for head, tail in self._challenge_templates[stale]]

    def challenge_templates(self, *, stale: bool = False) -> list[tuple[str, str]]:
        """Each challenge value `challenges()` gives, as (text before the nonce, text after
        it): what the C front of SIP over UDP (uc_signal._sipfront) writes around the nonces
        it makes, so its challenges are these very strings."""
        return list(self._challenge_templates[stale])

    @functools.cached_property
    def _challenge_templates(self) -> dict[bool, list[tuple[str, str]]]:
        """str(DigestChallenge(...)) split around its nonce, per stale flag and algorithm:
        all but the nonce is fixed for this realm, and a nonce (base64url) is written as
        it is inside its quotes, so head + nonce + tail is that same string."""
        marker = "\x00nonce\x00"  # no realm or opaque holds a NUL
        templates: dict[bool, list[tuple[str, str]]] = {}
        for stale in (False, True):
            templates[stale] = []
            for algorithm in self.algorithms:
                text = str(DigestChallenge(self.realm, marker, algorithm, ("auth",), self.opaque, stale))
                head, found, tail = text.partition(f'"{marker}"')
                assert found, text
                templates[stale].append((head + '"', '"' + tail))
        return templates

    def rejection_headers(self, error: DigestError, now: float) -> tuple[int, str, list[tuple[str, str]]]:
        """Status, reason and headers answering `error` (401 becomes 407 for a proxy)."""
        rejection = REJECTIONS[error]
        status = 407 if self.proxy and rejection.status == 401 else rejection.status
        reason = "Proxy Authentication Required" if status == 407 else rejection.reason
        headers: list[tuple[str, str]] = []
        if rejection.challenge:
            headers = [(self.challenge_header, value) for value in self.challenges(now, stale=rejection.stale)]
        return status, reason, headers

    def verify_request(self, request: Request, now: float) -> DigestVerdict:
        """Check a request's Authorization (Proxy-Authorization for a proxy) fields."""
        headers = request.headers
        values: list[str] | list[Credentials] = headers.get_all(self.credentials_header)
        try:
            parsed = headers.typed(self.credentials_header)  # cached once validate() ran
        except ParseError:
            parsed = None
        if parsed is not None and len(parsed) == len(values):
            values = parsed  # one value per field line: the same values, already parsed
        return self.verify(request.method, request.uri_text, values, now)

    def rejection(self, request: Request, error: DigestError, now: float, *, to_tag: str) -> Response:
        """The response refusing `request` for `error`, with fresh challenges if due."""
        status, reason, headers = self.rejection_headers(error, now)
        response = make_response(request, status, reason, to_tag=to_tag)
        for name, value in headers:
            response.headers.add(name, value)
        return response  # with make_response's Content-Length: 0

    def verify(
        self,
        method: str,
        request_uri: str | None,
        credential_values: Iterable[str | Credentials],
        now: float,
    ) -> DigestVerdict:
        """Check the credentials for this realm among `credential_values`.

        `request_uri` (when given) must equal the digest `uri` (RFC 7616 section 3.4.6).
        Checks run so that stale and replay verdicts are only given for a correct digest.
        """
        chosen: dict[str, str] | None = None
        for value in credential_values:
            # DigestCredentials.parse's rules, on the parameters as they are (no object
            # per request): the first Digest value of a line, the five fields required
            # and a known algorithm, or the credentials are malformed.
            if isinstance(value, AuthHeader):
                if value.token68 is not None or value.scheme.lower() != "digest":
                    continue  # another scheme: ignored, so the request is challenged (RFC 4475 3.3.7)
                params = value.params
            else:
                try:
                    params = _digest_params(value, parse_credentials)
                except NotDigestError:
                    continue
                except DigestParseError:
                    return DigestVerdict(None, DigestError.MALFORMED_CREDENTIALS)
            algorithm = params.get("algorithm")
            if not params.keys() >= _REQUIRED or (algorithm is not None and algorithm.lower() not in _BY_TOKEN):
                return DigestVerdict(None, DigestError.MALFORMED_CREDENTIALS)
            if params["realm"] == self.realm:
                chosen = params
                break
            if chosen is None:
                chosen = params
        if chosen is None:
            return DigestVerdict(None, DigestError.MISSING_CREDENTIALS)
        return DigestVerdict(chosen["username"], self._check(chosen, method, request_uri, now))

    def _check(self, params: dict[str, str], method: str, request_uri: str | None, now: float) -> DigestError | None:
        """csrc/sip_digest.c's checks in this order: realm, algorithm, qop, nc and cnonce,
        uri (RFC 7616 section 3.4.6), nonce MAC and issue time, opaque, user, response, age
        (RFC 7616 section 3.3: stale only for a correct digest); then the nonce-count."""
        token = params.get("algorithm")
        algorithm = _BY_TOKEN[token.lower()] if token is not None else DigestAlgorithm.MD5
        username, nonce = params["username"], params["nonce"]
        ha1 = self._credentials.ha1(username, self.realm, algorithm)
        verdict, issued_at, nc = self._checker.check(
            username,
            params["realm"],
            nonce,
            params["uri"],
            params["response"],
            algorithm._value_,
            params.get("qop"),
            params.get("nc"),
            params.get("cnonce"),
            params.get("opaque"),
            method,
            request_uri,
            ha1,
            now,
        )
        if verdict:
            return _CHECK_ERRORS[verdict]
        self.tracker.forget_before(now - self.nonce_lifetime)
        return self.tracker.accept(nonce, issued_at, nc)


_REQUIRED = frozenset(("username", "realm", "nonce", "uri", "response"))

# enum sip_digest_verdict (csrc/sip_digest.h) -> DigestError; 0 is SIP_DIGEST_OK.
_CHECK_ERRORS: tuple[DigestError, ...] = (
    DigestError.MISSING_CREDENTIALS,  # 0: not an error; never looked up
    DigestError.MALFORMED_CREDENTIALS,
    DigestError.REALM_MISMATCH,
    DigestError.UNSUPPORTED_ALGORITHM,
    DigestError.UNSUPPORTED_QOP,
    DigestError.URI_MISMATCH,
    DigestError.INVALID_NONCE,
    DigestError.OPAQUE_MISMATCH,
    DigestError.UNKNOWN_USER,
    DigestError.WRONG_RESPONSE,
    DigestError.STALE_NONCE,
)
