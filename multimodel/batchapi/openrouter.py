"""OpenRouter's inline batches (beta): ``POST {base}/batches`` with ``{endpoint, model, requests: [{custom_id,
body}]}``, answered 202 ``validating``; the Batch object in OpenAI's vocabulary; results as cursor pages
``GET {base}/batches/{id}/results?cursor=&limit=`` (``{data, has_more, next_cursor}``) of OpenAI-like lines whose
``usage.cost`` is the charge at the batch price (so cost_source stays ``provider``). Sources: openrouter.ai/docs/guides/
features/batch-api.md, /docs/batch-quickstart.md, get-batch-results.md (RESEARCH §5, read 2026-11-29).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from time import time
from typing import ClassVar
from urllib.parse import quote

import orjson

from multimodel.batchapi.base import (
    BatchJob,
    BatchLimits,
    BatchProtocol,
    Line,
    batch_result,
    call_json,
    cancelled_error,
    expired_error,
    headers_for,
    line_body,
    missing_error,
)
from multimodel.batchapi.openai_files import ENDPOINTS, _line_result, _refused_rows, status_of
from multimodel.config import ProviderConfig
from multimodel.errors import ConfigError
from multimodel.request import PreparedRequest
from multimodel.results import Result
from multimodel.transport import Transport

MB = 1024 * 1024
PAGE = 1000  # lines per results page asked for
MAX_PAGES = 10_000  # a cursor that never ends is a server's error


class OpenRouterBatchProtocol(BatchProtocol):
    """Inline batches: one model and one endpoint per batch, the cost reported per line."""

    name: ClassVar[str] = "openrouter"
    apis: ClassVar[tuple[str, ...]] = ("chat",)
    reports_batch_cost: ClassVar[bool] = True
    limits: ClassVar[dict[str, BatchLimits]] = {
        "openrouter": BatchLimits(5_000, 200 * MB, "openrouter.ai/docs/guides/features/batch-api.md: 5,000 requests "
                                                   "and 200 MB per batch (read 2026-11-29)"),
    }

    def line_bytes(self, custom_id: str, req: PreparedRequest) -> int:
        return len(orjson.dumps({"custom_id": custom_id, "body": line_body(req)})) + 1

    async def submit(self, cfg: ProviderConfig, transport: Transport, lines: Sequence[Line]) -> BatchJob:
        self.check_lines(cfg, lines)
        req0 = lines[0][1]
        url = f"{cfg.base_url}/batches"
        payload = orjson.dumps({"endpoint": ENDPOINTS["chat"], "model": req0.model_id,
                                "requests": [{"custom_id": cid, "body": line_body(req)} for cid, req in lines]})
        submitted_at = time()
        obj = await call_json(transport, "POST", url, headers_for(cfg, "chat"), payload)
        return self.created(obj, cfg, lines, url, submitted_at, api="chat")

    status_from = staticmethod(status_of)  # OpenAI's vocabulary

    async def collect(self, cfg: ProviderConfig, transport: Transport, job: BatchJob,
                      requests_by_custom_id: Mapping[str, PreparedRequest]) -> dict[str, Result]:
        """Every line of an ended batch, read page by page; the lines no page names were expired or cancelled."""
        status = await self.poll(cfg, transport, job)
        if not status.terminal:
            raise ConfigError(f"batch {job.batch_id} is still {status.provider_status}: poll until it has ended")
        if status.error is not None:
            return _refused_rows(job, requests_by_custom_id, status)
        headers = headers_for(cfg, "chat")
        out: dict[str, Result] = {}
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            query = f"?limit={PAGE}" + (f"&cursor={quote(cursor, safe='')}" if cursor else "")
            page = await call_json(transport, "GET", f"{job.url}/{job.batch_id}/results{query}", headers)
            data = page.get("data")
            for line in data if isinstance(data, list) else []:
                cid = line.get("custom_id") if isinstance(line, dict) else None
                if isinstance(cid, str) and cid in requests_by_custom_id and cid not in out:
                    out[cid] = _line_result(requests_by_custom_id[cid], job, cid, line, reports_batch_cost=True)
            cursor = page.get("next_cursor") if page.get("has_more") else None
            if not isinstance(cursor, str) or not cursor:
                break
        settle = {"expired": expired_error, "cancelled": cancelled_error}.get(status.provider_status, missing_error)
        for cid in job.custom_ids:
            if cid not in out:
                out[cid] = batch_result(requests_by_custom_id[cid], job, cid, error=settle())
        return out


PROTOCOL = OpenRouterBatchProtocol()

__all__ = ["PROTOCOL", "OpenRouterBatchProtocol"]
