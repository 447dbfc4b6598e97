"""Provider configuration: the built-in providers (from their dialect modules), user entries merged over
them and checked, and ``provider/model-id`` strings resolved to a configured provider.

A mistake in a provider entry raises ConfigError with a message that says how to fix it. API keys are
held in ProviderConfig and never shown in its repr.
"""

from __future__ import annotations

import difflib
import math
import numbers
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from multimodel.apis import API_NAMES
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
    #: the API requests go through: "chat" (OpenAI-compatible Chat Completions), "messages" (Anthropic's) or
    #: "responses" (OpenAI's)
    api: str = "chat"
    api_key_env: tuple[str, ...] = ()
    default_headers: dict[str, str] = field(default_factory=dict, repr=False)
    concurrency: int = 16
    rpm: float | None = None
    tpm: float | None = None
    timeout: Timeout = field(default_factory=Timeout)
    #: how many seconds' worth of the rpm/tpm quota may go at once (providers enforce per-minute limits over
    #: short periods: a whole minute's quota in one burst draws 429s)
    burst_s: float = 1.0
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
                check_header_value(value, f"the environment variable {var}", self.name)
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


#: built-in providers that carry a built-in dialect's requests through another API: the same model reaches one
#: compare() through two APIs side by side, with one key variable (the dialect's)
BUILTIN_PAIRS: dict[str, tuple[str, str]] = {
    "anthropic-messages": ("anthropic", "messages"),
    "openai-responses": ("openai", "responses"),
    "deepseek-messages": ("deepseek", "messages"),
    "xai-responses": ("xai", "responses"),
}

#: the built-in providers: every dialect module that names its provider's base URL and key variables, then the pairs
BUILTIN_PROVIDERS: dict[str, dict[str, Any]] = {
    **{name: {"base_url": dialect.base_url, "api_key_env": dialect.api_key_env}
       for name, dialect in DIALECTS.items() if dialect.base_url},
    **{name: {"base_url": DIALECTS[dialect].api_base_urls[api], "api_key_env": DIALECTS[dialect].api_key_env,
              "dialect": dialect, "api": api}
       for name, (dialect, api) in BUILTIN_PAIRS.items()},
}

_ENTRY_KEYS = {
    "base_url",
    "api_key",
    "api_key_env",
    "dialect",
    "api",
    "default_headers",
    "concurrency",
    "rpm",
    "tpm",
    "timeout",
    "burst_s",
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
    api = _api_of(name, merged, entry)
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
    if not isinstance(key_env, list | tuple) or not all(isinstance(v, str) and _ENV_NAME.fullmatch(v) for v in key_env):
        raise ConfigError(f"provider {name!r}: api_key_env names environment variables: a name like 'GROQ_API_KEY' or"
                          " a list of names (the value given is not shown: if it is the key itself, pass it as "
                          "'api_key')")
    base_url = str(merged["base_url"]).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"provider {name!r}: base_url must start with http:// or https://, got {base_url!r}")
    if "@" in urlsplit(base_url).netloc:  # the credential itself is not quoted back
        raise ConfigError(f"provider {name!r}: base_url carries credentials before its host (user:secret@); give the "
                          "URL without them and the key as api_key (or api_key_env): a URL is shown in errors and "
                          "stored with batch records, a key is not")
    checked = _check_entry(name, merged)
    return ProviderConfig(
        name=name,
        base_url=base_url,
        dialect=dialect,
        api=api,
        api_key_env=tuple(key_env),
        timeout=coerce_timeout(merged.get("timeout", Timeout()), f"provider {name!r}: timeout"),
        burst_s=check_number(merged.get("burst_s", 1.0), f"provider {name!r}: burst_s", positive=True,
                             fix=" (seconds of the rpm/tpm quota that may go at once; 1 by default)"),
        **checked,
        simulated=simulated,
        builtin=name in BUILTIN_PROVIDERS,
        capability_table=table,
        capabilities=overrides,
    )


def _api_of(name: str, merged: dict[str, Any], entry: dict[str, Any]) -> str:
    """The entry's ``api``, checked: one of API_NAMES, and for a built-in dialect one its provider serves. A built-in
    provider switched to another API without a base_url of the user's goes to that API's own address."""
    api = merged.get("api", "chat")
    if api not in API_NAMES:
        raise ConfigError(f"provider {name!r}: api={api!r}; use one of {list(API_NAMES)} (\"chat\" is OpenAI's Chat "
                          "Completions, \"messages\" Anthropic's Messages API, \"responses\" OpenAI's Responses API)")
    dialect = merged.get("dialect") or (name if name in DIALECTS else "openai")
    served = DIALECTS[dialect].api_base_urls if dialect in DIALECTS and name in BUILTIN_PROVIDERS else None
    if served is not None and api != "chat":
        if api not in served:
            offered = ["chat", *served]
            raise ConfigError(f"provider {name!r}: {dialect} serves no {api!r} API that multimodel knows of; use one "
                              f"of {offered}, or give a base_url of your own with dialect 'openai' for another server")
        if "base_url" not in entry:
            merged["base_url"] = served[api]
    return str(api)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: an HTTP header name (RFC 9110 token)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_PRICE_EXAMPLE = "{'prices': {'my-model': {'input': 0.5, 'cached_input': 0.05, 'output': 2.0}}} (USD per 1M tokens)"
