"""Provider configuration (multimodel/config.py): built-ins from the dialect modules, user entries merged over
them, every ConfigError with the fix it names, API keys from the environment and never in a repr, and
``provider/model-id`` resolution."""

from __future__ import annotations

import pytest

import multimodel as mm
from multimodel.config import BUILTIN_PROVIDERS, ProviderConfig, build_provider, split_model
from multimodel.providers import DIALECTS

KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "XAI_API_KEY",
            "DEEPSEEK_API_KEY", "OPENROUTER_API_KEY", "MY_KEY", "MY_OTHER_KEY")


@pytest.fixture(autouse=True)
def no_keys(monkeypatch):
    """No key variable from the machine running the tests leaks into them."""
    for var in KEY_VARS:
        monkeypatch.delenv(var, raising=False)


# ---------------------------------------------------------------------------------- built-ins
def test_builtin_providers_come_from_the_dialect_classes():
    assert BUILTIN_PROVIDERS == {
        "openai": {"base_url": "https://api.openai.com/v1", "api_key_env": ("OPENAI_API_KEY",)},
        "anthropic": {"base_url": "https://api.anthropic.com/v1", "api_key_env": ("ANTHROPIC_API_KEY",)},
        "gemini": {"base_url": "https://generativelanguage.googleapis.com/v1beta/openai",
                   "api_key_env": ("GEMINI_API_KEY", "GOOGLE_API_KEY")},
        "xai": {"base_url": "https://api.x.ai/v1", "api_key_env": ("XAI_API_KEY",)},
        "deepseek": {"base_url": "https://api.deepseek.com/v1", "api_key_env": ("DEEPSEEK_API_KEY",)},
        "openrouter": {"base_url": "https://openrouter.ai/api/v1", "api_key_env": ("OPENROUTER_API_KEY",)},
        # the pairs: the same provider through its other API, with the same key variable
        "anthropic-messages": {"base_url": "https://api.anthropic.com/v1", "api_key_env": ("ANTHROPIC_API_KEY",),
                               "dialect": "anthropic", "api": "messages"},
        "openai-responses": {"base_url": "https://api.openai.com/v1", "api_key_env": ("OPENAI_API_KEY",),
                             "dialect": "openai", "api": "responses"},
        "deepseek-messages": {"base_url": "https://api.deepseek.com/anthropic", "api_key_env": ("DEEPSEEK_API_KEY",),
                              "dialect": "deepseek", "api": "messages"},
        "xai-responses": {"base_url": "https://api.x.ai/v1", "api_key_env": ("XAI_API_KEY",),
                          "dialect": "xai", "api": "responses"},
    }
    for name, entry in BUILTIN_PROVIDERS.items():
        dialect = DIALECTS[entry.get("dialect", name)]
        api = entry.get("api", "chat")
        assert entry["base_url"] == (dialect.base_url if api == "chat" else dialect.api_base_urls[api])
        assert entry["api_key_env"] == dialect.api_key_env


def test_builtin_with_no_entry_gets_its_defaults():
    cfg = build_provider("gemini", None)
    assert cfg.name == "gemini"
    assert cfg.base_url == "https://generativelanguage.googleapis.com/v1beta/openai"
    assert cfg.dialect == "gemini"
    assert cfg.api_key is None
    assert cfg.api_key_env == ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert (cfg.concurrency, cfg.rpm, cfg.tpm, cfg.timeout) == (16, None, None, mm.Timeout())
    assert cfg.builtin is True and cfg.simulated is False
    assert cfg.capability_table == "gemini" and cfg.capabilities == {}
    assert build_provider("gemini", {}) == cfg


