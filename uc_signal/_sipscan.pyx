# cython: language_level=3, boundscheck=False, wraparound=False
"""The SIP scanner (csrc/sip_scan.c) under the message layer: header block split, Via,
name-addr, CSeq, auth-params and generic `;params`, turned into str values and the typed
objects of uc_signal.sip. Internal: uc_signal.sip is the API.

Header blocks are decoded as UTF-8 with surrogateescape (any octet survives a round trip);
typed values, which are str, are scanned in place when ASCII and as UTF-8 (surrogatepass)
otherwise, so spans cut at ASCII delimiters decode back to the same characters.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.type cimport PyType_Check
from libc.stdint cimport uint32_t
from libc.string cimport memchr, memcmp

from uc_signal.includes.sip_scan cimport *

import re

cdef extern from "Python.h":
    bint PyUnicode_IS_COMPACT_ASCII(object o)
    void *PyUnicode_DATA(object o)
    str PyUnicode_DecodeASCII(const char *s, Py_ssize_t size, const char *errors)
    str PyUnicode_DecodeUTF8(const char *s, Py_ssize_t size, const char *errors)

_FOLD_RE = re.compile(r"[ \t]*\r\n[ \t]+")
_QUOTED_PAIR_RE = re.compile(r"\\(.)", re.S)

# enum sip_header_id -> the lookup key (lower-case long name) and the usual spelling.
_IDS = (
    (None, None), ("via", "Via"), ("from", "From"), ("to", "To"), ("call-id", "Call-ID"),
    ("cseq", "CSeq"), ("contact", "Contact"), ("max-forwards", "Max-Forwards"),
    ("content-length", "Content-Length"), ("content-type", "Content-Type"),
    ("expires", "Expires"), ("authorization", "Authorization"),
    ("proxy-authorization", "Proxy-Authorization"), ("www-authenticate", "WWW-Authenticate"),
    ("proxy-authenticate", "Proxy-Authenticate"), ("route", "Route"),
    ("record-route", "Record-Route"), ("user-agent", "User-Agent"), ("allow", "Allow"),
    ("supported", "Supported"), ("require", "Require"), ("event", "Event"),
    ("subscription-state", "Subscription-State"), ("allow-events", "Allow-Events"),
    ("accept-contact", "Accept-Contact"), ("referred-by", "Referred-By"),
    ("request-disposition", "Request-Disposition"), ("content-encoding", "Content-Encoding"),
    ("reject-contact", "Reject-Contact"), ("identity-info", "Identity-Info"),
    ("refer-to", "Refer-To"), ("subject", "Subject"), ("session-expires", "Session-Expires"),
    ("identity", "Identity"),
)
cdef tuple _KEY = tuple(key for key, _ in _IDS)
cdef tuple _SPELLING = tuple(name for _, name in _IDS)
cdef tuple _SPELLING_BYTES = tuple(name.encode() if name else b"" for _, name in _IDS)
# Set by configure() when uc_signal.sip.headers loads (this module imports nothing of
# uc_signal.sip, which imports it).
cdef dict _OTHER_KEYS = {}  # lower-case name -> key, for names outside the C enum
cdef dict _TYPED_PARSERS = {}  # key -> (parser, mode): headers.TYPED_PARSERS
cdef object _split_checked = None  # headers._split_checked
cdef object _MISSING = object()
ParseError = ValueError

cdef enum:
    # Array sizes on the C stack; bigger messages and values take one heap array.
    FIELDS_ON_STACK = 48
    PARAMS_ON_STACK = 24
    AUTH_ON_STACK = 32


def configure(dict keys, error_class, dict typed_parsers, split_checked):
    """Give the scanner headers.py's name -> key table, typed-parser table and list
    splitter, and the ParseError class."""
    global _OTHER_KEYS, ParseError, _TYPED_PARSERS, _split_checked
    _OTHER_KEYS = keys
    ParseError = error_class
    _TYPED_PARSERS = typed_parsers
    _split_checked = split_checked


cdef tuple _NO_ARGS = ()


cdef inline object _new(cls):
    """cls.__new__(cls) through the type's slot (no attribute lookup, no argument
    parsing): what the typed values' classes, plain __slots__ classes, are made with."""
    if not PyType_Check(cls) or (<PyTypeObject *>cls).tp_new == NULL:
        raise TypeError(f"not a class that makes instances: {cls!r}")
    return (<PyTypeObject *>cls).tp_new(cls, <PyObject *>_NO_ARGS, NULL)


# ---- storing into the __slots__ of objects made here ----
# Setting `obj.name = value` on a __slots__ class looks the member descriptor up in the
# type's MRO and calls it, for every attribute of every object built per message. A
# _Slots knows, for one class, where its instances keep the named attributes (the member
# descriptors' offsets) and stores there as the descriptor would (PyMember_SetOne,
# T_OBJECT_EX); an attribute that is not such a plain slot (a property, a class with its
# own __setattr__) is set with setattr().

cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset
    enum:
        T_OBJECT_EX


cdef extern from "descrobject.h":
    ctypedef struct PyMemberDescrObject:
        PyMemberDef *d_member


cdef class _Slots:
    cdef tuple names
    cdef Py_ssize_t offsets[8]


cdef _Slots _layout(dict cache, cls, tuple names):
    """The _Slots of `names` in class `cls` (cached in `cache`, one per construction site)."""
    cdef _Slots layout = cache.get(cls)
    if layout is not None:
        return layout
    layout = _Slots.__new__(_Slots)
    layout.names = names
    cdef bint plain = getattr(cls, "__setattr__", None) is object.__setattr__
    cdef Py_ssize_t i
    for i in range(len(names)):
        layout.offsets[i] = -1
        if not plain:
            continue
        for base in cls.__mro__:
            descriptor = base.__dict__.get(names[i])
            if descriptor is not None:
                if (type(descriptor) is _MEMBER_DESCRIPTOR
                        and (<PyMemberDescrObject *>descriptor).d_member.type == T_OBJECT_EX):
                    layout.offsets[i] = (<PyMemberDescrObject *>descriptor).d_member.offset
                break
    cache[cls] = layout
    return layout


cdef inline int _put(obj, _Slots layout, int i, value) except -1:
    """obj.<layout.names[i]> = value."""
    cdef Py_ssize_t offset = layout.offsets[i]
    cdef PyObject **slot
    cdef PyObject *old
    if offset < 0:
        setattr(obj, layout.names[i], value)
        return 0
    slot = <PyObject **>((<char *><PyObject *>obj) + offset)
    old = slot[0]
    Py_INCREF(value)
    slot[0] = <PyObject *>value
    Py_XDECREF(old)
    return 0


