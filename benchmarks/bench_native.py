"""Benchmark 8: native-API stream normalization, events/s, multimodel's readers vs the official SDKs' own.

Real recorded streams from tests/corpus_native (Anthropic Messages m01, m07, m18; OpenAI Responses r01, r02, r09,
r10) are replayed many times, fed in 4 KB pieces as ``exchange._read_stream`` and benchmark 2 (normalize) feed
them. Each piece goes through multimodel's ``SSEDecoder.feed`` and each event through ``orjson.loads`` on BOTH
sides: the SSE framing and JSON parsing are the same code, so the ratio compares the readers. Per stream and
per side, the figure is events per CPU-second (``time.process_time()``): the median of 10 timed blocks, in two
passes over the sides in turn (so a noisy moment of the shared VM lands on every side), each block after a
warm-up call, with the same event count (the JSON events in the stream) as numerator for every side.

What each side does per stream (only the reader differs; ``frontend`` is the shared decode + parse alone, so
its cost can be taken out of the others to compare the readers by themselves):

- **multimodel**: ``get_api("messages"|"responses").accumulator()``; per piece a ``perf_counter()`` stamp; per
  event ``acc.add_chunk(obj, t)`` (``event: error`` → ``acc.add_event_error``), stopping on ``acc.ended`` as
  ``exchange._handle_event`` does; then ``finish()`` (closes blocks, converts usage to the OpenAI shape),
  ``content_text()``, ``reasoning_text()``, ``tool_calls()`` (arguments parsed to dicts),
  ``wire.usage.normalize_usage(acc.usage)`` and ``api.echo_state(dialect, acc)`` (thinking blocks with
  signatures, reasoning items with encrypted_content): what ``exchange.fill`` reads. It also stamps arrival
  times (ttft, ttfat, last token) and keeps each block/item's native state. It builds plain dicts and strings.
- **sdk** (the peer of the goal: each SDK at its cheapest that still yields its final object). anthropic 2.x:
  the raw ``Stream``'s work per event after its SSE decoder (skip ``event: ping``; build the typed event with
  ``_models.construct_type(type_=RawMessageStreamEvent, value=obj)``, as ``_process_response_data`` does), then
  ``lib.streaming._messages.accumulate_event`` into the Message snapshot (pydantic models per block, a ``jiter``
  partial-JSON parse of the tool input after every fragment). openai 3.x: the raw ``Stream``'s
  ``construct_type(type_=ResponseStreamEvent, value=obj)``, then ``ResponseStreamState.accumulate_event`` into
  the response snapshot (``parse_response`` on ``response.completed``), assigned as ``handle_event`` assigns it.
  At the end, from the final Message / response (``_completed_response``, which ``get_final_response()``
  returns): the answer text, the joined thinking / reasoning summaries and texts, the tool calls (Responses
  arguments parsed with ``json.loads``, as multimodel parses them) and ``usage``.
- **sdk_helper**: the same plus what the streaming helpers add per event in their own loop: anthropic
  ``build_events`` (``MessageStream.__stream__``: the text/thinking/input-json events with snapshots), openai
  ``handle_event`` instead of ``accumulate_event`` (``ResponseStream.__stream__``: output-item re-typing and the
  helper's events). This is what ``client.messages.stream(...).get_final_message()`` and
  ``client.responses.stream(...).get_final_response()`` run; reported beside the goal's figure, not in it.

Neither SDK side stamps times or converts usage; both build pydantic models (unvalidated, as the SDKs do by
default), which multimodel does not. Before timing, each stream's outputs are compared: the same answer text and
tool-call names and arguments on both sides (a mismatch is reported and the stream's goal not met).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import time
from collections.abc import Callable
from typing import Any

from _common import ROOT, median

#: stream id → (API, the dialect whose echo_state multimodel runs). m18 is the longest real Messages stream in
#: the corpus (web search + citations), r10 the longest Responses one (xAI, 64 summary deltas, 655 events).
STREAMS = {
    "m01": ("messages", "anthropic"),  # thinking: 29 thinking_delta + signature, then text
    "m07": ("messages", "anthropic"),  # thinking then tool_use, thinking_tokens
    "m18": ("messages", "anthropic"),  # server tool use, web search results, citations
    "r01": ("responses", "openai"),  # reasoning summary, encrypted_content, function call
    "r02": ("responses", "openai"),  # empty reasoning item, function-call argument deltas
    "r09": ("responses", "openrouter"),  # reasoning_text, interleaved items, [DONE]
    "r10": ("responses", "xai"),  # 64 reasoning summary deltas, encrypted_content at the end
}
PEER = {"messages": "anthropic SDK", "responses": "openai SDK"}
#: goal: at least the SDK's own rate (ratio ≥ 1). Both sides share the decoder and JSON parser, and multimodel
#: does more per stream (timings, usage normalization, echo state) but builds no pydantic models; a reader slower
#: than the official client's would make multimodel's native APIs cost more CPU than calling the SDK directly.
GOAL = 1.0
PIECE = 4096
SIDES = ("frontend", "multimodel", "sdk", "sdk_helper")


def add_args(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("native (benchmark 8)")
    g.add_argument("--native-seconds", type=float, default=1.0,
                   help="time per side per stream, in 10 timed blocks over 2 interleaved passes (default 1.0)")
    g.add_argument("--native-streams", default=",".join(STREAMS),
                   help="comma-separated subset of: " + ", ".join(STREAMS))


def load_body(stream_id: str) -> bytes:
    """The recorded response body of a tests/corpus_native stream, by its id (``m01``, ``r09``...)."""
    paths = glob.glob(os.path.join(ROOT, "tests", "corpus_native", f"{stream_id}_*.json"))
    if len(paths) != 1:
        raise FileNotFoundError(f"tests/corpus_native/{stream_id}_*.json: {len(paths)} files")
    with open(paths[0], encoding="utf-8") as f:
        return json.load(f)["response"]["body"].encode("utf-8")


def split(body: bytes) -> list[bytes]:
    return [body[i:i + PIECE] for i in range(0, len(body), PIECE)]


def _events(pieces: list[bytes]) -> Any:
    """(SSE event name, parsed JSON) per event, through multimodel's decoder and orjson; stops at [DONE]."""
    import orjson

    from multimodel.wire.sse import DONE, SSEDecoder

    loads = orjson.loads
    dec = SSEDecoder()
    for data in pieces:
        for event, payload in dec.feed(data):
            if payload == DONE:
                return
            yield event, loads(payload)
    for event, payload in dec.close():
        if payload != DONE:
            yield event, loads(payload)


