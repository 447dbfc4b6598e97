"""Anthropic through its OpenAI SDK compatibility layer (api.anthropic.com/v1), and through its native Messages API.

Quirks (provider-quirks.md section 2): every system/developer message is hoisted into one system prompt
at the top (option ``mid_system="user"`` sends later ones as framed user messages instead, so they stay
in place); temperature is capped at 1; ``reasoning_effort`` is ignored, thinking is requested with
``thinking`` (adaptive on Opus 4.7 and later and the Claude 5 models, ``{type: enabled, budget_tokens}`` on older
ones: the catalogue says which) and its text is never returned;
``strict`` and penalties are silently ignored (dropped here with a warning); what the capability table
lists (audio, PDFs, response_format, seed, logprobs, n > 1) is checked before the request is built.

Through the native Messages API (``api="messages"``: :class:`AnthropicMessagesDialect`, its own capability
table) PDFs, structured outputs and ``strict`` tools are taken, thinking text comes back, and adaptive thinking
takes its effort as the documented ``output_config.effort`` with ``display: "summarized"`` (Opus 4.7 and later
withhold the text by default).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from multimodel.catalogue import EFFORT_BUDGET, ModelInfo
from multimodel.errors import ConfigError
from multimodel.providers.base import Dialect, drop, strip_strict
from multimodel.providers.capabilities import CapabilityTable, Limit, ignored, rejected, supported
from multimodel.providers.repairs import Repair

# Penalties are dropped here with a warning; seed, logprobs and response_format are in the capability table,
# so a request that relies on them is refused (or marked) before it gets this far.
_IGNORED = ("presence_penalty", "frequency_penalty")

_COMPAT = "https://platform.claude.com/docs/en/api/openai-sdk"
_VISION = "https://platform.claude.com/docs/en/build-with-claude/vision"

CAPABILITIES = CapabilityTable(
    provider="Anthropic",
    features={
        "image_data_url": supported(_COMPAT, "image_url 'url': Fully supported; 'detail': Ignored"),
        "image_http_url": supported(_COMPAT, "the url field is 'Fully supported' and not limited to data URLs;"
                                             " the native API fetches public URLs (since 2025-02)"),
        "audio_input": ignored(_COMPAT, "'Audio input is not supported; it will simply be ignored and stripped"
                                        " from input'"),
        "file_input": ignored(_COMPAT, "content parts of type 'file' are Ignored; use the native API for PDFs"),
        "json_mode": ignored(_COMPAT, "response_format: 'Ignored. For JSON output, use Structured Outputs with the"
                                      " native Claude API'"),
        "structured_outputs": ignored(_COMPAT, "response_format is Ignored, and so is tools[].function.strict"),
        "tool_calling": supported(_COMPAT, "name/description/parameters Fully supported; strict Ignored"),
        "streamed_tool_calls": supported(_COMPAT, "stream and tool_calls Fully supported; chunk shape not documented"),
        "n_gt_1": rejected(_COMPAT, "'n: Must be exactly 1' (the error text is not documented)"),
        "seed": ignored(_COMPAT, "seed: Ignored"),
        "logprobs": ignored(_COMPAT, "logprobs and top_logprobs: Ignored; response logprobs 'Always empty'"),
    },
    limits={
        "image_types": Limit(("image/jpeg", "image/png", "image/gif", "image/webp"), _VISION),
        # "10 MB (base64-encoded) when using the Claude API directly" = 7.5 MB of image bytes
        "max_image_bytes": Limit(7_500_000, _VISION + " (10 MB base64-encoded per image)"),
        "max_images": Limit(100, _VISION + " (100 per request for 200k-context models; 600 for others)"),
        "max_request_bytes": Limit(32_000_000, "https://platform.claude.com/docs/en/api/overview (32 MB; 413"
                                               " request_too_large)"),
    },
)


_MESSAGES = "https://platform.claude.com/docs/en/api/messages"
_PDF = "https://platform.claude.com/docs/en/build-with-claude/pdf-support"
_STRUCTURED = "https://platform.claude.com/docs/en/build-with-claude/structured-outputs"
_NOT_IN_API = "not a parameter of the Messages API (its reference lists none): the field is dropped, with a warning"

#: the native Messages API (read 2026-11-29): what it takes beyond the compatibility layer
MESSAGES_CAPABILITIES = CapabilityTable(
    provider="Anthropic (Messages API)",
    features={
        "image_data_url": supported(_VISION, "image block with a base64 source"),
        "image_http_url": supported(_VISION, "image block with a url source, fetched by Anthropic"),
        "audio_input": rejected(_MESSAGES, "no audio content block exists; an unknown block type is a 400"
                                           " invalid_request_error [INFERRED]"),
        "file_input": supported(_PDF, "PDF as a document block with a base64 source (100 pages per request)"),
        "json_mode": ignored(_STRUCTURED, "no schema-less JSON mode: structured outputs take a json_schema"
                                          " (output_config.format); response_format json_object has nowhere to go"),
        "structured_outputs": supported(_STRUCTURED, "output_config.format {type: json_schema, schema}; generally"
                                                     " available on Claude Sonnet/Opus 4.5 and later and Haiku 4.5"),
        "tool_calling": supported(_MESSAGES, "tools {name, description, input_schema, strict}"),
        "streamed_tool_calls": supported("https://platform.claude.com/docs/en/build-with-claude/streaming",
                                         "tool_use blocks with input_json_delta fragments"),
        "n_gt_1": ignored(_MESSAGES, "one answer per request: " + _NOT_IN_API),
        "seed": ignored(_MESSAGES, _NOT_IN_API),
        "logprobs": ignored(_MESSAGES, _NOT_IN_API),
    },
    limits={
        **CAPABILITIES.limits,
        "max_request_bytes": Limit(32_000_000, "https://platform.claude.com/docs/en/api/errors (Messages API: 32 MB;"
                                               " 413 request_too_large)"),
    },
)

_ENABLED_REJECTED = '"thinking.type.enabled" is not supported for this model'
_DISABLED_REJECTED = '"thinking.type.disabled" is not supported for this model'
_ADAPTIVE_REJECTED = "adaptive thinking is not supported on this model"
_DEPRECATED_PARAM = re.compile(r"`(\w+)` is deprecated for this model")


class AnthropicDialect(Dialect):
    name = "anthropic"
    base_url = "https://api.anthropic.com/v1"
    #: temperature 1 is what thinking requires, so it is kept while the model thinks (any other value is removed)
    sampling_defaults: ClassVar[dict[str, Any]] = {"temperature": 1}
    api_key_env = ("ANTHROPIC_API_KEY",)
    #: the native Messages API (platform.claude.com/docs/en/api/messages, read 2026-11-29)
    api_base_urls: ClassVar[dict[str, str]] = {"messages": "https://api.anthropic.com/v1"}
    api_capabilities: ClassVar[dict[str, CapabilityTable]] = {"messages": MESSAGES_CAPABILITIES}
    #: Message Batches, whose lines are Messages API bodies; 50% of the live price (platform.claude.com/docs/en/
    #: build-with-claude/batch-processing, read 2026-11-29)
    batch_protocol: ClassVar[str | None] = "anthropic"

    def for_api(self, api: str) -> Dialect:
        """The rules of this provider for requests another API carries (apis/messages.py asks)."""
        return ANTHROPIC_MESSAGES if api == "messages" else self

    def shape_messages(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, options: dict[str, Any], warn: Any
    ) -> list[dict[str, Any]]:
        if options.get("mid_system", "hoist") != "user":
            return messages
        out: list[dict[str, Any]] = []
        seen_turn = False
        for m in messages:
            role = m.get("role")
            if role in ("system", "developer") and seen_turn:
                text = m.get("content")
                if isinstance(text, list):
                    text = " ".join(p.get("text", "") for p in text if isinstance(p, dict))
                out.append({"role": "user", "content": f"[System instruction]\n{text}"})
                continue
            if role not in ("system", "developer"):
                seen_turn = True
            out.append(m)
        return out

    def shape_tools(self, tools: list[dict[str, Any]], warn: Any) -> list[dict[str, Any]]:
        return strip_strict(tools, warn, "Anthropic's compatibility layer ignores strict (no schema guarantee)")

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, info: ModelInfo | None,
                        warn: Any) -> None:
        """Adaptive thinking (Opus 4.7 and later, Claude 5) or a thinking budget (older models), as the catalogue
        says; a model the catalogue does not know gets the budget form the compatibility page documents."""
        control = info.reasoning.control if info is not None else "budget"
        if control == "adaptive":
            self._adaptive(body, reasoning, info, warn)
        elif control == "budget" and reasoning != "none":
            self._budget(body, reasoning, info, warn)

    @staticmethod
    def _adaptive(body: dict[str, Any], reasoning: str | int, info: ModelInfo | None, warn: Any) -> None:
        if reasoning == "none":
            body["thinking"] = {"type": "disabled"}
            return
        body["thinking"] = {"type": "adaptive"}
        default = info.reasoning.effort_default if info is not None else None
        if reasoning != default:
            body["output_config"] = {"effort": reasoning}
            warn(f"sent thinking.type 'adaptive' with output_config.effort {reasoning!r}: Anthropic's compatibility "
                 "layer documents no effort setting for adaptive thinking and ignores unknown fields, so the "
                 f"model's default effort ({default!r}) may apply instead")

    @staticmethod
    def _budget(body: dict[str, Any], reasoning: str | int, info: ModelInfo | None, warn: Any) -> None:
        low, high = (info.reasoning.budget if info is not None and info.reasoning.budget else None) or (1024, None)
        budget = reasoning if isinstance(reasoning, int) else EFFORT_BUDGET[reasoning]
        budget = max(low, budget if high is None else min(high, budget))  # Anthropic's minimum is 1024
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
        if limit is not None and limit <= budget:
            key = "max_tokens" if body.get("max_tokens") else "max_completion_tokens"
            body[key] = budget + limit
            warn(f"raised {key} to {budget + limit}: it must exceed the thinking budget ({budget})")

    def repair(self, message: str, body: dict[str, Any]) -> Repair | None:
        """Anthropic's 400s (verbatim, provider-quirks.md section 0 and the sources in models.toml):
        '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" ...',
        '"thinking.type.disabled" is not supported for this model. ...', 'adaptive thinking is not supported on
        this model', '`temperature` is deprecated for this model.'."""
        fix = None
        if _ENABLED_REJECTED in message:
            fix = Repair("set", ("thinking",), {"type": "adaptive"}, why=message)
        elif _DISABLED_REJECTED in message:
            fix = Repair("drop", ("thinking",), why=message)
        elif _ADAPTIVE_REJECTED in message:
            fix = Repair("set", ("thinking",), {"type": "enabled", "budget_tokens": 1024}, why=message)
        elif m := _DEPRECATED_PARAM.search(message):
            fix = Repair("drop", (m.group(1),), why=message)
        return fix if fix is not None and fix.applies_to(body) else None

    def adjust_params(self, body: dict[str, Any], model_id: str, warn: Any) -> None:
        temp = body.get("temperature")
        if isinstance(temp, int | float) and temp > 1:
            body["temperature"] = 1.0
            warn(f"capped temperature {temp} at 1.0: Anthropic's range is 0..1")
        drop(body, _IGNORED, warn, "Anthropic's compatibility layer ignores them")
        check_while_thinking(body, warn)