class _SlotProbe:
    __slots__ = ("probe",)


cdef object _MEMBER_DESCRIPTOR = type(_SlotProbe.__dict__["probe"])


cdef inline str _head_str(const char *buf, sip_span_t s):
    return PyUnicode_DecodeUTF8(buf + s.off, s.len, "surrogateescape")


# ---- str views ----

cdef struct View:
    # The octets of a str: its own buffer when ASCII, else its UTF-8 (surrogatepass) in
    # a bytes object the caller keeps alive.
    const char *ptr
    Py_ssize_t n
    bint ascii


cdef inline bytes _view(str text, View *v):
    cdef bytes holder
    if PyUnicode_IS_COMPACT_ASCII(text):
        v.ptr = <const char *>PyUnicode_DATA(text)
        v.n = len(text)
        v.ascii = True
        return None
    holder = text.encode("utf-8", "surrogatepass")
    v.ptr = holder
    v.n = len(holder)
    v.ascii = False
    return holder


cdef inline str _s(View *v, sip_span_t sp):
    if v.ascii:
        return PyUnicode_DecodeASCII(v.ptr + sp.off, sp.len, NULL)
    return PyUnicode_DecodeUTF8(v.ptr + sp.off, sp.len, "surrogatepass")


# Parameter names that nearly every message carries (Via, From/To, Contact, URI and
# digest parameters), lower-case: a name spelled so (in any case) is given as this very
# str, its hash already computed, instead of a new one.
cdef tuple _COMMON_NAMES = tuple(sorted({
    "branch", "rport", "received", "maddr", "ttl", "tag", "expires", "q", "transport", "lr", "user",
    "method", "ob", "gr", "+sip.instance", "reg-id", "realm", "nonce", "uri", "response", "username",
    "algorithm", "cnonce", "nc", "qop", "opaque", "stale", "domain", "epid"}, key=len))
cdef Py_ssize_t _COMMON_BY_LEN[20]  # index in _COMMON_NAMES of the first name of each length


cdef void _index_common_names():
    cdef Py_ssize_t i, length
    for length in range(20):
        _COMMON_BY_LEN[length] = len(_COMMON_NAMES)
    for i in reversed(range(len(_COMMON_NAMES))):
        _COMMON_BY_LEN[len(<str>_COMMON_NAMES[i])] = i


_index_common_names()


cdef inline char _ascii_lower(char c):
    return c + 32 if b'A' <= c <= b'Z' else c


cdef str _lower_token(View *v, sip_span_t sp):
    """A token (ASCII) lower-cased: one of _COMMON_NAMES when it is one, else a new str
    (without a second one when it already is lower-case)."""
    cdef uint32_t i
    cdef Py_ssize_t k
    cdef char c
    cdef const char *p = v.ptr + sp.off
    cdef const char *name
    cdef bint upper = False
    if sp.len < 20:
        k = _COMMON_BY_LEN[sp.len]
        while k < len(_COMMON_NAMES):
            known = <str>_COMMON_NAMES[k]
            if len(known) != sp.len:
                break
            name = <const char *>PyUnicode_DATA(known)
            for i in range(sp.len):
                if _ascii_lower(p[i]) != name[i]:
                    break
            else:
                return known
            k += 1
    for i in range(sp.len):
        c = p[i]
        if b'A' <= c <= b'Z':
            return _s(v, sp).lower()
    return _s(v, sp)


cdef dict _params_dict(View *v, sip_param_t *params, uint32_t n):
    cdef dict out = {}
    cdef uint32_t i
    for i in range(n):
        out[_lower_token(v, params[i].name)] = (
            None if params[i].value.off == SIP_NO_SPAN else _s(v, params[i].value))
    return out


# ---- header block ----

cdef tuple _scan_head(const char *buf, Py_ssize_t length):
    cdef sip_head_t head
    cdef sip_field_t stack_fields[FIELDS_ON_STACK]
    cdef sip_field_t *fields = stack_fields
    cdef int reason = 0
    cdef int n = sip_scan_head(buf, length, &head, fields, FIELDS_ON_STACK, &reason)
    if n < 0:
        raise ParseError("header block too long", 413)
    if n > FIELDS_ON_STACK:
        fields = <sip_field_t *>PyMem_Malloc(n * sizeof(sip_field_t))
        if fields == NULL:
            raise MemoryError()
        n = sip_scan_head(buf, length, &head, fields, n, &reason)
    try:
        return _build_head(buf, &head, fields, n)
    finally:
        if fields != stack_fields:
            PyMem_Free(fields)


cdef tuple _start_parts(const char *buf, int kind, sip_start_line_t *st):
    if kind == SIP_START_REQUEST:
        return (kind, _head_str(buf, st.a), _head_str(buf, st.b), _head_str(buf, st.c))
    return (kind, _head_str(buf, st.a), st.status, _head_str(buf, st.c))


cdef tuple _build_head(const char *buf, sip_head_t *head, sip_field_t *fields, int n):
    cdef tuple start
    cdef int kind
    cdef sip_start_line_t st
    cdef bytes unfolded
    cdef str line
    if head.start_kind:
        start = _start_parts(buf, head.start_kind, &head.start)
    else:
        line = _head_str(buf, head.start_line)
        if head.start_flags & SIP_FIELD_FOLDED:
            line = _FOLD_RE.sub(" ", line)
            unfolded = line.encode("utf-8", "surrogateescape")
            kind = sip_scan_start_line(unfolded, len(unfolded), &st)
            if kind > 0:
                start = _start_parts(unfolded, kind, &st)
            else:
                start = (0, line, None, None)
        else:
            start = (0, line, None, None)
    cdef list out = []
    cdef object bad_line = None
    cdef int i
    cdef sip_field_t *f
    cdef str name, value, key
    cdef bytes spelled
    for i in range(n):
        f = &fields[i]
        if f.flags & SIP_FIELD_MALFORMED:
            if bad_line is None:
                bad_line = _head_str(buf, f.value)
                if f.flags & SIP_FIELD_FOLDED:
                    bad_line = _FOLD_RE.sub(" ", bad_line)
            continue
        if f.id:
            key = _KEY[f.id]
            spelled = _SPELLING_BYTES[f.id]
            if <Py_ssize_t>f.name.len == len(spelled) and memcmp(buf + f.name.off, <const char *>spelled, f.name.len) == 0:
                name = _SPELLING[f.id]
            else:
                name = _head_str(buf, f.name)
        else:
            name = _head_str(buf, f.name)
            lower = name.lower()
            key = _OTHER_KEYS.get(lower, lower)
        value = _head_str(buf, f.value)
        if f.flags & SIP_FIELD_FOLDED:
            value = _FOLD_RE.sub(" ", value).strip(" \t")
        out.append((key, name, value))
    return (start, out, bad_line, head.content_length)


