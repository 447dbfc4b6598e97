"""Issue 14's hostile-server acceptance tests: whatever a provider sends, complete()/compare()/evaluate() return
rows (never raise), the rows fit the DataFrame and every export, credentials never come back out, memory stays
bounded and nothing waits longer than its timeout says.

Every behaviour of tests/hostile_server.py's table is one parametrized case carrying its expected outcome
(issue 14's contract); the targeted tests below it measure what one call cannot show:
memory and time under the endless and huge answers, retries counted on the server, redirects seen from the
other origin, keys searched for in the cache file, the exports, the logs and the warnings, a callback that
raises SystemExit, and a retry-after that would stall the next call.
"""

from __future__ import annotations

import gc
import json
import logging
import math
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import multimodel as mm
from multimodel.results import Result, results_to_frame
from tests.hostile_server import (
    BEHAVIOURS,
    CANARY,
    CANARY2,
    ENDLESS_EVENTS_CAP,
    ENDLESS_LINES_CAP,
    FAMILIES,
    OK_COST,
    PRICE,
    REDACTED,
    Behaviour,
    HostileServer,
    by_family,
    leaks,
    provider_entry,
    result_problems,
)

REPO = Path(__file__).resolve().parent.parent
#: the "limits" client: small, so the size cases are fast
SMALL_LIMITS = {"response_bytes": 1 << 20, "sse_line_bytes": 64 << 10}


# ---------------------------------------------------------------------------------- fixtures and helpers
@pytest.fixture(scope="module")
def servers():
    """The hostile server and a second one on another port (another origin, for redirects)."""
    with HostileServer() as peer, HostileServer() as server:
        server.peer_url = peer.url
        yield server, peer


@pytest.fixture
def hostile(servers) -> HostileServer:
    server, peer = servers
    server.reset_counters()
    peer.reset_counters()
    return server


@pytest.fixture
def peer(servers, hostile) -> HostileServer:
    return servers[1]


def make_client(server: HostileServer, kind: str = "plain", *, cache: Any = False, retries: int = 0,
                **options: Any) -> mm.Client:
    """A Client with the hostile provider (OpenAI dialect) and hostile-or (OpenRouter's, which reads usage.cost);
    ``kind="limits"`` adds the small mm.Limits."""
    providers = {"hostile": provider_entry(server), "hostile-or": provider_entry(server, dialect="openrouter")}
    if kind == "limits":
        options.setdefault("limits", mm.Limits(**SMALL_LIMITS))
    return mm.Client(providers=providers, cache=cache, retries=retries, **options)


def model_of(b: Behaviour) -> str:
    return f"{'hostile-or' if b.client == 'openrouter' else 'hostile'}/{b.name}"


def call_options(b: Behaviour) -> dict[str, Any]:
    if b.timeout is None:
        return {"stream": b.stream, "timeout": 20}
    total, connect, idle = b.timeout
    return {"stream": b.stream, "timeout": mm.Timeout(total=total, connect=connect, idle=idle)}


def rendered(results: list[Result]) -> tuple[list[str], list[str]]:
    """Every way a Result is shown or stored (repr, HTML, dict, JSON, the DataFrame and its CSV/HTML, the
    round trip through the cache's JSON): the texts, and what failed while making them."""
    texts: list[str] = []
    problems: list[str] = []

    def attempt(what: str, fn: Any) -> Any:
        try:
            value = fn()
        except Exception as exc:
            problems.append(f"{what} raised {type(exc).__name__}: {str(exc)[:300]}")
            return None
        texts.append(value if isinstance(value, str) else repr(value))
        return value

    for r in results:
        attempt("repr(result)", lambda r=r: repr(r))
        attempt("result._repr_html_()", lambda r=r: r._repr_html_())
        attempt("result.to_dict()", lambda r=r: r.to_dict())
        attempt("str(result.error)", lambda r=r: str(r.error))
        blob = attempt("result.to_json()", lambda r=r: r.to_json().decode("utf-8", "replace"))
        if blob is not None:
            back = attempt("Result.from_json(result.to_json())", lambda r=r: Result.from_json(r.to_json()))
            if back is not None:
                attempt("results_to_frame([Result.from_json(...)])", lambda b=back: results_to_frame([b]).to_csv())
    frame = attempt("results_to_frame(results)", lambda: results_to_frame(results))
    if frame is not None:
        attempt("frame.to_csv()", frame.to_csv)
        attempt("frame.to_html()", frame.to_html)
        attempt("repr(frame)", lambda: repr(frame))
    return texts, problems


