"""The dial-in auto attendant: a sans-IO state machine per call.

Inputs are events with the time: `answered`, `digit` (from RFC 4733 or SIP INFO),
`prompt_finished`, `recording_finished`, the results of the lookups it asks for
(`conference_found`/`conference_not_found`, `pin_result`), `timer` and `hung_up`.
Outputs are actions (the classes below) the driver carries out on the call; `next_timer()`
says when to call `timer(now)` (aioquic's get_timer/handle_timer).

The flow, Lync's:
  welcome, "enter the conference ID, then #"   (digits may interrupt any prompt)
  -> lookup -> "leaders, enter your PIN then #; others press #"
       PIN#  -> (caller ID not a known user: "enter your extension then #") -> verify
       #     -> guest: "after the tone say your name, then #" -> record -> join
  -> "you are joining the meeting" -> JoinMeeting
A wrong or missing conference ID or PIN reprompts; after `max_tries` of either the caller
hears "too many attempts, goodbye" and the call ends. A locked PIN joins as a guest. Once
joined, digits go to the in-meeting keypad (keypad.py) and come out as RunCommand.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .keypad import DTMF_DIGITS, KeypadCommand, KeypadInterpreter, KeyMap
from .prompts import Prompt


@dataclass(frozen=True)
class PlayPrompt:
    prompt: Prompt


@dataclass(frozen=True)
class StopPrompt:
    """The caller started keying: stop the prompt that is playing (barge-in)."""


@dataclass(frozen=True)
class RecordName:
    max_seconds: float


@dataclass(frozen=True)
class StopRecording:
    pass


@dataclass(frozen=True)
class LookupConference:
    conference_id: str


@dataclass(frozen=True)
class VerifyPin:
    """Check `pin` for the leader `user` (known from caller ID) or the user with `extension`."""

    meeting_id: str
    pin: str
    user: str | None = None
    extension: str | None = None


@dataclass(frozen=True)
class JoinMeeting:
    meeting_id: str
    leader: str | None = None           # the user whose PIN was accepted; None for a guest
    name_recording: str | None = None   # the recorded name, for roll call


@dataclass(frozen=True)
class RunCommand:
    command: KeypadCommand


@dataclass(frozen=True)
class HangUp:
    reason: str


AttendantAction = (PlayPrompt | StopPrompt | RecordName | StopRecording | LookupConference | VerifyPin
                   | JoinMeeting | RunCommand | HangUp)


class PinResult(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    LOCKED_OUT = "locked-out"


class AttendantState(StrEnum):
    IDLE = "idle"
    CONFERENCE_ID = "conference-id"
    LOOKUP = "lookup"
    PIN = "pin"
    EXTENSION = "extension"
    VERIFY = "verify"
    NAME_PROMPT = "name-prompt"
    RECORDING = "recording"
    RECORDING_STOPPING = "recording-stopping"
    JOINING = "joining"
    JOINED = "joined"
    GOODBYE = "goodbye"
    ENDED = "ended"


class AttendantStateError(Exception):
    """An event the attendant cannot take in its state (a driver bug)."""


@dataclass(frozen=True)
class AttendantSettings:
    max_tries: int = 3                # per step: conference ID, PIN
    digit_timeout: float = 10.0       # after the prompt ends, and between digits
    max_conference_id_digits: int = 16
    max_pin_digits: int = 24
    record_names: bool = True
    max_name_seconds: float = 5.0
    stop_grace: float = 2.0           # how long a stopped recording may take to report


_COLLECTING = {AttendantState.CONFERENCE_ID: "max_conference_id_digits", AttendantState.PIN: "max_pin_digits",
               AttendantState.EXTENSION: "max_pin_digits"}


class AutoAttendant:
    def __init__(self, settings: AttendantSettings | None = None, *, caller_user: str | None = None,
                 key_map: KeyMap | None = None) -> None:
        self.settings = settings or AttendantSettings()
        self.caller_user = caller_user    # the user the caller ID belongs to, if any
        self.state = AttendantState.IDLE
        self.meeting_id: str | None = None
        self.leader: str | None = None
        self.id_tries = 0
        self.pin_tries = 0
        self.hangup_reason: str | None = None
        self._keypad = KeypadInterpreter(key_map)
        self._buffer = ""
        self._pin = ""
        self._queue: list[Prompt] = []
        self._playing: Prompt | None = None
        self._deadline: float | None = None
        self._name: str | None = None

    # --- prompts ---------------------------------------------------------------------------

    def _play(self, *prompts: Prompt) -> list[AttendantAction]:
        """Queue prompts; the first starts now unless one is playing."""
        self._queue.extend(prompts)
        self._deadline = None
        return self._next_prompt()

    def _next_prompt(self) -> list[AttendantAction]:
        if self._playing is None and self._queue:
            self._playing = self._queue.pop(0)
            return [PlayPrompt(self._playing)]
        return []

    def _barge_in(self) -> list[AttendantAction]:
        if self._playing is None:
            return []
        self._playing = None
        self._queue.clear()
        return [StopPrompt()]

    # --- events ----------------------------------------------------------------------------

    def answered(self, now: float) -> list[AttendantAction]:
        self._expect(AttendantState.IDLE, "answered")
        self.state = AttendantState.CONFERENCE_ID
        return self._play(Prompt.WELCOME, Prompt.ENTER_CONFERENCE_ID)

    def prompt_finished(self, prompt: Prompt, now: float) -> list[AttendantAction]:
        """The engine finished `prompt`; a late report for a stopped one is ignored."""
        if prompt != self._playing:
            return []
        self._playing = None
        actions = self._next_prompt()
        if actions:
            return actions
        if self.state in _COLLECTING:
            self._deadline = now + self.settings.digit_timeout
        elif self.state is AttendantState.NAME_PROMPT:
            self.state = AttendantState.RECORDING
            self._deadline = now + self.settings.max_name_seconds + self.settings.stop_grace
            return [RecordName(self.settings.max_name_seconds)]
        elif self.state is AttendantState.JOINING:
            return self._joined()
        elif self.state is AttendantState.GOODBYE:
            self.state = AttendantState.ENDED
            return [HangUp(self.hangup_reason or "goodbye")]
        return []

    def digit(self, digit: str, now: float) -> list[AttendantAction]:
        if digit not in DTMF_DIGITS:
            raise ValueError(f"not a DTMF digit: {digit!r}")
        if self.state is AttendantState.JOINED:
            command = self._keypad.digit(digit, now)
            return [RunCommand(command)] if command is not None else []
        if self.state is AttendantState.RECORDING and digit == "#":
            self.state = AttendantState.RECORDING_STOPPING
            self._deadline = now + self.settings.stop_grace
            return [StopRecording()]
        if self.state not in _COLLECTING:
            return []   # keys pressed during lookups, prompts and goodbyes are not input
        actions = self._barge_in()
        self._deadline = now + self.settings.digit_timeout
        if digit == "*":
            self._buffer = ""   # start over
            return actions
        if digit != "#":
            self._buffer += digit
            if len(self._buffer) > getattr(self.settings, _COLLECTING[self.state]):
                return actions + self._wrong_entry(now)
            return actions
        entered, self._buffer = self._buffer, ""
        return actions + self._entered(entered, now)

    def _entered(self, entered: str, now: float) -> list[AttendantAction]:
        self._deadline = None
        if self.state is AttendantState.CONFERENCE_ID:
            if not entered:
                return self._retry_id(Prompt.NO_INPUT)
            self.state = AttendantState.LOOKUP
            return [LookupConference(entered)]
        if self.state is AttendantState.PIN:
            if not entered:
                return self._as_guest()
            self._pin = entered
            if self.caller_user is None:
                self.state = AttendantState.EXTENSION
                return self._play(Prompt.ENTER_EXTENSION)
            self.state = AttendantState.VERIFY
            assert self.meeting_id is not None
            return [VerifyPin(self.meeting_id, entered, user=self.caller_user)]
        # EXTENSION
        if not entered:
            return self._retry_pin(Prompt.NO_INPUT)
        self.state = AttendantState.VERIFY
        assert self.meeting_id is not None
        return [VerifyPin(self.meeting_id, self._pin, extension=entered)]

    def _wrong_entry(self, now: float) -> list[AttendantAction]:
        self._buffer = ""
        if self.state is AttendantState.CONFERENCE_ID:
            return self._retry_id(Prompt.INVALID_CONFERENCE_ID)
        return self._retry_pin(Prompt.INVALID_PIN)

    def conference_found(self, meeting_id: str, now: float) -> list[AttendantAction]:
        self._expect(AttendantState.LOOKUP, "conference_found")
        self.meeting_id = meeting_id
        self.state = AttendantState.PIN
        return self._play(Prompt.ENTER_PIN)

    def conference_not_found(self, now: float) -> list[AttendantAction]:
        self._expect(AttendantState.LOOKUP, "conference_not_found")
        return self._retry_id(Prompt.INVALID_CONFERENCE_ID)

    def pin_result(self, result: PinResult, now: float, user: str | None = None) -> list[AttendantAction]:
        self._expect(AttendantState.VERIFY, "pin_result")
        self._pin = ""
        if result is PinResult.ACCEPTED:
            if user is None:
                raise AttendantStateError("an accepted PIN needs the user it belongs to")
            self.leader = user
            self.state = AttendantState.JOINING
            return self._play(Prompt.JOINING)
        if result is PinResult.LOCKED_OUT:
            return self._as_guest(Prompt.PIN_LOCKED)
        return self._retry_pin(Prompt.INVALID_PIN)

    def recording_finished(self, recording: str | None, now: float) -> list[AttendantAction]:
        if self.state not in (AttendantState.RECORDING, AttendantState.RECORDING_STOPPING):
            return []
        self._name = recording or None
        self.state = AttendantState.JOINING
        return self._play(Prompt.JOINING)

    def timer(self, now: float) -> list[AttendantAction]:
        if self.state is AttendantState.JOINED:
            self._keypad.expire(now)   # a command character left alone: its deadline passes
            return []
        if self._deadline is None or now < self._deadline:
            return []
        self._deadline = None
        if self.state in _COLLECTING:
            self._buffer = ""
            if self.state is AttendantState.CONFERENCE_ID:
                return self._retry_id(Prompt.NO_INPUT)
            return self._retry_pin(Prompt.NO_INPUT)
        if self.state is AttendantState.RECORDING:
            self.state = AttendantState.RECORDING_STOPPING
            self._deadline = now + self.settings.stop_grace
            return [StopRecording()]
        if self.state is AttendantState.RECORDING_STOPPING:   # no report: join without a name
            self.state = AttendantState.JOINING
            return self._play(Prompt.JOINING)
        return []

    def next_timer(self) -> float | None:
        if self.state is AttendantState.JOINED:
            return self._keypad.deadline()
        return self._deadline

    def hung_up(self, now: float) -> list[AttendantAction]:
        self.state = AttendantState.ENDED
        self._deadline = None
        self._queue.clear()
        self._playing = None
        return []

    # --- steps -----------------------------------------------------------------------------

    def _retry_id(self, prompt: Prompt) -> list[AttendantAction]:
        self.id_tries += 1
        if self.id_tries >= self.settings.max_tries:
            return self._goodbye("conference ID not entered")
        self.state = AttendantState.CONFERENCE_ID
        return self._play(prompt, Prompt.ENTER_CONFERENCE_ID)

    def _retry_pin(self, prompt: Prompt) -> list[AttendantAction]:
        self.pin_tries += 1
        self._pin = ""
        if self.pin_tries >= self.settings.max_tries:
            return self._goodbye("PIN not accepted")
        self.state = AttendantState.PIN
        return self._play(prompt, Prompt.ENTER_PIN)

    def _as_guest(self, *first: Prompt) -> list[AttendantAction]:
        if self.settings.record_names:
            self.state = AttendantState.NAME_PROMPT
            return self._play(*first, Prompt.RECORD_NAME, Prompt.BEEP)
        self.state = AttendantState.JOINING
        return self._play(*first, Prompt.JOINING)

    def _joined(self) -> list[AttendantAction]:
        assert self.meeting_id is not None
        self.state = AttendantState.JOINED
        self._deadline = None
        return [JoinMeeting(self.meeting_id, self.leader, self._name)]

    def _goodbye(self, reason: str) -> list[AttendantAction]:
        self.state = AttendantState.GOODBYE
        self.hangup_reason = reason
        self._buffer = ""
        return self._play(Prompt.TOO_MANY_ATTEMPTS, Prompt.GOODBYE)

    def _expect(self, state: AttendantState, event: str) -> None:
        if self.state is not state:
            raise AttendantStateError(f"{event} in state {self.state.value} (expected {state.value})")


# Every prompt the attendant can ask for (tests check each exists as audio).
ATTENDANT_PROMPTS = frozenset({
    Prompt.WELCOME, Prompt.ENTER_CONFERENCE_ID, Prompt.INVALID_CONFERENCE_ID, Prompt.NO_INPUT, Prompt.ENTER_PIN,
    Prompt.ENTER_EXTENSION, Prompt.INVALID_PIN, Prompt.PIN_LOCKED, Prompt.RECORD_NAME, Prompt.BEEP,
    Prompt.JOINING, Prompt.TOO_MANY_ATTEMPTS, Prompt.GOODBYE})