#: the rates of a provider's own ``prices`` entry: the first two are required
PRICE_FIELDS = ("input", "output", "cached_input")


def check_count(value: Any, what: str, *, minimum: int = 1, maximum: int = 2**63 - 1, fix: str = "") -> int:
    """An int in [minimum, maximum] (a bool is refused: True is an int in Python); ConfigError naming ``what``
    and ``fix`` otherwise, so a typo is refused before anything is sent."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not minimum <= value <= maximum:
        kind = {1: "a positive int", 0: "a non-negative int", -(2**63): "a 64-bit int"}.get(
            minimum, f"an int >= {minimum}")
        if maximum < 2**63 - 1:
            kind = f"an int from {minimum} to {maximum}"
        raise ConfigError(f"{what} must be {kind}, got {value!r}{fix}")
    return value if type(value) is int else int(value)


def check_number(value: Any, what: str, *, low: float | None = None, high: float | None = None,
                 positive: bool = False, fix: str = "") -> float:
    """A finite real number (not a bool, str, NaN or inf) in [low, high], or > 0 with ``positive``; ConfigError
    naming ``what``, the range and ``fix`` otherwise. JSON cannot carry NaN or inf (they would be sent as null)."""
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
    below = ok and ((positive and not value > 0) or (low is not None and value < low))
    if not ok or below or (high is not None and value > high):
        if positive:
            kind = "a positive number"
        elif low is not None and high is not None:
            kind = f"a number from {low:g} to {high:g}"
        else:
            kind = f"a number >= {low:g}" if low is not None else f"a number <= {high:g}" if high is not None else (
                "a number")
        odd = " (NaN and infinity are refused)" if isinstance(value, numbers.Real) and not ok else ""
        raise ConfigError(f"{what} must be {kind}, got {value!r}{odd}{fix}")
    return value if type(value) in (int, float) else float(value)


def check_header_value(value: Any, what: str, provider: str) -> str:
    """A header value (an API key, a default header): a string without CR, LF or NUL, which would split the
    request's headers; the message never shows the value (it may be a secret)."""
    if not isinstance(value, str):
        raise ConfigError(f"provider {provider!r}: {what} must be a string, got {type(value).__name__}")
    if any(c in value for c in "\r\n\0"):
        raise ConfigError(f"provider {provider!r}: {what} contains a line break or NUL (a trailing newline copied "
                          "from a file?); remove it, e.g. with .strip()")
    return value


def _check_entry(name: str, merged: dict[str, Any]) -> dict[str, Any]:
    """The settings of an entry that are plain values (key, headers, limits, prices, options), checked."""
    where = f"provider {name!r}"
    api_key = merged.get("api_key")
    if api_key is not None:
        check_header_value(api_key, "api_key", name)
    headers = merged.get("default_headers") or {}
    if not isinstance(headers, dict):
        raise ConfigError(f"{where}: default_headers must be a dict of header name → value, e.g. "
                          f"{{'X-Team': 'research'}}, got {type(headers).__name__}")
    for key, value in headers.items():
        if not isinstance(key, str) or not _HEADER_NAME.fullmatch(key):
            raise ConfigError(f"{where}: default_headers key {key!r} is not a header name (letters, digits and "
                              "-_.!#$%&'*+^`|~, no spaces, colons or line breaks)")
        check_header_value(value, f"default_headers[{key!r}]", name)
    options = merged.get("options") or {}
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: options must be a dict, e.g. {{'mid_system': 'user'}}, got {options!r}")
    rates = {setting: None if merged.get(setting) is None else check_number(
        merged[setting], f"{where}: {setting}", positive=True, fix=f" ({unit}); leave it out (or None) for no limit")
        for setting, unit in (("rpm", "requests per minute"), ("tpm", "tokens per minute"))}
    return {"api_key": api_key, "default_headers": dict(headers), "options": dict(options),
            "concurrency": check_count(merged.get("concurrency", 16), f"{where}: concurrency"),
            "prices": check_prices(name, merged.get("prices")), **rates}