def test_entry_merges_over_the_builtin_and_limits_are_flattened():
    cfg = build_provider("deepseek", {"base_url": "http://127.0.0.1:9000/v1/", "api_key_env": "MY_KEY",
                                      "limits": {"rpm": 10, "tpm": 5000, "concurrency": 3}, "timeout": 30,
                                      "default_headers": {"X-Team": "a"}, "options": {"mid_system": "user"},
                                      "prices": {"deepseek-flash": {"input": 1, "output": 2}}})
    assert cfg.base_url == "http://127.0.0.1:9000/v1"  # trailing slash dropped
    assert cfg.dialect == "deepseek" and cfg.builtin is True and cfg.capability_table == "deepseek"
    assert cfg.api_key_env == ("MY_KEY",)  # a str becomes a one-name tuple, replacing the built-in's
    assert (cfg.concurrency, cfg.rpm, cfg.tpm, cfg.timeout.total) == (3, 10, 5000, 30.0)
    assert cfg.default_headers == {"X-Team": "a"}
    assert cfg.options == {"mid_system": "user"}
    assert cfg.prices == {"deepseek-flash": {"input": 1, "output": 2}}
    # a top-level setting wins over the same one under "limits"
    assert build_provider("xai", {"concurrency": 5, "limits": {"concurrency": 2}}).concurrency == 5


def test_custom_provider_defaults_to_the_generic_openai_dialect():
    cfg = build_provider("groq", {"base_url": "https://api.groq.com/openai/v1", "api_key_env": "MY_KEY"})
    assert cfg.dialect == "openai"
    assert cfg.builtin is False
    assert cfg.capability_table == "generic"  # speaks OpenAI, but we know nothing about what it accepts
    assert cfg.api_key_env == ("MY_KEY",)
    # a custom endpoint given a provider's dialect borrows that provider's capability table
    assert build_provider("proxy", {"base_url": "http://a/v1", "dialect": "anthropic"}).capability_table == "anthropic"
    assert build_provider("proxy", {"base_url": "http://a/v1", "dialect": "openai"}).capability_table == "generic"
    # the built-in openai provider keeps its own table
    assert build_provider("openai", None).capability_table == "openai"


def test_capabilities_setting_borrows_a_table_or_overrides_features():
    cfg = build_provider("vllm", {"base_url": "http://a/v1", "capabilities": "openai"})
    assert (cfg.capability_table, cfg.capabilities) == ("openai", {})
    overrides = {"image_data_url": "supported", "seed": ("ignored", "measured 2026-01"),
                 "max_image_bytes": 1_000_000, "image_types": ["image/png"]}
    cfg = build_provider("vllm", {"base_url": "http://a/v1", "capabilities": overrides})
    assert cfg.capability_table == "generic"
    assert cfg.capabilities == overrides


# ---------------------------------------------------------------------------------- every ConfigError
@pytest.mark.parametrize(("name", "entry", "fragments"), [
    ("x", {"base_url": "http://a", "colour": "red"},
     ["provider 'x': unknown setting(s) ['colour']", "allowed: ['api', 'api_key', 'api_key_env', 'base_url'"]),
    ("ollama", {"api_key": "k"},
     ["provider 'ollama' is not built in, so it needs a base_url",
      "providers={'ollama': {'base_url': 'http://localhost:11434/v1', 'api_key': 'x', 'dialect': 'openai'}}"]),
    ("x", {"base_url": "http://a", "dialect": "mistral"},
     ["provider 'x': unknown dialect 'mistral'",
      "use one of ['anthropic', 'deepseek', 'gemini', 'openai', 'openrouter', 'xai']"]),
    ("x", {"base_url": "ftp://a/v1"},
     ["provider 'x': base_url must start with http:// or https://, got 'ftp://a/v1'"]),
    ("x", {"base_url": "localhost:8000/v1"},
     ["base_url must start with http:// or https://, got 'localhost:8000/v1'"]),
    ("openai", {"concurrency": 0}, ["provider 'openai': concurrency must be a positive int, got 0"]),
    ("openai", {"concurrency": 2.5}, ["concurrency must be a positive int, got 2.5"]),
    ("openai", {"limits": {"concurrency": "8"}}, ["concurrency must be a positive int, got '8'"]),
    ("x", {"base_url": "http://a", "capabilities": "ollama"},
     ["capabilities='ollama' names no table", "use one of ['anthropic', 'deepseek', 'gemini', 'generic', 'openai',"
      " 'openrouter', 'xai'] or a dict like {'image_data_url': 'supported'}"]),
    ("x", {"base_url": "http://a", "capabilities": ["image_data_url"]},
     ["provider 'x': capabilities must be a table name or a dict of feature → status"]),
    ("x", {"base_url": "http://a", "capabilities": {"image_data_url": "maybe"}},
     ["capabilities['image_data_url']='maybe'", "with a status of ('supported', 'ignored', 'rejected', 'unknown')"]),
    ("x", {"base_url": "http://a", "capabilities": {"video_input": "supported"}},
     ["capabilities['video_input']='supported'", "use a feature of ['audio_input', 'file_input',"]),
    ("x", {"base_url": "http://a", "capabilities": {"seed": ("supported",)}},
     ["capabilities['seed']=('supported',)", "(or a (status, note) pair)"]),
    ("x", {"base_url": "http://a", "capabilities": {"max_image_bytes": 0}},
     ["capabilities['max_image_bytes']=0: a limit is a positive int (bytes or a count)"]),
    ("x", {"base_url": "http://a", "capabilities": {"max_images": True}},
     ["capabilities['max_images']=True: a limit is a positive int"]),
    ("x", {"base_url": "http://a", "capabilities": {"image_types": "image/png"}},
     ["capabilities['image_types']='image/png': a limit is a list of strings"]),
    ("a/b", {"base_url": "http://a"}, ["provider names are non-empty and contain no '/': got 'a/b'"]),
    ("", {"base_url": "http://a"}, ["provider names are non-empty and contain no '/': got ''"]),
])
def test_each_config_error_says_how_to_fix_it(name, entry, fragments):
    with pytest.raises(mm.ConfigError) as exc:
        build_provider(name, entry)
    assert isinstance(exc.value, ValueError)
    for fragment in fragments:
        assert fragment in str(exc.value)


