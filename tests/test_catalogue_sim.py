"""The client's catalogue (multimodel/data/models.toml) against the simulator's rules (multimodel/sim/rules.py):
two encodings of the providers' behaviour, written apart, held to agree here.

- they agree model by model (status, reasoning levels, what can be turned off, the max-tokens parameter, what
  is rejected while reasoning or always, tools while reasoning); where the simulator accepts a value only
  because nobody has shown the provider refuses it (``unsettled_efforts``), the catalogue stays strict;
- every request the client builds for a served model, at every reasoning level the model takes, streamed
  and not, is accepted;
- every documented rejection is never built by the client, and the same request sent raw gets the
  provider's error from the simulator.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import httpx
import orjson
import pytest

import multimodel as mm
from multimodel import catalogue
from multimodel.options import REASONING_LEVELS
from multimodel.sim.media import sample_wav
from multimodel.sim.rules import RULES

SIM_DIALECTS = ("openai", "anthropic", "gemini", "xai", "deepseek")
#: a value the provider would have to refuse, per parameter (not the parameter's default)
VALUES: dict[str, Any] = {"temperature": 0.3, "top_p": 0.5, "top_k": 5, "logprobs": True, "top_logprobs": 2,
                          "presence_penalty": 0.5, "frequency_penalty": 0.5, "stop": ["END"],
                          "logit_bias": {"50256": -100}, "prediction": {"type": "content", "content": "x"}}
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}


def rules_of(info: catalogue.ModelInfo):
    """The simulator's entry for a catalogue entry (its id, or the id it lists as an alias)."""
    rule = RULES.get((info.provider, info.id))
    if rule is None:
        rule = next((r for (d, _), r in RULES.items() if d == info.provider and info.id in r.aliases), None)
    return rule


ENTRIES = [i for i in catalogue.entries() if not i.family and i.provider in SIM_DIALECTS]
SERVED = [i for i in ENTRIES if i.status != "retired"]


@pytest.fixture(scope="module")
def client():
    c = mm.Client.simulated(latency_scale=0)
    yield c
    c.sim.stop()


