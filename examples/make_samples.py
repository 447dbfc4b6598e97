"""Write the sample attachments the README's examples use: ``cat.png``, ``clip.wav`` and ``memo.pdf``.

    python examples/make_samples.py            # rewrites them next to this script
    python examples/make_samples.py OUT_DIR    # or into another folder

They are small, made in pure Python (no imaging or audio library) and byte-for-byte the same on every run,
so the copies in the repository can be checked against this script (``tests/test_readme.py`` does). Each
holds something a real model can describe: a drawn cat's face, a one-second 440 Hz tone (the A above
middle C), and a one-line memo.
"""

from __future__ import annotations

import io
import math
import struct
import sys
import wave
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
MEMO_TEXT = "Memo: the design review moves to Thursday at 10:00, room 4."

Colour = tuple[int, int, int]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1
Shape = tuple[Box, Callable[[float, float], bool]]  # where it can be, and whether a point is inside it


def _png(pixels: list[list[Colour]]) -> bytes:
    """An 8-bit RGB PNG of ``pixels`` (rows of (r, g, b)), encoded by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(channel for pixel in row for channel in pixel) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> Shape:
    return (cx - rx, cy - ry, cx + rx, cy + ry), lambda x, y: ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1


def _triangle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> Shape:
    def side(p: tuple[float, float], q: tuple[float, float], x: float, y: float) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    def inside(x: float, y: float) -> bool:
        s = (side(a, b, x, y), side(b, c, x, y), side(c, a, x, y))
        return all(v >= 0 for v in s) or all(v <= 0 for v in s)

    xs, ys = (a[0], b[0], c[0]), (a[1], b[1], c[1])
    return (min(xs), min(ys), max(xs), max(ys)), inside


def _stroke(a: tuple[float, float], b: tuple[float, float], width: float) -> Shape:
    """A straight line from ``a`` to ``b``, ``width`` pixels thick."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy

    def inside(x: float, y: float) -> bool:
        t = max(0.0, min(1.0, ((x - a[0]) * dx + (y - a[1]) * dy) / length2))
        return math.hypot(x - a[0] - t * dx, y - a[1] - t * dy) <= width / 2

    half = width / 2
    return (min(a[0], b[0]) - half, min(a[1], b[1]) - half, max(a[0], b[0]) + half, max(a[1], b[1]) + half), inside


def cat_png(size: int = 128, samples: int = 3) -> bytes:
    """A cartoon cat's face (orange head, pointed ears, green eyes, pink nose, whiskers) on a pale blue ground,
    antialiased by ``samples`` x ``samples`` supersampling."""
    s = size / 128  # the drawing is laid out on a 128-pixel grid
    orange, dark, pink, green, black, white = (236, 140, 52), (60, 40, 30), (240, 150, 170), (90, 170, 70), \
        (15, 15, 15), (255, 255, 255)
    layers: list[tuple[Shape, Colour]] = [
        (_triangle((22 * s, 62 * s), (30 * s, 10 * s), (60 * s, 40 * s)), orange),
        (_triangle((106 * s, 62 * s), (98 * s, 10 * s), (68 * s, 40 * s)), orange),
        (_triangle((32 * s, 52 * s), (35 * s, 22 * s), (52 * s, 40 * s)), pink),
        (_triangle((96 * s, 52 * s), (93 * s, 22 * s), (76 * s, 40 * s)), pink),
        (_ellipse(64 * s, 74 * s, 46 * s, 40 * s), orange),
        (_ellipse(64 * s, 92 * s, 22 * s, 15 * s), white),
        (_ellipse(46 * s, 66 * s, 9 * s, 11 * s), green),
        (_ellipse(82 * s, 66 * s, 9 * s, 11 * s), green),
        (_ellipse(46 * s, 67 * s, 3 * s, 9 * s), black),
        (_ellipse(82 * s, 67 * s, 3 * s, 9 * s), black),
        (_triangle((58 * s, 82 * s), (70 * s, 82 * s), (64 * s, 89 * s)), pink),
        (_stroke((64 * s, 89 * s), (64 * s, 95 * s), 2 * s), dark),
        (_stroke((64 * s, 95 * s), (57 * s, 99 * s), 2 * s), dark),
        (_stroke((64 * s, 95 * s), (71 * s, 99 * s), 2 * s), dark),
    ]
    for y0, y1 in ((84, 80), (90, 90), (96, 100)):  # three whiskers a side
        layers.append((_stroke((54 * s, y0 * s), (12 * s, y1 * s), 1.5 * s), dark))
        layers.append((_stroke((74 * s, y0 * s), (116 * s, y1 * s), 1.5 * s), dark))
    ground: Colour = (214, 232, 246)
    offsets = [(i + 0.5) / samples for i in range(samples)]
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            near = [(inside, fill) for ((x0, y0, x1, y1), inside), fill in layers  # the shapes this pixel may show
                    if x0 <= px + 1 and px <= x1 and y0 <= py + 1 and py <= y1]
            total = [0, 0, 0]
            for oy in offsets:
                for ox in offsets:
                    x, y = px + ox, py + oy
                    colour = ground
                    for inside, fill in near:
                        if inside(x, y):
                            colour = fill
                    for k in range(3):
                        total[k] += colour[k]
            row.append(tuple(round(t / samples**2) for t in total))
        rows.append(row)
    return _png(rows)  # type: ignore[arg-type]


def tone_wav(freq: float = 440.0, seconds: float = 1.0, rate: int = 16_000) -> bytes:
    """A mono 16-bit PCM WAV sine tone with 20 ms fades (no clicks): 1 s at 16 kHz is 32,044 bytes."""
    n = int(seconds * rate)
    fade = int(0.02 * rate)
    frames = bytearray()
    for i in range(n):
        envelope = min(1.0, i / fade, (n - 1 - i) / fade)
        frames += struct.pack("<h", round(12_000 * envelope * math.sin(2 * math.pi * freq * i / rate)))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return buf.getvalue()


def memo_pdf(text: str = MEMO_TEXT) -> bytes:
    """A one-page PDF showing ``text`` in Helvetica, with a correct cross-reference table: the simulator's own
    sample PDF builder (multimodel.sim.media), so there is one copy of it."""
    from multimodel.sim.media import sample_pdf

    return sample_pdf(text)


SAMPLES: dict[str, Callable[[], bytes]] = {"cat.png": cat_png, "clip.wav": tone_wav, "memo.pdf": memo_pdf}


def write_samples(folder: Path = HERE) -> list[Path]:
    """Write every sample into ``folder`` (created if missing); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in SAMPLES.items():
        path = folder / name
        path.write_bytes(make())
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_samples(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(f"{written} ({written.stat().st_size:,} bytes)")
