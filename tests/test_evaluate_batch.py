"""evaluate(mode="batch"|"auto") against the simulator: every row once at the batch price with no live request to
the batching providers, a kill -9 after submission resumed without a new batch, failed lines as error rows or
re-sent live, the auto threshold, DeepSeek live with a warning, the budget at batch prices, batches() and
cancel_batches()."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

import multimodel as mm
from multimodel import pricing
from multimodel.batch_plan import AUTO_MIN_ROWS
from multimodel.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
THREE = ["openai/gpt-4.1-mini", "anthropic-messages/claude-haiku-4-5", "gemini/gemini-3-flash-preview"]
BATCH_FRACTION = 0.5  # the documented batch discount of these three providers (RESEARCH.md §1, §2, §4)


def client(cache: Any = False, **sim: Any) -> mm.Client:
    return mm.Client.simulated(seed=11, latency_scale=0, batch_s=sim.pop("batch_s", 1.0), cache=cache, **sim)


def quiet_evaluate(c: mm.Client, *args: Any, **kw: Any) -> tuple[Any, list[str]]:
    """evaluate() with its warnings caught; (the Evaluation, the warnings' texts)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ev = c.evaluate(*args, progress=kw.pop("progress", False), **kw)
    return ev, [str(w.message) for w in caught]


def hand_cost(model: str, row: Any) -> float:
    """The row's usage at the live list price (no cached tokens in these prompts), times the batch fraction."""
    provider, model_id = model.split("/", 1)
    p = pricing.lookup("anthropic" if provider.startswith("anthropic") else provider, model_id)
    assert p is not None and (pd.isna(row["cached_tokens"]) or not row["cached_tokens"])
    return BATCH_FRACTION * (row["prompt_tokens"] * p.input_per_m + row["completion_tokens"] * p.output_per_m) / 1e6


def test_three_providers_by_1000_prompts_every_row_once_at_the_batch_fraction(tmp_path):
    n = 1000
    prompts = pd.DataFrame({"prompt": [f"Batch question {i}: name a colour." for i in range(n)], "qid": range(n)})
    with client(cache=str(tmp_path / "c.sqlite")) as c:
        t0 = time.perf_counter()
        ev, _ = quiet_evaluate(c, prompts, THREE, mode="batch", max_tokens=64)
        wall = time.perf_counter() - t0
        stats = c.sim.stats()
        recorded = c.batches(ev.run_id)
    df = ev.df
    assert len(df) == 3 * n and not df.duplicated(["qid", "model"]).any() and set(df["model"]) == set(THREE)
    assert df["error_kind"].isna().all()
    assert (df["mode"] == "batch").all() and df["batch_id"].notna().all() and df["custom_id"].notna().all()
    assert df["ttft_s"].isna().all() and df["e2e_s"].isna().all() and (df["batch_wait_s"] > 0).all()
    assert (df["cost_source"] == "batch_price_table").all()
    for _, row in df.iterrows():
        assert row["cost_usd"] == pytest.approx(hand_cost(row["model"], row), rel=1e-9)
    assert stats["by_api"] == {"batch": 3 * n}  # no live chat or messages request at all
    assert stats["batches"]["batches"] == 3 == len(recorded)
    assert set(recorded["state"]) <= {"completed", "ended"} and recorded["collected"].notna().all()
    assert (recorded["requests"] == n).all()
    live_total = sum(hand_cost(m, r) for m, r in zip(df["model"], df.to_dict("records"), strict=True)) / BATCH_FRACTION
    print(f"batch 3x{n}: wall {wall:.1f}s, cost ${df['cost_usd'].sum():.4f} = "
          f"{df['cost_usd'].sum() / live_total:.3f} of live ${live_total:.4f}")
    summary = ev.summary()
    assert (summary["live_rows"] == 0).all() and (summary["n"] == n).all()


def test_a_rerun_serves_every_row_from_the_cache_and_submits_nothing(tmp_path):
    prompts = [f"Cached batch question {i}" for i in range(30)]
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.5) as c:
        first, _ = quiet_evaluate(c, prompts, THREE[:2], mode="batch", max_tokens=32)
        again, _ = quiet_evaluate(c, prompts, THREE[:2], mode="batch", max_tokens=32)
        other_run, _ = quiet_evaluate(c, prompts, THREE[:2], mode="batch", max_tokens=32, run_id="another")
        assert c.sim.stats()["batches"]["batches"] == 2 and c.sim.stats()["by_api"] == {"batch": 60}
    assert again.df["error_kind"].isna().all() and not again.df["cached"].any()  # this run's own rows, recovered
    assert other_run.df["cached"].all()  # another run's answers: replays
    assert list(again.df["content"]) == list(first.df["content"])
    assert list(again.df["batch_id"]) == list(first.df["batch_id"])


