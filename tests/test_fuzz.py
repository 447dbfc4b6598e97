"""Property tests for issue 14: arbitrary bodies and streams, fed in process through the transport seam
(``multimodel.transport.ReplayTransport``), so thousands of examples run in seconds with no server.

What is generated: random nested JSON; "almost right" chat.completion bodies and chat.completion.chunk streams
with one to four fields replaced by random JSON, deleted, or joined by new ones; SSE framing with random line
ends, comments, event names, [DONE] anywhere, stray bytes and random splits into reads; raw bytes under random
statuses and content types; provider error bodies with random retry-after headers; secrets sprinkled into text.

The properties: ``complete()`` never raises; the Result has the shape every view takes (``result_problems``:
counts None or ints in [0, 2**53], cost NaN or finite >= 0, strings where strings belong, a known error kind
and never ``internal``); it survives the cache (JSON round trip, a SQLite row read back); ``results_to_frame``
builds; neither credential appears in it; a small ``evaluate()`` returns every row and exports.

The default run is 2,080 examples (seeded: ``derandomize=True``, no example database, so CI sees the
same ones every time). ``--fuzz-full`` runs 20 times as many; ``MULTIMODEL_FUZZ_EXAMPLES=N`` about N in all.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import os
import warnings
from collections.abc import Callable
from typing import Any

import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import multimodel as mm
from multimodel.results import Result, results_to_frame
from multimodel.store import ResultCache
from multimodel.transport import ReplayTransport, Reply
from tests.hostile_server import CANARY, CANARY2, leaks, result_problems

pytestmark = pytest.mark.fuzz

#: examples per test in the default run (2,080 in all)
EXAMPLES = {"random_body": 500, "almost_body": 550, "almost_stream": 450, "raw_bytes": 300, "http_error": 200,
            "evaluate": 80}
FULL_FACTOR = 20


def examples(config: pytest.Config, test: str) -> int:
    wanted = os.environ.get("MULTIMODEL_FUZZ_EXAMPLES")
    if wanted:
        factor = max(1, int(wanted)) / sum(EXAMPLES.values())
    else:
        factor = FULL_FACTOR if config.getoption("--fuzz-full", default=False) else 1
    return max(1, round(EXAMPLES[test] * factor))


def run_property(config: pytest.Config, test: str, prop: Callable[[], None], ran: list[int]) -> None:
    """Run a @given property (which appends to ``ran`` once per example) with this test's number of examples,
    reproducibly, and check that they all ran."""
    n = examples(config, test)
    settings(max_examples=n, deadline=None, derandomize=True, database=None, print_blob=False,
             suppress_health_check=list(HealthCheck))(prop)()
    assert len(ran) >= n, f"only {len(ran)} of {n} examples ran"


# ---------------------------------------------------------------------------------- the client under test
JSON_CT = {"content-type": "application/json"}
SSE_CT = {"content-type": "text/event-stream"}
PRICES = {"m": {"input": 1.0, "output": 2.0}}
MODELS = ("fz/m", "fzor/m")  # the OpenAI dialect, and OpenRouter's (which reads usage.cost)


def fresh_client(reply_for: Callable[[bytes], Reply]) -> mm.Client:
    """A new Client per example (no gate pause or learned limit carries over), answering from ``reply_for``."""

    def handler(url: str, headers: Any, payload: bytes) -> Reply:
        return reply_for(payload)

    entry = {"base_url": "http://fuzz.invalid/v1", "api_key": CANARY, "default_headers": {"x-api-key": CANARY2},
             "prices": PRICES}
    providers = {"fz": {**entry, "dialect": "openai"}, "fzor": {**entry, "dialect": "openrouter"}}
    return mm.Client(providers=providers, cache=False, retries=0, transport=ReplayTransport(handler))


class Checker:
    """The properties every example must keep. Per example: the shape, the JSON round trip, no secret in the
    repr or the cache JSON, and a success stored in and read back from a real SQLite cache. The DataFrame is
    built once for all the examples' Results at the end (pandas costs ~6 ms a frame; per example that would
    double the run), and if it fails, row by row to name the example that broke it."""

    def __init__(self, tmp_path: Any) -> None:
        self.path = tmp_path / "fuzz.sqlite"
        self.cache = ResultCache(self.path)
        self.results: list[tuple[Any, str]] = []

    def check(self, r: Any, what: str) -> None:
        """Each kind of problem fails on its own line, so Hypothesis reports (and shrinks) them as distinct bugs
        instead of only the simplest one."""
        shape = result_problems(r)
        assert not shape, _say(what, shape)
        try:
            blob = r.to_json()
            back = Result.from_json(blob)
            round_trip = [f"after the JSON round trip: {p}" for p in result_problems(back)]
        except Exception as exc:
            blob, round_trip = b"", [f"the JSON round trip raised {type(exc).__name__}: {exc}"]
        assert not round_trip, _say(what, round_trip)
        secrets = [f"the cache JSON holds {s!r}" for s in leaks(blob)] + [f"repr holds {s!r}" for s in leaks(repr(r))]
        assert not secrets, _say(what, secrets)
        if r.error is None:
            key = f"k{len(self.results)}"
            try:
                self.cache.put(key, r)
                stored = self.cache.get(key)
                cached = (["a stored success did not read back from the cache"] if stored is None else
                          [f"read back from the cache: {p}" for p in result_problems(stored)])
            except Exception as exc:
                cached = [f"the cache raised {type(exc).__name__}: {exc}"]
            assert not cached, _say(what, cached)
        self.results.append((r, what))

    def finish(self) -> None:
        """The DataFrame of every example's Result, then of every row in the cache file; no secret in the file."""
        stored = [(self.cache.get(f"k{i}"), what) for i, (_, what) in enumerate(self.results)]
        for label, rows in (("a Result", self.results), ("a cached Result", [s for s in stored if s[0] is not None])):
            try:
                results_to_frame([r for r, _ in rows])
            except Exception as exc:
                for r, what in rows:
                    try:
                        results_to_frame([r])
                    except Exception:
                        raise AssertionError(f"the DataFrame of {label} fails ({type(exc).__name__}: {exc}) for "
                                             f"{what}") from exc
                raise
        self.cache.close()
        for path in self.path.parent.glob(self.path.name + "*"):
            assert not leaks(path.read_bytes()), f"{path.name} holds a secret"


