"""Google Gemini through its OpenAI compatibility endpoint (generativelanguage.googleapis.com/v1beta/openai).

Quirks (provider-quirks.md section 3): reasoning text only comes back with
``extra_body.google.thinking_config.include_thoughts`` and arrives as ``<thought>…</thought>`` inside the
content; ``reasoning_effort`` and ``thinking_config`` cannot be sent together (400), so we always send
the thinking_config; tool calls carry ``extra_content.google.thought_signature`` that must be echoed on
the next turn; tool results need ``name``; thought tokens sit outside completion_tokens (folded by the
usage normalizer); ``developer`` is mapped to ``system``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from multimodel.catalogue import EFFORT_BUDGET, ModelInfo
from multimodel.providers.base import Dialect, developer_to_system
from multimodel.providers.capabilities import CapabilityTable, Limit, ModelRule, rejected, supported, unknown
from multimodel.providers.repairs import Repair
from multimodel.wire.accumulate import Accumulator

_COMPAT = "https://ai.google.dev/gemini-api/docs/openai"
_IMAGES = "https://ai.google.dev/gemini-api/docs/image-understanding"
_INLINE = "https://ai.google.dev/gemini-api/docs/file-input-methods"

CAPABILITIES = CapabilityTable(
    provider="Gemini",
    features={
        "image_data_url": supported(_COMPAT, "documented example: image_url with data:image/jpeg;base64"),
        "image_http_url": unknown(
            "https://github.com/BoundaryML/baml/issues/1548",
            "http:// URLs are rejected; https:// URLs gave 400 'Invalid or unsupported file uri' in 2025, and"
            " the API fetches public URLs since 2026-01 (not confirmed for the compatibility layer)"),
        "audio_input": supported(_COMPAT, "documented example: input_audio {data, format: 'wav'}"),
        "file_input": unknown(_COMPAT, "PDF file parts are not mentioned in the compatibility docs (the native API"
                                       " reads PDFs)"),
        "json_mode": supported("https://ai.google.dev/api/compatibility",
                               "response_format is in the API reference; no json_object example"),
        "structured_outputs": supported(_COMPAT, "documented with client.beta.chat.completions.parse"),
        "tool_calling": supported(_COMPAT, "function calling example with tool_choice='auto'; finish_reason"
                                           " 'stop' with tool calls (normalized to tool_calls)"),
        "streamed_tool_calls": supported("https://github.com/googleapis/python-genai/issues/2868",
                                         "each call arrives whole, without index; finish_reason 'stop'"),
        "n_gt_1": supported("https://github.com/songquanpeng/one-api/issues/2209", "n=5 returned 5 choices"),
        "seed": rejected("https://ai.google.dev/gemini-api/docs/openai",
                         "not among the documented parameters; 400 'Invalid JSON payload received. Unknown name"
                         " \"seed\": Cannot find field.' in live probes published on GitHub (2026-09)"),
        "logprobs": rejected("https://ai.google.dev/gemini-api/docs/openai",
                             "not among the documented parameters; 400 'Unknown name \"logprobs\": Cannot find"
                             " field.' in live probes published on GitHub (2026-09)"),
    },
    limits={
        "image_types": Limit(("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"), _IMAGES),
        "audio_formats": Limit(("wav", "mp3"), _COMPAT + " (wav documented; the OpenAI format enum is wav|mp3)"),
        "max_request_bytes": Limit(100_000_000, _INLINE + " (inline data: 100 MB per request since 2026-01-12)"),
        "max_file_bytes": Limit(50_000_000, _INLINE + " (50 MB for PDFs)"),
        "max_images": Limit(3600, _IMAGES),
    },
    rules=(
        ModelRule(("gemini-3*",), {"n_gt_1": rejected(
            "https://github.com/googleapis/js-genai/issues/1609",
            "Gemini 3: 400 'Multiple candidates is not enabled for this model' (native API; the compatibility"
            " layer maps n to candidateCount)")}, label="gemini-3"),
    ),
)

# Gemini 2.5 takes a token budget; Gemini 3+ takes a level (docs' reasoning_effort mapping table).
# Google's documented placeholder for a history whose calls were not made by Gemini.
DUMMY_SIGNATURE = "skip_thought_signature_validator"


def _is_gemini_25(model_id: str) -> bool:
    return bool(re.search(r"gemini-2\.", model_id))


_LEVEL_REJECTED = re.compile(r"Thinking level (\w+) is not supported for this model")
_NO_LEVELS = "Thinking level is not supported for this model"
_ONLY_THINKING = "This model only works in thinking mode"


class GeminiDialect(Dialect):
    name = "gemini"
    base_url = "https://generativelanguage.googleapis.com/v1beta/openai"
    api_key_env = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    #: batch mode through the OpenAI compatibility layer's Files + Batches, 50% price (developers.googleblog.com/
    #: gemini-batch-api-now-supports-embeddings-and-openai-compatibility, 2025-09-10, read 2026-11-29)
    batch_protocol: ClassVar[str | None] = "gemini_files"  # compat Batches + native Files (batchapi/gemini.py)

    def shape_messages(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, options: dict[str, Any], warn: Any
    ) -> list[dict[str, Any]]:
        messages = developer_to_system(messages)
        names: dict[str, str] = {}
        out: list[dict[str, Any]] = []
        for m in messages:
            if m.get("role") == "assistant" and m.get("tool_calls"):
                calls = []
                for i, tc in enumerate(m["tool_calls"]):
                    fn = tc.get("function") or {}
                    names[tc.get("id", "")] = fn.get("name", "")
                    if i == 0 and not (tc.get("extra_content") or {}).get("google", {}).get("thought_signature"):
                        # the first call of a turn must carry a signature or Gemini 3 answers 400
                        tc = {**tc, "extra_content": {"google": {"thought_signature": DUMMY_SIGNATURE}}}
                    calls.append(tc)
                m = {**m, "tool_calls": calls}
            elif m.get("role") == "tool" and not m.get("name"):
                name = names.get(m.get("tool_call_id", ""))
                if name:
                    m = {**m, "name": name}  # Gemini resolves function_response.name from it
            out.append(m)
        return out

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, info: ModelInfo | None,
                        warn: Any) -> None:
        """thinking_level (Gemini 3+) or thinking_budget (2.5) in extra_body.google.thinking_config, never with
        reasoning_effort (400: "they can't be used at the same time"); "none" as reasoning_effort "none"."""
        if reasoning == "none":
            body["reasoning_effort"] = "none"
            return
        control = info.reasoning.control if info is not None else ("budget" if _is_gemini_25(model_id) else "level")
        config: dict[str, Any] = {"include_thoughts": True}
        if control == "budget":
            config["thinking_budget"] = reasoning if isinstance(reasoning, int) else EFFORT_BUDGET[reasoning]
            if info is not None and info.reasoning.budget:
                low, high = info.reasoning.budget
                config["thinking_budget"] = max(low, min(high, config["thinking_budget"]))
        elif isinstance(reasoning, int):
            config["thinking_level"] = min(("low", "medium", "high"), key=lambda k: abs(EFFORT_BUDGET[k] - reasoning))
        else:
            config["thinking_level"] = reasoning
        body.pop("reasoning_effort", None)
        extra = body.setdefault("extra_body", {})
        extra.setdefault("google", {})["thinking_config"] = config

    def repair(self, message: str, body: dict[str, Any]) -> Repair | None:
        """Gemini's 400s (verbatim, models.toml sources): 'Thinking level MINIMAL is not supported for this model.
        Please retry with other thinking level.', 'Thinking level is not supported for this model.', 'Budget 0
        is invalid. This model only works in thinking mode.'."""
        config = ((body.get("extra_body") or {}).get("google") or {}).get("thinking_config") or {}
        path = ("extra_body", "google", "thinking_config")
        fix = None
        if (m := _LEVEL_REJECTED.search(message)) and config.get("thinking_level") == m.group(1).lower():
            level = {"minimal": "low", "low": "medium", "medium": "high"}.get(m.group(1).lower(), "high")
            fix = Repair("set", (*path, "thinking_level"), level, why=message)
        elif _NO_LEVELS in message and "thinking_level" in config:
            budget = EFFORT_BUDGET.get(config["thinking_level"], 8192)
            fix = Repair("set", path, {"include_thoughts": True, "thinking_budget": budget}, why=message)
        elif _ONLY_THINKING in message:
            fix = Repair("drop", ("reasoning_effort",), why=message)
        return fix if fix is not None and fix.applies_to(body) else None

    def listed_model_ids(self, body: Any) -> list[str] | None:
        """The compatibility layer lists ``models/gemini-2.5-flash``: the id a request takes is after ``models/``."""
        ids = super().listed_model_ids(body)
        return None if ids is None else [i.removeprefix("models/") for i in ids]

    def echo_state(self, acc: Accumulator) -> dict[str, Any] | None:
        """Only the thought signature goes back: per-delta flags such as ``thought: true`` describe the
        stream, and echoing them would mark the whole answer as a thought."""
        google = (acc.extra_content or {}).get("google")
        signature = google.get("thought_signature") if isinstance(google, dict) else None
        if signature:
            return {"extra_content": {"google": {"thought_signature": signature}}}
        return None
