"""The public API contract of DESIGN.md section 1, exercised as written, against the simulator."""

from __future__ import annotations

import asyncio
import json
import math
import warnings

import pandas as pd
import pytest

import multimodel as mm
from multimodel import pricing


def test_design_section_1_snippet(tmp_path, monkeypatch):
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "XAI_API_KEY",
                "DEEPSEEK_API_KEY", "OPENROUTER_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    client = mm.Client()  # built-in providers, keys from the usual env vars (none set: fine until used)
    assert set(client.providers) >= {"openai", "anthropic", "gemini", "xai", "deepseek", "openrouter"}

    sim = mm.sim.start(faults={"rate_limit": 0.1}, latency_scale=0)
    try:
        assert sim.base_url("deepseek") == f"{sim.url}/deepseek/v1"
        client = mm.Client(providers={
            "deepseek": {"base_url": sim.base_url("deepseek"), "api_key": "k"},
            "groq": {"base_url": sim.base_url("openai"), "api_key_env": "GROQ_API_KEY", "dialect": "openai"},
        }, cache=str(tmp_path / "results.sqlite"))
        monkeypatch.setenv("GROQ_API_KEY", "gk")

        r = client.complete("deepseek/deepseek-flash", "Why is the sky blue?", stream=True, reasoning="medium",
                            tools=None, temperature=0)
        assert isinstance(r, mm.Result) and r.error is None
        # every attribute DESIGN.md section 1 names, with the value or type it must have
        assert (r.model, r.provider, r.response_model) == ("deepseek/deepseek-flash", "deepseek",
                                                           "deepseek-flash")
        assert isinstance(r.content, str) and r.content.startswith("[simulated deepseek-flash]")
        assert isinstance(r.reasoning, str) and r.reasoning.startswith("[simulated reasoning]")
        assert r.tool_calls == [] and r.finish_reason in ("stop", "length")
        for name in ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens"):
            assert type(getattr(r, name)) is int, name
        assert r.prompt_tokens > 0 and r.completion_tokens >= r.reasoning_tokens > 0 and r.cached_tokens >= 0
        price = pricing.price_for(client.providers["deepseek"], "deepseek-flash")
        assert r.cost_source == "price_table"
        assert r.cost_usd == price.cost(r.prompt_tokens, r.completion_tokens, r.cached_tokens) and r.cost_usd > 0
        assert all(type(t) is float for t in (r.ttft_s, r.ttfat_s, r.e2e_s))
        assert 0 <= r.ttft_s <= r.ttfat_s <= r.e2e_s
        assert type(r.attempts) is int and 1 <= r.attempts <= 3  # retries=2 by default; the sim injects 429s
        assert r.cached is False
        assert isinstance(r.raw, str) and r.raw.splitlines()[-1] == "[DONE]"  # the provider's own SSE data lines
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mm.PriceWarning)
            r2 = asyncio.run(client.acomplete("groq/gpt-4.1-mini", [{"role": "user", "content": "hi"}]))
        assert r2.error is None and r2.provider == "groq"

        sdk = client.openai_client("deepseek")
        out = sdk.chat.completions.create(model="deepseek-flash", messages=[{"role": "user", "content": "hi"}])
        assert out.choices[0].message.content.startswith("[simulated")

        cmp = client.compare("prompt or messages", models=["deepseek/deepseek-flash", "groq/gpt-4.1-mini"])
        assert list(cmp.df["model"]) == ["deepseek/deepseek-flash", "groq/gpt-4.1-mini"]

        prompts = pd.DataFrame({"prompt": ["a", "b"], "expected": ["a", "qqzzx"]})
        ev = client.evaluate(prompts, models=["deepseek/deepseek-flash"], scorers=[mm.scorers.contains()], repeats=1,
                             progress=False)
        assert len(ev.df) == 2
        assert ev.df["prompt"].tolist() == ["a", "b"] and ev.df["expected"].tolist() == ["a", "qqzzx"]
        assert ev.df["contains"].tolist() == [1.0, 0.0]  # the simulator echoes the prompt: "You asked “a”"
        assert ev.df["error_kind"].isna().all() and ev.df["error_status"].isna().all()
        assert ev.df["error_message"].isna().all()
        assert sim.stats()["received"] >= 5

        models = client.models()  # "Today's models": the catalogue (status, rules, prices, sources)
        row = models.set_index("model").loc["deepseek/deepseek-flash"]
        assert (row["status"], row["checked"], row["input_per_m"] > 0) == ("current", "2026-11-29", True)
        assert row["source"].startswith("https://") and "medium" in row["reasoning_levels"]
    finally:
        sim.stop()

    with mm.sim.start(latency_scale=0) as own:
        simulated = mm.Client.simulated()
        assert simulated.sim is own  # reuses the running simulator
        res = simulated.complete("openrouter/anthropic/claude-opus-4.7", "hello")
        assert res.simulated and res.cost_source == "provider" and not math.isnan(res.cost_usd)