KILL_SCRIPT = textwrap.dedent("""
    import sys, warnings, pandas as pd, multimodel as mm
    url, cache, out = sys.argv[1], sys.argv[2], sys.argv[3]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 300
    providers = {"openai": {"base_url": f"{url}/openai/v1", "api_key": "sim-key", "dialect": "openai"},
                 "anthropic-messages": {"base_url": f"{url}/anthropic/v1", "api_key": "sim-key",
                                        "dialect": "anthropic"}}
    client = mm.Client(providers=providers, cache=cache)
    prompts = pd.DataFrame({"prompt": [f"Kill question {i}" for i in range(n)], "qid": range(n)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = client.evaluate(prompts, ["openai/gpt-4.1-mini", "anthropic-messages/claude-haiku-4-5"],
                             mode="batch",
                             progress=False, max_tokens=16)
    ev.df[["qid", "model", "mode", "batch_id", "error_kind", "cached"]].to_json(out, orient="records")
""")


def sim_stats(url: str) -> dict:
    return httpx.get(f"{url}/_sim/stats", timeout=10).json()


def recorded_batches(cache: Path) -> list[str]:
    if not cache.exists():
        return []
    try:
        with sqlite3.connect(cache) as conn:
            return [r[0] for r in conn.execute("SELECT batch_id FROM batches WHERE state != 'creating'")]
    except sqlite3.OperationalError:
        return []


@contextlib.contextmanager
def sim_process(batch_s: float) -> Iterator[str]:
    """The simulator in a process of its own (so clients in other processes share it); yields its URL."""
    proc = subprocess.Popen([sys.executable, "-m", "multimodel.sim", "--port", "0", "--latency-scale", "0",
                             "--batch-s", str(batch_s)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=ROOT)
    url = proc.stdout.readline().strip()
    proc.stdout.close()
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def kill_after_submission(script: Path, url: str, cache: Path, out: Path, *args: str) -> None:
    """Run KILL_SCRIPT in a child and kill -9 it as soon as its two batches are recorded (before they end)."""
    child = subprocess.Popen([sys.executable, str(script), url, str(cache), str(out), *args], cwd=ROOT)
    deadline = time.time() + 60
    while len(recorded_batches(cache)) < 2 and time.time() < deadline:
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)


def test_kill_minus_nine_after_submission_then_rerun_collects_without_a_new_batch(tmp_path):
    script, cache, out = tmp_path / "run.py", tmp_path / "cache.sqlite", tmp_path / "out.json"
    script.write_text(KILL_SCRIPT)
    with sim_process(4) as url:
        kill_after_submission(script, url, cache, out)
        at_kill = sim_stats(url)["batches"]
        assert at_kill["batches"] == 2 and len(recorded_batches(cache)) == 2, at_kill
        assert not out.exists(), "the kill must land before the run ends"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(script), url, str(cache), str(out)], cwd=ROOT, check=True, timeout=120)
        wall = time.perf_counter() - t0
        after = sim_stats(url)
    rows = pd.DataFrame(json.loads(out.read_text()))
    assert after["batches"]["batches"] == 2, "the re-run submitted a new batch"
    assert len(rows) == 600 and not rows.duplicated(["qid", "model"]).any()
    assert rows["error_kind"].isna().all() and (rows["mode"] == "batch").all()
    assert set(rows["batch_id"]) == set(recorded_batches(cache))
    assert "chat" not in after["by_api"] and "messages" not in after["by_api"]
    print(f"kill -9: batches before {at_kill['batches']}, after {after['batches']['batches']}; "
          f"re-run collected 600 rows in {wall:.1f}s")