def leak_problems(texts: list[Any], where: str) -> list[str]:
    found = sorted({s for t in texts for s in leaks(t)})
    return [f"{where} contains {'the API key' if s == CANARY else 'the x-api-key value'} {s!r}" for s in found]


class MemoryWatch:
    """Growth of traced Python allocations (tracemalloc peak) and of the resident set (sampled every 2 ms from
    /proc/self/statm, else resource.getrusage's peak) while the block runs."""

    def __enter__(self) -> MemoryWatch:
        gc.collect()
        self._tracing = tracemalloc.is_tracing()
        if not self._tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._base_traced = tracemalloc.get_traced_memory()[0]
        self._base_rss = self.peak_rss = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak_rss = max(self.peak_rss, _rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_rss = max(self.peak_rss, _rss())
        self.traced = tracemalloc.get_traced_memory()[1] - self._base_traced
        if not self._tracing:
            tracemalloc.stop()
        self.rss = self.peak_rss - self._base_rss

    def __str__(self) -> str:
        return f"traced peak +{self.traced / 2**20:.0f} MiB, RSS peak +{self.rss / 2**20:.0f} MiB"


def _rss() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the process's peak so far (KB on Linux, bytes on macOS)
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


# ---------------------------------------------------------------------------------- the table itself
def test_the_table_covers_every_family_streamed_and_not():
    assert len(BEHAVIOURS) >= 60
    families = by_family()
    for family, members in families.items():
        assert members, f"no behaviour for {FAMILIES[family]}"
    for family in ("types", "keys", "counts", "size", "truncation", "timeout"):
        kinds = {b.stream for b in families[family]}
        assert kinds == {True, False}, f"{FAMILIES[family]}: not both streamed and whole-body behaviours"
    for b in BEHAVIOURS.values():
        assert b.doc and "\n" not in b.doc and len(b.doc) < 120, b.name
        assert b.expect.ok is not None or b.expect.kinds or b.expect.any_error, b.name


# ---------------------------------------------------------------------------------- one call per behaviour
@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(BEHAVIOURS))
def test_behaviour(name, hostile, peer):
    """One call to the behaviour: it returns a Result (never raises) of the expected outcome, of a shape every
    view takes (repr, HTML, dict, cache JSON, DataFrame), with no credential in any of them."""
    b = BEHAVIOURS[name]
    client = make_client(hostile, b.client)
    t0 = time.monotonic()
    r = client.complete(model_of(b), "hi", **call_options(b))
    elapsed = time.monotonic() - t0
    problems = result_problems(r) + b.expect.problems(r, elapsed)
    texts, failures = rendered([r])
    problems += failures + leak_problems(texts, "the Result's views")
    if b.server_check is not None:
        problems += b.server_check(hostile, peer)
    assert not problems, f"{name} ({b.doc}):\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------------------------- (1) and all: many at once
def _fast(stream: bool) -> list[str]:
    return [model_of(b) for b in BEHAVIOURS.values() if b.fast and b.stream == stream]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_one_evaluation_over_every_quick_behaviour(stream, hostile, tmp_path):
    """evaluate() over every quick behaviour returns every row, and its frame and every export build."""
    models = _fast(stream)
    client = make_client(hostile, cache=str(tmp_path / "cache.sqlite"))
    ev = client.evaluate(["first prompt", "second prompt"], models=models, stream=stream, timeout=20, progress=False)
    assert len(ev.results) == 2 * len(models)
    problems = [f"{r.model}: {p}" for r in ev.results for p in result_problems(r)]
    df = ev.df
    assert len(df) == 2 * len(models) and sorted(set(df["model"])) == sorted(models)
    for export in ("to_csv", "to_parquet", "to_jsonl"):
        path = tmp_path / f"ev.{export[3:]}"
        try:
            getattr(ev, export)(path)
        except Exception as exc:
            problems.append(f"ev.{export}() raised {type(exc).__name__}: {str(exc)[:300]}")
    try:
        back = pd.read_parquet(tmp_path / "ev.parquet")
        assert len(back) == len(df)
    except Exception as exc:
        problems.append(f"reading the parquet export back raised {type(exc).__name__}: {str(exc)[:300]}")
    assert not problems, "\n".join(problems)


