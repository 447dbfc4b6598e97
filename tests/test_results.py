"""Results and their one column specification (multimodel/results.py): ``Result.to_dict()`` and
``results_to_frame`` agree column by column, the frame's dtypes, the derived metrics and their None cases,
and the JSON round trip the cache relies on."""

from __future__ import annotations

import math
import os
from dataclasses import fields

import orjson
import pandas as pd
import pytest

from multimodel.results import (
    COLUMN_NAMES,
    COLUMNS,
    LEAD_COLUMNS,
    RETRYABLE_KINDS,
    Result,
    ResultError,
    ToolCall,
    inter_token_latency,
    output_tokens_per_second,
    results_to_frame,
)


def varied() -> list[Result]:
    """One Result per shape a row can take."""
    return [
        # a plain answer with every count
        Result(model="openai/gpt-5.4", provider="openai", response_model="gpt-5.4-2026-03-01", content="Blue.",
               finish_reason="stop", native_finish_reason="stop", prompt_tokens=12, completion_tokens=40,
               reasoning_tokens=0, cached_tokens=0, cost_usd=0.000615, cost_source="price_table", ttft_s=0.2,
               ttfat_s=0.2, e2e_s=1.0, stream=True, request_id="req-1", created_at=1_700_000_000.0),
        # an HTTP error: no tokens, no cost
        Result(model="anthropic/claude-sonnet-4-6", provider="anthropic", finish_reason="error", e2e_s=0.05,
               error=ResultError("overloaded", "Overloaded", status=529, retry_after_s=2.0,
                                 provider_code="overloaded_error"), attempts=3),
        # a network error without a status
        Result(model="xai/grok-4.3", provider="xai", finish_reason="error",
               error=ResultError("timeout", "no complete answer within 5s")),
        # tool calls (one with arguments that did not parse) and reasoning
        Result(model="gemini/gemini-3-flash", provider="gemini", reasoning="Need the weather.",
               tool_calls=[ToolCall("c1", "get_weather", {"city": "Oslo"}, '{"city":"Oslo"}',
                                    extra={"extra_content": {"google": {"thought_signature": "S"}}}),
                           ToolCall("c2", "get_time", None, "{oops")],
               finish_reason="tool_calls", native_finish_reason="tool_calls", prompt_tokens=50, completion_tokens=1,
               reasoning_tokens=None, cached_tokens=None, ttft_s=0.3, ttfat_s=0.9, e2e_s=0.9, stream=True),
        # a cache replay, answered by a fallback, with dropped and unverified inputs and logprobs
        Result(model="anthropic/claude-haiku-4-5", provider="deepseek", content="ok", finish_reason="stop",
               prompt_tokens=5, completion_tokens=2, cached_tokens=5, cost_usd=0.0, cost_source="provider",
               ttft_s=0.5, e2e_s=0.5, cached=True, simulated=True, answered_by="deepseek/deepseek-flash",
               dropped_inputs=["audio_input", "seed"], unverified_inputs=["image_data_url"],
               route_reason="#1 of 1 eligible", logprobs=[{"token": "ok", "logprob": -0.5, "top_logprobs": []}]),
        # nothing known at all
        Result(model="local/llama3", provider="local"),
    ]


def missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


# ---------------------------------------------------------------------------------- one column spec
def test_to_dict_has_the_column_names_in_order():
    for r in varied():
        assert list(r.to_dict()) == list(COLUMN_NAMES)
    assert tuple(c.name for c in COLUMNS) == COLUMN_NAMES
    assert len(set(COLUMN_NAMES)) == len(COLUMN_NAMES)
    # every stored field of a Result is a column, except the bulky or structured ones kept off the frame
    stored = {f.name for f in fields(Result)}
    assert stored - set(COLUMN_NAMES) == {"raw", "provider_state"}
    assert set(COLUMN_NAMES) - stored == {"itl_s", "output_tps", "error_kind", "error_status", "error_message",
                                          "error_retry_after_s", "error_provider_code"}


def test_to_dict_and_the_frame_agree_value_by_value():
    results = varied()
    df = results_to_frame(results)
    assert list(df.columns) == list(COLUMN_NAMES)
    assert len(df) == len(results)
    for i, r in enumerate(results):
        d = r.to_dict()
        for name in COLUMN_NAMES:
            want, got = d[name], df[name].iloc[i]
            if missing(want):
                assert missing(got), (i, name, got)
            else:
                assert not missing(got), (i, name)
                assert got == want, (i, name, got, want)