def test_client_rejects_entries_that_are_not_dicts():
    with pytest.raises(mm.ConfigError, match=r"providers must be a dict of name → settings, e\.g\. "
                                             r"\{'deepseek': \{'api_key': 'k'\}\}"):
        mm.Client(providers=[("deepseek", {})], cache=False)
    with pytest.raises(mm.ConfigError, match=r"providers\['deepseek'\] must be a dict of settings, got str"):
        mm.Client(providers={"deepseek": "sk-123"}, cache=False)


# ---------------------------------------------------------------------------------- keys
def test_resolve_key_prefers_the_config_then_each_variable_in_order(monkeypatch):
    cfg = build_provider("gemini", None)
    assert cfg.has_key() is False
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key")
    assert cfg.resolve_key() == "google-key"  # the second variable, when the first is unset
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key")
    assert cfg.resolve_key() == "gemini-key"  # the first wins when both are set
    monkeypatch.setenv("GEMINI_API_KEY", "")
    assert cfg.resolve_key() == "google-key"  # an empty variable counts as unset
    assert build_provider("gemini", {"api_key": "explicit"}).resolve_key() == "explicit"
    assert build_provider("gemini", {"api_key_env": ["MY_KEY", "MY_OTHER_KEY"]}).api_key_env == ("MY_KEY",
                                                                                                  "MY_OTHER_KEY")


def test_missing_key_names_the_variables_and_the_simulator():
    with pytest.raises(mm.ConfigError) as exc:
        build_provider("gemini", None).resolve_key()
    msg = str(exc.value)
    assert "no API key for provider 'gemini': set the environment variable GEMINI_API_KEY or GOOGLE_API_KEY" in msg
    assert "providers={'gemini': {'api_key': ...}}" in msg
    assert "mm.Client.simulated()" in msg


def test_missing_key_on_a_custom_provider_without_a_variable():
    cfg = build_provider("local", {"base_url": "http://127.0.0.1:8000/v1"})
    assert cfg.api_key_env == () and cfg.has_key() is False
    with pytest.raises(mm.ConfigError) as exc:
        cfg.resolve_key()
    msg = str(exc.value)
    assert "provider 'local' has no API key: pass providers={'local': {'api_key': ...}}" in msg
    assert "or 'api_key_env': 'VAR_NAME'" in msg
    assert "any non-empty string for a local server" in msg