def scan_head(head):
    """The header block (no final CRLFCRLF): ((kind, a, b, c), fields, bad_line,
    content_length). kind 1: (method, uri, version); 2: (version, status, reason); 0: the
    start line is malformed and `a` is it (unfolded). fields: (key, name, value) per
    well-formed line; bad_line: the first malformed one or None; content_length: the
    value, -1 absent, -2 not one plain value (decide from the fields)."""
    if type(head) is not bytes:
        head = bytes(head)  # bytearray, memoryview
    return _scan_head(head, len(head))


def scan_message(data):
    """One whole message: scan_head()'s tuple and the body (RFC 3261 7.5: leading CRLFs
    skipped; the head ends at the first CRLFCRLF, or at the end less one CRLF)."""
    cdef sip_message_span_t sp
    if type(data) is not bytes:
        data = bytes(data)  # bytearray, memoryview
    cdef bytes octets = data
    cdef const char *buf = octets
    sip_split_message(buf, len(data), &sp)
    if sp.head_len == 0:
        raise ParseError("empty message")
    return _scan_head(buf + sp.head_off, sp.head_len) + (octets[sp.body_off:],)


# ---- whole messages (message.parse_message's common case, Message.validate) ----

cdef object _Request = None
cdef object _Response = None
cdef object _Headers = None
cdef dict _REASON_PHRASES = {}


def configure_messages(request_class, response_class, headers_class, dict reason_phrases):
    """message.py's Request, Response and REASON_PHRASES and headers.py's Headers (set
    when message.py loads)."""
    global _Request, _Response, _Headers, _REASON_PHRASES
    _Request = request_class
    _Response = response_class
    _Headers = headers_class
    _REASON_PHRASES = reason_phrases


def response_of(status, reason, list fields):
    """Response(status, reason, Headers._from_parsed(fields)) (make_response's), made
    without its __init__ when `status` is an int in range."""
    if type(status) is not int or not 100 <= status <= 699:
        return _Response(status, reason, _Headers._from_parsed(fields))
    headers = _new(_Headers)
    headers._fields = fields
    headers._typed = {}
    msg = _new(_Response)
    msg.headers = headers
    msg.body = b""
    msg.version = "SIP/2.0"
    msg.status = status
    msg.reason = _REASON_PHRASES.get(status, "") if reason is None else reason
    return msg


def serialize_message(msg):
    """bytes(msg) (Message.__bytes__): the start line, `Name: value` CRLF per field, CRLF,
    the body; for a Request or Response whose parts are plain str and int, in one join."""
    cdef list parts
    cdef tuple field
    cls = type(msg)
    headers = msg.headers
    if type(headers) is not _Headers:
        return None
    if cls is _Request:
        method, uri_text, version = msg.method, msg._uri_text, msg.version
        if type(method) is not str or type(uri_text) is not str or type(version) is not str:
            return None
        parts = [method, " ", uri_text, " ", version, "\r\n"]
    elif cls is _Response:
        version, status, reason = msg.version, msg.status, msg.reason
        if type(version) is not str or type(status) is not int or type(reason) is not str:
            return None
        parts = [version, " ", str(status), " ", reason, "\r\n"]
    else:
        return None
    for field in <list>headers._fields:
        parts.append(field[1])
        parts.append(": ")
        parts.append(field[2])
        parts.append("\r\n")
    parts.append("\r\n")
    return "".join(parts).encode("utf-8", "surrogateescape") + msg.body


def parse_datagram(data):
    """message.parse_message(data) for a message it takes without a complaint: a
    well-formed start line of version SIP/2.0 (any case), no malformed header line, one
    plain Content-Length no larger than the body (or none); the Request or Response it
    builds. None for anything else: parse_message then decides (and reports)."""
    cdef sip_message_span_t sp
    if type(data) is not bytes:
        data = bytes(data)  # bytearray, memoryview
    cdef bytes octets = data
    cdef const char *buf = octets
    cdef Py_ssize_t size = len(octets)
    sip_split_message(buf, size, &sp)
    if sp.head_len == 0:
        return None
    cdef tuple scanned = _scan_head(buf + sp.head_off, sp.head_len)
    cdef tuple start = scanned[0]
    cdef long content_length = scanned[3]
    if scanned[2] is not None or content_length < -1:
        return None
    kind = start[0]
    if kind == SIP_START_REQUEST:
        version = start[3]
    elif kind == SIP_START_RESPONSE:
        version = start[1]
    else:
        return None
    if version != "SIP/2.0" and (<str>version).upper() != "SIP/2.0":
        return None
    cdef Py_ssize_t body_end = size
    if content_length >= 0:
        if content_length > size - <Py_ssize_t>sp.body_off:
            return None
        body_end = sp.body_off + content_length
    headers = _new(_Headers)
    headers._fields = scanned[1]
    headers._typed = {}
    if kind == SIP_START_REQUEST:
        msg = _new(_Request)
        msg.method = start[1]
        msg._uri_text = start[2]
        msg._uri = None
    else:
        msg = _new(_Response)
        msg.status = start[2]
        msg.reason = start[3]
    msg.version = version
    msg.headers = headers
    msg.body = octets[sp.body_off:body_end]
    return msg


def validate_message(msg):
    """Message.validate() less the annotation of its ParseError: every typed header and
    the URIs in them, a Contact '*' not mixed with addresses, and for a request the
    Request-URI (no headers in it) and the CSeq method."""
    headers = msg.headers
    validate_typed(headers)
    cdef list contacts = headers_typed(headers, "contact")
    if len(contacts) > 1:
        for contact in contacts:
            if contact.is_star:
                raise ParseError("Contact '*' mixed with addresses (RFC 3261 10.2.2)")
    if type(msg) is not _Request:
        msg._validate_start()
        return
    uri = msg._uri
    if uri is None:
        uri = msg._uri = parse_uri(msg._uri_text)
    if isinstance(uri, _SipUri) and uri.headers:
        # RFC 3261 19.1.1 table 1: headers are not allowed in a Request-URI (RFC 4475 3.1.2.11)
        raise ParseError("Request-URI carries headers")
    cseq = headers_typed(headers, "cseq")
    if cseq is not None and cseq.method != msg.method:
        raise ParseError(f"CSeq method {cseq.method!r} differs from {msg.method!r} (RFC 3261 8.1.1.5)")


