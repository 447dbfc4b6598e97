"""Gemini's batches: the OpenAI compatibility layer's Batches, with Gemini's native Files API for the JSONL.

Gemini's compatibility layer (``…/v1beta/openai``) creates, retrieves, lists and cancels batches but serves no Files
route: "batches.create/retrieve/cancel work through the OpenAI client, but the compat layer does NOT support
files.create/files.content" (sinas-platform/sinas ``gemini_provider.py``, PR #128, 2026-08-13, citing
ai.google.dev/gemini-api/docs/openai#batch; two more public projects upload and download natively; read
2026-11-29). So the JSONL goes up through the native resumable upload (``POST {root}/upload/v1beta/files``: "start"
answers an ``X-Goog-Upload-URL``, "upload, finalize" there answers ``{"file": {"name": "files/…"}}``), the create
names that file as ``input_file_id``, and the results come down from
``{root}/download/v1beta/{name}:download?alt=media`` (Google's batch-mode guide; public clients call it so).
``{root}`` is the compatibility base URL without ``/v1beta/openai``; native calls carry ``x-goog-api-key``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import orjson

from multimodel.batchapi.base import BatchAPIError, BatchLimits, Line, call, call_json
from multimodel.batchapi.openai_files import MB, OpenAIFilesProtocol
from multimodel.config import ProviderConfig
from multimodel.results import ResultError
from multimodel.transport import Transport

#: the compatibility layer's path under Gemini's API root (ai.google.dev/gemini-api/docs/openai)
COMPAT_SUFFIX = "/v1beta/openai"


def native_root(base_url: str) -> str:
    """Gemini's API root from the compatibility layer's base URL: without ``/v1beta/openai`` (or, for another
    mount of it such as the simulator's ``…/gemini/v1``, without its last path segment)."""
    base = base_url.rstrip("/")
    if base.endswith(COMPAT_SUFFIX):
        return base[: -len(COMPAT_SUFFIX)]
    return base.rsplit("/", 1)[0] if urlsplit(base).path.strip("/") else base


def native_headers(cfg: ProviderConfig) -> dict[str, str]:
    """The native API's authentication: the key in ``x-goog-api-key`` (a bearer there means an OAuth token)."""
    return {"x-goog-api-key": cfg.resolve_key(), **cfg.default_headers}


class GeminiFilesProtocol(OpenAIFilesProtocol):
    """The compatibility layer's Batches over Gemini's native Files API."""

    name: ClassVar[str] = "gemini_files"
    sends_tag: ClassVar[bool] = False  # sent, but not known to come back: find() may fall back on time and size
    #: chat completions only through this layer [INFERRED, RESEARCH §2]
    apis: ClassVar[tuple[str, ...]] = ("chat",)
    #: a batch input file up to 2 GB (apidog.com, secondary); held to OpenAI's 200 MB [INFERRED, RESEARCH §2]
    limits: ClassVar[dict[str, BatchLimits]] = {
        "gemini": BatchLimits(50_000, 200 * MB, "Gemini's compatibility layer documents no limit; OpenAI's "
                                                "[INFERRED, RESEARCH §2]"),
    }

    def made_by(self, obj: dict[str, Any], cfg: ProviderConfig, lines: Sequence[Line], tag: str) -> bool:
        """The tag where the batch object carries the metadata sent; no source shows Gemini's compatibility layer
        keeping it, so without it a HEURISTIC like Anthropic's: created in find's window with request_counts.total
        the number of lines (the caller treats more than one match as ambiguous)."""
        metadata = obj.get("metadata")
        if isinstance(metadata, dict) and metadata.get("mm_tag") is not None:
            return metadata.get("mm_tag") == tag
        counts = obj.get("request_counts")
        total = counts.get("total") if isinstance(counts, dict) else None
        return isinstance(total, int) and not isinstance(total, bool) and total == len(lines)

    async def upload(self, cfg: ProviderConfig, transport: Transport, data: bytes) -> str:
        """The resumable upload, in its two calls; the file's resource name (``files/…``). The session URL the
        first answers must be on the API's own host: the key is sent there."""
        root = native_root(cfg.base_url)
        start = {**native_headers(cfg), "X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
                 "X-Goog-Upload-Header-Content-Length": str(len(data)),
                 "X-Goog-Upload-Header-Content-Type": "application/jsonl", "Content-Type": "application/json"}
        _, headers, _ = await call(transport, "POST", f"{root}/upload/v1beta/files", start,
                                   orjson.dumps({"file": {"display_name": "multimodel-batch"}}))
        session = next((v for k, v in headers.items() if k.lower() == "x-goog-upload-url"), None)
        if not isinstance(session, str) or urlsplit(session).netloc != urlsplit(root).netloc:
            raise BatchAPIError(ResultError(kind="malformed_response", message="Gemini's upload start gave no "
                                            "X-Goog-Upload-URL on its own host, so the batch file was not sent"))
        finish = {**native_headers(cfg), "X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0",
                  "Content-Type": "application/jsonl"}
        uploaded = await call_json(transport, "POST", session, finish, data)
        file = uploaded.get("file")
        name = file.get("name") if isinstance(file, dict) else None
        if not isinstance(name, str) or not name.startswith("files/"):
            raise BatchAPIError(ResultError(kind="malformed_response",
                                            message="Gemini's upload answered no file name (files/…)"))
        return name

    def download(self, cfg: ProviderConfig, file_id: str) -> tuple[str, dict[str, str]]:
        """``GET {root}/download/v1beta/{name}:download?alt=media``, with the native key header."""
        name = file_id if file_id.startswith("files/") else f"files/{file_id}"
        return (f"{native_root(cfg.base_url)}/download/v1beta/{quote(name, safe='/')}:download?alt=media",
                native_headers(cfg))


PROTOCOL = GeminiFilesProtocol()

__all__ = ["COMPAT_SUFFIX", "PROTOCOL", "GeminiFilesProtocol", "native_root"]