# ---------------------------------------------------------------------------------------------- the sides
def frontend_once(pieces: list[bytes]) -> dict[str, Any]:
    """The shared part alone: SSE decoding and JSON parsing, nothing read. Its cost is in both other sides."""
    n = 0
    for _event, _obj in _events(pieces):
        n += 1
    return {"events": n}


def multimodel_once(pieces: list[bytes], api_name: str, dialect_name: str) -> dict[str, Any]:
    """One stream as ``exchange._read_stream`` + ``_handle_event`` + ``fill`` read it (see the module docstring)."""
    import orjson

    from multimodel.apis import get_api
    from multimodel.providers import get_dialect
    from multimodel.wire.sse import DONE, SSEDecoder
    from multimodel.wire.usage import normalize_usage

    perf = time.perf_counter
    loads = orjson.loads
    api = get_api(api_name)
    acc = api.accumulator()
    dec = SSEDecoder()
    done = False
    for data in pieces:
        t = perf()
        for event, payload in dec.feed(data):
            if payload == DONE:
                done = True
                break
            obj = loads(payload)
            if event == b"error":
                acc.add_event_error(obj)
                done = True
                break
            acc.add_chunk(obj, t)
            if acc.error is not None or acc.ended:
                done = True
                break
        if done:
            break
    if not done:
        for _event, payload in dec.close():
            if payload != DONE:
                acc.add_chunk(loads(payload), perf())
    acc.finish()
    calls = acc.tool_calls()
    return {"text": acc.content_text(), "reasoning": acc.reasoning_text() or "",
            "tools": [(c.name, c.arguments) for c in calls], "usage": normalize_usage(acc.usage),
            "state": api.echo_state(get_dialect(dialect_name), acc)}


