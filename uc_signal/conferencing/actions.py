"""What the conference asks its driver (the focus) to do; the sans-IO decisions return
these, and the focus carries them out on the SIP dialogs and the media engine."""

from __future__ import annotations

from dataclasses import dataclass

from .prompts import Prompt


@dataclass(frozen=True)
class SetMuted:
    """Stop (or resume) mixing this endpoint's audio into the conference."""

    entity: str
    endpoint: str
    muted: bool


@dataclass(frozen=True)
class ConnectToMix:
    """Move an endpoint from the lobby (music on hold) into the conference mix."""

    entity: str
    endpoint: str


@dataclass(frozen=True)
class Disconnect:
    """Play `prompt` (if any) to the endpoint, then end its dialog with BYE."""

    entity: str
    endpoint: str
    reason: str
    prompt: Prompt | None = None


@dataclass(frozen=True)
class PlayToEndpoint:
    """A prompt to one endpoint only (dial-in feedback, the lobby notice)."""

    entity: str
    endpoint: str
    prompt: Prompt


@dataclass(frozen=True)
class StartLobbyMusic:
    entity: str
    endpoint: str


@dataclass(frozen=True)
class PlayRollCall:
    """Private roll call: the recorded names (or display names) of the others, to one endpoint."""

    entity: str
    endpoint: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Announce:
    """A tone or prompt to the whole conference (entry and exit announcements)."""

    prompt: Prompt


@dataclass(frozen=True)
class SpeakersChanged:
    speakers: tuple[str, ...]


@dataclass(frozen=True)
class StateChanged:
    """The roster, roles or conference state changed: notify conference-event subscribers."""


@dataclass(frozen=True)
class ConferenceEnded:
    reason: str


Action = (SetMuted | ConnectToMix | Disconnect | PlayToEndpoint | StartLobbyMusic | PlayRollCall | Announce
          | SpeakersChanged | StateChanged | ConferenceEnded)
