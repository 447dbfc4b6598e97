"""Repair of rejected parameters: a provider's real 400 naming a parameter or value the model does not take
becomes one resend with the request fixed as the message says, a warning, a ``repaired`` entry on the row,
and a memory for that model (in the client and the cache file); ``repair=False`` turns it off.

The messages are the providers' own, verbatim, with their sources (also in multimodel/data/models.toml and
provider-quirks.md). The provider is played in-process by a ReplayTransport that rejects the forms the
message names and answers anything else. The models are ones the catalogue does not know (a new model the
day it ships), so the client builds the rejected form and only the provider's answer can correct it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import orjson
import pytest

import multimodel as mm
from multimodel.transport import ReplayTransport, Reply

JSON = {"content-type": "application/json"}
OK = orjson.dumps({"id": "r1", "object": "chat.completion", "model": "m", "choices": [
    {"index": 0, "message": {"role": "assistant", "content": "Fine."}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}})


def openai_error(message: str, param: str, code: str) -> bytes:
    return orjson.dumps({"error": {"message": message, "type": "invalid_request_error", "param": param,
                                   "code": code}})


# (name, model, request keywords, is the body rejected?, status, error body, the body's expected change, source)
CASES: list[tuple[str, str, dict[str, Any], Callable[[dict[str, Any]], bool], bytes, Callable[[dict], bool], str]] = [
    ("openai-max-tokens", "openai/gpt-7-preview", {"max_tokens": 50},
     lambda b: "max_tokens" in b,
     openai_error("Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                  "'max_completion_tokens' instead.", "max_tokens", "unsupported_parameter"),
     lambda b: b.get("max_completion_tokens") == 50 and "max_tokens" not in b,
     "provider-quirks.md section 1.2; measured proxy 2026-08-30"),
    ("openai-temperature", "openai/gpt-7-preview", {"temperature": 0.5},
     lambda b: b.get("temperature") not in (None, 1),
     openai_error("Unsupported value: 'temperature' does not support 0.5 with this model. Only the default (1) "
                  "value is supported.", "temperature", "unsupported_value"),
     lambda b: "temperature" not in b, "recorded 400 (research file section 7, case 8)"),
    ("openai-effort-value", "openai/gpt-7-preview", {"reasoning": "none"},
     lambda b: b.get("reasoning_effort") == "none",
     openai_error("Unsupported value: 'reasoning_effort' does not support 'none' with this model. Supported "
                  "values are: 'low', 'medium', 'high', and 'xhigh'.", "reasoning_effort", "unsupported_value"),
     lambda b: b.get("reasoning_effort") == "low", "o4-mini 400 via an Azure gateway (research section 7, case 9)"),
    ("openai-stop", "openai/gpt-7-preview", {"stop": ["END"]},
     lambda b: "stop" in b,
     openai_error("Unsupported parameter: 'stop' is not supported with this model.", "stop", "unsupported_parameter"),
     lambda b: "stop" not in b, "measured on gpt-5.6-terra 2026-08-30 (research section 7, case 14)"),
    ("anthropic-thinking-enabled", "anthropic/claude-next", {"reasoning": "high"},
     lambda b: (b.get("thinking") or {}).get("type") == "enabled",
     orjson.dumps({"type": "error", "error": {"type": "invalid_request_error", "message":
                   '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and '
                   '"output_config.effort" to control thinking behavior.'}}),
     lambda b: b["thinking"] == {"type": "adaptive"}, "lidge-jun/opencodex PR#65 (2026-07-06); hermes-agent#11137"),
    ("anthropic-temperature", "anthropic/claude-next", {"temperature": 0.7},
     lambda b: "temperature" in b,
     orjson.dumps({"type": "error", "request_id": "req_1", "error": {"type": "invalid_request_error",
                   "message": "`temperature` is deprecated for this model."}}),
     lambda b: "temperature" not in b, "RooCodeInc/Roo-Code#12162 (2026-04-21); pr-agent#2456"),
    ("xai-penalty", "xai/aurora-next", {"presence_penalty": 0.0},
     lambda b: "presence_penalty" in b,
     orjson.dumps({"code": "invalid-argument", "error": "Model grok-4.5 does not support parameter presencePenalty."}),
     lambda b: "presence_penalty" not in b, "verbatim body from api.x.ai (research section 7, case 18)"),
    ("gemini-minimal", "gemini/learnlm-next", {"reasoning": "minimal"},
     lambda b: b.get("extra_body", {}).get("google", {}).get("thinking_config", {}).get("thinking_level") == "minimal",
     orjson.dumps([{"error": {"code": 400, "message": "Thinking level MINIMAL is not supported for this model. "
                              "Please retry with other thinking level.", "status": "INVALID_ARGUMENT"}}]),
     lambda b: b["extra_body"]["google"]["thinking_config"]["thinking_level"] == "low",
     "earendil-works/pi#9455 (2026-09-10)"),
]


class Provider:
    """Rejects a body ``rejects`` matches with the provider's own 400, answers anything else; keeps every body."""

    def __init__(self, rejects: Callable[[dict[str, Any]], bool], error: bytes) -> None:
        self.rejects, self.error, self.bodies = rejects, error, []

    def __call__(self, url: str, headers: Any, payload: bytes) -> Reply:
        body = orjson.loads(payload)
        self.bodies.append(body)
        return Reply(400, JSON, self.error) if self.rejects(body) else Reply(200, JSON, OK)