def anthropic_once(pieces: list[bytes], helper: bool = False) -> dict[str, Any]:
    """One stream through the anthropic SDK: the raw stream's event models, ``accumulate_event`` into the Message
    snapshot, and with ``helper`` also ``build_events`` (the rest of ``MessageStream.__stream__``)."""
    from anthropic._models import construct_type
    from anthropic.lib.streaming._messages import accumulate_event, build_events
    from anthropic.types import RawMessageStreamEvent

    snapshot: Any = None
    json_bufs: dict[int, bytes] = {}
    for event, obj in _events(pieces):
        if event == b"ping":  # anthropic._streaming.Stream skips these before building a model
            continue
        ev: Any = construct_type(type_=RawMessageStreamEvent, value=obj)
        if snapshot is None and ev.type != "message_start":
            continue
        snapshot = accumulate_event(event=ev, current_snapshot=snapshot, json_bufs=json_bufs)
        if helper:
            build_events(event=ev, message_snapshot=snapshot)
    blocks = snapshot.content
    return {"text": "".join(b.text for b in blocks if b.type == "text"),
            "reasoning": "".join(b.thinking for b in blocks if b.type == "thinking"),
            "tools": [(b.name, b.input) for b in blocks if b.type == "tool_use"], "usage": snapshot.usage}


def openai_once(pieces: list[bytes], helper: bool = False) -> dict[str, Any]:
    """One stream through the openai SDK: the raw stream's event models, then ``ResponseStreamState``'s
    ``accumulate_event`` into the snapshot, or with ``helper`` its ``handle_event`` (what ``ResponseStream``
    calls: the same accumulation plus the output-item re-typing and the helper's own events)."""
    from openai._models import construct_type
    from openai._types import omit
    from openai.lib.streaming.responses._responses import ResponseStreamState
    from openai.types.responses import ResponseStreamEvent

    state: Any = ResponseStreamState(input_tools=omit, text_format=omit)
    for _event, obj in _events(pieces):
        ev = construct_type(type_=ResponseStreamEvent, value=obj)
        if helper:
            state.handle_event(ev)
        else:  # handle_event's own assignment, without its event building
            state._ResponseStreamState__current_snapshot = state.accumulate_event(ev)
    response = state._completed_response  # what ResponseStream.get_final_response() returns
    reasoning = []
    tools = []
    for item in response.output:
        if item.type == "reasoning":
            reasoning += [s.text for s in item.summary or []] + [c.text for c in item.content or []]
        elif item.type == "function_call":
            tools.append((item.name, json.loads(item.arguments) if item.arguments.strip() else {}))
    return {"text": response.output_text, "reasoning": "\n\n".join(reasoning), "tools": tools,
            "usage": response.usage}


def sides(api_name: str, dialect_name: str) -> dict[str, Callable[[list[bytes]], dict[str, Any]]]:
    peer = anthropic_once if api_name == "messages" else openai_once
    return {"frontend": frontend_once,
            "multimodel": lambda pieces: multimodel_once(pieces, api_name, dialect_name),
            "sdk": peer, "sdk_helper": lambda pieces: peer(pieces, helper=True)}


# ---------------------------------------------------------------------------------------------- measuring
def agreement(mm: dict[str, Any], sdk: dict[str, Any]) -> dict[str, Any]:
    """Do both readers give the same answer text and tool calls? (Reasoning is compared by length: the SDKs
    keep summary parts apart, multimodel joins them with a blank line.)"""
    mm_tools = [(n, a) for n, a in mm["tools"]]
    sdk_tools = [(n, a) for n, a in sdk["tools"]]
    return {"same_text": mm["text"] == sdk["text"], "same_tools": mm_tools == sdk_tools,
            "text_chars": len(mm["text"]), "reasoning_chars": {"multimodel": len(mm["reasoning"]),
                                                               "sdk": len(sdk["reasoning"])},
            "tool_calls": len(mm_tools), "echo_state": sorted((mm["state"] or {}).keys())}