def test_config_error_on_bad_call_sends_nothing():
    with mm.sim.start(latency_scale=0) as sim:
        client = mm.Client(providers={"openai": {"base_url": sim.base_url("openai"), "api_key": "k"}}, cache=False)
        # each message says how to fix the call, not only what is wrong
        without_fix = []
        for bad, hint in (
            (lambda: client.complete("unknown/x", "hi"),
             "Add it with mm.Client(providers={'unknown': {'base_url': ..., 'api_key_env': ..., "
             "'dialect': 'openai'}})"),
            (lambda: client.complete("openai/gpt-5.4", ""),
             "the prompt is empty: pass a non-empty string or a list of messages"),
            (lambda: client.compare("hi", models=[]),
             "compare() needs at least one model, e.g. models=['openai/gpt-5.4', ...]"),
            (lambda: client.evaluate([], models=["openai/gpt-5.4"]), "prompts is empty: pass "),
        ):
            try:
                bad()
            except mm.ConfigError as exc:
                if hint not in str(exc):
                    without_fix.append(f"{str(exc)!r} lacks {hint!r}")
            else:
                raise AssertionError("expected ConfigError")
        assert sim.stats()["received"] == 0
        assert not without_fix, without_fix


def test_attribution_model_as_requested_answered_by_and_response_model(tmp_path):
    """DESIGN.md section 1's naming on rows: ``model`` is always the model as requested, fallback rows included;
    ``answered_by`` the model that answered (it differs only on a fallback); ``response_model`` what the answering
    provider reported. Two failing primaries: a model the simulator does not serve (its 404, not retryable) and one
    whose every request fails (a 500, with retries=0)."""
    retired, failing, fallback, plain = ("openai/no-such-model", "openai/gpt-4.1-mini", "anthropic/claude-haiku-4-5",
                                         "deepseek/deepseek-flash")
    with mm.sim.start(latency_scale=0) as sim:
        sim.set_faults({"server_error": 1.0}, provider="openai", model="gpt-4.1-mini")
        client = mm.Client(providers={p: {"base_url": sim.base_url(p), "api_key": "k"}
                                      for p in ("openai", "anthropic", "deepseek")}, cache=str(tmp_path / "c.sqlite"))
        try:
            fallbacks = {retired: [fallback], failing: ["openai/also-not-served", fallback]}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", mm.ModelWarning)  # the ids the catalogue does not know: the point here
                warnings.simplefilter("ignore", mm.PriceWarning)
                first = client.compare("hi", [retired, failing, plain], fallbacks=fallbacks, retries=0, live=False)
                again = client.compare("hi", [retired, failing, plain], fallbacks=fallbacks, retries=0, live=False)
                ev = client.evaluate(["one", "two"], [retired, failing, plain], fallbacks=fallbacks, retries=0,
                                     progress=False)
                down = client.compare("hi", [failing], fallbacks={failing: ["openai/also-not-served"]}, retries=0,
                                      live=False)
            for cmp in (first, again):
                rows = cmp.results
                assert [r.error for r in rows] == [None, None, None]
                assert [(r.model, r.answered_by) for r in rows] == [(retired, fallback), (failing, fallback),
                                                                   (plain, plain)]
                for r in rows:  # what the answering provider's own JSON says
                    assert r.response_model == json.loads(r.raw)["model"]
                assert [r.response_model for r in rows] == ["claude-haiku-4-5", "claude-haiku-4-5", "deepseek-flash"]
                assert [r.provider for r in rows] == ["anthropic", "anthropic", "deepseek"]  # the answer's carrier
                assert cmp.df[["model", "answered_by", "response_model"]].values.tolist() == [
                    [retired, fallback, "claude-haiku-4-5"], [failing, fallback, "claude-haiku-4-5"],
                    [plain, plain, "deepseek-flash"]]
                assert cmp[retired] is rows[0] and cmp[plain] is rows[2]
            assert [r.cached for r in again.results] == [True, True, True]  # a replay is attributed as the live row
            assert first.results[1].attempts == 3  # the 500, the 404 of the id not served, the fallback's answer

            df = ev.df
            assert df["error_kind"].isna().all() and df["answered_by"].notna().all()
            assert sorted(set(zip(df["model"], df["answered_by"], strict=True))) == sorted(
                {(retired, fallback), (failing, fallback), (plain, plain)})
            assert set(ev.summary()["model"]) == {retired, failing, plain}  # every model as requested, none answering

            r = down.results[0]  # the whole chain failed: the model as requested, and the last model tried
            assert (r.model, r.answered_by, r.error.kind) == (failing, "openai/also-not-served", "not_found")

            with pytest.warns(FutureWarning, match="answered_by"):
                assert first.results[0].fallback_from == retired  # the old name still reads, for now
            with pytest.warns(FutureWarning, match="answered_by"):
                assert first.df["fallback_from"].tolist() == [retired, failing, None]
        finally:
            client.close()