_EXTENDED_THINKING = "https://platform.claude.com/docs/en/build-with-claude/extended-thinking"


def _thinking(body: dict[str, Any]) -> bool:
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


def _forces_a_tool(choice: Any) -> bool:
    """tool_choice forcing a call: Chat Completions' "required" or a named function; Messages' any or tool."""
    if choice == "required":
        return True
    return isinstance(choice, dict) and choice.get("type") in ("function", "any", "tool")


def check_while_thinking(body: dict[str, Any], warn: Any, can_stop: bool = True) -> None:
    """What Claude refuses while it thinks, on either API ("Thinking isn't compatible with temperature or top_k
    modifications as well as forced tool use"; top_p only from 0.95 to 1: the extended-thinking docs, read
    2026-11-29): a forced tool is a ConfigError before sending (Anthropic answers it 400 "Thinking may not be
    enabled when tool_choice forces tool use."), a lower top_p is raised to 0.95. Temperature and top_k are the
    catalogue's rules (removed while the model reasons)."""
    if not _thinking(body):
        return
    if _forces_a_tool(body.get("tool_choice")):
        fix = "tool_choice='auto' (the model still calls tools)" + (" or reasoning='none'" if can_stop else
                                                                    ", since this model always thinks")
        raise ConfigError(f"{body.get('model')}: tool_choice forces a tool while the model thinks, which Anthropic "
                          f"refuses (400 'Thinking may not be enabled when tool_choice forces tool use.'; "
                          f"{_EXTENDED_THINKING}); pass {fix}")
    top_p = body.get("top_p")
    if isinstance(top_p, int | float) and not isinstance(top_p, bool) and top_p < 0.95:
        body["top_p"] = 0.95
        warn(f"raised top_p {top_p} to 0.95: while Claude thinks it takes top_p from 0.95 to 1 ({_EXTENDED_THINKING})")