# ---- typed values ----
# Each scanner gets a parameter array on the stack; a value with more parameters than it
# holds is scanned again into one of the size the first pass reported.

def parse_params(str text, Py_ssize_t pos=0, str what="parameter"):
    """`*( SEMI generic-param )` from `pos` (a character index) to the end of `text`:
    {lower-case name: raw value or None}; ParseError for anything else."""
    cdef View v
    cdef bytes keep = _view(text, &v)
    cdef sip_param_t stack[PARAMS_ON_STACK]
    cdef sip_param_t *params = stack
    cdef uint32_t needed = 0
    cdef int reason = 0
    cdef Py_ssize_t start = pos if v.ascii else len(text[:pos].encode("utf-8", "surrogatepass"))
    cdef int n = sip_scan_params(v.ptr, v.n, start, params, PARAMS_ON_STACK, &needed, &reason)
    if reason == SIP_ERR_NOSPACE:
        params = _alloc_params(needed)
        n = sip_scan_params(v.ptr, v.n, start, params, needed, &needed, &reason)
    try:
        if n < 0:
            raise ParseError(f"malformed {what} in {text!r}")
        return _params_dict(&v, params, n)
    finally:
        if params != stack:
            PyMem_Free(params)


cdef sip_param_t *_alloc_params(size_t n) except NULL:
    cdef sip_param_t *p = <sip_param_t *>PyMem_Malloc(n * sizeof(sip_param_t))
    if p == NULL:
        raise MemoryError()
    return p


def parse_via(cls, str text):
    """One Via element as a `cls` (uc_signal.sip.via.Via)."""
    return _parse_via(cls, text)


cdef dict _VIA_SLOTS = {}
cdef dict _NAME_ADDR_SLOTS = {}
cdef dict _CSEQ_SLOTS = {}
cdef dict _AUTH_SLOTS = {}
cdef dict _URI_SLOTS = {}


cdef object _parse_via(cls, str text):
    cdef _Slots layout
    cdef View v
    cdef bytes keep = _view(text, &v)
    cdef sip_param_t stack[PARAMS_ON_STACK]
    cdef sip_param_t *params = stack
    cdef sip_via_t via
    cdef int reason = 0
    cdef int n = sip_scan_via(v.ptr, v.n, &via, params, PARAMS_ON_STACK, &reason)
    if reason == SIP_ERR_NOSPACE:
        params = _alloc_params(via.n_params)
        n = sip_scan_via(v.ptr, v.n, &via, params, via.n_params, &reason)
    try:
        if n < 0:
            if reason == SIP_ERR_VIA_PROTOCOL:
                raise ParseError(f"unknown protocol in Via: {text!r}")
            if reason == SIP_ERR_VIA_VERSION:
                raise ParseError(f"unsupported SIP version in Via: {text!r}", 505)
            if reason == SIP_ERR_PARAMS:
                raise ParseError(f"malformed Via parameter in {text!r}")
            raise ParseError(f"malformed Via: {text!r}")
        obj = _new(cls)
        layout = _layout(_VIA_SLOTS, type(obj), ("transport", "host", "port", "params", "protocol"))
        _put(obj, layout, 0, _s(&v, via.transport).upper())
        _put(obj, layout, 1, _s(&v, via.host))
        _put(obj, layout, 2, None if via.port < 0 else via.port)
        found = _params_dict(&v, params, n)
        _put(obj, layout, 3, found)
    finally:
        if params != stack:
            PyMem_Free(params)
    _put(obj, layout, 4, "SIP/2.0")
    if via.port > 65535 or "ttl" in found or found.get("rport"):
        cls._check(obj, text)
    return obj


def parse_name_addr(cls, str text):
    """`[display] <uri> ;params` or `uri ;params` as a `cls` (NameAddr, Contact)."""
    return _parse_name_addr(cls, text)


cdef object _parse_name_addr(cls, str text):
    cdef _Slots layout
    cdef View v
    cdef bytes keep = _view(text, &v)
    cdef sip_param_t stack[PARAMS_ON_STACK]
    cdef sip_param_t *params = stack
    cdef sip_name_addr_t na
    cdef int reason = 0
    cdef int n = sip_scan_name_addr(v.ptr, v.n, &na, params, PARAMS_ON_STACK, &reason)
    if reason == SIP_ERR_NOSPACE:
        params = _alloc_params(na.n_params)
        n = sip_scan_name_addr(v.ptr, v.n, &na, params, na.n_params, &reason)
    try:
        if n < 0:
            if reason == SIP_ERR_PARAMS:
                raise ParseError(f"malformed header parameter in {text!r}")
            raise ParseError(f"malformed address: {text!r}")
        obj = _new(cls)
        layout = _layout(_NAME_ADDR_SLOTS, type(obj), ("_uri", "_uri_text", "display_name", "params"))
        _put(obj, layout, 0, None)
        _put(obj, layout, 1, _s(&v, na.uri))
        if na.display.off == SIP_NO_SPAN:
            _put(obj, layout, 2, None)
        elif na.display_quoted == 2:
            _put(obj, layout, 2, _QUOTED_PAIR_RE.sub(r"\1", _s(&v, na.display)))
        else:
            _put(obj, layout, 2, _s(&v, na.display))
        _put(obj, layout, 3, _params_dict(&v, params, n))
        return obj
    finally:
        if params != stack:
            PyMem_Free(params)


def parse_cseq(cls, str text):
    """CSeq as a `cls` with `seq` and `method`."""
    return _parse_cseq(cls, text)


