"""The results browser (multimodel/notebook/browse.py): the data it prepares from ev.df / cmp.df, pairing two runs,
and the view itself in headless Chromium with every outside request blocked.

The runs are real: ``mm.Client.simulated(...).evaluate(...)`` with a scorer, one prompt asking the model to quote
a ``<script>`` (the simulator quotes the question back, so the answer holds it), a provider failing some requests,
and a second run whose answers are cut short (max_tokens) so known scores drop between the runs.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import multimodel as mm
from multimodel.errors import ConfigError
from multimodel.notebook.browse import browse, compare_runs
from multimodel.notebook.browse_data import (
    clip,
    epoch_seconds,
    frame_roles,
    results_payload,
    to_script_json,
    tool_call_pairs,
)
from multimodel.notebook.run_diff import classify
from multimodel.results import results_to_frame
from tests.chromium import needs_chromium, open_offline
from tests.test_plots import EVIL, sample_comparison, sample_results

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
MODELS = ["openai/gpt-5.4-mini", "anthropic/claude-haiku-4-5", "deepseek/deepseek-flash", "xai/grok-3-mini"]
FAILING = "xai/grok-3-mini"


def _prompts() -> pd.DataFrame:
    shipped = pd.read_csv(ROOT / "data" / "eval_prompts.csv", dtype=str).head(8)
    evil = pd.DataFrame([{"prompt": f"Quote this back exactly: {EVIL}", "expected": "pwned", "task": "safety"}])
    return pd.concat([shipped, evil], ignore_index=True)


@pytest.fixture(scope="module")
def runs():
    """Two real simulated evaluations of the same prompts: the first with some xAI requests failing (server errors,
    no retries) and whole answers, the second with no faults and answers cut at 12 tokens."""
    client = mm.Client.simulated(latency_scale=0.002, cache=False)
    try:
        client.sim.set_faults({"sequence": ["server_error", "ok", "server_error", "ok"]}, provider="xai")
        prompts = _prompts()
        kwargs = {"scorers": [mm.scorers.contains()], "progress": False, "retries": 0}
        with warnings.catch_warnings():  # OpenAI's max_tokens renamed (a ParamWarning): not what is tested here
            warnings.simplefilter("ignore", mm.ParamWarning)
            first = client.evaluate(prompts, MODELS, max_tokens=400, **kwargs)
            client.sim.set_faults(None, provider="xai")
            second = client.evaluate(prompts, MODELS, max_tokens=12, **kwargs)
        yield first, second
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------- data preparation
def test_payload_of_a_real_evaluation(runs):
    ev, _ = runs
    view = browse(ev)
    payload = view.payload()
    df = ev.df
    cols, texts = payload["cols"], payload["texts"]
    assert payload["n"] == len(df) == len(_prompts()) * len(MODELS)
    assert payload["scores"] == ["contains"] and payload["simulated"] is True
    assert set(payload["extras"]) == {"expected", "accepted", "task", "id"}
    assert payload["choices"]["task"] == sorted(set(_prompts()["task"]), key=str.casefold)
    assert payload["choices"]["expected"] is None  # a value per prompt is not a category
    for name, values in cols.items():
        assert len(values) == len(df), name
    for i in range(len(df)):  # every row reads back exactly as the frame holds it
        assert texts[cols["model"][i]] == df["model"].iat[i]
        assert texts[cols["prompt"][i]] == df["prompt"].iat[i]
        content = df["content"].iat[i]
        assert ((texts[cols["content"][i]] if cols["content"][i] is not None else None) or None) == (content or None)
        assert cols["contains"][i] == (None if math.isnan(df["contains"].iat[i]) else df["contains"].iat[i])
        assert cols["_label"][i] == str(df.index[i])
    # the rows of one prompt share a group, whatever the model; prompts are stored once
    groups = {}
    for g, p in zip(cols["_group"], df["prompt_index"], strict=True):
        groups.setdefault(g, set()).add(p)
    assert len(groups) == len(_prompts()) and all(len(v) == 1 for v in groups.values())
    assert texts.count(df["prompt"].iat[0]) == 1
    failed = df["error_kind"].notna()
    assert failed.any() and set(df.loc[failed, "model"]) == {FAILING}
    assert [texts[k] if k is not None else None for k in cols["error_kind"]] == [
        k if isinstance(k, str) else None for k in df["error_kind"]]
    assert {m["key"] for m in payload["metrics"]} >= {"e2e_s", "ttft_s", "completion_tokens", "cost_usd", "created_at"}


def test_the_script_json_cannot_close_its_element():
    payload = {"a": EVIL, "b": "</script><!-- x & y \u2028", "n": math.nan}
    text = to_script_json(payload)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": EVIL, "b": "</script><!-- x & y \u2028", "n": None}


def test_scores_and_prompt_columns_of_a_plain_frame():
    df = results_to_frame(sample_results())
    df["judge"] = [0.5, 1, 0, None, 1, 0]
    df["task"] = ["a", "b", "a", "b", "a", "b"]
    df["flagged"] = [True, False, True, False, True, False]  # a bool is a flag, not a score
    roles = frame_roles(df)
    assert roles.scores == ["judge"] and roles.extras == ["task", "flagged"] and roles.simulated is True
    assert frame_roles(df, scores="judge").scores == ["judge"]
    with pytest.raises(ConfigError, match="not in the frame"):
        frame_roles(df, scores=["accuracy"])
    with pytest.raises(ConfigError, match="'model' column"):
        frame_roles(df.drop(columns="model"))


def test_repeats_are_counted_when_the_frame_has_no_repeat_column():
    """Frames of several runs stacked (no prompt, no repeat column): each model's n-th answer is its repeat n, so the
    detail pane shows one answer per model, not all of them."""
    from tests.test_plots import sample_frame

    df = sample_frame(repeats=3)
    payload = results_payload(df, frame_roles(df))
    n = len(df) // 3
    assert payload["cols"]["repeat"] == [0] * n + [1] * n + [2] * n
    assert payload["scores"] == ["score"]


def test_column_order_empty_ttft_and_nullable_counts_do_not_matter():
    """The tables helper may reorder columns, leave ttft_s empty when not streamed and keep counts nullable."""
    df = results_to_frame(sample_results())
    df["ttft_s"] = math.nan
    df = df[list(reversed(df.columns))]
    payload = results_payload(df, frame_roles(df))
    cols = payload["cols"]
    assert cols["ttft_s"] == [None] * len(df)
    assert cols["completion_tokens"][:3] == [60.0, 90.0, 400.0] and cols["completion_tokens"][5] is None
    assert payload["texts"][cols["model"][0]] == "openai/gpt-5.4"


@pytest.mark.parametrize("kind", ["epoch", "naive", "utc", "berlin"])
def test_created_at_as_a_float_epoch_or_a_datetime(kind):
    epoch = 1_790_000_000.5
    column = pd.Series([epoch, math.nan])
    if kind != "epoch":
        column = pd.to_datetime(column, unit="s")
        if kind == "utc":
            column = column.dt.tz_localize("UTC")
        elif kind == "berlin":
            column = column.dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin")
    seconds, shown = epoch_seconds(column)
    assert seconds[0] == pytest.approx(epoch) and seconds[1] is None and shown[1] is None
    expected = {"epoch": "2026-09-21 14:13:20 UTC", "naive": "2026-09-21 14:13:20", "utc": "2026-09-21 14:13:20 UTC",
                "berlin": "2026-09-21 16:13:20 CEST"}[kind]
    assert shown[0] == expected


def test_tool_calls_from_a_frame_an_export_or_parquet():
    calls = [{"id": "c1", "name": "get_weather", "arguments": {"city": "Paris <b>"}, "arguments_raw": "{}"},
             {"id": "c2", "name": "broken", "arguments": None, "arguments_raw": "{not json"}]
    pairs = tool_call_pairs(calls)
    assert pairs[0][0] == "get_weather" and json.loads(pairs[0][1]) == {"city": "Paris <b>"}
    assert pairs[1] == ["broken", "{not json"]
    assert tool_call_pairs(json.dumps(calls)) == pairs  # CSV / JSONL export: JSON text
    import numpy as np

    assert tool_call_pairs(np.array(calls, dtype=object)) == pairs  # parquet read back
    assert tool_call_pairs([]) is None and tool_call_pairs(None) is None and tool_call_pairs(math.nan) is None


def test_long_text_is_cut_with_a_note_saying_where_the_rest_is():
    assert clip("abc", 5, "7") == "abc"
    cut = clip("x" * 30, 10, "7")
    assert cut.startswith("x" * 10) and "20 more characters" in cut and "row 7" in cut
    df = results_to_frame(sample_results())
    df.loc[0, "content"] = "y" * 500
    payload = results_payload(df, frame_roles(df), max_chars=100)
    shown = payload["texts"][payload["cols"]["content"][0]]
    assert shown.startswith("y" * 100) and "400 more characters" in shown


def test_bad_input_says_what_to_do(runs):
    ev, _ = runs
    with pytest.raises(ConfigError, match=r"ev\.df, cmp\.df"):
        browse("results.parquet")
    with pytest.raises(ConfigError, match="max_rows"):
        browse(ev, max_rows=5)
    with pytest.raises(ConfigError, match="max_chars"):
        browse(ev, max_chars=0)
    assert len(browse(ev, max_rows=None).df) == len(ev.df)
    with pytest.raises(ConfigError, match="labels"):
        compare_runs(ev, ev, labels=("same", "same"))
    with pytest.raises(ConfigError, match="on="):
        compare_runs(ev, ev, on="index")
    with pytest.raises(ConfigError, match="score="):
        compare_runs(ev, ev, score="accuracy")


def test_a_comparison_uses_its_prompt_for_every_row():
    cmp = sample_comparison()
    view = browse(cmp)
    payload = view.payload()
    prompts = {payload["texts"][p] for p in payload["cols"]["prompt"]}
    assert prompts == {cmp.prompt} and set(payload["cols"]["_group"]) == {0}
    assert view.title == "comparison" and payload["scores"] == []
    assert browse(cmp.df).payload()["n"] == len(cmp.results)


def test_static_fallback_escapes_the_answers_and_our_two_scripts_are_the_only_ones(runs, tmp_path):
    ev, _ = runs
    evil_first = pd.concat([ev.df[ev.df["prompt"].str.contains("Quote this")], ev.df])
    page = browse(evil_first).html()
    static = re.search(r"<div class='mm-browse-static'>(.*?)</div><script", page, re.S).group(1)
    assert "<script" not in static and "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in static
    assert "SIMULATED" in static and "needs JavaScript" in static
    assert page.count("<script") == 2  # the data element and the browser's own code
    code = (ROOT / "multimodel" / "data" / "browse.js").read_text(encoding="utf-8").lower()
    assert "<script" not in code and "</script" not in code and "<!--" not in code  # safe to inline
    code_only = re.sub(r"/\*.*?\*/|//[^\n]*", "", code, flags=re.S)
    assert not re.search(r"innerhtml|outerhtml|insertadjacenthtml|document\.write|\beval\(|new function", code_only)
    assert len(re.findall(r"</script", page, re.I)) == 2
    path = browse(ev).save(tmp_path / "nested" / "browse.html")
    assert path.is_file() and "SIMULATED" in path.read_text(encoding="utf-8")[:300]


# ---------------------------------------------------------------------------------------------- fallbacks
PRIMARY, FALLBACK = "openai/gpt-4.1-mini", "anthropic/claude-haiku-4-5"


@pytest.fixture(scope="module")
def fallback_runs():
    """A comparison and an evaluation where the primary fails every time (server errors, no retries) and its
    fallback answers, beside a model that answers itself."""
    client = mm.Client.simulated(latency_scale=0.002, cache=False)
    try:
        client.sim.set_faults({"server_error": 1.0}, provider="openai", model="gpt-4.1-mini")
        kwargs = {"fallbacks": {PRIMARY: [FALLBACK]}, "retries": 0}
        cmp = client.compare("Name a prime number.", [PRIMARY, MODELS[2]], live=False, **kwargs)
        ev = client.evaluate(_prompts().head(3), [PRIMARY, MODELS[2]], scorers=[mm.scorers.contains()],
                             progress=False, **kwargs)
        yield cmp, ev
    finally:
        client.close()


def older_release_frames(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``df`` as the release before ``answered_by`` shaped ev.df (``model`` the model that answered,
    ``requested_model`` the one asked) and cmp.df (``model`` the one that answered, ``fallback_from`` the one asked
    when a fallback answered), as read back from an export."""
    plain = pd.DataFrame(df).drop(columns=[c for c in ("requested_model",) if c in df.columns])
    fell_back = plain["answered_by"] != plain["model"]
    old_ev = plain.assign(model=plain["answered_by"], requested_model=plain["model"]).drop(columns="answered_by")
    old_cmp = plain.assign(model=plain["answered_by"], fallback_from=plain["model"].where(fell_back, None)).drop(
        columns="answered_by")
    return old_ev, old_cmp


