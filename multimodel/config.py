"""Provider configuration, model-string parsing and up-front validation of what the caller passed.

Every mistake of the caller is caught here and raised as ConfigError before a request is sent,
with a message that says how to fix it. API keys are held in ProviderConfig and never shown in
its repr.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """A mistake in how multimodel was called or configured; the message says how to fix it."""


@dataclass
class ProviderConfig:
    """One configured endpoint: where it is, how to authenticate, which dialect it speaks, its limits."""

    name: str
    base_url: str
    dialect: str
    api_key: str | None = field(default=None, repr=False)
    api_key_env: tuple[str, ...] = ()
    default_headers: dict[str, str] = field(default_factory=dict, repr=False)
    concurrency: int = 16
    rpm: float | None = None
    tpm: float | None = None
    timeout_s: float = 600.0
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    simulated: bool = False
    #: whose capability table applies: a dialect name, or "generic" for an endpoint we know nothing about
    capability_table: str = "generic"
    #: per-feature status overrides from the provider settings, e.g. {"image_data_url": "supported"}
    capabilities: dict[str, Any] = field(default_factory=dict)

    def resolve_key(self) -> str:
        """The API key, from the config or the environment; ConfigError naming the variable if missing."""
        if self.api_key:
            return self.api_key
        for var in self.api_key_env:
            value = os.environ.get(var)
            if value:
                return value
        if not self.api_key_env:
            raise ConfigError(
                f"provider {self.name!r} has no API key: pass providers={{{self.name!r}: {{'api_key': ...}}}}"
                " or 'api_key_env': 'VAR_NAME' (use any non-empty string for a local server that needs none)"
            )
        names = " or ".join(self.api_key_env)
        raise ConfigError(
            f"no API key for provider {self.name!r}: set the environment variable {names}"
            f" (or pass providers={{{self.name!r}: {{'api_key': ...}}}}); to try multimodel without keys,"
            " use mm.Client.simulated()"
        )

    def has_key(self) -> bool:
        try:
            self.resolve_key()
        except ConfigError:
            return False
        return True


BUILTIN_PROVIDERS: dict[str, dict[str, Any]] = {
    "openai": {"base_url": "https://api.openai.com/v1", "api_key_env": ("OPENAI_API_KEY",)},
    "anthropic": {"base_url": "https://api.anthropic.com/v1", "api_key_env": ("ANTHROPIC_API_KEY",)},
    "gemini": {
        "base_url": "https://generativelanguage.googleapis.com/v1beta/openai",
        "api_key_env": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    },
    "xai": {"base_url": "https://api.x.ai/v1", "api_key_env": ("XAI_API_KEY",)},
    "deepseek": {"base_url": "https://api.deepseek.com/v1", "api_key_env": ("DEEPSEEK_API_KEY",)},
    "openrouter": {"base_url": "https://openrouter.ai/api/v1", "api_key_env": ("OPENROUTER_API_KEY",)},
}

_ENTRY_KEYS = {
    "base_url",
    "api_key",
    "api_key_env",
    "dialect",
    "default_headers",
    "concurrency",
    "rpm",
    "tpm",
    "timeout",
    "prices",
    "options",
    "limits",
    "capabilities",
}


def build_provider(name: str, entry: dict[str, Any] | None, *, simulated: bool = False) -> ProviderConfig:
    """Merge a user entry over the built-in defaults and check it."""
    if not isinstance(name, str) or not name or "/" in name:
        raise ConfigError(f"provider names are non-empty and contain no '/': got {name!r}")
    entry = dict(entry or {})
    unknown = set(entry) - _ENTRY_KEYS
    if unknown:
        raise ConfigError(
            f"provider {name!r}: unknown setting(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}"
        )
    base = BUILTIN_PROVIDERS.get(name, {})
    limits = entry.pop("limits", None) or {}
    merged = {**base, **limits, **entry}
    if "base_url" not in merged:
        raise ConfigError(
            f"provider {name!r} is not built in, so it needs a base_url, e.g. "
            f"providers={{{name!r}: {{'base_url': 'http://localhost:11434/v1', 'api_key': 'x', 'dialect': 'openai'}}}}"
        )
    from multimodel.providers import DIALECTS

    dialect = merged.get("dialect") or (name if name in DIALECTS else "openai")
    if dialect not in DIALECTS:
        raise ConfigError(f"provider {name!r}: unknown dialect {dialect!r}; use one of {sorted(DIALECTS)}")
    table, overrides = _capability_settings(name, dialect, merged.get("capabilities"))
    key_env = merged.get("api_key_env") or ()
    if isinstance(key_env, str):
        key_env = (key_env,)
    base_url = str(merged["base_url"]).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"provider {name!r}: base_url must start with http:// or https://, got {base_url!r}")
    concurrency = merged.get("concurrency", 16)
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"provider {name!r}: concurrency must be a positive int, got {concurrency!r}")
    return ProviderConfig(
        name=name,
        base_url=base_url,
        dialect=dialect,
        api_key=merged.get("api_key"),
        api_key_env=tuple(key_env),
        default_headers=dict(merged.get("default_headers") or {}),
        concurrency=concurrency,
        rpm=merged.get("rpm"),
        tpm=merged.get("tpm"),
        timeout_s=float(merged.get("timeout", 600.0)),
        prices=dict(merged.get("prices") or {}),
        options=dict(merged.get("options") or {}),
        simulated=simulated,
        capability_table=table,
        capabilities=overrides,
    )


def _capability_settings(name: str, dialect: str, setting: Any) -> tuple[str, dict[str, Any]]:
    """Which capability table applies, and the user's overrides.

    A built-in provider (or any provider given a non-generic dialect) gets that provider's table; an
    endpoint that merely speaks the OpenAI dialect (Ollama, vLLM, a gateway) gets the generic table,
    where multimodal inputs are "unknown" until the user says otherwise:
    ``"capabilities": {"image_data_url": "supported"}``, or ``"capabilities": "openai"`` to borrow a table.
    """
    from multimodel.providers.capabilities import FEATURES, LIMITS, STATUSES

    table = dialect if (name == dialect or dialect != "openai") else "generic"
    if setting is None:
        return table, {}
    if isinstance(setting, str):
        from multimodel.providers import CAPABILITY_TABLES

        if setting not in CAPABILITY_TABLES:
            raise ConfigError(f"provider {name!r}: capabilities={setting!r} names no table; use one of "
                              f"{sorted(CAPABILITY_TABLES)} or a dict like {{'image_data_url': 'supported'}}")
        return setting, {}
    if not isinstance(setting, dict):
        raise ConfigError(f"provider {name!r}: capabilities must be a table name or a dict of feature → status")
    for key, value in setting.items():
        if key in LIMITS:
            numeric = key.startswith("max_")
            if (numeric and (not isinstance(value, int) or isinstance(value, bool) or value < 1)) or (
                    not numeric and not (isinstance(value, tuple | list) and all(isinstance(v, str) for v in value))):
                kind = "a positive int (bytes or a count)" if numeric else "a list of strings"
                raise ConfigError(f"provider {name!r}: capabilities[{key!r}]={value!r}: a limit is {kind}")
            continue
        ok = isinstance(value, str) or (isinstance(value, tuple | list) and len(value) == 2
                                        and all(isinstance(v, str) for v in value))
        status = value if isinstance(value, str) else value[0] if ok else None
        if key not in FEATURES or status not in STATUSES:
            raise ConfigError(f"provider {name!r}: capabilities[{key!r}]={value!r}; use a feature of "
                              f"{sorted(FEATURES)} with a status of {STATUSES} (or a (status, note) pair), or a "
                              f"limit of {sorted(LIMITS)}")
    return table, dict(setting)


def split_model(model: str, providers: dict[str, ProviderConfig]) -> tuple[ProviderConfig, str]:
    """``provider/model-id`` → (provider config, model id); the model id keeps any further slashes."""
    if not isinstance(model, str) or "/" not in model:
        raise ConfigError(
            f"model {model!r} must be 'provider/model-id', e.g. 'openai/gpt-5.4' or "
            f"'openrouter/anthropic/claude-opus-4.7'; configured providers: {sorted(providers)}"
        )
    prefix, model_id = model.split("/", 1)
    if not model_id:
        raise ConfigError(f"model {model!r} has no model id after {prefix + '/'!r}")
    cfg = providers.get(prefix)
    if cfg is None:
        raise ConfigError(
            f"unknown provider {prefix!r} in model {model!r}; configured: {sorted(providers)}. "
            f"Add it with mm.Client(providers={{{prefix!r}: {{'base_url': ..., 'api_key_env': ..., "
            "'dialect': 'openai'}})"
        )
    return cfg, model_id


#: request parameters passed through to the provider (anything else goes in extra_body)
REQUEST_PARAMS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "n",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "response_format",
    "tool_choice",
    "parallel_tool_calls",
    "logprobs",
    "top_logprobs",
    "user",
    "extra_body",
)

_MIXED = ("the prompt mixes messages ({'role': ...}) with bare text or parts; either pass one list of text and "
          "parts (one user message), or put the parts inside a message's 'content' list")
_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


def normalize_messages(prompt: Any) -> list[dict[str, Any]]:
    """Accept a prompt string, a list mixing text and content parts, or an OpenAI-style messages list.

    ``["What is in this picture?", mm.image("cat.png")]`` becomes one user message with two parts.
    Anything malformed is rejected here, before a request is built.
    """
    if isinstance(prompt, str):
        if not prompt.strip():
            raise ConfigError("the prompt is empty: pass a non-empty string or a list of messages")
        return [{"role": "user", "content": prompt}]
    from multimodel.inputs import describe_part, is_part, text_part

    if is_part(prompt):
        prompt = [prompt]
    if not isinstance(prompt, list | tuple):
        raise ConfigError(
            f"prompt must be a string, a list of text and parts like ['Describe this', mm.image('cat.png')], "
            f"or a list of messages like [{{'role': 'user', 'content': '...'}}]; got {type(prompt).__name__}"
        )
    if not prompt:
        raise ConfigError("the messages list is empty: add at least one {'role': 'user', 'content': ...}")
    if isinstance(prompt[0], str) or is_part(prompt[0]):  # text and parts: one user message
        if not all(isinstance(x, str) or is_part(x) for x in prompt):
            raise ConfigError(_MIXED)
        parts = [text_part(x) if isinstance(x, str) else x for x in prompt]
        for part in parts:
            describe_part(part)
        if not any(describe_part(p) is not None or p["text"].strip() for p in parts):
            raise ConfigError("the prompt is empty: pass some text or an image, audio clip or PDF")
        return [{"role": "user", "content": parts}]
    out = []
    for i, msg in enumerate(prompt):
        if isinstance(msg, str) or is_part(msg):
            raise ConfigError(_MIXED)
        if not isinstance(msg, dict):
            raise ConfigError(f"messages[{i}] must be a dict with 'role' and 'content', got {type(msg).__name__}")
        role = msg.get("role")
        if role not in _ROLES:
            raise ConfigError(f"messages[{i}] has role {role!r}; use one of {sorted(_ROLES)}")
        content = msg.get("content")
        if role == "assistant":
            if content is None and not msg.get("tool_calls") and not msg.get("function_call"):
                raise ConfigError(f"messages[{i}] (assistant) needs 'content' or 'tool_calls'")
        elif role == "tool" and not msg.get("tool_call_id"):
            raise ConfigError(f"messages[{i}] (tool) needs the 'tool_call_id' of the call it answers")
        if content is not None and not isinstance(content, str | list):
            raise ConfigError(
                f"messages[{i}].content must be a string or a list of content parts, got {type(content).__name__}"
            )
        if isinstance(content, list):
            for part in content:
                try:
                    describe_part(part)
                except ConfigError as exc:
                    raise ConfigError(f"messages[{i}].content: {exc}") from None
        if role == "user" and (content is None or (isinstance(content, str) and not content.strip())):
            raise ConfigError(f"messages[{i}] (user) has empty content")
        out.append(msg)
    return out


def check_tools(tools: Any) -> list[dict[str, Any]] | None:
    """Accept OpenAI tool definitions (or bare function dicts); reject schemas that are not JSON objects."""
    if tools is None:
        return None
    if not isinstance(tools, list | tuple):
        raise ConfigError("tools must be a list of {'type': 'function', 'function': {...}} definitions")
    out = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise ConfigError(f"tools[{i}] must be a dict, got {type(tool).__name__}")
        fn = tool.get("function") if tool.get("type", "function") == "function" else None
        if fn is None and "name" in tool:  # bare {"name", "parameters"} → wrap it
            fn = tool
            tool = {"type": "function", "function": fn}
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            raise ConfigError(f"tools[{i}] needs function.name, e.g. {{'type': 'function', 'function': "
                              "{'name': 'get_weather', 'parameters': {'type': 'object', 'properties': {}}}}")
        params = fn.get("parameters")
        if params is not None and (not isinstance(params, dict) or params.get("type", "object") != "object"):
            raise ConfigError(
                f"tools[{i}] ({fn['name']}): parameters must be a JSON Schema object "
                "({'type': 'object', 'properties': {...}}), got " + repr(params)[:80]
            )
        out.append(tool)
    return out


REASONING_LEVELS = ("none", "minimal", "low", "medium", "high", "xhigh")


def check_reasoning(reasoning: Any) -> str | int | None:
    """``reasoning=`` is an effort name, a positive token budget, or None."""
    if reasoning is None:
        return None
    if isinstance(reasoning, bool):
        raise ConfigError("reasoning must be an effort ('low', 'medium', 'high', ...), a token budget, or None")
    if isinstance(reasoning, int):
        if reasoning <= 0:
            raise ConfigError(f"a reasoning token budget must be positive, got {reasoning}")
        return reasoning
    if isinstance(reasoning, str) and reasoning.lower() in REASONING_LEVELS:
        return reasoning.lower()
    raise ConfigError(f"reasoning={reasoning!r}: use one of {REASONING_LEVELS}, an int token budget, or None")
