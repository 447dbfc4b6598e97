"""Tiny, valid media files built in pure Python: test inputs for the simulator, the probe and notebooks.

    from multimodel.sim.media import sample_png, sample_wav, sample_pdf
    png = sample_png((0, 90, 200))      # a 16x16 solid blue PNG, a few dozen bytes
    wav = sample_wav(seconds=0.1)       # a mono 16-bit sine tone
    pdf = sample_pdf("Invoice 42")      # a one-page PDF with one line of text

No imaging or audio library is needed, and the bytes are the same on every run.
"""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib


def sample_png(rgb: tuple[int, int, int] = (220, 20, 20), size: int = 16) -> bytes:
    """A solid-colour ``size`` x ``size`` RGB PNG, built by hand so it needs no imaging library."""
    if size < 1:
        raise ValueError("size must be >= 1")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * size
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(row * size))
            + chunk(b"IEND", b""))


def sample_wav(freq: float = 440.0, seconds: float = 0.3, rate: int = 8000) -> bytes:
    """A mono 16-bit PCM WAV sine tone (0.3 s at 8 kHz is 4,844 bytes), for ``input_audio`` parts."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        n = int(seconds * rate)
        w.writeframes(b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / rate)))
                               for i in range(n)))
    return buf.getvalue()


def sample_pdf(text: str = "The secret code is PDF-7731.") -> bytes:
    """A one-page PDF showing ``text`` in Helvetica, with a correct xref table (readers open it without repair)."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 40 100 Td ({safe}) Tj ET".encode("latin-1", "replace")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


__all__ = ["sample_pdf", "sample_png", "sample_wav"]
