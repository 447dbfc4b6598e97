"""Every value the caller gives is checked before anything is sent (issue 14, items 7 and 10): a mistake is a
ConfigError whose message names the setting and the fix, and the provider sees no request.

The provider is played in-process by a ReplayTransport that counts what reaches it (and once by the simulator,
whose own counters must not move); a valid request through the same client proves the counter works.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest

import multimodel as mm
from multimodel.config import build_provider
from multimodel.transport import ReplayTransport, Reply

JSON = {"content-type": "application/json"}
OK = orjson.dumps({"id": "r1", "object": "chat.completion", "model": "m", "choices": [
    {"index": 0, "message": {"role": "assistant", "content": "The answer is 4."}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}})
PRICE = {"input": 1.0, "output": 2.0}


class Provider:
    """Answers every request and keeps its body: ``len(provider.bodies)`` is what was sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.transport = ReplayTransport(self)

    def __call__(self, url: str, headers: Any, payload: bytes) -> Reply:
        self.bodies.append(orjson.loads(payload))
        return Reply(200, JSON, OK)


def client_for(provider: Provider, entry: dict[str, Any] | None = None, **options: Any) -> mm.Client:
    """A client whose provider ``p`` (OpenAI dialect, priced model ``m``) is played by ``provider``."""
    settings = {"base_url": "http://p.test/v1", "api_key": "key-p-0123456789", "dialect": "openai",
                "prices": {"m": PRICE}, **(entry or {})}
    return mm.Client(providers={"p": settings}, transport=provider.transport, cache=False, **options)


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def client(provider: Provider) -> mm.Client:
    return client_for(provider)


def refused(fn: Any, *fragments: str) -> str:
    """Run ``fn``, expect a ConfigError holding every fragment; its message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(mm.ConfigError) as exc:
            fn()
    message = str(exc.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def sent_ok(client: mm.Client, provider: Provider, **kwargs: Any) -> dict[str, Any]:
    """The same client sends a valid request: the counter moves and the answer is kept."""
    before = len(provider.bodies)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = client.complete("p/m", "What is 2+2?", **kwargs)
    assert r.error is None and r.content == "The answer is 4." and len(provider.bodies) == before + 1
    return provider.bodies[-1]


# ---------------------------------------------------------------------------------- item 7: prices
@pytest.mark.parametrize(("rates", "fragments"), [
    ({"input": "x", "output": 2}, ["prices['m']['input'] must be a number >= 0, got 'x'", "USD per 1M tokens"]),
    ({"input": -1, "output": 2}, ["prices['m']['input'] must be a number >= 0, got -1"]),
    ({"input": 1, "output": math.nan}, ["prices['m']['output'] must be a number >= 0, got nan",
                                         "NaN and infinity are refused"]),
    ({"input": math.inf, "output": 2}, ["prices['m']['input'] must be a number >= 0, got inf"]),
    ({"input": 1, "output": 2, "cached_input": -0.5}, ["prices['m']['cached_input'] must be a number >= 0"]),
    ({"input": True, "output": 2}, ["prices['m']['input'] must be a number >= 0, got True"]),
    ({"input": [1], "output": 2}, ["prices['m']['input'] must be a number >= 0, got [1]"]),
    ({"output": 2}, ["prices['m']: missing ['input']", "a price has 'input' and 'output' and optionally"]),
    ({"input": 1}, ["prices['m']: missing ['output']"]),
    ({"input": None, "output": 2}, ["prices['m']: missing ['input']"]),
    ({"input": 1, "output": 2, "cache_write": 3}, ["prices['m']: unknown field(s) ['cache_write']"]),
    ({"input_per_m": 1, "output_per_m": 2}, ["unknown field(s) ['input_per_m', 'output_per_m']"]),
    (5, ["prices['m'] must be a dict of rates, e.g. {'prices': {'my-model': {'input': 0.5"]),
])
def test_a_malformed_price_is_refused_when_the_client_is_built(provider, rates, fragments):
    """Before, a bad rate surfaced only when the answer was costed (after sending, losing it) or never (negative
    and NaN rates gave negative or NaN costs)."""
    refused(lambda: client_for(provider, {"prices": {"m": rates}}), "provider 'p': ", *fragments)
    assert provider.bodies == []


@pytest.mark.parametrize("prices", [[("m", PRICE)], "m=1,2", {"": PRICE}, {5: PRICE}])
def test_prices_must_be_a_dict_of_model_ids(provider, prices):
    refused(lambda: client_for(provider, {"prices": prices}), "provider 'p': prices",
            "{'prices': {'my-model': {'input': 0.5, 'cached_input': 0.05, 'output': 2.0}}}")


def test_a_provider_that_reports_its_own_cost_has_its_prices_checked_too(provider):
    """OpenRouter reports each request's cost, so its prices were first read after the answer came back."""
    refused(lambda: mm.Client(providers={"openrouter": {"api_key": "k", "prices": {"x/y": {"input": "1,5",
                                                                                            "output": 2}}}},
                              transport=provider.transport, cache=False),
            "provider 'openrouter': prices['x/y']['input'] must be a number >= 0, got '1,5'")
    assert provider.bodies == []


