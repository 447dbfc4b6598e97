"""OpenAI (api.openai.com/v1): the reference dialect, plus the reasoning-model parameter rules.

Reasoning models (o-series, gpt-5 family) reject ``max_tokens`` (use ``max_completion_tokens``) and any
non-default temperature/top_p/penalties with a 400 (provider-quirks.md section 1.2). No reasoning text is
returned on Chat Completions; only ``completion_tokens_details.reasoning_tokens``.
"""

from __future__ import annotations

import re
from typing import Any

from multimodel.providers.base import Dialect, budget_to_effort, drop
from multimodel.providers.capabilities import CapabilityTable, Limit, ModelRule, rejected, supported, unknown

_VISION = "https://developers.openai.com/api/docs/guides/images-vision"
_FILES = "https://developers.openai.com/api/docs/guides/file-inputs?api-mode=chat"
_AUDIO = "https://developers.openai.com/api/docs/models/gpt-audio"
_SDK = "https://github.com/openai/openai-python/blob/main/src/openai/types/chat/completion_create_params.py"
_GPT52 = "https://developers.openai.com/api/docs/guides/latest-model"
_NOT_VISION = rejected(_VISION, "400 'Invalid content type. image_url is only supported by certain models.'")

CAPABILITIES = CapabilityTable(
    provider="OpenAI",
    features={
        "image_data_url": supported(_VISION, "'All latest OpenAI models support text and image input'; user messages"
                                             " only"),
        "image_http_url": supported(_VISION, "OpenAI downloads the URL; a slow or private URL fails with 400"
                                             " invalid_image_url"),
        "audio_input": rejected(_AUDIO, "only the gpt-audio / gpt-4o-audio-preview models take input_audio"),
        "file_input": supported(_FILES, "'Chat Completions accepts only PDF files as file content parts'; models"
                                        " that take text and images"),
        "json_mode": supported(_SDK, "400 unless a message contains the word 'json'"),
        "structured_outputs": supported("https://developers.openai.com/api/docs/guides/structured-outputs",
                                        "gpt-4o-2024-08-06 and later, o1, o3-mini and later, gpt-4.1, gpt-5"),
        "tool_calling": supported(_SDK),
        "streamed_tool_calls": supported(_SDK, "arguments arrive in fragments keyed by index"),
        "n_gt_1": supported(_SDK, "gpt-5.6 caps n at 8"),
        "seed": supported(_SDK, "Beta, best effort ('Determinism is not guaranteed'); marked deprecated in the"
                                " Node SDK"),
        "logprobs": unknown(_GPT52, "reasoning models reject it (gpt-5, gpt-5-mini, o-series); gpt-5.1/5.2/5.4 take"
                                    " it only with reasoning_effort 'none'"),
    },
    limits={
        "image_types": Limit(("image/png", "image/jpeg", "image/webp", "image/gif"), _VISION),
        "max_total_image_bytes": Limit(50_000_000, _VISION + " (measured 2026-09: 400 'Total image size ... exceeds"
                                                             " the allowed limit of 50MB'; the page now says 512 MB)"),
        "media_roles": Limit(("user",), "https://github.com/openai/openai-openapi (image_url, input_audio and file"
                                        " parts are user-message content; 'For tool messages, only type text')"),
        "max_images": Limit(1500, _VISION),
        "max_file_bytes": Limit(50_000_000, _FILES + " ('each file must be under 50 MB')"),
        "audio_formats": Limit(("wav", "mp3"), _AUDIO + " (input_audio format: 'wav' or 'mp3')"),
    },
    rules=(
        ModelRule(("gpt-4o*", "gpt-4.1*", "gpt-4-*", "gpt-3.5*"), {"logprobs": supported(_SDK)}, label="non-reasoning"),
        ModelRule(("gpt-5", "gpt-5-mini*", "gpt-5-nano*", "gpt-5-20*", "gpt-5.5*", "gpt-5.6*", "o1*", "o3*", "o4*"),
                  {"logprobs": rejected(_GPT52, "400 \"Unsupported parameter: 'logprobs' is not supported with this"
                                                " model.\" (o-series: 403)")}, label="reasoning"),
        ModelRule(("gpt-5.1*", "gpt-5.2*", "gpt-5.4*"),
                  {"logprobs": supported(_GPT52, "only with reasoning_effort 'none' (their default); 400 with"
                                                 " reasoning= set")}, label="gpt-5.1-5.4"),
        ModelRule(("o3-mini*", "o1-mini*", "gpt-3.5*"),
                  {"image_data_url": _NOT_VISION, "image_http_url": _NOT_VISION,
                   "file_input": rejected(_FILES, "PDFs need a model that takes text and images")}, label="text-only"),
        ModelRule(("gpt-audio*", "gpt-4o-audio-preview*", "gpt-4o-mini-audio-preview*"),
                  {"audio_input": supported(_AUDIO, "Input modalities: text, audio (Chat Completions only)"),
                   "image_data_url": rejected(_AUDIO, "Image: Not supported"),
                   "image_http_url": rejected(_AUDIO, "Image: Not supported"),
                   "file_input": rejected(_FILES, "PDFs need a model that takes images"),
                   "structured_outputs": rejected(_AUDIO, "Structured outputs: Not supported")}, label="audio"),
    ),
)

_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)")
# "temperature, top_p, logprobs ... are only supported when using GPT-5.2 with reasoning effort set to none"
# (the same rule is documented for gpt-5.1 and gpt-5.4; their default effort is "none")
_SAMPLES_WITHOUT_EFFORT = re.compile(r"^gpt-5\.[124]")


def is_reasoning_model(model_id: str) -> bool:
    mid = model_id.split("/")[-1].lower()
    return bool(_REASONING_MODEL.match(mid)) and "chat" not in mid


class OpenAIDialect(Dialect):
    name = "openai"
    base_url = "https://api.openai.com/v1"
    api_key_env = ("OPENAI_API_KEY",)

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, warn: Any) -> None:
        mid = model_id.split("/")[-1].lower()
        if mid.startswith(("gpt-4", "gpt-3.5", "chatgpt")):
            warn(f"{model_id} is not a reasoning model: reasoning={reasoning!r} ignored")
            return
        effort = reasoning if isinstance(reasoning, str) else budget_to_effort(reasoning)
        body["reasoning_effort"] = effort

    def adjust_params(self, body: dict[str, Any], model_id: str, warn: Any) -> None:
        if not is_reasoning_model(model_id):
            return
        if body.get("max_tokens") is not None:
            body.setdefault("max_completion_tokens", body.pop("max_tokens"))
            warn("renamed max_tokens to max_completion_tokens: OpenAI reasoning models reject max_tokens")
        else:
            body.pop("max_tokens", None)
        if _SAMPLES_WITHOUT_EFFORT.match(model_id.split("/")[-1].lower()) and body.get("reasoning_effort") in (
                None, "none"):
            return  # gpt-5.1/5.2/5.4 take temperature, top_p and logprobs while reasoning_effort is "none"
        if body.get("temperature") not in (None, 1, 1.0):
            drop(body, ("temperature",), warn, f"{model_id} only supports the default temperature")
        drop(
            body,
            ("top_p", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs"),
            warn,
            f"{model_id} is a reasoning model and rejects sampling parameters",
        )