def test_the_key_is_never_in_the_repr(monkeypatch):
    secret = "sk-canary-config-5d1e"
    cfg = build_provider("openai", {"api_key": secret, "default_headers": {"X-Api-Key": secret}})
    assert cfg.resolve_key() == secret
    assert secret not in repr(cfg) and secret not in str(cfg)
    monkeypatch.setenv("MY_KEY", secret)
    from_env = build_provider("deepseek", {"api_key_env": "MY_KEY"})
    assert from_env.resolve_key() == secret
    assert secret not in repr(from_env)
    assert "MY_KEY" in repr(from_env)  # the variable's name is fine to show
    client = mm.Client(providers={"openai": {"api_key": secret}}, cache=False)
    assert secret not in repr(client) and secret not in repr(client.providers)


# ---------------------------------------------------------------------------------- split_model
@pytest.fixture
def providers():
    return {"openai": build_provider("openai", None), "openrouter": build_provider("openrouter", None),
            "groq": build_provider("groq", {"base_url": "https://api.groq.com/openai/v1"})}


def test_split_model_keeps_further_slashes(providers):
    cfg, model_id = split_model("openrouter/anthropic/claude-opus-4.7", providers)
    assert cfg is providers["openrouter"] and model_id == "anthropic/claude-opus-4.7"
    cfg, model_id = split_model("groq/openai/gpt-oss-120b", providers)
    assert cfg is providers["groq"] and model_id == "openai/gpt-oss-120b"
    cfg, model_id = split_model("openai/gpt-5.4", providers)
    assert cfg is providers["openai"] and model_id == "gpt-5.4"


@pytest.mark.parametrize(("model", "fragments"), [
    ("gpt-5.4", ["model 'gpt-5.4' must be 'provider/model-id', e.g. 'openai/gpt-5.4' or "
                 "'openrouter/anthropic/claude-opus-4.7'", "configured providers: ['groq', 'openai', 'openrouter']"]),
    (None, ["model None must be 'provider/model-id'"]),
    ("openai/", ["model 'openai/' has no model id after 'openai/'"]),
    ("mistral/mistral-large", ["unknown provider 'mistral' in model 'mistral/mistral-large'",
                               "configured: ['groq', 'openai', 'openrouter']",
                               "Add it with mm.Client(providers={'mistral': {'base_url': ..., 'api_key_env': ..., "
                               "'dialect': 'openai'}})"]),
])
def test_split_model_errors_name_the_fix(providers, model, fragments):
    with pytest.raises(mm.ConfigError) as exc:
        split_model(model, providers)
    for fragment in fragments:
        assert fragment in str(exc.value)


@pytest.mark.parametrize(("typed", "meant"), [
    ("opnai", "openai"), ("OpenAI", "openai"), ("openrouer", "openrouter"), ("grqo", "groq"), ("gorq", "groq"),
    ("oepnai", "openai"), ("open_ai", "openai"), ("gpt", "openai"),
])
def test_a_mistyped_provider_gets_did_you_mean_and_no_advice_to_register_it(providers, typed, meant):
    with pytest.raises(mm.ConfigError) as exc:
        split_model(f"{typed}/gpt-5.4", providers)
    text = str(exc.value)
    assert text == (f"unknown provider {typed!r} in model '{typed}/gpt-5.4': did you mean {meant!r} "
                    f"('{meant}/gpt-5.4')? Configured providers: ['groq', 'openai', 'openrouter']")
    assert "Add it with" not in text  # registering the typo as a provider is not the fix


def test_aliases_are_suggested_only_for_configured_providers():
    every = {name: build_provider(name, None) for name in BUILTIN_PROVIDERS}
    for typed, meant in (("google", "gemini"), ("claude", "anthropic"), ("grok", "xai"), ("x-ai", "xai"),
                         ("xia", "xai"), ("deepsek", "deepseek"), ("antropic", "anthropic")):
        with pytest.raises(mm.ConfigError, match=rf"did you mean '{meant}' \('{meant}/m'\)\?"):
            split_model(f"{typed}/m", every)
    only_openai = {"openai": build_provider("openai", None)}
    with pytest.raises(mm.ConfigError, match=r"Add it with mm\.Client") as exc:
        split_model("google/gemini-3-flash", only_openai)  # gemini is not configured: nothing to point at
    assert "did you mean" not in str(exc.value) and "OpenRouter" not in str(exc.value)


