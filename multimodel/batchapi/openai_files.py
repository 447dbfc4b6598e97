"""OpenAI's Batch API (Files + Batches), which xAI's JSONL route and Gemini's OpenAI compatibility layer copy.

Upload a JSONL file (``POST {base}/files``, multipart, ``purpose=batch``; lines ``{custom_id, method, url, body}``),
create the batch (``POST {base}/batches`` with ``input_file_id``, ``endpoint``, ``completion_window="24h"``), poll
``GET {base}/batches/{id}`` (validating → in_progress → finalizing → completed; or failed, expired,
cancelling → cancelled), then read the output and error files (``GET {base}/files/{id}/content``). Sources:
platform.openai.com/docs/guides/batch and the recordings (RESEARCH §1, read 2026-11-29); Gemini's ids are native
resource names (``batches/…``, ``files/…``) [INFERRED, RESEARCH §2]; xAI's route per docs.litellm.ai/docs/providers/
xai_batches (RESEARCH §3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from time import time
from typing import Any, ClassVar

import orjson

from multimodel.batchapi.base import (
    BATCH_FAILED,
    BatchAPIError,
    BatchJob,
    BatchLimits,
    BatchProtocol,
    BatchStatus,
    Line,
    batch_result,
    call_json,
    cancelled_error,
    epoch_of,
    error_rows,
    expired_error,
    headers_for,
    jsonl_objects,
    line_body,
    list_page_of,
    missing_error,
    multipart,
)
from multimodel.config import ProviderConfig
from multimodel.errors import ConfigError
from multimodel.request import PreparedRequest
from multimodel.results import Result, ResultError
from multimodel.transport import Transport

MB = 1024 * 1024
#: the endpoint a line's ``url`` names, per API (one endpoint per batch: the url_mismatch error code)
ENDPOINTS = {"chat": "/v1/chat/completions", "responses": "/v1/responses"}
_STATES = {"validating": "validating", "in_progress": "running", "cancelling": "running", "finalizing": "finalizing",
           "completed": "ended", "failed": "ended", "expired": "ended", "cancelled": "ended"}
#: how many of a refused batch's errors a row's message quotes
_QUOTED_ERRORS = 3
#: a line's top-level ``error.code`` (a failure outside HTTP; RESEARCH §1.2) as an error kind; any other: "server".
#: The codes are OpenAI's error codes (rate_limit_exceeded; invalid_request, and the error type invalid_request_error
#: that some servers put in code) [INFERRED: no source lists the codes a batch line's error carries]
_LINE_ERROR_KINDS = {"rate_limit_exceeded": "rate_limit", "invalid_request": "bad_request",
                     "invalid_request_error": "bad_request"}


class OpenAIFilesProtocol(BatchProtocol):
    """Files + Batches, as OpenAI and xAI serve them (Gemini's compatibility layer: batchapi/gemini.py)."""

    name: ClassVar[str] = "openai_files"
    apis: ClassVar[tuple[str, ...]] = ("chat", "responses")
    limits: ClassVar[dict[str, BatchLimits]] = {
        "openai": BatchLimits(50_000, 200 * MB, "platform.openai.com/docs/guides/batch: 50,000 requests and 200 MB "
                                                "per batch (read 2026-11-29)"),
        # the Files route's own limits are not documented; the native API throttles past 1,000,000 requests
        # (inspect_ai _grok_batch.py): OpenAI's are kept [INFERRED, RESEARCH §3]
        "xai": BatchLimits(50_000, 200 * MB, "xAI documents no per-batch limit for its Files route; OpenAI's "
                                             "[INFERRED, RESEARCH §3]"),
    }
    sends_tag: ClassVar[bool] = True
    #: per dialect: whether the cost a batch line reports is the batch charge (kept, cost_source "provider").
    #: xAI: every xAI answer's usage.cost_in_usd_ticks is "the actual amount billed, after all applicable discounts"
    #: (docs.x.ai/developers/cost-tracking, read 2026-11-29), but no source read says whether the lines of a batch
    #: carry it, nor at which rate; and xAI's own pages disagree on the batch discount (docs.x.ai/developers/pricing
    #: "20% off every token type", price_rules.csv as of 2026-11-09; one copy of docs.x.ai/developers/advanced-api-
    #: usage/batch-api says "50% off", another "reduced pricing"; RESEARCH §3). Unknown, so the batch price table
    #: prices xAI's lines (cost_source "batch_price_table"); set True once a live batch shows discounted ticks.
    #: OpenAI reports no cost in a line.
    dialect_reports_cost: ClassVar[dict[str, bool]] = {"openai": False, "xai": False}

    def reports_cost(self, cfg: ProviderConfig) -> bool:
        return self.dialect_reports_cost.get(cfg.dialect, self.reports_batch_cost)

    def line_bytes(self, custom_id: str, req: PreparedRequest) -> int:
        return len(_jsonl_line(custom_id, req))

    async def submit(self, cfg: ProviderConfig, transport: Transport, lines: Sequence[Line],
                     tag: str | None = None) -> BatchJob:
        """Upload the JSONL file, then create the batch (``metadata``: client multimodel, and ``mm_tag`` the tag);
        the job names both."""
        self.check_lines(cfg, lines)
        metadata = {"client": "multimodel", **({"mm_tag": check_tag(tag)} if tag is not None else {})}
        req0 = lines[0][1]
        data = b"".join(_jsonl_line(cid, req) for cid, req in lines)
        file_id = await self.upload(cfg, transport, data)
        create = {"input_file_id": file_id, "endpoint": ENDPOINTS[req0.api.name], "completion_window": "24h",
                  "metadata": metadata}
        submitted_at = time()
        url = self.collection_url(cfg)
        obj = await call_json(transport, "POST", url, headers_for(cfg, "chat"), orjson.dumps(create))
        return self.created(obj, cfg, lines, url, submitted_at, tag=tag, input_file_id=file_id)

    async def upload(self, cfg: ProviderConfig, transport: Transport, data: bytes) -> str:
        """``POST {base}/files`` (multipart, ``purpose=batch``): the uploaded JSONL file's id."""
        body, content_type = multipart({"purpose": "batch"}, "multimodel-batch.jsonl", data)
        headers = {**headers_for(cfg, "chat"), "Content-Type": content_type}
        uploaded = await call_json(transport, "POST", f"{cfg.base_url}/files", headers, body)
        file_id = uploaded.get("id")
        if not isinstance(file_id, str) or not file_id:
            raise BatchAPIError(ResultError(kind="malformed_response", message="the file upload returned no id"))
        return file_id

    def download(self, cfg: ProviderConfig, file_id: str) -> tuple[str, dict[str, str]]:
        """Where an output or error file is read (``GET {base}/files/{id}/content``), with the headers it needs."""
        return f"{cfg.base_url}/files/{file_id}/content", headers_for(cfg, "chat")

    @staticmethod
    def status_from(obj: dict[str, Any], submitted: int) -> BatchStatus:
        """A cancel answers ``cancelling``, then ``cancelled`` with what the batch finished in its output."""
        return status_of(obj, submitted)

    async def list_page(self, cfg: ProviderConfig, transport: Transport,
                        after: str | None) -> tuple[list[dict[str, Any]], bool, str | None]:
        """``GET {base}/batches?limit=100&after=<last_id>``: a cursor page, newest first (RESEARCH §1.1)."""
        return await list_page_of(cfg, transport, self.collection_url(cfg), after, after_param="after")

    def made_by(self, obj: dict[str, Any], cfg: ProviderConfig, lines: Sequence[Line], tag: str) -> bool:
        """The create's tag in the batch's metadata (``mm_tag``): exact, whatever else runs on the account."""
        metadata = obj.get("metadata")
        return isinstance(metadata, dict) and metadata.get("mm_tag") == tag

    async def collect(self, cfg: ProviderConfig, transport: Transport, job: BatchJob,
                      requests_by_custom_id: Mapping[str, PreparedRequest]) -> dict[str, Result]:
        """Every line of an ended batch as a Result: the output file's answers, the error file's failures (a 4xx/5xx
        in ``response`` with ``error: null`` is an error row too), and the lines neither file names (expired,
        cancelled). A batch refused at validation gives every line the error naming its code."""
        status = await self.poll(cfg, transport, job)
        if not status.terminal:
            raise ConfigError(f"batch {job.batch_id} is still {status.provider_status}: poll until it has ended")
        if status.error is not None:
            return _refused_rows(job, requests_by_custom_id, status)
        obj = status.raw
        out: dict[str, Result] = {}
        reports = self.reports_cost(cfg)
        for key in ("output_file_id", "error_file_id"):
            fid = obj.get(key)
            if not isinstance(fid, str) or not fid:  # "" is absent too (tobert/kaibo PR #93)
                continue
            url, headers = self.download(cfg, fid)
            async for line in jsonl_objects(transport, url, headers):
                cid = line.get("custom_id")
                if isinstance(cid, str) and cid in requests_by_custom_id and cid not in out:
                    out[cid] = _line_result(requests_by_custom_id[cid], job, cid, line, reports_batch_cost=reports,
                                            ended_at=status.ended_at)
        return settle_unnamed(out, job, requests_by_custom_id, status)




def check_tag(tag: Any) -> str:
    """A create's tag as metadata carries it: a non-empty string of at most 512 characters (OpenAI's create
    reference: metadata values at most 512 characters, RESEARCH §1.1)."""
    if not isinstance(tag, str) or not 1 <= len(tag) <= 512:
        raise ConfigError(f"a batch tag is a string of 1 to 512 characters (it goes in the create's metadata), got "
                          f"{tag!r:.80}")
    return tag


def settle_unnamed(out: dict[str, Result], job: BatchJob, requests: Mapping[str, PreparedRequest],
                   status: BatchStatus) -> dict[str, Result]:
    """``out`` with a row for every line the results did not name: expired or cancelled when the batch ended so,
    else missing (LINE_MISSING: the batch runner reads such a batch again rather than closing it)."""
    settle = {"expired": expired_error, "cancelled": cancelled_error}.get(status.provider_status, missing_error)
    for cid in job.custom_ids:
        if cid not in out:
            out[cid] = batch_result(requests[cid], job, cid, error=settle(), ended_at=status.ended_at)
    return out


def _jsonl_line(custom_id: str, req: PreparedRequest) -> bytes:
    return orjson.dumps({"custom_id": custom_id, "method": "POST", "url": ENDPOINTS.get(req.api.name, ""),
                         "body": line_body(req)}) + b"\n"


def status_of(obj: dict[str, Any], submitted: int) -> BatchStatus:
    """A Batch object in the shared vocabulary. ``request_counts.failed`` counts failed lines (expired ones included,
    where the provider counts them there); lines in no count once the batch has ended were expired or cancelled."""
    provider_status = str(obj.get("status") or "")
    state = _STATES.get(provider_status, "running")
    counts = obj.get("request_counts") if isinstance(obj.get("request_counts"), dict) else {}
    total = _count(counts.get("total")) or submitted
    succeeded, failed = _count(counts.get("completed")), _count(counts.get("failed"))
    status = BatchStatus(state=state, terminal=state == "ended", total=total, succeeded=succeeded, failed=failed,
                         provider_status=provider_status, raw=obj,
                         ended_at=ended_at_of(obj) if state == "ended" else None)
    rest = max(0, total - succeeded - failed)
    if provider_status == "expired":
        status.expired = rest
    elif provider_status == "cancelled":
        status.cancelled = rest
    elif provider_status == "failed":
        status.failed, status.succeeded = total, 0
        status.error = _refusal(obj)
    return status


def ended_at_of(obj: dict[str, Any]) -> float | None:
    """When an ended Batch object says it ended: ``completed_at``, ``failed_at``, ``expired_at`` or ``cancelled_at``
    (unix seconds; RESEARCH §1.3), whichever is set."""
    for key in ("completed_at", "failed_at", "expired_at", "cancelled_at"):
        when = epoch_of(obj.get(key))
        if when is not None:
            return when
    return None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _refusal(obj: dict[str, Any]) -> ResultError:
    """The errors of a batch refused at validation (``errors.data``: {code, line, message, param}) as one error."""
    errors = obj.get("errors")
    data = errors.get("data") if isinstance(errors, dict) else None
    entries = [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
    if not entries:
        return ResultError(kind=BATCH_FAILED, message="the provider refused the batch and gave no reason")
    said = "; ".join(f"{e.get('code')}: {e.get('message')}" + (f" (line {e['line']})" if e.get("line") else "")
                     for e in entries[:_QUOTED_ERRORS])
    more = f"; and {len(entries) - _QUOTED_ERRORS} more" if len(entries) > _QUOTED_ERRORS else ""
    code = entries[0].get("code")
    return ResultError(kind=BATCH_FAILED, message=f"the provider refused the whole batch: {said}{more}",
                       provider_code=code if isinstance(code, str) else None)


def _refused_rows(job: BatchJob, requests: Mapping[str, PreparedRequest], status: BatchStatus) -> dict[str, Result]:
    """Every line of a refused batch: the error of its own line where ``errors.data`` names one, else the batch's."""
    assert status.error is not None
    rows = error_rows(job, requests, status.error, ended_at=status.ended_at)
    errors = status.raw.get("errors") if isinstance(status.raw, dict) else None
    data = errors.get("data") if isinstance(errors, dict) else None  # as _refusal reads it: any other shape, none
    for entry in data if isinstance(data, list) else []:
        line = entry.get("line") if isinstance(entry, dict) else None
        if isinstance(line, int) and 1 <= line <= len(job.custom_ids):
            cid = job.custom_ids[line - 1]
            code = entry.get("code")
            rows[cid].error = ResultError(kind=BATCH_FAILED, message=f"line {line} refused: {code}: "
                                          f"{entry.get('message')} (so the whole batch was refused)",
                                          provider_code=code if isinstance(code, str) else None)
    return rows


def _line_result(req: PreparedRequest, job: BatchJob, cid: str, line: dict[str, Any],
                 reports_batch_cost: bool = False, ended_at: float | None = None) -> Result:
    """One output or error line: ``error`` set (not run: batch_expired, or another failure), or ``response`` with its
    ``status_code`` and body (2xx an answer, 4xx/5xx an error row even when ``error`` is null)."""
    err, resp = line.get("error"), line.get("response")
    if isinstance(err, dict):
        code = err.get("code")
        if code == "batch_expired":
            return batch_result(req, job, cid, error=expired_error(), ended_at=ended_at)
        message = err.get("message") if isinstance(err.get("message"), str) else str(err)[:500]
        code = code if isinstance(code, str) else None
        return batch_result(req, job, cid, ended_at=ended_at, error=ResultError(
            kind=_LINE_ERROR_KINDS.get(code or "", "server"), message=message, provider_code=code))
    if not isinstance(resp, dict):
        return batch_result(req, job, cid, ended_at=ended_at, error=ResultError(
            kind="malformed_response", message="the batch line has neither response nor error"))
    status = resp.get("status_code")
    status = status if isinstance(status, int) and not isinstance(status, bool) else 200
    return batch_result(req, job, cid, status=status, body=resp.get("body"), request_id=resp.get("request_id"),
                        reports_batch_cost=reports_batch_cost, ended_at=ended_at)


PROTOCOL = OpenAIFilesProtocol()

__all__ = ["ENDPOINTS", "PROTOCOL", "OpenAIFilesProtocol", "check_tag", "ended_at_of", "settle_unnamed", "status_of"]