def _say(what: str, problems: list[str]) -> str:
    return f"{what}:\n  " + "\n  ".join(problems)


def complete(reply: Callable[[], Reply], model: str, stream: bool) -> Any:
    """One call on a fresh client; a warning that carries a secret fails the example."""
    client = fresh_client(lambda payload: reply())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = client.complete(model, "hi", stream=stream, timeout=5)
    leaked = [str(w.message) for w in caught if leaks(str(w.message))]
    assert not leaked, f"a warning holds a secret: {leaked[0][:300]}"
    return result


# ---------------------------------------------------------------------------------- strategies
FIELDS = ["choices", "message", "delta", "content", "reasoning_content", "reasoning", "reasoning_details",
          "tool_calls", "function", "arguments", "name", "id", "index", "finish_reason", "native_finish_reason",
          "usage", "prompt_tokens", "completion_tokens", "total_tokens", "cost", "is_byok", "cost_details",
          "upstream_inference_cost", "prompt_tokens_details", "completion_tokens_details", "cached_tokens",
          "cache_write_tokens", "reasoning_tokens", "prompt_cache_hit_tokens", "model", "error", "code", "type",
          "status", "status_code", "metadata", "raw", "logprobs", "top_logprobs", "token", "extra_content", "text",
          "thinking", "role", "object", "details", "retryDelay"]
SPECIAL_TEXT = ["", "stop", "length", "tool_calls", "content_filter", "error", "insufficient_system_resource",
                "<think>", "</think>", "<thought>", "[DONE]", "\x00", "\ufeff", "reasoning.text", "reasoning.summary",
                "reasoning.encrypted", "function", "text", "thinking", CANARY, f"Bearer {CANARY}", CANARY2]
TEXT = st.one_of(st.text(max_size=12), st.sampled_from(SPECIAL_TEXT),
                 st.builds(lambda a, b: a + CANARY + b, st.text(max_size=4), st.text(max_size=4)))
