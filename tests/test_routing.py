"""Routing (multimodel/routing.py) on a simulated client's RequestPreparer: nothing is sent, every candidate's
request is only built. Parsing of models="auto:N", Router validation, which candidates are chosen or excluded
and why, ordering by list price, the known models per provider kind, and refusals naming the takers."""

from __future__ import annotations

import math
import warnings

import pytest

import multimodel as mm
from multimodel import pricing
from multimodel.config import build_provider
from multimodel.providers.capabilities import UnsupportedInputError
from multimodel.request import RequestPreparer
from multimodel.routing import (
    DEFAULT_CANDIDATES,
    Route,
    Router,
    as_router,
    default_candidates,
    known_models,
    prepare_naming_takers,
    route,
    route_or_raise,
    routing_kwargs,
    takers,
)
from multimodel.sim.catalogue import CATALOGUE
from multimodel.sim.media import sample_wav

WAV = sample_wav()
AUDIO = ["Transcribe this.", mm.audio(WAV)]
AUDIO_NEED = "audio clip (audio/wav, 4.8 kB)"


@pytest.fixture(scope="module")
def client():
    c = mm.Client.simulated(latency_scale=0)
    yield c
    c.sim.stop()


@pytest.fixture(scope="module")
def preparer(client):
    return client.requests


def decisions(r: Route) -> dict[str, tuple[bool, str]]:
    return {d.model: (d.chosen, d.reason) for d in r.decisions}


# ---------------------------------------------------------------------------------- as_router and Router
@pytest.mark.parametrize(("models", "n"), [("auto", 1), ("auto:1", 1), ("auto:3", 3), ("auto:12", 12)])
def test_as_router_parses_auto(models, n):
    router = as_router(models)
    assert isinstance(router, Router)
    assert (router.n, router.prefer, router.candidates, router.allow_unknown) == (n, "order", None, False)
    assert repr(router) == f"<Router n={n} prefer='order' candidates=default>"


def test_as_router_passes_a_router_through_and_ignores_model_lists():
    router = Router(["openai/gpt-5.4"], n=1)
    assert as_router(router) is router
    assert as_router(["openai/gpt-5.4", "auto"]) is None
    assert as_router("openai/gpt-5.4") is None
    assert as_router("automatic") is None  # not the auto form: a model string, checked elsewhere
    assert as_router(None) is None


@pytest.mark.parametrize("models", ["auto:0", "auto:x", "auto:-1", "auto:2.5", "auto: 3", "auto:3:4"])
def test_as_router_refuses_bad_forms(models):
    with pytest.raises(mm.ConfigError) as exc:
        as_router(models)
    assert str(exc.value) == f"models={models!r}: write 'auto' or 'auto:N' with N >= 1, e.g. 'auto:3'"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"candidates": "openai/gpt-5.4"}, "candidates must be a list of 'provider/model-id' strings, not one string"),
    ({"n": 0}, "a router picks n >= 1 models; got n=0"),
    ({"n": True}, "a router picks n >= 1 models; got n=True"),
    ({"n": 2.0}, "a router picks n >= 1 models; got n=2.0"),
    ({"prefer": "fastest"}, "prefer='fastest': use one of ('order', 'cheapest') or a function model -> sort key"),
])
def test_router_validation(kwargs, message):
    with pytest.raises(mm.ConfigError) as exc:
        Router(**kwargs)
    assert str(exc.value) == message


def test_router_keeps_its_settings():
    router = Router(("a/x", "b/y"), n=2, prefer="cheapest", allow_unknown=True)
    assert (router.candidates, router.n, router.prefer, router.allow_unknown) == (["a/x", "b/y"], 2, "cheapest", True)
    assert Router(prefer=None).prefer == "order"
    assert repr(router) == "<Router n=2 prefer='cheapest' candidates=2>"


def test_routing_kwargs_keeps_what_changes_the_request():
    kwargs = {"stream": True, "tools": None, "seed": 3, "cache": False, "retries": 0, "timeout": 5,
              "on_unsupported": "skip", "on_delta": print, "temperature": 0}
    assert routing_kwargs(kwargs) == {"stream": True, "seed": 3, "temperature": 0}


