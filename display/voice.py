"""Spoken calls: a voice pack of word clips, the chime, and an announcer that never cuts one off.

    announcer = Announcer(VoicePack(path), volume=80)
    announcer.say(announcement("A012", "3"))   # queued
    announcer.poll(time.monotonic())           # from the main loop: starts the next when free

A voice pack is a folder of WAV files, one per clip (``nomor_antrean.wav``, ``dua.wav``,
``belas.wav``, ``ka.wav``, ``prioritas.wav``, ``en_twelve.wav``...; see
:func:`display.speech.vocabulary`), plus an optional ``chime.wav``. ``antrian voice build`` makes
one with espeak-ng's Indonesian voice (and its English voice for the ``en:`` clips of English
boards); a folder of recorded clips with the same names replaces it. Missing clips are skipped
with one log line each, so a board without a pack still chimes; a counter name whose words the
pack lacks is said by the counter's id instead.
"""

from __future__ import annotations

import io
import logging
import math
import shutil
import struct
import subprocess
import tempfile
import wave
from collections import deque
from pathlib import Path

from display.speech import LEGACY_CLIPS, VOCABULARY, clip_file, spoken_text

log = logging.getLogger(__name__)

RATE = 22050               # espeak-ng's rate; the mixer runs at it so clips need no resampling
MAX_QUEUE = 30             # announcements waiting; beyond this the oldest are dropped (logged)


# -- pure sound making ---------------------------------------------------------------------------

def chime_samples(rate: int = RATE) -> list[int]:
    """A two-note "ding-dong" (E5 then C5, bell-like decay), 16-bit mono samples."""
    out: list[int] = []
    for freq, seconds in ((659.25, 0.55), (523.25, 0.85)):
        n = int(rate * seconds)
        for i in range(n):
            t = i / rate
            env = math.exp(-4.0 * t) * min(1.0, i / (0.005 * rate))
            v = (math.sin(2 * math.pi * freq * t) + 0.35 * math.sin(4 * math.pi * freq * t)
                 + 0.12 * math.sin(6 * math.pi * freq * t))
            out.append(int(max(-1.0, min(1.0, 0.45 * env * v)) * 32767))
    return out


def wav_bytes(samples: list[int], rate: int = RATE) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return buf.getvalue()


# -- the pack ------------------------------------------------------------------------------------

class VoicePack:
    """The clips of one folder; ``path=None`` is an empty pack (chime only)."""

    def __init__(self, path: Path | None):
        self.path = Path(path) if path else None
        self._warned: set[str] = set()

    def exists(self) -> bool:
        return self.path is not None and self.path.is_dir()

    def clip_path(self, word: str) -> Path | None:
        if self.path is None:
            return None
        for name in (word, *LEGACY_CLIPS.get(word, ())):
            path = self.path / clip_file(name)
            if path.is_file():
                return path
        return None

    def missing(self, words=VOCABULARY) -> list[str]:
        return [w for w in dict.fromkeys(words) if self.clip_path(w) is None]

    def warn_missing(self, word: str) -> None:
        if not self.exists():
            return   # said once when the announcer started
        if word not in self._warned:
            self._warned.add(word)
            where = self.path or "(no voice pack)"
            log.warning("voice pack %s has no clip %r (%s); skipping it", where, word,
                        clip_file(word))


def build_pack(out: Path, *, espeak: str = "espeak-ng", voice: str = "id", speed: int = 150,
               words=VOCABULARY) -> list[Path]:
    """Make a voice pack with espeak-ng (trimmed with sox when present); returns the files.

    ``voice`` speaks the plain clips; ``en:`` clips are spoken by espeak-ng's ``en`` voice.
    Pass ``words=display.speech.vocabulary(site)`` to include the site's counter names."""
    exe = shutil.which(espeak)
    if exe is None:
        raise RuntimeError(f"{espeak} not found: install the Debian package espeak-ng")
    sox = shutil.which("sox")
    out.mkdir(parents=True, exist_ok=True)
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        for word in words:
            raw = Path(tmp) / "raw.wav"
            lang, text = spoken_text(word)
            subprocess.run([exe, "-v", voice if lang == "id" else lang, "-s", str(speed), "-w",
                            str(raw), text],
                           check=True, capture_output=True, timeout=30)
            target = out / clip_file(word)
            if sox:
                # Trim the silence espeak puts around each word, so clips join without holes.
                subprocess.run([sox, str(raw), str(target), "silence", "1", "0.01", "0.5%",
                                "reverse", "silence", "1", "0.01", "0.5%", "reverse"],
                               check=True, capture_output=True, timeout=30)
            else:
                shutil.copyfile(raw, target)
            made.append(target)
    chime = out / "chime.wav"
    chime.write_bytes(wav_bytes(chime_samples()))
    made.append(chime)
    return made


# -- playing -------------------------------------------------------------------------------------

def init_mixer() -> bool:
    """Open the audio device (mono, 16-bit, 22,050 Hz); False (logged) when there is none."""
    import pygame
    if pygame.mixer.get_init():
        return True
    try:
        pygame.mixer.init(frequency=RATE, size=-16, channels=1, buffer=1024)
    except pygame.error as e:
        log.warning("no audio output (%s): calls are shown but not announced", e)
        return False
    log.info("audio: %s %s", pygame.mixer.get_init(), _audio_driver())
    return True