def quietly(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


# ---------------------------------------------------------------------------------- the two tables agree
def test_every_catalogue_model_of_a_simulated_provider_has_simulator_rules():
    assert [i.name for i in ENTRIES if rules_of(i) is None] == []
    served = {k for k, r in RULES.items() if r.served and k[0] in SIM_DIALECTS}
    listed = {(i.provider, i.id) for i in SERVED} | {(i.provider, r.id) for i in SERVED if (r := rules_of(i))}
    assert sorted(served - listed) == []  # nothing the simulator serves is missing from the catalogue


@pytest.mark.parametrize("info", ENTRIES, ids=[i.name for i in ENTRIES])
def test_the_catalogue_and_the_simulator_agree(info):
    rule = rules_of(info)
    assert (info.status != "retired") == rule.served
    if info.status == "retired":
        return
    r = info.reasoning
    levels = [lv for lv in r.levels if lv != "none"]
    assert info.max_tokens_param == rule.max_tokens_param
    assert info.tools_while_reasoning == rule.tools_with_reasoning
    if r.control in ("none", "fixed"):
        assert rule.efforts == () and rule.reasons == (r.control == "fixed")
        return
    assert ("none" in r.levels) == rule.can_disable
    assert (r.default not in (None, "none")) == rule.thinking_default
    if r.control == "level":
        documented = [lv for lv in rule.thinking_levels if lv not in rule.unsettled_efforts]
        assert sorted(levels) == sorted(documented)
    elif r.control == "toggle":  # DeepSeek maps the OpenAI names onto low/high/max itself
        assert set(levels) >= {e for e in rule.efforts if e != "none"}
    elif r.control == "budget" and info.provider == "anthropic":
        assert rule.budget_tokens is not None and not rule.adaptive_only
    elif r.control in ("effort", "adaptive"):
        assert [e for e in rule.efforts if e != "none"] == levels
        assert rule.adaptive_only == (r.control == "adaptive")
    # every parameter the simulator refuses, the client removes: while reasoning, or always
    assert set(rule.sampling_rejected_always) <= set(info.rejects)
    assert set(rule.sampling_rejected_when_reasoning) <= set(info.rejects) | set(info.rejects_while_reasoning)


# ---------------------------------------------------------------------------------- what the client builds is taken
CASES = [(i, level) for i in SERVED for level in (None, *i.reasoning.levels)]


@pytest.mark.parametrize(("info", "level"), CASES, ids=[f"{i.name}-{lv}" for i, lv in CASES])
def test_every_level_a_served_model_takes_is_accepted_streamed_and_not(client, info, level):
    # an audio model (audio in, no images: gpt-audio) answers only a request that carries audio
    prompt = ["Say hi.", mm.audio(sample_wav())] if "audio" in info.input and "image" not in info.input else "Say hi."
    for stream in (False, True):
        r = quietly(client.complete, info.name, prompt, reasoning=level, stream=stream, max_tokens=400,
                    temperature=0.3, retries=0)
        assert r.error is None, (info.name, level, stream, r.error)
        assert r.repaired == []  # built right the first time, not fixed after a 400


# ---------------------------------------------------------------------------------- documented rejections
def raw(client: mm.Client, model: str, body: dict[str, Any]) -> httpx.Response:
    """POST a body exactly as given to the simulated provider (no shaping, no checks)."""
    provider = model.split("/", 1)[0]
    return httpx.post(f"{client.sim.base_url(provider)}/chat/completions", content=orjson.dumps(body),
                      headers={"Authorization": "Bearer sim-key", "Content-Type": "application/json"}, timeout=10)


def base_body(client: mm.Client, info: catalogue.ModelInfo, **kw: Any) -> dict[str, Any]:
    return copy.deepcopy(quietly(client.prepare, info.name, "Say hi.", cache=False, **kw).body)


REJECTED_PARAMS = [(i, p) for i in SERVED for p in sorted(set(i.rejects) | set(i.rejects_while_reasoning))
                   if p in VALUES and rules_of(i) and (p in rules_of(i).sampling_rejected_always or
                                                       p in rules_of(i).sampling_rejected_when_reasoning)]


@pytest.mark.parametrize(("info", "param"), REJECTED_PARAMS, ids=[f"{i.name}-{p}" for i, p in REJECTED_PARAMS])
def test_a_rejected_parameter_is_never_sent_and_the_provider_refuses_it(client, info, param):
    reasoning = next((lv for lv in info.reasoning.levels if lv != "none"), None)
    # logprobs are a capability: refused by default, removed with on_unsupported="warn"
    extra = {"extra_body": {param: VALUES[param]}} if param in ("top_k", "logit_bias", "prediction") else {
        param: VALUES[param]}
    body = base_body(client, info, reasoning=reasoning, on_unsupported="warn", **extra)
    assert param not in body
    body[param] = VALUES[param]
    resp = raw(client, info.name, body)
    assert resp.status_code == 400, (info.name, param, resp.text[:200])


REFUSED_LEVELS = [(i, lv) for i in SERVED if i.reasoning.control not in ("none", "toggle")
                  for lv in REASONING_LEVELS if lv not in i.reasoning.levels]


def raw_level(info: catalogue.ModelInfo, body: dict[str, Any], level: str) -> dict[str, Any]:
    """The body with the reasoning level set the way the provider's own API names it."""
    control = info.reasoning.control
    if control in ("effort", "fixed"):
        body["reasoning_effort"] = level
    elif control == "adaptive":
        body["thinking"] = {"type": "disabled"} if level == "none" else {"type": "adaptive"}
        if level != "none":
            body["output_config"] = {"effort": level}
    elif control == "level":
        if level == "none":
            body["reasoning_effort"] = "none"
        else:
            body.setdefault("extra_body", {}).setdefault("google", {})["thinking_config"] = {"thinking_level": level}
    elif control == "budget" and info.provider == "gemini":
        body["reasoning_effort"] = level
    return body


@pytest.mark.parametrize(("info", "level"), REFUSED_LEVELS, ids=[f"{i.name}-{lv}" for i, lv in REFUSED_LEVELS])
def test_a_level_the_model_does_not_take_is_refused_before_sending_and_by_the_provider(client, info, level):
    with pytest.raises(mm.ConfigError):
        quietly(client.prepare, info.name, "Say hi.", reasoning=level)
    if info.reasoning.control == "budget" and info.provider == "anthropic":
        return  # Anthropic budget models take a number, not a named level: nothing to send raw
    rule = rules_of(info)
    if level in rule.unsettled_efforts:
        return  # the simulator accepts what nobody has shown the provider refuses; the catalogue stays strict
    resp = raw(client, info.name, raw_level(info, base_body(client, info), level))
    assert resp.status_code == 400, (info.name, level, resp.text[:300])


RETIRED = [i for i in ENTRIES if i.status == "retired"]


@pytest.mark.parametrize("info", RETIRED, ids=[i.name for i in RETIRED])
def test_a_retired_model_is_refused_before_sending_and_answered_with_the_providers_error(client, info):
    with pytest.raises(mm.ConfigError, match=f"retired on {info.retired}"):
        client.prepare(info.name, "Say hi.")
    resp = raw(client, info.name, {"model": info.id, "messages": [{"role": "user", "content": "hi"}]})
    assert resp.status_code == rules_of(info).error_status and rules_of(info).error_message in resp.text


NO_TOOLS_WHILE_REASONING = [i for i in SERVED if not i.tools_while_reasoning]


@pytest.mark.parametrize("info", NO_TOOLS_WHILE_REASONING, ids=[i.name for i in NO_TOOLS_WHILE_REASONING])
def test_tools_while_reasoning_are_refused_before_sending_and_by_the_provider(client, info):
    level = next(lv for lv in info.reasoning.levels if lv != "none")
    with pytest.raises(mm.ConfigError, match="refuses function tools on Chat Completions while it reasons"):
        client.prepare(info.name, "Say hi.", tools=[TOOL], reasoning=level)
    body = base_body(client, info, reasoning=level)
    body["tools"] = [TOOL]
    resp = raw(client, info.name, body)
    assert resp.status_code == 400 and "Function tools with reasoning_effort are not supported" in resp.text


MAX_COMPLETION = [i for i in SERVED if i.max_tokens_param == "max_completion_tokens"]


@pytest.mark.parametrize("info", MAX_COMPLETION, ids=[i.name for i in MAX_COMPLETION])
def test_max_tokens_is_renamed_before_sending_and_refused_raw(client, info):
    body = base_body(client, info, max_tokens=50)
    assert body.get("max_completion_tokens") == 50 and "max_tokens" not in body
    body["max_tokens"] = body.pop("max_completion_tokens")
    resp = raw(client, info.name, body)
    assert resp.status_code == 400 and "Use 'max_completion_tokens' instead" in resp.text


def test_a_request_the_simulator_refuses_is_repaired_through_the_client(client):
    """Repair against the strict simulator: a model the catalogue does not know is sent with max_tokens, the
    simulated OpenAI refuses it in OpenAI's words, and the client renames it and resends once."""
    c = mm.Client(providers={"openai": {"base_url": client.sim.base_url("openai"), "api_key": "sim-key"}},
                  cache=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = c.complete("openai/gpt-6.1-sol", "hi", max_tokens=50, on_unsupported="send", retries=0)
        assert r.error is not None and r.repaired == []  # 'send' is exactly as given: no repair
        req = c.prepare("openai/gpt-6.1-sol", "hi", max_tokens=50, cache=False)
    assert "max_completion_tokens" in req.body  # what the catalogue builds needs no repair
    assert not [w for w in caught if "the provider rejected" in str(w.message)]
