"""Provider configuration: the built-in providers (from their dialect modules), user entries merged over
them and checked, and ``provider/model-id`` strings resolved to a configured provider.

A mistake in a provider entry raises ConfigError with a message that says how to fix it. API keys are
held in ProviderConfig and never shown in its repr.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from multimodel.errors import ConfigError
from multimodel.providers import CAPABILITY_TABLES, DIALECTS
from multimodel.providers.capabilities import FEATURES, LIMITS, STATUSES
from multimodel.transport import Limits, Timeout


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
    timeout: Timeout = field(default_factory=Timeout)
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    simulated: bool = False
    #: a built-in provider's name (openai, anthropic, ...): its models are priced from the price table
    builtin: bool = False
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


#: the built-in providers: every dialect module that names its provider's base URL and key variables
BUILTIN_PROVIDERS: dict[str, dict[str, Any]] = {
    name: {"base_url": dialect.base_url, "api_key_env": dialect.api_key_env}
    for name, dialect in DIALECTS.items()
    if dialect.base_url
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
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ConfigError(f"provider {name!r}: concurrency must be a positive int, got {concurrency!r}")
    for setting, unit in (("rpm", "requests per minute"), ("tpm", "tokens per minute")):
        value = merged.get(setting)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool) or not value > 0):
            raise ConfigError(f"provider {name!r}: {setting} must be a positive number ({unit}) or None, "
                              f"got {value!r}")
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
        timeout=coerce_timeout(merged.get("timeout", Timeout()), f"provider {name!r}: timeout"),
        prices=dict(merged.get("prices") or {}),
        options=dict(merged.get("options") or {}),
        simulated=simulated,
        builtin=name in BUILTIN_PROVIDERS,
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
    table = dialect if (name == dialect or dialect != "openai") else "generic"
    if setting is None:
        return table, {}
    if isinstance(setting, str):
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


def coerce_timeout(value: Any, where: str = "timeout") -> Timeout:
    """A Timeout from a number of seconds (the total) or a Timeout; ConfigError for anything else, or for a part
    that is zero, negative, NaN or infinite (none of which can mean "no limit": a stalled server would hold the
    call for ever)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Timeout) or (
            not isinstance(value, Timeout) and not (math.isfinite(value) and value > 0)):
        raise ConfigError(f"{where} must be a positive, finite number of seconds (the total) or "
                          f"mm.Timeout(total=600, connect=10, idle=300), got {value!r}")
    timeout = Timeout.of(value)
    problem = timeout.problem()
    if problem is not None:
        raise ConfigError(f"{where}: {problem}")
    return timeout


def coerce_limits(value: Any) -> Limits:
    """The client's response limits (the defaults for None); ConfigError for anything but a valid mm.Limits."""
    if value is None:
        return Limits()
    if not isinstance(value, Limits):
        raise ConfigError(f"limits={value!r}: give mm.Limits(response_bytes=..., sse_line_bytes=...)")
    problem = value.problem()
    if problem is not None:
        raise ConfigError(f"limits: {problem}")
    return value


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