def test_to_dict_values():
    ok, http_error, net_error, tools, replay, empty = varied()
    d = ok.to_dict()
    assert (d["model"], d["provider"], d["content"], d["finish_reason"]) == ("openai/gpt-5.4", "openai", "Blue.",
                                                                             "stop")
    assert d["answered_by"] == "openai/gpt-5.4"  # no fallback: the model as requested answered
    assert d["itl_s"] == pytest.approx(0.8 / 39) and d["output_tps"] == pytest.approx(40 / 0.8)
    assert d["error"] is None and d["error_kind"] is None and d["error_status"] is None
    d = http_error.to_dict()
    assert d["error"] == "overloaded 529: Overloaded"
    assert (d["error_kind"], d["error_status"], d["error_message"], d["error_retry_after_s"],
            d["error_provider_code"]) == ("overloaded", 529, "Overloaded", 2.0, "overloaded_error")
    assert d["attempts"] == 3
    assert net_error.to_dict()["error"] == "timeout: no complete answer within 5s"
    assert net_error.to_dict()["error_status"] is None
    d = tools.to_dict()
    assert d["tool_calls"] == [
        {"id": "c1", "name": "get_weather", "arguments": {"city": "Oslo"}, "arguments_raw": '{"city":"Oslo"}',
         "extra": {"extra_content": {"google": {"thought_signature": "S"}}}},
        {"id": "c2", "name": "get_time", "arguments": None, "arguments_raw": "{oops"}]
    assert d["reasoning"] == "Need the weather."
    d = replay.to_dict()
    assert (d["cached"], d["simulated"]) == (True, True)
    assert (d["model"], d["answered_by"]) == ("anthropic/claude-haiku-4-5", "deepseek/deepseek-flash")
    assert "fallback_from" not in d and "requested_model" not in d
    assert d["dropped_inputs"] == ["audio_input", "seed"] and d["unverified_inputs"] == ["image_data_url"]
    assert d["logprobs"] == [{"token": "ok", "logprob": -0.5, "top_logprobs": []}]
    assert d["cost_usd"] == 0.0  # a reported zero stays zero
    d = empty.to_dict()
    assert math.isnan(d["cost_usd"]) and d["tool_calls"] == [] and d["content"] == ""


def test_list_columns_are_copies():
    r = varied()[4]
    d = r.to_dict()
    d["dropped_inputs"].append("x")
    d["tool_calls"].append("y")
    assert r.dropped_inputs == ["audio_input", "seed"]
    assert r.to_dict()["dropped_inputs"] == ["audio_input", "seed"]


def test_frame_dtypes():
    df = results_to_frame(varied())
    for name in ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens", "error_status"):
        assert df[name].dtype == "Int64", name
    for name in ("cost_usd", "ttft_s", "ttfat_s", "e2e_s", "itl_s", "output_tps", "error_retry_after_s"):
        assert df[name].dtype == "float64", name
    assert df["prompt_tokens"].tolist()[:2] == [12, pd.NA]
    assert df["error_status"].tolist()[:3] == [pd.NA, 529, pd.NA]
    assert df["cost_usd"].isna().tolist() == [False, True, True, True, False, True]
    assert df["attempts"].tolist() == [1, 3, 1, 1, 1, 1]
    assert df["cached"].tolist() == [False, False, False, False, True, False]
    # a time stamp is a timezone-aware datetime, not a float epoch
    assert str(df["created_at"].dtype) == "datetime64[us, UTC]"
    assert df["created_at"].iloc[0] == pd.Timestamp("2023-11-14 22:13:20", tz="UTC")
    assert df["created_at"].iloc[1:].isna().all()


def test_an_empty_frame_still_has_every_column():
    df = results_to_frame([])
    assert list(df.columns) == list(COLUMN_NAMES) and len(df) == 0
    assert df["prompt_tokens"].dtype == "Int64" and df["cost_usd"].dtype == "float64"


def test_to_frame_is_one_row_of_results_to_frame():
    r = varied()[0]
    pd.testing.assert_frame_equal(r.to_frame(), results_to_frame([r]))


