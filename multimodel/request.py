"""The request layer: the caller's arguments → a PreparedRequest (nothing is sent).

Three steps, in order: validation (every mistake of the caller raises ConfigError with a message that
says how to fix it), the capability check and its policy (``on_unsupported``: what the target model
would drop or reject is refused, stripped with a warning, or turned into a skipped row), and shaping
by the provider's dialect into the exact JSON body. The result holds the body, its bytes and the
headers; the API key lives only in those headers and is never shown.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson

from multimodel import catalogue, pricing
from multimodel.apis import API, CHAT, get_api
from multimodel.catalogue import ModelInfo
from multimodel.config import (
    ProviderConfig,
    check_count,
    check_number,
    coerce_limits,
    coerce_timeout,
    split_model,
)
from multimodel.errors import ConfigError, ModelWarning, ParamWarning, PriceWarning, warn_user
from multimodel.inputs import AUDIO, describe_part, has_audio, is_part, strip_parts, text_part
from multimodel.options import ON_UNSUPPORTED, REASONING_LEVELS, OnUnsupported
from multimodel.providers import capability_table, get_dialect
from multimodel.providers.base import Dialect
from multimodel.providers.capabilities import (
    FEATURES,
    PARAM_FEATURES,
    PARAMS,
    Capabilities,
    Loss,
    Need,
    UnsupportedInputError,
    describe_losses,
    find_losses,
    needs_of,
    param_feature,
    request_size_loss,
)
from multimodel.redact import secrets_in
from multimodel.transport import Limits, Timeout

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

#: sampling parameters that are numbers, with the range every provider documents (None: no universal bound;
#: temperature's top is not universal: 2 for OpenAI, capped at 1 by Anthropic, none in vLLM)
NUMBER_PARAMS: dict[str, tuple[float | None, float | None]] = {
    "temperature": (0.0, None),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}
#: integer parameters and their least value (seed: any 64-bit int)
COUNT_PARAMS: dict[str, int] = {"max_tokens": 1, "max_completion_tokens": 1, "top_logprobs": 0, "seed": -(2**63)}
#: parameters that are True or False
FLAG_PARAMS = ("logprobs", "parallel_tool_calls")
#: body fields multimodel writes itself, and the argument to use instead: a value in extra_body would replace
#: them unseen (a row naming one model while another answered, a stream parsed as JSON)
OWNED_FIELDS = {
    "model": "the model argument ('provider/model-id'), so the row names the model that answered",
    "messages": "the prompt argument (a string, or a list of messages)",
    "stream": "stream=True",
    "stream_options": "stream=True (multimodel asks for the usage chunk itself)",
    "tools": "tools=[...] (checked and shaped for each provider)",
}

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


def check_params(params: dict[str, Any], where: str = "") -> None:
    """The request parameters' types and ranges (NaN and inf refused: JSON would send them as null), and
    extra_body: a dict that does not replace a field multimodel writes itself. A numpy number (a DataFrame
    cell) becomes the plain number JSON can carry, in ``params``."""
    unset = " (None leaves it to the provider's default)"
    for key, (low, high) in NUMBER_PARAMS.items():
        if params.get(key) is not None:
            params[key] = check_number(params[key], f"{where}{key}", low=low, high=high, fix=unset)
    for key, least in COUNT_PARAMS.items():
        if params.get(key) is not None:
            params[key] = check_count(params[key], f"{where}{key}", minimum=least, fix=unset)
    for key in FLAG_PARAMS:
        if params.get(key) is not None and not isinstance(params[key], bool):
            raise ConfigError(f"{where}{key} must be True or False, got {params[key]!r}")
    stop = params.get("stop")
    if stop is not None and not (isinstance(stop, str) or (isinstance(stop, list | tuple) and all(
            isinstance(s, str) and s for s in stop))):
        raise ConfigError(f"{where}stop must be a string or a list of non-empty strings, e.g. ['END'], got {stop!r}")
    for key, kinds, shape in (("user", str, "a string, e.g. 'user-123'"),
                              ("tool_choice", str | dict, "'auto', 'none', 'required' or {'type': 'function', "
                                                          "'function': {'name': ...}}"),
                              ("response_format", dict, "a dict with a 'type', e.g. {'type': 'json_object'}")):
        value = params.get(key)
        if value is not None and (not isinstance(value, kinds) or (key == "response_format" and not isinstance(
                value.get("type"), str))):
            raise ConfigError(f"{where}{key} must be {shape}; got {value!r}")
    n = params.get("n")
    if n is not None and (isinstance(n, bool) or n != 1 or not isinstance(n, int)):
        raise ConfigError(
            f"{where}n={n!r}: a Result holds one answer, so multimodel sends n=1; for several samples use "
            "evaluate(..., repeats=N), or client.openai_client(provider) for raw n>1 responses"
        )
    if params.get("extra_body") is not None:
        check_extra_body(params["extra_body"])


def check_extra_body(extra: Any) -> None:
    """extra_body: a dict of provider-specific fields; not a field multimodel writes itself (say which argument
    to use), request parameters checked as if passed directly, and no NaN or inf anywhere in it."""
    if not isinstance(extra, dict):
        raise ConfigError(f"extra_body must be a dict of provider-specific fields, e.g. {{'top_k': 40}}, got "
                          f"{type(extra).__name__}")
    for key, instead in OWNED_FIELDS.items():
        if key in extra:
            raise ConfigError(f"extra_body[{key!r}] would replace what multimodel sends; use {instead} instead")
    check_params({k: v for k, v in extra.items() if k in REQUEST_PARAMS and k != "extra_body"}, "extra_body.")
    bad = _non_finite(extra, "extra_body")
    if bad is not None:
        raise ConfigError(f"{bad} is NaN or infinite, which JSON cannot carry (it would be sent as null); pass a "
                          "finite number")


def _non_finite(node: Any, path: str) -> str | None:
    """The path of the first NaN or infinite float in a JSON-like value, or None."""
    if isinstance(node, float):
        return None if math.isfinite(node) else path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list | tuple) else ()
    for key, value in items:
        found = _non_finite(value, f"{path}[{key!r}]")
        if found is not None:
            return found
    return None


def check_flags(**flags: Any) -> None:
    """Per-call switches (stream, cache, repair): True, False or None; a string like 'no' would count as True."""
    for key, value in flags.items():
        if value is not None and not isinstance(value, bool):
            raise ConfigError(f"{key} must be True or False, got {value!r}")


def check_fallbacks(fallbacks: Any) -> dict[str, list[str]]:
    """``fallbacks=``: a dict of model → a fallback model or a list of them, as lists."""
    example = "{'anthropic/claude-sonnet-4-6': ['openai/gpt-5.4']}"
    if fallbacks is None:
        return {}
    if not isinstance(fallbacks, dict):
        raise ConfigError(f"fallbacks must be a dict of model → fallback models, e.g. {example}; got {fallbacks!r}")
    out = {}
    for model, chain in fallbacks.items():
        chain = [chain] if isinstance(chain, str) else chain
        if not isinstance(model, str) or not isinstance(chain, list | tuple) or not all(
                isinstance(m, str) for m in chain):
            raise ConfigError(f"fallbacks[{model!r}]={fallbacks[model]!r}: use 'provider/model-id' keys, each with a "
                              f"model or a list of models, e.g. {example}")
        out[model] = list(chain)
    return out


def check_request(prompt: Any, tools: Any, reasoning: Any, params: dict[str, Any], on_delta: Any,
                  on_unsupported: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None, str | int | None]:
    """Every argument check of one request that needs no provider: messages, tools, reasoning, parameters."""
    if on_delta is not None and not callable(on_delta):
        raise ConfigError("on_delta must be a callable taking (kind, text)")
    if on_unsupported not in ON_UNSUPPORTED:
        raise ConfigError(f"on_unsupported={on_unsupported!r}: use one of {ON_UNSUPPORTED}")
    messages = normalize_messages(prompt)
    tools = check_tools(tools)
    reasoning = check_reasoning(reasoning)
    unknown = set(params) - set(REQUEST_PARAMS)
    if unknown:
        raise ConfigError(
            f"unknown parameter(s) {sorted(unknown)}; pass provider-specific fields in extra_body={{...}}"
        )
    check_params(params)
    return messages, tools, reasoning


# ---------------------------------------------------------------------------------- the prepared request
@dataclass(slots=True, eq=False, repr=False)
class PreparedRequest:
    """A validated request ready to send; holds the API key only in its headers (never shown)."""

    model: str  # as requested: provider/model-id
    model_id: str  # as sent
    provider: ProviderConfig
    dialect: Dialect
    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    payload: bytes
    stream: bool
    retries: int
    timeout: Timeout
    use_cache: bool
    #: called on the I/O thread as text arrives: ``on_delta(kind, text)``, kind "content" or "reasoning"
    on_delta: Callable[[str, str], None] | None = None
    audio_input: bool = False  # audio is billed at its own rate: no price-table cost
    dropped: list[str] = field(default_factory=list)  # features removed before sending (on_unsupported="warn")
    unverified: list[str] = field(default_factory=list)  # sent although the capability table does not settle them
    skip: str | None = None  # why this request is not sent at all (on_unsupported="skip")
    repair: bool = True  # after a 400 naming a parameter the model does not take: fix it and resend
    route_reason: str | None = None  # why a router picked this model
    salt: str = ""  # distinguishes repeats of one request (repeat 1, 2, ... are separate samples)
    limits: Limits = field(default_factory=Limits)  # the most one response may hold
    api: API = CHAT  # the API that carries it (apis/): its URL, headers, body and reader
    _cache_key: str | None = None
    _secrets: tuple[str, ...] | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credentials this request carries, as redact.py scrubs them from whatever comes back."""
        if self._secrets is None:
            self._secrets = secrets_in(self.headers)
        return self._secrets

    @property
    def cache_key(self) -> str:
        """Hash of the normalized request: provider, endpoint, model and body; never the key."""
        if self._cache_key is None:
            h = hashlib.sha256()
            h.update(self.provider.name.encode())
            h.update(b"\0")
            h.update(self.provider.base_url.encode())
            h.update(b"\0")
            h.update(orjson.dumps(self.body, option=orjson.OPT_SORT_KEYS))
            if self.api is not CHAT:  # the same body sent through another API is another request
                h.update(b"\0api=" + self.api.name.encode())
            if self.salt:
                h.update(b"\0" + self.salt.encode())
            self._cache_key = h.hexdigest()
        return self._cache_key

    def __repr__(self) -> str:
        return f"<PreparedRequest {self.model} stream={self.stream}>"