@pytest.mark.timeout(60)
def test_one_comparison_over_many_behaviours(hostile):
    """compare() across a mix of wrong types, echoed keys and bad counts: one row per model, views build."""
    models = [model_of(BEHAVIOURS[n]) for n in (
        "ok", "choices-str", "choices-dict", "message-list", "tool-id-list", "tool-args-deep", "finish-dict",
        "model-dict", "usage-huge-int", "usage-1e300", "echo-content", "echo-401-json", "body-depth-bomb",
        "redirect-302-same", "cost-huge")]
    client = make_client(hostile)
    cmp = client.compare("hi", models=models, live=False, timeout=20)
    assert [r.model for r in cmp.results] == models
    problems = [f"{r.model}: {p}" for r in cmp.results for p in result_problems(r)]
    texts, failures = rendered(cmp.results)
    for what, fn in [("repr(cmp)", lambda: repr(cmp)), ("cmp._repr_html_()", cmp._repr_html_),
                     ("cmp.summary_html()", cmp.summary_html), ("cmp.df.to_csv()", lambda: cmp.df.to_csv())]:
        try:
            texts.append(fn())
        except Exception as exc:
            failures.append(f"{what} raised {type(exc).__name__}: {str(exc)[:300]}")
    problems += failures + leak_problems(texts, "the comparison's views")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------- (2) keys, everywhere
