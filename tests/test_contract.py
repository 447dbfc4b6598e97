"""The public API contract of DESIGN.md section 1, exercised as written, against the simulator."""

from __future__ import annotations

import asyncio
import math
import warnings

import pandas as pd

import multimodel as mm


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

        r = client.complete("deepseek/deepseek-reasoner", "Why is the sky blue?", stream=True, reasoning="medium",
                            tools=None, temperature=0)
        assert isinstance(r, mm.Result) and r.error is None and r.reasoning and r.content
        assert r.finish_reason in ("stop", "length") and r.cost_source == "price_table"
        for name in ("model", "provider", "response_model", "content", "reasoning", "tool_calls", "finish_reason",
                     "prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens", "cost_usd",
                     "cost_source", "ttft_s", "ttfat_s", "e2e_s", "error", "attempts", "cached", "raw"):
            assert hasattr(r, name), name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mm.PriceWarning)
            r2 = asyncio.run(client.acomplete("groq/gpt-4.1-mini", [{"role": "user", "content": "hi"}]))
        assert r2.error is None and r2.provider == "groq"

        sdk = client.openai_client("deepseek")
        out = sdk.chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
        assert out.choices[0].message.content.startswith("[simulated")

        cmp = client.compare("prompt or messages", models=["deepseek/deepseek-chat", "groq/gpt-4.1-mini"])
        assert list(cmp.df["model"]) == ["deepseek/deepseek-chat", "groq/gpt-4.1-mini"]

        prompts = pd.DataFrame({"prompt": ["a", "b"], "expected": ["x", "y"]})
        ev = client.evaluate(prompts, models=["deepseek/deepseek-chat"], scorers=[mm.scorers.contains()], repeats=1,
                             progress=False)
        assert len(ev.df) == 2 and {"expected", "contains", "error_kind", "error_status", "error_message"} <= set(
            ev.df.columns)
        assert sim.stats()["received"] >= 5
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
        for bad in (lambda: client.complete("unknown/x", "hi"), lambda: client.complete("openai/gpt-5.4", ""),
                    lambda: client.compare("hi", models=[]), lambda: client.evaluate([], models=["openai/gpt-5.4"])):
            try:
                bad()
            except mm.ConfigError as exc:
                assert str(exc)
            else:
                raise AssertionError("expected ConfigError")
        assert sim.stats()["received"] == 0