# ---------------------------------------------------------------------------------- derived metrics
def test_itl_and_output_tps_values():
    assert inter_token_latency(0.2, 1.0, 41) == pytest.approx(0.8 / 40)
    assert output_tokens_per_second(0.2, 1.0, 40) == pytest.approx(50.0)
    assert inter_token_latency(0.5, 0.5, 2) == 0.0
    assert output_tokens_per_second(0.2, 1.2, 1) == pytest.approx(1.0)  # one token still has a rate


@pytest.mark.parametrize(("ttft", "e2e", "tokens"), [
    (None, 1.0, 10), (0.2, None, 10), (0.2, 1.0, None), (0.2, 1.0, 1), (0.2, 1.0, 0),
])
def test_itl_is_none_when_unmeasurable(ttft, e2e, tokens):
    assert inter_token_latency(ttft, e2e, tokens) is None


@pytest.mark.parametrize(("ttft", "e2e", "tokens"), [
    (None, 1.0, 10), (0.2, None, 10), (0.2, 1.0, None), (0.2, 1.0, 0), (0.5, 0.5, 10), (0.6, 0.5, 10),
])
def test_output_tps_is_none_when_unmeasurable(ttft, e2e, tokens):
    assert output_tokens_per_second(ttft, e2e, tokens) is None


def test_properties_use_the_same_functions():
    for r in varied():
        ttft = r.ttft_s if r.stream else None
        assert r.itl_s == inter_token_latency(ttft, r.e2e_s, r.completion_tokens)
        assert r.output_tps == output_tokens_per_second(ttft, r.e2e_s, r.completion_tokens)
    tools = varied()[3]
    assert tools.itl_s is None and tools.output_tps == pytest.approx(1 / 0.6)  # one completion token
    assert varied()[4].output_tps is None  # ttft == e2e: a non-streamed answer has no rate


# ---------------------------------------------------------------------------------- JSON round trip
def test_to_json_from_json_round_trip():
    for r in varied():
        back = Result.from_json(r.to_json())
        for f in fields(Result):
            a, b = getattr(back, f.name), getattr(r, f.name)
            if isinstance(b, float) and math.isnan(b):
                assert math.isnan(a), f.name
            else:
                assert a == b, f.name
        assert Result.from_json(r.to_json().decode()).to_dict().keys() == r.to_dict().keys()


def test_to_json_stores_fields_not_derived_metrics():
    d = orjson.loads(varied()[0].to_json())
    assert set(d) == {f.name for f in fields(Result)}
    assert "itl_s" not in d and "output_tps" not in d
    assert orjson.loads(varied()[5].to_json())["cost_usd"] is None
    assert orjson.loads(varied()[1].to_json())["error"] == {
        "kind": "overloaded", "status": 529, "message": "Overloaded", "retry_after_s": 2.0,
        "provider_code": "overloaded_error"}


# ---------------------------------------------------------------------------------- small pieces
def test_result_error_str_and_retryable():
    assert str(ResultError("rate_limit", "slow down", 429)) == "rate_limit 429: slow down"
    assert str(ResultError("connection", "reset")) == "connection: reset"
    assert ResultError("server", "x").retryable and ResultError("stream", "x").retryable
    assert not ResultError("auth", "x").retryable and not ResultError("unsupported", "x").retryable
    assert {"rate_limit", "overloaded", "server", "timeout", "connection", "stream", "truncated"} == RETRYABLE_KINDS


def test_ok_and_repr():
    ok, http_error, *_ = varied()
    assert ok.ok and not http_error.ok
    assert repr(http_error) == "<Result anthropic/claude-sonnet-4-6 error=overloaded 529: Overloaded>"
    assert repr(ok) == ("<Result openai/gpt-5.4 finish=stop tokens=12/40 cost=$0.000615 ttft=200ms e2e=1000ms "
                        "content='Blue.'>")
    # not streamed: the first token's time was not seen, so it is not shown as if it had been
    assert "ttft=n/a e2e=500ms" in repr(varied()[4])
    assert "simulated" in repr(varied()[4])
    assert repr(varied()[4]).startswith(
        "<Result anthropic/claude-haiku-4-5 answered_by=deepseek/deepseek-flash simulated")