def test_a_fallbacks_answer_is_browsed_under_the_model_as_requested(fallback_runs):
    cmp, ev = fallback_runs
    for df in (cmp.df, ev.df):
        assert (df.loc[df["model"] == PRIMARY, "answered_by"] == FALLBACK).all()
        payload = browse(df).payload()
        texts, cols = payload["texts"], payload["cols"]
        assert [texts[m] for m in cols["model"]] == df["model"].tolist()  # as requested
        assert [None if a is None else texts[a] for a in cols["answered_by"]] == [
            FALLBACK if m == PRIMARY else None for m in df["model"]]  # only where it differs
        assert "fallback_from" not in cols and "requested_model" not in payload["extras"]
        for old in older_release_frames(df):  # an older release's export reads the same
            again = browse(old).payload()
            assert [again["texts"][m] for m in again["cols"]["model"]] == df["model"].tolist()
            assert [None if a is None else again["texts"][a] for a in again["cols"]["answered_by"]] == [
                FALLBACK if m == PRIMARY else None for m in df["model"]]
            assert not {"requested_model", "fallback_from"} & set(again["extras"])


def test_two_runs_pair_per_model_as_requested_across_releases(fallback_runs):
    _, ev = fallback_runs
    old_ev, _ = older_release_frames(ev.df)
    assert set(old_ev["model"]) == {FALLBACK, MODELS[2]}  # the old frame named the fallback in model
    rc = compare_runs(old_ev, ev.df)
    assert len(rc.df) == len(ev.df) and set(rc.df["model"]) == {PRIMARY, MODELS[2]}
    assert not rc.df["change"].isin(["only before", "only after"]).any()
    assert set(rc.summary()["model"]) == {PRIMARY, MODELS[2]}


