"""evaluate() and compare() against the simulator: nothing lost, nothing sent twice, resumable after kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import httpx
import pandas as pd
import pytest

import multimodel as mm

ROOT = Path(__file__).resolve().parents[1]
FIVE = ["openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "gemini/gemini-3-flash-preview", "xai/grok-3-mini",
        "deepseek/deepseek-flash"]
CANARY = "sk-canary-evaluate-93b1d0"


def start_sim_process(*args: str) -> tuple[subprocess.Popen, str]:
    """The simulator in its own process (so it outlives a killed client), root URL from its first line."""
    proc = subprocess.Popen([sys.executable, "-m", "multimodel.sim", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    return proc, url


def sim_client(url: str, cache: str | bool = False, key: str = "sim-key") -> mm.Client:
    providers = {p: {"base_url": f"{url}/{p}/v1", "api_key": key, "dialect": p, "concurrency": 16}
                 for p in ("openai", "anthropic", "gemini", "xai", "deepseek", "openrouter")}
    return mm.Client(providers=providers, cache=cache, retries=4)


def sim_stats(url: str) -> dict:
    return httpx.get(f"{url}/_sim/stats", timeout=10).json()


@pytest.fixture(scope="module")
def sim_proc():
    proc, url = start_sim_process("--latency-scale", "0")
    yield url
    proc.terminate()
    proc.wait(10)


def test_fault_run_every_row_exactly_once_and_nothing_sent_twice(sim_proc):
    url = sim_proc
    httpx.post(f"{url}/_sim/reset", timeout=10)
    faults = {"rate_limit": 0.10, "server_error": 0.03, "overloaded": 0.02, "connection_reset": 0.01,
              "stream_disconnect": 0.01, "malformed_chunk": 0.01}
    httpx.post(f"{url}/_sim/faults", json={"faults": faults, "retry_after_s": 0.05}, timeout=10).raise_for_status()
    n = 1000
    prompts = pd.DataFrame({"prompt": [f"Question {i}: what is {i} + {i}?" for i in range(n)], "qid": range(n)})
    client = sim_client(url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        ev = client.evaluate(prompts, FIVE, stream=True, progress=False, max_tokens=64)
        wall = time.perf_counter() - t0
    df = ev.df
    assert len(df) == n * 5
    assert not df.duplicated(["qid", "model"]).any()
    assert set(df["model"]) == set(FIVE)
    ok = df["error_kind"].isna()
    # every failure is a row that exhausted its retries on a retryable error, never a lost row (throttled attempts,
    # 429 and 529, are retried outside the budget of 5, so a row throttled on the way has more)
    failed = df[~ok]
    assert (failed["attempts"] >= 5).all(), failed[["error_kind", "attempts"]]
    assert ok.mean() > 0.97
    stats = sim_stats(url)
    assert stats["duplicates"] == 0
    assert df["attempts"].sum() >= stats["completed"]
    print(f"fault run: {len(df)} rows, {int(df['attempts'].sum() - len(df))} retries, "
          f"{ok.sum()} ok, wall {wall:.1f}s, sim received {stats['received']}")
    httpx.post(f"{url}/_sim/faults", json={"faults": {}}, timeout=10)


RESUME_SCRIPT = textwrap.dedent("""
    import sys, warnings, pandas as pd, multimodel as mm
    url, cache, out = sys.argv[1], sys.argv[2], sys.argv[3]
    providers = {p: {"base_url": f"{url}/{p}/v1", "api_key": "sim-key", "dialect": p, "concurrency": 8}
                 for p in ("openai", "anthropic", "gemini", "xai", "deepseek")}
    client = mm.Client(providers=providers, cache=cache)
    prompts = pd.DataFrame({"prompt": [f"Resume question {i}" for i in range(1000)], "qid": range(1000)})
    models = ["openai/gpt-5-mini", "anthropic/claude-haiku-4-5", "gemini/gemini-3-flash-preview", "xai/grok-3-mini",
              "deepseek/deepseek-flash"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = client.evaluate(prompts, models, progress=False, max_tokens=16)
    ev.df[["qid", "model", "cached", "error_kind"]].to_json(out, orient="records")
""")


def test_kill_minus_nine_then_resume_sends_only_what_is_missing(tmp_path):
    proc, url = start_sim_process("--latency-scale", "0.02")
    try:
        script = tmp_path / "run.py"
        script.write_text(RESUME_SCRIPT)
        cache = str(tmp_path / "cache.sqlite")
        out = tmp_path / "out.json"
        child = subprocess.Popen([sys.executable, str(script), url, cache, str(out)], cwd=ROOT)
        deadline = time.time() + 120
        while sim_stats(url)["completed"] < 1500 and time.time() < deadline:
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        first = sim_stats(url)
        assert 0 < first["completed"] < 5000, "the kill must land mid-run"
        in_flight_bound = first["received"] - first["completed"]
        subprocess.run([sys.executable, str(script), url, cache, str(out)], cwd=ROOT, check=True, timeout=300)
        second = sim_stats(url)
        rows = pd.DataFrame(json.loads(out.read_text()))
        assert len(rows) == 5000 and not rows.duplicated(["qid", "model"]).any()
        assert rows["error_kind"].isna().all()
        resent = second["received"] - first["received"]
        missing = 5000 - first["completed"]
        # only the missing requests plus those in flight at the kill (answered but not yet stored) go out again
        assert resent <= missing + in_flight_bound + 40, (resent, missing, in_flight_bound)
        # rows recovered from the same run are its own live rows, not cache replays
        assert not rows["cached"].any()
        print(f"resume: completed before kill {first['completed']}, re-sent {resent} for {missing} missing")
    finally:
        proc.terminate()
        proc.wait(10)


TWO_WRITERS = textwrap.dedent("""
    import sys, warnings, multimodel as mm
    url, cache, tag = sys.argv[1], sys.argv[2], sys.argv[3]
    providers = {p: {"base_url": f"{url}/{p}/v1", "api_key": "sim-key", "dialect": p} for p in ("openai", "xai")}
    client = mm.Client(providers=providers, cache=cache)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = client.evaluate([f"{tag} prompt {i}" for i in range(300)] + [f"shared prompt {i}" for i in range(100)],
                             ["openai/gpt-5-mini", "xai/grok-3-mini"], progress=False, max_tokens=16)
    assert len(ev.df) == 800 and ev.df["error_kind"].isna().all(), ev.df["error_kind"].value_counts()
""")


def test_two_processes_share_one_cache(sim_proc, tmp_path):
    script = tmp_path / "w.py"
    script.write_text(TWO_WRITERS)
    cache = str(tmp_path / "shared.sqlite")
    procs = [subprocess.Popen([sys.executable, str(script), sim_proc, cache, tag], cwd=ROOT) for tag in "ab"]
    assert [p.wait(300) for p in procs] == [0, 0]
    store = mm.Client(cache=cache).cache
    assert len(store) >= 2 * 600 + 200  # both runs' own rows plus the shared prompts, readable afterwards


def test_canary_key_absent_from_frames_exports_cache_and_reprs(sim_proc, tmp_path, capfd):
    cache = tmp_path / "c.sqlite"
    client = sim_client(sim_proc, cache=str(cache), key=CANARY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ev = client.evaluate(["hi", "there"], ["openai/gpt-5-mini", "deepseek/deepseek-flash"], progress=True,
                             scorers=[mm.scorers.valid_json()])
        cmp = client.compare("hi", ["openai/gpt-5-mini"])
    ev.to_csv(tmp_path / "e.csv")
    ev.to_jsonl(tmp_path / "e.jsonl")
    ev.to_parquet(tmp_path / "e.parquet")
    blobs = [p.read_bytes() for p in tmp_path.iterdir() if p.is_file()]
    texts = [repr(ev), ev._repr_html_(), ev.df.to_string(), repr(cmp), cmp._repr_html_(), repr(client),
             *[str(w.message) for w in caught], *capfd.readouterr()]
    assert all(CANARY not in t for t in texts)
    assert all(CANARY.encode() not in b for b in blobs)
    stats = httpx.get(f"{sim_proc}/_sim/requests", timeout=10).text
    assert CANARY not in stats


def test_budget_refuses_then_stops_at_the_spend(sim_proc):
    client = sim_client(sim_proc)
    with pytest.raises(mm.ConfigError, match=r"exceeds budget_usd=\$0\.0001; set max_tokens, raise the budget, or "
                                             r"pass budget_override=True"):
        client.evaluate([f"p{i}" for i in range(50)], ["openai/gpt-5.4"], budget_usd=0.0001, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = client.evaluate([f"budget p{i}" for i in range(60)], ["openai/gpt-5.4"], budget_usd=0.002,
                             budget_override=True, progress=False, concurrency=1, max_tokens=64)
    df = ev.df
    assert len(df) == 60
    spent = df["cost_usd"].sum()
    budget = df[df["error_kind"] == "budget"]
    assert len(budget) > 0
    # every row is either answered and paid for, or refused unsent because the budget was reached
    assert set(df["error_kind"].dropna()) == {"budget"}
    assert (budget["attempts"] == 0).all() and (budget["finish_reason"] == "error").all()
    assert set(budget["error_message"]) == {"not sent: the budget of $0.002 was reached"}
    assert budget["cost_usd"].isna().all() and df.loc[df["error_kind"].isna(), "cost_usd"].gt(0).all()
    assert spent >= 0.002 and spent < 0.002 + df["cost_usd"].max() + 1e-12


def test_fallback_answers_and_is_recorded(sim_proc):
    client = sim_client(sim_proc)
    cmp = client.compare("hello", ["openai/no-such-model"],
                         fallbacks={"openai/no-such-model": ["deepseek/deepseek-flash"]})
    r = cmp.results[0]
    assert r.error is None and r.model == "openai/no-such-model" and r.answered_by == "deepseek/deepseek-flash"


def test_routing_by_task_and_scores_with_summary(sim_proc):
    client = sim_client(sim_proc)
    prompts = pd.DataFrame({"prompt": ["Think hard about 17*23", "Extract the name: Ada Lovelace wrote notes"],
                            "task": ["complex_reasoning", "bulk_extraction"], "expected": ["391", "Ada"]})
    routes = {"complex_reasoning": "deepseek/deepseek-flash", "bulk_extraction": "openai/gpt-5-mini"}
    ev = client.evaluate(prompts, routes=routes, repeats=3, progress=False,
                         scorers=[mm.scorers.contains(), mm.scorers.regex(r"simulated")])
    df = ev.df
    assert len(df) == 6
    assert dict(zip(df["task"], df["model"], strict=False)) == routes
    assert set(df["repeat"]) == {0, 1, 2}
    # the simulator echoes the prompt: "Ada" is in the extraction answers, "391" in none of the reasoning ones
    assert df.groupby("model")["contains"].apply(list).to_dict() == {
        "deepseek/deepseek-flash": [0.0, 0.0, 0.0], "openai/gpt-5-mini": [1.0, 1.0, 1.0]}
    assert (df["regex"] == 1.0).all()
    summary = ev.summary().set_index("model")
    assert set(summary.index) == set(routes.values())
    for model, want in (("deepseek/deepseek-flash", 0.0), ("openai/gpt-5-mini", 1.0)):
        row = summary.loc[model]
        rows = df[df["model"] == model]
        assert (row["n"], row["errors"], row["error_rate"], row["live_rows"]) == (3, 0, 0.0, 3)
        # three samples of one prompt: the mean, but no interval (one cluster has no spread to estimate)
        assert row["contains_mean"] == want and row["regex_mean"] == 1.0
        assert (row["contains_prompts"], row["contains_samples"]) == (1, 3)
        assert pd.isna(row["contains_se"]) and pd.isna(row["contains_ci95_low"]) and pd.isna(row["regex_ci95_high"])
        # not streamed: no first token was observed, so no TTFT quantile, and the summary says why
        assert row["streamed_rows"] == 0 and pd.isna(row["ttft_p50_s"]) and pd.isna(row["ttft_p95_s"])
        assert row["e2e_p95_s"] == rows["e2e_s"].quantile(0.95) and row["e2e_p95_s"] >= row["e2e_p50_s"] > 0
        assert row["cost_usd_total"] == pytest.approx(rows["cost_usd"].sum(), rel=1e-12) and row["cost_usd_total"] > 0
        assert row["cost_usd_mean"] == pytest.approx(row["cost_usd_total"] / 3, rel=1e-12)
        assert row["completion_tokens_total"] == rows["completion_tokens"].sum()
        assert row["completion_tokens_mean"] == pytest.approx(rows["completion_tokens"].sum() / 3)
        assert row["reasoning_tokens_total"] == rows["reasoning_tokens"].sum()
    assert ev.summary().attrs["notes"] == [
        "ttft_p50_s and ttft_p95_s are NaN for deepseek/deepseek-flash, openai/gpt-5-mini: no request was streamed, "
        "so the first token's time was not observed; pass stream=True to measure it",
        "contains_se and the CIs: standard errors clustered by prompt (a prompt's repeats are not independent "
        "samples), Student-t intervals on clusters - 1 degrees of freedom"]
    # and a print of the summary says so under the table, in text and in Jupyter's HTML
    assert "\n\nNote: ttft_p50_s and ttft_p95_s are NaN for deepseek/deepseek-flash" in repr(ev.summary())
    assert "<p><i>Note: ttft_p50_s and ttft_p95_s are NaN" in ev.summary()._repr_html_()
    assert "Note:" not in repr(ev.summary()[["model", "e2e_p50_s"]])  # not under a table without the column


INTERRUPT_SCRIPT = textwrap.dedent("""
    import signal, sys, warnings, multimodel as mm
    # a shell that started the test run in the background made SIGINT ignored, and Python keeps it so: restore
    # the interrupt a kernel's stop button sends
    signal.signal(signal.SIGINT, signal.default_int_handler)
    url = sys.argv[1]
    providers = {"openai": {"base_url": f"{url}/openai/v1", "api_key": "sim-key", "concurrency": 4}}
    client = mm.Client(providers=providers, cache=False)
    print("ready", flush=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ev = client.evaluate([f"interrupt me {i}" for i in range(400)], ["openai/gpt-4.1-mini"], progress=False)
    print(len(ev.df), ev.interrupted, ev.df["error_kind"].isna().all(),
          any("interrupted" in str(w.message) for w in caught), flush=True)
    print(ev.df["error_kind"].value_counts().to_dict(), ev.df["error_message"].dropna().head(3).tolist(),
          [str(w.message)[:200] for w in caught if "deprecated" not in str(w.message)], flush=True)
""")


def test_keyboard_interrupt_returns_the_partial_results(tmp_path):
    proc, url = start_sim_process("--latency-scale", "0.3")
    try:
        script = tmp_path / "interrupt.py"
        script.write_text(INTERRUPT_SCRIPT)
        child = subprocess.Popen([sys.executable, str(script), url], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        deadline = time.time() + 60
        while sim_stats(url)["completed"] < 12 and time.time() < deadline:
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)  # what the kernel's stop button does
        out, _ = child.communicate(timeout=60)
        n, interrupted, all_ok, warned = out.splitlines()[0].split()
        assert (interrupted, all_ok, warned) == ("True", "True", "True"), out
        # the simulator counts an answer written; the client may still be reading up to `concurrency` (4) of them
        assert 12 - 4 <= int(n) < 400
        received = sim_stats(url)["received"]
        time.sleep(0.5)
        assert sim_stats(url)["received"] == received  # nothing more is sent after the interrupt
    finally:
        proc.terminate()
        proc.wait(10)


# ---------------------------------------------------------------------------------- processes sharing one evaluation
SHARED_RUN = textwrap.dedent("""
    import json, os, sys, time, warnings, multimodel as mm
    providers, cache, go = json.loads(sys.argv[1]), sys.argv[2], sys.argv[4]
    n, lease = int(sys.argv[3]), float(sys.argv[5])
    client = mm.Client(providers=providers, cache=cache, retries=0)
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = client.evaluate([f"shared row {i}" for i in range(n)], ["xai/grok-3-mini", "openai/gpt-4.1-mini"],
                             fallbacks={"openai/gpt-4.1-mini": ["deepseek/deepseek-flash"]}, progress=False,
                             max_tokens=16, claim_lease_s=lease)
    df = ev.df
    print(json.dumps({"rows": len(df), "errors": int(df["error_kind"].notna().sum()),
                      "fallback_rows": int((df["answered_by"] != df["model"]).sum())}), flush=True)
""")


@pytest.fixture
def shared_sim():
    """An in-process simulator the worker processes share (its counters see every process's requests), with the
    fallback chain's primary failing every time."""
    with mm.sim.start(latency_scale=0.05) as sim:
        sim.set_faults({"server_error": 1.0}, provider="openai", model="gpt-4.1-mini")
        yield sim


def shared_workers(sim, tmp_path: Path, count: int, n: int, lease: float = 2.0) -> tuple[list[subprocess.Popen], Path]:
    """``count`` interpreters loaded and waiting on the same evaluation and cache file; touch the returned path to
    start them all at once."""
    providers = {p: {"base_url": sim.base_url(p), "api_key": "k", "dialect": p} for p in ("openai", "xai", "deepseek")}
    script, go = tmp_path / "shared.py", tmp_path / "go"
    script.write_text(SHARED_RUN)
    procs = [subprocess.Popen([sys.executable, str(script), json.dumps(providers), str(tmp_path / "cache.sqlite"),
                               str(n), str(go), str(lease)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
             for _ in range(count)]
    assert all(p.stdout.readline().strip() == "ready" for p in procs)
    return procs, go


def test_three_processes_on_one_evaluation_send_every_request_once(shared_sim, tmp_path):
    n = 60  # rows: n plain ones, n answered by a fallback after their primary's 500
    procs, go = shared_workers(shared_sim, tmp_path, 3, n)
    go.touch()
    outs = [json.loads(p.communicate(timeout=120)[0].strip().splitlines()[-1]) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert outs == [{"rows": 2 * n, "errors": 0, "fallback_rows": n}] * 3  # every process has every row
    stats = shared_sim.stats()
    # one request per plain row, two per fallback row (the failing primary, then the fallback): none twice
    assert stats["received"] == n + 2 * n and stats["duplicates"] == 0, stats["by_model"]
    with sqlite3.connect(tmp_path / "cache.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0  # every claim released
        assert conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == n  # one per fallback row


def test_a_killed_claimers_leases_lapse_and_another_process_finishes_every_row(shared_sim, tmp_path):
    n = 150
    (first,), go = shared_workers(shared_sim, tmp_path, 1, n, lease=1.5)
    go.touch()
    deadline = time.time() + 60
    while shared_sim.stats()["completed"] < 40 and time.time() < deadline:
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    at_kill = shared_sim.stats()
    with sqlite3.connect(tmp_path / "cache.sqlite") as conn:
        held = conn.execute("SELECT COUNT(*) FROM claims WHERE expires > ?", (time.time(),)).fetchone()[0]
    assert held > 0, "the kill must leave live claims for the next process to wait out"
    (second,), _ = shared_workers(shared_sim, tmp_path, 1, n, lease=1.5)  # its start file exists: it starts at once
    out = json.loads(second.communicate(timeout=120)[0].strip().splitlines()[-1])
    assert second.returncode == 0 and out == {"rows": 2 * n, "errors": 0, "fallback_rows": n}
    resent = shared_sim.stats()["received"] - at_kill["received"]
    missing = 3 * n - at_kill["completed"]
    in_flight = at_kill["received"] - at_kill["completed"]  # answered or not, never stored by the killed process
    assert resent <= missing + in_flight, (resent, missing, in_flight)


def test_a_finished_evaluation_with_fallbacks_sends_nothing_when_run_again(tmp_path):
    with mm.sim.start(latency_scale=0) as sim:
        sim.set_faults({"server_error": 1.0}, provider="openai", model="gpt-4.1-mini")
        providers = {p: {"base_url": sim.base_url(p), "api_key": "k", "dialect": p} for p in ("openai", "deepseek")}
        client = mm.Client(providers=providers, cache=str(tmp_path / "c.sqlite"), retries=0)
        args = ([f"fallback row {i}" for i in range(20)], ["openai/gpt-4.1-mini"])
        kwargs = {"fallbacks": {"openai/gpt-4.1-mini": ["deepseek/deepseek-flash"]}, "progress": False}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first = client.evaluate(*args, **kwargs).df
            sent = sim.stats()["received"]
            again = client.evaluate(*args, **kwargs).df
        assert sent == 40 and sim.stats()["received"] == sent  # the re-run sent nothing, the failing primary included
        for df in (first, again):
            assert df["error_kind"].isna().all() and (df["model"] == "openai/gpt-4.1-mini").all()
            assert (df["answered_by"] == "deepseek/deepseek-flash").all()
        assert list(again["content"]) == list(first["content"])
        client.close()


# ---------------------------------------------------------------------------------- honest tables
def test_summary_names_totals_and_means_and_counts_are_integers(sim_proc):
    client = sim_client(sim_proc)
    ev = client.evaluate(["one", "two", "three"], ["openai/gpt-4.1-mini", "deepseek/deepseek-flash"], stream=True,
                         progress=False, max_tokens=400)
    df, summary = ev.df, ev.summary()
    assert list(summary.columns[:17]) == ["model", "n", "errors", "error_rate", "fallback_rate", "live_rows",
                                          "streamed_rows",
                                          "ttft_p50_s", "ttft_p95_s", "e2e_p50_s", "e2e_p95_s", "prompt_tokens_total",
                                          "completion_tokens_total", "reasoning_tokens_total",
                                          "completion_tokens_mean", "cost_usd_total", "cost_usd_mean"]
    for name in ("prompt_tokens_total", "completion_tokens_total", "reasoning_tokens_total"):
        assert summary[name].dtype == "Int64", name  # counts print as 231, not 231.0
    for name in ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens", "error_status"):
        assert df[name].dtype == "Int64", name
    assert str(df["created_at"].dtype) == "datetime64[us, UTC]" and df["created_at"].notna().all()
    assert summary.attrs["notes"] == []  # every row streamed: TTFT was measured
    for model, row in summary.set_index("model").iterrows():
        rows = df[df["model"] == model]
        assert row["streamed_rows"] == 3 and row["ttft_p50_s"] == rows["ttft_s"].quantile(0.5) > 0
        assert row["cost_usd_total"] == pytest.approx(rows["cost_usd"].sum(), rel=1e-12)
        assert row["cost_usd_mean"] == pytest.approx(rows["cost_usd"].mean(), rel=1e-12)
    totals = summary[["prompt_tokens_total", "completion_tokens_total", "reasoning_tokens_total"]].to_string()
    assert "." not in totals and totals.split()[-1].isdigit()  # printed as whole numbers
    # the names before total/mean were spelled out still read, with a FutureWarning at the caller's line
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = summary["cost_usd"]
        pair = summary[["model", "cost_per_request_usd"]]
        row_value = summary.set_index("model").loc["openai/gpt-4.1-mini"]["completion_tokens"]
        attribute = summary.reasoning_tokens
    assert old.tolist() == summary["cost_usd_total"].tolist()
    assert list(pair.columns) == ["model", "cost_usd_mean"]
    assert row_value == summary.set_index("model").loc["openai/gpt-4.1-mini", "completion_tokens_total"]
    assert attribute.tolist() == summary["reasoning_tokens_total"].tolist()
    assert [type(w.message) for w in caught] == [FutureWarning] * 4
    assert {w.filename for w in caught} == {__file__}
    assert "'cost_usd' is now 'cost_usd_total'" in str(caught[0].message)


def test_ev_df_leads_with_prompt_model_answer_scores_then_times(sim_proc):
    client = sim_client(sim_proc)
    prompts = pd.DataFrame({"prompt": ["Ada wrote notes"], "expected": ["Ada"], "task": ["extract"]})
    ev = client.evaluate(prompts, ["openai/gpt-5-mini"], progress=False, scorers=[mm.scorers.contains()],
                         max_tokens=16)
    cols = list(ev.df.columns)
    assert cols[:7] == ["prompt_index", "repeat", "model", "answered_by", "prompt", "content", "contains"]
    assert cols[7:16] == ["ttft_s", "e2e_s", "prompt_tokens", "completion_tokens", "reasoning_tokens", "cost_usd",
                          "error", "finish_reason", "stream"]
    assert cols[16:18] == ["expected", "task"]
    assert len(cols) == len(set(cols)) and set(mm.results.COLUMN_NAMES) <= set(cols) if hasattr(
        mm, "results") else True
    with pd.option_context("display.max_columns", 20, "display.width", 80):
        text = repr(ev.df)
    for name in ("model", "prompt", "content", "contains", "ttft_s", "e2e_s", "completion_tokens", "cost_usd",
                 "error"):
        assert name in text, name


@pytest.mark.parametrize("export", ["to_csv", "to_parquet", "to_jsonl"])
def test_exports_create_their_folder(sim_proc, tmp_path, export):
    client = sim_client(sim_proc)
    ev = client.evaluate(["hi"], ["openai/gpt-5-mini"], progress=False, max_tokens=16)
    target = tmp_path / "out" / "deeper" / f"x.{export[3:]}"
    assert getattr(ev, export)(target) == target and target.stat().st_size > 0
    assert getattr(ev, export)(str(target)) == target  # a string path works, and writing again replaces it
    if export == "to_parquet":
        back = pd.read_parquet(target)
        assert str(back["created_at"].dtype) == "datetime64[us, UTC]" and back["prompt_tokens"].dtype == "Int64"
    elif export == "to_jsonl":
        row = json.loads(target.read_text().splitlines()[0])
        assert row["created_at"].endswith("Z") and "T" in row["created_at"] and row["ttft_s"] is None
    else:
        back = pd.read_csv(target)
        assert pd.to_datetime(back["created_at"]).dt.tz is not None


# ---------------------------------------------------------------------------------- the progress bar
MODELS6 = ["openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "deepseek/deepseek-flash",
           "gemini/gemini-3-flash-preview", "xai/grok-4.3", "openrouter/meta-llama/llama-4-maverick"]


def render_bar(width: int, models: list[str], *, errors: int = 3, spent: float = 0.01234, elapsed_s: float = 30.0,
               simulated: bool = True) -> str:
    """The progress line as tqdm draws it on a terminal of ``width`` columns, mid-run."""
    from io import StringIO

    from multimodel.batch import RunState, _update_bar, progress_bar

    out = StringIO()
    bar = progress_bar(100 * len(models), True, "evaluate (SIMULATED)" if simulated else "evaluate", file=out,
                        ncols=width, mininterval=0, ascii=True)
    bar.start_t -= elapsed_s
    state = RunState(results=[], per_model_total={m: 100 for m in models}, errors=errors, spent_usd=spent)
    state.per_model = {m: 30 + 10 * i for i, m in enumerate(models)}
    state.done = sum(state.per_model.values())
    _update_bar(bar, state)
    line = out.getvalue().split("\r")[-1].rstrip("\n")
    bar.close()
    return line


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("count", [2, 3, 6])
def test_progress_bar_stays_readable(width, count):
    line = render_bar(width, MODELS6[:count])
    assert len(line) <= width
    bar = line.split("|")[1]
    assert len(bar) >= 10, line  # the bar itself keeps room to move (it was squeezed to one character)
    assert line.startswith("evaluate (SIMULATED):") and f"/{100 * count} [" in line
    assert "3 errors" in line or "3 err" in line
    assert "$0.0123" in line and line.endswith("]")  # the postfix is never cut off mid-way
    if width == 120:
        assert "slowest gpt-5.4 30/100" in line  # the model furthest behind, with its rows


def test_progress_bar_postfix_gives_way_before_the_bar():
    wide, narrow = render_bar(200, MODELS6), render_bar(70, MODELS6, errors=1, spent=123.4567)
    assert "req/s" in wide and "slowest gpt-5.4 30/100" in wide
    assert len(narrow) <= 70 and len(narrow.split("|")[1]) >= 10, narrow
    assert "slowest" not in narrow and "req/s" not in narrow
    assert "slowest" not in render_bar(120, MODELS6[:1])  # one model: nothing to compare


def test_progress_bar_renders_in_an_evaluation(sim_proc, capsys):
    client = sim_client(sim_proc)
    client.evaluate(["a", "b"], ["openai/gpt-5-mini", "deepseek/deepseek-flash"], progress=True, max_tokens=16)
    err = capsys.readouterr().err
    assert "evaluate" in err and "4/4" in err and "0 errors" in err
