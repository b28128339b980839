"""In-meeting DTMF commands: the key map and the interpreter that turns digits into commands.

Lync's defaults (Get-CsDialInConferencingDtmfConfiguration on a fresh install): the
command character `*`, then 1 help, 3 private roll call, 4 mute/unmute the audience,
6 mute/unmute yourself, 7 lock/unlock the meeting, 8 admit everyone from the lobby,
9 entry and exit announcements on/off. Every key is configurable ([conferencing] dtmf_*).

The interpreter is sans-IO: `digit(d, now)` returns the command the digits complete, if
any; a command character not followed by a key within `timeout` seconds is dropped
(`expire(now)`), as is an unmapped key.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

DTMF_DIGITS = frozenset("0123456789*#ABCD")


class KeypadCommand(StrEnum):
    HELP = "help"
    ROLL_CALL = "roll-call"
    AUDIENCE_MUTE = "audience-mute"
    SELF_MUTE = "self-mute"
    LOCK = "lock"
    ADMIT_ALL = "admit-all"
    ANNOUNCEMENTS = "announcements"

    @property
    def presenters_only(self) -> bool:
        return self in (KeypadCommand.AUDIENCE_MUTE, KeypadCommand.LOCK, KeypadCommand.ADMIT_ALL,
                        KeypadCommand.ANNOUNCEMENTS)


@dataclass(frozen=True)
class KeyMap:
    command_character: str = "*"
    help: str = "1"
    roll_call: str = "3"
    audience_mute: str = "4"
    self_mute: str = "6"
    lock: str = "7"
    admit_all: str = "8"
    announcements: str = "9"

    def __post_init__(self) -> None:
        if self.command_character not in ("*", "#"):
            raise ValueError(f"the command character must be * or #, got {self.command_character!r}")
        keys = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "command_character"}
        for name, key in keys.items():
            if len(key) != 1 or key not in "0123456789":
                raise ValueError(f"dtmf key for {name} must be one digit 0-9, got {key!r}")
        seen: dict[str, str] = {}
        for name, key in keys.items():
            if key in seen:
                raise ValueError(f"dtmf key {key} is given to both {seen[key]} and {name}")
            seen[key] = name

    def command_for(self, key: str) -> KeypadCommand | None:
        for command in KeypadCommand:
            if getattr(self, command.name.lower()) == key:
                return command
        return None


class KeypadInterpreter:
    def __init__(self, key_map: KeyMap | None = None, timeout: float = 3.0) -> None:
        self.key_map = key_map or KeyMap()
        self.timeout = timeout
        self._armed_at: float | None = None   # when the command character was pressed

    def digit(self, digit: str, now: float) -> KeypadCommand | None:
        if digit not in DTMF_DIGITS:
            raise ValueError(f"not a DTMF digit: {digit!r}")
        self.expire(now)
        if self._armed_at is None:
            if digit == self.key_map.command_character:
                self._armed_at = now
            return None
        self._armed_at = None
        if digit == self.key_map.command_character:   # "**": the second one starts over
            self._armed_at = now
            return None
        return self.key_map.command_for(digit)

    def expire(self, now: float) -> None:
        if self._armed_at is not None and now - self._armed_at >= self.timeout:
            self._armed_at = None

    def deadline(self) -> float | None:
        return None if self._armed_at is None else self._armed_at + self.timeout