def test_the_summary_table_lists_every_model_as_requested_with_its_fallback_rate(fallback_runs):
    from multimodel.notebook.html import model_summary, summary_table_html

    cmp, ev = fallback_runs
    summary = model_summary(ev.df, ["contains"]).set_index("model")
    assert list(summary.index) == [PRIMARY, MODELS[2]]
    assert summary.loc[PRIMARY, "requests"] == 3 and summary.loc[PRIMARY, "provider"] == "openai"
    assert (summary.loc[PRIMARY, "fallbacks"], summary.loc[PRIMARY, "fallback_rate"]) == (3, 1.0)
    assert (summary.loc[MODELS[2], "fallbacks"], summary.loc[MODELS[2], "fallback_rate"]) == (0, 0.0)
    assert summary.loc[PRIMARY, "fallback_models"] == f"{FALLBACK} (3)"
    for old in older_release_frames(ev.df):
        pd.testing.assert_frame_equal(model_summary(old, ["contains"]).set_index("model")[
            ["requests", "fallbacks", "fallback_rate"]], summary[["requests", "fallbacks", "fallback_rate"]])
    page = summary_table_html(ev.df, ["contains"])
    assert "<th" in page and ">fallback rate</th>" in page and ">100%</td>" in page and ">0%</td>" in page
    assert f"data-model='{FALLBACK}'" not in page  # no row of its own: it stood in for the model asked
    plain = cmp.df[cmp.df["model"] != PRIMARY]
    assert "fallback" not in summary_table_html(plain) and "fallback_rate" not in model_summary(plain)
    card = cmp._repr_html_()
    assert f"answered by {FALLBACK} (fallback)" in card and card.count("(fallback)") == 1
    assert f"  {PRIMARY} (answered by {FALLBACK}, its fallback): " in repr(cmp)
    assert list(cmp.summary()[["model", "answered_by"]].itertuples(index=False, name=None)) == [
        (PRIMARY, FALLBACK), (MODELS[2], MODELS[2])]


