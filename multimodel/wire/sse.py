"""Incremental Server-Sent Events decoder working on raw bytes, in linear time and bounded memory.

Bytes go in as they arrive from the socket; complete events come out. Comment lines
(``: OPENROUTER PROCESSING``, ``: keep-alive``) and blank keep-alive lines are dropped, ``event:``
names are kept (Groq and Anthropic send ``event: error``), CRLF and stray leading spaces are tolerated.
A line still unterminated is held as pieces and joined once, when its end arrives, so a line delivered in
many small reads costs time in proportion to its length; a line or an event longer than ``max_line`` raises
:class:`SSELimitError` instead of growing without end.
"""

from __future__ import annotations

DONE = b"[DONE]"


class SSELimitError(ValueError):
    """A line or an event of the stream passed the decoder's limit."""


class SSEDecoder:
    """Splits a byte stream into ``(event_name, data_bytes)`` pairs; event_name is b"" when absent."""

    __slots__ = ("_data", "_data_size", "_event", "_max", "_partial_size", "_parts")

    def __init__(self, max_line: int = 16 * 2**20) -> None:
        self._parts: list[bytes] = []  # the unterminated tail, as it arrived
        self._partial_size = 0
        self._data: list[bytes] = []
        self._data_size = 0
        self._event = b""
        self._max = max_line

    def feed(self, chunk: bytes) -> list[tuple[bytes, bytes]]:
        """Consume bytes; return the events completed by them."""
        if self._parts:
            if b"\n" not in chunk:  # still inside one long line: hold the piece, join later
                self._hold(chunk)
                return []
            buf = b"".join(self._parts) + chunk
            self._parts, self._partial_size = [], 0
        else:
            buf = chunk
        if b"\r" in buf:
            return self._feed_lines(buf)
        out: list[tuple[bytes, bytes]] = []
        if self._data or self._event:  # an event a piece boundary cut: finish it line by line, then go fast
            end = 0 if buf[:1] == b"\n" else buf.find(b"\n\n") + 1
            if end <= 0 and buf[:1] != b"\n":
                return self._feed_lines(buf)
            out = self._feed_lines(buf[:end + 1])
            buf = buf[end + 1:]
        return out + self._fast(buf) if buf else out

    def _fast(self, buf: bytes) -> list[tuple[bytes, bytes]]:
        """The common framings at speed: one ``data: {...}`` line per event (OpenAI), or an ``event: NAME`` line and
        one ``data:`` line (Anthropic's Messages, OpenAI's Responses); anything unusual (comments, multi-line data)
        goes to the line parser. ``buf`` starts at the beginning of an event."""
        blocks = buf.split(b"\n\n")
        rest = blocks.pop()
        out: list[tuple[bytes, bytes]] = []
        big = len(buf) > self._max  # only then can one block pass the limit
        for block in blocks:
            if block[:6] == b"data: " and b"\n" not in block:
                if big:  # counted as the line parser counts it: the value and its newline
                    self._check(len(block) - 5)
                out.append((b"", block[6:]))
                continue
            nl = block.find(b"\n") if block[:7] == b"event: " else -1
            if nl > 0 and block[nl + 1:nl + 7] == b"data: " and block.find(b"\n", nl + 1) < 0:
                if big:
                    self._check(len(block) - nl - 6)
                out.append((block[7:nl].strip()[:256], block[nl + 7:]))
            elif block:
                out.extend(self._feed_lines(block + b"\n\n"))
        if rest:
            out.extend(self._feed_lines(rest))
        return out

    def _hold(self, piece: bytes) -> None:
        self._partial_size += len(piece)
        self._check(self._partial_size)
        self._parts.append(piece)

    def _check(self, size: int) -> None:
        if size > self._max:
            raise SSELimitError(f"a line of the stream passed {self._max:,} bytes (Limits.sse_line_bytes)")

    def _feed_lines(self, buf: bytes) -> list[tuple[bytes, bytes]]:
        """The general line-by-line parser (any framing the SSE spec allows); the unterminated tail is held."""
        out: list[tuple[bytes, bytes]] = []
        start = 0
        find = buf.find
        while True:
            nl = find(b"\n", start)
            if nl < 0:
                break
            line = buf[start:nl]
            start = nl + 1
            self._line(line, out)
        if start < len(buf):
            self._hold(buf[start:])
        return out

    def _line(self, line: bytes, out: list[tuple[bytes, bytes]]) -> None:
        """One complete line: a field of the current event, or the blank line that ends it."""
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line or line.isspace():
            if self._data:
                out.append((self._event, b"\n".join(self._data)))
                self._data, self._data_size = [], 0
            self._event = b""
            return
        if line[0] in b" \t":  # some gateways put a space before "data:" (realcorpus t12)
            line = line.lstrip()
        if line[0] == 58:  # ":" comment line
            return
        if line.startswith(b"data:"):
            value = line[5:]
            if value[:1] == b" ":
                value = value[1:]
            self._data_size += len(value) + 1
            self._check(self._data_size)
            self._data.append(value)
        elif line.startswith(b"event:"):
            self._event = line[6:].strip()[:256]
        # id:, retry: and unknown fields carry nothing we use

    def close(self) -> list[tuple[bytes, bytes]]:
        """Flush at end of stream: a final event without its blank line still counts."""
        out: list[tuple[bytes, bytes]] = []
        if self._parts:
            tail = b"".join(self._parts)
            self._parts, self._partial_size = [], 0
            self._line(tail, out)
        if self._data:
            out.append((self._event, b"\n".join(self._data)))
            self._data, self._data_size = [], 0
        return out
