"""xAI Grok (api.x.ai/v1).

Quirks (provider-quirks.md section 4): reasoning models reject ``stop``, ``presence_penalty`` and
``frequency_penalty`` (400); which ``reasoning_effort`` values each model takes (grok-3-mini low|high, grok-4.3
none..high, grok-4.5+ low..high, grok-4.7 up to xhigh; an error on grok-4.20) is in the catalogue; only
grok-3-mini returns ``reasoning_content``; completion_tokens exclude reasoning (folded by the usage normalizer);
exact cost in ``usage.cost_in_usd_ticks`` (1e-10 USD); ``strict`` removed from tools (LiteLLM strips
it; [INFERRED] that xAI rejects or ignores it).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from multimodel.catalogue import ModelInfo
from multimodel.providers.base import Dialect, strip_strict
from multimodel.providers.capabilities import CapabilityTable, Limit, ModelRule, rejected, supported, unknown
from multimodel.providers.repairs import Repair, camel_to_snake

_IMAGES = "https://docs.x.ai/developers/model-capabilities/images/understanding"
_STRUCTURED = "https://docs.x.ai/developers/model-capabilities/text/structured-outputs"
_CHAT = "https://docs.x.ai/docs/guides/chat-completions"
_TEXT_ONLY = rejected("https://github.com/vercel/ai/pull/3667",
                      "'The model does not support content elements of type image.' (text-only model)")
_GROK4_VISION = unknown("https://docs.x.ai/docs/models", "sources disagree: xAI's launch page said vision was"
                                                         " 'coming soon', catalogues list grok-4 as image-capable")

CAPABILITIES = CapabilityTable(
    provider="xAI",
    features={
        "image_data_url": supported(_IMAGES, "vision models (grok-4.x); jpg/png only"),
        "image_http_url": supported(_IMAGES, "'The API will fetch the image from the public URL'"),
        "audio_input": unknown(_CHAT, "not documented for Chat Completions (xAI has a separate /v1/stt endpoint)"),
        "file_input": unknown("https://docs.x.ai/developers/files", "files are documented for /v1/files + the"
                                                                     " Responses API only"),
        "json_mode": supported(_STRUCTURED, "'also accepts \"json_object\" for any well-formed JSON'"),
        "structured_outputs": supported(_STRUCTURED, "guaranteed to match the schema (a JSON Schema subset)"),
        "tool_calling": supported(_STRUCTURED, "strict is implicitly always true; finish_reason is '' with tool"
                                               " calls (normalized to tool_calls)"),
        "streamed_tool_calls": supported("https://docs.x.ai/docs/guides/function-calling",
                                         "'the function call is returned in whole in a single chunk'"),
        "n_gt_1": supported(_CHAT, "n: 'How many chat completion choices to generate' (API reference)"),
        "seed": supported(_CHAT, "'best effort to sample deterministically' (API reference)"),
        "logprobs": unknown(_CHAT, "in the API reference; not listed for reasoning models"),
    },
    limits={
        "image_types": Limit(("image/jpeg", "image/png"), _IMAGES + " ('jpg/jpeg or png')"),
        "max_image_bytes": Limit(20 * 1024 * 1024, _IMAGES + " ('Maximum image size: 20MiB')"),
    },
    rules=(
        ModelRule(("grok-3*", "grok-code*", "grok-build*", "grok-2", "grok-2-1212", "grok-beta"),
                  {"image_data_url": _TEXT_ONLY, "image_http_url": _TEXT_ONLY}, label="text-only"),
        ModelRule(("grok-4", "grok-4-0709", "grok-4-latest"),
                  {"image_data_url": _GROK4_VISION, "image_http_url": _GROK4_VISION}, label="grok-4"),
        ModelRule(("*non-reasoning*",), {"logprobs": supported(_CHAT)}, label="non-reasoning"),
    ),
)


_RESPONSES = "https://docs.x.ai/docs/api-reference#create-new-response"
_FILES = "https://docs.x.ai/developers/files"

#: the Responses API (docs.x.ai, read 2026-11-29): no n and no seed in its request body; files are attached by
#: file_id after an upload to /v1/files (inline file_data not documented)
RESPONSES_CAPABILITIES = CapabilityTable(
    provider="xAI (Responses API)",
    features={
        **CAPABILITIES.features,
        "file_input": unknown(_FILES, "documented as input_file by file_id after an upload to /v1/files; inline"
                                      " PDF data not documented"),
        "n_gt_1": rejected(_RESPONSES, "not a Responses parameter: one answer per request"),
        "seed": rejected(_RESPONSES, "not a Responses parameter [INFERRED from the documented request body]"),
        "logprobs": unknown(_RESPONSES, "logprobs flag with top_logprobs 0-8; not listed for reasoning models"),
    },
    limits=CAPABILITIES.limits,
    rules=CAPABILITIES.rules,
)

_PARAM_REJECTED = re.compile(r"Model \S+ does not support parameter (\w+)")
_EFFORT_VALUE_REJECTED = re.compile(r"does not support `reasoning_effort` value `(\w+)`")


class XAIDialect(Dialect):
    name = "xai"
    base_url = "https://api.x.ai/v1"
    reports_cost = True
    api_key_env = ("XAI_API_KEY",)
    #: the Responses API (docs.x.ai, read 2026-11-29; real traffic at /v1/responses: corpus_native r10)
    api_base_urls: ClassVar[dict[str, str]] = {"responses": "https://api.x.ai/v1"}
    api_capabilities: ClassVar[dict[str, CapabilityTable]] = {"responses": RESPONSES_CAPABILITIES}
    #: JSONL upload through the Files API since 2026-03 (docs.x.ai/developers/release-notes.md; the OpenAI-shaped
    #: route per docs.litellm.ai/docs/providers/xai_batches, read 2026-11-29); 20% off (docs.x.ai pricing). A batch
    #: line's cost_in_usd_ticks is not taken as the batch charge: no source read (2026-11-29) says batch lines carry
    #: it or at which rate, and xAI's pages disagree on the discount (20% / "50% off"), so the batch price table
    #: prices them (batchapi/openai_files.py, dialect_reports_cost)
    batch_protocol: ClassVar[str | None] = "openai_files"

    def shape_tools(self, tools: list[dict[str, Any]], warn: Any) -> list[dict[str, Any]]:
        return strip_strict(tools, warn, "xAI does not take strict in function definitions")

    def responses_body(self, body: dict[str, Any], info: ModelInfo | None, reasoning: str | int | None,
                       warn: Any) -> None:
        """xAI's Responses rules (docs.x.ai create-new-response, read 2026-11-29): logprobs is a flag beside
        top_logprobs (0-8), not an ``include`` entry; the reasoning object documents ``effort`` only, and Grok
        returns its summary unasked (corpus_native r10), so no ``summary`` setting is sent [INFERRED that one
        would be rejected or ignored]."""
        include = body.get("include")
        if isinstance(include, list) and "message.output_text.logprobs" in include:
            include.remove("message.output_text.logprobs")
            body["logprobs"] = True
            if not include:
                del body["include"]
        top = body.get("top_logprobs")
        if isinstance(top, int) and top > 8:
            body["top_logprobs"] = 8
            warn(f"lowered top_logprobs from {top} to 8: xAI's Responses API takes 0-8")
        reasoning = body.get("reasoning")
        if isinstance(reasoning, dict):
            reasoning.pop("summary", None)
            if not reasoning:
                del body["reasoning"]

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, info: ModelInfo | None,
                        warn: Any) -> None:
        """``reasoning_effort``; the efforts each Grok takes (and which take none) are in the catalogue."""
        if info is not None and info.reasoning.control == "none":
            return
        super().apply_reasoning(body, model_id, reasoning, info, warn)

    def repair(self, message: str, body: dict[str, Any]) -> Repair | None:
        """xAI's 400s name the parameter in camelCase: 'Model grok-4.5 does not support parameter
        presencePenalty.', 'Model grok-4.20-0309-non-reasoning does not support parameter reasoningEffort.',
        'This model does not support `reasoning_effort` value `none`.' (live bodies, models.toml sources)."""
        fix = None
        if m := _PARAM_REJECTED.search(message):
            fix = Repair("drop", (camel_to_snake(m.group(1)),), why=message)
        elif _EFFORT_VALUE_REJECTED.search(message):
            fix = Repair("drop", ("reasoning_effort",), why=message)
        return fix if fix is not None and fix.applies_to(body) else None

    def cost_from_usage(self, usage: dict[str, Any] | None) -> float | None:
        if not isinstance(usage, dict):
            return None
        ticks = usage.get("cost_in_usd_ticks")
        if isinstance(ticks, int | float) and not isinstance(ticks, bool):
            return ticks / 1e10
        return None
