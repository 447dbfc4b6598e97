"""OpenAI (api.openai.com/v1): the reference dialect.

Which models reason, the efforts each takes, ``max_completion_tokens`` instead of ``max_tokens`` and the
sampling parameters refused while a model reasons are per-model rules in the catalogue (models.toml); a
non-default temperature is refused on reasoning models, the default (1) is taken. No reasoning text is
returned on Chat Completions; only ``completion_tokens_details.reasoning_tokens``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from multimodel.catalogue import ModelInfo
from multimodel.providers.base import Dialect
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

_RESPONSES = "https://platform.openai.com/docs/api-reference/responses/create"
_RESPONSES_FILES = "https://platform.openai.com/docs/guides/pdf-files?api-mode=responses"
_NOT_IN_RESPONSES = "not a Responses API parameter (its request schema has no {}; read 2026-11-29): removed"

#: the Responses API: PDFs as input_file parts, and no n, seed or input audio (read 2026-11-29)
RESPONSES_CAPABILITIES = CapabilityTable(
    provider="OpenAI (Responses API)",
    features={
        **CAPABILITIES.features,
        "file_input": supported(_RESPONSES_FILES, "PDFs as input_file parts (file_data + filename) on models that"
                                                  " take text and images"),
        "audio_input": rejected(_RESPONSES, "the Responses API takes text, image and file input only; audio input is"
                                            " Chat Completions' (gpt-audio)"),
        "n_gt_1": rejected(_RESPONSES, _NOT_IN_RESPONSES.format("n") + "; one answer per request"),
        "seed": rejected(_RESPONSES, _NOT_IN_RESPONSES.format("seed")),
        "logprobs": unknown(_RESPONSES, "include 'message.output_text.logprobs' with top_logprobs; reasoning models"
                                        " reject it as on Chat Completions"),
    },
    limits=CAPABILITIES.limits,
    rules=(
        *(rule for rule in CAPABILITIES.rules if rule.label != "audio"),
        ModelRule(("gpt-audio*", "gpt-4o-audio-preview*", "gpt-4o-mini-audio-preview*"),
                  {"audio_input": rejected(_AUDIO, "audio models are served by Chat Completions only"),
                   "image_data_url": rejected(_AUDIO, "Image: Not supported"),
                   "image_http_url": rejected(_AUDIO, "Image: Not supported")}, label="audio"),
    ),
)


class OpenAIDialect(Dialect):
    name = "openai"
    base_url = "https://api.openai.com/v1"
    api_key_env = ("OPENAI_API_KEY",)
    #: the Responses API (platform.openai.com/docs/api-reference/responses, read 2026-11-29)
    api_base_urls: ClassVar[dict[str, str]] = {"responses": "https://api.openai.com/v1"}
    api_capabilities: ClassVar[dict[str, CapabilityTable]] = {"responses": RESPONSES_CAPABILITIES}
    #: "Only the default (1) value is supported" for temperature on reasoning models
    sampling_defaults: ClassVar[dict[str, Any]] = {"temperature": 1}
    #: Files + Batches, 50% of the live price (platform.openai.com/docs/guides/batch, read 2026-11-29)
    batch_protocol: ClassVar[str | None] = "openai_files"

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, info: ModelInfo | None,
                        warn: Any) -> None:
        """``reasoning_effort``; which values a model takes is the catalogue's business (models.toml)."""
        if info is not None and info.reasoning.control == "none":
            return  # reasoning="none" on a model that never reasons: nothing to send
        super().apply_reasoning(body, model_id, reasoning, info, warn)