def test_valid_prices_still_cost_the_answer(provider):
    client = client_for(provider, {"prices": {"m": {"input": "1.5", "output": np.float64(2), "cached_input": 0}}})
    assert client.providers["p"].prices == {"m": {"input": 1.5, "output": 2.0, "cached_input": 0}}
    sent_ok(client, provider)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert client.complete("p/m", "again").cost_usd == pytest.approx((5 * 1.5 + 2 * 2.0) / 1e6)


# ---------------------------------------------------------------------------------- item 10: limits
@pytest.mark.parametrize("setting", ["rpm", "tpm"])
@pytest.mark.parametrize("value", [-1, 0, 0.0, math.nan, math.inf, -math.inf, True, "60", [60]])
def test_a_rate_limit_is_a_positive_finite_number(provider, setting, value):
    """rpm=-1 made every call wait a minute; inf and NaN enforced nothing while looking configured."""
    refused(lambda: client_for(provider, {setting: value}), f"provider 'p': {setting} must be a positive number, "
            f"got {value!r}", "leave it out (or None) for no limit")
    refused(lambda: client_for(provider, {"limits": {setting: value}}), f"{setting} must be a positive number")


@pytest.mark.parametrize("value", [True, 0, -2, 2.5, "8", math.nan])
def test_concurrency_is_a_positive_int(provider, value):
    refused(lambda: client_for(provider, {"concurrency": value}), f"provider 'p': concurrency must be a positive "
            f"int, got {value!r}")


def test_valid_limits_are_kept(provider):
    cfg = client_for(provider, {"rpm": 600, "tpm": 1.5e6, "concurrency": 4}).providers["p"]
    assert (cfg.rpm, cfg.tpm, cfg.concurrency) == (600, 1.5e6, 4)
    assert client_for(provider, {"rpm": None, "tpm": None}).providers["p"].rpm is None


# ---------------------------------------------------------------------------------- headers and keys
SECRET = "sk-secret-0123456789"


@pytest.mark.parametrize(("entry", "fragments"), [
    ({"default_headers": {"X-Team": "a\r\nX-Injected: 1"}},
     ["provider 'p': default_headers['X-Team'] contains a line break or NUL", "remove it"]),
    ({"default_headers": {"X-Team": "a\n"}}, ["default_headers['X-Team'] contains a line break"]),
    ({"default_headers": {"X-Team": "a\0"}}, ["default_headers['X-Team'] contains a line break or NUL"]),
    ({"default_headers": {"X-Team\r\n": "a"}}, ["default_headers key 'X-Team\\r\\n' is not a header name"]),
    ({"default_headers": {"X Team": "a"}}, ["default_headers key 'X Team' is not a header name"]),
    ({"default_headers": {"X-Team:": "a"}}, ["is not a header name", "no spaces, colons or line breaks"]),
    ({"default_headers": {"": "a"}}, ["default_headers key '' is not a header name"]),
    ({"default_headers": {5: "a"}}, ["default_headers key 5 is not a header name"]),
    ({"default_headers": {"X-Team": 5}}, ["provider 'p': default_headers['X-Team'] must be a string, got int"]),
    ({"default_headers": [("X-Team", "a")]}, ["default_headers must be a dict of header name → value"]),
    ({"api_key": SECRET + "\n"}, ["provider 'p': api_key contains a line break or NUL",
                                  "a trailing newline copied from a file?", ".strip()"]),
    ({"api_key": 12345}, ["provider 'p': api_key must be a string, got int"]),
    ({"api_key": None, "api_key_env": 5}, ["api_key_env names environment variables", "not shown"]),
    ({"api_key": None, "api_key_env": ["MY KEY"]}, ["api_key_env names environment variables"]),
    ({"options": ["mid_system"]}, ["provider 'p': options must be a dict"]),
])
def test_header_values_and_keys_are_checked_when_the_client_is_built(provider, entry, fragments):
    """A CR or LF in a header was a raw error from the HTTP library at send time (or a split header)."""
    message = refused(lambda: client_for(provider, entry), *fragments)
    assert SECRET not in message  # a credential is never repeated in the message