def test_two_processes_on_one_cache_never_submit_the_same_row_twice(tmp_path):
    script, cache = tmp_path / "run.py", tmp_path / "cache.sqlite"
    script.write_text(KILL_SCRIPT)
    outs = [tmp_path / f"out-{tag}.json" for tag in "ab"]
    with sim_process(2) as url:
        children = [subprocess.Popen([sys.executable, str(script), url, str(cache), str(out)], cwd=ROOT)
                    for out in outs]
        assert [child.wait(120) for child in children] == [0, 0]
        stats = sim_stats(url)
    assert stats["by_api"] == {"batch": 600}, stats["by_api"]  # each row one line of one batch, nothing live
    for out in outs:
        rows = pd.DataFrame(json.loads(out.read_text()))
        assert len(rows) == 600 and not rows.duplicated(["qid", "model"]).any()
        assert rows["error_kind"].isna().all()
    print(f"two processes: {stats['batches']['batches']} batches, {stats['by_api']['batch']} lines for 600 rows")


@pytest.mark.parametrize("choice", ["error", "live"])
def test_two_percent_failed_lines_end_as_error_rows_or_are_resent_live(choice):
    n = 400
    prompts = [f"Failing batch question {i}" for i in range(n)]
    with client() as reference:  # which lines fail is drawn from the seed: the "error" run names them
        reference.sim.set_batch_faults({"line_4xx": 0.02}, provider="openai")
        ref, _ = quiet_evaluate(reference, prompts, ["openai/gpt-4.1-mini"], mode="batch", max_tokens=32)
    failed = set(ref.df.loc[ref.df["error_kind"].notna(), "prompt_index"])
    assert len(failed) == round(0.02 * n)
    with client() as c:
        c.sim.set_batch_faults({"line_4xx": 0.02}, provider="openai")
        ev, _ = quiet_evaluate(c, prompts, ["openai/gpt-4.1-mini"], mode="batch", max_tokens=32,
                               on_batch_failure=choice)
        stats = c.sim.stats()
    df = ev.df
    assert len(df) == n and not df.duplicated(["prompt_index"]).any()
    if choice == "error":
        errors = df[df["error_kind"].notna()]
        assert set(errors["prompt_index"]) == failed
        assert (errors["error_kind"] == "bad_request").all() and (errors["mode"] == "batch").all()
        assert (errors["error_status"] == 400).all()
        assert stats["by_api"] == {"batch": n}
    else:
        assert df["error_kind"].isna().all()
        live = df[df["mode"] == "live"]
        assert set(live["prompt_index"]) == failed  # the live requests are exactly the failed lines
        assert stats["by_api"] == {"batch": n, "chat": len(failed)}
        assert (live["cost_source"] == "price_table").all() and live["e2e_s"].notna().all()


def test_auto_batches_large_groups_and_runs_small_ones_and_deepseek_live():
    big = [f"Auto question {i}" for i in range(AUTO_MIN_ROWS + 20)]
    with client() as c:
        ev, said = quiet_evaluate(c, big, ["openai/gpt-4.1-mini", "deepseek/deepseek-flash"], mode="auto",
                                  max_tokens=16)
        stats = c.sim.stats()
    modes = ev.df.groupby("model")["mode"].agg(set).to_dict()
    assert modes == {"openai/gpt-4.1-mini": {"batch"}, "deepseek/deepseek-flash": {"live"}}
    assert stats["by_api"] == {"batch": len(big), "chat": len(big)}
    assert any("deepseek/deepseek-flash run live" in s and "no Batch API" in s for s in said)
    small = big[:AUTO_MIN_ROWS - 1]
    with client() as c:
        ev, said = quiet_evaluate(c, small, ["openai/gpt-4.1-mini"], mode="auto", max_tokens=16)
        assert c.sim.stats()["by_api"] == {"chat": len(small)} and c.sim.stats()["batches"]["batches"] == 0
    assert (ev.df["mode"] == "live").all()
    assert any(f"fewer than {AUTO_MIN_ROWS} rows" in s for s in said)