cdef object _parse_cseq(cls, str text):
    cdef View v
    cdef bytes keep = _view(text, &v)
    cdef uint32_t seq = 0
    cdef sip_span_t digits, method
    cdef int reason = 0
    if sip_scan_cseq(v.ptr, v.n, &seq, &digits, &method, &reason) < 0:
        if reason == SIP_ERR_CSEQ_TOO_LARGE:
            raise ParseError(f"CSeq number too large: {_s(&v, digits)!r}")
        raise ParseError(f"malformed CSeq: {text!r}")
    obj = _new(cls)
    cdef _Slots layout = _layout(_CSEQ_SLOTS, type(obj), ("seq", "method"))
    _put(obj, layout, 0, seq)
    _put(obj, layout, 1, _s(&v, method))
    return obj


def parse_auth(cls, str text):
    """Every `scheme params` / `scheme token68` in one Authorization or WWW-Authenticate
    line (and the proxy ones) as `cls` objects (Credentials, Challenge)."""
    return _parse_auth(cls, text)


cdef list _parse_auth(cls, str text):
    cdef View v
    cdef bytes keep = _view(text, &v)
    cdef sip_auth_item_t stack[AUTH_ON_STACK]
    cdef sip_auth_item_t *items = stack
    cdef uint32_t needed = 0
    cdef int reason = 0
    cdef int n = sip_scan_auth(v.ptr, v.n, items, AUTH_ON_STACK, &needed, &reason)
    if reason == SIP_ERR_NOSPACE:
        items = <sip_auth_item_t *>PyMem_Malloc(needed * sizeof(sip_auth_item_t))
        if items == NULL:
            raise MemoryError()
        n = sip_scan_auth(v.ptr, v.n, items, needed, &needed, &reason)
    try:
        if n < 0:
            what = cls.__name__.lower()
            if reason == SIP_ERR_AUTH_PARAM:
                raise ParseError(f"malformed auth-param in {text!r}")
            if reason == SIP_ERR_AUTH_TRAILING:
                raise ParseError(f"trailing characters in {what}: {text!r}")
            if reason == SIP_ERR_AUTH_EMPTY:
                raise ParseError(f"empty {what}")
            raise ParseError(f"malformed {what}: {text!r}")
        return _build_auth(cls, &v, items, n)
    finally:
        if items != stack:
            PyMem_Free(items)


cdef list _build_auth(cls, View *v, sip_auth_item_t *items, int n):
    cdef list out = []
    cdef int i = 0
    cdef sip_auth_item_t *it
    cdef dict params
    cdef list quoted
    cdef str name, value
    cdef _Slots layout
    while i < n:
        header = _new(cls)
        layout = _layout(_AUTH_SLOTS, type(header), ("scheme", "token68", "params", "_quoted"))
        _put(header, layout, 0, _s(v, items[i].name))
        _put(header, layout, 1, None)
        params = {}
        quoted = []
        i += 1
        while i < n and items[i].kind != SIP_AUTH_SCHEME:
            it = &items[i]
            if it.kind == SIP_AUTH_TOKEN68:
                _put(header, layout, 1, _s(v, it.value))
            else:
                name = _lower_token(v, it.name)
                value = _s(v, it.value)
                if it.quoted:
                    quoted.append(name)
                    if it.quoted == 2:
                        value = _QUOTED_PAIR_RE.sub(r"\1", value)
                params[name] = value
            i += 1
        _put(header, layout, 2, params)
        _put(header, layout, 3, frozenset(quoted))
        out.append(header)
    return out


# ---- the typed parsers run here (fields.py registers them with register_fast) ----
# Headers.typed() calls a registered parser's C-level twin instead of the Python function
# when TYPED_PARSERS still holds that very function. A twin either builds exactly what
# the function builds or, when its input is not the plain valid form it recognises, calls
# the function itself (`fallback`), which then decides and raises the same ParseError.

cdef enum:
    FAST_VIA = 1
    FAST_NAME_ADDR = 2
    FAST_CONTACT = 3
    FAST_CSEQ = 4
    FAST_CALL_ID = 5
    FAST_UINT = 6
    FAST_OPTION_TAG = 7
    FAST_AUTH = 8
    FAST_CONTENT_TYPE = 9

cdef dict _FAST_KINDS = {"via": FAST_VIA, "name-addr": FAST_NAME_ADDR, "contact": FAST_CONTACT,
                         "cseq": FAST_CSEQ, "call-id": FAST_CALL_ID, "uint": FAST_UINT,
                         "option-tag": FAST_OPTION_TAG, "auth": FAST_AUTH,
                         "content-type": FAST_CONTENT_TYPE}


cdef class _FastParser:
    cdef object parser  # the TYPED_PARSERS entry this stands for (compared by identity)
    cdef int kind
    cdef object cls  # the class built (Via, NameAddr, Contact, CSeq, Credentials...)
    cdef unsigned long long limit  # FAST_UINT: the largest value accepted


cdef dict _FAST = {}  # key -> _FastParser


def register_fast(str key, parser, str kind, cls=None, unsigned long long limit=0):
    """Run `parser` (TYPED_PARSERS[key]'s function) as its twin `kind` here: "via",
    "name-addr", "contact", "cseq", "auth" (the scanners above, building `cls`), "call-id",
    "option-tag" (a character check, else `parser`), "uint" (digits <= `limit`, else
    `parser`), "content-type" (`type/subtype[;params]` without LWS, building `cls`, else
    `parser`)."""
    cdef _FastParser fp = _FastParser.__new__(_FastParser)
    fp.parser = parser
    fp.kind = _FAST_KINDS[kind]
    fp.cls = cls
    fp.limit = limit
    _FAST[key] = fp


cdef inline bint _word_char(char c):
    # RFC 3261 25.1 word (Call-ID): alphanum and - . ! % * _ + ` ' ~ ( ) < > : \ " / [ ] ? { }
    return _alnum(c) or c in b"-.!%*_+`'~()<>:\\\"/[]?{}"


cdef bint _plain_call_id(str text):
    """word [ "@" word ], ASCII (what fields.parse_call_id accepts, for ASCII text)."""
    if not PyUnicode_IS_COMPACT_ASCII(text):
        return False
    cdef const char *p = <const char *>PyUnicode_DATA(text)
    cdef Py_ssize_t n = len(text), i, at = -1
    cdef char c
    if n == 0:
        return False
    for i in range(n):
        c = p[i]
        if c == b'@':
            if at >= 0 or i == 0 or i == n - 1:
                return False
            at = i
        elif not _word_char(c):
            return False
    return True


cdef inline bint _token_char(char c):
    # RFC 3261 25.1 token: alphanum and - . ! % * _ + ` ' ~
    return _alnum(c) or c in b"-.!%*_+`'~"