def test_a_key_from_the_environment_with_a_newline_is_refused_before_sending(provider, monkeypatch):
    monkeypatch.setenv("VALIDATION_TEST_KEY", SECRET + "\r\n")
    client = client_for(provider, {"api_key": None, "api_key_env": "VALIDATION_TEST_KEY"})
    message = refused(lambda: client.complete("p/m", "hi"),
                      "the environment variable VALIDATION_TEST_KEY contains a line break", ".strip()")
    assert SECRET not in message and provider.bodies == []
    monkeypatch.setenv("VALIDATION_TEST_KEY", SECRET)
    sent_ok(client, provider)


def test_build_provider_checks_as_the_client_does():
    """The same checks apply to build_provider (the CLI and tests build entries with it)."""
    refused(lambda: build_provider("openai", {"prices": {"gpt-5.4": {"input": -1, "output": 1}}}),
            "provider 'openai': prices['gpt-5.4']['input'] must be a number >= 0, got -1")
    refused(lambda: build_provider("openai", {"rpm": math.inf}), "provider 'openai': rpm must be a positive number")


# ---------------------------------------------------------------------------------- sampling parameters
PARAMS = [
    ("temperature", math.nan, "temperature must be a number >= 0, got nan (NaN and infinity are refused)"),
    ("temperature", math.inf, "temperature must be a number >= 0, got inf"),
    ("temperature", -0.1, "temperature must be a number >= 0, got -0.1"),
    ("temperature", "0.7", "temperature must be a number >= 0, got '0.7'"),
    ("temperature", True, "temperature must be a number >= 0, got True"),
    ("top_p", 1.5, "top_p must be a number from 0 to 1, got 1.5"),
    ("top_p", -0.1, "top_p must be a number from 0 to 1"),
    ("top_p", math.nan, "top_p must be a number from 0 to 1, got nan"),
    ("presence_penalty", 2.5, "presence_penalty must be a number from -2 to 2, got 2.5"),
    ("presence_penalty", -math.inf, "presence_penalty must be a number from -2 to 2, got -inf"),
    ("frequency_penalty", math.nan, "frequency_penalty must be a number from -2 to 2, got nan"),
    ("frequency_penalty", -3, "frequency_penalty must be a number from -2 to 2, got -3"),
    ("max_tokens", 0, "max_tokens must be a positive int, got 0"),
    ("max_tokens", -5, "max_tokens must be a positive int, got -5"),
    ("max_tokens", 100.0, "max_tokens must be a positive int, got 100.0"),
    ("max_tokens", True, "max_tokens must be a positive int, got True"),
    ("max_tokens", "100", "max_tokens must be a positive int, got '100'"),
    ("max_tokens", 2**64, "max_tokens must be a positive int"),
    ("max_completion_tokens", -1, "max_completion_tokens must be a positive int, got -1"),
    ("seed", 1.5, "seed must be a 64-bit int, got 1.5"),
    ("seed", math.nan, "seed must be a 64-bit int, got nan"),
    ("seed", True, "seed must be a 64-bit int, got True"),
    ("seed", 2**63, "seed must be a 64-bit int"),
    ("top_logprobs", -1, "top_logprobs must be a non-negative int, got -1"),
    ("logprobs", "yes", "logprobs must be True or False, got 'yes'"),
    ("logprobs", 1, "logprobs must be True or False, got 1"),
    ("parallel_tool_calls", "false", "parallel_tool_calls must be True or False, got 'false'"),
    ("n", True, "n=True: a Result holds one answer, so multimodel sends n=1; for several samples use "
                "evaluate(..., repeats=N)"),
    ("n", 1.0, "n=1.0: a Result holds one answer"),
    ("n", 0, "n=0: a Result holds one answer"),
    ("stop", 5, "stop must be a string or a list of non-empty strings, e.g. ['END'], got 5"),
    ("stop", ["END", ""], "stop must be a string or a list of non-empty strings"),
    ("stop", [None], "stop must be a string or a list of non-empty strings"),
    ("user", 42, "user must be a string, e.g. 'user-123'; got 42"),
    ("tool_choice", 1, "tool_choice must be 'auto', 'none', 'required' or {'type': 'function'"),
    ("response_format", "json", "response_format must be a dict with a 'type', e.g. {'type': 'json_object'}"),
    ("response_format", {"schema": {}}, "response_format must be a dict with a 'type'"),
]


