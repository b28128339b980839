"""The prompts the dial-in auto attendant and the conference play, and their audio.

The audio ships with the package in prompts/ as 16 kHz mono 16-bit WAV, made from the text
below by scripts/make-prompts.sh (espeak-ng, trimmed with sox); `load_prompt` returns the
samples for the engine's player. The text lives here, beside the names, so the script and
the code cannot disagree about what a prompt says.
"""

from __future__ import annotations

import array
import sys
import wave
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

PROMPT_DIR = Path(__file__).with_name("prompts")
PROMPT_RATE = 16000


class Prompt(StrEnum):
    WELCOME = "welcome"
    ENTER_CONFERENCE_ID = "enter-conference-id"
    INVALID_CONFERENCE_ID = "invalid-conference-id"
    NO_INPUT = "no-input"
    ENTER_PIN = "enter-pin"
    ENTER_EXTENSION = "enter-extension"
    INVALID_PIN = "invalid-pin"
    PIN_LOCKED = "pin-locked"
    RECORD_NAME = "record-name"
    BEEP = "beep"
    JOINING = "joining"
    TOO_MANY_ATTEMPTS = "too-many-attempts"
    GOODBYE = "goodbye"
    LOBBY_WAIT = "lobby-wait"
    LOBBY_DENIED = "lobby-denied"
    LOBBY_TIMEOUT = "lobby-timeout"
    HELP = "help"
    MUTED = "muted"
    UNMUTED = "unmuted"
    AUDIENCE_MUTED = "audience-muted"
    AUDIENCE_UNMUTED = "audience-unmuted"
    MEETING_LOCKED = "meeting-locked"
    MEETING_UNLOCKED = "meeting-unlocked"
    LOBBY_ADMITTED = "lobby-admitted"
    ROLL_CALL = "roll-call"
    ANNOUNCEMENTS_ON = "announcements-on"
    ANNOUNCEMENTS_OFF = "announcements-off"
    NOT_PERMITTED = "not-permitted"
    REMOVED = "removed"
    MEETING_ENDED = "meeting-ended"
    ENTRY_TONE = "entry-tone"
    EXIT_TONE = "exit-tone"
    LOBBY_MUSIC = "lobby-music"


# Spoken prompts: what espeak-ng says. The rest (tones, music) are synthesized by the script.
PROMPT_TEXT: dict[Prompt, str] = {
    Prompt.WELCOME: "Welcome to the conferencing service.",
    Prompt.ENTER_CONFERENCE_ID: "Enter the conference I D, then press pound.",
    Prompt.INVALID_CONFERENCE_ID: "That conference I D was not found.",
    Prompt.NO_INPUT: "Sorry, I did not get that.",
    Prompt.ENTER_PIN: "Leaders, enter your PIN, then pound. Others, press pound.",
    Prompt.ENTER_EXTENSION: "Enter your extension, then pound.",
    Prompt.INVALID_PIN: "That PIN is not valid.",
    Prompt.PIN_LOCKED: "Your PIN is locked. Joining as a guest.",
    Prompt.RECORD_NAME: "After the tone, say your name, then press pound.",
    Prompt.JOINING: "You are joining the meeting.",
    Prompt.TOO_MANY_ATTEMPTS: "Too many attempts.",
    Prompt.GOODBYE: "Goodbye.",
    Prompt.LOBBY_WAIT: "Please wait. The presenter will let you in shortly.",
    Prompt.LOBBY_DENIED: "You were not let into the meeting.",
    Prompt.LOBBY_TIMEOUT: "Nobody let you in.",
    Prompt.HELP: "Star 1 help, 3 roll call, 4 mute all, 6 mute, 7 lock, 8 admit, 9 announce.",
    Prompt.MUTED: "You are muted.",
    Prompt.UNMUTED: "You are unmuted.",
    Prompt.AUDIENCE_MUTED: "The audience is muted.",
    Prompt.AUDIENCE_UNMUTED: "The audience is unmuted.",
    Prompt.MEETING_LOCKED: "The meeting is locked.",
    Prompt.MEETING_UNLOCKED: "The meeting is unlocked.",
    Prompt.LOBBY_ADMITTED: "Everyone in the lobby was let in.",
    Prompt.ROLL_CALL: "In the meeting are:",
    Prompt.ANNOUNCEMENTS_ON: "Announcements are on.",
    Prompt.ANNOUNCEMENTS_OFF: "Announcements are off.",
    Prompt.NOT_PERMITTED: "Only presenters can do that.",
    Prompt.REMOVED: "You were removed from the meeting.",
    Prompt.MEETING_ENDED: "The meeting has ended.",
}

# Synthesized by the script: (frequencies in Hz, seconds) per part, played in turn.
PROMPT_TONES: dict[Prompt, tuple[tuple[tuple[float, ...], float], ...]] = {
    Prompt.BEEP: (((1000.0,), 0.25),),
    Prompt.ENTRY_TONE: (((660.0,), 0.12), ((880.0,), 0.18)),
    Prompt.EXIT_TONE: (((880.0,), 0.12), ((660.0,), 0.18)),
}


class PromptError(Exception):
    """A prompt file that is missing or not 16 kHz mono 16-bit PCM."""


@dataclass(frozen=True)
class PromptAudio:
    samples: array.array[int]   # signed 16-bit, native byte order
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


def prompt_path(prompt: Prompt) -> Path:
    return PROMPT_DIR / f"{prompt.value}.wav"


@lru_cache(maxsize=None)
def load_prompt(prompt: Prompt) -> PromptAudio:
    path = prompt_path(Prompt(prompt))
    try:
        with wave.open(str(path), "rb") as reader:
            if (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) != (1, 2, PROMPT_RATE):
                raise PromptError(f"{path}: must be 16 kHz mono 16-bit PCM, is {reader.getframerate()} Hz, "
                                  f"{reader.getnchannels()} channel(s), {8 * reader.getsampwidth()}-bit")
            frames = reader.readframes(reader.getnframes())
    except FileNotFoundError:
        raise PromptError(f"{path}: missing (run scripts/make-prompts.sh)") from None
    except (wave.Error, EOFError) as error:
        raise PromptError(f"{path}: not a WAV file ({error})") from None
    samples = array.array("h")
    samples.frombytes(frames)
    if sys.byteorder == "big":   # WAV is little-endian
        samples.byteswap()
    return PromptAudio(samples, PROMPT_RATE)
