"""The reference dialect (OpenAI Chat Completions) and the hooks each provider module overrides.

A provider quirk lives in its own module as an override of one of these hooks, never as an
``if provider == ...`` branch elsewhere: request shaping (messages, parameters, reasoning), what
to echo back on the next turn, and where the provider reports cost.
"""

from __future__ import annotations

from typing import Any, ClassVar

from multimodel.catalogue import ModelInfo
from multimodel.providers.capabilities import CapabilityTable, supported, unknown
from multimodel.providers.repairs import Repair, openai_repair
from multimodel.wire.accumulate import Accumulator

_GENERIC = "an OpenAI-compatible endpoint multimodel has no table for"
#: Endpoints that only speak the OpenAI dialect (Ollama, vLLM, LM Studio, gateways): what they accept
#: depends on the server and the model, so everything beyond text and tools is "unknown" (sent with a
#: warning) until declared in the provider settings or measured with client.probe().
GENERIC_CAPABILITIES = CapabilityTable(
    provider="this endpoint",
    features={
        **{f: unknown(_GENERIC, "declare it with providers={name: {'capabilities': {...}}} or run client.probe()")
           for f in ("image_data_url", "image_http_url", "audio_input", "file_input", "json_mode",
                     "structured_outputs", "n_gt_1", "seed", "logprobs")},
        "tool_calling": supported(_GENERIC, "part of the Chat Completions contract; models without tool support"
                                            " answer in text"),
        "streamed_tool_calls": supported(_GENERIC, "part of the Chat Completions contract"),
    },
)

def budget_to_effort(budget: int) -> str:
    """Map a token budget onto the nearest effort name for providers that only take efforts."""
    if budget <= 1024:
        return "minimal"
    if budget <= 4096:
        return "low"
    if budget <= 16384:
        return "medium"
    return "high"