class AnthropicMessagesDialect(AnthropicDialect):
    """Anthropic's rules for a request the native Messages API carries: the same models, limits and repairs, minus
    what only the compatibility layer drops (apis/messages.py turns the body this builds into a Messages body)."""

    def shape_tools(self, tools: list[dict[str, Any]], warn: Any) -> list[dict[str, Any]]:
        return tools  # strict tool use is part of structured outputs (_STRUCTURED, read 2026-11-29)

    @staticmethod
    def _adaptive(body: dict[str, Any], reasoning: str | int, info: ModelInfo | None, warn: Any) -> None:
        """Adaptive thinking with the effort in ``output_config.effort`` (platform.claude.com/docs/en/build-with-
        claude/effort, read 2026-11-29) and the thinking text asked for: Opus 4.7 and later default to
        ``display: "omitted"`` (platform.claude.com/docs/en/build-with-claude/thinking; anthropics/claude-code
        issue 49268), which would leave ``reasoning`` empty."""
        if reasoning == "none":
            body["thinking"] = {"type": "disabled"}
            return
        body["thinking"] = {"type": "adaptive", "display": "summarized"}
        default = info.reasoning.effort_default if info is not None else None
        if reasoning != default:
            body["output_config"] = {"effort": reasoning}

    def adjust_params(self, body: dict[str, Any], model_id: str, warn: Any) -> None:
        temp = body.get("temperature")
        if isinstance(temp, int | float) and temp > 1:
            body["temperature"] = 1.0
            warn(f"capped temperature {temp} at 1.0: Anthropic's range is 0..1")
        drop(body, _IGNORED, warn, "the Messages API has no such parameters")
        check_while_thinking(body, warn)

    def messages_body(self, body: dict[str, Any], info: ModelInfo | None, reasoning: str | int | None,
                      warn: Any) -> None:
        """A model that thinks unasked (Claude 5: adaptive, on by default) is asked for the thinking text too, so
        its reasoning is as visible as when ``reasoning=`` names a level."""
        if "thinking" not in body and info is not None and info.reasoning.control == "adaptive" \
                and info.reasons_with(reasoning):
            body["thinking"] = {"type": "adaptive", "display": "summarized"}
        # a model that thinks unasked (thinking added just above) refuses a forced tool too
        check_while_thinking(body, warn, can_stop=info is None or "none" in info.reasoning.levels)


ANTHROPIC_MESSAGES = AnthropicMessagesDialect()