# ---------------------------------------------------------------------------------- route
def test_route_chooses_the_candidates_that_take_audio_and_says_why(preparer):
    candidates = ["openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "gemini/gemini-3-flash-preview", "openai/gpt-audio",
                  "nope/x"]
    r = route(preparer, AUDIO, Router(candidates, n=1))
    assert r.needs == [AUDIO_NEED]
    assert r.models == ["gemini/gemini-3-flash-preview"] and r.model == "gemini/gemini-3-flash-preview"
    assert [d.model for d in r.decisions] == candidates  # one per candidate, in the order given
    got = decisions(r)
    assert got["gemini/gemini-3-flash-preview"] == (True, f"accepts {AUDIO_NEED}; #1 of 2 eligible in the order given")
    assert got["openai/gpt-audio"] == (False, "eligible, not chosen: #2 in the order given, only 1 wanted")
    chosen, reason = got["anthropic/claude-sonnet-4-6"]
    assert not chosen and reason.startswith(f"excluded: would not receive {AUDIO_NEED}: Anthropic silently drops it")
    chosen, reason = got["openai/gpt-5.4"]
    assert not chosen and reason.startswith(f"excluded: would not receive {AUDIO_NEED}: OpenAI rejects it")
    chosen, reason = got["nope/x"]
    assert not chosen and reason.startswith("excluded: unknown provider 'nope' in model 'nope/x'")
    assert r.reason("openai/gpt-audio") == got["openai/gpt-audio"][1]
    assert r.reason("not/a-candidate") is None
    assert list(r.df.columns) == ["model", "chosen", "reason"]
    assert r.df["chosen"].tolist() == [False, False, True, False, False]


def test_route_with_n_takes_every_eligible_model_in_order(preparer):
    r = route(preparer, AUDIO, Router(["anthropic/claude-sonnet-4-6", "openai/gpt-audio",
                                       "gemini/gemini-3-flash-preview"], n=3))
    assert r.models == ["openai/gpt-audio", "gemini/gemini-3-flash-preview"]
    assert decisions(r)["gemini/gemini-3-flash-preview"] == (
        True, f"accepts {AUDIO_NEED}; #2 of 2 eligible in the order given")


def test_route_text_only_and_duplicates(preparer):
    r = route(preparer, "hi", Router(["xai/grok-4.3", "xai/grok-4.3", "deepseek/deepseek-flash"], n=5))
    assert r.needs == []
    assert r.models == ["xai/grok-4.3", "deepseek/deepseek-flash"]
    assert [d.model for d in r.decisions] == ["xai/grok-4.3", "deepseek/deepseek-flash"]
    assert decisions(r)["xai/grok-4.3"] == (True, "text only: every candidate qualifies; #1 of 2 eligible in the "
                                                  "order given")


def test_route_counts_request_arguments_as_needs(preparer):
    tools = [{"name": "get_weather", "parameters": {"type": "object", "properties": {}}}]
    r = route(preparer, "weather?", Router(["openai/gpt-5.4"]), stream=True, tools=tools)
    assert r.needs == ["1 tool definition(s)", "tool calls in a stream"]
    assert r.models == ["openai/gpt-5.4"]
    # a parameter the dialect would remove for this model excludes it too
    r = route(preparer, "hi", Router(["openai/gpt-5.4", "deepseek/deepseek-flash"]), reasoning="high", logprobs=True)
    assert r.models == ["deepseek/deepseek-flash"]
    assert decisions(r)["openai/gpt-5.4"][1].startswith("excluded: would not receive logprobs=True")


def test_route_refuses_unknown_arguments_and_an_empty_pool(preparer):
    with pytest.raises(mm.ConfigError, match=r"route\(\) got unknown request argument\(s\) \['colour'\]; it takes "
                                             r"the arguments of complete\(\)"):
        route(preparer, "hi", Router(["openai/gpt-5.4"]), colour="red")
    with pytest.raises(mm.ConfigError, match=r"the router has no candidates: pass candidates=\[\.\.\.\] or configure"):
        route(preparer, "hi", Router([]))
    with pytest.raises(mm.ConfigError, match="the prompt is empty"):
        route(preparer, "", Router(["openai/gpt-5.4"]))


def test_route_excludes_a_provider_without_a_key(monkeypatch):
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    providers = {"openai": build_provider("openai", {"api_key": "k"}), "xai": build_provider("xai", None)}
    r = route(RequestPreparer(providers), "hi", Router(["xai/grok-4.3", "openai/gpt-5.4"]))
    assert r.models == ["openai/gpt-5.4"]
    assert decisions(r)["xai/grok-4.3"] == (False, "excluded: no API key for xai (set XAI_API_KEY)")


