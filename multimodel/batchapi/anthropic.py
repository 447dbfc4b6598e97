"""Anthropic's Message Batches: ``POST {messages URL}/batches`` with ``{requests: [{custom_id, params}]}`` where each
``params`` is a Messages API body (so the requests are prepared through the Messages API), poll
``GET …/batches/{id}`` (``processing_status`` in_progress → (canceling →) ended; counts processing, succeeded,
errored, canceled, expired), then read ``results_url`` (JSONL of ``{custom_id, result: {type: succeeded | errored |
canceled | expired, …}}``, in any order). Sources: platform.claude.com/docs/en/api/messages/batches/create,
docs.anthropic.com/…/message-batches and the recordings (RESEARCH §4, read 2026-11-29).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from time import time
from typing import Any, ClassVar

import orjson

from multimodel.apis import get_api
from multimodel.batchapi.base import (
    BatchJob,
    BatchLimits,
    BatchProtocol,
    BatchStatus,
    Line,
    batch_result,
    call_json,
    cancelled_error,
    epoch_of,
    expired_error,
    headers_for,
    jsonl_objects,
    line_body,
    list_page_of,
    missing_error,
)
from multimodel.config import ProviderConfig
from multimodel.errors import ConfigError
from multimodel.request import PreparedRequest
from multimodel.results import Result, ResultError
from multimodel.transport import Transport, same_origin
from multimodel.wire.errors import error_from_http

MB = 1024 * 1024
#: custom_id: "minLength 1, maxLength 64, pattern ^[a-zA-Z0-9_-]{1,64}$" (platform.claude.com/docs/it/api/csharp/
#: messages/batches.md, read 2026-11-29)
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_STATES = {"in_progress": "running", "canceling": "running", "ended": "ended"}
#: the HTTP status of each Anthropic error type (docs.anthropic.com/en/api/errors), for an ``errored`` line
_ERROR_STATUS = {"invalid_request_error": 400, "authentication_error": 401, "billing_error": 402,
                 "permission_error": 403, "not_found_error": 404, "request_too_large": 413, "rate_limit_error": 429,
                 "api_error": 500, "timeout_error": 504, "overloaded_error": 529}


class AnthropicBatchProtocol(BatchProtocol):
    """Message Batches: inline requests, one results JSONL once the whole batch has ended."""

    name: ClassVar[str] = "anthropic"
    apis: ClassVar[tuple[str, ...]] = ("messages",)
    auth_api: ClassVar[str] = "messages"
    limits: ClassVar[dict[str, BatchLimits]] = {
        "anthropic": BatchLimits(100_000, 256 * MB, "docs.anthropic.com/en/docs/build-with-claude/message-batches: "
                                                    "100,000 requests or 256 MB, whichever comes first (read "
                                                    "2026-11-29)"),
    }

    def api_message(self, cfg: ProviderConfig, req: PreparedRequest) -> str:
        return (f"Anthropic's Message Batches take Messages API bodies, not {req.api.name} ones: use "
                f"anthropic-messages/{req.model_id} to batch them (or providers="
                f"{{{cfg.name!r}: {{'api': 'messages'}}}})")

    def line_bytes(self, custom_id: str, req: PreparedRequest) -> int:
        return len(orjson.dumps({"custom_id": custom_id, "params": line_body(req)})) + 1

    def check_lines(self, cfg: ProviderConfig, lines: Sequence[Line]) -> None:
        super().check_lines(cfg, lines)
        for cid, _ in lines:
            if not CUSTOM_ID.match(cid):
                raise ConfigError(f"custom_id {cid!r}: Anthropic takes 1 to 64 letters, digits, '_' or '-'")

    def collection_url(self, cfg: ProviderConfig) -> str:
        """The Messages URL (…/v1/messages) + ``/batches``."""
        return f"{get_api('messages').url(cfg.base_url)}/batches"

    async def submit(self, cfg: ProviderConfig, transport: Transport, lines: Sequence[Line],
                     tag: str | None = None) -> BatchJob:
        """Create the batch with its requests inline. Message Batches take no metadata (the create's body is
        ``{requests}`` only; RESEARCH §4), so the tag is only kept in the job; ``find`` matches on time and size."""
        self.check_lines(cfg, lines)
        url = self.collection_url(cfg)
        payload = orjson.dumps({"requests": [{"custom_id": cid, "params": line_body(req)} for cid, req in lines]})
        submitted_at = time()
        obj = await call_json(transport, "POST", url, headers_for(cfg, "messages"), payload)
        return self.created(obj, cfg, lines, url, submitted_at, tag=tag, api="messages")

    async def list_page(self, cfg: ProviderConfig, transport: Transport,
                        after: str | None) -> tuple[list[dict[str, Any]], bool, str | None]:
        """``GET …/messages/batches?limit=100&after_id=<last_id>``: newest first, ``{data, has_more, last_id}``
        (platform.claude.com/docs/en/api/messages/batches/list, RESEARCH §4)."""
        return await list_page_of(cfg, transport, self.collection_url(cfg), after, after_param="after_id",
                                  auth_api="messages")

    def made_by(self, obj: dict[str, Any], cfg: ProviderConfig, lines: Sequence[Line], tag: str) -> bool:
        """A HEURISTIC, as Message Batches carry no metadata: a batch created in find's window (RFC 3339
        ``created_at``) whose request_counts add up to the number of lines. Another batch of the same size created
        on the same workspace in those minutes matches too; the caller treats more than one match as ambiguous."""
        counts = obj.get("request_counts")
        if not isinstance(counts, dict):
            return False
        values = [counts.get(k) for k in ("processing", "succeeded", "errored", "canceled", "expired")]
        return sum(v for v in values if isinstance(v, int) and not isinstance(v, bool) and v >= 0) == len(lines)

    @staticmethod
    def status_from(obj: dict[str, Any], submitted: int) -> BatchStatus:
        """A cancel answers ``canceling`` at once; the batch then ends with what it had not run counted canceled."""
        return status_of(obj, submitted)

    async def collect(self, cfg: ProviderConfig, transport: Transport, job: BatchJob,
                      requests_by_custom_id: Mapping[str, PreparedRequest]) -> dict[str, Result]:
        """Every line of an ended batch as a Result (succeeded: the Message read as a live answer; errored: the
        error it names; canceled and expired: error rows of those kinds)."""
        status = await self.poll(cfg, transport, job)
        if not status.terminal:
            raise ConfigError(f"batch {job.batch_id} is still {status.provider_status}: poll until it has ended")
        url = status.raw.get("results_url")
        collection = self.collection_url(cfg)
        if not isinstance(url, str) or not same_origin(url, collection):  # credentials go to the provider only
            url = f"{collection}/{job.batch_id}/results"
        headers = headers_for(cfg, "messages")
        out: dict[str, Result] = {}
        async for line in jsonl_objects(transport, url, headers):
            cid = line.get("custom_id")
            if isinstance(cid, str) and cid in requests_by_custom_id and cid not in out:
                out[cid] = _line_result(requests_by_custom_id[cid], job, cid, line.get("result"), status.ended_at)
        for cid in job.custom_ids:
            if cid not in out:
                out[cid] = batch_result(requests_by_custom_id[cid], job, cid, error=missing_error(),
                                        ended_at=status.ended_at)
        return out


def status_of(obj: dict[str, Any], submitted: int) -> BatchStatus:
    """A MessageBatch in the shared vocabulary (counts stay all ``processing`` until it ends, as recorded)."""
    provider_status = str(obj.get("processing_status") or "")
    state = _STATES.get(provider_status, "running")
    counts = obj.get("request_counts") if isinstance(obj.get("request_counts"), dict) else {}

    def n(key: str) -> int:
        v = counts.get(key)
        return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else 0

    total = sum(n(k) for k in ("processing", "succeeded", "errored", "canceled", "expired")) or submitted
    ended = state == "ended"
    return BatchStatus(state=state, terminal=ended, total=total, succeeded=n("succeeded"),
                       failed=n("errored"), expired=n("expired"), cancelled=n("canceled"),
                       provider_status=provider_status, raw=obj,
                       ended_at=epoch_of(obj.get("ended_at")) if ended else None)  # RFC 3339 (RESEARCH §4)


def _line_result(req: PreparedRequest, job: BatchJob, cid: str, result: Any, ended_at: float | None = None) -> Result:
    kind = result.get("type") if isinstance(result, dict) else None
    if kind == "succeeded":
        return batch_result(req, job, cid, status=200, body=result.get("message"), ended_at=ended_at)
    if kind == "errored":
        body = result.get("error")
        inner = body.get("error") if isinstance(body, dict) else None
        etype = inner.get("type") if isinstance(inner, dict) else None
        status = _ERROR_STATUS.get(etype, 500) if isinstance(etype, str) else 500
        return batch_result(req, job, cid, error=error_from_http(status, None, orjson.dumps(body)), body=body,
                            ended_at=ended_at)
    if kind == "expired":
        return batch_result(req, job, cid, error=expired_error(), ended_at=ended_at)
    if kind == "canceled":
        return batch_result(req, job, cid, error=cancelled_error(), ended_at=ended_at)
    return batch_result(req, job, cid, ended_at=ended_at, error=ResultError(
        kind="malformed_response", message=f"a results line of unknown type {kind!r}"))


PROTOCOL = AnthropicBatchProtocol()

__all__ = ["CUSTOM_ID", "PROTOCOL", "AnthropicBatchProtocol", "status_of"]
