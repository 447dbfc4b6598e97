"""Issue #8 through the client: input helpers, capability tables, no silent drops, size limits, routing.

Every (dialect, feature) pair of the capability table is sent through the client to the simulator: a
supported input must visibly reach the simulated model (its answer says what it received, or its record
does), and an ignored or rejected one must be refused before sending, marked in ``dropped_inputs``, or
skipped with an error row, as ``on_unsupported`` says. Nothing may be dropped without a trace.
"""

from __future__ import annotations

import json
import warnings

import orjson
import pytest

import multimodel as mm
from multimodel.inputs import REMOVED_NOTE, scan_inputs
from multimodel.providers import CAPABILITY_TABLES
from multimodel.providers.capabilities import FEATURES, LIMITS, STATUSES
from multimodel.sim.media import sample_pdf, sample_png, sample_wav

PNG = sample_png()
WAV = sample_wav()
PDF = sample_pdf()
SCHEMA = {"type": "object", "properties": {"colour": {"type": "string"}}, "required": ["colour"]}

# One model per behaviour group of every dialect (text-only and vision variants included).
MODELS = [
    "openai/gpt-5.4", "openai/gpt-5-mini", "openai/gpt-audio",
    "anthropic/claude-sonnet-4-6",
    "gemini/gemini-3-flash-preview",
    "xai/grok-4.3", "xai/grok-3-mini",
    "deepseek/deepseek-flash", "deepseek/deepseek-v4-pro",
    "openrouter/openai/gpt-5.4", "openrouter/anthropic/claude-sonnet-4.6", "openrouter/google/gemini-3-flash-preview",
    "openrouter/deepseek/deepseek-chat",
]


@pytest.fixture(scope="module")
def client():
    """A simulated client on its own zero-latency simulator (the tests read its records and counters)."""
    c = mm.Client.simulated(cache=False, latency_scale=0)
    yield c
    c.sim.stop()


def _sent(client) -> int:
    """How many requests the simulator has received so far."""
    return client.sim.stats()["received"]


def _last_record(client) -> dict:
    return client.sim.requests(1)[-1]


def _shows(evidence, result) -> bool:
    try:
        return bool(evidence(result))
    except (ValueError, TypeError, AttributeError):  # e.g. not JSON at all
        return False


# ---------------------------------------------------------------- helpers
def test_image_from_path_bytes_url_and_data_url(tmp_path):
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    part = mm.image(path, detail="low")
    assert part["type"] == "image_url" and part["image_url"]["detail"] == "low"
    assert part["image_url"]["url"].startswith("data:image/png;base64,")
    assert mm.image(PNG) == mm.image(str(path))
    assert mm.image("https://example.com/cat.jpg")["image_url"]["url"] == "https://example.com/cat.jpg"
    data_url = part["image_url"]["url"]
    assert mm.image(data_url)["image_url"]["url"] == data_url
    item = scan_inputs([{"role": "user", "content": [part]}])[0]
    assert (item.feature, item.mime, item.nbytes) == ("image_data_url", "image/png", len(PNG))
    assert "base64" not in repr(part) and len(repr(part)) < 80  # a notebook cell never floods
    assert orjson.loads(orjson.dumps(part)) == dict(part)  # a plain dict on the wire


def test_type_detection_uses_the_bytes_not_the_name(tmp_path):
    lying = tmp_path / "photo.png"
    lying.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)  # a JPEG named .png
    assert mm.image(lying)["image_url"]["url"].startswith("data:image/jpeg;")
    for data, fmt in ((WAV, "wav"), (b"ID3\x04" + b"\x00" * 32, "mp3"), (b"fLaC" + b"\x00" * 32, "flac"),
                      (b"OggS" + b"\x00" * 32, "ogg")):
        assert mm.audio(data)["input_audio"]["format"] == fmt
    part = mm.pdf(PDF, filename="report.pdf")
    assert part["file"]["filename"] == "report.pdf"
    assert part["file"]["file_data"].startswith("data:application/pdf;base64,")


