"""Images, audio and PDFs as OpenAI-format content parts, and the inventory of what a prompt carries.

``mm.image(...)``, ``mm.audio(...)`` and ``mm.pdf(...)`` read a path, bytes or (for images) a URL, detect
the type from the file's own bytes (not its name), and return a :class:`ContentPart`: a plain dict on the
wire with a short repr in the notebook, so a megabyte of base64 never floods a cell. ``scan_inputs``
lists every non-text part of a messages list with its size, which is what the capability check and the
size limits work from.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from multimodel.errors import ConfigError

# Feature names shared with the capability table (providers/capabilities.py) and the probe.
IMAGE_DATA = "image_data_url"
IMAGE_HTTP = "image_http_url"
AUDIO = "audio_input"
FILE = "file_input"

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/heic", "image/heif")
AUDIO_FORMATS = ("wav", "mp3", "flac", "ogg", "aac", "m4a", "aiff")
REMOVED_NOTE = "(An attachment was removed before sending: this model cannot receive it.)"
_DETAILS = (None, "auto", "low", "high")
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[\w-]+=[^;,]*)*);base64,", re.I)


class ContentPart(dict):
    """An OpenAI-format content part (it is the dict that goes on the wire) with a readable repr."""

    def __repr__(self) -> str:
        item = describe_part(self)
        return f"<{item.summary()}>" if item is not None else f"<content part {self.get('type')!r}>"

    def _repr_html_(self) -> str:
        from html import escape

        return f"<code>{escape(repr(self))}</code>"


@dataclass(frozen=True, slots=True)
class InputItem:
    """One non-text input of a prompt: which capability it needs, its type and its decoded size."""

    feature: str  # image_data_url | image_http_url | audio_input | file_input | other
    mime: str | None  # image/png, audio/wav (format as audio/<format>), application/pdf; None when unknown
    nbytes: int | None  # decoded size; None for a linked URL or an uploaded file id
    label: str  # "image", "audio clip", "PDF", ...
    ref: str | None = None  # URL (query and fragment removed: they may hold credentials) or file name
    role: str | None = None  # the role of the message that carries it
    where: tuple[int, int] | None = None  # (message index, part index): what warn mode removes

    def summary(self) -> str:
        size = "" if self.nbytes is None else f", {human_bytes(self.nbytes)}"
        where = f" {self.ref}" if self.ref else ""
        mime = self.mime or "unknown type"
        return f"{self.label}{where} ({mime}{size})"


def human_bytes(n: float) -> str:
    """1536 → '1.5 kB' (decimal units, as the providers state their limits)."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