def test_batch_mode_runs_deepseek_live_with_a_warning():
    prompts = [f"Mixed question {i}" for i in range(20)]
    with client() as c:
        ev, said = quiet_evaluate(c, prompts, ["anthropic-messages/claude-haiku-4-5", "deepseek/deepseek-flash"],
                                  mode="batch", max_tokens=16)
        stats = c.sim.stats()
    df = ev.df
    assert set(df.loc[df["model"] == "deepseek/deepseek-flash", "mode"]) == {"live"}
    assert set(df.loc[df["model"] != "deepseek/deepseek-flash", "mode"]) == {"batch"}
    assert stats["by_api"] == {"batch": 20, "chat": 20} and df["error_kind"].isna().all()
    assert any("20 row(s) of deepseek/deepseek-flash run live" in s for s in said)


def estimate_in(message: str) -> float:
    return float(message.split("estimate $", 1)[1].split(" ", 1)[0])


def test_budget_refuses_a_batch_run_at_batch_prices_before_submitting():
    prompts = [f"Budget question {i}" for i in range(200)]
    with client() as c:
        with pytest.raises(ConfigError) as live_refusal:
            c.evaluate(prompts, THREE, budget_usd=1e-6, max_tokens=256, progress=False)
        with pytest.raises(ConfigError) as batch_refusal:
            c.evaluate(prompts, THREE, budget_usd=1e-6, max_tokens=256, progress=False, mode="batch")
        assert c.sim.stats()["received"] == 0 and c.sim.stats()["batches"]["batches"] == 0
        live, batch = estimate_in(str(live_refusal.value)), estimate_in(str(batch_refusal.value))
        assert batch == pytest.approx(BATCH_FRACTION * live, rel=1e-3)
        assert "batch prices" in str(batch_refusal.value)
        # a budget between the two: refused live, run by batch
        ev, _ = quiet_evaluate(c, prompts, THREE, budget_usd=0.75 * live, max_tokens=256, mode="batch")
        assert len(ev.df) == 600 and ev.df["error_kind"].isna().all()
        assert ev.df["cost_usd"].sum() <= 0.75 * live


def test_unknown_mode_and_failure_choice_are_refused():
    with client() as c:
        with pytest.raises(ConfigError, match="mode='later'"):
            c.evaluate(["q"], ["openai/gpt-4.1-mini"], mode="later", progress=False)
        with pytest.raises(ConfigError, match="on_batch_failure"):
            c.evaluate(["q"], ["openai/gpt-4.1-mini"], mode="batch", on_batch_failure="retry", progress=False)


def test_batches_lists_and_cancel_batches_cancels_in_one_call(tmp_path):
    prompts = [f"Cancel question {i}" for i in range(40)]
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=30) as c:
        from multimodel.batch import plan
        from multimodel.batch_plan import split_modes
        from multimodel.batch_runs import BatchHandle

        _, slots, _ = plan(c.requests, prompts, ["openai/gpt-4.1-mini"], repeats=1, routes=None, fallbacks=None,
                           params={"max_tokens": 16})
        handle = BatchHandle(c.runner, split_modes(slots, "batch").batch, "cancel-run", 30.0)
        deadline = time.time() + 20
        while c.batches("cancel-run").empty and time.time() < deadline:
            time.sleep(0.05)
        frame = c.cancel_batches("cancel-run")
        assert len(frame) == 1 and frame["state"].iloc[0] in ("cancelling", "cancelled")
        results, failed, interrupted = handle.wait(False, "test")
        assert not interrupted and len(results) == 40
        cancelled = [r for r in results.values() if r.error is not None]
        assert cancelled and {r.error.kind for r in cancelled} == {"batch_cancelled"}
        assert failed == {i for i, r in results.items() if r.error is not None}
        assert c.batches("cancel-run")["collected"].notna().all()
        assert list(c.batches().columns) == ["run_id", "batch_id", "provider", "model", "api", "requests", "state",
                                             "created", "collected"]