@pytest.mark.parametrize(("param", "value", "fragment"), PARAMS, ids=[f"{p}={v!r}" for p, v, _ in PARAMS])
def test_a_bad_request_parameter_is_refused_before_sending(client, provider, param, value, fragment):
    """temperature=NaN was sent as null; max_tokens=True as true; seed=1.5 as 1.5; n=True passed the n=1 check."""
    refused(lambda: client.complete("p/m", "What is 2+2?", **{param: value}), fragment)
    assert provider.bodies == []
    sent_ok(client, provider)


def test_a_number_refusal_says_none_leaves_the_default(client, provider):
    refused(lambda: client.complete("p/m", "hi", temperature=math.nan), "None leaves it to the provider's default")


@pytest.mark.parametrize("call", ["compare", "evaluate", "route", "auto", "acomplete", "prepare"])
def test_every_entry_point_checks_the_parameters(client, provider, call):
    """The same check on each path; with models='auto:N' it is raised once, not as every candidate's reason."""
    import asyncio

    calls = {
        "compare": lambda: client.compare("hi", ["p/m"], live=False, temperature=math.nan),
        "evaluate": lambda: client.evaluate(["hi"], ["p/m"], progress=False, temperature=math.nan),
        "route": lambda: client.route("hi", ["p/m"], temperature=math.nan),
        "auto": lambda: client.compare("hi", mm.Router(["p/m"]), live=False, temperature=math.nan),
        "acomplete": lambda: asyncio.run(client.acomplete("p/m", "hi", temperature=math.nan)),
        "prepare": lambda: client.prepare("p/m", "hi", temperature=math.nan),
    }
    message = refused(calls[call], "temperature must be a number >= 0, got nan")
    assert "excluded" not in message
    assert provider.bodies == []


@pytest.mark.parametrize(("param", "value"), [
    ("temperature", 0), ("temperature", 3.0), ("top_p", 0), ("top_p", 1), ("presence_penalty", -2),
    ("frequency_penalty", 2.0), ("max_tokens", 1), ("seed", -1), ("seed", 0), ("top_logprobs", 0),
    ("logprobs", False), ("stop", []), ("stop", "END"), ("n", 1), ("tool_choice", "auto"),
    ("response_format", {"type": "json_object"}), ("user", "u-1"), ("temperature", None),
])
def test_values_in_range_are_sent_as_given(client, provider, param, value):
    """The edges of each range pass; temperature has no universal top (OpenAI 2, Anthropic caps at 1, vLLM none),
    so 3.0 is the provider's to judge."""
    body = sent_ok(client, provider, **{param: value})
    assert body.get(param) == value if value is not None else param not in body


def test_numpy_numbers_from_a_dataframe_become_plain_json_numbers(client, provider):
    body = sent_ok(client, provider, temperature=np.float32(0.5), max_tokens=np.int64(20), seed=np.int64(7))
    assert (body["temperature"], body["max_tokens"], body["seed"]) == (0.5, 20, 7)