cdef dict _CONTENT_TYPE_SLOTS = {}


cdef object _content_type(_FastParser fp, str text):
    """fields.ContentType.parse for `type/subtype` and `;params` without LWS; anything
    else by the function itself."""
    if not PyUnicode_IS_COMPACT_ASCII(text):
        return fp.parser(text)
    cdef const char *p = <const char *>PyUnicode_DATA(text)
    cdef Py_ssize_t n = len(text), slash = 0, end
    while slash < n and _token_char(p[slash]):
        slash += 1
    if slash == 0 or slash >= n or p[slash] != b'/':
        return fp.parser(text)
    end = slash + 1
    while end < n and _token_char(p[end]):
        end += 1
    if end == slash + 1 or (end < n and p[end] != b';'):
        return fp.parser(text)
    params = {}
    if end < n:
        try:
            params = parse_params(text, end, "media type parameter")
        except ParseError:
            return fp.parser(text)
    obj = _new(fp.cls)
    cdef _Slots layout = _layout(_CONTENT_TYPE_SLOTS, type(obj), ("type", "subtype", "params"))
    _put(obj, layout, 0, text[:slash].lower())
    _put(obj, layout, 1, text[slash + 1:end].lower())
    _put(obj, layout, 2, params)
    return obj


cdef object _run_fast(_FastParser fp, str text):
    cdef int kind = fp.kind
    if kind == FAST_VIA:
        return _parse_via(fp.cls, text)
    if kind == FAST_NAME_ADDR:
        return _parse_name_addr(fp.cls, text)
    if kind == FAST_CSEQ:
        return _parse_cseq(fp.cls, text)
    if kind == FAST_CONTACT:
        if "*" in text and text.strip() == "*":
            return fp.parser(text)  # the wildcard (Contact.star)
        addr = _parse_name_addr(fp.cls, text)
        params = addr.params
        if params:
            if "expires" in params:
                addr.expires  # validated now, as Contact.parse does (RFC 4475 3.1.2.4)
            if "q" in params:
                addr.q
        return addr
    if kind == FAST_AUTH:
        return _parse_auth(fp.cls, text)
    if kind == FAST_CONTENT_TYPE:
        return _content_type(fp, text)
    if kind == FAST_UINT:
        value = _plain_uint(text, fp.limit)
        return value if value is not None else fp.parser(text)
    if kind == FAST_CALL_ID:
        if _plain_call_id(text):
            return text
        return fp.parser(text)
    if kind == FAST_OPTION_TAG:
        if PyUnicode_IS_COMPACT_ASCII(text) and sip_is_token(<const char *>PyUnicode_DATA(text), len(text)):
            return text
        return fp.parser(text)
    return fp.parser(text)


cdef list _list_elements(str raw, str key):
    """The elements of a list header's field line (headers._split_checked, whose
    split_commas takes this very path when no quote or angle bracket can hide a comma)."""
    cdef list parts
    cdef str part
    cdef Py_ssize_t i
    if raw and "\"" not in raw and "<" not in raw:
        parts = raw.split(",")
        for i in range(len(parts)):
            part = (<str>parts[i]).strip()
            if not part:
                return _split_checked(raw, key)  # it raises the empty-element error
            parts[i] = part
        return parts
    return _split_checked(raw, key)


# ---- Headers.typed() ----

def headers_typed(self, str name):
    """Parsed value: a list for list headers, else the first field's value or None.

    Raises ParseError (status hint 400) if the header is malformed. (Headers.typed: the
    lookup every typed accessor makes, here because it runs once per header read.)
    """
    cdef dict cache = self._typed
    key = _OTHER_KEYS.get(name)
    if key is None:
        lower = name.lower()
        key = _OTHER_KEYS.get(lower, lower)
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    cdef list raws = []
    cdef tuple field
    for field in <list>self._fields:
        if field[0] is key or field[0] == key:
            raws.append(field[2])
    value = _typed_value(raws, key)
    cache[key] = value
    return value


cdef object _typed_value(list raws, key):
    """The typed value of header `key` from its field values (`raws`, in order)."""
    parser, mode = _TYPED_PARSERS[key]
    cdef _FastParser fp = _FAST.get(key)
    if fp is not None and fp.parser is not parser:
        fp = None  # TYPED_PARSERS changed since: run what it holds
    cdef list items
    if mode == "one":
        if not raws:
            return None
        raw = raws[0]
        if fp is not None and type(raw) is str:
            return _run_fast(fp, raw)
        return parser(raw)
    items = []
    if mode == "list":
        for raw in raws:
            if fp is not None and type(raw) is str:
                if "," in raw or not raw:
                    for element in _list_elements(raw, key):
                        items.append(_run_fast(fp, element))
                else:
                    items.append(_run_fast(fp, raw))
            elif "," in raw or not raw:
                items.extend([parser(element) for element in _split_checked(raw, key)])
            else:
                items.append(parser(raw))
        return items
    for raw in raws:
        if fp is not None and type(raw) is str:
            items.extend(_run_fast(fp, raw))
        else:
            items.extend(parser(raw))
    return items


cdef object _parse_uint_checked = None  # grammar._parse_uint


def configure_uint(parse_uint_function):
    """grammar._parse_uint, for parse_uint() here (set when grammar.py loads)."""
    global _parse_uint_checked
    _parse_uint_checked = parse_uint_function


def parse_uint(text, str what, limit):
    """grammar.parse_uint(text, what, limit): 1*DIGIT no greater than `limit`. Up to 18
    ASCII digits within the limit are read here; anything else (LWS, a number too large,
    not a number) goes to grammar._parse_uint, which decides and raises."""
    # 18 digits stay below 2**64: a larger limit reads as the largest one.
    value = _plain_uint(text, min(limit, 0xFFFFFFFFFFFFFFFF)) if type(text) is str and limit >= 0 else None
    return value if value is not None else _parse_uint_checked(text, what, limit)


cdef object _plain_uint(str text, unsigned long long limit):
    """1 to 18 ASCII digits no greater than `limit` as an int; None for anything else (the
    caller's Python parser decides and raises)."""
    cdef const char *p
    cdef Py_ssize_t n, i
    cdef unsigned long long number = 0
    cdef char c
    if not PyUnicode_IS_COMPACT_ASCII(text):
        return None
    p = <const char *>PyUnicode_DATA(text)
    n = len(text)
    if n == 0 or n > 18:
        return None
    for i in range(n):
        c = p[i]
        if c < b'0' or c > b'9':
            return None
        number = number * 10 + <unsigned long long>(c - 48)
    return number if number <= limit else None