def _audio_driver() -> str:
    import pygame
    try:
        return pygame.mixer.get_driver()   # pygame-ce
    except (AttributeError, pygame.error):
        return ""


class Announcer:
    """Queues announcements and plays them one after another on one reserved channel.

    :param pack: the voice pack.
    :param volume: 0..100.
    :param gap_ms: silence between two clips.
    """

    def __init__(self, pack: VoicePack, *, volume: int = 80, gap_ms: int = 60,
                 enabled: bool = True):
        self.pack = pack
        self.gap_ms = gap_ms
        self.queue: deque[list[str]] = deque()
        self.played = 0
        self.dropped = 0
        self.busy_until = 0.0
        self._volume = max(0, min(100, volume))
        self._clips: dict[str, bytes] = {}
        self._chime: bytes | None = None
        self.enabled = enabled and init_mixer()
        self.channel = None
        if self.enabled:
            import pygame
            pygame.mixer.set_reserved(1)
            self.channel = pygame.mixer.Channel(0)
            self.channel.set_volume(self._volume / 100)
            self._format = pygame.mixer.get_init()
            self.chime()   # made now, not in the middle of the first call
            if not pack.exists():
                log.warning("no voice pack at %s: calls get the chime only "
                            "(make one with `antrian voice build`)", pack.path)

    @property
    def volume(self) -> int:
        return self._volume

    @volume.setter
    def volume(self, level: int) -> None:
        self._volume = max(0, min(100, int(level)))
        if self.channel is not None:
            self.channel.set_volume(self._volume / 100)

    # -- assembly --------------------------------------------------------------------------------

    def _raw(self, data: bytes | Path) -> bytes:
        import pygame
        sound = pygame.mixer.Sound(file=io.BytesIO(data) if isinstance(data, bytes) else str(data))
        return sound.get_raw()

    def _silence(self, ms: int) -> bytes:
        freq, size, channels = self._format
        frames = int(freq * ms / 1000)
        return bytes(frames * channels * (abs(size) // 8))

    def chime(self) -> bytes:
        if self._chime is None:
            custom = self.pack.path / "chime.wav" if self.pack.path else None
            self._chime = self._raw(custom if custom and custom.is_file()
                                    else wav_bytes(chime_samples()))
        return self._chime

    def clip(self, word: str) -> bytes | None:
        if word not in self._clips:
            path = self.pack.clip_path(word)
            if path is None:
                self.pack.warn_missing(word)
                return None
            try:
                self._clips[word] = self._raw(path)
            except Exception as e:   # a broken WAV must not stop the board
                log.warning("voice clip %s unreadable: %s", path, e)
                return None
        return self._clips[word]

    def assemble(self, words: list[str], *, chime: bool = True) -> bytes:
        """The raw samples (mixer format) of the chime and the words with small gaps."""
        parts = [self.chime(), self._silence(250)] if chime else []
        gap = self._silence(self.gap_ms)
        for word in words:
            raw = self.clip(word)
            if raw:
                parts += [raw, gap]
        parts.append(self._silence(150))
        return b"".join(parts)

    # -- queue -----------------------------------------------------------------------------------

    def say(self, words: list[str], fallback: list[str] | None = None) -> None:
        """Queue an announcement; when the pack lacks a clip of ``words`` but has every clip of
        ``fallback`` (a counter said by its id), the fallback is said instead."""
        if not self.enabled:
            return
        if fallback and self.pack.missing(words) and not self.pack.missing(fallback):
            log.info("voice pack lacks %s: saying %s", self.pack.missing(words), fallback)
            words = fallback
        if len(self.queue) >= MAX_QUEUE:
            self.queue.popleft()
            self.dropped += 1
            log.warning("announcement queue full: dropped the oldest")
        self.queue.append(list(words))

    def busy(self) -> bool:
        return self.channel is not None and bool(self.channel.get_busy())

    def poll(self, now: float) -> float | None:
        """Start the next announcement when the channel is free; returns when to poll again."""
        if not self.enabled:
            return None
        if self.busy():
            return max(now + 0.02, self.busy_until)
        if not self.queue:
            return None
        import pygame
        words = self.queue.popleft()
        sound = pygame.mixer.Sound(buffer=self.assemble(words))
        self.channel.play(sound)
        self.played += 1
        self.busy_until = now + sound.get_length()
        log.info("announcing: %s", ", ".join(words))
        return self.busy_until

    def close(self) -> None:
        """Wait for nothing: stop the mixer (a clean exit after the last announcement)."""
        if self.enabled:
            import pygame
            pygame.mixer.quit()


def write_wav(path: Path, raw: bytes, fmt: tuple[int, int, int]) -> None:
    """Save raw mixer samples (as from :meth:`Announcer.assemble`) as a WAV file."""
    freq, size, channels = fmt
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(abs(size) // 8)
        w.setframerate(freq)
        w.writeframes(raw)