def test_route_allow_unknown_admits_an_unsettled_input():
    providers = {"local": build_provider("local", {"base_url": "http://127.0.0.1:9/v1", "api_key": "k"})}
    prep = RequestPreparer(providers)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        strict = route(prep, AUDIO, Router(["local/qwen-omni"]))
        lenient = route(prep, AUDIO, Router(["local/qwen-omni"], allow_unknown=True))
    assert caught == []  # routing builds requests quietly
    assert strict.models == []
    assert decisions(strict)["local/qwen-omni"] == (
        False, "excluded: its table does not say whether it accepts audio input (input_audio parts) "
               "(Router(allow_unknown=True) admits it)")
    assert lenient.models == ["local/qwen-omni"]


def test_default_candidates_are_the_configured_ones(preparer):
    assert default_candidates(preparer.providers) == list(DEFAULT_CANDIDATES)
    only_two = {"openai": build_provider("openai", {"api_key": "k"}),
                "deepseek": build_provider("deepseek", {"api_key": "k"})}
    assert default_candidates(only_two) == ["openai/gpt-5.4", "deepseek/deepseek-flash", "openai/gpt-audio"]
    r = route(preparer, AUDIO, as_router("auto:2"))
    assert r.models == ["gemini/gemini-3-flash-preview", "openai/gpt-audio"]


# ---------------------------------------------------------------------------------- prefer
def list_price(model: str, providers) -> float:
    provider, model_id = model.split("/", 1)
    price = pricing.price_for(providers[provider], model_id)
    return math.inf if price is None else price.input_per_m + price.output_per_m


def test_prefer_cheapest_orders_by_list_price(preparer):
    candidates = ["anthropic/claude-sonnet-4-6", "openai/no-price-for-this", "openai/gpt-5.4",
                  "gemini/gemini-3-flash-preview", "deepseek/deepseek-flash"]
    r = route(preparer, "hi", Router(candidates, n=5, prefer="cheapest"))
    assert r.models == ["deepseek/deepseek-flash", "gemini/gemini-3-flash-preview", "openai/gpt-5.4",
                        "anthropic/claude-sonnet-4-6", "openai/no-price-for-this"]
    prices = [list_price(m, preparer.providers) for m in r.models]
    assert prices == sorted(prices) and prices[-1] == math.inf  # an unpriced model goes last, not first
    assert prices[:4] == [0.15 + 0.6, 0.5 + 3.0, 2.5 + 15.0, 3.0 + 15.0]
    assert decisions(r)["openai/gpt-5.4"] == (True, "text only: every candidate qualifies; #3 of 5 eligible by "
                                                    "list price now (input + output per 1M)")
    cheapest_one = route(preparer, "hi", Router(candidates, n=1, prefer="cheapest"))
    assert cheapest_one.models == ["deepseek/deepseek-flash"]


def test_prefer_a_key_function(preparer):
    def by_name_length(model: str) -> int:
        return len(model)

    r = route(preparer, "hi", Router(["openai/gpt-5.4", "xai/grok-4.3", "openai/gpt-5-mini"], n=3,
                                     prefer=by_name_length))
    assert r.models == ["xai/grok-4.3", "openai/gpt-5.4", "openai/gpt-5-mini"]
    assert decisions(r)["xai/grok-4.3"][1].endswith("#1 of 3 eligible by by_name_length")
    with pytest.raises(mm.ConfigError, match="must return comparable sort keys"):
        route(preparer, "hi", Router(["openai/gpt-5.4", "xai/grok-4.3"], prefer=lambda m: None))


# ---------------------------------------------------------------------------------- route_or_raise
def test_route_or_raise_lists_every_reason_when_none_qualifies(preparer):
    with pytest.raises(mm.ConfigError) as exc:
        route_or_raise(preparer, AUDIO, Router(["anthropic/claude-sonnet-4-6", "deepseek/deepseek-v4-pro"]))
    msg = str(exc.value)
    assert msg.startswith(f"no candidate model accepts this prompt ({AUDIO_NEED}):\n")
    assert f"  anthropic/claude-sonnet-4-6: excluded: would not receive {AUDIO_NEED}" in msg
    assert f"  deepseek/deepseek-v4-pro: excluded: would not receive {AUDIO_NEED}" in msg
    assert msg.endswith("Add candidates that do (mm.Router(candidates=[...])), or remove what they cannot take.")