# ---------------------------------------------------------------------------------- honest tables
def test_ttft_is_empty_when_not_streamed():
    """Without a stream the whole answer arrives at once: the first token's time is not observed, so ttft_s and
    ttfat_s (and the rates built on them) are empty, never a copy of e2e_s."""
    whole = Result(model="openai/gpt-5.4", provider="openai", content="Blue.", completion_tokens=40, ttft_s=1.0,
                   ttfat_s=1.0, e2e_s=1.0, stream=False)
    streamed = Result(model="openai/gpt-5.4", provider="openai", content="Blue.", completion_tokens=41, ttft_s=0.2,
                      ttfat_s=0.3, e2e_s=1.0, stream=True)
    d = whole.to_dict()
    assert d["ttft_s"] is None and d["ttfat_s"] is None and d["e2e_s"] == 1.0
    assert whole.itl_s is None and whole.output_tps is None
    df = results_to_frame([whole, streamed])
    assert df["ttft_s"].isna().tolist() == [True, False] and df["ttfat_s"].isna().tolist() == [True, False]
    assert df["itl_s"].isna().tolist() == [True, False] and df["output_tps"].isna().tolist() == [True, False]
    assert df["stream"].tolist() == [False, True]  # the flag that says why
    assert (df["ttft_s"].iloc[1], df["ttfat_s"].iloc[1], df["itl_s"].iloc[1]) == (0.2, 0.3, pytest.approx(0.8 / 40))


def test_the_columns_lead_with_what_a_researcher_scans_first():
    assert COLUMN_NAMES[:len(LEAD_COLUMNS)] == LEAD_COLUMNS
    assert LEAD_COLUMNS[:3] == ("model", "answered_by", "content")
    assert {"ttft_s", "e2e_s", "prompt_tokens", "completion_tokens", "cost_usd", "error"} <= set(LEAD_COLUMNS)


@pytest.mark.parametrize("bad", [1e300, -5.0, math.nan, math.inf, "yesterday", True])
def test_a_damaged_created_at_is_missing_not_a_crash(bad):
    r = Result(model="openai/gpt-5.4", provider="openai", created_at=bad)
    assert r.to_dict()["created_at"] is None
    assert results_to_frame([r])["created_at"].isna().all()


def test_to_dict_created_at_is_the_frame_value():
    r = Result(model="openai/gpt-5.4", provider="openai", created_at=1_764_000_000.123456)
    got = r.to_dict()["created_at"]
    assert got.tzinfo is not None and got == results_to_frame([r])["created_at"].iloc[0]
    assert got.isoformat() == "2025-11-24T16:00:00.123456+00:00"


def many_rows(n: int = 5) -> list[Result]:
    return [Result(model=f"anthropic/claude-sonnet-4-{i}", provider="anthropic", content="An answer " * 20,
                   finish_reason="stop", prompt_tokens=12, completion_tokens=300 + i, reasoning_tokens=0,
                   cost_usd=0.0123, ttft_s=0.5, ttfat_s=0.6, e2e_s=3.25, stream=True, created_at=1.7e9)
            for i in range(n)]


@pytest.mark.parametrize("width", [80, 120])
def test_a_terminal_print_shows_the_lead_columns_wrapped(monkeypatch, width):
    """pandas fits a wide frame to the terminal by dropping its middle columns (the times, tokens and cost were
    behind "..."); a ResultFrame wraps its first 20 columns at the width and names the rest."""
    import shutil

    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a, **k: os.terminal_size((width, 40)))
    df = results_to_frame(many_rows())
    with pd.option_context("display.max_columns", 0, "display.width", width):
        text = repr(df)
    headers = " ".join(line for line in text.splitlines() if not line[:1].isdigit())
    for name in LEAD_COLUMNS:
        assert name in headers, name
    assert max(len(line) for line in text.splitlines()) <= width
    assert f"[5 rows x {len(COLUMN_NAMES)} columns; {len(COLUMN_NAMES) - 20} not shown: " in " ".join(
        text.split())
    assert str(df) == text and type(df).__name__ == "ResultFrame"