@pytest.mark.timeout(120)
def test_keys_appear_in_no_output_export_cache_log_or_warning(hostile, tmp_path, caplog, recwarn):
    """Every echo behaviour, live and again from the cache, through complete(), compare() and evaluate():
    neither credential appears in any view, export file, byte of the SQLite cache, log record or warning."""
    caplog.set_level(logging.DEBUG)
    cache = tmp_path / "cache.sqlite"
    client = make_client(hostile, cache=str(cache))
    echo = by_family()["keys"]
    whole = [model_of(b) for b in echo if not b.stream]
    streamed = [model_of(b) for b in echo if b.stream]
    results = []
    for _ in range(2):  # the second round answers the successes from the cache
        results += [client.complete(model_of(b), "hi", stream=b.stream, timeout=20) for b in echo]
    assert any(r.cached for r in results), "nothing came back from the cache: the test proves less than it says"
    cmp = client.compare("hi", models=whole, live=False, timeout=20)
    ev = client.evaluate(["p0", "p1"], models=whole, timeout=20, progress=False)
    ev_stream = client.evaluate(["p0"], models=streamed, stream=True, timeout=20, progress=False)
    results += cmp.results + ev.results + ev_stream.results
    texts, problems = rendered(results)
    texts += [repr(cmp), cmp._repr_html_(), cmp.summary_html(), repr(ev), ev._repr_html_(), repr(ev.df),
              ev.df.to_csv(), repr(ev_stream.df), repr(client), repr(client.providers)]
    problems += leak_problems(texts, "a view (repr, HTML, dict, JSON or DataFrame)")
    files = []
    for e, tag in ((ev, "ev"), (ev_stream, "evs")):
        files += [e.to_csv(tmp_path / f"{tag}.csv"), e.to_jsonl(tmp_path / f"{tag}.jsonl"),
                  e.to_parquet(tmp_path / f"{tag}.parquet"), e.to_html(str(tmp_path / f"{tag}.html"))]
        problems += leak_problems([pd.read_parquet(tmp_path / f"{tag}.parquet").to_csv()], "the parquet export")
    files.append(cmp.to_html(tmp_path / "cmp.html"))
    for path in files:
        problems += leak_problems([Path(path).read_bytes()], f"the export {Path(path).name}")
    for path in sorted(tmp_path.glob("cache.sqlite*")):  # the database, its WAL and shared memory
        problems += leak_problems([path.read_bytes()], f"the cache file {path.name}")
    mine = [rec for rec in caplog.records if rec.threadName != "hostile-server"]
    problems += leak_problems([f"{rec.name} {rec.getMessage()} {rec.exc_text or ''}" for rec in mine],
                              "a log record")
    problems += leak_problems([f"{w.category.__name__}: {w.message}" for w in recwarn.list], "a warning")
    # the redaction replaced the secret where the answer carried it, it did not drop the answer
    content = next(r for r in results if r.model == "hostile/echo-content" and r.error is None)
    if content.content.count(REDACTED) < 2:
        problems.append(f"echo-content: expected both secrets replaced by {REDACTED}, got {content.content!r}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------- (3) counts through the cache
@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", [b.name for b in by_family()["counts"] if not b.expect.kinds])
def test_counts_out_of_range_survive_the_cache(name, hostile, tmp_path):
    """A bad count becomes None before anything is cached, so the row read back (in a new Client, as in the
    next kernel) builds the DataFrame, and every row stored in the file does too."""
    b = BEHAVIOURS[name]
    cache = str(tmp_path / "cache.sqlite")
    live = make_client(hostile, b.client, cache=cache).complete(model_of(b), "hi", **call_options(b))
    again = make_client(hostile, b.client, cache=cache).complete(model_of(b), "hi", **call_options(b))
    problems = [f"live: {p}" for p in result_problems(live)] + [f"cached: {p}" for p in result_problems(again)]
    assert live.error is None, f"expected an answer, got {live.error}"
    assert again.cached, "the answer was not cached"
    assert hostile.hits[name] == 1
    counts = ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens", "cache_write_tokens")
    assert [getattr(again, c) for c in counts] == [getattr(live, c) for c in counts]
    _texts, failures = rendered([live, again])
    problems += failures
    with sqlite3.connect(cache) as conn:
        stored = [Result.from_json(blob) for (blob,) in conn.execute("SELECT result FROM results")]
    assert len(stored) == 1
    try:
        df = results_to_frame(stored)
        assert df["prompt_tokens"].dtype == "Int64"
    except Exception as exc:
        problems.append(f"the DataFrame of the stored rows raised {type(exc).__name__}: {exc}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------- (4) redirects
@pytest.mark.timeout(60)
@pytest.mark.parametrize("status", [307, 308])
def test_a_same_origin_307_308_is_followed_with_its_method_body_and_credentials(status, hostile):
    r = make_client(hostile).complete(f"hostile/redirect-{status}-same", "hi", temperature=0, timeout=20)
    assert r.error is None and r.content == "hello", r.error
    first, second = hostile.received()
    assert (first.name, second.name) == (f"redirect-{status}-same", "ok")
    assert second.path == "/x/ok/v1/chat/completions"
    assert json.loads(second.body) == json.loads(first.body)  # the same POST, body and all
    assert second.headers.get("Authorization") == f"Bearer {CANARY}"
    assert second.headers.get("x-api-key") == CANARY2


@pytest.mark.timeout(60)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_a_cross_origin_redirect_is_an_error_and_sends_nothing_there(status, stream, hostile, peer):
    r = make_client(hostile).complete(f"hostile/redirect-{status}-cross", "hi", stream=stream, timeout=20)
    assert peer.received() == [], (f"the other origin received {len(peer.received())} request(s), with "
                                   f"{sorted({s for g in peer.received() for s in leaks(str(g.headers))})}")
    assert r.error is not None and r.error.kind == "redirect", r.error
    assert peer.url in r.error.message, "the error names where the redirect led"


# ---------------------------------------------------------------------------------- (5) memory and time
ENDLESS = {"endless-1mb-lines": ENDLESS_LINES_CAP, "endless-small-events": ENDLESS_EVENTS_CAP}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["endless-1mb-lines", "endless-small-events", "gzip-bomb-json", "gzip-bomb-sse",
                                  "unterminated-line", "huge-body", "huge-body-chunked", "gzip-over-limit"])
def test_small_limits_stop_a_huge_answer_early_in_bounded_memory(name, hostile):
    """With mm.Limits(response_bytes=1 MiB, sse_line_bytes=64 KiB): response_too_large within seconds, a few
    MiB of memory, and the connection dropped (an endless server is not left writing into a dead socket)."""
    b = BEHAVIOURS[name]
    client = make_client(hostile, "limits")
    with MemoryWatch() as mem:
        t0 = time.monotonic()
        r = client.complete(model_of(b), "hi", **call_options(b))
        elapsed = time.monotonic() - t0
    assert r.error is not None and r.error.kind == "response_too_large", (r.error, r.content[:80])
    assert elapsed < 5, f"took {elapsed:.1f}s"
    assert mem.traced < 64 << 20 and mem.rss < 200 << 20, str(mem)
    assert not result_problems(r), result_problems(r)
    if name in ENDLESS:
        assert wait_for(lambda: hostile.hung_up[name] >= 1, 3), (
            f"the connection was not dropped: the server is still writing ({hostile.sent[name] >> 20} MiB sent)")
        assert hostile.sent[name] < ENDLESS[name]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("name", ["endless-1mb-lines", "gzip-bomb-json", "gzip-bomb-sse"])
def test_default_limits_bound_an_endless_or_exploding_answer(name, hostile):
    """No limits= at all: the defaults (64 MiB per response) stop an endless stream and a 256 MiB gzip bomb
    with memory under a few hundred MiB."""
    b = BEHAVIOURS[name]
    client = make_client(hostile)  # the default limits
    with MemoryWatch() as mem:
        t0 = time.monotonic()
        r = client.complete(model_of(b), "hi", stream=b.stream, timeout=60)
        elapsed = time.monotonic() - t0
    assert r.error is not None and r.error.kind == "response_too_large", (r.error, len(r.content))
    assert mem.traced < 400 << 20 and mem.rss < 400 << 20, str(mem)
    assert elapsed < 20, f"took {elapsed:.1f}s"
    assert not result_problems(r), result_problems(r)


@pytest.mark.timeout(90)
def test_an_unterminated_64_mib_line_is_read_in_linear_time(hostile):
    """Limits high enough to let it through: 64 MiB without a newline, in 64 KiB writes, is scanned once (a
    decoder that re-joins or re-scans its buffer per write is quadratic: minutes). An error, not a success."""
    client = make_client(hostile, limits=mm.Limits(response_bytes=256 << 20, sse_line_bytes=128 << 20))
    with MemoryWatch() as mem:
        t0 = time.monotonic()
        r = client.complete("hostile/unterminated-line", "hi", stream=True, timeout=60)
        elapsed = time.monotonic() - t0
    assert elapsed < 5, f"64 MiB took {elapsed:.1f}s"
    assert r.error is not None and r.error.kind in ("malformed_response", "stream", "truncated"), r.error
    assert mem.rss < 400 << 20, str(mem)
    assert not result_problems(r), result_problems(r)


# ---------------------------------------------------------------------------------- (6) and others: retries
@pytest.mark.timeout(60)
@pytest.mark.parametrize(("name", "kind", "timeout"), [
    ("stream-no-end", "truncated", None),
    ("stall-before-headers", "timeout", (10.0, 1.0, 0.3)),
    ("stall-mid-stream", "timeout", (10.0, 1.0, 0.3)),
])
def test_a_retryable_kind_is_retried(name, kind, timeout, hostile):
    b = BEHAVIOURS[name]
    t = 20 if timeout is None else mm.Timeout(total=timeout[0], connect=timeout[1], idle=timeout[2])
    r = make_client(hostile, retries=2).complete(model_of(b), "hi", stream=b.stream, timeout=t)
    assert r.error is not None and r.error.kind == kind, r.error
    assert hostile.hits[name] == 3 and r.attempts == 3, (hostile.hits[name], r.attempts)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("name", "kind"), [
    ("choices-str", "malformed_response"), ("stream-choices-int", "malformed_response"),
    ("html-as-sse", "malformed_response"), ("huge-body", "response_too_large"),
    ("endless-small-events", "response_too_large"), ("redirect-302-same", "redirect"),
    ("redirect-307-cross", "redirect"),
])
def test_a_fatal_kind_is_not_retried(name, kind, hostile):
    b = BEHAVIOURS[name]
    client = make_client(hostile, b.client, retries=2)
    r = client.complete(model_of(b), "hi", stream=b.stream, timeout=20)
    assert r.error is not None and r.error.kind == kind, r.error
    assert hostile.hits[name] == 1 and r.attempts == 1, (hostile.hits[name], r.attempts)
    assert not r.error.retryable