# ---------------------------------------------------------------------------------- the plan before a batch run
MIXED = ["openai/gpt-4.1-mini", "anthropic-messages/claude-haiku-4-5", "deepseek/deepseek-flash"]


@pytest.mark.parametrize("choice", ["error", "live"])
def test_the_plan_holds_the_estimates_and_batches_evaluate_uses_and_sends_nothing(choice, monkeypatch):
    from multimodel.batchapi import BatchLimits, get_protocol

    files = get_protocol("openai_files")  # 50 requests a batch: 120 openai rows take 3 batches
    monkeypatch.setitem(files.limits, "openai", BatchLimits(50, files.limits["openai"].max_bytes, "test"))
    prompts = [f"Plan question {i}" for i in range(120)]
    with client() as c:
        plan = c.batch_plan(prompts, MIXED, on_batch_failure=choice, max_tokens=64, budget_usd=5.0)
        same = c.evaluate(prompts, MIXED, mode="batch", on_batch_failure=choice, max_tokens=64, plan_only=True)
        assert c.sim.stats()["received"] == 0 and c.sim.stats()["batches"]["batches"] == 0  # nothing sent
        ev, _ = quiet_evaluate(c, prompts, MIXED, mode="batch", on_batch_failure=choice, max_tokens=64)
        submitted = c.sim.stats()["batches"]["batches"]
    pd.testing.assert_frame_equal(plan, same)
    rows = plan.set_index("model")
    assert list(plan.columns) == ["provider", "model", "api", "rows", "runs", "why", "batches", "est_live_usd",
                                  "est_batch_usd", "unpriced"]
    assert list(rows["runs"]) == ["batch", "batch", "live"] and (rows["rows"] == 120).all()
    assert rows.loc["deepseek/deepseek-flash", "why"] == "deepseek has no Batch API multimodel knows of"
    assert list(rows["batches"]) == [3, 1, 0] == [*ev.df.groupby("model", sort=False)["batch_id"].nunique()[:2], 0]
    assert submitted == 4
    assert plan.attrs["estimate_usd"] == pytest.approx(ev.estimate_usd, rel=1e-12)
    batched = rows[rows["runs"] == "batch"]
    assert list(batched["est_batch_usd"]) == pytest.approx(list(BATCH_FRACTION * batched["est_live_usd"]), rel=1e-9)
    deepseek = rows.loc["deepseek/deepseek-flash"]
    assert deepseek["est_batch_usd"] == deepseek["est_live_usd"] > 0
    expected = rows["est_live_usd" if choice == "live" else "est_batch_usd"].sum()
    assert plan.attrs["estimate_usd"] == pytest.approx(expected, rel=1e-12)


def test_a_batch_run_prints_its_plan_first_and_a_quiet_one_does_not(capsys):
    prompts = [f"Shown plan question {i}" for i in range(12)]
    with client() as c:
        quiet_evaluate(c, prompts, MIXED[::2], mode="batch", max_tokens=16)
        assert capsys.readouterr().out == ""  # progress=False: nothing printed
        quiet_evaluate(c, prompts, MIXED[::2], mode="auto", max_tokens=16, progress=True)
        out = capsys.readouterr().out
        quiet_evaluate(c, prompts, MIXED[::2], max_tokens=16, progress=True)
        assert "batch plan" not in capsys.readouterr().out  # a live run has no batch plan to show
    lines = out.splitlines()
    assert lines[0].startswith("batch plan")
    assert lines[1].startswith(f"  openai/gpt-4.1-mini [chat]: 12 rows live (fewer than {AUTO_MIN_ROWS} rows")
    assert lines[2].startswith("  deepseek/deepseek-flash [chat]: 12 rows live (deepseek has no Batch API")
    assert lines[3].startswith("  total: 24 rows, 0 batches; worst case $")


def test_plan_only_refuses_what_evaluate_refuses():
    with client() as c:
        with pytest.raises(ConfigError, match="mode='later'"):
            c.batch_plan(["q"], ["openai/gpt-4.1-mini"], mode="later")
        with pytest.raises(ConfigError, match="plan_only must be True or False"):
            c.evaluate(["q"], ["openai/gpt-4.1-mini"], mode="batch", plan_only="yes")