def check_prices(provider: str, prices: Any) -> dict[str, dict[str, float]]:
    """A provider's own ``prices``: model id → {'input', 'output', optionally 'cached_input'}, USD per 1M tokens,
    each a finite number >= 0 (a numeric string is read as a number). Checked when the provider is built, since
    a bad rate found while costing an answer would lose the answer."""
    if prices is None:
        return {}
    if not isinstance(prices, dict):
        raise ConfigError(f"provider {provider!r}: prices must be a dict of model id → rates, e.g. {_PRICE_EXAMPLE}")
    out: dict[str, dict[str, float]] = {}
    for model, rates in prices.items():
        where = f"provider {provider!r}: prices[{model!r}]"
        if not isinstance(model, str) or not model:
            raise ConfigError(f"{where}: the key is the model id as sent (a non-empty string), e.g. {_PRICE_EXAMPLE}")
        if not isinstance(rates, dict):
            raise ConfigError(f"{where} must be a dict of rates, e.g. {_PRICE_EXAMPLE}")
        unknown = sorted(set(rates) - set(PRICE_FIELDS), key=str)
        missing = [f for f in PRICE_FIELDS[:2] if rates.get(f) is None]
        if unknown or missing:
            problem = f"unknown field(s) {unknown}" if unknown else f"missing {missing}"
            raise ConfigError(f"{where}: {problem}; a price has 'input' and 'output' and optionally 'cached_input', "
                              f"e.g. {_PRICE_EXAMPLE}")
        out[model] = {field: check_number(_as_number(value), f"{where}[{field!r}]", low=0.0, fix=" (USD per 1M "
                                          "tokens, e.g. 0.5)") for field, value in rates.items() if value is not None}
    return out


def _as_number(value: Any) -> Any:
    """A numeric string ('2.5') as its number; anything else unchanged (check_number judges it)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _capability_settings(name: str, dialect: str, setting: Any) -> tuple[str, dict[str, Any]]:
    """Which capability table applies, and the user's overrides.

    A built-in provider (or any provider given a non-generic dialect) gets that provider's table; an
    endpoint that merely speaks the OpenAI dialect (Ollama, vLLM, a gateway) gets the generic table,
    where multimodal inputs are "unknown" until the user says otherwise:
    ``"capabilities": {"image_data_url": "supported"}``, or ``"capabilities": "openai"`` to borrow a table.
    """
    table = dialect if (name == dialect or dialect != "openai" or name in BUILTIN_PAIRS) else "generic"
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
        raise unknown_provider(prefix, providers, model_id)
    return cfg, model_id


#: what people write for a provider, as multimodel names it (only suggested when that provider is configured)
PROVIDER_ALIASES = {"google": "gemini", "claude": "anthropic", "grok": "xai", "x-ai": "xai", "x.ai": "xai",
                    "gpt": "openai", "chatgpt": "openai", "open-ai": "openai", "open_ai": "openai"}


def closest_provider(name: str, providers: dict[str, ProviderConfig]) -> str | None:
    """The configured provider ``name`` most likely means: the same name in other case, a known alias
    (google → gemini), or a close spelling (opnai → openai); None when nothing is close."""
    lowered = name.lower()
    by_lower = {p.lower(): p for p in providers}
    if lowered in by_lower:
        return by_lower[lowered]
    alias = PROVIDER_ALIASES.get(lowered)
    if alias in providers:
        return alias
    swapped = [p for p in by_lower if _one_edit_apart(lowered, p)]  # xia → xai: too short for difflib's ratio
    match = swapped or difflib.get_close_matches(lowered, list(by_lower), n=1, cutoff=0.75)
    return by_lower[match[0]] if match else None


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether one letter added, removed, changed, or two neighbours swapped, turn ``a`` into ``b``."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                   and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def unknown_provider(prefix: str, providers: dict[str, ProviderConfig], model_id: str | None = None) -> ConfigError:
    """The ConfigError for a provider name that is not configured: "did you mean ...?" for a likely typo (then
    registering the typo as a provider is not suggested), else how to add the provider."""
    model = f"{prefix}/{model_id}" if model_id is not None else None
    where = f" in model {model!r}" if model else ""
    guess = closest_provider(prefix, providers)
    if guess is not None:
        fixed = f" ({f'{guess}/{model_id}'!r})" if model_id is not None else ""
        return ConfigError(f"unknown provider {prefix!r}{where}: did you mean {guess!r}{fixed}? "
                           f"Configured providers: {sorted(providers)}")
    gateway = (f"; or, for a model OpenRouter serves under that name, ask for {f'openrouter/{model}'!r}"
               if model and "openrouter" in providers else "")
    return ConfigError(
        f"unknown provider {prefix!r}{where}; configured: {sorted(providers)}. Add it with "
        f"mm.Client(providers={{{prefix!r}: {{'base_url': ..., 'api_key_env': ..., 'dialect': 'openai'}}}}){gateway}"
    )