@pytest.mark.timeout(60)
def test_a_429_is_retried_and_then_answers(hostile):
    r = make_client(hostile, retries=2).complete("hostile/flaky-429", "hi", timeout=20)
    assert r.error is None and r.content == "hello", r.error
    assert hostile.hits["flaky-429"] == 2 and r.attempts == 2
    assert math.isclose(r.cost_usd, OK_COST) and PRICE["input"] == 1.0


# ---------------------------------------------------------------------------------- (8) a callback that exits
ON_DELTA_SCRIPT = textwrap.dedent("""
    import json, sys
    import multimodel as mm
    from tests.hostile_server import HostileServer, provider_entry

    exc = {"SystemExit": SystemExit, "KeyboardInterrupt": KeyboardInterrupt}[sys.argv[1]]
    out = {}

    def step(name, value):
        out[name] = value
        print("STEP", name, value, flush=True)

    def boom(kind, text):
        raise exc("raised by on_delta")

    with HostileServer() as server:
        def client():
            return mm.Client(providers={"hostile": provider_entry(server)}, cache=False, retries=0)

        first = client()
        print("STEP calling with the raising callback", flush=True)
        try:
            r = first.complete("hostile/ok-stream", "hi", stream=True, on_delta=boom, timeout=10)
            step("first", "returned " + (r.error.kind if r.error else "ok"))
        except BaseException as e:
            step("first", "raised " + type(e).__name__)
        step("same_client", first.complete("hostile/ok", "hi", timeout=10).content)
        step("same_client_stream", first.complete("hostile/ok-stream", "hi", stream=True,
                                                  on_delta=lambda k, t: None, timeout=10).content)
        step("new_client", client().complete("hostile/ok", "hi", timeout=10).content)
        step("compare", [r.content for r in client().compare("hi", models=["hostile/ok", "hostile/ok-stream"],
                                                              live=False, timeout=10).results])
    print("RESULT " + json.dumps(out), flush=True)
""")