def test_a_jupyter_print_and_html_show_the_first_20_columns():
    df = results_to_frame(many_rows())
    with pd.option_context("display.max_columns", 20, "display.width", 80):
        text = repr(df)
        page = df._repr_html_()
    shown = COLUMN_NAMES[:20]
    for name in shown:
        assert name in text and f"<th>{name}</th>" in page, name
    for name in COLUMN_NAMES[20:]:
        assert f"<th>{name}</th>" not in page
    assert "not shown: " + ", ".join(COLUMN_NAMES[20:26]) in " ".join(text.split())
    assert "<th>...</th>" not in page and f"{len(COLUMN_NAMES) - 20} not shown" in page


def test_a_frame_that_fits_prints_as_pandas_does():
    df = results_to_frame(many_rows(2))
    narrow = df[["model", "cost_usd", "e2e_s"]]
    assert type(narrow) is type(df)  # selections keep the class...
    with pd.option_context("display.max_columns", 20, "display.width", 80):
        assert repr(narrow) == repr(pd.DataFrame(narrow))  # ...and print exactly as pandas when they fit
        assert narrow._repr_html_() == pd.DataFrame(narrow)._repr_html_()
    with pd.option_context("display.max_columns", None):
        assert repr(df) == repr(pd.DataFrame(df))


def test_a_result_frame_pickles_and_exports_as_a_frame(tmp_path):
    import pickle

    df = results_to_frame(many_rows(2))
    back = pickle.loads(pickle.dumps(df))
    pd.testing.assert_frame_equal(back, df)
    assert isinstance(df, pd.DataFrame)
    df.drop(columns=["tool_calls", "dropped_inputs", "unverified_inputs", "repaired", "logprobs"]).to_parquet(
        tmp_path / "x.parquet")
    assert str(pd.read_parquet(tmp_path / "x.parquet")["created_at"].dtype) == "datetime64[us, UTC]"


@pytest.mark.parametrize("bad", [10**400, 2**63, "0.5", [1.0]])
def test_a_damaged_time_reads_as_missing_in_the_frame(bad):
    r = Result(model="openai/gpt-5.4", provider="openai", ttft_s=bad, ttfat_s=0.5, e2e_s=1.0, stream=True,
               created_at=bad)
    df = results_to_frame([r, varied()[0]])
    assert df["created_at"].isna().tolist() == [True, False]
    assert df["ttfat_s"].tolist() == [0.5, 0.2]
    if not isinstance(bad, int):
        assert df["ttft_s"].isna().tolist() == [True, False]


# ---------------------------------------------------------------------------------- attribution (DESIGN.md section 1)
def test_every_row_names_the_model_that_answered_right_after_the_model():
    assert COLUMN_NAMES[:2] == ("model", "answered_by")
    results = varied()
    df = results_to_frame(results)
    assert df["answered_by"].notna().all()  # never a hole: answered_by is model unless a fallback answered
    assert df["answered_by"].tolist() == [r.model for r in results[:4]] + ["deepseek/deepseek-flash", "local/llama3"]
    assert (df["model"] != df["answered_by"]).tolist() == [False, False, False, False, True, False]
    cleared = Result(model="openai/gpt-5.4", provider="openai")
    cleared.answered_by = None  # set by hand after construction: the row still reads its model
    assert cleared.to_dict()["answered_by"] == "openai/gpt-5.4"


def test_as_fallback_of_keeps_the_model_as_requested_and_who_answered():
    r = Result(model="deepseek/deepseek-flash", provider="deepseek", content="ok")
    assert r.answered_by == "deepseek/deepseek-flash"
    assert r.as_fallback_of("anthropic/claude-haiku-4-5") is r
    assert (r.model, r.answered_by, r.provider) == ("anthropic/claude-haiku-4-5", "deepseek/deepseek-flash", "deepseek")


def test_fallback_from_still_reads_with_a_future_warning():
    replay, plain = varied()[4], varied()[0]
    with pytest.warns(FutureWarning, match="'model' is now always the model as requested") as caught:
        assert replay.fallback_from == "anthropic/claude-haiku-4-5"
        assert plain.fallback_from is None
    assert len(caught) == 2 and all(w.filename == __file__ for w in caught)  # pointed at the caller's line
    assert "answered_by" in str(caught[0].message)
    with pytest.raises(AttributeError):
        replay.fallback_from = "x"  # read-only: set model and answered_by (as_fallback_of)


