#!/bin/sh
# Make the conferencing prompts in uc_signal/conferencing/prompts/ as 16 kHz mono 16-bit
# WAV: spoken ones with espeak-ng from the text in uc_signal/conferencing/prompts.py
# (PROMPT_TEXT), tones and the loopable lobby-music clip with sox. The output is committed
# as data; run this again after changing a prompt's text.
#
#   scripts/make-prompts.sh            (needs espeak-ng and sox: apt-get install espeak-ng sox)
#
# Speech is trimmed of leading and trailing silence so the prompts stay small (the whole
# directory is kept under ~1.5 MB) and chain without gaps.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/work/main/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
OUT=uc_signal/conferencing/prompts
VOICE=${PROMPT_VOICE:-en-us}
SPEED=${PROMPT_SPEED:-210}
for tool in espeak-ng sox; do
    command -v "$tool" >/dev/null || { echo "make-prompts: $tool is missing (apt-get install espeak-ng sox)" >&2; exit 1; }
done
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FORMAT="-r 16000 -c 1 -b 16 -e signed-integer"

# Spoken prompts: one "name<TAB>text" line each.
PYTHONPATH=. "$PYTHON" -c '
from uc_signal.conferencing.prompts import PROMPT_TEXT
for prompt, text in PROMPT_TEXT.items():
    print(f"{prompt.value}\t{text}")
' > "$TMP/text.tsv"
while IFS="	" read -r name text; do
    espeak-ng -v "$VOICE" -s "$SPEED" -w "$TMP/$name.raw.wav" "$text"
    # trim silence at both ends, shorten pauses inside to 0.12 s, a 40 ms lead-in,
    # normalise to -3 dBFS
    sox "$TMP/$name.raw.wav" $FORMAT "$OUT/$name.wav" \
        silence -l 1 0.02 0.5% -1 0.12 0.5% reverse silence 1 0.02 0.5% reverse pad 0.04 0.04 gain -n -3
done < "$TMP/text.tsv"

# Tones: each part a sine (or a sum of sines) with short fades against clicks.
PYTHONPATH=. "$PYTHON" -c '
from uc_signal.conferencing.prompts import PROMPT_TONES
for prompt, parts in PROMPT_TONES.items():
    print(prompt.value, " ".join(str(seconds) + ":" + ",".join(str(f) for f in freqs) for freqs, seconds in parts))
' > "$TMP/tones.txt"
while read -r name parts; do
    files=""
    i=0
    for part in $parts; do
        seconds=${part%%:*}
        freq=${part#*:}
        sox -n $FORMAT "$TMP/$name.$i.wav" synth "$seconds" sine "$freq" fade t 0.01 "$seconds" 0.01 gain -n -6
        files="$files $TMP/$name.$i.wav"
        i=$((i + 1))
    done
    sox $files $FORMAT "$OUT/$name.wav"
done < "$TMP/tones.txt"

# Lobby music: four soft chords (C, Am, F, G; a sine per note with a slow decay), about
# five seconds that loop without a click (each chord fades out to silence).
n=0
for chord in "261.63 329.63 392.00" "220.00 261.63 329.63" "174.61 220.00 261.63" "196.00 246.94 293.66"; do
    set -- $chord
    sox -n $FORMAT "$TMP/chord$n.wav" synth 1.2 sine "$1" sine "$2" sine "$3" remix - \
        fade q 0.05 1.2 0.5 gain -n -12
    n=$((n + 1))
done
sox "$TMP/chord0.wav" "$TMP/chord1.wav" "$TMP/chord2.wav" "$TMP/chord3.wav" $FORMAT "$OUT/lobby-music.wav"
du -ch "$OUT"/*.wav | tail -1