INTS = st.one_of(st.integers(-3, 40), st.sampled_from([2**31, 2**53, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64,
                                                        -(2**63), -(2**64), 10**30]), st.integers())
FLOATS = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from([1e300, -1e300, 0.5, -0.0, 5.0, 1e-300, 2.0**64]))
SCALARS = st.one_of(st.none(), st.booleans(), INTS, FLOATS, TEXT)
KEYS = st.one_of(st.sampled_from(FIELDS), st.text(max_size=6))
JSON = st.recursive(SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                    st.dictionaries(KEYS, kids, max_size=4)), max_leaves=10)


def dumps(obj: Any, ascii_only: bool = False) -> bytes:
    """JSON with integers of any size (orjson stops at 64 bits)."""
    return json.dumps(obj, ensure_ascii=ascii_only, allow_nan=False, separators=(",", ":")).encode("utf-8")


def base_completion() -> dict[str, Any]:
    """A chat.completion with every part the library reads (reasoning, a tool call, logprobs, usage with cost)."""
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "m",
        "choices": [{
            "index": 0, "finish_reason": "stop", "native_finish_reason": "stop",
            "message": {"role": "assistant", "content": "hello", "reasoning_content": "thinking",
                        "reasoning_details": [{"type": "reasoning.text", "text": "thinking", "index": 0}],
                        "tool_calls": [{"id": "call_1", "type": "function", "index": 0,
                                        "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                                        "extra_content": {"google": {"thought_signature": "sig"}}}]},
            "logprobs": {"content": [{"token": "hello", "logprob": -0.1, "bytes": [104], "top_logprobs": []}]},
        }],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7, "cost": 0.001,
                  "prompt_tokens_details": {"cached_tokens": 1, "cache_write_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 1}},
    }


def base_chunks() -> list[dict[str, Any]]:
    """A chat.completion.chunk stream with every part the library reads."""

    def chunk(delta: Any, finish: Any = None, **top: Any) -> dict[str, Any]:
        return {"id": "c1", "object": "chat.completion.chunk", "model": "m",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **top}

    return [
        chunk({"role": "assistant", "reasoning_content": "thin"}),
        chunk({"reasoning": "king", "reasoning_details": [{"type": "reasoning.text", "text": "king", "index": 0}]}),
        chunk({"content": "hel"}),
        chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                               "function": {"name": "get_weather", "arguments": '{"ci'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty":"Oslo"}'}}]}),
        chunk({"content": "lo"}, "stop"),
        {"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [],
         "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7, "cost": 0.001,
                   "completion_tokens_details": {"reasoning_tokens": 1}}},
    ]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*prefix, i))
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: Any, base: Any) -> Any:
    """``base`` with one to four nodes replaced by random JSON, deleted, or given a random sibling."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "insert"]))
        if action == "replace":
            parent[path[-1]] = draw(JSON)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(KEYS)] = draw(JSON)
        else:
            parent.insert(draw(st.integers(0, len(parent))), draw(JSON))
    return doc


TERMINATORS = [b"\n\n", b"\n\n", b"\n\n", b"\r\n\r\n", b"\n", b"\r\r", b"\n\n\n"]


@st.composite
def sse_bytes(draw: Any) -> bytes:
    """A chunk stream, perhaps mutated, framed with random line ends, event names, comments and [DONE]s."""
    chunks: list[Any] = base_chunks()
    if draw(st.booleans()):
        chunks = draw(mutated(chunks))
    if not isinstance(chunks, list):
        chunks = [chunks]
    out = []
    for item in chunks:
        if draw(st.integers(0, 9)) == 0:
            out.append(b": " + draw(st.sampled_from([b"keep-alive", b"OPENROUTER PROCESSING", b""])) + b"\n\n")
        if draw(st.integers(0, 9)) == 0:
            out.append(b"data: " + dumps(draw(JSON)) + b"\n\n")
        name = draw(st.sampled_from([b"", b"", b"", b"", b"error", b"ping", b"message"]))
        head = b"event: " + name + b"\n" if name else b""
        prefix = draw(st.sampled_from([b"data: ", b"data: ", b"data:", b" data: "]))
        out.append(head + prefix + dumps(item, draw(st.booleans())) + draw(st.sampled_from(TERMINATORS)))
    ending = draw(st.sampled_from(["done", "done", "none", "done-twice", "error-event"]))
    if ending == "done":
        out.append(b"data: [DONE]\n\n")
    elif ending == "done-twice":
        out += [b"data: [DONE]\n\n", b"data: " + dumps(base_chunks()[2]) + b"\n\n", b"data: [DONE]\n\n"]
    elif ending == "error-event":
        out.append(b"event: error\ndata: " + dumps(draw(JSON)) + b"\n\n")
    data = b"".join(out)
    if draw(st.integers(0, 4)) == 0:  # stray bytes somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=6)) + data[at:]
    return data


@st.composite
def pieces(draw: Any, data: bytes) -> list[bytes]:
    """``data`` split at random points into the reads a transport delivers."""
    if not data:
        return draw(st.sampled_from([[], [b""]]))
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(data) - 1)), max_size=12))))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


RETRY_AFTER = st.one_of(st.sampled_from(["0", "1", "-5", "nan", "inf", "-inf", "1e308", "999999999", "", "soon",
                                         "Fri, 31 Dec 9999 23:59:59 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "1.5"]),
                        st.integers(-10**6, 10**12).map(str), st.text(max_size=8))
HEADERS = st.fixed_dictionaries({}, optional={
    "x-request-id": TEXT, "request-id": TEXT, "x-generation-id": TEXT, "retry-after": RETRY_AFTER,
    "retry-after-ms": RETRY_AFTER, "x-multimodel-simulated": st.sampled_from(["true", "false", "TRUE"]),
    "x-ratelimit-remaining-requests": st.sampled_from(["0", "5"]),
    "x-ratelimit-reset-requests": st.sampled_from(["1s", "6m0s", "1e9", "-1", "x"]),
    "x-ratelimit-limit-requests": st.sampled_from(["0", "-1", "1e308", "nan", "100"])})


# ---------------------------------------------------------------------------------- the properties
@pytest.fixture
def checker(tmp_path):
    c = Checker(tmp_path)
    yield c
    with contextlib.suppress(Exception):
        c.cache.close()


def test_any_json_body(request, checker):
    """Random JSON (any shape, any types) as a 200 body, whole or labelled as a stream."""

    ran: list[int] = []

    @given(body=JSON, as_sse=st.booleans(), model=st.sampled_from(MODELS), headers=HEADERS)
    def prop(body, as_sse, model, headers):
        ran.append(1)
        reply = Reply(200, {**headers, **(SSE_CT if as_sse else JSON_CT)}, dumps(body))
        checker.check(complete(lambda: reply, model, as_sse), f"body {body!r}")

    run_property(request.config, "random_body", prop, ran)
    checker.finish()


def test_almost_right_completions(request, checker):
    """A full chat.completion with one to four fields replaced by random JSON, deleted, or joined by others."""

    ran: list[int] = []

    @given(body=mutated(base_completion()), model=st.sampled_from(MODELS), headers=HEADERS)
    def prop(body, model, headers):
        ran.append(1)
        reply = Reply(200, {**headers, **JSON_CT}, dumps(body))
        checker.check(complete(lambda: reply, model, False), f"body {body!r}")

    run_property(request.config, "almost_body", prop, ran)
    checker.finish()


def test_almost_right_streams(request, checker):
    """A full chunk stream, mutated and framed at random, delivered in random pieces."""

    ran: list[int] = []

    @given(data=sse_bytes(), model=st.sampled_from(MODELS), headers=HEADERS, st_data=st.data())
    def prop(data, model, headers, st_data):
        ran.append(1)
        parts = st_data.draw(pieces(data))
        checker.check(complete(lambda: Reply(200, {**headers, **SSE_CT}, iter(parts)), model, True),
                      f"stream {data!r} in {len(parts)} pieces")

    run_property(request.config, "almost_stream", prop, ran)
    checker.finish()


def test_raw_bytes_under_any_status_and_type(request, checker):
    """Random bytes (or a valid body cut or spliced) under a random status and content type."""
    valid = dumps(base_completion())
    body = st.one_of(st.binary(max_size=200),
                     st.integers(0, len(valid)).map(lambda n: valid[:n]),
                     st.tuples(st.integers(0, len(valid)), st.binary(min_size=1, max_size=8)).map(
                         lambda t: valid[:t[0]] + t[1] + valid[t[0]:]))
    ctype = st.sampled_from([JSON_CT, SSE_CT, {"content-type": "text/plain"}, {"content-type": "text/html"}, {},
                             {"content-type": "application/json; charset=latin-1"}])
    status = st.sampled_from([200, 200, 200, 201, 204, 206, 299, 300, 301, 302, 304, 307, 308, 400, 401, 402, 403,
                              404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529, 599])

    ran: list[int] = []

    @given(data=body, ct=ctype, status=status, stream=st.booleans(), headers=HEADERS, st_data=st.data())
    def prop(data, ct, status, stream, headers, st_data):
        ran.append(1)
        parts = st_data.draw(pieces(data))
        location = {"location": "http://elsewhere.invalid/v1/chat/completions"} if 300 <= status < 400 else {}
        reply = Reply(status, {**headers, **location, **ct}, iter(parts) if stream else data)
        checker.check(complete(lambda: reply, "fz/m", stream), f"HTTP {status} {ct} {data!r}")

    run_property(request.config, "raw_bytes", prop, ran)
    checker.finish()


def test_provider_error_bodies(request, checker):
    """Error statuses with every provider's error shape filled with random JSON, and random retry-after."""
    shapes = st.one_of(
        st.builds(lambda e: {"error": e}, JSON),
        st.builds(lambda e: {"error": e}, st.fixed_dictionaries({}, optional={
            "message": JSON, "type": JSON, "code": JSON, "param": JSON, "status": JSON, "status_code": JSON,
            "metadata": JSON, "details": JSON})),
        st.builds(lambda e: [{"error": e}], JSON),
        st.builds(lambda m, c: {"message": m, "code": c}, JSON, JSON),
        JSON)
    status = st.sampled_from([400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529, 418, 599])

    ran: list[int] = []

    @given(body=shapes, status=status, headers=HEADERS, model=st.sampled_from(MODELS))
    def prop(body, status, headers, model):
        ran.append(1)
        reply = Reply(status, {**headers, **JSON_CT}, dumps(body))
        checker.check(complete(lambda: reply, model, False), f"HTTP {status} {body!r} {headers!r}")

    run_property(request.config, "http_error", prop, ran)
    checker.finish()