# ---------------------------------------------------------------------------------------------- two runs
def _expected_changes(ev_a, ev_b) -> dict[tuple[str, str], str]:
    """The change of each (prompt, model), worked out from the two frames directly (one row each: no repeats)."""
    out = {}
    b = ev_a.df.set_index(["prompt", "model"])
    a = ev_b.df.set_index(["prompt", "model"])
    for key in b.index:
        sb, sa = b.loc[key, "contains"], a.loc[key, "contains"]
        eb, ea = pd.notna(b.loc[key, "error_kind"]), pd.notna(a.loc[key, "error_kind"])
        if eb or ea:
            out[key] = "failed" if eb and ea else "fixed" if eb else "broke"
        elif math.isnan(sb) or math.isnan(sa):
            out[key] = "unscored"
        else:
            out[key] = "better" if sa > sb else "worse" if sa < sb else "same"
    return out


def test_compare_runs_pairs_every_prompt_and_model_and_classifies_the_change(runs):
    first, second = runs
    rc = compare_runs(first, second)
    assert rc.on == "prompt" and rc.score == "contains" and len(rc.df) == len(first.df)
    expected = _expected_changes(first, second)
    got = {(p, m): c for p, m, c in zip(rc.df["prompt"], rc.df["model"], rc.df["change"], strict=True)}
    assert got == expected
    assert "worse" in got.values() and "fixed" in got.values()  # the cut answers and the recovered failures
    summary = rc.summary().set_index("model")
    for model in MODELS:
        mine = [c for (_, m), c in expected.items() if m == model]
        for change in ("better", "worse", "same", "fixed", "broke"):
            assert summary.loc[model, change] == mine.count(change), (model, change)
    worse = rc.worse()
    assert set(worse["change"]) <= {"worse", "broke"} and len(worse) == sum(
        c in ("worse", "broke") for c in expected.values())
    assert set(rc.better(FAILING)["model"]) <= {FAILING} and (rc.better(FAILING)["change"] == "fixed").any()
    row = worse.iloc[0]
    assert row["contains_delta"] == row["contains_after"] - row["contains_before"] < 0
    assert first.df.loc[row["rows_before"][0], "prompt"] == row["prompt"]
    assert "worse" in repr(rc) and "SIMULATED" in repr(rc)