@dataclass
class CapabilityCheck:
    """The parts of a request the capability check may change, and what it decided."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    params: dict[str, Any]
    model: str
    policy: OnUnsupported
    audio: bool = False  # carries audio (billed at its own rate: no price-table cost)
    dropped: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    skip: str | None = None


#: set while routing tries candidates: their warnings are not the user's (and must not use up warn-once)
_QUIET: ContextVar[bool] = ContextVar("multimodel_quiet", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """Prepare requests without warning the user (routing builds every candidate's request to judge it)."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


@dataclass(frozen=True, slots=True)
class Note:
    """A warning held back while a run prepares its requests (``RequestPreparer.one_warning_per_run``)."""

    category: type[Warning]
    message: str
    key: Any
    model: str | None = None  # the model it concerns ("provider/model-id"), named in the summary's first line
    #: notes with the same group share one line of the summary, ``merged(models)``, naming all their models
    group: Any = None
    merged: Callable[[list[str]], str] | None = None


#: the notes of the run being prepared (None: warn at once)
_GATHERED: ContextVar[list[Note] | None] = ContextVar("multimodel_gathered", default=None)

#: each summary's first line, before the models it names, when it holds more than one note
_SUMMARY_HEADS = {
    PriceWarning: "cost_usd will be NaN for some rows",
    ParamWarning: "some requests are changed, or not checked, before they are sent",
    ModelWarning: "some models are not current in multimodel's catalogue",
}


def summarize_notes(notes: list[Note]) -> list[tuple[type[Warning], str]]:
    """One (category, text) per warning category, in the order first seen: a note of its own as it is, several as a
    first line naming every model concerned and then one line each; a group's notes (models without a price,
    audio input) share one line that names all their models."""
    by_category: dict[type[Warning], list[Note]] = {}
    for note in notes:
        by_category.setdefault(note.category, []).append(note)
    out = []
    for category, held in by_category.items():
        lines: list[Any] = []  # a message, or the first note of a group (its line is made once all are seen)
        grouped: dict[Any, list[str]] = {}
        for note in held:
            if note.group is None or note.merged is None or note.model is None:
                lines.append(note.message)
            else:
                if note.group not in grouped:
                    lines.append(note)
                grouped.setdefault(note.group, []).append(note.model)
        lines = [line.merged(grouped[line.group]) if isinstance(line, Note) else line for line in lines]
        if len(lines) == 1:
            out.append((category, lines[0]))
            continue
        models = list(dict.fromkeys(note.model for note in held if note.model))
        head = _SUMMARY_HEADS.get(category, f"{len(lines)} {category.__name__}s")
        named = f" ({len(models)} model{'s' if len(models) != 1 else ''}: {', '.join(models)})" if models else ""
        out.append((category, f"{head}{named}:\n" + "\n".join(f"- {line}" for line in lines)))
    return out


def unverified_message(models: list[str], need: Need, provider: str) -> str:
    """What a ParamWarning says when the capability tables of ``models`` do not settle an input they are sent;
    ``provider`` is the first model's, for the example of how to declare it."""
    whose = "its capability table does not say whether it accepts" if len(models) == 1 else (
        "their capability tables do not say whether they accept")
    return (f"{', '.join(models)}: {whose} {FEATURES[need.feature]} ({need.what}); sent as is "
            f"and listed in unverified_inputs. Check with client.probe({models[0]!r}) or declare it: providers="
            f"{{{provider!r}: {{'capabilities': {{{need.feature!r}: 'supported'}}}}}}")


# ---------------------------------------------------------------------------------- the preparer
class RequestPreparer:
    """Builds PreparedRequests for one set of providers; remembers which warnings it has given and each
    model's resolved capability table, so a batch of 10,000 requests warns once and resolves once."""

    def __init__(self, providers: dict[str, ProviderConfig], *, retries: int = 2,
                 timeout: float | Timeout | None = None, cache: bool = True, repair: bool = True,
                 limits: Limits | None = None) -> None:
        check_count(retries, "retries", minimum=0)
        check_flags(repair=repair)
        self.providers = providers
        self.retries = retries
        self.timeout = None if timeout is None else coerce_timeout(timeout)
        self.limits = coerce_limits(limits)
        self.cache = cache
        self.repair = repair
        self._warned: set[Any] = set()
        self._capabilities: dict[tuple[str, str], Capabilities] = {}
        self._rules: dict[tuple[str, str], ModelInfo | None] = {}

    def prepare(
        self,
        model: str,
        prompt: Any,
        *,
        stream: bool = False,
        reasoning: str | int | None = None,
        tools: list[dict[str, Any]] | None = None,
        retries: int | None = None,
        timeout: float | Timeout | None = None,
        cache: bool = True,
        on_delta: Callable[[str, str], None] | None = None,
        on_unsupported: OnUnsupported = "raise",
        repair: bool | None = None,
        **params: Any,
    ) -> PreparedRequest:
        """Validate, check against the model's capability table, and shape the body; nothing is sent.

        Raises ConfigError for a mistake of the caller and UnsupportedInputError (a ConfigError) when
        ``on_unsupported="raise"`` and the model would drop or reject part of the request.
        """
        cfg, model_id = split_model(model, self.providers)
        messages, tools, reasoning = check_request(prompt, tools, reasoning, params, on_delta, on_unsupported)
        if retries is not None:
            check_count(retries, "retries", minimum=0)
        check_flags(stream=stream, cache=cache, repair=repair)
        api_key = cfg.resolve_key()
        dialect = get_dialect(cfg.dialect)
        info = None if on_unsupported == "send" else self._rules_of(cfg, model_id, model)
        if info is not None:
            reasoning = catalogue.reasoning_choice(info, reasoning, label=model)
            self._check_tools_while_reasoning(info, model, tools, reasoning, dialect, cfg.api)
        check = CapabilityCheck(messages, tools, params, model, on_unsupported)
        caps = None
        if on_unsupported != "send":
            caps = self._check_table(check, cfg, model_id, bool(stream))
        else:
            check.audio = has_audio(messages)
        notes: list[str] = []
        api = get_api(cfg.api)
        body = api.build_body(dialect, model_id, check.messages, stream=bool(stream), reasoning=reasoning,
                              tools=check.tools, params=dict(check.params), options=cfg.options,
                              warn=notes.append, info=info)
        payload = orjson.dumps(body)
        if caps is not None:  # what the dialect itself had to remove, and the size of the whole body
            self._check_built(check, caps, body, notes, len(payload), api)
        for note in notes:
            self.warn_once(f"{model}: {note}", model=model)
        if check.skip is None:  # a request that will not be sent costs nothing
            self._warn_if_unpriced(cfg, model_id, dialect, check.audio)
        headers = {**api.headers(api_key), **cfg.default_headers}
        return PreparedRequest(
            model=model, model_id=model_id, provider=cfg, dialect=dialect, api=api,
            url=api.url(cfg.base_url), headers=headers, body=body, payload=payload,
            stream=bool(stream), retries=self.retries if retries is None else retries,
            timeout=coerce_timeout(timeout) if timeout is not None else (self.timeout or cfg.timeout),
            limits=self.limits,
            use_cache=bool(cache) and self.cache, on_delta=on_delta, audio_input=check.audio,
            dropped=check.dropped, unverified=check.unverified, skip=check.skip,
            repair=(self.repair if repair is None else bool(repair)) and on_unsupported != "send",
        )

    def _rules_of(self, cfg: ProviderConfig, model_id: str, model: str) -> ModelInfo | None:
        """model_rules(), judged once per preparer and model (a batch asks for the same few models); not kept
        while quiet(), so the user's own first request still gets its one warning."""
        key = (cfg.name, model_id)
        if key in self._rules:
            return self._rules[key]
        info = self.model_rules(cfg, model_id, model)
        if not _QUIET.get():
            self._rules[key] = info
        return info

    def model_rules(self, cfg: ProviderConfig, model_id: str, model: str) -> ModelInfo | None:
        """The catalogue's rules for a model, after judging its status. For a built-in provider (for a gateway,
        the model it resells): a retired model is refused (ConfigError naming its replacement), a deprecated or
        legacy one and one the catalogue does not list are sent with a warning, once per preparer. An endpoint
        of the user's that speaks a built-in provider's dialect (a proxy, Azure) gets the rules of a model the
        catalogue lists under that exact name, and no judgement of its status (it may serve it still)."""
        if not cfg.builtin:
            match = catalogue.find(cfg.dialect, model_id)
            return match.info if match is not None and match.how != "family" else None
        dialect = get_dialect(cfg.dialect)
        resold = dialect.resold(model_id)
        match = catalogue.find(*(resold or (cfg.dialect, model_id)))
        if match is None:
            if not dialect.gateway:  # a gateway's other vendors are not the catalogue's business
                self.warn_once(f"{model} is not in multimodel's model catalogue: sent as given, with no per-model "
                               "rules (see client.models())", key=("catalogue", model), category=ModelWarning,
                               model=model)
            return None
        info = match.info
        name = info.provider if dialect.gateway else cfg.name  # the replacement as this provider entry names it
        if info.status == "retired":
            raise ConfigError(
                f"{model} was retired on {info.retired}: {info.provider} answers it with an error; use "
                f"{name}/{info.replacement} instead ({info.source}). To send it anyway, pass "
                "on_unsupported='send'")
        if match.how == "family":
            self.warn_once(f"{model} is not in multimodel's model catalogue: shaped by the rules of its family "
                           f"{info.provider}/{info.id} ({info.note})", key=("catalogue", model), category=ModelWarning,
                           model=model)
        elif info.status == "deprecated":
            self.warn_once(f"{model} is deprecated: {info.provider} shuts it down on {info.shutdown}; its replacement "
                           f"is {name}/{info.replacement} ({info.source})", key=("catalogue", model),
                           category=ModelWarning, model=model)
        elif info.status == "legacy":
            self.warn_once(f"{model} is a legacy name: {info.provider} serves it with {name}/"
                           f"{info.replacement}; ask for that model ({info.source})", key=("catalogue", model),
                           category=ModelWarning, model=model)
        return info

    @staticmethod
    def _check_tools_while_reasoning(info: ModelInfo, model: str, tools: Any, reasoning: str | int | None,
                                     dialect: Dialect, api: str = "chat") -> None:
        """A model the catalogue says refuses function tools while it reasons (``tools_while_reasoning``): say so
        before sending. The rule is Chat Completions' (OpenAI's error names /v1/chat/completions; the Responses API
        takes both), and a gateway carries tools its own way, so it is the direct provider's."""
        if (not tools or info.tools_while_reasoning or dialect.gateway or api != "chat"
                or not info.reasons_with(reasoning)):
            return
        fix = ("pass reasoning='none' to use tools" if "none" in info.reasoning.levels else
               "this model cannot turn reasoning off, so use a model that takes reasoning='none' for tool calls")
        raise ConfigError(f"{model} refuses function tools on Chat Completions while it reasons ({info.source}); "
                          f"{fix}, or send it through the Responses API (providers={{'openai': {{'api': 'responses'}}}}"
                          f" or the built-in 'openai-responses/')")

    def capabilities(self, model: str) -> Capabilities:
        """What a model accepts and its size limits, each entry with its source (provider settings applied)."""
        cfg, model_id = split_model(model, self.providers)
        return self.resolve(cfg, model_id)

    def resolve(self, cfg: ProviderConfig, model_id: str) -> Capabilities:
        """The capability table for one model, resolved once per preparer (rules are pattern matches)."""
        key = (cfg.name, model_id)
        caps = self._capabilities.get(key)
        if caps is None:
            caps = capability_table(cfg.capability_table, cfg.api).resolve(model_id, cfg.capabilities)
            self._capabilities[key] = caps
        return caps

    def warn_once(self, message: str, key: Any = None, category: type[Warning] = ParamWarning, *,
                  model: str | None = None, group: Any = None,
                  merged: Callable[[list[str]], str] | None = None) -> None:
        """Warn once per preparer and ``key`` (default: the message), at the caller's line; silent inside
        ``quiet()``; held for the run's summary inside ``one_warning_per_run()``. ``model`` names the model the
        warning concerns; notes of one ``group`` share one line of the summary, ``merged(models)``."""
        if _QUIET.get():
            return
        key = message if key is None else key
        if key in self._warned:
            return
        gathered = _GATHERED.get()
        if gathered is None:
            self._warned.add(key)
            warn_user(message, category)
        elif all(note.key != key for note in gathered):
            gathered.append(Note(category, message, key, model, group, merged))

    @contextmanager
    def one_warning_per_run(self) -> Iterator[None]:
        """Hold the warnings of a run's preparation (compare, evaluate: many models, many prompts) and give one per
        category when it is done, naming every model concerned, at the caller's line. Nothing is given when the
        preparation raises (the error is what the caller needs), and those warnings stay unused."""
        if _GATHERED.get() is not None:  # already inside a run's preparation: its summary covers these too
            yield
            return
        notes: list[Note] = []
        token = _GATHERED.set(notes)
        try:
            yield
        finally:
            _GATHERED.reset(token)
        self._warned.update(note.key for note in notes)
        for category, text in summarize_notes(notes):
            warn_user(text, category)

    def _warn_if_unpriced(self, cfg: ProviderConfig, model_id: str, dialect: Dialect, audio: bool) -> None:
        """Say before sending when cost_usd will be NaN: no price for the model, or audio input (billed at its
        own rate), unless the provider reports each request's cost itself."""
        if dialect.reports_cost:
            return
        model = f"{cfg.name}/{model_id}"
        if audio:
            self.warn_once(pricing.audio_price_message(cfg.name, model_id), category=PriceWarning, model=model,
                           group="audio", merged=pricing.audio_prices_message)
        elif pricing.price_for(cfg, model_id) is None:
            self.warn_once(pricing.unknown_price_message(cfg.name, model_id), category=PriceWarning, model=model,
                           group="unpriced", merged=pricing.unknown_prices_message)

    # ------------------------------------------------------------------ the capability check and its policy
    def _check_table(self, check: CapabilityCheck, cfg: ProviderConfig, model_id: str,
                     stream: bool) -> Capabilities | None:
        """Check the request against the model's capability table and act on ``on_unsupported``."""
        caps = self.resolve(cfg, model_id)
        size_checked = caps if caps.limit("max_request_bytes") is not None else None
        if not check.tools and PARAM_FEATURES.keys().isdisjoint(check.params) and not any(
                isinstance(m.get("content"), list) for m in check.messages):
            return size_checked  # plain text: nothing else to check
        needs = needs_of(check.messages, check.tools, stream, check.params)
        check.audio = any(need.feature == AUDIO for need in needs)
        if not needs:
            return size_checked
        losses, unclear = find_losses(caps, needs)
        for need in unclear:
            if need.feature == "other":
                self.warn_once(f"{check.model}: multimodel cannot check whether it accepts {need.what}s; sent as "
                               "is", key=(check.model, need.what), model=check.model)
                continue
            self.warn_once(unverified_message([check.model], need, cfg.name), key=(check.model, need.feature),
                           model=check.model, group=("unverified", need.feature, need.what),
                           merged=partial(unverified_message, need=need, provider=cfg.name))
        check.unverified = sorted({need.feature for need in unclear if need.feature != "other"})
        if losses:
            self._act(check, losses)
        return caps

    def _check_built(self, check: CapabilityCheck, caps: Capabilities, body: dict[str, Any], notes: list[str],
                     payload_bytes: int, api: API = CHAT) -> None:
        """Losses only visible once the body is built: parameters the dialect removed for this model (with
        these settings, e.g. logprobs on a reasoning model with reasoning=), and the body's size."""
        params = check.params
        losses = []
        used: set[str] = set()
        for param in PARAM_FEATURES:
            feature = param_feature(param, params)
            if feature is not None and params.get(param) not in (None, False) and not api.carries(param, body):
                reasons = [n for n in notes if param in n]
                used.update(reasons)
                losses.append(Loss(Need(feature, f"{param}={params[param]!r}"),
                                   "; ".join(reasons) or "removed for this model", strippable=True))
        notes[:] = [n for n in notes if n not in used]  # said once, in the capability warning below
        too_big = request_size_loss(caps, payload_bytes)
        if too_big is not None:
            losses.append(too_big)
        if losses and check.skip is None:
            self._act(check, losses, stripped=True)

    def _act(self, check: CapabilityCheck, losses: list[Loss], stripped: bool = False) -> None:
        """Apply ``on_unsupported`` to what the model would not receive; ``stripped``: already removed."""
        lost = describe_losses(check.model, losses)
        features = sorted({loss.feature for loss in losses})
        check.dropped = sorted({*check.dropped, *features})
        if check.policy == "raise":
            raise UnsupportedInputError([(check.model, losses)])
        key = (check.model, tuple(features), check.policy)
        if check.policy == "skip" or any(not loss.strippable for loss in losses):
            if check.policy == "warn":
                self.warn_once(f"{lost}; it cannot be sent without it, so it is skipped (an error row)", key=key,
                               model=check.model)
            check.skip = f"not sent: {lost}"
            return
        self.warn_once(f"{lost}; sent without it (dropped_inputs={features})", key=key, model=check.model)
        if stripped:
            return
        positions = {loss.need.item.where for loss in losses if loss.need.item is not None and loss.need.item.where}
        if positions:
            check.messages = strip_parts(check.messages, positions)
            check.audio = has_audio(check.messages)  # audio stripped: the price table prices what is left
        check.params = dict(check.params)
        for feature in features:
            for param in PARAMS.get(feature, ()):
                check.params.pop(param, None)
                if param == "tools":
                    check.tools = None


__all__ = [
    "REQUEST_PARAMS",
    "CapabilityCheck",
    "PreparedRequest",
    "RequestPreparer",
    "check_extra_body",
    "check_fallbacks",
    "check_flags",
    "check_params",
    "check_reasoning",
    "check_request",
    "check_tools",
    "normalize_messages",
    "quiet",
]
