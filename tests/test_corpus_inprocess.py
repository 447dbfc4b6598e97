"""The conformance suite again, in-process: every recording in tests/corpus/ replayed through
``transport.ReplayTransport`` instead of the loopback server, checked against the same expectations
(tests/corpus_expectations.py) with the same comparison (``check_result`` of tests/test_corpus.py).

Streams are delivered in several pieces: once event by event (as the loopback server writes them), and
once in small fixed-size byte pieces that split lines, field names and multi-byte characters. The
normalized Result must not depend on either the server or the piece boundaries.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import orjson
import pytest

import multimodel as mm
from multimodel.transport import ReplayTransport, Reply
from tests.replay_server import _SKIP_HEADERS, ReceivedRequest, split_sse
from tests.test_corpus import (
    ALL_IDS,
    EXPECTATIONS,
    RECORDINGS,
    check_result,
    recorded_before_retirement,
    replay_case,
)

pytestmark = pytest.mark.filterwarnings("ignore::multimodel.errors.PriceWarning")

#: small enough to cut nearly every line and many UTF-8 characters, large enough to stay quick
PIECE_BYTES = 7


def byte_pieces(data: bytes, size: int = PIECE_BYTES) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def deliveries(file_id: str) -> list[str]:
    return ["events", "bytes"] if RECORDINGS[file_id]["streaming"] else ["whole"]


CASES = [pytest.param(fid, how, id=f"{fid}-{how}") for fid in ALL_IDS for how in deliveries(fid)]


class RecordingHandler:
    """Answers every POST from one recording, as ``replay_server`` would, and remembers what it was sent."""

    def __init__(self, rec: dict, how: str) -> None:
        self.rec = rec
        self.how = how
        self.received: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self.__name__ = "recording"

    def __call__(self, url: str, headers, payload: bytes) -> Reply:
        try:
            parsed = orjson.loads(payload)
        except orjson.JSONDecodeError:
            parsed = None
        with self._lock:
            self.received.append(ReceivedRequest("POST", urlsplit(url).path, dict(headers), payload, parsed))
        resp = self.rec["response"]
        reply_headers = {k: str(v) for k, v in (resp.get("headers") or {}).items()
                         if v is not None and k.lower() not in _SKIP_HEADERS}
        body: str = resp["body"]
        if self.how == "events":
            pieces = [p.encode("utf-8") for p in split_sse(body)]
        elif self.how == "bytes":
            pieces = byte_pieces(body.encode("utf-8"))
        else:
            return Reply(int(resp["status"]), reply_headers, body.encode("utf-8"))
        return Reply(int(resp["status"]), reply_headers, iter(pieces))


def test_every_recording_has_an_in_process_case():
    assert {fid for fid, *_ in (c.values for c in CASES)} == set(RECORDINGS) == set(EXPECTATIONS)
    assert len(CASES) == len(RECORDINGS) + sum(1 for r in RECORDINGS.values() if r["streaming"])


def test_byte_pieces_really_split_lines_and_characters():
    multi_byte = [fid for fid, rec in RECORDINGS.items()
                  if rec["streaming"] and any(ord(ch) > 127 for ch in rec["response"]["body"])]
    assert multi_byte, "no streaming recording with non-ASCII text to split"
    split_chars = 0
    for fid in multi_byte:
        for piece in byte_pieces(RECORDINGS[fid]["response"]["body"].encode("utf-8")):
            try:
                piece.decode("utf-8")
            except UnicodeDecodeError:
                split_chars += 1
    assert split_chars > 0


@pytest.mark.parametrize(("file_id", "how"), CASES)
def test_recording_in_process(file_id: str, how: str) -> None:
    rec, exp, name, dialect, model, messages = replay_case(file_id)
    handler = RecordingHandler(rec, how)
    client = mm.Client(
        providers={name: {"base_url": f"http://replay.invalid/{file_id}/v1", "api_key": "test-key",
                          "dialect": dialect}},
        cache=False,
        transport=ReplayTransport(handler),
    )
    r = client.complete(f"{name}/{model}", messages, stream=rec["streaming"], retries=0,
                        **recorded_before_retirement(name, model))

    problems = check_result(r, exp, rec, name, model, handler.received)
    assert not problems, f"{file_id} [{how}] ({exp.why})\n  " + "\n  ".join(problems)
    assert handler.received[0].path == f"/{file_id}/v1/chat/completions"
    assert handler.received[0].headers["Authorization"] == "Bearer test-key"