def test_compare_runs_by_position_when_the_prompts_were_reworded(runs):
    first, second = runs
    reworded = second.df.assign(prompt=[f"Please answer: {p}" for p in second.df["prompt"]])
    rc = compare_runs(first, reworded)
    assert rc.on == "prompt_index" and len(rc.df) == len(first.df)
    assert (rc.df["prompt_index"].to_numpy() == first.df["prompt_index"].to_numpy()).all()
    with pytest.raises(ConfigError, match="no \\(prompt, model\\)"):
        compare_runs(first, reworded, on="prompt")


def test_models_in_only_one_run_and_answers_without_a_score(runs):
    first, second = runs
    fewer = second.df[second.df["model"] != MODELS[0]].drop(columns="contains")
    rc = compare_runs(first.df, fewer)
    assert rc.score is None and rc.scores == []
    only = rc.df[rc.df["model"] == MODELS[0]]
    assert len(only) == len(_prompts()) and set(only["change"]) == {"only before"}
    assert set(rc.df.loc[rc.df["model"] != MODELS[0], "change"]) <= {"changed", "same", "fixed", "failed", "broke"}
    assert rc.summary().set_index("model").loc[MODELS[0], "only_before"] == len(_prompts())


def test_classify_with_repeats_failures_and_tolerance():
    pairs = pd.DataFrame({
        "n_before": [2, 2, 2, 2, 0, 2, 2], "n_after": [2, 2, 2, 2, 2, 0, 2],
        "errors_before": [0, 2, 0, 2, 0, 0, 1], "errors_after": [0, 0, 2, 2, 0, 0, 0],
        "s_delta": [1e-12, 0.5, math.nan, math.nan, math.nan, math.nan, math.nan],
        "same_answers": [True, False, False, False, False, False, False],
    })
    assert classify(pairs, "s", 1e-9) == ["same", "fixed", "broke", "failed", "only after", "only before", "unscored"]
    assert classify(pairs, None, 1e-9)[0] == "same"
    assert classify(pairs.assign(s_delta=[-0.25] * 7), "s", 0.3)[0] == "same"


# ---------------------------------------------------------------------------------------------- in Chromium


def _table_column(page, header: str) -> list[str]:
    """The texts of one column of the rows table, by its header."""
    return page.evaluate("""(header) => {
        const table = document.querySelector('.mm-b-results .mm-b-table');
        const idx = [...table.querySelectorAll('thead th')].findIndex(th => th.dataset.key === header);
        return [...table.querySelectorAll('tbody tr')].map(tr => tr.children[idx].textContent);
    }""", header)


def _seconds(text: str) -> float:
    value, unit = text.split()
    return float(value) / (1000 if unit == "ms" else 1)


@needs_chromium
def test_browse_search_filter_sort_and_read_a_row(browser, runs):
    ev, _ = runs
    df = ev.df
    ARTIFACTS.mkdir(exist_ok=True)
    path = browse(ev).save(ARTIFACTS / "browse_results.html")
    context, page, seen = open_offline(browser, path)
    try:
        page.wait_for_selector(".mm-b-results .mm-b-table tbody tr", timeout=15_000)
        assert page.locator(".mm-browse-static").is_hidden()
        assert page.locator(".mm-b-results .mm-b-table tbody tr").count() == len(df)
        assert page.locator(".mm-b-view .mm-simulated").is_visible()
        # search: the rows left are exactly those whose text holds the words
        page.fill(".mm-b-search", "divided")
        want = df["prompt"].str.contains("divided") | df["content"].fillna("").str.contains("divided")
        page.wait_for_function(f"document.querySelector('.mm-browse').dataset.matching === '{int(want.sum())}'")
        assert sorted(_table_column(page, "row")) == sorted(str(i) for i in df.index[want])
        page.fill(".mm-b-search", "")
        # filter by model: one model left
        page.click(".mm-b-models button:text('none')")
        page.check(f".mm-b-models input[data-model='{MODELS[2]}']")
        page.wait_for_function(f"document.querySelector('.mm-browse').dataset.matching === '{len(_prompts())}'")
        assert set(_table_column(page, "model")) == {MODELS[2]}
        page.click(".mm-b-models button:text('all')")
        # error kind: the failed rows only, all from the failing provider
        page.select_option(".mm-b-errors", "error")
        failed = df[df["error_kind"].notna()]
        page.wait_for_function(f"document.querySelector('.mm-browse').dataset.matching === '{len(failed)}'")
        assert set(_table_column(page, "model")) == {FAILING}
        assert set(_table_column(page, "error")) == set(failed["error_kind"])
        page.select_option(".mm-b-errors", "")
        # score: at least 1
        page.fill(".mm-b-min", "1")
        hits = int((df["contains"] >= 1).sum())
        page.wait_for_function(f"document.querySelector('.mm-browse').dataset.matching === '{hits}'")
        assert hits and set(_table_column(page, "contains")) == {"1"}
        page.fill(".mm-b-min", "")
        # sort by a metric: click "total" (descending first), then again for ascending
        page.click(".mm-b-results th[data-key='e2e_s']")
        totals = [_seconds(t) for t in _table_column(page, "e2e_s") if t != "n/a"]
        assert totals == sorted(totals, reverse=True) and len(totals) > 10
        page.click(".mm-b-results th[data-key='e2e_s']")
        totals = [_seconds(t) for t in _table_column(page, "e2e_s") if t != "n/a"]
        assert totals == sorted(totals)
        page.select_option(".mm-b-sort", "completion_tokens")  # any metric, shown as a column or not
        tokens = [int(t.replace(",", "")) for t in _table_column(page, "completion_tokens") if t != "n/a"]
        assert tokens == sorted(tokens, reverse=True)
        _read_a_row(page, df)
        page.screenshot(path=str(ARTIFACTS / "browse_results.png"), full_page=True)
        assert seen["outside"] == [] and seen["dialogs"] == [] and seen["errors"] == []
    finally:
        context.close()