def test_a_small_evaluation_returns_every_row(request, tmp_path):
    """Three prompts, each answered by its own random reply (a mutated body or stream, or random JSON): the
    Evaluation has the three rows in order, its frame builds, and CSV, JSON lines and Parquet export."""
    reply = st.one_of(
        mutated(base_completion()).map(lambda b: ("json", dumps(b))),
        sse_bytes().map(lambda d: ("sse", d)),
        JSON.map(lambda b: ("json", dumps(b))))

    ran: list[int] = []

    @given(replies=st.lists(reply, min_size=3, max_size=3), stream=st.booleans(), model=st.sampled_from(MODELS))
    def prop(replies, stream, model):
        ran.append(1)
        def reply_for(payload: bytes) -> Reply:
            prompt = orjson.loads(payload)["messages"][0]["content"]
            kind, data = replies[int(prompt[1:])]
            return Reply(200, SSE_CT if kind == "sse" else JSON_CT, iter([data]) if kind == "sse" else data)

        client = fresh_client(reply_for)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ev = client.evaluate(["p0", "p1", "p2"], models=[model], stream=stream, timeout=5, progress=False)
        assert not [w for w in caught if leaks(str(w.message))], "a warning holds a secret"
        assert len(ev.results) == 3
        problems = [f"row {i}: {p}" for i, r in enumerate(ev.results) for p in result_problems(r)]
        assert not problems, "\n".join(problems)
        df = ev.df
        assert df["prompt_index"].tolist() == [0, 1, 2]
        for export in ("to_csv", "to_jsonl", "to_parquet"):
            path = tmp_path / f"ev.{export[3:]}"
            getattr(ev, export)(path)
            text = pd.read_parquet(path).to_csv() if export == "to_parquet" else path.read_bytes()
            assert not leaks(text), f"{export} holds a secret"

    run_property(request.config, "evaluate", prop, ran)