class Dialect:
    """OpenAI's Chat Completions as the reference; generic OpenAI-compatible endpoints use it as is."""

    name = "openai-compatible"
    #: where the provider's OpenAI-compatible API lives (None: a generic endpoint, the user gives it)
    base_url: str | None = None
    #: environment variables that may hold the API key, tried in order
    api_key_env: tuple[str, ...] = ()
    #: ask for the final usage chunk when streaming
    stream_usage = True
    #: the provider reports each request's cost itself (``cost_from_usage``), so no price table is needed
    reports_cost = False
    #: a gateway: it serves other providers' models under ``vendor/model`` ids (``resold``)
    gateway = False

    #: the APIs this provider serves besides Chat Completions ("messages", "responses"), each with its base URL
    #: (apis/ adds the request path); a built-in provider entry may name only these (and "chat")
    api_base_urls: ClassVar[dict[str, str]] = {}
    #: capability tables of those APIs where they differ from the Chat Completions table (the native Messages API
    #: reads PDFs the compatibility layer drops, for one)
    api_capabilities: ClassVar[dict[str, CapabilityTable]] = {}

    #: a parameter a reasoning model takes at its default value only (OpenAI: temperature 1)
    sampling_defaults: ClassVar[dict[str, Any]] = {}
    #: the provider's Batch API (batchapi/: "openai_files", "gemini_files", "anthropic", "openrouter"), None when it
    #: has none (its rows run live)
    batch_protocol: ClassVar[str | None] = None

    # ---------------------------------------------------------------- request
    def build_body(
        self,
        model_id: str,
        messages: list[dict[str, Any]],
        *,
        stream: bool,
        reasoning: str | int | None,
        tools: list[dict[str, Any]] | None,
        params: dict[str, Any],
        options: dict[str, Any],
        warn: Any,
        info: ModelInfo | None = None,
    ) -> dict[str, Any]:
        """The JSON body for ``POST /chat/completions``; ``warn(msg)`` reports any change made.

        ``info`` is the model's catalogue entry (None for an endpoint or model the catalogue does not know):
        ``reasoning`` has already been checked against it (``catalogue.reasoning_choice``), and the
        parameters it rejects are removed here, each with a note.
        """
        body: dict[str, Any] = {"model": model_id, "messages": self.shape_messages(messages, tools, options, warn)}
        extra_body = params.pop("extra_body", None)
        for key, value in params.items():
            if value is not None:
                body[key] = value
        if tools:
            body["tools"] = self.shape_tools(tools, warn)
        if stream:
            body["stream"] = True
            if self.stream_usage:
                body["stream_options"] = {"include_usage": True}
        if reasoning is not None:
            self.apply_reasoning(body, model_id, reasoning, info, warn)
        if extra_body:
            body.update(extra_body)
        if info is not None:  # after extra_body: a field the model rejects is removed wherever it came from
            self.apply_rules(body, info, reasoning, warn)
        self.adjust_params(body, model_id, warn)
        return body

    def shape_messages(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, options: dict[str, Any], warn: Any
    ) -> list[dict[str, Any]]:
        return messages

    def shape_tools(self, tools: list[dict[str, Any]], warn: Any) -> list[dict[str, Any]]:
        return tools

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, info: ModelInfo | None,
                        warn: Any) -> None:
        """``reasoning_effort``; a budget becomes the nearest effort (the catalogue did that for known models)."""
        body["reasoning_effort"] = reasoning if isinstance(reasoning, str) else budget_to_effort(reasoning)

    def apply_rules(self, body: dict[str, Any], info: ModelInfo, reasoning: str | int | None, warn: Any) -> None:
        """What the catalogue says this model rejects: the max-tokens parameter's name, parameters it never
        takes, and parameters it rejects while it reasons (a default value the model takes is kept)."""
        if info.max_tokens_param == "max_completion_tokens" and body.get("max_tokens") is not None:
            body.setdefault("max_completion_tokens", body.pop("max_tokens"))
            warn(f"renamed max_tokens to max_completion_tokens: {info.id} rejects max_tokens")
        drop(body, info.rejects, warn, f"not taken by {info.id} ({info.source})")
        if info.reasons_with(reasoning):
            taken = {k for k, v in self.sampling_defaults.items() if body.get(k) == v}
            drop(body, tuple(k for k in info.rejects_while_reasoning if k not in taken), warn,
                 f"not taken by {info.id} while it reasons ({info.source})")

    def adjust_params(self, body: dict[str, Any], model_id: str, warn: Any) -> None:
        """Drop or rename parameters the provider rejects for every model (the catalogue covers per-model rules)."""

    def for_api(self, api: str) -> Dialect:
        """This provider's rules for requests another API carries (a subclass in its module, where they differ:
        Anthropic's native API keeps what its compatibility layer drops); the dialect itself by default."""
        return self

    def messages_body(self, body: dict[str, Any], info: ModelInfo | None, reasoning: str | int | None,
                      warn: Any) -> None:
        """The provider's own rules for a Messages API body, after the translation (DeepSeek: what its Anthropic
        endpoint ignores); ``warn(msg)`` reports each change. None by default."""

    def responses_body(self, body: dict[str, Any], info: ModelInfo | None, reasoning: str | int | None,
                       warn: Any) -> None:
        """The provider's own rules for a Responses API body, after the translation (xAI: logprobs as a flag);
        ``warn(msg)`` reports each change. None by default."""

    def resold(self, model_id: str) -> tuple[str, str] | None:
        """(built-in provider, model id) when this provider serves another provider's model under this id (a
        gateway): that model's catalogue entry applies. None: the model is this provider's own."""
        return None

    def price_lookups(self, model_id: str) -> list[tuple[str, str]]:
        """(provider, model id) pairs to try in the price table, in order: by default the model itself."""
        return [(self.name, model_id)]

    def repair(self, message: str, body: dict[str, Any]) -> Repair | None:
        """The change a provider's 400 asks for (rename, drop or set a field), or None. The reference dialect
        reads OpenAI's messages, which compatible servers copy; a provider with its own words overrides this."""
        fix = openai_repair(message, body)
        return fix if fix is not None and fix.applies_to(body) else None

    def listed_model_ids(self, body: Any) -> list[str] | None:
        """The model ids in a ``GET /models`` answer (OpenAI's ``{"data": [{"id": ...}]}``, or ``models``);
        None when the answer has neither shape."""
        items = body.get("data", body.get("models")) if isinstance(body, dict) else None
        if not isinstance(items, list):
            return None
        return [item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]

    # ---------------------------------------------------------------- response
    def cost_from_usage(self, usage: dict[str, Any] | None) -> float | None:
        """Provider-reported cost in USD, when the provider reports one."""
        return None

    def echo_state(self, acc: Accumulator) -> dict[str, Any] | None:
        """Opaque fields the provider needs on the assistant message of the next turn."""
        return None


def drop(body: dict[str, Any], keys: tuple[str, ...], warn: Any, why: str) -> None:
    """Remove parameters a model rejects, with one warning naming them."""
    dropped = [k for k in keys if body.get(k) is not None]
    for k in keys:
        body.pop(k, None)
    if dropped:
        warn(f"dropped {', '.join(dropped)}: {why}")


def strip_strict(tools: list[dict[str, Any]], warn: Any, why: str) -> list[dict[str, Any]]:
    """Remove ``strict`` from function definitions for providers that ignore or reject it."""
    out = []
    removed = False
    for tool in tools:
        fn = tool.get("function")
        if isinstance(fn, dict) and "strict" in fn:
            fn = {k: v for k, v in fn.items() if k != "strict"}
            tool = {**tool, "function": fn}
            removed = True
        out.append(tool)
    if removed:
        warn(f"dropped tools[].function.strict: {why}")
    return out


def developer_to_system(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rewrite ``developer`` messages as ``system`` for providers that reject the role."""
    if not any(m.get("role") == "developer" for m in messages):
        return messages
    return [{**m, "role": "system"} if m.get("role") == "developer" else m for m in messages]
