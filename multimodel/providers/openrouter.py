"""OpenRouter (openrouter.ai/api/v1): a gateway with ``vendor/model`` ids.

Quirks (provider-quirks.md section 6): reasoning is requested with a ``reasoning`` object
(``effort`` or ``max_tokens``, not both) and returned as ``reasoning`` plus ``reasoning_details``, which
must be sent back unmodified on the next turn; cost is reported in ``usage.cost`` (for BYOK keys that is
only OpenRouter's fee, the inference itself is in ``cost_details.upstream_inference_cost``); mid-stream
errors arrive as chunks with ``finish_reason: "error"``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from multimodel.catalogue import ModelInfo
from multimodel.providers.base import Dialect
from multimodel.providers.capabilities import (
    CapabilityTable,
    Limit,
    ModelRule,
    ignored,
    rejected,
    supported,
    unknown,
)
from multimodel.providers.repairs import Repair
from multimodel.wire.accumulate import Accumulator

_IMAGES = "https://openrouter.ai/docs/guides/overview/multimodal/images"
_AUDIO = "https://openrouter.ai/docs/guides/overview/multimodal/audio"
_PDFS = "https://openrouter.ai/docs/guides/overview/multimodal/pdfs"
_PARAMS = "https://openrouter.ai/docs/api-reference/overview"
_STRUCTURED = "https://openrouter.ai/docs/guides/features/structured-outputs"
_DROPPED = "'If the chosen model doesn't support a request parameter ... then the parameter is ignored'"
_NO_IMAGE = rejected("https://github.com/NousResearch/hermes-agent/pull/23411",
                     "404 'No endpoints found that support image input'")
_NO_AUDIO = rejected(_AUDIO, "404 'No endpoints found that support input audio'")
#: OpenRouter vendor prefixes → the built-in provider that sells the same model (for its list price)
_VENDOR_PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "google": "gemini", "x-ai": "xai",
                     "deepseek": "deepseek"}
#: vendors whose weights are open: OpenRouter's slug is served by third-party hosts, not the vendor's API
_OPEN_WEIGHTS = frozenset({"deepseek"})
_SUPPORTED_MEDIA = {
    "image_data_url": supported(_IMAGES),
    "image_http_url": supported(_IMAGES, "OpenRouter downloads it (413 above 30 MB)"),
}

CAPABILITIES = CapabilityTable(
    provider="OpenRouter",
    features={
        "image_data_url": unknown(_IMAGES, "depends on the upstream model; a text-only model answers 404"),
        "image_http_url": unknown(_IMAGES, "depends on the upstream model"),
        "audio_input": unknown(_AUDIO, "depends on the upstream model; others answer 404"),
        "file_input": supported(_PDFS, "'This feature works on any model': native where the upstream reads PDFs,"
                                       " otherwise parsed to text by OpenRouter (billed)"),
        "json_mode": unknown(_PARAMS, "forwarded where the endpoint supports it, otherwise " + _DROPPED),
        "structured_outputs": unknown(_STRUCTURED, "'supported by select models'; enforcement varies by endpoint"),
        "tool_calling": unknown(_PARAMS, "404 'No endpoints found that support tool use' for models without tools"),
        "streamed_tool_calls": unknown(_PARAMS, "follows tool_calling"),
        "n_gt_1": ignored("https://github.com/cosmicoptima/loom/issues/21", "n is not in OpenRouter's request schema;"
                                                                            " one choice comes back"),
        "seed": unknown(_PARAMS, "forwarded where the endpoint supports it, otherwise " + _DROPPED),
        "logprobs": unknown(_PARAMS, "forwarded where the endpoint supports it, otherwise " + _DROPPED),
    },
    limits={"image_types": Limit(("image/png", "image/jpeg", "image/webp", "image/gif"), _IMAGES)},
    rules=(
        ModelRule(("openai/*", "anthropic/*", "google/*", "x-ai/*", "deepseek/*"), {
            "json_mode": supported(_PARAMS), "tool_calling": supported(_PARAMS),
            "streamed_tool_calls": supported(_PARAMS)}, label="major upstreams"),
        ModelRule(("openai/*",), {
            **_SUPPORTED_MEDIA, "audio_input": _NO_AUDIO, "structured_outputs": supported(_STRUCTURED),
            "seed": supported(_PARAMS, "forwarded to OpenAI"),
            "logprobs": unknown(_PARAMS, "not settled whether OpenRouter drops it for OpenAI reasoning models or"
                                         " relays OpenAI's 400")}, label="openai"),
        ModelRule(("openai/gpt-audio*", "openai/gpt-4o-audio*"), {
            "audio_input": supported(_AUDIO), "image_data_url": _NO_IMAGE, "image_http_url": _NO_IMAGE},
            label="openai audio"),
        ModelRule(("anthropic/*",), {
            **_SUPPORTED_MEDIA, "audio_input": _NO_AUDIO,
            "structured_outputs": supported(_STRUCTURED, "on the Anthropic endpoint; Google Vertex treats the schema"
                                                         " as a hint (pin provider.only=['anthropic'])"),
            "seed": ignored(_PARAMS, "Anthropic has no seed; " + _DROPPED),
            "logprobs": ignored(_PARAMS, "Anthropic has no logprobs; " + _DROPPED)}, label="anthropic"),
        ModelRule(("google/*",), {
            **_SUPPORTED_MEDIA, "audio_input": supported(_AUDIO, "Gemini upstreams take input_audio"),
            "structured_outputs": supported(_STRUCTURED),
            "seed": ignored(_PARAMS, "Gemini's compatibility layer has no seed; " + _DROPPED),
            "logprobs": ignored(_PARAMS, _DROPPED)}, label="google"),
        ModelRule(("x-ai/*",), {
            **_SUPPORTED_MEDIA, "structured_outputs": supported(_STRUCTURED), "seed": supported(_PARAMS)},
            label="x-ai"),
        ModelRule(("x-ai/grok-3*",), {"image_data_url": _NO_IMAGE, "image_http_url": _NO_IMAGE}, label="x-ai text"),
        ModelRule(("deepseek/*",), {
            "image_data_url": _NO_IMAGE, "image_http_url": _NO_IMAGE,
            "audio_input": rejected(_AUDIO, "404 'No endpoints found that support input audio'")}, label="deepseek"),
    ),
)


_RESPONSES = "https://openrouter.ai/docs/api-reference/responses-api/overview"

#: the Responses API beta (read 2026-11-29): "stateless", the same upstream routing; no n in its request body
RESPONSES_CAPABILITIES = CapabilityTable(
    provider="OpenRouter (Responses API beta)",
    features={
        **CAPABILITIES.features,
        "n_gt_1": rejected(_RESPONSES, "not a Responses parameter: one answer per request"),
        "seed": rejected(_RESPONSES, "not a Responses parameter (OpenResponses request schema)"),
        "audio_input": unknown(_RESPONSES, "input_audio is not a Responses input part; depends on the upstream"),
    },
    limits=CAPABILITIES.limits,
    rules=tuple(rule for rule in CAPABILITIES.rules if rule.label not in ("openai audio",)),
)


def _vendor_model(model_id: str) -> tuple[str, str] | None:
    """``google/gemini-3-flash-preview`` → ("gemini", "gemini-3-flash-preview"): the built-in provider of the vendor
    and its model id; None for a vendor multimodel has no provider for."""
    vendor, _, rest = model_id.partition("/")
    upstream = _VENDOR_PROVIDERS.get(vendor.lower())
    return (upstream, rest) if upstream and rest else None


class OpenRouterDialect(Dialect):
    name = "openrouter"
    base_url = "https://openrouter.ai/api/v1"
    reports_cost = True
    gateway = True
    api_key_env = ("OPENROUTER_API_KEY",)
    #: the Responses API (openrouter.ai/docs/api-reference/responses-api; real traffic: corpus_native r09). Its
    #: Anthropic-format endpoint (ANTHROPIC_BASE_URL=https://openrouter.ai/api) is not offered yet: requests for it
    #: would need Anthropic's thinking shape rather than OpenRouter's reasoning object, and nothing simulates it
    api_base_urls: ClassVar[dict[str, str]] = {"responses": "https://openrouter.ai/api/v1"}
    api_capabilities: ClassVar[dict[str, CapabilityTable]] = {"responses": RESPONSES_CAPABILITIES}
    #: inline batches (beta), ~50% with usage.cost reporting the charge (openrouter.ai/docs/guides/features/
    #: batch-api.md, read 2026-11-29)
    batch_protocol: ClassVar[str | None] = "openrouter"

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, info: ModelInfo | None,
                        warn: Any) -> None:
        """The ``reasoning`` object (effort or max_tokens, never both); the upstream model's catalogue entry has
        already checked the value."""
        if reasoning == "none":
            body["reasoning"] = {"effort": "none"}
        elif isinstance(reasoning, int):
            body["reasoning"] = {"max_tokens": reasoning}
        else:
            body["reasoning"] = {"effort": reasoning}

    def resold(self, model_id: str) -> tuple[str, str] | None:
        """``anthropic/claude-opus-4.7`` → ("anthropic", "claude-opus-4.7"): the built-in provider whose model
        OpenRouter serves under this slug, so its catalogue entry applies. Only closed-weight vendors: OpenRouter
        serves DeepSeek's open weights from third-party hosts ("DeepSeek routes on OpenRouter are served by
        third-party hosts", PRICES.md), so DeepSeek's own rules and retirements do not follow the slug."""
        upstream = _vendor_model(model_id)
        return upstream if upstream and upstream[0] not in _OPEN_WEIGHTS else None

    def price_lookups(self, model_id: str) -> list[tuple[str, str]]:
        """OpenRouter's own row first, then the upstream vendor's list price (``anthropic/claude-...`` is
        priced as Anthropic's ``claude-...``): for these vendors OpenRouter's listed price equals the upstream
        list price (multimodel/data/PRICES.md)."""
        upstream = _vendor_model(model_id)
        return [(self.name, model_id), *([upstream] if upstream else [])]

    def cost_from_usage(self, usage: dict[str, Any] | None) -> float | None:
        if not isinstance(usage, dict):
            return None
        cost = usage.get("cost")
        if not isinstance(cost, int | float) or isinstance(cost, bool):
            return None
        total = float(cost)
        if usage.get("is_byok"):
            details = usage.get("cost_details") or {}
            upstream = details.get("upstream_inference_cost") if isinstance(details, dict) else None
            if isinstance(upstream, int | float):
                total += float(upstream)
        return total

    def repair(self, message: str, body: dict[str, Any]) -> Repair | None:
        """OpenRouter relays its upstream's words about a body shaped for OpenRouter: not repaired."""
        return None

    def echo_state(self, acc: Accumulator) -> dict[str, Any] | None:
        if acc.reasoning_details:
            return {"reasoning_details": acc.reasoning_details}
        return None