# ------------------------------------------------------------------ type sniffing
def sniff_image(data: bytes) -> str | None:
    """The image MIME type from the first bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis"):
        return "image/heic"
    if data[4:8] == b"ftyp" and data[8:12] in (b"mif1", b"msf1"):
        return "image/heif"
    return None


def sniff_audio(data: bytes) -> str | None:
    """The ``input_audio`` format name from the first bytes, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"FORM" and data[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"OggS":
        return "ogg"
    if data[4:8] == b"ftyp" and data[8:12] in (b"M4A ", b"M4B "):
        return "m4a"
    if data[:3] == b"ID3":
        return "mp3"
    if len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        layer = data[1] & 0x06  # ADTS (AAC) has layer bits 00; MPEG audio layer III (MP3) has 01
        return "aac" if layer == 0 else "mp3" if layer == 0x02 else None
    return None


def _read(source: Any, what: str, example: str) -> tuple[bytes, str | None]:
    """Bytes and a file name from a path (str or Path) or raw bytes; ConfigError otherwise."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = None
    elif isinstance(source, str | os.PathLike):
        path = Path(source).expanduser()
        if not path.is_file():
            raise ConfigError(f"mm.{what}({str(source)[:120]!r}): no such file; pass a path, raw bytes{example}")
        data = path.read_bytes()
        name = path.name
    else:
        raise ConfigError(f"mm.{what}() takes a path, raw bytes{example}; got {type(source).__name__}")
    if not data:
        raise ConfigError(f"mm.{what}(): the {'file ' + repr(name) if name else 'data'} is empty")
    return data, name


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ------------------------------------------------------------------ the helpers
def image(source: Any, detail: str | None = None) -> ContentPart:
    """An image part from a path, bytes, an http(s) URL or a data URL; ``detail`` is auto, low or high."""
    if detail not in _DETAILS:
        raise ConfigError(f"mm.image(detail={detail!r}): use 'auto', 'low', 'high' or leave it out")
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        url = source
    elif isinstance(source, str) and source[:5].lower() == "data:":
        mime, _ = _parse_data_url(source, "image")
        if mime not in IMAGE_TYPES:
            raise ConfigError(f"mm.image(): the data URL says {mime!r}; supported image types: {IMAGE_TYPES}")
        url = source
    else:
        data, name = _read(source, "image", ", an http(s) URL or a data: URL")
        mime = sniff_image(data)
        if mime is None:
            guessed = mimetypes.guess_type(name or "")[0]
            raise ConfigError(
                f"mm.image(): {name or 'the bytes'} is not a PNG, JPEG, GIF, WebP or HEIC image"
                + (f" (its name suggests {guessed})" if guessed else "")
                + "; convert it to PNG or JPEG first"
            )
        url = f"data:{mime};base64,{_b64(data)}"
    inner: dict[str, Any] = {"url": url}
    if detail is not None:
        inner["detail"] = detail
    return ContentPart(type="image_url", image_url=inner)


def audio(source: Any) -> ContentPart:
    """An ``input_audio`` part from a path or bytes (WAV, MP3, FLAC, OGG, AAC, M4A or AIFF, by content)."""
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        raise ConfigError("mm.audio() takes a file path or bytes: no provider accepts audio by URL in "
                          "Chat Completions, so download it first")
    data, name = _read(source, "audio", "")
    fmt = sniff_audio(data)
    if fmt is None:
        raise ConfigError(f"mm.audio(): {name or 'the bytes'} is not WAV, MP3, FLAC, OGG, AAC, M4A or AIFF audio; "
                          "convert it (WAV or MP3 are accepted by every provider that takes audio)")
    return ContentPart(type="input_audio", input_audio={"data": _b64(data), "format": fmt})


def pdf(source: Any, filename: str | None = None) -> ContentPart:
    """A ``file`` part holding a PDF (base64 data URL plus a file name) from a path or bytes."""
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        raise ConfigError("mm.pdf() takes a file path or bytes; download the PDF first")
    data, name = _read(source, "pdf", "")
    if not data.startswith(b"%PDF-"):
        raise ConfigError(f"mm.pdf(): {name or 'the bytes'} does not start with %PDF-, so it is not a PDF")
    fname = filename or name or "document.pdf"
    return ContentPart(type="file", file={"filename": fname, "file_data": f"data:application/pdf;base64,{_b64(data)}"})


# ------------------------------------------------------------------ inventory and validation
def _parse_data_url(url: str, what: str) -> tuple[str | None, int]:
    """(mime type, decoded byte count) of a base64 data URL; ConfigError if it is not one."""
    m = _DATA_URL.match(url)
    if m is None:
        raise ConfigError(f"a {what} data URL must look like 'data:<type>;base64,<data>', got {url[:60]!r}")
    return (m.group(1) or "").lower() or None, _b64_size(url, m.end())


def _b64_size(s: str, start: int = 0) -> int:
    """Decoded size of base64 text without decoding it."""
    n = len(s) - start
    pad = 2 if s.endswith("==") else 1 if s.endswith("=") else 0
    return n * 3 // 4 - pad


def describe_part(part: Any) -> InputItem | None:
    """The InputItem for one non-text content part (None for text); ConfigError if it is malformed."""
    if not isinstance(part, dict):
        raise ConfigError(f"a content part must be a dict like {{'type': 'text', 'text': ...}}, got {part!r:.60}")
    kind = part.get("type")
    if kind == "text":
        if not isinstance(part.get("text"), str):
            raise ConfigError("a text part needs a string 'text'")
        return None
    if kind == "refusal":  # an assistant's refusal, replayed in a conversation: text
        return None
    if kind == "image_url":
        inner = part.get("image_url")
        url = inner.get("url") if isinstance(inner, dict) else inner if isinstance(inner, str) else None
        if not isinstance(url, str) or not url:
            raise ConfigError("an image_url part needs image_url.url (an http(s) or data: URL); use mm.image(...)")
        if url[:5].lower() == "data:":
            mime, size = _parse_data_url(url, "image")
            return InputItem(IMAGE_DATA, mime, size, "image")
        if url.startswith(("http://", "https://")):
            bare = _without_query(url)
            return InputItem(IMAGE_HTTP, mimetypes.guess_type(bare)[0], None, "image", bare)
        raise ConfigError(f"image_url.url must be an http(s) or data: URL, got {url[:60]!r}; use mm.image(path)")
    if kind == "input_audio":
        inner = part.get("input_audio")
        if not isinstance(inner, dict) or not isinstance(inner.get("data"), str) or not inner.get("format"):
            raise ConfigError("an input_audio part needs input_audio.data (base64) and .format; use mm.audio(path)")
        return InputItem(AUDIO, f"audio/{inner['format']}", _b64_size(inner["data"]), "audio clip")
    if kind == "file":
        inner = part.get("file")
        if not isinstance(inner, dict) or not (inner.get("file_data") or inner.get("file_id")):
            raise ConfigError("a file part needs file.file_data (a data: URL) or file.file_id; use mm.pdf(path)")
        data = inner.get("file_data")
        name = inner.get("filename") or inner.get("file_id")
        if isinstance(data, str) and data[:5].lower() == "data:":
            mime, size = _parse_data_url(data, "file")
            return InputItem(FILE, mime, size, "PDF" if mime == "application/pdf" else "file", name)
        if isinstance(data, str):  # bare base64
            return InputItem(FILE, "application/pdf", _b64_size(data), "file", name)
        return InputItem(FILE, None, None, "file", name)
    if not isinstance(kind, str) or not kind:
        raise ConfigError(f"a content part needs a 'type' (text, image_url, input_audio or file), got {part!r:.60}")
    return InputItem("other", None, None, f"{kind} part")


def scan_inputs(messages: list[dict[str, Any]]) -> list[InputItem]:
    """Every non-text part in the messages, in order, with its role and position."""
    found: list[InputItem] = []
    for i, m in enumerate(messages):
        content = m.get("content")
        if isinstance(content, list):
            for j, part in enumerate(content):
                item = describe_part(part)
                if item is not None:
                    found.append(replace(item, role=m.get("role"), where=(i, j)))
    return found


def _without_query(url: str) -> str:
    """scheme://host[:port]/path: a signed URL's query string (or user:password@) is a credential and must not
    reach a DataFrame."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]  # user:password@ is a credential too; the port stays
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def has_audio(messages: list[dict[str, Any]]) -> bool:
    """Whether any message carries an input_audio part (its tokens are billed at a separate rate)."""
    for m in messages:
        content = m.get("content")
        if isinstance(content, list) and any(isinstance(p, dict) and p.get("type") == "input_audio" for p in content):
            return True
    return False


def is_part(obj: Any) -> bool:
    """A bare content part (has 'type', no 'role'), as opposed to a message."""
    return isinstance(obj, dict) and "type" in obj and "role" not in obj


def text_part(text: str) -> dict[str, str]:
    return {"type": "text", "text": text}


def strip_parts(messages: list[dict[str, Any]], positions: set[tuple[int, int]]) -> list[dict[str, Any]]:
    """A copy of the messages without the parts at ``positions`` ((message, part) indexes); a message left
    with no text gets a note saying an attachment was removed (an empty user message would be rejected)."""
    out = []
    for i, m in enumerate(messages):
        content = m.get("content")
        if isinstance(content, list) and any(w[0] == i for w in positions):
            kept = [part for j, part in enumerate(content) if (i, j) not in positions]
            if not any(isinstance(p, dict) and p.get("type") == "text" for p in kept):
                kept.append(text_part(REMOVED_NOTE))
            m = {**m, "content": kept}
        out.append(m)
    return out
