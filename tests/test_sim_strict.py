"""The simulator is as strict as the providers: every rule of every model in the rules table, on the wire.

For each model in ``multimodel.sim.rules.RULES`` (so a new entry is covered without touching this file) the
raw request is sent with httpx straight to the simulator: each form the provider refuses must get the
provider's status and exact error body (texts written out here, verbatim from issue13-facts.md section 7),
each form it accepts must get 200, streamed and not. Retired ids get the provider's own answer.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from multimodel.sim.catalogue import CATALOGUE, resolve
from multimodel.sim.media import sample_wav
from multimodel.sim.rules import EFFORT_ORDER, RULES, ModelRules

KEY = "sim-key"
Q = [{"role": "user", "content": "What's the weather in Paris?"}]
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
# audio-only models (gpt-audio) answer 400 unless the request carries audio: they get this question
Q_AUDIO = [{"role": "user", "content": [
    {"type": "text", "text": "What's the weather in Paris?"},
    {"type": "input_audio", "input_audio": {"data": base64.b64encode(sample_wav()).decode(), "format": "wav"}}]}]
OK = "ok"
_HTTP = httpx.Client(timeout=10.0)


@dataclass
class Case:
    """One request and what the provider answers: OK, or (status, exact JSON body)."""

    what: str
    body: dict[str, Any]
    expect: Any = OK
    reasons: bool | None = None  # OK cases: whether the answer must carry reasoning tokens (None: not checked)
    model_field: str | None = None  # OK cases: the response's "model" when it must differ from the request
    extra: dict[str, Any] = field(default_factory=dict)


def body(model: str, **kw: Any) -> dict[str, Any]:
    return {"model": model, "messages": Q, **kw}


def served(dialect: str) -> list[str]:
    return [mid for (d, mid), r in RULES.items() if d == dialect and r.served]


def retired(dialect: str) -> list[str]:
    return [mid for (d, mid), r in RULES.items() if d == dialect and not r.served]


# ====================================================================== OpenAI
def openai_err(message: str, param: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


def _oai_list(values: list[str]) -> str:
    q = [f"'{v}'" for v in values]
    return " and ".join(q) if len(q) < 3 else ", ".join(q[:-1]) + ", and " + q[-1]


def openai_cases(r: ModelRules) -> Iterator[Case]:
    m = r.id
    yield Case("plain", body(m), reasons=r.thinking_default)
    if not r.reasons:
        yield Case("reasoning_effort on a non-reasoning model", body(m, reasoning_effort="low"), (400, openai_err(
            "Unsupported parameter: 'reasoning_effort' is not supported with this model.", "reasoning_effort",
            "unsupported_parameter")))
        yield Case("max_tokens", body(m, max_tokens=50))
        yield Case("temperature", body(m, temperature=0.5, top_p=0.5, presence_penalty=0.2))
        return
    accepted = [e for e in EFFORT_ORDER if e in r.accepted_efforts]
    for e in EFFORT_ORDER:
        if e in accepted:
            yield Case(f"effort {e}", body(m, reasoning_effort=e), reasons=e != "none")
        else:
            yield Case(f"effort {e}", body(m, reasoning_effort=e), (400, openai_err(
                f"Unsupported value: 'reasoning_effort' does not support '{e}' with this model. Supported values "
                f"are: {_oai_list(accepted)}.", "reasoning_effort", "unsupported_value")))
    yield Case("max_tokens", body(m, max_tokens=50), (400, openai_err(
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' "
        "instead.", "max_tokens", "unsupported_parameter")))
    yield Case("max_completion_tokens", body(m, max_completion_tokens=50))
    thinking = {} if r.thinking_default else {"reasoning_effort": "low"}
    values = {"temperature": 0.5, "top_p": 0.5, "logprobs": True, "top_logprobs": 2, "presence_penalty": 0.2,
              "frequency_penalty": 0.2, "stop": ["\n\n"], "logit_bias": {"50256": -100},
              "prediction": {"type": "content", "content": "x"}}
    for k in (*r.sampling_rejected_when_reasoning, *r.sampling_rejected_always):
        v = values[k]
        if k in ("temperature", "top_p"):
            err = openai_err(f"Unsupported value: '{k}' does not support {json.dumps(v)} with this model. Only the "
                             "default (1) value is supported.", k, "unsupported_value")
        else:
            err = openai_err(f"Unsupported parameter: '{k}' is not supported with this model.", k,
                             "unsupported_parameter")
        extra = {"top_logprobs": 2, "logprobs": True} if k == "top_logprobs" else {k: v}
        # logprobs on a model that always reasons is refused by its capability entry first: same text
        if k == "top_logprobs":
            err = openai_err("Unsupported parameter: 'logprobs' is not supported with this model.", "logprobs",
                             "unsupported_parameter")
        yield Case(f"{k} while reasoning", body(m, **thinking, **extra), (400, err))
        if "none" in r.accepted_efforts:
            still = k in r.sampling_rejected_always
            yield Case(f"{k} with effort none", body(m, reasoning_effort="none", **extra), (400, err) if still else OK)
    yield Case("temperature 1 (the default)", body(m, temperature=1, **thinking))
    if r.tools_with_reasoning:
        yield Case("tools while reasoning", body(m, tools=[TOOL], **thinking))
    else:
        tail = (" Please use /v1/responses instead." if m.startswith("gpt-5.4") else
                " To use function tools, use /v1/responses or set reasoning_effort to 'none'.")
        yield Case("tools while reasoning", body(m, tools=[TOOL], **thinking), (400, {"error": {
            "message": f"Function tools with reasoning_effort are not supported for {m} in /v1/chat/completions."
                       + tail, "type": "invalid_request_error", "param": "reasoning_effort"}}))
    if "none" in r.accepted_efforts:
        yield Case("tools with effort none", body(m, tools=[TOOL], reasoning_effort="none"))


def openai_retired(mid: str) -> Iterator[Case]:
    yield Case("retired id", body(mid), (404, openai_err(
        f"The model `{mid}` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations",
        None, "model_not_found")))


# ====================================================================== Anthropic (compat layer envelope)
def anthropic_err(message: str, type_: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": type_}}


ADAPTIVE = 'Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.'


def anthropic_cases(r: ModelRules) -> Iterator[Case]:
    m = r.id
    yield Case("plain (thinking " + ("on" if r.thinking_default else "off") + " by default)", body(m),
               reasons=r.thinking_default)
    yield Case("reasoning_effort is ignored", body(m, reasoning_effort="high"), reasons=r.thinking_default)
    enabled = body(m, max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 2048})
    if "enabled" in r.thinking_types:
        yield Case("thinking enabled", enabled, reasons=True)
        yield Case("budget below 1024", body(m, max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 512}),
                   (400, {"error": {"message": "thinking.enabled.budget_tokens: Input should be greater than or equal "
                                               "to 1024", "type": "invalid_request_error",
                                    "param": "thinking.budget_tokens", "code": "invalid_request_error"}}))
        yield Case("budget not below max_tokens", body(m, max_tokens=2048,
                                                       thinking={"type": "enabled", "budget_tokens": 2048}),
                   (400, {"error": {"message": "`max_tokens` must be greater than `thinking.budget_tokens`. Please "
                                    "consult our documentation at https://docs.claude.com/en/docs/build-with-claude/"
                                    "extended-thinking#max-tokens-and-context-window-size",
                                    "type": "invalid_request_error", "param": "max_tokens",
                                    "code": "invalid_request_error"}}))
    else:
        assert r.adaptive_only, m
        yield Case("thinking enabled", enabled, (400, anthropic_err(
            '"thinking.type.enabled" is not supported for this model. ' + ADAPTIVE)))
    if "adaptive" in r.thinking_types:
        yield Case("thinking adaptive", body(m, thinking={"type": "adaptive"}), reasons=True)
        for e in r.accepted_efforts:
            yield Case(f"adaptive at effort {e}", body(m, thinking={"type": "adaptive"}, output_config={"effort": e}),
                       reasons=True)
    else:
        yield Case("thinking adaptive", body(m, thinking={"type": "adaptive"}), (400, anthropic_err(
            "adaptive thinking is not supported on this model")))
    disabled = body(m, thinking={"type": "disabled"})
    if "disabled" in r.thinking_types:
        yield Case("thinking disabled", disabled, reasons=False)
        cap = r.disable_max_effort
        for e in r.accepted_efforts:
            b = body(m, thinking={"type": "disabled"}, output_config={"effort": e})
            if cap and EFFORT_ORDER.index(e) > EFFORT_ORDER.index(cap):
                yield Case(f"disabled at effort {e}", b, (400, anthropic_err(
                    f'"thinking.type" value "disabled" is not supported with "output_config.effort" value "{e}" for '
                    "this model")))
            else:
                yield Case(f"disabled at effort {e}", b, reasons=False)
    elif "between_tools" in r.thinking_types:  # the one Sonnet 5.5 log
        yield Case("thinking disabled", disabled, (400, anthropic_err(
            '"thinking.type.disabled" is not supported for this model. Use "thinking.type.between_tools" for the '
            'lowest thinking setting, or "thinking.type.adaptive" and "output_config.effort" to control thinking '
            "behavior.")))
        yield Case("thinking between_tools", body(m, thinking={"type": "between_tools"}), reasons=True)
    else:
        yield Case("thinking disabled", disabled, (400, anthropic_err(
            '"thinking.type.disabled" is not supported for this model. ' + ADAPTIVE)))
    values = {"temperature": 0.5, "top_p": 0.9, "top_k": 5}
    for k in r.sampling_rejected_always:
        yield Case(f"{k} (not the default)", body(m, **{k: values[k]}), (400, anthropic_err(
            f"`{k}` is deprecated for this model.")))
    if "temperature" in r.sampling_rejected_always:
        yield Case("temperature 1 (the default)", body(m, temperature=1))
    else:
        yield Case("temperature", body(m, temperature=0.5))
        yield Case("temperature above 1 (capped)", body(m, temperature=1.5))
    if "temperature_xor_top_p" in r.sampling_rules:
        yield Case("temperature and top_p", body(m, temperature=0.5, top_p=0.9), (400, anthropic_err(
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one.")))
        yield Case("top_p alone", body(m, top_p=0.9))
    if "top_p_min_0.95_with_thinking" in r.sampling_rules:
        yield Case("top_p 0.5 while thinking", {**enabled, "top_p": 0.5}, (400, anthropic_err(
            "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled.")))
        yield Case("top_p 0.96 while thinking", {**enabled, "top_p": 0.96}, reasons=True)


def anthropic_retired(mid: str) -> Iterator[Case]:
    yield Case("retired id", body(mid), (404, anthropic_err(f"model: {mid}", "not_found_error")))


# ====================================================================== Gemini (list-wrapped errors)
def gemini_err(message: str, code: int = 400, status: str = "INVALID_ARGUMENT") -> list[dict[str, Any]]:
    return [{"error": {"code": code, "message": message, "status": status}}]


NO_OFF = "Budget 0 is invalid. This model only works in thinking mode."


def tc(**kw: Any) -> dict[str, Any]:
    return {"extra_body": {"google": {"thinking_config": kw}}}


def gemini_cases(r: ModelRules) -> Iterator[Case]:
    m = r.id
    yield Case("plain", body(m), reasons=r.thinking_default)
    for e in EFFORT_ORDER:
        b = body(m, reasoning_effort=e)
        if e == "none":
            yield Case("effort none", b, OK if r.can_disable else (400, gemini_err(NO_OFF)),
                       reasons=False if r.can_disable else None)
        elif e in r.accepted_efforts:
            yield Case(f"effort {e}", b, reasons=True)
        elif e == "max":
            yield Case("effort max", b, (400, gemini_err("Invalid value at 'reasoning_effort' (\"max\").")))
        else:
            yield Case(f"effort {e}", b, (400, gemini_err(
                f"Thinking level {e.upper()} is not supported for this model. Please retry with other thinking "
                "level.")))
    if r.thinking_levels:
        for lv in r.thinking_levels:
            yield Case(f"thinking_level {lv}", body(m, **tc(thinking_level=lv)), reasons=True)
        if "minimal" not in r.thinking_levels:
            yield Case("thinking_level MINIMAL", body(m, **tc(thinking_level="MINIMAL")), (400, gemini_err(
                "Thinking level MINIMAL is not supported for this model. Please retry with other thinking level.")))
    else:
        yield Case("thinking_level on a budget model", body(m, **tc(thinking_level="low")), (400, gemini_err(
            "Thinking level is not supported for this model.")))
    yield Case("thinking_budget 0", body(m, **tc(thinking_budget=0)),
               OK if r.can_disable else (400, gemini_err(NO_OFF)), reasons=False if r.can_disable else None)
    yield Case("thinking_budget 2048", body(m, **tc(thinking_budget=2048)), reasons=True)
    yield Case("include_thoughts", body(m, **tc(include_thoughts=True)), reasons=r.thinking_default)
    yield Case("reasoning_effort with thinking_config", body(m, reasoning_effort="low", **tc(thinking_budget=1024)),
               (400, gemini_err("reasoning_effort and thinking_config.thinking_level/thinking_budget cannot both be "
                                "set; they control the same thing.")))


def gemini_retired(mid: str) -> Iterator[Case]:
    yield Case("retired id", body(mid), (404, gemini_err(
        f"models/{mid} is not found for API version v1beta, or is not supported for generateContent. Call "
        "ListModels to see the list of available models and their supported methods.", 404, "NOT_FOUND")))


# ====================================================================== xAI (string errors)
def xai_err(message: str, code: str = "invalid-argument") -> dict[str, Any]:
    return {"code": code, "error": message}


CAMEL = {"presence_penalty": "presencePenalty", "frequency_penalty": "frequencyPenalty", "stop": "stop"}


def xai_cases(r: ModelRules) -> Iterator[Case]:
    m = r.id
    yield Case("plain", body(m), reasons=r.thinking_default)
    for alias in r.aliases:
        yield Case(f"alias {alias}", body(alias), model_field=m)
    for e in EFFORT_ORDER:
        b = body(m, reasoning_effort=e)
        if r.effort_param is None:
            yield Case(f"effort {e}", b, (400, xai_err(f"Model {m} does not support parameter reasoningEffort.")))
        elif e in r.accepted_efforts:
            yield Case(f"effort {e}", b, reasons=e != "none")
        else:
            yield Case(f"effort {e}", b, (400, xai_err(f"This model does not support `reasoning_effort` value `{e}`.")))
    values = {"presence_penalty": 0, "frequency_penalty": 0, "stop": ["\n"]}  # refused even at 0
    for k in r.sampling_rejected_when_reasoning:
        yield Case(f"{k} while reasoning", body(m, **{k: values[k]}), (400, xai_err(
            f"Model {m} does not support parameter {CAMEL[k]}.")))
        if "none" in r.accepted_efforts:
            yield Case(f"{k} with effort none", body(m, reasoning_effort="none", **{k: values[k]}))
    if not r.reasons:
        yield Case("penalties and stop", body(m, presence_penalty=0.5, frequency_penalty=0.1, stop=["\n"]))


def xai_retired(mid: str) -> Iterator[Case]:
    yield Case("retired id", body(mid), (404, xai_err(
        f"The model {mid} does not exist or your team does not have access to it.", "not-found")))


# ====================================================================== DeepSeek
def deepseek_cases(r: ModelRules) -> Iterator[Case]:
    m = r.id
    yield Case("plain (thinks by default)", body(m), reasons=True)
    for alias in r.aliases:
        yield Case(f"legacy name {alias}", body(alias), reasons=True, model_field=m)
    yield Case("thinking disabled", body(m, thinking={"type": "disabled"}), reasons=False)
    yield Case("thinking enabled", body(m, thinking={"type": "enabled"}), reasons=True)
    for e in (*r.efforts, "minimal", "medium", "xhigh"):  # the docs map the last three
        yield Case(f"effort {e}", body(m, reasoning_effort=e), reasons=True)


def deepseek_retired(mid: str) -> Iterator[Case]:
    yield Case("retired id", body(mid), (400, {"error": {"message": "Model Not Exist",
                                                         "type": "invalid_request_error"}}))


# ====================================================================== OpenRouter
def openrouter_cases(r: ModelRules) -> Iterator[Case]:
    m = r.id
    yield Case("plain", body(m))
    for e in r.accepted_efforts:
        yield Case(f"reasoning.effort {e}", body(m, reasoning={"effort": e}))
    # parameters the upstream refuses are dropped by OpenRouter, not refused (provider-quirks.md 6.8)
    yield Case("sampling parameters", body(m, temperature=0.5, top_p=0.9, presence_penalty=0.1, stop=["\n\n"],
                                            max_tokens=400))
    yield Case("tools", body(m, tools=[TOOL], reasoning={"effort": "high"}))


def openrouter_retired(mid: str) -> Iterator[Case]:
    yield Case("retired slug", body(mid), (400, {"error": {"message": f"{mid} is not a valid model ID", "code": 400},
                                                 "user_id": "user_2simulatedSIMULATEDsim00"}))


CASES = {"openai": (openai_cases, openai_retired), "anthropic": (anthropic_cases, anthropic_retired),
         "gemini": (gemini_cases, gemini_retired), "xai": (xai_cases, xai_retired),
         "deepseek": (deepseek_cases, deepseek_retired), "openrouter": (openrouter_cases, openrouter_retired)}


# ====================================================================== running the cases
def send(sim, dialect: str, b: dict[str, Any]) -> httpx.Response:
    m = resolve(dialect, b["model"])
    if m is not None and m.needs_audio:
        b = {**b, "messages": Q_AUDIO}
    return _HTTP.post(f"{sim.base_url(dialect)}/chat/completions", json=b,
                      headers={"Authorization": f"Bearer {KEY}"})


def check(sim, dialect: str, case: Case) -> list[str]:
    """Mismatches of one case, sent plain and streamed (empty: the simulator answered as the provider does)."""
    problems = []
    for streamed in (False, True):
        b = {**case.body, "stream": True} if streamed else case.body
        r = send(sim, dialect, b)
        where = f"{case.what} ({'streamed' if streamed else 'not streamed'})"
        if case.expect == OK:
            if r.status_code != 200:
                problems.append(f"{where}: expected 200, got {r.status_code} {r.text[:300]}")
                continue
            if streamed:
                if not r.text.rstrip().endswith("data: [DONE]"):
                    problems.append(f"{where}: the stream did not end with [DONE]")
                continue
            answer = r.json()
            if case.model_field is not None and answer.get("model") != case.model_field:
                problems.append(f"{where}: model {answer.get('model')!r}, expected {case.model_field!r}")
            rec = sim.requests(1)[0]
            if case.reasons is not None and bool(rec["reasoning_tokens"]) != case.reasons:
                problems.append(f"{where}: reasoning tokens {rec['reasoning_tokens']}, expected "
                                f"{'some' if case.reasons else 'none'}")
        else:
            status, want = case.expect
            got = r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text
            if (r.status_code, got) != (status, want):
                problems.append(f"{where}: expected {status} {json.dumps(want)}, got {r.status_code} {r.text}")
    return problems


SERVED = [(d, m) for (d, m), r in RULES.items() if r.served]
RETIRED = [(d, m) for (d, m), r in RULES.items() if not r.served]


def test_every_served_rules_entry_is_a_simulated_model_and_back():
    assert set(SERVED) == set(CATALOGUE)
    assert len(RETIRED) >= 25 and {d for d, _ in RETIRED} == {"openai", "anthropic", "gemini", "xai", "deepseek",
                                                              "openrouter"}


@pytest.mark.parametrize(("dialect", "model"), SERVED, ids=[f"{d}/{m}" for d, m in SERVED])
def test_served_model_accepts_and_refuses_what_the_provider_does(clean_sim, dialect, model):
    cases = list(CASES[dialect][0](RULES[(dialect, model)]))
    assert cases
    problems = [p for c in cases for p in check(clean_sim, dialect, c)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("dialect", "model"), RETIRED, ids=[f"{d}/{m}" for d, m in RETIRED])
def test_retired_id_gets_the_providers_answer(clean_sim, dialect, model):
    problems = [p for c in CASES[dialect][1](model) for p in check(clean_sim, dialect, c)]
    assert not problems, "\n".join(problems)
    assert clean_sim.stats()["by_outcome"] == {"not_found": 2}


def test_retired_ids_are_listed_by_no_models_endpoint(sim):
    for dialect in CASES:
        r = _HTTP.get(f"{sim.base_url(dialect)}/models", headers={"Authorization": f"Bearer {KEY}"})
        listed = json.dumps(r.json())
        for d, m in RETIRED:
            if d == dialect:
                assert f'"{m}"' not in listed and f'"models/{m}"' not in listed, (dialect, m)


# ====================================================================== the table holds the sourced facts
# A few rules pinned from issue13-facts.md, so that loosening the table (which the cases above follow) fails here.
PINNED = [
    (("openai", "gpt-6-astra"), "efforts", ("low", "medium", "high", "xhigh")),  # none, minimal -> 400 (7 #10)
    (("openai", "gpt-6.1-sol"), "efforts", ("low", "medium", "high", "xhigh")),
    (("openai", "gpt-6.1-sol"), "tools_with_reasoning", False),
    (("openai", "gpt-6.1-terra"), "efforts", ("none", "low", "medium", "high", "xhigh")),
    (("openai", "gpt-5.6-terra"), "sampling_rejected_always", ("stop", "logit_bias", "prediction")),
    (("openai", "gpt-5.4"), "effort_default", "none"),
    (("openai", "gpt-5"), "status", "deprecated"),
    (("openai", "gpt-5"), "shutdown", "2026-12-11"),
    (("openai", "o4-mini"), "status", "retired"),
    (("anthropic", "claude-opus-5-5"), "thinking_types", ("adaptive",)),
    (("anthropic", "claude-fable-5-2"), "thinking_types", ("adaptive",)),
    (("anthropic", "claude-opus-5"), "disable_max_effort", "high"),
    (("anthropic", "claude-opus-4-7"), "thinking_types", ("adaptive", "disabled")),
    (("anthropic", "claude-haiku-5-5"), "sampling_rejected_always", ("temperature", "top_p", "top_k")),
    (("anthropic", "claude-sonnet-4-5"), "shutdown", "2026-11-30"),
    (("anthropic", "claude-haiku-4-5"), "thinking_types", ("enabled", "disabled")),
    (("anthropic", "claude-sonnet-4"), "status", "retired"),
    (("gemini", "gemini-3.8-flash"), "efforts", ("low", "medium", "high")),  # MINIMAL -> 400 (7 #15)
    (("gemini", "gemini-2.5-pro"), "can_disable", False),  # budget 0 -> 400 (7 #16)
    (("gemini", "gemini-2.5-pro"), "thinking_levels", ()),  # thinking_level -> 400 (7 #17)
    (("gemini", "gemini-2.5-flash"), "shutdown", "2026-12-01"),
    (("gemini", "gemini-3-pro-preview"), "status", "retired"),
    (("xai", "grok-4.7"), "efforts", ("low", "medium", "high", "xhigh")),
    (("xai", "grok-4.7"), "effort_default", "high"),
    (("xai", "grok-4.5"), "efforts", ("low", "medium", "high")),
    (("xai", "grok-4.3"), "efforts", ("none", "low", "medium", "high")),
    (("xai", "grok-4.20-0309-non-reasoning"), "effort_param", None),  # reasoningEffort -> 400 (7 #19)
    (("xai", "grok-4.5"), "sampling_rejected_when_reasoning", ("presence_penalty", "frequency_penalty", "stop")),
    (("xai", "grok-4-1-fast-reasoning"), "status", "retired"),
    (("deepseek", "deepseek-flash"), "thinking_default", True),
    (("deepseek", "deepseek-flash"), "aliases", ("deepseek-v4-flash",)),
    (("deepseek", "deepseek-chat"), "status", "retired"),
    (("deepseek", "deepseek-reasoner"), "error_status", 400),
]


@pytest.mark.parametrize(("key", "field_name", "value"), PINNED, ids=[f"{k[1]}.{f}" for k, f, _ in PINNED])
def test_pinned_facts(key, field_name, value):
    assert getattr(RULES[key], field_name) == value


def test_every_rules_entry_names_its_sources_and_every_openrouter_slug_its_upstream():
    for key, r in RULES.items():
        assert r.sources, key
        if r.dialect == "openrouter" and r.upstream is not None:
            up = RULES[r.upstream]
            assert up.served and (r.efforts, r.effort_default, r.can_disable) == (
                up.efforts, up.effort_default, up.can_disable), key


def test_openai_models_list_carries_the_shutdown_dates(sim):
    data = _HTTP.get(f"{sim.base_url('openai')}/models", headers={"Authorization": f"Bearer {KEY}"}).json()["data"]
    dates = {m["id"]: m["shutdown_date"] for m in data}
    assert dates["gpt-5"] == dates["gpt-5-mini"] == "2026-12-11" and dates["gpt-4.1-mini"] == "2027-01-14"
    assert dates["gpt-6.1-sol"] is None