def _read_a_row(page, df) -> None:
    """Click the row of the prompt that asks for a <script>: its whole answer and every other model's answer to that
    prompt appear side by side, as text."""
    page.click(".mm-b-results button:text('reset')")
    page.fill(".mm-b-search", "quote this back")
    evil_rows = df[df["prompt"].str.contains("Quote this back")]
    page.wait_for_function(f"document.querySelector('.mm-browse').dataset.matching === '{len(evil_rows)}'")
    chosen = evil_rows[evil_rows["model"] == MODELS[1]].index[0]
    page.click(f".mm-b-results tbody tr:has(td:text-is('{chosen}'))")
    cards = page.locator(".mm-b-detail .mm-b-card")
    assert cards.count() == len(MODELS)
    assert cards.nth(0).get_attribute("data-model") == MODELS[1]  # the clicked row first, then the others
    assert {cards.nth(k).get_attribute("data-model") for k in range(len(MODELS))} == set(MODELS)
    for k in range(len(MODELS)):
        model = cards.nth(k).get_attribute("data-model")
        row = evil_rows[evil_rows["model"] == model].iloc[0]
        if pd.notna(row["error_kind"]):
            assert row["error_kind"] in cards.nth(k).locator(".mm-b-error").inner_text()
            continue
        answer = cards.nth(k).locator(".mm-b-answer").inner_text()
        assert answer == row["content"]  # whole, not a preview
        assert EVIL in answer  # the simulator quoted the <script>: shown as text
        if isinstance(row["reasoning"], str):
            assert cards.nth(k).locator(".mm-b-reasoning .mm-b-pre").text_content() == row["reasoning"]
    assert page.locator(".mm-b-view script, .mm-b-view img").count() == 0
    assert "expected: pwned" in page.locator(".mm-b-detail .mm-b-prompt").inner_text()
    page.check(".mm-b-diff-toggle")  # words that differ from the selected answer are marked
    assert page.locator(".mm-b-detail mark.mm-b-diff").count() > 0


@needs_chromium
def test_tool_calls_and_a_comparison_frame(browser, tmp_path):
    """A real run with a tool the model calls, and cmp.df (one prompt, one row per model) with a hand-made failure."""
    client = mm.Client.simulated(latency_scale=0.002, cache=False)
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "weather for a city",
                                                 "parameters": {"type": "object", "properties": {
                                                     "city": {"type": "string"}}, "required": ["city"]}}}]
    try:
        cmp = client.compare("What is the weather in Paris today?", MODELS[:3], tools=tools)
    finally:
        client.close()
    assert all(r.tool_calls for r in cmp.results)
    path = browse(cmp).save(tmp_path / "cmp.html")
    context, page, seen = open_offline(browser, path)
    try:
        page.wait_for_selector(".mm-b-results .mm-b-table tbody tr")
        page.click(".mm-b-results tbody tr >> nth=1")
        cards = page.locator(".mm-b-detail .mm-b-card")
        assert cards.count() == 3 and cards.nth(0).get_attribute("data-model") == MODELS[1]
        for k, r in enumerate([cmp.results[1], cmp.results[0], cmp.results[2]]):
            tool = cards.nth(k).locator(".mm-b-tool")
            assert f"tool call: {r.tool_calls[0].name}" in tool.inner_text()
            assert json.loads(tool.locator("pre").inner_text()) == r.tool_calls[0].arguments
        assert "What is the weather in Paris today?" in page.locator(".mm-b-detail .mm-b-prompt").inner_text()
        assert seen["outside"] == [] and seen["dialogs"] == [] and seen["errors"] == []
    finally:
        context.close()