@pytest.mark.parametrize(("call", "fragment"), [
    (lambda p: mm.image(p / "missing.png"), "no such file"),
    (lambda p: mm.image(b"plain text, not an image"), "not a PNG"),
    (lambda p: mm.image(PNG, detail="ultra"), "detail"),
    (lambda p: mm.image("data:image/png,notbase64"), "data URL"),
    (lambda p: mm.image(12), "takes a path"),
    (lambda p: mm.audio(PNG), "not WAV"),
    (lambda p: mm.audio("https://example.com/a.wav"), "download it first"),
    (lambda p: mm.pdf(PNG), "not a PDF"),
    (lambda p: mm.pdf(b""), "empty"),
])
def test_bad_input_gets_a_clear_config_error(tmp_path, call, fragment):
    with pytest.raises(mm.ConfigError, match=fragment):
        call(tmp_path)


def test_prompt_lists_mixing_text_and_parts(client):
    req = client.prepare("gemini/gemini-3-flash-preview", ["What is in this picture?", mm.image(PNG)])
    (msg,) = req.body["messages"]
    assert msg["role"] == "user"
    assert msg["content"][0] == {"type": "text", "text": "What is in this picture?"}
    assert msg["content"][1]["type"] == "image_url"
    assert client.prepare("gemini/gemini-3-flash-preview", mm.image(PNG)).body["messages"][0]["content"][0]["type"] == \
        "image_url"
    with pytest.raises(mm.ConfigError, match="mixes messages"):
        client.prepare("gemini/gemini-3-flash-preview", ["hi", {"role": "user", "content": "there"}])
    with pytest.raises(mm.ConfigError, match=r"messages\[0\].content: an image_url part needs"):
        client.prepare("gemini/gemini-3-flash-preview", [{"role": "user", "content": [{"type": "image_url"}]}])


def test_n_above_one_is_refused_with_the_alternative(client):
    with pytest.raises(mm.ConfigError, match="repeats=N"):
        client.prepare("openai/gpt-5.4", "hi", n=3)


# ---------------------------------------------------------------- the tables
def test_every_table_covers_every_feature_with_a_source():
    assert set(CAPABILITY_TABLES) == {"openai", "anthropic", "gemini", "xai", "deepseek", "openrouter", "generic"}
    for name, table in CAPABILITY_TABLES.items():
        assert set(table.features) == set(FEATURES), name
        entries = list(table.features.values()) + [e for r in table.rules for e in r.features.values()]
        for entry in entries:
            assert entry.status in STATUSES
            assert entry.source, name
            if name != "generic":
                assert entry.source.startswith("https://"), (name, entry)
        for lim in list(table.limits.values()) + [x for r in table.rules for x in r.limits.values()]:
            assert lim.source.startswith("https://"), name
        assert set(table.limits) <= set(LIMITS)


@pytest.mark.parametrize(("model", "feature", "status"), [
    ("openai/gpt-5.4", "audio_input", "rejected"),
    ("openai/gpt-audio", "audio_input", "supported"),
    ("openai/gpt-audio", "image_data_url", "rejected"),
    ("openai/gpt-5-mini", "logprobs", "rejected"),
    ("openai/gpt-4.1-mini", "logprobs", "supported"),
    ("anthropic/claude-sonnet-4-6", "audio_input", "ignored"),
    ("anthropic/claude-sonnet-4-6", "file_input", "ignored"),
    ("anthropic/claude-sonnet-4-6", "structured_outputs", "ignored"),
    ("gemini/gemini-3-flash-preview", "seed", "rejected"),
    ("gemini/gemini-2.5-flash", "n_gt_1", "supported"),
    ("gemini/gemini-3-flash-preview", "n_gt_1", "rejected"),
    ("xai/grok-3-mini", "image_data_url", "rejected"),
    ("xai/grok-4.3", "image_http_url", "supported"),
    ("xai/grok-4", "image_data_url", "unknown"),
    ("deepseek/deepseek-flash", "image_data_url", "supported"),
    ("deepseek/deepseek-v4-pro", "image_data_url", "rejected"),
    ("deepseek/deepseek-v4-flash", "image_data_url", "unknown"),
    ("deepseek/deepseek-flash", "structured_outputs", "rejected"),
    ("openrouter/deepseek/deepseek-chat", "image_data_url", "rejected"),
    ("openrouter/deepseek/deepseek-chat", "file_input", "supported"),
    ("openrouter/google/gemini-3-flash-preview", "audio_input", "supported"),
    ("openrouter/anthropic/claude-sonnet-4.6", "seed", "ignored"),
    ("openrouter/meta-llama/llama-4", "image_data_url", "unknown"),
])
def test_per_model_rules(client, model, feature, status):
    caps = client.capabilities(model)
    assert caps.status(feature) == status, caps.features[feature]
    assert caps.features[feature].source.startswith("https://")


