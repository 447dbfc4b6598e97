"""DeepSeek (api.deepseek.com).

Quirks (provider-quirks.md section 5): the ``developer`` role is rejected (serde "unknown variant"), so
it is sent as ``system``; thinking is toggled with ``thinking: {type}`` and its effort with
``reasoning_effort`` low|high|max; reasoning comes back in ``reasoning_content``, which must be echoed on
every earlier assistant turn when tools are in play (400 otherwise) and is best left out otherwise
(older R1 rejected it); cache hits in ``prompt_cache_hit_tokens``.

Its Anthropic-format endpoint (``api="messages"``: :class:`DeepSeekMessagesDialect`, its own capability table)
takes thinking as ``thinking`` plus ``output_config.effort`` (``budget_tokens`` is ignored), wants its thinking
blocks back on tool turns, and ignores or refuses a list of Anthropic fields (api-docs.deepseek.com/guides/
anthropic_api and api/create-message, read 2026-11-29).
"""

from __future__ import annotations

from typing import Any, ClassVar

from multimodel.catalogue import EFFORT_BUDGET, ModelInfo
from multimodel.providers.base import Dialect, budget_to_effort, developer_to_system, drop
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

_ANTHROPIC_GUIDE = "https://api-docs.deepseek.com/guides/anthropic_api"
_CREATE_MESSAGE = "https://api-docs.deepseek.com/api/create-message"
_NOT_IN_MESSAGES = "not a parameter of the Messages API: dropped, with a warning"

#: the Anthropic-format endpoint (read 2026-11-29): the guide's compatibility table and the Messages reference
MESSAGES_CAPABILITIES = CapabilityTable(
    provider="DeepSeek (Anthropic API)",
    features={
        **CAPABILITIES.features,
        "image_data_url": unknown(_CREATE_MESSAGE, "image blocks (base64) are in the reference's user content;"
                                                   " only vision models (deepseek-flash) take images"),
        "image_http_url": unknown(_CREATE_MESSAGE, "image blocks (url) are in the reference's user content; only"
                                                   " vision models (deepseek-flash) take images"),
        "audio_input": rejected(_CREATE_MESSAGE, "user content blocks are text, image and tool_result only"),
        "file_input": rejected(_ANTHROPIC_GUIDE, "'type = \"document\": Not Supported'"),
        "json_mode": ignored(_ANTHROPIC_GUIDE, "no JSON mode in the Messages API"),
        "structured_outputs": ignored(_ANTHROPIC_GUIDE, "output_config takes effort only: a json_schema format is"
                                                        " silently ignored (live report in lm15's changelog,"
                                                        " 2026-09-03)"),
        "tool_calling": supported(_ANTHROPIC_GUIDE, "tools name/description/input_schema supported; tool_choice"
                                                    " 'any' is handled as 'auto'; disable_parallel_tool_use ignored"),
        "streamed_tool_calls": supported(_CREATE_MESSAGE, "tool_use blocks with input_json_delta"),
        "n_gt_1": ignored(_CREATE_MESSAGE, "one answer per request: " + _NOT_IN_MESSAGES),
        "seed": ignored(_CREATE_MESSAGE, _NOT_IN_MESSAGES),
        "logprobs": ignored(_CREATE_MESSAGE, _NOT_IN_MESSAGES),
    },
    limits=dict(CAPABILITIES.limits),
    rules=tuple(rule for rule in CAPABILITIES.rules if rule.label in ("text-only", "vision", "v4-flash")),
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
    api_capabilities: ClassVar[dict[str, CapabilityTable]] = {"messages": MESSAGES_CAPABILITIES}
    #: no Batch API known (RESEARCH §5, read 2026-11-29; off-peak hours bill at half price instead): rows run live
    batch_protocol: ClassVar[str | None] = None

    def for_api(self, api: str) -> Dialect:
        """The rules of this provider for requests another API carries (apis/messages.py asks)."""
        return DEEPSEEK_MESSAGES if api == "messages" else self

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


class DeepSeekMessagesDialect(DeepSeekDialect):
    """DeepSeek's rules for its Anthropic-format endpoint (_ANTHROPIC_GUIDE, _CREATE_MESSAGE, read 2026-11-29);
    apis/messages.py turns the body this builds into a Messages body and then calls ``messages_body``."""

    def shape_messages(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, options: dict[str, Any], warn: Any
    ) -> list[dict[str, Any]]:
        """An assistant turn that came back from Chat Completions holds ``reasoning_content``, not thinking blocks:
        its text goes back as a thinking block (the endpoint answers 400 'The content[].thinking in the thinking
        mode must be passed back' without it, and does not check the signature of its own blocks [INFERRED from
        NousResearch/hermes-agent PR 16149])."""
        out = []
        for m in developer_to_system(messages):
            if m.get("role") == "assistant" and "reasoning_content" in m:
                text = m.get("reasoning_content")
                m = {k: v for k, v in m.items() if k != "reasoning_content"}
                if isinstance(text, str) and text.strip() and not m.get("thinking_blocks"):
                    m["thinking_blocks"] = [{"type": "thinking", "thinking": text, "signature": ""}]
            out.append(m)
        return out

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, info: ModelInfo | None,
                        warn: Any) -> None:
        """``thinking`` enabled or disabled (thinking is on by default, so "none" is sent explicitly) and the depth
        in ``output_config.effort`` in DeepSeek's names; ``budget_tokens`` is sent because Anthropic's schema wants
        it with ``enabled``, and is ignored ('thinking: Supported (budget_tokens is ignored)')."""
        if reasoning == "none":
            body["thinking"] = {"type": "disabled"}
            return
        effort = _EFFORT.get(reasoning if isinstance(reasoning, str) else budget_to_effort(reasoning), "high")
        body["thinking"] = {"type": "enabled", "budget_tokens": EFFORT_BUDGET.get(effort, EFFORT_BUDGET["high"])}
        body["output_config"] = {"effort": effort}

    def adjust_params(self, body: dict[str, Any], model_id: str, warn: Any) -> None:
        drop(body, ("presence_penalty", "frequency_penalty"), warn, "the Messages API has no such parameters")

    def messages_body(self, body: dict[str, Any], info: ModelInfo | None, reasoning: str | int | None,
                      warn: Any) -> None:
        """What the endpoint ignores or refuses, said before sending (its compatibility table)."""
        choice = body.get("tool_choice")
        if isinstance(choice, dict) and choice.pop("disable_parallel_tool_use", None):
            warn("dropped parallel_tool_calls=False: DeepSeek's Anthropic API ignores disable_parallel_tool_use")
        if isinstance(choice, dict) and choice.get("type") == "any":
            warn("tool_choice 'required' is sent as Anthropic's 'any', which DeepSeek handles as 'auto': the model"
                 " may answer without calling a tool")
        config = body.get("output_config")
        if isinstance(config, dict) and config.pop("format", None) is not None:
            warn("dropped response_format: DeepSeek's Anthropic API takes no output format (output_config takes"
                 " effort only)")
            if not config:
                body.pop("output_config")
        redacted = 0
        for message in body.get("messages", []):
            content = message.get("content")
            if message.get("role") == "assistant" and isinstance(content, list):
                kept = [b for b in content if not (isinstance(b, dict) and b.get("type") == "redacted_thinking")]
                redacted += len(content) - len(kept)
                message["content"] = kept
        if redacted:
            warn(f"dropped {redacted} redacted_thinking block(s): DeepSeek's Anthropic API does not take them")


DEEPSEEK_MESSAGES = DeepSeekMessagesDialect()