def test_an_unknown_provider_that_is_no_typo_says_how_to_add_it_or_use_openrouter(providers):
    with pytest.raises(mm.ConfigError) as exc:
        split_model("meta-llama/llama-4-maverick", providers)
    assert str(exc.value) == (
        "unknown provider 'meta-llama' in model 'meta-llama/llama-4-maverick'; configured: ['groq', 'openai', "
        "'openrouter']. Add it with mm.Client(providers={'meta-llama': {'base_url': ..., 'api_key_env': ..., "
        "'dialect': 'openai'}}); or, for a model OpenRouter serves under that name, ask for "
        "'openrouter/meta-llama/llama-4-maverick'")


def test_the_client_says_did_you_mean_before_sending_anything():
    with mm.Client.simulated() as client:
        for call in (lambda: client.complete("opnai/gpt-5.4", "hi"),
                     lambda: client.compare("hi", ["openai/gpt-5.4", "opnai/gpt-5.4"], live=False),
                     lambda: client.evaluate(["hi"], ["opnai/gpt-5.4"], progress=False)):
            with pytest.raises(mm.ConfigError, match=r"did you mean 'openai' \('openai/gpt-5.4'\)\?"):
                call()


def test_builtin_flag_follows_the_name_not_the_dialect():
    assert build_provider("anthropic", {"base_url": "http://127.0.0.1:1/v1"}).builtin is True
    proxy = build_provider("claude-proxy", {"base_url": "http://127.0.0.1:1/v1", "dialect": "anthropic"})
    assert proxy.builtin is False
    client = mm.Client(providers={"groq": {"base_url": "https://api.groq.com/openai/v1"}}, cache=False)
    assert {name for name, cfg in client.providers.items() if cfg.builtin} == set(BUILTIN_PROVIDERS)
    assert client.providers["groq"].builtin is False
    assert isinstance(client.providers["groq"], ProviderConfig)


@pytest.mark.parametrize(("setting", "value"), [
    ("concurrency", True), ("rpm", 0), ("rpm", "60"), ("tpm", -1.0), ("tpm", False), ("timeout", "abc"),
    ("timeout", 0), ("rpm", float("nan")),
])
def test_limits_are_checked_when_the_provider_is_built(setting, value):
    """A bad limit is a ConfigError naming the setting and the value, before any request (not a bare float()
    error, and not True read as concurrency 1)."""
    with pytest.raises(mm.ConfigError) as exc:
        build_provider("openai", {setting: value})
    assert f"provider 'openai': {setting} must be a positive" in str(exc.value) and repr(value) in str(exc.value)


@pytest.mark.parametrize("name, entry, fragment", [
    ("anthropic", {"api": "graphql"}, "api='graphql'; use one of ['chat', 'messages', 'responses']"),
    ("gemini", {"api": "messages"}, "gemini serves no 'messages' API that multimodel knows of; use one of ['chat']"),
    ("openai", {"api": "messages"}, "use one of ['chat', 'responses']"),
])
def test_an_api_the_provider_does_not_serve_is_refused_with_the_ones_it_does(name, entry, fragment):
    with pytest.raises(mm.ConfigError) as exc:
        build_provider(name, entry)
    assert fragment in str(exc.value)


def test_a_builtin_switched_to_another_api_goes_to_that_apis_address_with_the_same_key_variable():
    cfg = build_provider("anthropic", {"api": "messages"})
    assert (cfg.api, cfg.base_url, cfg.api_key_env) == ("messages", "https://api.anthropic.com/v1",
                                                        ("ANTHROPIC_API_KEY",))
    assert build_provider("deepseek", {"api": "messages"}).base_url == "https://api.deepseek.com/anthropic"
    own = build_provider("deepseek", {"api": "messages", "base_url": "http://127.0.0.1:9/anthropic"})
    assert own.base_url == "http://127.0.0.1:9/anthropic"
    # an endpoint of the user's may speak any API (vLLM and LiteLLM's proxy serve all three)
    assert build_provider("proxy", {"base_url": "http://127.0.0.1:9", "api": "messages"}).api == "messages"
    assert build_provider("anthropic", None).api == "chat"