def is_token(str text):
    """token (RFC 3261 25.1): one or more of alphanum - . ! % * _ + ` ' ~."""
    cdef View v
    cdef bytes keep = _view(text, &v)
    return bool(sip_is_token(v.ptr, v.n))


# ---- what a server checks on every request (Message.check_required_headers, validate) ----

# RFC 3261 8.1.1 / RFC 4475 3.3.1: required; 7.3.1 / RFC 4475 3.3.8, 3.3.9: at most once.
# Slots 0-4 are required (in the order their absence is reported), 0-3 and 5-8 single.
cdef tuple _CHECKED = ("to", "from", "call-id", "cseq", "via", "max-forwards", "content-length",
                       "content-type", "expires")
cdef enum:
    N_CHECKED = 9
    SLOT_VIA = 4
    N_REQUIRED = 5


cdef dict _CHECKED_SLOTS = {key: slot for slot, key in enumerate(_CHECKED)}


cdef inline int _checked_slot(str key):
    slot = _CHECKED_SLOTS.get(key)  # keys are str: their hash is computed once and kept
    return -1 if slot is None else <int>slot


def required_fields_error(list fields):
    """The first problem Message.check_required_headers() reports, as its message, or None:
    a required header missing, else a single-valued one repeated with different values
    (compared stripped). One pass over the (key, name, value) fields."""
    cdef list first = [None] * N_CHECKED
    cdef bint conflict[N_CHECKED]
    cdef int i, slot
    cdef tuple field
    for i in range(N_CHECKED):
        conflict[i] = False
    for field in fields:
        slot = _checked_slot(field[0])
        if slot < 0:
            continue
        if first[slot] is None:
            first[slot] = field[2]
        elif slot != SLOT_VIA and not conflict[slot] and (<str>field[2]).strip() != (<str>first[slot]).strip():
            conflict[slot] = True
    for i in range(N_REQUIRED):
        if first[i] is None:
            return f"missing {_CHECKED[i]} header"
    for i in range(N_CHECKED):
        if conflict[i]:
            return f"conflicting {_CHECKED[i]} headers"
    return None


cdef object _NameAddr = None
cdef object _Contact = None
cdef object _SipUri = None
cdef object _parse_uri = None  # uri.parse_uri


def configure_addresses(name_addr_class, contact_class):
    """address.py's NameAddr and Contact, for validate_typed() (set when uc_signal.sip loads)."""
    global _NameAddr, _Contact
    _NameAddr = name_addr_class
    _Contact = contact_class


def configure_uris(sip_uri_class, parse_uri_function):
    """uri.py's SipUri and parse_uri, for parse_uri() here (set when uri.py loads)."""
    global _SipUri, _parse_uri
    _SipUri = sip_uri_class
    _parse_uri = parse_uri_function


def parse_uri(str text):
    """uri.parse_uri(text): the plain sip:/sips: form built here (parse_sip_uri_simple),
    anything else by uri.parse_uri. (NameAddr.uri, Request.uri and validate_typed.)"""
    cdef Py_ssize_t n = len(text)
    if n > 4 and PyUnicode_IS_COMPACT_ASCII(text) and (text.startswith("sip:") or text.startswith("sips:")):
        uri = parse_sip_uri_simple(_SipUri, text)
        if uri is not None:
            return uri
    return _parse_uri(text)


cdef inline void _parse_address_uri(addr) except *:
    """addr.uri, for a NameAddr or Contact (not the wildcard) without its property."""
    cdef type cls = type(addr)
    if cls is _NameAddr or cls is _Contact:
        if addr._uri is None:
            addr._uri = parse_uri(addr._uri_text)
    else:
        addr.uri


cdef bint _plain_option_tags(list raws, key):
    """True when `key` is an option-tag list header (its twin registered and in force)
    whose every element is an ASCII token: what its typed value would parse without an
    error (the empty field included), checked without making the list."""
    cdef _FastParser fp = _FAST.get(key)
    if fp is None or fp.kind != FAST_OPTION_TAG:
        return False
    parser, mode = _TYPED_PARSERS[key]
    if fp.parser is not parser or mode != "list":
        return False
    cdef const char *p
    cdef Py_ssize_t n, i, start, end
    for raw in raws:
        if type(raw) is not str or not PyUnicode_IS_COMPACT_ASCII(raw):
            return False
        p = <const char *>PyUnicode_DATA(raw)
        n = len(<str>raw)
        if n == 0:
            continue  # no option tags (RFC 3261 20.37)
        if memchr(p, b',', n) == NULL:
            if not sip_is_token(p, n):  # one element, taken as it is (not stripped)
                return False
            continue
        start = 0
        while start <= n:
            end = start
            while end < n and p[end] != b',':
                end += 1
            # the element, stripped of ASCII whitespace (str.strip() on ASCII text)
            i = start
            while i < end and p[i] in b" \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f":
                i += 1
            while end > i and p[end - 1] in b" \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f":
                end -= 1
            if end == i or not sip_is_token(p + i, end - i):
                return False
            while start < n and p[start] != b',':
                start += 1
            start += 1
    return True


def validate_typed(headers):
    """Parse every header that has a typed parser (first occurrence order), and the URI of
    every address in them (not of the wildcard Contact): Message.validate()'s loop. Raises
    the first ParseError."""
    cdef dict cache = headers._typed
    cdef dict raws = {}  # key -> its field values, keys in first-occurrence order
    cdef tuple field
    cdef list items
    for field in <list>headers._fields:
        key = field[0]
        items = raws.get(key)
        if items is not None:
            items.append(field[2])
        elif key in _TYPED_PARSERS:
            raws[key] = [field[2]]
    for key, values in raws.items():
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            if _plain_option_tags(<list>values, key):
                continue  # valid; its list is made when something reads it (Allow, Supported...)
            value = cache[key] = _typed_value(<list>values, key)
        if type(value) is list:
            items = <list>value
            for addr in items:
                if isinstance(addr, _NameAddr) and not (isinstance(addr, _Contact) and (<object>addr)._uri_text == "*"):
                    _parse_address_uri(addr)
        elif isinstance(value, _NameAddr) and not (isinstance(value, _Contact) and value._uri_text == "*"):
            _parse_address_uri(value)


# ---- building responses and serialising (make_response, Headers.serialize) ----