@needs_chromium
def test_the_detail_view_says_which_fallback_answered(browser, fallback_runs, tmp_path):
    """A fallback's row sits under its model as requested; its card says "answered by" the fallback, the card of a
    model that answered itself says nothing of the kind; a model search finds the row by either name."""
    _, ev = fallback_runs
    path = browse(ev).save(tmp_path / "fallback.html")
    context, page, seen = open_offline(browser, path)
    try:
        page.wait_for_selector(".mm-b-results .mm-b-table tbody tr")
        assert set(_table_column(page, "model")) == {PRIMARY, MODELS[2]}  # no row under the fallback's name
        chosen = ev.df[ev.df["model"] == PRIMARY].index[0]
        page.click(f".mm-b-results tbody tr:has(td:text-is('{chosen}'))")
        cards = page.locator(".mm-b-detail .mm-b-card")
        assert cards.count() == 2 and cards.nth(0).get_attribute("data-model") == PRIMARY
        head = cards.nth(0).locator(".mm-b-card-head").inner_text()
        assert f"answered by {FALLBACK} (fallback)" in head and "claude-haiku-4-5" in head
        assert "answered by" not in cards.nth(1).locator(".mm-b-card-head").inner_text()
        page.select_option(".mm-b-results select[aria-label='search in']", "model")
        page.fill(".mm-b-search", "claude-haiku")
        page.wait_for_function(f"document.querySelector('.mm-browse').dataset.matching === '{len(ev.df) // 2}'")
        assert set(_table_column(page, "model")) == {PRIMARY}
        assert seen["outside"] == [] and seen["dialogs"] == [] and seen["errors"] == []
    finally:
        context.close()


@needs_chromium
def test_run_versus_run_shows_the_score_change(browser, runs):
    first, second = runs
    rc = compare_runs(first, second, labels=("400 tokens", "12 tokens"))
    worse = rc.worse()
    worse = worse[worse["change"] == "worse"]
    assert len(worse), "the cut answers should lose some scores"
    answered = [bool(second.df.loc[rows[0], "content"]) for rows in worse["rows_after"]]
    known = worse[answered].iloc[0] if any(answered) else worse.iloc[0]
    ARTIFACTS.mkdir(exist_ok=True)
    path = rc.save(ARTIFACTS / "browse_runs.html")
    context, page, seen = open_offline(browser, path)
    try:
        page.wait_for_selector(".mm-b-runs .mm-b-summary-table tbody tr", timeout=15_000)
        summary = rc.summary().set_index("model")
        for model in MODELS:  # the per-model counts, as the Python summary has them
            row = page.locator(f".mm-b-summary-table tr[data-model='{model}']")
            for change in ("worse", "fixed"):
                button = row.locator(f"button[data-change='{change}']")
                count = int(summary.loc[model, change])
                if button.count():
                    assert button.inner_text() == str(count)
                else:
                    assert count == 0
        # the worse pairs of the known pair's model, from the summary's button
        page.click(f".mm-b-summary-table tr[data-model='{known['model']}'] button[data-change='worse']")
        n_worse = int(summary.loc[known["model"], "worse"])
        page.wait_for_function(f"document.querySelector('.mm-browse').dataset.matching === '{n_worse}'")
        table = page.locator(".mm-b-runs .mm-b-scroller .mm-b-table")
        row = table.locator("tbody tr", has_text=known["prompt"][:40]).first
        cells = row.locator("td")
        texts = [cells.nth(k).inner_text() for k in range(cells.count())]
        assert fmt(known["contains_before"]) in texts and fmt(known["contains_after"]) in texts
        assert "\u22121" in texts and "worse" in texts
        row.click()
        sides = page.locator(".mm-b-detail .mm-b-side")
        assert sides.count() == 2
        assert sides.nth(0).locator(".mm-b-side-title").inner_text() == "400 tokens"
        before_answer = first.df.loc[known["rows_before"][0], "content"]
        after_answer = second.df.loc[known["rows_after"][0], "content"]
        assert sides.nth(0).locator(".mm-b-answer").inner_text() == before_answer
        if after_answer:
            assert sides.nth(1).locator(".mm-b-answer").inner_text() == after_answer
        else:  # all 12 tokens went to reasoning
            assert "(no answer text)" in sides.nth(1).inner_text()
        assert "contains: 1 \u2192 0" in page.locator(".mm-b-detail .mm-b-detail-head").inner_text()
        page.screenshot(path=str(ARTIFACTS / "browse_runs.png"), full_page=True)
        # the failures of the first run that answered in the second
        page.select_option(".mm-b-runs .mm-b-model", FAILING)
        page.select_option(".mm-b-runs .mm-b-change", "fixed")
        n_fixed = int(summary.loc[FAILING, "fixed"])
        page.wait_for_function(f"document.querySelector('.mm-browse').dataset.matching === '{n_fixed}'")
        assert n_fixed > 0
        assert seen["outside"] == [] and seen["dialogs"] == [] and seen["errors"] == []
    finally:
        context.close()


def fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.3f}".rstrip("0")


@needs_chromium
def test_without_javascript_a_static_table_shows_the_first_rows(browser, runs, tmp_path):
    ev, _ = runs
    path = browse(ev).save(tmp_path / "static.html")
    context, page, seen = open_offline(browser, path, javascript=False)
    try:
        static = page.locator(".mm-browse-static")
        assert static.is_visible() and "needs JavaScript" in static.inner_text()
        assert static.locator("tbody tr").count() == min(20, len(ev.df))
        assert EVIL in static.inner_text() or "Quote this back" not in static.inner_text()
        assert page.locator(".mm-b-view").count() == 0 and seen["dialogs"] == []
    finally:
        context.close()


@needs_chromium
def test_five_thousand_rows_render_and_search_quickly(browser, runs, tmp_path):
    """A 5,000-row frame (the real run's rows repeated, each answer its own): the page's script builds the view,
    and a search updates the table, within bounds far above what this machine takes (printed)."""
    ev, _ = runs
    df = ev.df
    big = pd.concat([df] * (5000 // len(df) + 1), ignore_index=True).head(5000)
    big["content"] = [f"{c} [row {i}]" for i, c in enumerate(big["content"].fillna(""))]
    big["repeat"] = [i // len(df) for i in range(len(big))]
    path = browse(big, max_rows=None).save(tmp_path / "big.html")
    size_mb = path.stat().st_size / 1e6
    context, page, seen = open_offline(browser, path)
    try:
        page.wait_for_selector(".mm-b-results .mm-b-table tbody tr", timeout=30_000)
        render_ms = float(page.get_attribute(".mm-browse", "data-render-ms"))
        page.fill(".mm-b-search", "[row 4321]")
        page.wait_for_function("document.querySelector('.mm-browse').dataset.matching === '1'", timeout=10_000)
        update_ms = float(page.get_attribute(".mm-browse", "data-update-ms"))
        print(f"5,000 rows: {size_mb:.1f} MB of HTML, view built in {render_ms:.0f} ms, search in {update_ms:.0f} ms")
        assert render_ms < 5000 and update_ms < 1000
        assert page.locator(".mm-b-results .mm-b-table tbody tr").count() == 1
        assert seen["outside"] == [] and seen["errors"] == []
    finally:
        context.close()


@needs_chromium
def test_a_notebook_exported_to_html_keeps_the_browser_working_offline(browser, runs, tmp_path):
    """The view as IPython displays it (the kernel's own display formatter), in a notebook exported by nbconvert and
    opened with no network: it builds itself and answers a search."""
    nbformat = pytest.importorskip("nbformat")
    nbconvert = pytest.importorskip("nbconvert")
    from IPython.core.interactiveshell import InteractiveShell

    ev, _ = runs
    data, metadata = InteractiveShell.instance().display_formatter.format(browse(ev))
    assert "mm-browse" in data["text/html"] and "ResultsBrowser" in data["text/plain"]
    cell = nbformat.v4.new_code_cell("browse(ev)", outputs=[
        nbformat.v4.new_output("execute_result", data=data, metadata=metadata, execution_count=1)])
    nb = nbformat.v4.new_notebook(cells=[cell])
    nbformat.validate(nb)
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    path = tmp_path / "exported.html"
    path.write_text(body, encoding="utf-8")
    context, page, seen = open_offline(browser, path)
    try:
        page.wait_for_selector(".mm-b-results .mm-b-table tbody tr", timeout=15_000)
        assert page.locator(".mm-b-results .mm-b-table tbody tr").count() == len(ev.df)
        page.fill(".mm-b-search", "quote this back")
        page.wait_for_function(f"document.querySelector('.mm-browse').dataset.matching === '{len(MODELS)}'")
        page.click(".mm-b-results tbody tr >> nth=0")
        assert '<script>alert("pwned")</script>' in page.locator(".mm-b-detail .mm-b-card").first.inner_text()
        assert seen["dialogs"] == [] and seen["errors"] == []
        assert not [u for u in seen["outside"] if "mm-" in u or "browse" in u]  # the template's own CDN links only
    finally:
        context.close()
