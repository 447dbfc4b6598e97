"""DeepSeek (api.deepseek.com).

Quirks (provider-quirks.md section 5): the ``developer`` role is rejected (serde "unknown variant"), so
it is sent as ``system``; thinking is toggled with ``thinking: {type}`` and its effort with
``reasoning_effort`` low|high|max; reasoning comes back in ``reasoning_content``, which must be echoed on
every earlier assistant turn when tools are in play (400 otherwise) and is best left out otherwise
(older R1 rejected it); cache hits in ``prompt_cache_hit_tokens``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from multimodel.catalogue import ModelInfo
from multimodel.providers.base import Dialect, budget_to_effort, developer_to_system
from multimodel.providers.capabilities import CapabilityTable, Limit, ModelRule, rejected, supported, unknown
from multimodel.providers.repairs import Repair
from multimodel.wire.accumulate import Accumulator

_VISION = "https://api-docs.deepseek.com/guides/vision"
_JSON = "https://api-docs.deepseek.com/guides/json_mode"
_THINKING = "https://api-docs.deepseek.com/guides/thinking_mode"
_SERDE = "400/422 'unknown variant `image_url`, expected `text`' (text-only model)"
_TEXT_ONLY = {
    "image_data_url": rejected(_VISION, _SERDE),
    "image_http_url": rejected(_VISION, _SERDE),
    "file_input": rejected(_VISION, "'unknown variant `file`, expected `text`' (text-only model)"),
}

CAPABILITIES = CapabilityTable(
    provider="DeepSeek",
    features={
        "image_data_url": unknown(_VISION, "only vision models (deepseek-flash) take images"),
        "image_http_url": unknown(_VISION, "only vision models (deepseek-flash) take images"),
        "audio_input": rejected("https://api-docs.deepseek.com/api/create-chat-completion",
                                "422 'unknown variant `input_audio`, expected one of `text`, `image_url`, `file`'"
                                " (deepseek-flash, 2026-10)"),
        "file_input": unknown(_VISION, "file parts are documented for images only, in a different shape"),
        "json_mode": supported(_JSON, "400 unless the prompt contains the word 'json'"),
        "structured_outputs": rejected("https://github.com/UKGovernmentBEIS/inspect_ai/issues/4916",
                                       "400 'This response_format type is unavailable now'"),
        "tool_calling": supported(_THINKING, "thinking mode rejects tool_choice 'required' or a named function"),
        "streamed_tool_calls": supported(_THINKING),
        "n_gt_1": rejected("https://github.com/deepseek-ai/DeepSeek-V3/issues/291",
                           "'the deepseek api only support n = 1'"),
        "seed": unknown("https://api-docs.deepseek.com/api/create-chat-completion", "not in the parameter list"),
        "logprobs": supported("https://api-docs.deepseek.com/api/create-chat-completion",
                              "logprobs and top_logprobs (max 20), for content and reasoning_content"),
    },
    limits={
        "image_types": Limit(("image/jpeg", "image/png", "image/gif", "image/webp"), _VISION),
        "max_image_bytes": Limit(32 * 1024 * 1024, _VISION + " (32 MiB per image)"),
        "max_images": Limit(600, _VISION),
        "max_request_bytes": Limit(48 * 1024 * 1024, _VISION + " (48 MiB request body)"),
        "media_roles": Limit(("user",), _VISION + " ('Images are supported in user messages only')"),
    },
    rules=(
        ModelRule(("deepseek-chat", "deepseek-reasoner", "deepseek-v4-pro*", "deepseek-coder*"), _TEXT_ONLY,
                  label="text-only"),
        ModelRule(("deepseek-reasoner",), {"logprobs": rejected(
            "https://api-docs.deepseek.com/guides/reasoning_model",
            "'Setting logprobs、top_logprobs will trigger an error'")}, label="reasoner"),
        ModelRule(("deepseek-flash*", "*vision*"),
                  {"image_data_url": supported(_VISION, "'The deepseek-flash model accepts images alongside text'"),
                   "image_http_url": supported(_VISION, "'the model downloads the image for you'"
                                                                 " (up to 32 MiB, 60 s)")},
                  label="vision"),
        ModelRule(("deepseek-v4-flash",), {
            "image_data_url": unknown("https://api-docs.deepseek.com/quick_start/pricing",
                                      "legacy name, now 'served by the DeepSeek-V4.1-Flash model' (which takes"
                                      " images); not confirmed for this name"),
            "image_http_url": unknown("https://api-docs.deepseek.com/quick_start/pricing",
                                      "legacy name served by DeepSeek-V4.1-Flash")}, label="v4-flash"),
    ),
)

_EFFORT = {"minimal": "low", "low": "low", "medium": "high", "high": "high", "xhigh": "high", "max": "max"}


class DeepSeekDialect(Dialect):
    name = "deepseek"
    base_url = "https://api.deepseek.com/v1"
    api_key_env = ("DEEPSEEK_API_KEY",)
    #: the Anthropic-format endpoint (api-docs.deepseek.com/guides/anthropic_api: ANTHROPIC_BASE_URL is
    #: https://api.deepseek.com/anthropic) and the Responses endpoint (real traffic at /responses: corpus_native r11)
    api_base_urls: ClassVar[dict[str, str]] = {"messages": "https://api.deepseek.com/anthropic",
                                               "responses": "https://api.deepseek.com"}

    def shape_messages(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, options: dict[str, Any], warn: Any
    ) -> list[dict[str, Any]]:
        messages = developer_to_system(messages)
        out = []
        for m in messages:
            if m.get("role") == "assistant":
                if tools and m.get("tool_calls") and not m.get("reasoning_content"):
                    # With tools every earlier assistant turn must carry reasoning_content; a placeholder
                    # is accepted when the turn came from elsewhere (LiteLLM does the same).
                    m = {**m, "reasoning_content": " "}
                elif not tools and "reasoning_content" in m:
                    m = {k: v for k, v in m.items() if k != "reasoning_content"}
            out.append(m)
        return out

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, info: ModelInfo | None,
                        warn: Any) -> None:
        """thinking enabled/disabled, and reasoning_effort in DeepSeek's own names (it maps the OpenAI ones the
        same way itself: minimal to low, medium and xhigh to high)."""
        if reasoning == "none":
            body["thinking"] = {"type": "disabled"}
            return
        effort = reasoning if isinstance(reasoning, str) else budget_to_effort(reasoning)
        body["thinking"] = {"type": "enabled"}
        body["reasoning_effort"] = _EFFORT.get(effort, "high")

    def repair(self, message: str, body: dict[str, Any]) -> Repair | None:
        """DeepSeek's 400s name no parameter to change (its thinking-mode errors ask for history, not a fix)."""
        return None

    def echo_state(self, acc: Accumulator) -> dict[str, Any] | None:
        text = acc.reasoning_text()
        if text:
            return {"reasoning_content": text}
        return None
