"""OpenRouter's inline batches (beta): ``POST {base}/batches`` with ``{endpoint, model, requests: [{custom_id,
body}]}``, answered 202 ``validating``; the Batch object in OpenAI's vocabulary; results as cursor pages
``GET {base}/batches/{id}/results?cursor=&limit=`` (``{data, has_more, next_cursor}``) of OpenAI-like lines whose
``usage.cost`` is the charge at the batch price (so cost_source stays ``provider``). Sources: openrouter.ai/docs/guides/
features/batch-api.md, /docs/batch-quickstart.md, get-batch-results.md (RESEARCH §5, read 2026-11-29).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from time import time
from typing import Any, ClassVar
from urllib.parse import quote

import orjson

from multimodel.batchapi.base import (
    BatchAPIError,
    BatchJob,
    BatchLimits,
    BatchProtocol,
    Line,
    call_json,
    headers_for,
    line_body,
    list_page_of,
)
from multimodel.batchapi.openai_files import ENDPOINTS, _line_result, _refused_rows, settle_unnamed, status_of
from multimodel.config import ProviderConfig
from multimodel.errors import ConfigError
from multimodel.request import PreparedRequest
from multimodel.results import Result, ResultError
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
        # "turnaround 24 h (Google Vertex up to 96 h)": a batch routed to Vertex may take four days, so the window
        # is the longest (RESEARCH §5: openrouter.ai/docs/guides/features/batch-api.md, read 2026-11-29)
        "openrouter": BatchLimits(5_000, 200 * MB, "openrouter.ai/docs/guides/features/batch-api.md: 5,000 requests "
                                                   "and 200 MB per batch, 24 h (Google Vertex up to 96 h) (read "
                                                   "2026-11-29)", window_s=96 * 3600.0),
    }

    def line_bytes(self, custom_id: str, req: PreparedRequest) -> int:
        return len(orjson.dumps({"custom_id": custom_id, "body": line_body(req)})) + 1

    async def submit(self, cfg: ProviderConfig, transport: Transport, lines: Sequence[Line],
                     tag: str | None = None) -> BatchJob:
        """Create the batch with its requests inline. The create documents no metadata (BatchSubmitBody: endpoint,
        model, requests, completion_window, provider, callback_url; openrouter.ai/docs/client-sdks/typescript/models/
        batchsubmitbody, read 2026-11-29), so the tag is only kept in the job; ``find`` matches on model, time and
        size."""
        self.check_lines(cfg, lines)
        req0 = lines[0][1]
        url = self.collection_url(cfg)
        payload = orjson.dumps({"endpoint": ENDPOINTS["chat"], "model": req0.model_id,
                                "requests": [{"custom_id": cid, "body": line_body(req)} for cid, req in lines]})
        submitted_at = time()
        obj = await call_json(transport, "POST", url, headers_for(cfg, "chat"), payload)
        return self.created(obj, cfg, lines, url, submitted_at, tag=tag, api="chat")

    status_from = staticmethod(status_of)  # OpenAI's vocabulary

    async def list_page(self, cfg: ProviderConfig, transport: Transport,
                        after: str | None) -> tuple[list[dict[str, Any]], bool, str | None]:
        """``GET {base}/batches?limit=100&after=<last_id>``: the list answers ``{data, first_id, last_id, has_more}``
        (openrouter.ai/docs/client-sdks/*/listbatchesresponse, read 2026-11-29); that ``after`` takes the last id,
        as OpenAI's, is [INFERRED] from that shape."""
        return await list_page_of(cfg, transport, self.collection_url(cfg), after, after_param="after")

    def made_by(self, obj: dict[str, Any], cfg: ProviderConfig, lines: Sequence[Line], tag: str) -> bool:
        """A HEURISTIC, as the create takes no metadata: a batch of the lines' model, created in find's window,
        whose request_counts.total is the number of lines. Another batch alike in those minutes matches too; the
        caller treats more than one match as ambiguous."""
        counts = obj.get("request_counts")
        total = counts.get("total") if isinstance(counts, dict) else None
        return obj.get("model") == lines[0][1].model_id and total == len(lines) and not isinstance(total, bool)

    async def collect(self, cfg: ProviderConfig, transport: Transport, job: BatchJob,
                      requests_by_custom_id: Mapping[str, PreparedRequest]) -> dict[str, Result]:
        """Every line of an ended batch, read page by page; the lines no page names were expired or cancelled."""
        status = await self.poll(cfg, transport, job)
        if not status.terminal:
            raise ConfigError(f"batch {job.batch_id} is still {status.provider_status}: poll until it has ended")
        if status.error is not None:
            return _refused_rows(job, requests_by_custom_id, status)
        out: dict[str, Result] = {}
        async for line in self._result_lines(cfg, transport, job):
            cid = line.get("custom_id")
            if isinstance(cid, str) and cid in requests_by_custom_id and cid not in out:
                out[cid] = _line_result(requests_by_custom_id[cid], job, cid, line, reports_batch_cost=True,
                                        ended_at=status.ended_at)
        return settle_unnamed(out, job, requests_by_custom_id, status)

    async def _result_lines(self, cfg: ProviderConfig, transport: Transport,
                            job: BatchJob) -> AsyncIterator[dict[str, Any]]:
        """The results' lines, page by page (``cursor`` = the last page's ``next_cursor``). A cursor seen before (a
        server answering has_more with the same cursor would be read without end) raises BatchAPIError."""
        headers = headers_for(cfg, "chat")
        url = f"{self.collection_url(cfg)}/{job.batch_id}/results"
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            query = f"?limit={PAGE}" + (f"&cursor={quote(cursor, safe='')}" if cursor else "")
            page = await call_json(transport, "GET", url + query, headers)
            data = page.get("data")
            for line in data if isinstance(data, list) else []:
                if isinstance(line, dict):
                    yield line
            cursor = page.get("next_cursor") if page.get("has_more") else None
            if not isinstance(cursor, str) or not cursor:
                return
            if cursor in seen:
                raise BatchAPIError(ResultError(kind="malformed_response", message=(
                    f"batch {job.batch_id}: the results pages repeat next_cursor {cursor[:80]!r} with has_more true, "
                    "so they would never end; the results were not read")))
            seen.add(cursor)
        raise BatchAPIError(ResultError(kind="malformed_response", message=(
            f"batch {job.batch_id}: the results pages did not end after {MAX_PAGES:,} pages")))


PROTOCOL = OpenRouterBatchProtocol()

__all__ = ["PROTOCOL", "OpenRouterBatchProtocol"]