def old_release_json(result: Result, fallback_from: str | None) -> bytes:
    """``result`` as the release before answered_by stored it: the same fields in the same order, with
    ``fallback_from`` where ``answered_by`` is now, and ``model`` naming the model that answered."""
    d = orjson.loads(result.to_json())
    old = {}
    for name, value in d.items():
        if name == "answered_by":
            old["fallback_from"] = fallback_from
        else:
            old[name] = value
    return orjson.dumps(old)


def test_a_result_stored_by_the_release_before_answered_by_loads():
    answered = Result(model="deepseek/deepseek-flash", provider="deepseek", response_model="deepseek-flash",
                      content="ok", finish_reason="stop", cost_usd=0.001, simulated=True)
    blob = old_release_json(answered, "anthropic/claude-haiku-4-5")
    stored = orjson.loads(blob)
    assert "answered_by" not in stored and stored["model"] == "deepseek/deepseek-flash"
    back = Result.from_json(blob)
    assert (back.model, back.answered_by) == ("anthropic/claude-haiku-4-5", "deepseek/deepseek-flash")
    assert (back.provider, back.response_model, back.content, back.cost_usd) == ("deepseek", "deepseek-flash", "ok",
                                                                                  0.001)
    assert back.to_dict()["answered_by"] == "deepseek/deepseek-flash"
    # a row without a fallback (every row the old cache holds): answered by its own model
    plain = Result.from_json(old_release_json(Result(model="openai/gpt-5.4", provider="openai", content="hi"), None))
    assert (plain.model, plain.answered_by) == ("openai/gpt-5.4", "openai/gpt-5.4")
    # a row from before either field, and from_dict on the parsed JSON, which it leaves as it was
    bare = {"model": "xai/grok-4.3", "provider": "xai", "content": "x"}
    assert Result.from_dict(bare).answered_by == "xai/grok-4.3" and "answered_by" not in bare
    assert Result.from_dict(stored).model == "anthropic/claude-haiku-4-5" and "fallback_from" in stored
    with pytest.raises(ValueError, match="fallback_from"):
        Result.from_json(b'{"model": "a/b", "provider": "a", "fallback_from": 3}')


def test_the_frame_still_reads_fallback_from_and_requested_model_with_a_future_warning():
    df = results_to_frame(varied())
    assert "fallback_from" not in df.columns and "requested_model" not in df.columns
    with pytest.warns(FutureWarning, match="'fallback_from' is deprecated") as caught:
        assert df["fallback_from"].tolist() == [None] * 4 + ["anthropic/claude-haiku-4-5", None]
    assert caught[0].filename == __file__
    with pytest.warns(FutureWarning, match="'requested_model' is deprecated"):
        assert df["requested_model"].tolist() == df["model"].tolist()
    with pytest.warns(FutureWarning):
        assert df.fallback_from.tolist() == df["fallback_from"].tolist()
    with pytest.warns(FutureWarning):
        both = df[["model", "fallback_from", "answered_by"]]
    assert list(both.columns) == ["model", "fallback_from", "answered_by"]
    assert both["fallback_from"].iloc[4] == "anthropic/claude-haiku-4-5" and both["fallback_from"].iloc[0] is None
    assert "fallback_from" not in df.columns  # reading it added nothing to the frame
    with pytest.raises(KeyError):
        df[["content"]]["fallback_from"]  # a selection without model and answered_by has nothing to derive it from
    with pytest.raises(AttributeError):
        _ = df[["content"]].fallback_from


def test_how_a_row_was_answered_survives_the_cache_and_the_frame():
    """mode, batch_id, custom_id and batch_wait_s: stored and read back, and typed columns in a frame."""
    from multimodel.results import Result, results_to_frame

    live = Result(model="openai/gpt-5.4", provider="openai")
    batch = Result(model="openai/gpt-5.4", provider="openai", mode="batch", batch_id="batch_1", custom_id="q-0",
                   batch_wait_s=12.5)
    back = Result.from_json(batch.to_json())
    assert (back.mode, back.batch_id, back.custom_id, back.batch_wait_s) == ("batch", "batch_1", "q-0", 12.5)
    assert Result.from_json(live.to_json()).mode == "live"
    df = results_to_frame([live, batch])
    assert list(df["mode"]) == ["live", "batch"] and df["batch_wait_s"].dtype == "float64"
    assert df["batch_wait_s"].isna().tolist() == [True, False]