def test_capabilities_as_a_table_and_html(client):
    caps = client.capabilities("anthropic/claude-sonnet-4-6")
    df = caps.df
    assert set(FEATURES) <= set(df["feature"])
    assert df.set_index("feature").loc["audio_input", "status"] == "ignored"
    assert df.set_index("feature").loc["max_image_bytes", "status"] == "7.5 MB"
    html = caps._repr_html_()
    assert "ignored" in html and "https://platform.claude.com" in html


# ---------------------------------------------------------------- no silent drops, end to end
def _request(feature):
    """(prompt, extra kwargs, evidence check on the answer) for one feature."""
    if feature == "image_data_url":
        return ["What colour is this?", mm.image(PNG)], {}, lambda r: f"I see 1 image (image/png, {len(PNG):,} bytes)" \
            in r.content
    if feature == "image_http_url":
        url = "https://example.com/red.png"
        return ["What colour is this?", mm.image(url)], {}, lambda r: f"I see 1 image (linked {url})" in r.content
    if feature == "audio_input":
        return ["Transcribe this.", mm.audio(WAV)], {}, lambda r: f"I hear 1 audio clip (wav, {len(WAV):,} bytes)" \
            in r.content
    if feature == "file_input":
        return ["Summarise the attachment.", mm.pdf(PDF, filename="probe.pdf")], {}, \
            lambda r: f"I read 1 PDF (probe.pdf, {len(PDF):,} bytes)" in r.content
    if feature == "json_mode":
        return "Reply in json: what colour is the sky?", {"response_format": {"type": "json_object"}}, \
            lambda r: isinstance(json.loads(r.content), dict)
    if feature == "structured_outputs":
        rf = {"type": "json_schema", "json_schema": {"name": "c", "schema": SCHEMA, "strict": True}}
        return "What colour is the sky?", {"response_format": rf}, \
            lambda r: isinstance(json.loads(r.content).get("colour"), str)
    if feature == "seed":
        return "Name a colour.", {"seed": 7}, None  # checked against the simulator's record
    if feature in ("tool_calling", "streamed_tool_calls"):
        weather = {"type": "function", "function": {"name": "get_weather", "parameters": {
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
        return "What is the weather in Paris?", {"tools": [weather], "stream": feature == "streamed_tool_calls"}, \
            lambda r: [tc.name for tc in r.tool_calls] == ["get_weather"] and r.tool_calls[0].arguments is not None
    if feature == "logprobs":
        return "Name a colour.", {"logprobs": True, "top_logprobs": 2}, \
            lambda r: bool(r.logprobs) and all("logprob" in e for e in r.logprobs)
    raise AssertionError(feature)


CHECKED = ("image_data_url", "image_http_url", "audio_input", "file_input", "json_mode", "structured_outputs",
           "tool_calling", "streamed_tool_calls", "seed", "logprobs")  # n_gt_1: always refused (a test below)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("feature", CHECKED)
def test_each_input_reaches_the_model_or_is_refused_before_sending(client, model, feature):
    status = client.capabilities(model).status(feature)
    prompt, kwargs, evidence = _request(feature)
    if model.endswith("gpt-audio") and feature != "audio_input":
        # the audio models answer 400 "requires that either input content or output modality contain audio"
        prompt = [*prompt, mm.audio(WAV)] if isinstance(prompt, list) else [prompt, mm.audio(WAV)]
    before = _sent(client)
    if status in ("ignored", "rejected"):
        with pytest.raises(mm.ConfigError, match="would not receive") as exc:
            client.complete(model, prompt, **kwargs)
        assert "on_unsupported" in str(exc.value)
        assert _sent(client) == before  # refused before anything was sent
        with pytest.warns(mm.ParamWarning, match="sent without it"):
            warned = client.complete(model, prompt, on_unsupported="warn", **kwargs)
        assert warned.error is None, warned.error
        assert warned.dropped_inputs == [feature]
        if evidence is not None:
            assert not _shows(evidence, warned)
        else:
            assert _last_record(client)["seed"] is None
        skipped = client.complete(model, prompt, on_unsupported="skip", **kwargs)
        assert skipped.error.kind == "unsupported" and skipped.attempts == 0
        assert skipped.dropped_inputs == [feature] and f"{model} would not receive" in skipped.error.message
        assert _sent(client) == before + 1  # only the "warn" request went out
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = client.complete(model, prompt, **kwargs)
    assert r.dropped_inputs == []
    if status == "unknown":
        # sent as given, flagged on the row and in a warning; the simulator then takes it (visibly) or
        # rejects it (an error row): never a quiet loss
        assert r.unverified_inputs == [feature]
        assert any("does not say whether" in str(w.message) for w in caught)
        if evidence is not None:
            assert r.error is not None or _shows(evidence, r), (model, feature, r.content[:200])
        return
    assert r.error is None, (model, feature, r.error)
    if feature == "seed":
        assert _last_record(client)["seed"] == 7
    else:
        assert _shows(evidence, r), (model, feature, r.content[:300])


def test_anthropic_really_drops_audio_silently_so_the_check_matters(client):
    """The simulated compatibility layer strips audio without a word, as documented: sent raw (no check),
    the answer never mentions it. This is the silent drop the capability check exists for."""
    r = client.complete("anthropic/claude-sonnet-4-6", ["Transcribe this.", mm.audio(WAV)], on_unsupported="send")
    assert r.error is None and "I hear" not in r.content and r.dropped_inputs == []
    assert _last_record(client)["received"]["audio"] == 0


def test_warn_mode_strips_only_the_lost_part_and_keeps_the_rest(client):
    prompt = ["Compare these.", mm.image(PNG), mm.audio(WAV)]
    with pytest.warns(mm.ParamWarning):
        r = client.complete("anthropic/claude-sonnet-4-6", prompt, on_unsupported="warn", seed=3)
    assert r.dropped_inputs == ["audio_input", "seed"]
    assert "I see 1 image" in r.content and "I hear" not in r.content
    body = client.prepare("anthropic/claude-sonnet-4-6", mm.audio(WAV), on_unsupported="warn").body
    assert body["messages"][0]["content"] == [{"type": "text", "text": REMOVED_NOTE}]


def test_compare_across_providers_marks_the_rows(client):
    models = ["openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "gemini/gemini-3-flash-preview", "xai/grok-4.3",
              "deepseek/deepseek-flash"]
    with pytest.raises(mm.ConfigError, match="3 of 5 models would not receive") as exc:
        client.compare(["What is this?", mm.audio(WAV)], models=models, live=False)
    for m in ("openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "deepseek/deepseek-flash"):
        assert f"- {m}: audio clip" in str(exc.value)
    assert "Models that accept the whole request: openai/gpt-audio, gemini/" in str(exc.value)
    cmp = client.compare(["What is this?", mm.audio(WAV)], models=models, live=False, on_unsupported="skip")
    df = cmp.df.set_index("model")
    assert df["error_kind"].isna()["gemini/gemini-3-flash-preview"]
    assert "I hear 1 audio clip" in df.loc["gemini/gemini-3-flash-preview", "content"]
    for m in ("openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "deepseek/deepseek-flash"):
        assert df.loc[m, "error_kind"] == "unsupported" and df.loc[m, "dropped_inputs"] == ["audio_input"]
    assert df.loc["xai/grok-4.3", "unverified_inputs"] == ["audio_input"]


def test_size_limits_and_types(client):
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8_000_000  # 8 MB: over Anthropic's 7.5 MB, under Gemini's limits
    prompt = ["Describe.", mm.image(big)]
    with pytest.raises(mm.ConfigError, match=r"8\.0 MB is over Anthropic's limit of 7\.5 MB"):
        client.prepare("anthropic/claude-sonnet-4-6", prompt)
    assert client.prepare("gemini/gemini-3-flash-preview", prompt).skip is None
    row = client.complete("anthropic/claude-sonnet-4-6", prompt, on_unsupported="skip")
    assert row.error.kind == "unsupported" and "limit of 7.5 MB" in row.error.message
    gif = mm.image(b"GIF89a" + b"\x00" * 64)
    with pytest.raises(mm.ConfigError, match="accepts images of type image/jpeg, image/png, not image/gif"):
        client.prepare("xai/grok-4.3", ["What is this?", gif])
    tiny = mm.Client(providers={"deepseek": {"base_url": client.sim.base_url("deepseek"), "api_key": "k",
                                             "capabilities": {"max_request_bytes": 2000}}}, cache=False)
    with pytest.raises(mm.ConfigError, match=r"accepts requests up to 2\.0 kB"):
        tiny.prepare("deepseek/deepseek-flash", ["x" * 3000, mm.image(PNG)])
    with pytest.warns(mm.ParamWarning, match="cannot be sent without it"):
        req = tiny.prepare("deepseek/deepseek-flash", ["x" * 3000, mm.image(PNG)], on_unsupported="warn")
    assert req.skip is not None  # removing a part would not save an oversized request


def test_generic_endpoints_are_unknown_until_declared(client):
    base = client.sim.base_url("openai")
    generic = mm.Client(providers={"local": {"base_url": base, "api_key": "k"}}, cache=False)
    assert generic.capabilities("local/gpt-5.4").status("image_data_url") == "unknown"
    with pytest.warns(mm.ParamWarning, match="does not say whether it accepts image"):
        r = generic.complete("local/gpt-5.4", ["What is this?", mm.image(PNG)])
    assert r.unverified_inputs == ["image_data_url"] and "I see 1 image" in r.content
    declared = mm.Client(providers={"local": {"base_url": base, "api_key": "k",
                                              "capabilities": {"image_data_url": "supported"}}}, cache=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", mm.ParamWarning)
        assert declared.complete("local/gpt-5.4", ["What?", mm.image(PNG)]).unverified_inputs == []
    borrowed = mm.Client(providers={"local": {"base_url": base, "api_key": "k", "capabilities": "openai"}})
    assert borrowed.capabilities("local/gpt-5.4").status("audio_input") == "rejected"
    with pytest.raises(mm.ConfigError, match="capabilities"):
        mm.Client(providers={"local": {"base_url": base, "api_key": "k", "capabilities": {"image": "yes"}}})


def test_dropped_inputs_survive_the_cache(tmp_path, client):
    c = mm.Client(providers={"anthropic": {"base_url": client.sim.base_url("anthropic"), "api_key": "k"}},
                  cache=str(tmp_path / "c.sqlite"))
    with pytest.warns(mm.ParamWarning):
        first = c.complete("anthropic/claude-sonnet-4-6", "Name a colour.", seed=5, on_unsupported="warn")
    again = c.complete("anthropic/claude-sonnet-4-6", "Name a colour.", seed=5, on_unsupported="warn")
    assert again.cached and again.dropped_inputs == first.dropped_inputs == ["seed"]
    key = c.prepare("anthropic/claude-sonnet-4-6", "Name a colour.", seed=5, on_unsupported="warn").cache_key
    stored, _ = c.cache.get_with_run(key)
    assert stored.dropped_inputs == ["seed"]  # in the cache file itself, not only re-applied on the way out


# ---------------------------------------------------------------- routing
def test_route_explains_every_candidate(client):
    route = client.route(["Transcribe this.", mm.audio(WAV)],
                         ["openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "xai/grok-4.3",
                          "gemini/gemini-3-flash-preview", "openai/gpt-audio"], n=2)
    assert route.models == ["gemini/gemini-3-flash-preview", "openai/gpt-audio"]
    reasons = dict(zip(route.df["model"], route.df["reason"], strict=True))
    assert "rejects it" in reasons["openai/gpt-5.4"]
    assert "silently drops it" in reasons["anthropic/claude-sonnet-4-6"]
    assert "does not say whether" in reasons["xai/grok-4.3"]
    assert reasons["gemini/gemini-3-flash-preview"].startswith("accepts audio clip")
    loose = client.route(["Transcribe.", mm.audio(WAV)], ["xai/grok-4.3", "gemini/gemini-3-flash-preview"],
                         allow_unknown=True)
    assert loose.model == "xai/grok-4.3"


def test_route_with_features_and_price_preference(client):
    rf = {"type": "json_schema", "json_schema": {"name": "c", "schema": SCHEMA}}
    route = client.route(["What is in this picture?", mm.image(PNG)],
                         ["anthropic/claude-sonnet-4-6", "deepseek/deepseek-flash", "openai/gpt-5.4",
                          "gemini/gemini-3-flash-preview"], n=3, prefer="cheapest", response_format=rf)
    # Anthropic ignores json_schema, DeepSeek rejects it; of the rest the cheaper comes first
    assert route.models == ["gemini/gemini-3-flash-preview", "openai/gpt-5.4"]
    assert "by list price" in route.reason("gemini/gemini-3-flash-preview")


def test_route_excludes_providers_without_keys(monkeypatch):
    for var in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    real = mm.Client(cache=False)
    route = real.route(["What is this?", mm.image(PNG)], ["openai/gpt-5.4", "anthropic/claude-sonnet-4-6"])
    assert route.model == "anthropic/claude-sonnet-4-6"
    assert "no API key for openai (set OPENAI_API_KEY)" in route.reason("openai/gpt-5.4")
    assert "sk-test" not in repr(route) + route.df.to_string()


def test_compare_auto_routes_and_records_why(client):
    cmp = client.compare(["Transcribe this.", mm.audio(WAV)], models="auto:2", live=False)
    assert [r.model for r in cmp.results] == ["gemini/gemini-3-flash-preview", "openai/gpt-audio"]
    assert all("I hear 1 audio clip" in r.content for r in cmp.results)
    assert cmp.df["route_reason"].str.startswith("accepts audio clip").all()
    assert (~cmp.route.df["chosen"]).sum() == len(cmp.route.df) - 2
    with pytest.raises(mm.ConfigError, match="no candidate model accepts"):
        client.compare(["Transcribe.", mm.audio(WAV)], models=mm.Router(["anthropic/claude-sonnet-4-6"]),
                       live=False)
    with pytest.raises(mm.ConfigError, match="auto:N"):
        client.compare("hi", models="auto:zero", live=False)


def test_evaluate_routes_each_prompt(client, tmp_path):
    prompts = ["What is 2+2?", ["Transcribe this.", mm.audio(WAV)], ["What colour?", mm.image(PNG)]]
    router = mm.Router(["anthropic/claude-sonnet-4-6", "gemini/gemini-3-flash-preview"], n=1)
    ev = client.evaluate(prompts, models=router, progress=False)
    assert list(ev.df["model"]) == ["anthropic/claude-sonnet-4-6", "gemini/gemini-3-flash-preview",
                                    "anthropic/claude-sonnet-4-6"]
    assert "I hear 1 audio clip" in ev.df["content"][1] and "I see 1 image" in ev.df["content"][2]
    routing = ev.routing
    assert set(routing["prompt_index"]) == {0, 1, 2} and routing["chosen"].sum() == 3
    excluded = routing[(routing["prompt_index"] == 1) & ~routing["chosen"]]
    assert "silently drops it" in excluded["reason"].iloc[0]
    import pandas as pd

    back = pd.read_parquet(ev.to_parquet(tmp_path / "ev.parquet"))
    assert json.loads(back["dropped_inputs"][0]) == [] and back["route_reason"][1].startswith("accepts audio")
    assert json.loads(back["prompt"][1])[1]["input_audio"]["format"] == "wav"


def test_audio_is_never_priced_at_text_rates(client):
    """Providers bill audio tokens at their own rate; the price table holds text rates only, so a price-table
    cost for an audio request would be wrong: NaN and a warning instead. Provider-reported cost still counts."""
    import math

    client = mm.Client.simulated(latency_scale=0)  # the warning is once per client: a fresh one warns
    with pytest.warns(mm.PriceWarning, match="audio tokens are billed at a separate rate"):
        heard = client.complete("gemini/gemini-3-flash-preview", ["What is this?", mm.audio(WAV)])
    assert heard.error is None and math.isnan(heard.cost_usd) and heard.cost_source is None
    text = client.complete("gemini/gemini-3-flash-preview", "What is this?")
    assert text.cost_usd > 0 and text.cost_source == "price_table"
    gateway = client.complete("openrouter/google/gemini-3-flash-preview", ["What is this?", mm.audio(WAV)])
    assert gateway.cost_source == "provider" and gateway.cost_usd > 0


# ---------------------------------------------------------------- from the review of the first version
def test_warn_mode_removes_exactly_the_parts_that_are_lost(client):
    """101 identical images to a model that takes 100: the 101st goes, the other 100 stay (equal parts are
    told apart by position, not by value)."""
    prompt = ["Count them.", *[mm.image(PNG) for _ in range(101)]]
    with pytest.warns(mm.ParamWarning, match="at most 100 images"):
        r = client.complete("anthropic/claude-sonnet-4-6", prompt, on_unsupported="warn")
    assert r.dropped_inputs == ["image_data_url"]
    assert "I see 100 images" in r.content


def test_a_parameter_the_dialect_removes_follows_the_policy(client):
    """gpt-5.4 takes logprobs only while reasoning_effort is 'none': with reasoning= set, the request would
    lose them, so the default refuses it, 'warn' marks it, and routing leaves the model out."""
    with pytest.raises(mm.ConfigError, match="would not receive logprobs=True"):
        client.prepare("openai/gpt-5.4", "hi", reasoning="high", logprobs=True)
    with pytest.warns(mm.ParamWarning):
        r = client.complete("openai/gpt-5.4", "hi", reasoning="high", logprobs=True, on_unsupported="warn")
    assert r.dropped_inputs == ["logprobs"] and r.logprobs is None
    assert client.complete("openai/gpt-5.4", "hi", logprobs=True).logprobs  # effort "none": they come back
    route = client.route("hi", ["openai/gpt-5.4", "deepseek/deepseek-flash"], reasoning="high", logprobs=True)
    assert route.model == "deepseek/deepseek-flash" and "logprobs" in route.reason("openai/gpt-5.4")
    assert client.prepare("openai/gpt-5.4", "hi", logprobs=False).dropped == []  # False asks for nothing


def test_suggested_models_take_the_whole_request(client):
    with pytest.raises(mm.ConfigError) as exc:
        client.prepare("anthropic/claude-sonnet-4-6", ["Compare.", mm.image(PNG), mm.audio(WAV)])
    takers = exc.value.takers
    assert takers and "openai/gpt-audio" not in takers  # it takes the audio but rejects the image
    assert all(client.capabilities(m).accepts("audio_input") and client.capabilities(m).accepts("image_data_url")
               for m in takers)


def test_fallbacks_are_checked_and_named(client):
    with pytest.raises(mm.ConfigError,
                       match=r"anthropic/claude-haiku-4-5 \(fallback of gemini/gemini-3-flash-preview\)"):
        client.compare(["Listen.", mm.audio(WAV)], models=["gemini/gemini-3-flash-preview"], live=False,
                       fallbacks={"gemini/gemini-3-flash-preview": ["anthropic/claude-haiku-4-5"]})


def test_media_only_where_the_provider_takes_it(client):
    msgs = [{"role": "system", "content": [{"type": "text", "text": "Style guide:"}, mm.image(PNG)]},
            {"role": "user", "content": "Describe our style."}]
    with pytest.raises(mm.ConfigError, match="only in user messages, not in a system message"):
        client.prepare("openai/gpt-5.4", msgs)
    capped = mm.Client(providers={"openai": {"base_url": client.sim.base_url("openai"), "api_key": "k",
                                             "capabilities": {"max_total_image_bytes": 100}}}, cache=False)
    with pytest.raises(mm.ConfigError, match=r"the images add up to 158 B, over OpenAI's limit of 100 B"):
        capped.prepare("openai/gpt-5.4", ["Two.", mm.image(PNG), mm.image(PNG)])


def test_refusal_parts_are_text_and_signed_urls_stay_private(client):
    history = [{"role": "user", "content": "Do something bad."},
               {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't help with that."}]},
               {"role": "user", "content": "Then say hi."}]
    with warnings.catch_warnings():
        warnings.simplefilter("error", mm.ParamWarning)
        assert client.route(history, ["openai/gpt-5.4"]).model == "openai/gpt-5.4"
    signed = "https://bob:PASSWD@bucket.example.com/cat.png?X-Amz-Signature=SECRET123&X-Amz-Credential=AKIA"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        route = client.route(["What is this?", mm.image(signed)], ["gemini/gemini-3-flash-preview", "openai/gpt-5.4"],
                             allow_unknown=True)
        cmp = client.compare(["What is this?", mm.image(signed)], models=["deepseek/deepseek-v4-pro"],
                             live=False, on_unsupported="skip")
    texts = [route.df.to_csv(), repr(route), cmp.df.drop(columns=["content"]).to_csv(),
             *[str(w.message) for w in caught]]
    assert all("SECRET123" not in t and "AKIA" not in t and "PASSWD" not in t for t in texts)
    assert "https://bucket.example.com/cat.png" in cmp.df["error_message"][0]


def test_routing_arguments_are_checked(client):
    with pytest.raises(mm.ConfigError, match=r"unknown request argument\(s\) \['tool'\]"):
        client.route("hi", ["openai/gpt-5.4"], tool=[])
    with pytest.raises(mm.ConfigError, match="comparable sort keys"):
        client.route("hi", ["openai/gpt-5.4", "gemini/gemini-3-flash-preview"], n=2, prefer=lambda m: None)
    with pytest.warns(UserWarning, match="only 2 of the 5 models asked for"):
        cmp = client.compare(["Listen.", mm.audio(WAV)], live=False,
                             models=mm.Router(["openai/gpt-audio", "gemini/gemini-3-flash-preview", "xai/grok-4.3"],
                                              n=5))
    assert len(cmp.results) == 2


def test_evaluate_routing_errors_name_the_prompt(client):
    with pytest.raises(mm.ConfigError, match="either routes="):
        client.evaluate(["hi"], models="auto:1", routes={"t": "openai/gpt-5.4"}, progress=False)
    with pytest.raises(mm.ConfigError, match=r"^prompt 1: anthropic/claude-sonnet-4-6 would not receive audio"):
        client.evaluate(["hi", ["Listen.", mm.audio(WAV)]], models=["anthropic/claude-sonnet-4-6"], progress=False)


def test_the_budget_counts_attachments_as_tokens_not_base64(client):
    from multimodel.batch import estimate_cost, plan

    big = mm.image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2_000_000)
    _, slots, _ = plan(client, [["Describe.", big]] * 10, ["openai/gpt-5.4"], repeats=1, routes=None,
                       fallbacks=None, params={"max_tokens": 100})
    estimate, unpriced = estimate_cost(slots)
    # 10 x (1,600 image tokens + a few text tokens) at $2.50/M in + 100 tokens at $15/M out: about $0.055
    assert 0.05 < estimate < 0.06 and unpriced == 0
    _, audio_slots, _ = plan(client, [["Listen.", mm.audio(WAV)]], ["gemini/gemini-3-flash-preview"], repeats=1,
                             routes=None, fallbacks=None, params={})
    assert estimate_cost(audio_slots) == (0.0, 1)  # audio is billed at a rate the table does not hold


def test_one_warning_for_a_parameter_the_dialect_removes(client):
    fresh = mm.Client.simulated(cache=False, latency_scale=0)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fresh.prepare("openai/gpt-5.4", "hi", reasoning="high", logprobs=True, on_unsupported="warn")
        about = [str(w.message) for w in caught if "logprobs" in str(w.message)]
        assert len(about) == 1 and "sent without it" in about[0] and "while it reasons" in about[0]
    finally:
        fresh.sim.stop()