def response_fields(list fields, bint trying, to_tag=None, dict typed=None):
    """The fields a response copies from its request (RFC 3261 8.2.6.2): every Via, From,
    Call-ID and CSeq field, the first To, and Timestamp when `trying` (a 100, 8.2.6.1), in
    order; returns (that list, the index of the To in it or -1). With a `to_tag` (not for
    a 100) the To, when it has no tag, becomes str(NameAddr.parse(it).with_tag(to_tag)),
    the request's parsed To taken from `typed` (its Headers' cache) when there; a To that
    does not parse is copied as it is."""
    cdef list out = []
    cdef Py_ssize_t to_index = -1
    cdef tuple field
    for field in fields:
        key = field[0]
        if key == "via" or key == "from" or key == "call-id" or key == "cseq" or (trying and key == "timestamp"):
            out.append(field)
        elif key == "to" and to_index < 0:
            to_index = len(out)
            out.append(field)
    if to_index >= 0 and to_tag is not None and not trying:
        field = out[to_index]
        to = typed.get("to") if typed is not None else None
        if type(to) is not _NameAddr:
            try:
                to = _parse_name_addr(_NameAddr, field[2]) if type(field[2]) is str else _NameAddr.parse(field[2])
            except ParseError:
                to = None
        if to is not None and (<dict>to.params).get("tag") is None:
            out[to_index] = (field[0], field[1], _with_tag_text(to, to_tag))
    return out, to_index


cdef str _with_tag_text(to, to_tag):
    """str(to.with_tag(to_tag)) (NameAddr.__str__ with grammar.quote)."""
    cdef str uri_text = to._uri_text
    display = to.display_name
    cdef str head
    if display is not None:
        head = '"' + display.replace("\\", "\\\\").replace('"', '\\"') + '" <' + uri_text + ">"
    else:
        head = "<" + uri_text + ">"
    cdef dict merged = dict(to.params)
    merged["tag"] = to_tag
    return head + format_params(merged)


def serialize_fields(list fields):
    """`Name: value` CRLF per field, in order."""
    cdef list parts = []
    cdef tuple field
    for field in fields:
        parts.append(field[1])
        parts.append(": ")
        parts.append(field[2])
        parts.append("\r\n")
    return "".join(parts)


# ---- the common SIP URI (uri.SipUri.parse's fast path) ----

cdef inline bint _alnum(char c):
    return (b'a' <= c <= b'z') or (b'A' <= c <= b'Z') or (b'0' <= c <= b'9')


cdef inline bint _user_char(char c):
    # RFC 3261 25.1 user: unreserved / user-unreserved, less ';' '?' and escapes (which
    # the Python path handles)
    return _alnum(c) or c in b"-_.!~*'()&=+$,/"


cdef inline bint _host_char(char c):
    return _alnum(c) or c == b'-' or c == b'_' or c == b'.'


cdef inline bint _param_char(char c):
    # paramchar: unreserved / param-unreserved ("[" "]" "/" ":" "&" "+" "$"), no escapes
    return _alnum(c) or c in b"-_.!~*'()[]/:&+$"


def parse_sip_uri_simple(cls, str text):
    """A sip:/sips: URI of the plain common form, `scheme:[user@]host[:port][;params]`
    with a lower-case scheme, a host name or IPv4 address, no %-escapes, no password, no
    headers: an instance of `cls` (SipUri) built as SipUri.parse builds it, else None
    (the caller's regular expressions decide, and report errors)."""
    cdef View v
    if not PyUnicode_IS_COMPACT_ASCII(text):
        return None
    _view(text, &v)
    cdef const char *p = v.ptr
    cdef Py_ssize_t n = v.n, i, start, at = -1, host_start, host_end, name_start, name_end, value_start
    cdef long port = -1
    cdef int digits
    cdef str scheme
    cdef sip_span_t name_span
    if n > 4 and memcmp(p, b"sip:", 4) == 0:
        scheme = "sip"
        i = 4
    elif n > 5 and memcmp(p, b"sips:", 5) == 0:
        scheme = "sips"
        i = 5
    else:
        return None
    start = i
    for i in range(start, n):
        if p[i] == b'@':
            at = i
            break
    user = None
    if at >= 0:
        if at == start:
            return None
        for i in range(start, at):
            if not _user_char(p[i]):
                return None
        user = PyUnicode_DecodeASCII(p + start, at - start, NULL)
        i = at + 1
    else:
        i = start
    host_start = i
    while i < n and _host_char(p[i]):
        i += 1
    host_end = i
    if host_end == host_start:
        return None
    if i < n and p[i] == b':':
        i += 1
        digits = 0
        port = 0
        while i < n and b'0' <= p[i] <= b'9' and digits < 6:
            port = port * 10 + (p[i] - 48)  # '0'
            digits += 1
            i += 1
        if digits == 0 or digits > 5 or port > 65535:
            return None
    cdef dict params = {}
    while i < n:
        if p[i] != b';':
            return None
        i += 1
        name_start = i
        while i < n and _param_char(p[i]):
            i += 1
        name_end = i
        if name_end == name_start:
            return None
        value = None
        if i < n and p[i] == b'=':
            i += 1
            value_start = i
            while i < n and _param_char(p[i]):
                i += 1
            value = PyUnicode_DecodeASCII(p + value_start, i - value_start, NULL)
        name_span.off = <uint32_t>name_start
        name_span.len = <uint32_t>(name_end - name_start)
        params[_lower_token(&v, name_span)] = value
    uri = _new(cls)
    cdef _Slots layout = _layout(_URI_SLOTS, type(uri), ("scheme", "user", "password", "host", "port", "params", "headers"))
    _put(uri, layout, 0, scheme)
    _put(uri, layout, 1, user)
    _put(uri, layout, 2, None)
    _put(uri, layout, 3, PyUnicode_DecodeASCII(p + host_start, host_end - host_start, NULL))
    _put(uri, layout, 4, port if port >= 0 else None)
    _put(uri, layout, 5, params)
    _put(uri, layout, 6, {})
    return uri


def format_params(dict params):
    """`;name` or `;name=value` per parameter, in order (grammar.format_params)."""
    cdef list parts = []
    for name, value in params.items():
        parts.append(";")
        parts.append(name if type(name) is str else format(name))
        if value is not None:
            parts.append("=")
            parts.append(value if type(value) is str else format(value))  # as an f-string would
    return "".join(parts)
