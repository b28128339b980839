"""Message framing: datagrams (RFC 3261 18.3) and streams, with RFC 5626 keep-alives."""

from __future__ import annotations

import pytest

from uc_signal.sip import (NEED_DATA, ConnectionClosed, FramingError, KeepAliveReceived,
                           MessageReceived, MessageRejected, Request, Response, StreamFramer,
                           parse_datagram)

OPTIONS = (b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCall-ID: c1\r\n"
           b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
MESSAGE = (b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK2\r\nCall-ID: c2\r\n"
           b"CSeq: 2 MESSAGE\r\nl: 11\r\n\r\nhello world")
RESPONSE = b"SIP/2.0 200 OK\r\nCall-ID: c1\r\nContent-Length: 0\r\n\r\n"


def drain(framer: StreamFramer) -> list[object]:
    events = []
    for _ in range(100):
        event = framer.next_event()
        if event is NEED_DATA:
            return events
        events.append(event)
        if isinstance(event, ConnectionClosed):
            return events
    raise AssertionError("framer did not settle")


def test_datagrams() -> None:
    assert parse_datagram(b"\r\n\r\n") is None and parse_datagram(b"\r\n") is None
    msg = parse_datagram(MESSAGE + b"trailing")
    assert isinstance(msg, Request) and msg.body == b"hello world"


def test_messages_and_keepalives_in_one_chunk() -> None:
    framer = StreamFramer()
    framer.receive_data(b"\r\n\r\n" + OPTIONS + MESSAGE + b"\r\n" + RESPONSE)
    events = drain(framer)
    assert events[0] == KeepAliveReceived(ping=True)
    assert isinstance(events[1], MessageReceived) and events[1].message.call_id == "c1"
    assert isinstance(events[2], MessageReceived) and events[2].message.body == b"hello world"
    assert events[3] == KeepAliveReceived(ping=False)
    assert isinstance(events[4], MessageReceived) and isinstance(events[4].message, Response)
    assert len(events) == 5 and framer.buffered == 0


@pytest.mark.parametrize("step", [1, 2, 3, 7, 50])
def test_byte_by_byte_delivery(step: int) -> None:
    stream = OPTIONS + b"\r\n\r\n" + MESSAGE + RESPONSE
    framer = StreamFramer()
    events: list[object] = []
    for i in range(0, len(stream), step):
        framer.receive_data(stream[i:i + step])
        events += drain(framer)
    framer.receive_data(b"")
    events += drain(framer)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["MessageReceived", "KeepAliveReceived", "MessageReceived", "MessageReceived", "ConnectionClosed"]
    assert events[2].message.body == b"hello world"  # type: ignore[attr-defined]


def test_malformed_message_with_known_length_keeps_the_stream_in_step() -> None:
    bad = (b"MESSAGE  sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK3\r\nCall-ID: bad\r\n"
           b"Content-Length: 4\r\n\r\nbody")
    framer = StreamFramer()
    framer.receive_data(bad + OPTIONS)
    events = drain(framer)
    assert isinstance(events[0], MessageRejected) and events[0].data == bad
    assert events[0].error.status_hint == 400
    assert isinstance(events[1], MessageReceived) and events[1].message.call_id == "c1"


def test_bad_header_with_known_length_is_rejected_not_fatal() -> None:
    bad = b"OPTIONS sip:a@b SIP/9.0\r\nCall-ID: v\r\nContent-Length: 0\r\n\r\n"
    framer = StreamFramer()
    framer.receive_data(bad + OPTIONS)
    events = drain(framer)
    assert isinstance(events[0], MessageRejected) and events[0].error.status_hint == 505
    assert events[0].error.can_respond and events[0].error.headers is not None
    assert isinstance(events[1], MessageReceived)


@pytest.mark.parametrize("stream", [
    b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n",                       # no Content-Length
    b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -3\r\n\r\n",               # negative
    b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\nl: 4\r\n\r\nabcd",    # conflicting
    b"OPTIONS  sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n",                      # bad and unframeable
])
def test_unframeable_messages_are_fatal(stream: bytes) -> None:
    framer = StreamFramer()
    framer.receive_data(OPTIONS + stream + OPTIONS)
    assert isinstance(framer.next_event(), MessageReceived)
    with pytest.raises(FramingError):
        framer.next_event()
    with pytest.raises(FramingError):  # the framer stays broken
        framer.next_event()


def test_size_limits() -> None:
    framer = StreamFramer(max_head=100)
    framer.receive_data(b"OPTIONS sip:a@b SIP/2.0\r\n" + b"X-Pad: " + b"a" * 200)
    with pytest.raises(FramingError) as info:
        framer.next_event()
    assert info.value.status_hint == 413
    framer = StreamFramer(max_body=10)
    framer.receive_data(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 11\r\n\r\n")
    with pytest.raises(FramingError):
        framer.next_event()


def test_close_inside_a_message_is_fatal() -> None:
    framer = StreamFramer()
    framer.receive_data(MESSAGE[:-3])
    assert framer.next_event() is NEED_DATA
    framer.receive_data(b"")
    with pytest.raises(FramingError):
        framer.next_event()


def test_long_streams_compact_their_buffer() -> None:
    framer = StreamFramer()
    count = 0
    for _ in range(600):
        framer.receive_data(MESSAGE)
        count += len(drain(framer))
    assert count == 600 and framer.buffered == 0 and len(framer._buf) < 70000
