"""uc_signal.sip: a sans-IO SIP core (no sockets, no asyncio, no clock).

The message layer (this package's parse/serialize API) is described in README.md beside
this file. Everything public is importable from here.
"""

from .address import Contact, NameAddr
from .auth_headers import AuthHeader, Challenge, Credentials
from .fields import CSeq, ContentType, Event, Replaces, SubscriptionState, format_date
from .framing import (NEED_DATA, ConnectionClosed, KeepAliveReceived, MessageReceived,
                      MessageRejected, StreamFramer, parse_datagram)
from .headers import COMPACT_FORMS, Headers, canonical_name
from .message import (REASON_PHRASES, Message, Request, Response, check_request, make_response,
                      parse_head, parse_message, unsupported_options)
from .multipart import BodyPart, build_multipart, parse_multipart
from .parse_error import FramingError, ParseError
from .uri import AbsoluteUri, SipUri, TelUri, Uri, parse_uri, unescape
from .via import MAGIC_COOKIE, Via

__all__ = [
    "AbsoluteUri", "AuthHeader", "BodyPart", "build_multipart", "parse_multipart", "COMPACT_FORMS", "CSeq", "Challenge", "ConnectionClosed",
    "Contact", "ContentType", "Credentials", "Event", "FramingError", "Headers",
    "KeepAliveReceived", "MAGIC_COOKIE", "Message", "MessageReceived", "MessageRejected",
    "NEED_DATA", "NameAddr", "ParseError", "REASON_PHRASES", "Replaces", "Request", "Response",
    "SipUri", "StreamFramer", "SubscriptionState", "TelUri", "Uri", "Via", "canonical_name", "check_request", "unsupported_options",
    "format_date", "make_response", "parse_datagram", "parse_head", "parse_message",
    "parse_uri", "unescape",
]

# Transactions, dialogs and digest authentication (RFC 3261 12, 17; RFC 6026; RFC 7616/8760).
from .derived_requests import make_ack, make_cancel, new_branch
from .dialog import (DIALOG_ERROR_STATUS, Dialog, DialogError, DialogId, DialogProtocolError,
                     DialogState, DialogTable, UacDialogSet, copy_record_route)
from .digest import (REJECTIONS, CredentialStore, DigestAlgorithm, DigestAuthenticator,
                     DigestChallenge, DigestClient, DigestCredentials, DigestError,
                     DigestParseError, DigestVerdict, InMemoryCredentials, NonceCountTracker,
                     NotDigestError)
from .transaction import Transaction, TransactionKey
from .transaction_events import (AckTimedOut, MalformedMessageReceived, RequestReceived,
                                 ResponseReceived, TransactionEvent, TransactionTerminated,
                                 TransactionTimedOut, TransportErrorOccurred)
from .transaction_layer import TransactionError, TransactionLayer, stateless_to_tag
from .transaction_table import Timer, TimerConfig, TransactionKind, TransactionState

__all__ += [
    "AckTimedOut", "CredentialStore", "DIALOG_ERROR_STATUS", "Dialog", "DialogError", "DialogId",
    "DialogProtocolError", "DialogState", "DialogTable", "DigestAlgorithm", "DigestAuthenticator",
    "DigestChallenge", "DigestClient", "DigestCredentials", "DigestError", "DigestParseError",
    "DigestVerdict", "InMemoryCredentials", "MalformedMessageReceived", "NonceCountTracker",
    "NotDigestError", "REJECTIONS", "RequestReceived", "ResponseReceived", "Timer", "TimerConfig", "Transaction",
    "TransactionError", "TransactionEvent", "TransactionKey", "TransactionKind",
    "TransactionLayer", "TransactionState", "TransactionTerminated", "TransactionTimedOut",
    "TransportErrorOccurred", "UacDialogSet", "copy_record_route", "make_ack", "make_cancel",
    "new_branch", "stateless_to_tag",
]
