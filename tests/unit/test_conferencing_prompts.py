"""The shipped prompt audio: every prompt anything can ask for exists as 16 kHz mono 16-bit."""

from __future__ import annotations

import array
import wave

import pytest

from uc_signal.conferencing import prompts as prompts_module
from uc_signal.conferencing.attendant import ATTENDANT_PROMPTS
from uc_signal.conferencing.prompts import (PROMPT_DIR, PROMPT_TEXT, PROMPT_TONES, Prompt, PromptError, load_prompt,
                                            prompt_path)


@pytest.mark.parametrize("prompt", list(Prompt))
def test_every_prompt_loads_as_16_khz_mono_audio(prompt):
    audio = load_prompt(prompt)
    assert audio.rate == 16000
    assert isinstance(audio.samples, array.array) and audio.samples.typecode == "h"
    assert 0.1 <= audio.seconds <= 8.0
    assert max(abs(s) for s in audio.samples) > 1000   # not silence


def test_the_attendant_asks_only_for_shipped_prompts():
    assert all(prompt_path(prompt).is_file() for prompt in ATTENDANT_PROMPTS)


def test_every_prompt_has_a_source_in_the_script():
    spoken, tones = set(PROMPT_TEXT), set(PROMPT_TONES)
    assert not spoken & tones
    assert spoken | tones | {Prompt.LOBBY_MUSIC} == set(Prompt)


def test_no_stray_files_and_the_set_stays_small():
    files = sorted(PROMPT_DIR.glob("*"))
    assert {f.name for f in files} == {f"{p.value}.wav" for p in Prompt}
    assert sum(f.stat().st_size for f in files) < 1_600_000


def test_lobby_music_loops_without_a_click():
    samples = load_prompt(Prompt.LOBBY_MUSIC).samples
    assert load_prompt(Prompt.LOBBY_MUSIC).seconds >= 4.0
    assert abs(samples[0]) < 200 and abs(samples[-1]) < 200


def test_missing_and_wrong_format_files_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(prompts_module, "PROMPT_DIR", tmp_path)
    load_prompt.cache_clear()
    try:
        with pytest.raises(PromptError, match="missing"):
            load_prompt(Prompt.WELCOME)
        with wave.open(str(tmp_path / "goodbye.wav"), "wb") as writer:
            writer.setnchannels(2)
            writer.setsampwidth(2)
            writer.setframerate(8000)
            writer.writeframes(b"\x00\x00" * 16)
        with pytest.raises(PromptError, match="16 kHz mono"):
            load_prompt(Prompt.GOODBYE)
        (tmp_path / "beep.wav").write_bytes(b"RIFF-not-really")
        with pytest.raises(PromptError, match="not a WAV"):
            load_prompt(Prompt.BEEP)
    finally:
        load_prompt.cache_clear()