def client_for(provider: Provider, **kw: Any) -> mm.Client:
    keys = {p: {"api_key": "k", "prices": {"x": {"input": 1, "output": 1}}} for p in
            ("openai", "anthropic", "gemini", "xai")}
    return mm.Client(providers=keys, transport=ReplayTransport(provider), **{"cache": False, **kw})


def complete(client: mm.Client, model: str, **kw: Any) -> mm.Result:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mm.ModelWarning)
        warnings.simplefilter("ignore", mm.PriceWarning)
        return client.complete(model, "Is the sky blue?", retries=0, **kw)


@pytest.mark.parametrize(("name", "model", "kwargs", "rejects", "error", "fixed", "source"), CASES,
                         ids=[c[0] for c in CASES])
def test_a_real_rejection_becomes_one_successful_resend(name, model, kwargs, rejects, error, fixed, source):
    provider = Provider(rejects, error)
    client = client_for(provider)
    with pytest.warns(mm.ParamWarning, match="the provider rejected the request") as caught:
        r = complete(client, model, **kwargs)
    assert r.error is None and r.content == "Fine.", (name, r.error)
    assert len(provider.bodies) == 2 and rejects(provider.bodies[0]) and fixed(provider.bodies[1])
    assert r.attempts == 2 and len(r.repaired) == 1
    assert r.to_frame()["repaired"][0] == r.repaired
    message = orjson.loads(error)
    text = message[0]["error"]["message"] if isinstance(message, list) else (
        message["error"] if isinstance(message.get("error"), str) else message["error"]["message"])
    assert text in str(caught[0].message)  # the warning quotes the provider
    # remembered for the model: the next request is sent repaired, with no 400 first
    again = complete(client, model, **kwargs)
    assert again.error is None and again.attempts == 1 and again.repaired == r.repaired
    assert len(provider.bodies) == 3 and fixed(provider.bodies[2])


def test_repair_false_sends_the_rejection_through_as_an_error_row():
    _, model, kwargs, rejects, error, _, _ = CASES[0]
    provider = Provider(rejects, error)
    r = complete(client_for(provider, repair=False), model, **kwargs)
    assert r.error.kind == "bad_request" and r.repaired == [] and len(provider.bodies) == 1
    provider = Provider(rejects, error)
    r = complete(client_for(provider), model, repair=False, **kwargs)  # per call too
    assert r.error.kind == "bad_request" and len(provider.bodies) == 1


def test_a_400_that_names_nothing_to_change_is_not_resent():
    provider = Provider(lambda b: True, openai_error("The model `gpt-7-preview` does not exist or you do not have "
                                                     "access to it.", None, "model_not_found"))
    r = complete(client_for(provider), "openai/gpt-7-preview")
    assert r.error is not None and r.repaired == [] and len(provider.bodies) == 1


def test_several_rejections_in_turn_are_repaired_at_most_three_times():
    def rejects_one_at_a_time(url: str, headers: Any, payload: bytes) -> Reply:
        body = orjson.loads(payload)
        bodies.append(body)
        for key in ("max_tokens", "stop", "logit_bias", "presence_penalty"):
            if key in body:
                return Reply(400, JSON, openai_error(f"Unsupported parameter: '{key}' is not supported with this "
                                                     "model.", key, "unsupported_parameter"))
        return Reply(200, JSON, OK)

    bodies: list[dict[str, Any]] = []
    client = mm.Client(providers={"openai": {"api_key": "k"}}, cache=False,
                       transport=ReplayTransport(rejects_one_at_a_time))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = client.complete("openai/gpt-7-preview", "hi", retries=0, max_tokens=5, stop=["x"],
                            extra_body={"logit_bias": {"1": 1}, "presence_penalty": 0.1})
    assert r.repaired == ["dropped max_tokens", "dropped stop", "dropped logit_bias"]
    assert r.error is not None and r.error.kind == "bad_request" and len(bodies) == 4  # one fix too many: an error


def test_the_memory_survives_in_the_cache_file_and_keeps_the_cache_key(tmp_path):
    _, model, kwargs, rejects, error, _, _ = CASES[0]
    path = tmp_path / "cache.sqlite"
    first = Provider(rejects, error)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = complete(client_for(first, cache=str(path)), model, **kwargs)
    assert r.repaired and len(first.bodies) == 2
    # a new client on the same file (the next kernel): no 400 first, and the cached answer is found under the
    # request as the caller asked for it
    second = Provider(rejects, error)
    client = client_for(second, cache=str(path))
    cached = complete(client, model, **kwargs)
    assert cached.cached and cached.repaired == r.repaired and second.bodies == []
    fresh = complete(client, model, max_tokens=60)
    assert fresh.error is None and fresh.attempts == 1 and len(second.bodies) == 1
    assert second.bodies[0].get("max_completion_tokens") == 60 and "max_tokens" not in second.bodies[0]


def test_the_probe_and_on_unsupported_send_never_repair():
    _, model, kwargs, rejects, error, _, _ = CASES[0]
    provider = Provider(rejects, error)
    req = client_for(provider).prepare(model, "hi", on_unsupported="send", **kwargs)
    assert req.repair is False
