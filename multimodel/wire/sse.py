"""Incremental Server-Sent Events decoder working on raw bytes.

Bytes go in as they arrive from the socket; complete events come out. Comment lines
(``: OPENROUTER PROCESSING``, ``: keep-alive``) and blank keep-alive lines are dropped, ``event:``
names are kept (Groq and Anthropic send ``event: error``), CRLF and stray leading spaces are tolerated.
"""

from __future__ import annotations

DONE = b"[DONE]"


class SSEDecoder:
    """Splits a byte stream into ``(event_name, data_bytes)`` pairs; event_name is b"" when absent."""

    __slots__ = ("_buf", "_data", "_event")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[bytes] = []
        self._event = b""

    def feed(self, chunk: bytes) -> list[tuple[bytes, bytes]]:
        """Consume bytes; return the events completed by them."""
        buf = self._buf + chunk if self._buf else chunk
        if self._data or self._event or b"\r" in buf:
            return self._feed_lines(buf)
        # Fast path for the common framing, one "data: {...}" line per event: split on blank lines and
        # hand anything unusual (comments, event: names, multi-line data) to the line parser.
        blocks = buf.split(b"\n\n")
        rest = blocks.pop()
        out: list[tuple[bytes, bytes]] = []
        for block in blocks:
            if block[:6] == b"data: " and b"\n" not in block:
                out.append((b"", block[6:]))
            elif block:
                out.extend(self._feed_lines(block + b"\n\n"))
        self._buf = rest
        return out

    def _feed_lines(self, buf: bytes) -> list[tuple[bytes, bytes]]:
        """The general line-by-line parser (any framing the SSE spec allows)."""
        out: list[tuple[bytes, bytes]] = []
        start = 0
        find = buf.find
        while True:
            nl = find(b"\n", start)
            if nl < 0:
                break
            line = buf[start:nl]
            start = nl + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line or line.isspace():
                if self._data:
                    out.append((self._event, b"\n".join(self._data)))
                    self._data = []
                self._event = b""
                continue
            if line[0] in b" \t":  # some gateways put a space before "data:" (realcorpus t12)
                line = line.lstrip()
            if line[0] == 58:  # ":" comment line
                continue
            if line.startswith(b"data:"):
                value = line[5:]
                if value[:1] == b" ":
                    value = value[1:]
                self._data.append(value)
            elif line.startswith(b"event:"):
                self._event = line[6:].strip()
            # id:, retry: and unknown fields carry nothing we use
        self._buf = buf[start:]
        return out

    def close(self) -> list[tuple[bytes, bytes]]:
        """Flush at end of stream: a final event without its blank line still counts."""
        out: list[tuple[bytes, bytes]] = []
        if self._buf:
            out = self._feed_lines(self._buf + b"\n")
            self._buf = b""
        if self._data:
            out.append((self._event, b"\n".join(self._data)))
            self._data = []
        return out