def test_route_or_raise_warns_when_fewer_than_n_qualify(preparer):
    with pytest.warns(UserWarning, match=r"only 1 of the 3 models asked for accept this prompt "
                                         r"\(gemini/gemini-3-flash-preview\); see \.route\.df \(evaluate: "
                                         r"ev\.routing\) for the others") as caught:
        r = route_or_raise(preparer, AUDIO, Router(["gemini/gemini-3-flash-preview", "deepseek/deepseek-v4-pro"], n=3))
    assert r.models == ["gemini/gemini-3-flash-preview"]
    assert {w.filename for w in caught if "only 1 of the 3" in str(w.message)} == {__file__}  # the caller's line


# ---------------------------------------------------------------------------------- known models and takers
def test_known_models_of_a_simulated_client_are_the_simulator_catalogue(preparer, client):
    assert known_models(preparer.providers) == [f"{p}/{m}" for p, m in CATALOGUE]
    assert client.known_models() == known_models(preparer.providers)


def test_known_models_of_real_providers_are_the_price_table_rows_as_the_provider_spells_them():
    providers = {"openai": build_provider("openai", {"api_key": "k"}),
                 "anthropic": build_provider("anthropic", {"api_key": "k"}),
                 "local": build_provider("local", {"base_url": "http://127.0.0.1:9/v1", "api_key": "k"})}
    found = known_models(providers)
    assert {m.split("/", 1)[0] for m in found} == {"openai", "anthropic"}  # a custom endpoint names nothing
    assert "anthropic/claude-sonnet-4-6" in found
    # the ids must be the ones the provider accepts (prices.csv spells them "gpt-5.4", "gpt-4.1-mini"):
    # these are offered to the user as models to switch to
    assert "openai/gpt-5.4" in found and "openai/gpt-4.1-mini" in found
    assert "openai/gpt-5-4" not in found and "openai/gpt-4-1-mini" not in found


def test_known_models_mixes_simulated_and_real_providers():
    sim = build_provider("openai", {"base_url": "http://127.0.0.1:9/openai/v1", "api_key": "k"}, simulated=True)
    real = build_provider("anthropic", {"api_key": "k"})
    found = known_models({"openai": sim, "anthropic": real})
    openai_models = [m for m in found if m.startswith("openai/")]
    assert openai_models == [f"openai/{m}" for p, m in CATALOGUE if p == "openai"]  # no price-table rows for it
    assert [m for m in found if m.startswith("anthropic/")] == [
        f"anthropic/{m}" for p, m in pricing.known_models() if p == "anthropic"]


def test_takers_are_known_models_that_take_the_whole_request(preparer):
    found = takers(preparer, AUDIO, {}, exclude="anthropic/claude-sonnet-4-6")
    assert found == ["openai/gpt-audio", "gemini/gemini-3.1-pro-preview", "gemini/gemini-3-flash-preview",
                     "gemini/gemini-4-argon", "gemini/gemini-4-carbon", "gemini/gemini-4-hydrogen"]
    assert takers(preparer, AUDIO, {}, exclude="gemini/gemini-3.1-pro-preview", limit=2) == [
        "openai/gpt-audio", "gemini/gemini-3-flash-preview"]
    assert takers(preparer, AUDIO, {"cache": False, "on_unsupported": "skip"}, exclude="x/y", limit=1) == [
        "openai/gpt-audio"]


def test_prepare_naming_takers_names_them_in_the_refusal(preparer):
    with pytest.raises(UnsupportedInputError) as exc:
        prepare_naming_takers(preparer, "anthropic/claude-sonnet-4-6", AUDIO)
    assert exc.value.takers[:3] == ["openai/gpt-audio", "gemini/gemini-3.1-pro-preview",
                                    "gemini/gemini-3-flash-preview"]
    assert "anthropic/claude-sonnet-4-6" not in exc.value.takers
    assert ("\nModels that accept the whole request: openai/gpt-audio, gemini/gemini-3.1-pro-preview, "
            "gemini/gemini-3-flash-preview, "
            in str(exc.value))
    # what the model can take is prepared as usual, and other mistakes are not dressed up
    taken = prepare_naming_takers(preparer, "gemini/gemini-3-flash-preview", AUDIO)
    assert taken.model == "gemini/gemini-3-flash-preview"
    with pytest.raises(mm.ConfigError, match="the prompt is empty") as plain:
        prepare_naming_takers(preparer, "gemini/gemini-3-flash-preview", "")
    assert not isinstance(plain.value, UnsupportedInputError)