def test_an_int_temperature_keeps_its_cache_key(client):
    """A plain int is sent as it was (0, not 0.0): the cache key of an existing cache does not change."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert client.prepare("p/m", "hi", temperature=0).payload.count(b'"temperature":0}') == 1


# ---------------------------------------------------------------------------------- extra_body
@pytest.mark.parametrize(("key", "value", "fix"), [
    ("model", "p/other", "use the model argument ('provider/model-id'), so the row names the model that answered"),
    ("messages", [{"role": "user", "content": "x"}], "use the prompt argument"),
    ("stream", True, "use stream=True instead"),
    ("stream_options", {"include_usage": False}, "multimodel asks for the usage chunk itself"),
    ("tools", [], "use tools=[...]"),
])
def test_extra_body_cannot_replace_a_field_multimodel_writes(client, provider, key, value, fix):
    """extra_body={'model': ...} swapped the model while the row kept the old name."""
    refused(lambda: client.complete("p/m", "hi", extra_body={key: value}),
            f"extra_body[{key!r}] would replace what multimodel sends", fix)
    assert provider.bodies == []


@pytest.mark.parametrize(("extra", "fragment"), [
    ("top_k=40", "extra_body must be a dict of provider-specific fields, e.g. {'top_k': 40}, got str"),
    ([("top_k", 40)], "extra_body must be a dict"),
    ({"temperature": math.nan}, "extra_body.temperature must be a number >= 0, got nan"),
    ({"max_tokens": 0}, "extra_body.max_tokens must be a positive int, got 0"),
    ({"n": 4}, "extra_body.n=4: a Result holds one answer"),
    ({"top_k": math.inf}, "extra_body['top_k'] is NaN or infinite, which JSON cannot carry"),
    ({"google": {"thinking_config": {"temperature": [1, math.nan]}}},
     "extra_body['google']['thinking_config']['temperature'][1] is NaN or infinite"),
])
def test_extra_body_is_checked_like_the_parameters(client, provider, extra, fragment):
    refused(lambda: client.complete("p/m", "hi", extra_body=extra), fragment)
    assert provider.bodies == []


def test_provider_specific_fields_still_pass_through_extra_body(client, provider):
    body = sent_ok(client, provider, extra_body={"top_k": 40, "presence_penalty": 0.1, "logit_bias": {"1": 1}})
    assert (body["top_k"], body["presence_penalty"], body["logit_bias"]) == (40, 0.1, {"1": 1})
    assert body["model"] == "m"


# ---------------------------------------------------------------------------------- switches and retries
@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"stream": "yes"}, "stream must be True or False, got 'yes'"),
    ({"stream": 1}, "stream must be True or False, got 1"),
    ({"cache": "no"}, "cache must be True or False, got 'no'"),
    ({"repair": "off"}, "repair must be True or False, got 'off'"),
    ({"retries": True}, "retries must be a non-negative int, got True"),
    ({"retries": -1}, "retries must be a non-negative int, got -1"),
    ({"retries": 1.5}, "retries must be a non-negative int, got 1.5"),
])
def test_per_call_switches_are_booleans(client, provider, kwargs, fragment):
    """cache='no' was truthy, so the cache was used; stream='false' streamed."""
    refused(lambda: client.complete("p/m", "hi", **kwargs), fragment)
    assert provider.bodies == []


@pytest.mark.parametrize(("options", "fragment"), [
    ({"retries": True}, "retries must be a non-negative int, got True"),
    ({"retries": -1}, "retries must be a non-negative int, got -1"),
    ({"repair": "no"}, "repair must be True or False, got 'no'"),
])
def test_client_defaults_are_checked(provider, options, fragment):
    refused(lambda: client_for(provider, **options), fragment)


# ---------------------------------------------------------------------------------- evaluate()
@pytest.mark.parametrize(("kwargs", "fragments"), [
    ({"repeats": True}, ["repeats must be a positive int, got True"]),
    ({"repeats": 0}, ["repeats must be a positive int, got 0"]),
    ({"repeats": -2}, ["repeats must be a positive int, got -2"]),
    ({"repeats": 2.0}, ["repeats must be a positive int, got 2.0"]),
    ({"repeats": "3"}, ["repeats must be a positive int, got '3'"]),
    ({"budget_usd": math.nan}, ["budget_usd must be a positive number, got nan", "or None for no budget"]),
    ({"budget_usd": -1}, ["budget_usd must be a positive number, got -1"]),
    ({"budget_usd": 0}, ["budget_usd must be a positive number, got 0"]),
    ({"budget_usd": math.inf}, ["budget_usd must be a positive number, got inf"]),
    ({"budget_usd": "5"}, ["budget_usd must be a positive number, got '5'"]),
    ({"budget_usd": True}, ["budget_usd must be a positive number, got True"]),
    ({"concurrency": True}, ["concurrency must be a positive int, got True"]),
    ({"concurrency": 0}, ["concurrency must be a positive int, got 0"]),
    ({"concurrency": 2.5}, ["concurrency must be a positive int, got 2.5"]),
    ({"budget_override": "yes"}, ["budget_override must be True or False, got 'yes'"]),
    ({"progress": "no"}, ["progress must be True or False, got 'no'"]),
    ({"run_id": 5}, ["run_id must be a non-empty string"]),
    ({"run_id": ""}, ["run_id must be a non-empty string"]),
    ({"routes": ["p/m"]}, ["routes must be a dict of task → 'provider/model-id'"]),
    ({"routes": {"math": 5}}, ["routes must be a dict of task → 'provider/model-id'"]),
    ({"fallbacks": ["p/m"]}, ["fallbacks must be a dict of model → fallback models"]),
    ({"fallbacks": {"p/m": 5}}, ["fallbacks['p/m']=5: use 'provider/model-id' keys, each with a model or a list"]),
])
def test_evaluate_options_are_checked_before_sending(client, provider, kwargs, fragments):
    """repeats=True ran once (True is 1); budget_usd=NaN enforced nothing (every comparison with NaN is False)."""
    refused(lambda: client.evaluate(["What is 2+2?"], ["p/m"], **{"progress": False, **kwargs}), *fragments)
    assert provider.bodies == []


@pytest.mark.parametrize(("prompts", "kind"), [({"q1": "What is 2+2?"}, "a dict"), ({"What is 2+2?"}, "a set"),
                                               (frozenset({"What is 2+2?"}), "a set")])
def test_evaluate_refuses_unordered_prompts(client, provider, prompts, kind):
    """A dict's keys were sent as the prompts; a set's order changes between runs, and resuming needs the order."""
    refused(lambda: client.evaluate(prompts, ["p/m"], progress=False), f"prompts is {kind}: pass a list",
            "list(prompts.values())", "or a DataFrame")
    assert provider.bodies == []


def test_a_frame_mixing_prompt_and_messages_rows_is_read_row_by_row(client, provider):
    """pandas fills the other column's cell with NaN, which was taken for the prompt and refused as a float."""
    frame = pd.DataFrame([{"prompt": "What is 2+2?"}, {"messages": [{"role": "user", "content": "And 3+1?"}]}])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = client.evaluate(frame, ["p/m"], progress=False)
    assert sorted(b["messages"][0]["content"] for b in provider.bodies) == ["And 3+1?", "What is 2+2?"]
    assert list(ev.df["prompt_index"]) == [0, 1]
    empty = pd.DataFrame({"prompt": ["What is 2+2?", None], "messages": [None, math.nan]})
    refused(lambda: client.evaluate(empty, ["p/m"], progress=False), "prompt 1: the row has neither a 'prompt' "
            "nor a 'messages' value; fill one in or drop the row")
    assert len(provider.bodies) == 2


