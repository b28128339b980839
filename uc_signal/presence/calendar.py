"""Calendar free/busy from iCalendar (RFC 5545): the busy intervals that make a user
"In a Meeting" (Lync reads them from Exchange; here an administrator or a sync job posts
them through the admin API).

Read: VFREEBUSY `FREEBUSY` periods (FBTYPE BUSY, BUSY-TENTATIVE, BUSY-UNAVAILABLE; FREE
skipped) and VEVENT DTSTART with DTEND or DURATION (TRANSPARENT or CANCELLED events
skipped). Times are UTC (`...Z`); a floating time is read as UTC and a TZID-qualified time
is refused, because this server keeps no time zone database. Lines are unfolded (3.1).
"""

from __future__ import annotations

import bisect
import calendar as _calendar
import re
from dataclasses import dataclass

MAX_ICS_BYTES = 1024 * 1024
MAX_INTERVALS = 10_000


class CalendarError(ValueError):
    """Not an iCalendar document this server can read; str() says where and why."""


@dataclass(frozen=True)
class BusyInterval:
    start: float
    end: float


_DATE_TIME = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$")
_DURATION = re.compile(r"^\+?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def _time(value: str, params: dict[str, str], line: int) -> float:
    if "TZID" in params:
        raise CalendarError(f"line {line}: TZID times are not supported; use UTC (...Z)")
    match = _DATE_TIME.match(value)
    if match is None:
        raise CalendarError(f"line {line}: not a DATE or DATE-TIME: {value[:40]!r}")
    year, month, day, hour, minute, second, _zulu = match.groups()
    try:
        parts = (int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        if not (1 <= parts[1] <= 12 and 1 <= parts[2] <= 31 and parts[3] < 24 and parts[4] < 60 and parts[5] < 61):
            raise ValueError
        return float(_calendar.timegm((*parts, 0, 0, 0)))
    except (ValueError, OverflowError):
        raise CalendarError(f"line {line}: impossible date {value[:40]!r}") from None


def _duration(value: str, line: int) -> float:
    match = _DURATION.match(value)
    if match is None or not any(match.groups()):
        raise CalendarError(f"line {line}: not a DURATION: {value[:40]!r}")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return float(((weeks * 7 + days) * 24 + hours) * 3600 + minutes * 60 + seconds)


def _content_lines(text: str) -> list[tuple[int, str, dict[str, str], str]]:
    unfolded: list[tuple[int, str]] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        if raw[:1] in (" ", "\t") and unfolded:
            unfolded[-1] = (unfolded[-1][0], unfolded[-1][1] + raw[1:])
        elif raw.strip():
            unfolded.append((number, raw))
    result = []
    for number, line in unfolded:
        head, colon, value = line.partition(":")
        if not colon:
            raise CalendarError(f"line {number}: no ':' in {line[:40]!r}")
        name, *raw_params = head.split(";")
        params = {}
        for param in raw_params:
            key, _, param_value = param.partition("=")
            params[key.upper()] = param_value.strip('"').upper()
        result.append((number, name.upper(), params, value.strip()))
    return result


def parse_busy(text: str) -> list[BusyInterval]:
    """The busy intervals of an iCalendar document, sorted and merged."""
    if len(text) > MAX_ICS_BYTES:
        raise CalendarError(f"calendar of {len(text)} characters (at most {MAX_ICS_BYTES})")
    lines = _content_lines(text)
    if not lines or lines[0][1] != "BEGIN" or lines[0][3].upper() != "VCALENDAR":
        raise CalendarError("line 1: an iCalendar document starts with BEGIN:VCALENDAR")
    intervals: list[BusyInterval] = []
    event: dict[str, tuple[int, dict[str, str], str]] | None = None
    for number, name, params, value in lines:
        if name == "BEGIN" and value.upper() == "VEVENT":
            event = {}
        elif name == "END" and value.upper() == "VEVENT":
            if event is not None:
                interval = _event_interval(event, number)
                if interval is not None:
                    intervals.append(interval)
            event = None
        elif event is not None:
            event.setdefault(name, (number, params, value))
        elif name == "FREEBUSY" and params.get("FBTYPE", "BUSY") != "FREE":
            for period in value.split(","):
                start_text, slash, end_text = period.partition("/")
                if not slash:
                    raise CalendarError(f"line {number}: a FREEBUSY period is start/end or start/duration")
                start = _time(start_text, {}, number)
                end = (start + _duration(end_text, number)) if end_text.upper().startswith(("P", "+P")) \
                    else _time(end_text, {}, number)
                intervals.append(BusyInterval(start, end))
        if len(intervals) > MAX_INTERVALS:
            raise CalendarError(f"more than {MAX_INTERVALS} busy intervals")
    return merge(intervals)


def _event_interval(event: dict[str, tuple[int, dict[str, str], str]], end_line: int) -> BusyInterval | None:
    if event.get("TRANSP", (0, {}, ""))[2].upper() == "TRANSPARENT":
        return None
    if event.get("STATUS", (0, {}, ""))[2].upper() == "CANCELLED":
        return None
    if "DTSTART" not in event:
        raise CalendarError(f"line {end_line}: a VEVENT without DTSTART")
    number, params, value = event["DTSTART"]
    start = _time(value, params, number)
    if "DTEND" in event:
        number, params, value = event["DTEND"]
        end = _time(value, params, number)
    elif "DURATION" in event:
        number, _, value = event["DURATION"]
        end = start + _duration(value, number)
    else:
        end = start + (86400.0 if len(value) == 8 else 0.0)   # 3.6.1: a DATE lasts the day
    return BusyInterval(start, end)


def merge(intervals: list[BusyInterval]) -> list[BusyInterval]:
    merged: list[BusyInterval] = []
    for interval in sorted((i for i in intervals if i.end > i.start), key=lambda i: i.start):
        if merged and interval.start <= merged[-1].end:
            merged[-1] = BusyInterval(merged[-1].start, max(merged[-1].end, interval.end))
        else:
            merged.append(interval)
    return merged


@dataclass(frozen=True)
class Calendar:
    """A user's merged busy intervals, asked about one instant at a time."""

    intervals: tuple[BusyInterval, ...] = ()

    def meeting_until(self, now: float) -> float | None:
        """The end of the busy interval covering `now`, or None when free."""
        if not self.intervals:
            return None
        index = bisect.bisect_right([i.start for i in self.intervals], now) - 1
        if index >= 0 and self.intervals[index].end > now:
            return self.intervals[index].end
        return None

    def next_change(self, now: float) -> float | None:
        """The next instant the answer of `meeting_until` changes."""
        for interval in self.intervals:
            if interval.start > now:
                return interval.start
            if interval.end > now:
                return interval.end
        return None
