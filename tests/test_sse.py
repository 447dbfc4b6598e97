"""The SSE decoder's fast paths (one ``data:`` line per event; an ``event:`` line and one ``data:`` line, as the
Messages and Responses APIs frame every event) give exactly the events of the general line parser, whatever the
pieces the bytes arrive in."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from multimodel.wire.sse import SSEDecoder

HERE = Path(__file__).parent
BODIES = {path.stem: json.loads(path.read_text(encoding="utf-8"))["response"]["body"]
          for folder in ("corpus", "corpus_native") for path in sorted((HERE / folder).glob("*.json"))
          if json.loads(path.read_text(encoding="utf-8")).get("streaming")}


class LineParser(SSEDecoder):
    """The reference: every byte through the general line-by-line parser."""

    __slots__ = ()

    def feed(self, chunk: bytes) -> list[tuple[bytes, bytes]]:
        if self._parts:
            buf = b"".join(self._parts) + chunk
            self._parts, self._partial_size = [], 0
        else:
            buf = chunk
        return self._feed_lines(buf)


def events(decoder: SSEDecoder, body: bytes, sizes: list[int]) -> list[tuple[bytes, bytes]]:
    out, at, i = [], 0, 0
    while at < len(body):
        size = sizes[i % len(sizes)]
        out += decoder.feed(body[at:at + size])
        at, i = at + size, i + 1
    return out + decoder.close()


def test_the_corpus_has_streams_of_both_framings():
    framed = [k for k, b in BODIES.items() if "\nevent: " in "\n" + b]
    assert len(BODIES) >= 30 and len(framed) >= 10, (len(BODIES), len(framed))


@pytest.mark.parametrize("name", sorted(BODIES))
def test_every_recorded_stream_decodes_to_the_same_events_in_any_pieces(name):
    body = BODIES[name].encode("utf-8")
    want = events(LineParser(), body, [len(body) or 1])
    assert want, name
    rng = random.Random(name)
    for sizes in ([1], [2], [3], [7], [64], [333], [4096], [len(body) or 1],
                  [rng.randint(1, 200) for _ in range(50)]):
        assert events(SSEDecoder(), body, sizes) == want, (name, sizes[:5])


def test_an_event_named_stream_keeps_its_names_and_data():
    body = (b"event: message_start\ndata: {\"a\": 1}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n"
            b": comment\n\nevent: error\ndata: {\"e\": 2}\ndata: more\n\n")
    assert events(SSEDecoder(), body, [len(body)]) == [
        (b"message_start", b'{"a": 1}'), (b"ping", b'{"type": "ping"}'), (b"error", b'{"e": 2}\nmore')]


@pytest.mark.parametrize("size", [94, 95, 99, 100, 101])
def test_the_fast_paths_apply_the_line_limit_as_the_line_parser_does(size):
    """The limit counts a data value and its newline, on every path: values of 95-99 bytes under max_line=100 used
    to be refused by the fast path (which counted the "data: " prefix too) and taken by the line parser."""
    value = b"x" * size
    for body in (b"data: " + value + b"\n\n", b"event: e\ndata: " + value + b"\n\n"):
        results = []
        for decoder in (SSEDecoder(max_line=100), LineParser(max_line=100)):
            try:
                results.append(("ok", decoder.feed(body + b"data: {}\n\n")))
            except ValueError as exc:
                results.append(("refused", type(exc).__name__))
        assert results[0] == results[1], (size, body[:12], results)