def rate(fn: Callable[[list[bytes]], Any], pieces: list[bytes], events: int, seconds: float) -> list[float]:
    """Events per CPU-second over 5 blocks of about ``seconds / 5`` each (after one warm-up call)."""
    fn(pieces)
    rates = []
    for _ in range(5):
        reps = 0
        c0 = time.process_time()
        t0 = time.perf_counter()
        while True:
            fn(pieces)
            reps += 1
            if time.perf_counter() - t0 >= seconds / 5:
                break
        cpu = time.process_time() - c0 or time.perf_counter() - t0
        rates.append(events * reps / cpu)
    return rates


def measure(stream_id: str, seconds: float) -> dict[str, Any]:
    api_name, dialect_name = STREAMS[stream_id]
    body = load_body(stream_id)
    pieces = split(body)
    fns = sides(api_name, dialect_name)
    events = fns["frontend"](pieces)["events"]
    mm = fns["multimodel"](pieces)
    check = agreement(mm, fns["sdk"](pieces))
    check["helper_agrees"] = agreement(mm, fns["sdk_helper"](pieces))["same_text"]
    rates: dict[str, list[float]] = {s: [] for s in SIDES}
    for _ in range(2):  # interleaved, so a noisy moment of the shared VM lands on every side
        for side in SIDES:
            rates[side] += rate(fns[side], pieces, events, seconds / 2)
    med = {s: median(r) for s, r in rates.items()}
    # the readers alone: a side's CPU per event minus the shared decode + parse (the frontend side)
    reader_us = {s: 1e6 * (1 / med[s] - 1 / med["frontend"]) for s in SIDES[1:]}
    return {"api": api_name, "dialect": dialect_name, "peer": PEER[api_name], "bytes": len(body), "events": events,
            "events_per_s": med, "ratio": med["multimodel"] / med["sdk"],
            "ratio_vs_helper": med["multimodel"] / med["sdk_helper"],
            "us_per_event": {s: 1e6 / med[s] for s in SIDES}, "reader_us_per_event": reader_us,
            "reader_ratio": reader_us["sdk"] / reader_us["multimodel"] if reader_us["multimodel"] > 0 else None,
            "rates": {s: [round(r) for r in v] for s, v in rates.items()}, "check": check}


def run(a: argparse.Namespace) -> dict[str, Any]:
    seconds = 0.1 if a.quick else a.native_seconds
    names = [n.strip() for n in a.native_streams.split(",") if n.strip()]
    unknown = set(names) - set(STREAMS)
    if unknown:
        raise ValueError(f"unknown native stream(s) {sorted(unknown)}; choose from {', '.join(STREAMS)}")
    out: dict[str, Any] = {"streams": {}, "piece_bytes": PIECE, "seconds_per_side": seconds,
                           "versions": _versions()}
    figures = []
    for name in names:
        m = measure(name, seconds)
        out["streams"][name] = m
        ok = m["check"]["same_text"] and m["check"]["same_tools"]
        eps = m["events_per_s"]
        figures.append({"benchmark": "8 native",
                        "figure": f"{name} {m['api']} ({m['events']} events, {m['bytes'] // 1000} KB): multimodel "
                                  f"{eps['multimodel']:,.0f} ÷ {m['peer']} {eps['sdk']:,.0f} events/s"
                                  + ("" if ok else " [OUTPUTS DIFFER]"),
                        "value": m["ratio"], "unit": "x", "goal": f">= {GOAL:g}x the SDK's rate",
                        "met": ok and m["ratio"] >= GOAL})
        ru = m["reader_us_per_event"]
        print(f"  native {name}: multimodel {eps['multimodel']:,.0f} events/s, {m['peer']} {eps['sdk']:,.0f} "
              f"(helper loop {eps['sdk_helper']:,.0f}): {m['ratio']:.1f}x ({m['ratio_vs_helper']:.1f}x); "
              f"decode+parse alone {eps['frontend']:,.0f}; readers alone {ru['multimodel']:.1f} vs "
              f"{ru['sdk']:.1f} ({ru['sdk_helper']:.1f}) us/event"
              + ("" if ok else f"  OUTPUTS DIFFER: {m['check']}"), flush=True)
    out["figures"] = figures
    return out


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for pkg in ("anthropic", "openai", "pydantic", "jiter", "orjson"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out
