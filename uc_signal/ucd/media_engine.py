"""The media engine inside ucd: created at start-up from `[media]`, its event queue read by
an asyncio task (uc_media.engine.event_stream, woken by the engine's eventfd) and handed to
the focus's rooms, closed on shutdown after the SIP side has stopped.

The engine's workers are C threads; Python only sends commands (legs, conferences, mute)
from the loop and reads events here, so nothing of the focus runs on another thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from uc_media import Clip, Engine, EngineError, MediaError
from uc_media.engine import Event, event_stream

from ..conferencing.prompts import Prompt, load_prompt
from ..config import Config
from ..focus import FocusApplication
from ..focus.engine_media import EngineRooms

log = logging.getLogger(__name__)


def announcement_clips() -> dict[str, Clip]:
    """The entry and exit chimes, from the prompts the project ships (16 kHz WAV)."""
    clips = {}
    for name, prompt in (("entry", Prompt.ENTRY_TONE), ("exit", Prompt.EXIT_TONE)):
        audio = load_prompt(prompt)   # always 16 kHz (PromptError otherwise)
        clips[name] = Clip(audio.samples, 16000)
    return clips


def lobby_music() -> Clip:
    """What a caller waiting in a meeting's lobby hears, looped (the shipped prompt)."""
    return Clip(load_prompt(Prompt.LOBBY_MUSIC).samples, 16000)


def lobby_notice() -> Clip:
    """What a caller hears on entering the lobby, once, before the music (the shipped
    `lobby-wait` prompt: "Please wait. The presenter will let you in shortly.")."""
    return Clip(load_prompt(Prompt.LOBBY_WAIT).samples, 16000)


def notice_clips() -> dict[str, Clip]:
    """What someone hears before the focus ends their call (ejected, denied, lobby timeout,
    the meeting ended): the prompts the project ships, by prompt name."""
    prompts = (Prompt.REMOVED, Prompt.LOBBY_DENIED, Prompt.LOBBY_TIMEOUT, Prompt.MEETING_ENDED)
    return {prompt.value: Clip(load_prompt(prompt).samples, 16000) for prompt in prompts}


class MediaService:
    def __init__(self, config: Config) -> None:
        media = config.media
        self.engine = Engine(workers=media.workers, port_range=(media.port_min, media.port_max), bind=media.bind,
                             tick_ms=media.tick_ms)
        self.rooms = EngineRooms(self.engine, address=media.advertise or media.bind,
                                 max_participants=config.conferencing.max_participants, top_k=config.focus.top_k,
                                 announcements=announcement_clips(), lobby_music=lobby_music(),
                                 notices=notice_clips(), lobby_notice=lobby_notice())
        self._task: asyncio.Task[None] | None = None
        self.listeners: list[Callable[[Event], None]] = []   # besides the rooms (the dial-in)
        log.info("media engine started", extra={"workers": self.engine.workers, "bind": media.bind,
                                                "ports": f"{media.port_min}-{media.port_max}",
                                                "tick_ms": self.engine.tick_ms})

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._events(), name="media-events")

    async def _events(self) -> None:
        async for event in event_stream(self.engine):
            self._dispatch(event)

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, EngineError):
            log.warning("media engine error", extra={"code": event.code, "errno": event.errno})
        try:
            self.rooms.handle_event(event)
            for listener in self.listeners:
                listener(event)
        except (MediaError, LookupError):
            log.exception("media event %s not handled", type(event).__name__)

    async def close(self) -> None:
        """Close every room and the engine; the event task then ends by itself."""
        for room in list(self.rooms.rooms.values()):
            room.close()
        self.engine.close()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=5.0)
            except asyncio.TimeoutError:
                self._task.cancel()
            self._task = None
        log.info("media engine closed")


class MediaCollector(Collector):
    """/metrics for the focus and the engine: running meetings and participants, and each
    worker's counters (ticks, late ticks, packets, legs)."""

    def __init__(self, service: MediaService, focus: Callable[[], FocusApplication | None]) -> None:
        self.service = service
        self.focus = focus

    def collect(self) -> Iterator[Metric]:
        focus = self.focus()
        conferences = list(focus.conferences.values()) if focus is not None else []
        yield GaugeMetricFamily("ucd_conferences", "meetings with participants on the focus", value=len(conferences))
        yield GaugeMetricFamily("ucd_conference_participants", "participants connected to the focus",
                                value=sum(len(c.participants) for c in conferences))
        engine = self.service.engine
        if engine.closed:
            return
        stats = [engine.worker_stats(i) for i in range(engine.workers)]
        legs = GaugeMetricFamily("ucd_media_legs", "media legs on each engine worker", labels=["worker"])
        for name, doc, field in (("ucd_media_ticks", "mixing ticks run", "ticks"),
                                 ("ucd_media_late_ticks", "ticks that missed their deadline", "late_ticks"),
                                 ("ucd_media_packets_received", "media packets received", "packets_received"),
                                 ("ucd_media_packets_sent", "media packets sent", "packets_sent"),
                                 ("ucd_media_send_errors", "media packets the kernel refused", "send_errors"),
                                 ("ucd_media_events_dropped", "engine events lost to a full queue",
                                  "events_dropped")):
            family = CounterMetricFamily(name, doc, labels=["worker"])
            for index, worker in enumerate(stats):
                family.add_metric([str(index)], getattr(worker, field))
            yield family
        for index, worker in enumerate(stats):
            legs.add_metric([str(index)], worker.legs)
        yield legs