@pytest.mark.timeout(90)
@pytest.mark.parametrize("exc", ["SystemExit", "KeyboardInterrupt"])
def test_an_on_delta_that_raises_systemexit_or_keyboardinterrupt_hangs_nothing(exc):
    """In a child process (a dead I/O loop must not take this test session with it): the call returns (or
    re-raises that exception to its caller) and every later call, on that Client or a new one, answers."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    try:
        proc = subprocess.run([sys.executable, "-c", ON_DELTA_SCRIPT, exc], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=20)
    except subprocess.TimeoutExpired as hung:
        out = hung.stdout.decode() if isinstance(hung.stdout, bytes) else (hung.stdout or "")
        steps = [line for line in out.splitlines() if line.startswith("STEP")]
        pytest.fail(f"hung after {steps[-1] if steps else 'nothing'!r} (the child was killed after 20 s)")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"exit {proc.returncode}; stdout:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-3000:]}"
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["first"].startswith("returned") or out["first"] == f"raised {exc}", out
    assert out["same_client"] == out["same_client_stream"] == out["new_client"] == "hello", out
    assert out["compare"] == ["hello", "hello"], out


# ---------------------------------------------------------------------------------- (11) timeouts
def test_timeout_and_limits_are_frozen_dataclasses_with_the_contract_defaults():
    t, lim = mm.Timeout(), mm.Limits()
    assert (t.total, t.connect, t.idle) == (600.0, 10.0, 300.0)
    assert (lim.response_bytes, lim.sse_line_bytes) == (64 * 2**20, 16 * 2**20)
    with pytest.raises(AttributeError):
        t.idle = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, True], ids=["zero", "negative", "nan", "inf", "bool"])
def test_a_timeout_that_makes_no_sense_is_a_config_error(bad, hostile):
    with pytest.raises(mm.ConfigError):
        make_client(hostile, timeout=bad)
    for part in ("total", "connect", "idle"):
        with pytest.raises(mm.ConfigError):
            make_client(hostile, timeout=mm.Timeout(**{part: bad}))
    client = make_client(hostile)
    with pytest.raises(mm.ConfigError):
        client.complete("hostile/ok", "hi", timeout=bad)


@pytest.mark.timeout(60)
def test_a_provider_entry_timeout_applies(hostile):
    """timeout= in the provider entry takes an mm.Timeout too: its idle limit ends a stall."""
    providers = {"hostile": provider_entry(hostile, timeout=mm.Timeout(total=5, connect=1, idle=0.5))}
    client = mm.Client(providers=providers, cache=False, retries=0)
    t0 = time.monotonic()
    r = client.complete("hostile/stall-before-headers", "hi")
    assert r.error is not None and r.error.kind == "timeout" and "idle" in r.error.message, r.error
    assert time.monotonic() - t0 < 2.5


@pytest.mark.timeout(60)
def test_a_connect_that_never_completes_fails_by_the_connect_limit():
    """A listening socket whose accept queue is full: the SYN is never answered, so only connect ends it."""
    listener = socket.socket()
    fillers = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        filler = socket.create_connection(("127.0.0.1", port), timeout=1)  # fills the queue of one
        fillers.append(filler)
        probe = socket.socket()
        fillers.append(probe)
        probe.settimeout(0.3)
        with pytest.raises(OSError):  # the premise: a further connect hangs
            probe.connect(("127.0.0.1", port))
        client = mm.Client(providers={"blackhole": {"base_url": f"http://127.0.0.1:{port}/v1", "api_key": CANARY,
                                                    "dialect": "openai", "prices": {"m": PRICE}}},
                           cache=False, retries=0)
        t0 = time.monotonic()
        r = client.complete("blackhole/m", "hi", timeout=mm.Timeout(total=5, connect=0.5, idle=3))
        elapsed = time.monotonic() - t0
    finally:
        for s in fillers:
            s.close()
        listener.close()
    assert r.error is not None and r.error.kind == "timeout", r.error
    assert "connect" in r.error.message, r.error.message
    assert elapsed < 2.0, f"took {elapsed:.1f}s"


RETRY_AFTER = [b.name for b in BEHAVIOURS.values() if b.name.startswith("retry-after-")]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", RETRY_AFTER)
def test_an_absurd_retry_after_stalls_neither_this_call_nor_the_next(name, hostile):
    """retries=3 and a total of 3 s: the call ends within its total whatever retry-after says, and the next call
    to the same provider is not held back beyond its own total (the gate's pause is bounded by it)."""
    client = make_client(hostile)
    t0 = time.monotonic()
    r = client.complete(f"hostile/{name}", "hi", retries=3, timeout=3)
    elapsed = time.monotonic() - t0
    # the last 429, or the total reached while waiting to retry it
    assert r.error is not None and r.error.kind in ("rate_limit", "timeout"), r.error
    assert elapsed < 4.0, f"the 429 call took {elapsed:.1f}s"
    assert not result_problems(r), result_problems(r)
    t1 = time.monotonic()
    nxt = client.complete("hostile/ok", "hi", timeout=3)
    elapsed = time.monotonic() - t1
    assert elapsed < 4.0, f"the next call waited {elapsed:.1f}s"
    assert nxt.error is None or nxt.error.kind in ("timeout", "rate_limit"), nxt.error
