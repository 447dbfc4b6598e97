"""The model catalogue (multimodel/data/models.toml): every entry sourced and dated, lookups by id, alias and
family, reasoning levels checked before sending, retired/deprecated/legacy models judged, the rules applied to
the body, client.models() with and without the providers' own lists, and no retired model in the docs."""

from __future__ import annotations

import json
import re
import warnings
from datetime import date
from pathlib import Path

import orjson
import pytest

import multimodel as mm
from multimodel import catalogue
from multimodel.catalogue import EFFORT_BUDGET, ModelInfo, Reasoning, find, reasoning_choice
from multimodel.options import REASONING_LEVELS
from multimodel.transport import ReplayTransport, Reply

ROOT = Path(__file__).resolve().parent.parent
BUILTINS = ("openai", "anthropic", "gemini", "xai", "deepseek", "openrouter")


@pytest.fixture(scope="module")
def client():
    keys = {p: {"api_key": "k"} for p in BUILTINS}
    return mm.Client(cache=False, providers=keys)


def prepare(client, model, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        req = client.prepare(model, "hi", **kw)
    return req.body, [str(w.message) for w in caught]


# ---------------------------------------------------------------------------------- the data
def test_every_entry_has_a_source_url_and_a_checked_date():
    entries = catalogue.entries()
    assert len(entries) >= 70
    for info in entries:
        assert re.match(r"^https://[a-z0-9.-]+\.[a-z]{2,}/", info.source), info.name
        assert date.fromisoformat(info.checked) <= date(2026, 11, 29), info.name
        for when in (info.retired, info.shutdown):
            assert when is None or date.fromisoformat(when), info.name


def test_statuses_are_consistent():
    for info in catalogue.entries():
        if info.status in ("retired", "deprecated", "legacy"):
            assert info.replacement, f"{info.name} is {info.status} without a replacement"
            assert find(info.provider, info.replacement).info.status == "current", info.name
        assert (info.status == "retired") == (info.retired is not None), info.name
        if info.status == "deprecated":
            assert info.shutdown, info.name
        r = info.reasoning
        assert set(r.levels) <= set(REASONING_LEVELS)
        assert (r.control in ("none", "fixed")) == (not r.levels), info.name
        assert r.default is None or r.default == "none" or r.default in r.levels, info.name
        assert (r.control == "budget") == (r.budget is not None), info.name


def test_no_duplicate_ids_and_every_priced_model_is_known():
    seen = {}
    for info in catalogue.entries():
        for name in (info.id, *info.aliases):
            key = (info.provider, catalogue.normalize_model_id(name))
            assert key not in seen, f"{name} listed twice: {seen.get(key)} and {info.name}"
            seen[key] = info.name
    from multimodel import pricing

    for provider, model in pricing.known_models():
        if provider == "openrouter":
            continue
        assert find(provider, model) is not None and find(provider, model).how != "family", f"{provider}/{model}"


def test_a_malformed_entry_is_an_error_naming_it():
    with pytest.raises(ValueError, match="x entry: unknown field"):
        catalogue._entry({"provider": "p", "id": "m", "status": "current", "source": "s", "checked": "d",
                          "colour": "red"}, "x entry")
    with pytest.raises(ValueError, match=r"reasoning levels \['huge'\]"):
        catalogue._entry({"provider": "p", "id": "m", "status": "current", "source": "s", "checked": "d",
                          "reasoning": {"control": "effort", "levels": ["huge"]}}, "x entry")


# ---------------------------------------------------------------------------------- lookups
@pytest.mark.parametrize(("provider", "model", "found", "how"), [
    ("openai", "gpt-5.4", "gpt-5.4", "exact"),
    ("openai", "gpt-5.4-2026-03-05", "gpt-5.4", "exact"),  # a dated snapshot folds to its model
    ("anthropic", "claude-opus-4.7", "claude-opus-4-7", "exact"),
    ("anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "exact"),
    ("xai", "grok-4.20-reasoning", "grok-4.20-0309-reasoning", "alias"),
    ("openai", "gpt-6.9-nova", "gpt-6*", "family"),
    ("anthropic", "claude-sonnet-5-9", "claude-opus-5*", "family"),
    ("anthropic", "claude-3-5-haiku-latest", "claude-3*", "family"),  # the longer literal prefix wins
    ("anthropic", "claude-opus-4-5", None, None),  # not a Claude 5 model, whatever the glob could match
    ("deepseek", "deepseek-v4-flash", "deepseek-v4-flash", "exact"),
])
def test_find(provider, model, found, how):
    match = find(provider, model)
    assert (match.info.id if match else None, match.how if match else None) == (found, how)


def _info(control, levels=(), default=None, budget=None):
    return ModelInfo("p", "m", "current", "https://x.example/", "2026-11-29",
                     reasoning=Reasoning(control, tuple(levels), default, budget=budget))


def test_reasoning_choice_names_what_the_model_takes():
    info = find("openai", "gpt-6.1-sol").info
    assert reasoning_choice(info, "xhigh") == "xhigh"
    assert reasoning_choice(info, None) is None
    with pytest.raises(mm.ConfigError) as exc:
        reasoning_choice(info, "none", label="openai/gpt-6.1-sol")
    assert str(exc.value).startswith("openai/gpt-6.1-sol takes reasoning= 'low', 'medium', 'high', 'xhigh', not "
                                     "'none' (its reasoning cannot be turned off)")
    with pytest.raises(mm.ConfigError, match="is not a reasoning model: leave reasoning= out"):
        reasoning_choice(find("openai", "gpt-4.1-mini").info, "high")
    assert reasoning_choice(find("openai", "gpt-4.1-mini").info, "none") is None
    with pytest.raises(mm.ConfigError, match="always reasons and takes no reasoning setting"):
        reasoning_choice(find("xai", "grok-4.20-0309-reasoning").info, "low")


def test_a_token_budget_is_kept_in_range_or_becomes_the_nearest_level():
    budget = _info("budget", ["none", "low", "high"], "none", (1024, 32000))
    assert reasoning_choice(budget, 4000) == 4000
    with pytest.raises(mm.ConfigError, match=r"takes a thinking budget of 1024\.\.32000 tokens, not 64000"):
        reasoning_choice(budget, 64000)
    effort = _info("effort", ["none", "low", "high"], "none")
    assert reasoning_choice(effort, EFFORT_BUDGET["low"] + 100) == "low"
    assert reasoning_choice(effort, 30000) == "high"


# ---------------------------------------------------------------------------------- requests built from it
def test_adaptive_only_claude_gets_adaptive_thinking_and_no_temperature(client):
    body, notes = prepare(client, "anthropic/claude-opus-4-7", reasoning="high", temperature=0.3)
    assert body["thinking"] == {"type": "adaptive"} and "temperature" not in body and "output_config" not in body
    assert any("dropped temperature: not taken by claude-opus-4-7" in n for n in notes)
    body, notes = prepare(client, "anthropic/claude-sonnet-5", reasoning="low")
    assert body["thinking"] == {"type": "adaptive"} and body["output_config"] == {"effort": "low"}
    assert any("documents no effort setting for adaptive thinking" in n for n in notes)
    body, _ = prepare(client, "anthropic/claude-sonnet-5", reasoning="none")
    assert body["thinking"] == {"type": "disabled"}
    with pytest.raises(mm.ConfigError, match="cannot be turned off"):
        client.prepare("anthropic/claude-opus-5-5", "hi", reasoning="none")


def test_budget_claude_keeps_budget_tokens(client):
    body, _ = prepare(client, "anthropic/claude-haiku-4-5", reasoning="medium", max_tokens=1000)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": EFFORT_BUDGET["medium"]}
    assert body["max_tokens"] == EFFORT_BUDGET["medium"] + 1000


def test_openai_reasoning_models_by_the_catalogue(client):
    body, notes = prepare(client, "openai/gpt-6.1-sol", max_tokens=100, temperature=0.2, reasoning="high")
    assert body == {"model": "gpt-6.1-sol", "messages": [{"role": "user", "content": "hi"}],
                    "max_completion_tokens": 100, "reasoning_effort": "high"}
    assert any("renamed max_tokens to max_completion_tokens: gpt-6.1-sol rejects max_tokens" in n for n in notes)
    body, _ = prepare(client, "openai/gpt-6.1-sol", temperature=1)  # the default is taken
    assert body["temperature"] == 1
    body, _ = prepare(client, "openai/gpt-5.4", temperature=0.2)  # effort none by default: sampling allowed
    assert body["temperature"] == 0.2
    body, notes = prepare(client, "openai/gpt-5.4", temperature=0.2, reasoning="low")
    assert "temperature" not in body and body["reasoning_effort"] == "low"
    body, _ = prepare(client, "openai/gpt-5.6-terra", stop=["x"])
    assert "stop" not in body  # refused whatever the effort


def test_tools_while_reasoning_are_refused_before_sending(client):
    tools = [{"name": "f", "parameters": {"type": "object", "properties": {}}}]
    with pytest.raises(mm.ConfigError, match="cannot turn reasoning off, so use a model that takes"):
        client.prepare("openai/gpt-6.1-sol", "hi", tools=tools)
    with pytest.raises(mm.ConfigError, match="pass reasoning='none' to use tools"):
        client.prepare("openai/gpt-6.1-terra", "hi", tools=tools)
    assert "tools" in client.prepare("openai/gpt-6.1-terra", "hi", tools=tools, reasoning="none").body
    assert "tools" in client.prepare("openai/gpt-5.4", "hi", tools=tools).body  # its default is none


def test_xai_and_gemini_and_deepseek_levels(client):
    assert prepare(client, "xai/grok-4.7", reasoning="xhigh")[0]["reasoning_effort"] == "xhigh"
    with pytest.raises(mm.ConfigError, match="'low', 'medium', 'high', 'xhigh', not 'none'"):
        client.prepare("xai/grok-4.7", "hi", reasoning="none")
    assert "stop" not in prepare(client, "xai/grok-4.7", stop=["x"])[0]
    config = prepare(client, "gemini/gemini-3.8-flash", reasoning="low")[0]["extra_body"]["google"]["thinking_config"]
    assert config == {"include_thoughts": True, "thinking_level": "low"}
    with pytest.raises(mm.ConfigError, match="not 'minimal'"):
        client.prepare("gemini/gemini-3.8-flash", "hi", reasoning="minimal")
    with pytest.raises(mm.ConfigError, match="cannot be turned off"):
        client.prepare("gemini/gemini-3.1-pro-preview", "hi", reasoning="none")
    body, _ = prepare(client, "deepseek/deepseek-flash", reasoning="xhigh")
    assert body["thinking"] == {"type": "enabled"} and body["reasoning_effort"] == "high"


def test_a_retired_model_is_refused_with_its_replacement(client):
    with pytest.raises(mm.ConfigError) as exc:
        client.prepare("deepseek/deepseek-chat", "hi")
    assert str(exc.value) == (
        "deepseek/deepseek-chat was retired on 2026-07-24: deepseek answers it with an error; use "
        "deepseek/deepseek-flash instead (https://api-docs.deepseek.com/updates). To send it anyway, pass "
        "on_unsupported='send'")
    assert client.prepare("deepseek/deepseek-chat", "hi", on_unsupported="send").body["model"] == "deepseek-chat"
    with pytest.raises(mm.ConfigError, match="retired on 2026-05-15"):
        client.prepare("openrouter/x-ai/grok-4-1-fast-reasoning", "hi")  # through a gateway too


def test_deprecated_legacy_and_unknown_models_warn_once_at_the_callers_line():
    client = mm.Client(cache=False, providers={p: {"api_key": "k"} for p in BUILTINS})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            client.prepare("openai/gpt-5-mini", "hi")
            client.prepare("deepseek/deepseek-v4-flash", "hi")
            client.prepare("openai/gpt-6.9-nova", "hi")
            client.prepare("openai/o99-preview", "hi")
            client.prepare("openrouter/meta-llama/llama-4-scout", "hi")  # not the catalogue's business: silent
    model = [w for w in caught if issubclass(w.category, mm.ModelWarning)]
    assert [str(w.message).split(":")[0] for w in model] == [
        "openai/gpt-5-mini is deprecated", "deepseek/deepseek-v4-flash is a legacy name",
        "openai/gpt-6.9-nova is not in multimodel's model catalogue", "openai/o99-preview is not in multimodel's model "
        "catalogue"]
    assert "shuts it down on 2026-12-11; its replacement is openai/gpt-6.1-terra" in str(model[0].message)
    assert "shaped by the rules of its family openai/gpt-6*" in str(model[2].message)
    assert {w.filename for w in model} == {__file__}


def test_a_users_endpoint_gets_the_rules_of_a_listed_model_but_no_status_judgement():
    client = mm.Client(cache=False, providers={"proxy": {"base_url": "http://127.0.0.1:9/v1", "api_key": "k",
                                                         "dialect": "openai"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        body = client.prepare("proxy/gpt-6.1-sol", "hi", max_tokens=10).body
        assert "max_completion_tokens" in body  # the model's rules apply wherever it is served
        assert client.prepare("proxy/o3-mini", "hi").body["model"] == "o3-mini"  # it may still serve it
        assert client.prepare("proxy/llama3.2", "hi", max_tokens=10).body["max_tokens"] == 10


# ---------------------------------------------------------------------------------- client.models()
def test_models_frame(client):
    df = client.models()
    row = df.set_index("model").loc["openai/gpt-6.1-sol"]
    assert (row["status"], row["reasoning_levels"], row["input_per_m"], row["checked"]) == (
        "current", ["low", "medium", "high", "xhigh"], 2.0, "2026-11-29")
    retired = df.set_index("model").loc["deepseek/deepseek-chat"]
    assert (retired["status"], retired["retired"], retired["replacement"]) == ("retired", "2026-07-24",
                                                                               "deepseek-flash")
    assert set(client.models("xai")["provider"]) == {"xai"}
    with pytest.raises(mm.ConfigError, match="provider='mistral': the catalogue covers the built-in providers"):
        client.models("mistral")


def test_models_live_marks_what_each_provider_lists():
    def handler(url, headers, payload):
        if url.startswith("https://api.openai.com"):
            return Reply(200, {"content-type": "application/json"},
                         orjson.dumps({"object": "list", "data": [{"id": "gpt-6.1-sol"}, {"id": "gpt-7-preview"}]}))
        if "googleapis" in url:
            return Reply(200, {"content-type": "application/json"}, orjson.dumps(
                {"object": "list", "data": [{"id": "models/gemini-3.8-flash"}]}))
        return Reply(401, {"content-type": "application/json"}, b'{"error": {"message": "bad key"}}')

    client = mm.Client(cache=False, transport=ReplayTransport(handler),
                       providers={"openai": {"api_key": "k"}, "gemini": {"api_key": "k"}, "xai": {"api_key": "k"}})
    with pytest.warns(mm.ModelWarning, match="could not read the model list of .*xai: auth 401: bad key"):
        df = client.models(live=True).set_index("model")
    assert bool(df.loc["openai/gpt-6.1-sol", "listed"]) is True
    assert not bool(df.loc["openai/gpt-5.4", "listed"])
    assert bool(df.loc["gemini/gemini-3.8-flash", "listed"])  # 'models/' prefix read off
    assert df.loc["openai/gpt-7-preview", "status"] == "not in catalogue"
    assert str(df.loc["xai/grok-4.7", "listed"]) == "<NA>"  # could not be read: unknown, not False


def test_cli_models(capsys):
    from multimodel.cli import main

    assert main(["models", "deepseek"]) == 0
    out = capsys.readouterr().out
    assert "deepseek/deepseek-flash" in out and "retired" in out and "openai/" not in out


# ---------------------------------------------------------------------------------- no retired model in the docs
def _shipped_texts():
    yield "README.md", (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        yield nb.name, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    yield "cli.py", (ROOT / "multimodel" / "cli.py").read_text()
    yield "test_contract.py", (ROOT / "tests" / "test_contract.py").read_text()


def test_no_retired_model_in_the_readme_notebooks_demo_or_contract():
    retired = {(i.provider, catalogue.normalize_model_id(n)) for i in catalogue.entries() if i.status == "retired"
               and not i.family for n in (i.id, *i.aliases)}
    from multimodel.providers import get_dialect

    pattern = re.compile(r"\b(openai|anthropic|gemini|xai|deepseek|openrouter)/([\w.\-/]+)")
    found = []
    for name, text in _shipped_texts():
        for provider, model in pattern.findall(text):
            model = model.rstrip(".")
            resold = get_dialect(provider).resold(model)
            target = find(*(resold or (provider, model)))
            if (provider, catalogue.normalize_model_id(model)) in retired or (
                    target is not None and target.info.status == "retired"):
                found.append(f"{name}: {provider}/{model}")
    assert found == []


def test_routing_first_does_not_use_up_the_models_one_warning():
    """Routing judges candidates quietly; the user's own first request to a deprecated model still warns."""
    client = mm.Client(cache=False, providers={p: {"api_key": "k"} for p in BUILTINS})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.route("hi", ["openai/gpt-5-mini", "openai/gpt-5.4"])
        assert not [w for w in caught if issubclass(w.category, mm.ModelWarning)]
        client.prepare("openai/gpt-5-mini", "hi")
        client.prepare("openai/gpt-5-mini", "hi")
    assert len([w for w in caught if issubclass(w.category, mm.ModelWarning)]) == 1