def test_compare_fallbacks_are_checked(client, provider):
    refused(lambda: client.compare("hi", ["p/m"], live=False, fallbacks="p/m"),
            "fallbacks must be a dict of model → fallback models, e.g. {'anthropic/claude-sonnet-4-6': "
            "['openai/gpt-5.4']}")
    assert provider.bodies == []


def test_models_that_are_not_a_list_are_refused(client, provider):
    """A number where the list of models goes was a raw TypeError ('int' object is not iterable)."""
    refused(lambda: client.compare("hi", 5, live=False), "models must be a list of 'provider/model-id' strings "
            "(or 'auto:N' to route), got 5")
    refused(lambda: client.evaluate(["hi"], 5, progress=False), "models=5: pass a list of 'provider/model-id'")
    refused(lambda: mm.Router(candidates=5), "candidates must be a list of 'provider/model-id' strings, got 5")
    assert provider.bodies == []


def test_valid_evaluate_options_still_run(client, provider):
    df_prompts = pd.DataFrame({"prompt": ["What is 2+2?"], "expected": ["4"], "task": ["math"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = client.evaluate(df_prompts, routes={"math": "p/m"}, repeats=np.int64(2), budget_usd=1,
                             concurrency=2, fallbacks={"p/m": "p/m"}, scorers=[mm.scorers.contains()],
                             progress=False, run_id="validation-run")
    assert len(provider.bodies) == 2 and list(ev.df["contains"]) == [1.0, 1.0]


# ---------------------------------------------------------------------------------- scorers
def one_arg(result):
    return 1.0


@pytest.mark.parametrize(("scorers", "fragments"), [
    ([len], ["scorers: len(obj, /) cannot be called as scorer(result, row)", "returns a number, a bool or None",
             "lambda result, row:"]),
    ([one_arg], ["scorers: one_arg(result) cannot be called as scorer(result, row)"]),
    ([mm.scorers.contains], ["scorers: mm.scorers.contains builds a scorer: call it, e.g. mm.scorers.contains()"]),
    ([mm.scorers.exact_match], ["mm.scorers.exact_match builds a scorer", "mm.scorers.exact_match()"]),
    ([mm.scorers.regex], ["mm.scorers.regex builds a scorer", "mm.scorers.regex(r'pattern')"]),
    ([mm.scorers.valid_json], ["mm.scorers.valid_json builds a scorer", "mm.scorers.valid_json()"]),
    ([mm.scorers.json_schema], ["mm.scorers.json_schema builds a scorer"]),
    ([mm.scorers.llm_judge], ["mm.scorers.llm_judge builds a scorer", "llm_judge('openai/gpt-5.4')"]),
    (["contains"], ["scorers: 'contains' is not callable"]),
    (len, ["scorers must be a list of scorers, e.g. scorers=[mm.scorers.contains('expected')]"]),
    (mm.scorers.contains("expected"), ["scorers must be a list of scorers"]),
    ("contains", ["scorers must be a list of scorers"]),
])
def test_a_scorer_of_the_wrong_shape_is_refused_before_sending(client, provider, scorers, fragments):
    """scorers=[len] and an uncalled factory scored every row NaN (after paying for it); scorers=len was a raw
    TypeError."""
    refused(lambda: client.evaluate(["What is 2+2?"], ["p/m"], scorers=scorers, progress=False), *fragments)
    assert provider.bodies == []


def test_scorers_of_the_right_shape_are_accepted(client, provider):
    def with_options(result, row, *, strict=False):
        return True

    class Scorer:
        def __call__(self, result, row):
            return np.float32(0.5)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = client.evaluate(["What is 2+2?"], ["p/m"], progress=False,
                             scorers=(with_options, Scorer(), lambda r, row: None, mm.scorers.regex("4")))
    row = ev.df.iloc[0]
    assert (row["with_options"], row["Scorer"], row["regex"]) == (1.0, 0.5, 1.0) and math.isnan(row["score_2"])


def test_a_scorer_returning_text_is_nan_with_a_warning_naming_the_fix(client, provider):
    """Found only after the answers came back, so they are kept: the score is NaN (a string that looked like a
    number used to be read as one) and the warning says what a scorer returns."""
    def label(result, row):
        return "4"

    expected = (r"scorer 'label' failed on 1 row\(s\) \(first: TypeError: returned str '4', not a number\).*A scorer "
                r"returns a number, a bool or None")
    with pytest.warns(RuntimeWarning, match=expected), warnings.catch_warnings():
        warnings.simplefilter("ignore", mm.PriceWarning)
        ev = client.evaluate(["What is 2+2?"], ["p/m"], scorers=[label], progress=False)
    assert len(provider.bodies) == 1 and ev.df["content"][0] == "The answer is 4." and math.isnan(ev.df["label"][0])


# ---------------------------------------------------------------------------------- the simulator sees nothing
def test_the_simulator_receives_nothing_for_a_refused_call():
    client = mm.Client.simulated()
    before = client.sim.stats()["received"]
    model = "deepseek/deepseek-flash"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kwargs in ({"temperature": math.nan}, {"extra_body": {"model": "deepseek-pro"}}, {"max_tokens": True},
                       {"stream": "no"}, {"top_p": 2}):
            refused(lambda kwargs=kwargs: client.complete(model, "hi", **kwargs))
        refused(lambda: client.evaluate(["hi"], [model], repeats=True, progress=False))
        refused(lambda: client.evaluate(["hi"], [model], scorers=[mm.scorers.contains], progress=False))
        refused(lambda: client.evaluate(["hi"], [model], budget_usd=math.nan, progress=False))
        refused(lambda: client.compare("hi", [model], live=False, extra_body={"stream": True}))
    assert client.sim.stats()["received"] == before
