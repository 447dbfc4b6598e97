"""The simulated Batch APIs: an in-memory store of files and batches, their state machines on a compressed clock, and
the HTTP handlers, in each provider's own shapes (sources: /work/notes/issue19/RESEARCH.md and its recordings).

- OpenAI's Files + Batches (also xAI's JSONL-through-Files route and Gemini's OpenAI compatibility layer):
  upload a JSONL file, create a batch, poll ``validating → in_progress → finalizing → completed`` (or ``failed``,
  ``expired``, ``cancelling → cancelled``), download the output and error files. Gemini's compatibility layer has
  no Files routes (GEMINI_NO_FILES): its JSONL goes through Gemini's native resumable upload and download.
- Anthropic's Message Batches: inline requests, ``processing_status`` ``in_progress → (canceling →) ended``,
  a ``results`` JSONL whose lines are ``succeeded``/``errored``/``canceled``/``expired``.
- OpenRouter's inline batches: ``POST /openrouter/v1/batches`` answered 202 ``validating``, OpenAI-like lines.

Time is compressed: a batch runs in ``batch_s`` seconds (validation in the first tenth, its lines answered one by one
through the server's live pipeline over the next eight tenths, finalizing in the last). Lines are answered while the
batch runs, never at creation, and counted under ``stats()["by_api"]["batch"]``, never as live requests. Faults per
provider (:class:`BatchFaults`) fail lines, expire a batch part-way or fail it at validation, chosen from the
simulator's seed and the batch's ordinal, so a fresh simulator with the same seed fails the same lines; others fail
the Batch API calls themselves (a create answered 500 or reset after its batch is made, polls answered 503/429,
downloads 503 or 404 past retention), leave a batch stuck, or drop lines from its results. ``snapshot()`` counts
the batches created per provider and the calls a fault answered, per kind.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from .faults import drop_connection
from .plan import SimError

log = logging.getLogger("multimodel.sim")

JSON_HEADERS = {"Content-Type": "application/json"}
WINDOW_S = 86_400  # completion_window "24h": expires_at = created_at + 24 h (OpenAI recording; Anthropic recording)
FILE_TTL_S = 2_592_000  # an uploaded batch file expires 30 days after upload (recordings/openai_batch_cancel.json)
LINE_SLICE = 200  # lines answered before the runner yields to the event loop, so polls stay answered
STEP_S = 0.02  # how often a running batch looks at its clock


@dataclass(frozen=True, slots=True)
class Flavor:
    """One provider's Batch API: its limits, ids and what its validation checks (each with its source)."""

    provider: str
    max_requests: int
    max_bytes: int
    batch_prefix: str
    file_prefix: str
    one_model: bool = True  # "each input file can only include requests to a single model" (OpenAI batch guide)
    one_url: bool = True  # each line's url must be the batch's endpoint (url_mismatch, OpenAI)
    endpoints: tuple[str, ...] = ("/v1/chat/completions", "/v1/responses")
    keeps_metadata: bool = True  # the batch object returns the create's metadata (OpenAI's Batch object)


MB = 1024 * 1024
FLAVORS: dict[str, Flavor] = {
    # OpenAI batch guide: 50,000 requests and 200 MB per batch (read 2026-11-29)
    "openai": Flavor("openai", 50_000, 200 * MB, "batch_", "file-"),
    # xAI through LiteLLM's OpenAI-compatible route: "one file can mix chat completions, responses, image and video
    # requests" (docs.litellm.ai/docs/providers/xai_batches); its per-batch limits via Files are not documented, so
    # OpenAI's are kept [INFERRED]; ids [INFERRED]
    "xai": Flavor("xai", 50_000, 200 * MB, "batch_", "file_", one_model=False, one_url=False),
    # Gemini's OpenAI compatibility layer (GEMINI_NO_FILES below: no Files routes there, the native ones instead):
    # native resource names as ids [INFERRED, RESEARCH §2]; it serves chat
    # completions only here [INFERRED]; its 2 GB file limit (secondary source) is held to OpenAI's 200 MB so the
    # simulator keeps no more than that in memory [INFERRED]
    # metadata: no source read shows the layer's batch object carrying the metadata sent (Google's 2025-09 compat-batch
    # post and the public clients never read it back; searched 2026-11-29), so it comes back null, the stricter guess:
    # a client cannot find a Gemini batch by a tag it sent [INFERRED]
    "gemini": Flavor("gemini", 50_000, 200 * MB, "batches/", "files/", endpoints=("/v1/chat/completions",),
                     keeps_metadata=False),
}
# GEMINI_NO_FILES: what the Gemini OpenAI compatibility layer serves for batches (searched 2026-11-29 in the stored
# public corpora; ai.google.dev/gemini-api/docs/openai#batch itself was not in them):
# - sinas-platform/sinas backend/app/providers/gemini_provider.py and its PR #128 (2026-08-13), citing
#   ai.google.dev/gemini-api/docs/openai#batch: "batches.create/retrieve/cancel work through the OpenAI client, but
#   the compat layer does NOT support files.create/files.content"; the JSONL goes up through the native resumable
#   upload (POST /upload/v1beta/files, X-Goog-Upload-Protocol: resumable -> X-Goog-Upload-URL -> "upload, finalize"
#   -> {"file": {"name": "files/..."}}), the name is the compat create's input_file_id, and the results come down
#   through GET /v1beta/{file}:download?alt=media ("the hybrid flow from Google's docs").
# - a Chinese proxy README: file upload/download are not supported upstream (RESEARCH §2, index id 70223047292).
# - a batch runner's tests: native upload, compat create, native download, native cancel because "the
#   compatibility layer has no cancel" (index id 60992766513, repo not shown).
# - against: gateways that route /v1beta/openai/files (sub2api-style, index id 53752810387) pass paths through
#   without saying Google answers them; the Google blog of 2025-09-10 is cut off in the stored copy before its
#   file steps.
# So the compat Files routes answer 404 by default for gemini (BatchFaults.no_files None -> on), and the native
# upload and download are served (BatchService.g_upload / g_file). Cancel: sinas (citing Google's docs) says it
# works, one test says it does not; it stays served by default, and the no_cancel fault takes it away.

# Anthropic Message Batches: 100,000 requests or 256 MB (docs.anthropic.com/.../message-batches, read 2026-11-29)
ANTHROPIC_MAX_REQUESTS, ANTHROPIC_MAX_BYTES = 100_000, 256 * MB
# OpenRouter: 5,000 requests and 200 MB per batch (openrouter.ai/docs/guides/features/batch-api.md, read 2026-11-29)
OPENROUTER_MAX_REQUESTS, OPENROUTER_MAX_BYTES = 5_000, 200 * MB
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # Anthropic's documented custom_id pattern
SUPPORTED_ENDPOINTS = ("/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions",
                       "/v1/moderations", "/v1/images/generations", "/v1/images/edits", "/v1/videos")


# ====================================================================== faults
STUCK_STATES = ("finalizing", "cancelling")
COUNT_FAULTS = ("create_5xx_after_accept", "create_reset_after_accept", "download_fail", "drop_lines")
RATE_FAULTS = ("line_4xx", "line_5xx", "expire_after", "poll_5xx", "poll_429")
FLAG_FAULTS = ("fail", "results_gone", "no_files", "no_cancel")
KNOWN_FAULTS = RATE_FAULTS + COUNT_FAULTS + FLAG_FAULTS + ("stuck",)
# Gemini's OpenAI compatibility layer serves batches but not Files (see GEMINI_NO_FILES): the default there, the
# simulator never kinder than the provider; {"no_files": False} serves them again (a client of the old path).
DEFAULT_NO_FILES = frozenset({"gemini"})


@dataclass(slots=True)
class BatchFaults:
    """Faults of one provider's Batch API, all off by default.

    Lines and lifecycle: fractions of lines answered with a model-level 4xx or a 5xx, a batch that expires once
    ``expire_after`` of its lines are done, ``fail`` (the whole batch fails at validation), ``stuck`` (the batch
    reaches "finalizing" or, once cancelled, "cancelling" and never leaves it), ``drop_lines`` (that many lines
    missing from an ended batch's results while request_counts still count them: any-llm #1346).
    The API calls themselves: the next ``create_5xx_after_accept`` creates answered 500 and the next
    ``create_reset_after_accept`` dropped without an answer (either way the batch exists and runs), ``poll_5xx`` /
    ``poll_429`` fractions of retrieves answered 503 / 429 (seeded), the next ``download_fail`` result downloads
    answered 503, ``results_gone`` (an ended batch's results answer 404, as past the 29/30-day retention).
    Routes a provider lacks: ``no_files`` (Files answer 404), ``no_cancel`` (cancel answers 404); ``no_files``
    None means the provider's own default (on for Gemini's compatibility layer)."""

    line_4xx: float = 0.0
    line_5xx: float = 0.0
    expire_after: float | None = None
    fail: bool = False
    create_5xx_after_accept: int = 0
    create_reset_after_accept: int = 0
    poll_5xx: float = 0.0
    poll_429: float = 0.0
    download_fail: int = 0
    stuck: str | None = None
    drop_lines: int = 0
    results_gone: bool = False
    no_files: bool | None = None
    no_cancel: bool = False
    spent: dict[str, int] = field(default_factory=dict)  # how many of each count fault have been used

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in KNOWN_FAULTS}

    def take(self, kind: str) -> bool:
        """Use one of the ``kind`` count fault (the first N calls fail, then normal); False when none is left."""
        used = self.spent.get(kind, 0)
        if used >= getattr(self, kind):
            return False
        self.spent[kind] = used + 1
        return True


def parse_batch_faults(spec: dict[str, Any] | None) -> BatchFaults | None:
    """Validate a batch-fault dict; raises ValueError with a readable message."""
    if not spec:
        return None
    if not isinstance(spec, dict):
        raise ValueError("batch_faults must be a dict like {'line_4xx': 0.02, 'poll_5xx': 0.1, 'stuck': 'finalizing'}")
    for k in spec:
        if k not in KNOWN_FAULTS:
            raise ValueError(f"unknown batch fault {k!r}; known: {', '.join(KNOWN_FAULTS)}")
    out = BatchFaults()
    for k in RATE_FAULTS:
        v = spec.get(k)
        if v is None:
            continue
        if not isinstance(v, int | float) or isinstance(v, bool) or not 0.0 <= v <= 1.0:
            raise ValueError(f"batch fault {k!r} must be a number in [0, 1], got {v!r}")
        setattr(out, k, float(v))
    if out.line_4xx + out.line_5xx > 1.0 + 1e-9:
        raise ValueError("batch faults line_4xx + line_5xx add up to more than 1")
    if out.poll_5xx + out.poll_429 > 1.0 + 1e-9:
        raise ValueError("batch faults poll_5xx + poll_429 add up to more than 1")
    for k in COUNT_FAULTS:
        v = spec.get(k, 0)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ValueError(f"batch fault {k!r} must be a whole number >= 0 (how many calls or lines), got {v!r}")
        setattr(out, k, v)
    for k in FLAG_FAULTS:
        v = spec.get(k)
        if v is None and k == "no_files":
            continue  # the provider's default
        if not isinstance(v if v is not None else False, bool):
            raise ValueError(f"batch fault {k!r} must be true or false, got {v!r}")
        setattr(out, k, bool(v))
    stuck = spec.get("stuck")
    if stuck is not None and stuck not in STUCK_STATES:
        raise ValueError(f"batch fault 'stuck' must be one of {', '.join(STUCK_STATES)} or None, got {stuck!r}")
    out.stuck = stuck
    return out


# ====================================================================== the store's objects
@dataclass(slots=True)
class SimFile:
    """A file of the Files API: an uploaded batch input, or a batch's output or error file."""

    id: str
    provider: str
    purpose: str
    filename: str
    data: bytes
    created_at: int
    job_id: str | None = None  # the batch whose output or error file this is (None for an upload)

    def obj(self, fresh: bool = False) -> dict[str, Any]:
        # the upload's answer shows expires_at null, a later GET the 30-day expiry (recordings/openai_batch_cancel)
        return {"object": "file", "id": self.id, "purpose": self.purpose, "filename": self.filename,
                "bytes": len(self.data), "created_at": self.created_at,
                "expires_at": None if fresh else self.created_at + FILE_TTL_S, "status": "processed",
                "status_details": None}


@dataclass(slots=True)
class Line:
    """One request of a batch and, once run, its outcome."""

    custom_id: str
    body: Any
    url: str = "/v1/chat/completions"
    status: int | None = None  # the answer's HTTP status; None while not run
    answer: Any = None  # the answer's JSON body
    fate: str | None = None  # "done", "expired", "canceled" (Anthropic) once settled


@dataclass(slots=True)
class Job:
    """One batch of any provider, its clock and its lines."""

    id: str
    provider: str
    kind: str  # "openai" (Files + Batches), "anthropic", "openrouter"
    ordinal: int
    created: float
    lines: list[Line]
    endpoint: str = "/v1/chat/completions"
    input_file_id: str | None = None
    metadata: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    model: str | None = None
    status: str = "validating"
    times: dict[str, float] = field(default_factory=dict)
    errors: list[dict[str, Any]] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    cancel: bool = False
    deleted: bool = False
    task: asyncio.Task[None] | None = None
    raw_input: bytes = b""
    dropped: frozenset[str] = frozenset()  # custom_ids a drop_lines fault left out of the results

    def count(self, ok: bool | None) -> int:
        """Lines settled as succeeded (ok True), failed (False) or either (None)."""
        n = 0
        for ln in self.lines:
            if ln.fate == "done" and (ok is None or (200 <= (ln.status or 0) < 300) == ok):
                n += 1
        return n


def _ts(t: float | None) -> int | None:
    return None if t is None else int(t)


def _rfc3339(t: float | None) -> str | None:
    """Anthropic's timestamps: RFC 3339, microseconds, +00:00 (recorded: "2025-01-12T05:59:14.154311+00:00")."""
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in rows)


def _usage_of(answer: Any) -> tuple[int, int, int, int]:
    """(input, cached input, output, reasoning) tokens of one answer body (Chat Completions or Responses)."""
    u = answer.get("usage") if isinstance(answer, dict) else None
    if not isinstance(u, dict):
        return 0, 0, 0, 0
    inp = u.get("prompt_tokens", u.get("input_tokens", 0)) or 0
    out = u.get("completion_tokens", u.get("output_tokens", 0)) or 0
    det_in = u.get("prompt_tokens_details") or u.get("input_tokens_details") or {}
    det_out = u.get("completion_tokens_details") or u.get("output_tokens_details") or {}
    return inp, det_in.get("cached_tokens", 0) or 0, out, det_out.get("reasoning_tokens", 0) or 0


class BatchError(Exception):
    """A refusal of a batch request: the dialect's error, raised from a handler's helpers."""

    def __init__(self, err: SimError) -> None:
        super().__init__(err.status)
        self.err = err


# ====================================================================== the store
class BatchStore:
    """Files and batches of one simulator, the runners that move batches through their states, and the handlers.

    ``server`` is the SimServer (duck-typed, so this module imports nothing above it): its dialects, seed and
    ``answer_line`` / ``batch_line_fault`` count and answer each line.
    """

    def __init__(self, server: Any, batch_s: float = 2.0) -> None:
        if batch_s < 0:
            raise ValueError("batch_s must be >= 0")
        self.server = server
        self.batch_s = float(batch_s)
        self.files: dict[str, SimFile] = {}
        self.jobs: dict[str, Job] = {}
        self.faults: dict[str | None, BatchFaults] = {}
        self._ordinals: dict[str, int] = {}
        self._ids = random.Random()  # ids: unique, not seeded (as the dialects' response ids)
        self.created: Counter[str] = Counter()  # batches created per provider (a faulted create still made one)
        self.faulted: Counter[str] = Counter()  # batch-API calls (or dropped lines) answered by a fault, per kind
        self._poll_draws: dict[str, random.Random] = {}  # per provider: which retrieves a poll fault answers
        #: Gemini's open resumable upload sessions: id -> (display name, the length the start declared)
        self._uploads: dict[str, tuple[str, int]] = {}

    # ------------------------------------------------------------------ configuration
    def set_faults(self, spec: dict[str, Any] | None, provider: str | None = None) -> None:
        parsed = parse_batch_faults(spec)
        self._poll_draws.clear()  # a new fault set replays its draws from the start
        if parsed is None:
            self.faults.pop(provider, None)
        else:
            self.faults[provider] = parsed

    def snapshot(self) -> dict[str, Any]:
        statuses: dict[str, int] = {}
        for j in self.jobs.values():
            statuses[j.status] = statuses.get(j.status, 0) + 1
        return {"batch_s": self.batch_s, "batches": len(self.jobs), "files": len(self.files), "by_status": statuses,
                "created": dict(self.created), "faulted": dict(self.faulted),
                "faults": [{"provider": p, "faults": f.as_dict()} for p, f in self.faults.items()]}

    def clear(self) -> None:
        for j in self.jobs.values():
            if j.task is not None and not j.task.done():
                j.task.cancel()
        self.files.clear()
        self._uploads.clear()
        self.jobs.clear()
        self.faults.clear()
        self._ordinals.clear()
        self.created.clear()
        self.faulted.clear()
        self._poll_draws.clear()

    def _fault_for(self, provider: str) -> BatchFaults:
        return self.faults.get(provider) or self.faults.get(None) or BatchFaults()

    def _no_files(self, provider: str) -> bool:
        """Whether this provider's compatibility layer lacks the Files routes (the fault, or the provider's default)."""
        flag = self._fault_for(provider).no_files
        return provider in DEFAULT_NO_FILES if flag is None else flag

    def _new_id(self, prefix: str) -> str:
        if prefix.endswith("/"):  # Gemini resource names: lower-case letters and digits [INFERRED]
            return prefix + "".join(self._ids.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24))
        if prefix == "msgbatch_":
            return prefix + "".join(self._ids.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789")
                                    for _ in range(24))
        if prefix in ("batch_", "batch_req_"):
            return f"{prefix}{self._ids.getrandbits(128):032x}"
        return prefix + "".join(self._ids.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789")
                                for _ in range(22))

    def _start(self, job: Job) -> None:
        """Register ``job`` and start its runner on the server's loop."""
        self.jobs[job.id] = job
        self.created[job.provider] += 1
        job.task = asyncio.get_running_loop().create_task(self._run(job))

    def _ordinal(self, provider: str) -> int:
        n = self._ordinals.get(provider, 0)
        self._ordinals[provider] = n + 1
        return n

    # ------------------------------------------------------------------ the runner
    async def _run(self, job: Job) -> None:
        """Move ``job`` through its states on the compressed clock, answering its lines while it runs."""
        loop = asyncio.get_running_loop()
        total = self.batch_s
        t0 = loop.time()
        await asyncio.sleep(0.1 * total)
        if job.kind != "anthropic":
            if job.cancel:
                return await self._end_cancelled(job)
            if not self._validate(job):
                job.status, job.times["failed_at"] = "failed", time.time()
                return
            job.status, job.times["in_progress_at"] = "in_progress", time.time()
        faults = self._fault_for(job.provider)
        n = len(job.lines)
        plan = self._line_faults(job, faults)
        stop = n if faults.expire_after is None else math.floor(faults.expire_after * n)
        t_run, t_end = loop.time(), t0 + 0.9 * total
        i = 0
        while i < stop and not job.cancel:
            now = loop.time()
            due = n if now >= t_end else math.ceil(n * (now - t_run) / max(t_end - t_run, 1e-9))
            due = min(stop, max(due, i + 1))
            for k in range(i, min(due, i + LINE_SLICE)):
                self._answer(job, k, plan.get(k))
            i = min(due, i + LINE_SLICE)
            await asyncio.sleep(0 if i < due else STEP_S)
        if job.cancel:
            return await self._end_cancelled(job)
        if i < n:  # expiry fault: the window closed with part done
            return self._end_expired(job)
        if job.kind != "anthropic":
            job.status, job.times["finalizing_at"] = "finalizing", time.time()
        if self._fault_for(job.provider).stuck == "finalizing":
            return  # stuck: every line answered, never completed (Anthropic: in_progress for ever)
        await asyncio.sleep(max(0.0, t0 + total - loop.time()))
        self._end(job, "completed")

    def _line_faults(self, job: Job, faults: BatchFaults) -> dict[int, int]:
        """Which lines fail and with what status: exactly round(fraction × lines) of each kind, drawn from the
        simulator's seed, the provider and the batch's ordinal (so the same batches fail the same lines)."""
        n = len(job.lines)
        k4, k5 = round(faults.line_4xx * n), round(faults.line_5xx * n)
        if not k4 and not k5:
            return {}
        rng = random.Random(f"batch-faults:{self.server.seed}:{job.provider}:{job.ordinal}")
        picked = rng.sample(range(n), min(n, k4 + k5))
        return {k: (400 if j < k4 else 500) for j, k in enumerate(picked)}

    def _answer(self, job: Job, k: int, fault: int | None) -> None:
        """Answer line ``k`` through the server's live pipeline (or its fault), outside live limits and faults."""
        ln = job.lines[k]
        d = self._line_dialect(job, ln.url)
        try:
            if fault is not None:
                status, raw = self.server.batch_line_fault(d, ln.body, fault)
            else:
                status, raw = self.server.answer_line(d, ln.body, job.headers)
        except Exception:  # a simulator bug on one line: that line is a 500, as the live endpoint answers it
            log.exception("multimodel.sim: internal error while answering line %s of %s", ln.custom_id, job.id)
            status, raw = 500, d.server_error(500).body
        ans = orjson.loads(raw)
        if job.kind == "anthropic" and status == 200 and isinstance(ans.get("usage"), dict):
            # a batch answer says so: usage.service_tier "batch" (platform.claude.com/docs/en/api/service-tiers:
            # the tiers are priority, standard and batch; the Message's usage names the one used)
            ans["usage"]["service_tier"] = "batch"
        if job.kind == "openrouter" and status == 200 and isinstance(ans.get("usage"), dict):
            _halve_cost(ans["usage"])  # "generally charge 50%" (openrouter.ai/blog/announcements/batch-api)
        ln.status, ln.answer, ln.fate = status, ans, "done"

    def _line_dialect(self, job: Job, url: str) -> Any:
        if job.kind == "anthropic":
            return self.server.api_dialects[("anthropic", "messages")]
        if url == "/v1/responses":
            return self.server.api_dialects[(job.provider, "responses")]
        return self.server.dialects[job.provider]

    async def _end_cancelled(self, job: Job) -> None:
        """A cancel takes a moment (OpenAI: up to 10 minutes; compressed to a twentieth of the batch's time)."""
        await asyncio.sleep(0.05 * self.batch_s)
        if self._fault_for(job.provider).stuck == "cancelling":
            return  # stuck: cancelling (Anthropic: canceling) for ever
        for ln in job.lines:
            if ln.fate is None:
                ln.fate = "canceled"
        self._end(job, "cancelled")

    def _end_expired(self, job: Job) -> None:
        for ln in job.lines:
            if ln.fate is None:
                ln.fate = "expired"
        self._end(job, "expired")

    def _end(self, job: Job, status: str) -> None:
        """Settle ``job`` as completed, cancelled or expired: write its files (OpenAI family) and stamp the time."""
        now = time.time()
        self._drop_lines(job)
        if job.kind == "anthropic":
            job.status = "ended"
            job.times["ended_at"] = now
            return
        job.status = status
        job.times[f"{status}_at"] = now
        self._write_files(job)

    def _drop_lines(self, job: Job) -> None:
        """Under a drop_lines fault, pick the settled lines the results will lack (request_counts keep counting
        them, as in the results files that lacked lines in any-llm #1346); seeded by the batch's ordinal."""
        n = self._fault_for(job.provider).drop_lines
        settled = [ln.custom_id for ln in job.lines if ln.fate is not None]
        if not n or not settled:
            return
        rng = random.Random(f"batch-drop:{self.server.seed}:{job.provider}:{job.ordinal}")
        job.dropped = frozenset(rng.sample(settled, min(n, len(settled))))
        self.faulted["drop_lines"] += len(job.dropped)

    # ------------------------------------------------------------------ OpenAI family: validation and files
    def _validate(self, job: Job) -> bool:
        """Read the input file's lines into ``job.lines``; on a malformed file set ``job.errors`` (the documented
        codes, each with its 1-based line) and return False. A ``fail`` fault fails a valid file as an exhausted
        enqueued-token limit does (code token_limit_exceeded, the real message's opening words)."""
        if job.kind == "openrouter":
            errors: list[dict[str, Any]] = []
        else:
            errors = self._parse_file(job)
        if not errors and self._fault_for(job.provider).fail:
            errors = [_err("token_limit_exceeded", f"Enqueued token limit reached for {job.model} in organization "
                           "org-simulated. Limit: 2,000,000 enqueued tokens. Please try again once some in_progress "
                           "batches have been completed.")]
        if errors:
            job.errors = errors
            job.lines = []
            return False
        return True

    def _parse_file(self, job: Job) -> list[dict[str, Any]]:
        flavor = FLAVORS[job.provider]
        raw_lines = [x for x in job.raw_input.split(b"\n") if x.strip()]
        if not raw_lines:
            return [_err("empty_file", "The batch input file is empty. Please ensure the file contains at least "
                         "one request.")]  # wording [INFERRED]
        if len(raw_lines) > flavor.max_requests:
            return [_err("too_many_tasks", f"The batch input file contains {len(raw_lines)} requests; a batch "
                         f"takes at most {flavor.max_requests}.")]  # wording [INFERRED]
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        lines: list[Line] = []
        for no, raw in enumerate(raw_lines, 1):
            problem = self._check_line(job, flavor, raw, seen, lines)
            if problem is not None:
                errors.append({**problem, "line": no})
                if len(errors) >= 1000:  # enough to show what is wrong [INFERRED cap]
                    break
        job.lines = lines
        return errors

    def _check_line(self, job: Job, flavor: Flavor, raw: bytes, seen: set[str],
                    lines: list[Line]) -> dict[str, Any] | None:
        """One input line checked (appended to ``lines`` when good), or its error entry."""
        try:
            row = orjson.loads(raw)
        except orjson.JSONDecodeError:
            row = None
        if not isinstance(row, dict):
            return _err("invalid_json_line", "This line is not parseable as valid JSON.")  # stdapi.ai #240
        cid, url, body = row.get("custom_id"), row.get("url"), row.get("body")
        if not isinstance(cid, str) or not cid:
            return _err("missing_required_parameter", "Missing required parameter: 'custom_id'.",
                        "custom_id")  # code and wording [INFERRED]
        if row.get("method") != "POST":
            return _err("invalid_request", "Invalid value for 'method': only POST is supported.",
                        "method")  # [INFERRED]
        if not isinstance(body, dict):
            return _err("missing_required_parameter", "Missing required parameter: 'body'.", "body")  # [INFERRED]
        if (url != job.endpoint) if flavor.one_url else (url not in flavor.endpoints):
            return _err("url_mismatch", f"The provided URL {url!r} does not match the batch's endpoint "
                        f"{job.endpoint!r}.", "url")  # wording [INFERRED]
        model = body.get("model")
        if job.model is None:
            job.model = model if isinstance(model, str) else None
        elif flavor.one_model and model != job.model:
            return _err("model_mismatch", "The model for this request does not match the model of the other "
                        "requests: a batch file takes requests to one model only.", "body.model")  # [INFERRED]
        if cid in seen:
            return _err("duplicate_custom_id", "The custom_id for this request is a duplicate of another request. "
                        "The custom_id parameter must be unique for each request in a batch.", "custom_id")
        seen.add(cid)
        lines.append(Line(cid, body, url))
        return None

    def _in_finish_order(self, job: Job, rows: list[Any]) -> list[Any]:
        """Rows in the order the lines finished, not the input order: OpenAI's and Anthropic's results files do not
        keep it ("join on custom_id": RESEARCH §1.2, §4), so a client that matches by position fails here too.
        Drawn from the simulator's seed and the batch's ordinal: the same batches give the same order."""
        shuffled = list(rows)
        random.Random(f"batch-order:{self.server.seed}:{job.provider}:{job.ordinal}").shuffle(shuffled)
        return shuffled

    def _write_files(self, job: Job) -> None:
        """The output file (2xx lines) and the error file (the other lines; expired ones as batch_expired), each
        only when it has a line: a batch can complete with no output file at all (kaapi-backend #723)."""
        out: list[dict[str, Any]] = []
        err: list[dict[str, Any]] = []
        for ln in job.lines:
            if ln.custom_id in job.dropped:
                continue
            if ln.fate == "done":
                row = {"id": self._new_id("batch_req_"), "custom_id": ln.custom_id,
                       "response": {"status_code": ln.status, "request_id": f"{self._ids.getrandbits(128):032x}",
                                    "body": ln.answer}, "error": None}
                (out if 200 <= (ln.status or 0) < 300 else err).append(row)
            elif ln.fate == "expired":
                err.append({"id": self._new_id("batch_req_"), "custom_id": ln.custom_id, "response": None,
                            "error": {"code": "batch_expired", "message": "This request could not be executed "
                                      "before the completion window expired."}})
        flavor = FLAVORS.get(job.provider)
        prefix = flavor.file_prefix if flavor else "file-"
        bare = job.id.rpartition("/")[2]
        for rows, kind in ((out, "output"), (err, "error")):
            if rows:
                f = SimFile(self._new_id(prefix), job.provider, f"batch_{kind}", f"{bare}_{kind}.jsonl",
                            _jsonl(self._in_finish_order(job, rows)), int(time.time()), job_id=job.id)
                self.files[f.id] = f
                setattr(job, f"{kind}_file_id", f.id)

    def usage(self, job: Job) -> dict[str, Any]:
        """The batch's token usage so far, summed over its answered lines (the 2026 Batch object's ``usage``)."""
        inp = cached = out = reasoning = 0
        for ln in job.lines:
            if ln.fate == "done" and ln.status == 200:
                a, b, c, d = _usage_of(ln.answer)
                inp, cached, out, reasoning = inp + a, cached + b, out + c, reasoning + d
        return {"input_tokens": inp, "input_tokens_details": {"cached_tokens": cached}, "output_tokens": out,
                "output_tokens_details": {"reasoning_tokens": reasoning}, "total_tokens": inp + out}

    def openai_obj(self, job: Job) -> dict[str, Any]:
        """The Batch object with every field (recordings; openai-python types/batch.py; ``model`` and ``usage`` added
        in 2026); request_counts stay zero while validating, as recorded."""
        t = job.times
        started = job.status != "validating" and job.status != "failed"
        total = len(job.lines) if started or job.status == "cancelled" else 0
        failed = sum(1 for ln in job.lines if ln.fate == "expired") + job.count(False)
        return {"id": job.id, "object": "batch", "endpoint": job.endpoint, "model": job.model,
                "errors": {"object": "list", "data": job.errors} if job.errors else None,
                "input_file_id": job.input_file_id, "completion_window": "24h", "status": job.status,
                "output_file_id": job.output_file_id, "error_file_id": job.error_file_id,
                "created_at": int(job.created), "in_progress_at": _ts(t.get("in_progress_at")),
                "expires_at": int(job.created) + WINDOW_S, "finalizing_at": _ts(t.get("finalizing_at")),
                "completed_at": _ts(t.get("completed_at")), "failed_at": _ts(t.get("failed_at")),
                "expired_at": _ts(t.get("expired_at")), "cancelling_at": _ts(t.get("cancelling_at")),
                "cancelled_at": _ts(t.get("cancelled_at")),
                "request_counts": {"total": total, "completed": job.count(True), "failed": failed},
                "metadata": job.metadata, "usage": self.usage(job)}


def _err(code: str, message: str, param: str | None = None) -> dict[str, Any]:
    """An entry of a failed batch's ``errors.data``: {code, line, message, param} (stdapi.ai #240)."""
    return {"code": code, "line": None, "message": message, "param": param}


def digest(data: bytes) -> str:
    """A short digest of a file's bytes (used in tests to compare runs)."""
    return hashlib.blake2b(data, digest_size=8).hexdigest()


# ====================================================================== HTTP helpers
def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(obj), headers={**JSON_HEADERS, **(headers or {})})


def _error_response(d: Any, e: SimError) -> web.Response:
    return web.Response(status=e.status, reason=e.reason, body=e.body,
                        headers={"Content-Type": d.error_content_type, **e.headers})


def _check_key(request: web.Request, d: Any) -> None:
    """The dialect's 401 for a missing or invalid key (presence and the "invalid" prefix only; never kept). Gemini's
    native routes take ``x-goog-api-key`` (or ``?key=``) as well as the compatibility layer's bearer token."""
    key = d.api_key_of(request.headers)
    if key is None and d.name == "gemini":
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
    if not key:
        raise BatchError(d.auth_missing())
    if key.startswith("invalid"):
        raise BatchError(d.auth_invalid())


async def _read_limited(content: Any, limit: int, too_large: SimError) -> bytes:
    """Read a stream, refusing it as soon as it passes ``limit`` bytes, so no more than the limit is buffered."""
    buf = bytearray()
    while True:
        chunk = await content.read_chunk() if hasattr(content, "read_chunk") else await content.read(1 << 16)
        if isinstance(chunk, tuple):
            chunk = chunk[0]
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > limit:
            raise BatchError(too_large)


def _limit_arg(request: web.Request, d: Any, default: int, most: int) -> int:
    raw = request.query.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BatchError(d.bad_request(f"Invalid 'limit': expected an integer, got {raw!r}.", param="limit")) from None
    if not 1 <= value <= most:
        raise BatchError(d.bad_request(f"Invalid 'limit': must be between 1 and {most}, got {value}.", param="limit"))
    return value


def _page(items: list[Any], key: Any, after: str | None, limit: int,
          before: str | None = None) -> tuple[list[Any], bool]:
    """A cursor page, newest first: the ``limit`` items after the one whose id is ``after`` (or, with ``before``, the
    ``limit`` just before that one), and whether more follow in that direction (Anthropic's has_more)."""
    ordered = sorted(items, key=key, reverse=True)
    ids = [x.id for x in ordered]
    if before is not None:
        newer = ordered[:ids.index(before)] if before in ids else []
        return newer[-limit:], len(newer) > limit
    if after is not None:
        ordered = ordered[ids.index(after) + 1:] if after in ids else []
    return ordered[:limit], len(ordered) > limit


def _not_found(d: Any, message: str, param: str | None = None) -> SimError:
    """A 404 in the dialect's envelope: Gemini's list-shaped NOT_FOUND, the others' {"error": {...}}."""
    if d.name == "gemini":
        return d._err(404, "NOT_FOUND", message, "not_found")  # the compatibility layer's envelope (dialect)
    return d.error(404, message, type_="invalid_request_error", param=param, outcome="not_found")


def _server_error(d: Any, status: int) -> SimError:
    """A 5xx of the Batch API itself in the dialect's envelope. OpenRouter's chat dialect turns a 500 into the 502
    "Provider returned error" of an upstream; a batch call fails at OpenRouter, in its own envelope [INFERRED]."""
    if d.name == "openrouter":
        return d._err(status, "Internal Server Error" if status == 500 else "Service Unavailable", "server_error")
    return d.server_error(status)


def _with_retry_after(e: SimError, seconds: int = 1) -> SimError:
    """The same error with one ``retry-after`` header (a 429 that says when to come back)."""
    headers = {k: v for k, v in e.headers.items() if k.lower() != "retry-after"}
    return SimError(e.status, e.body, e.outcome, {**headers, "retry-after": str(seconds)}, e.reason)


# ====================================================================== the handlers
class BatchService(BatchStore):
    """The Batch APIs' routes: OpenAI's Files + Batches for openai, xai and gemini; Anthropic's Message Batches;
    OpenRouter's inline batches."""

    def register(self, r: web.UrlDispatcher) -> None:
        a = "/{dialect}/v1/messages/batches"
        r.add_post(a, self.a_create)
        r.add_get(a, self.a_list)
        r.add_post(a + "/{bid}/cancel", self.a_cancel)
        r.add_get(a + "/{bid}/results", self.a_results)
        r.add_get(a + "/{bid}", self.a_retrieve)
        r.add_delete(a + "/{bid}", self.a_delete)
        r.add_post("/{dialect}/v1/files", self.f_upload)
        r.add_get("/{dialect}/v1/files/{fid:.+}/content", self.f_content)
        r.add_get("/{dialect}/v1/files/{fid:.+}", self.f_retrieve)
        r.add_delete("/{dialect}/v1/files/{fid:.+}", self.f_delete)
        r.add_post("/{dialect}/v1/batches", self.b_create)
        r.add_get("/{dialect}/v1/batches", self.b_list)
        r.add_post("/{dialect}/v1/batches/{bid:.+}/cancel", self.b_cancel)
        r.add_get("/{dialect}/v1/batches/{bid:.+}/results", self.b_results)
        r.add_get("/{dialect}/v1/batches/{bid:.+}", self.b_retrieve)
        r.add_post("/{dialect}/upload/v1beta/files", self.g_upload)  # Gemini's native Files (GEMINI_NO_FILES)
        r.add_get("/{dialect}/v1beta/{fid:files/.+}", self.g_file)
        # the download lives under its own root, as on generativelanguage.googleapis.com/download/v1beta/{name}:download
        # (Google's batch-mode guide's results step; public clients call it so, read 2026-11-29)
        r.add_get("/{dialect}/download/v1beta/{fid:files/.+}", self.g_file)

    # ------------------------------------------------------------------ plumbing
    def _dialect(self, request: web.Request, kinds: tuple[str, ...]) -> Any:
        """The dialect object answering this provider's batch endpoints, or None where it serves none."""
        name = request.match_info["dialect"]
        if "anthropic" in kinds and name == "anthropic":
            return self.server.api_dialects[("anthropic", "messages")]
        if "gemini_native" in kinds:
            return self.server.dialects[name] if name == "gemini" else None
        if ("openai" in kinds and name in FLAVORS) or ("openrouter" in kinds and name == "openrouter"):
            return self.server.dialects[name]
        return None

    async def _guard(self, request: web.Request, kinds: tuple[str, ...], work: Any) -> web.StreamResponse:
        """Run ``work(d)`` for the request's dialect after the key check, turning refusals into its error answers."""
        d = self._dialect(request, kinds)
        if d is None:
            return web.Response(status=404, body=b'{"error":"unknown dialect or API"}', headers=JSON_HEADERS)
        try:
            _check_key(request, d)
            if d.api == "messages":
                d.check_headers(request.headers)  # anthropic-version, required as on the live endpoint
            return await work(d)
        except BatchError as e:
            return _error_response(d, e.err)
        except SimError as e:
            return _error_response(d, e)

    def _job(self, d: Any, bid: str, kind: str) -> Job:
        job = self.jobs.get(bid)
        if job is None or job.deleted or job.provider != d.name or (job.kind == "anthropic") != (kind == "anthropic"):
            if kind == "anthropic":  # the native not_found_error [wording INFERRED]
                raise BatchError(d.error(404, f"message_batch_id: no batch found with id {bid!r}",
                                         type_="not_found_error", outcome="not_found"))
            raise BatchError(_not_found(d, f"No batch found with id '{bid}'.", "batch_id"))  # wording [INFERRED]
        return job

    @staticmethod
    async def _body(request: web.Request, d: Any, limit: int) -> dict[str, Any]:
        raw = await _read_limited(request.content, limit, d.too_large())
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BatchError(d.bad_request("We could not parse the JSON body of your request.")) from None
        if not isinstance(body, dict):
            raise BatchError(d.bad_request("The request body must be a JSON object."))
        return body

    # ------------------------------------------------------------------ faults of the API calls themselves
    def _accepted(self, request: web.Request, d: Any, provider: str, answer: web.Response) -> web.StreamResponse:
        """The answer to a create whose batch exists and runs: as made, or under a create fault a 500 in the
        provider's envelope or a dropped connection, so the client cannot know the batch was made."""
        faults = self._fault_for(provider)
        if faults.take("create_reset_after_accept"):
            self.faulted["create_reset_after_accept"] += 1
            drop_connection(request, reset=True)
            return web.Response()
        if faults.take("create_5xx_after_accept"):
            self.faulted["create_5xx_after_accept"] += 1
            raise BatchError(_server_error(d, 500))
        return answer

    def _poll_fault(self, d: Any, job: Job) -> None:
        """A retrieve answered 503, or 429 with retry-after 1, for the poll faults' fractions: one seeded draw per
        retrieve of the provider, so the same calls fail for the same seed."""
        faults = self._fault_for(job.provider)
        if not faults.poll_5xx and not faults.poll_429:
            return
        rng = self._poll_draws.setdefault(job.provider, random.Random(f"batch-poll:{self.server.seed}:{job.provider}"))
        u = rng.random()
        if u < faults.poll_5xx:
            self.faulted["poll_5xx"] += 1
            raise BatchError(_server_error(d, 503))
        if u < faults.poll_5xx + faults.poll_429:
            self.faulted["poll_429"] += 1
            raise BatchError(_with_retry_after(d.rate_limited(job.model or "batch", 1.0, "requests", None, True)))

    def _download_fault(self, d: Any, job: Job) -> None:
        """A results download answered 503 (the first ``download_fail`` ones), or 404 once the batch has ended
        under ``results_gone``: past retention the batch can still be viewed but its results not downloaded
        (Anthropic: 29 days, docs.anthropic.com/ja/.../message-batches; OpenAI output files: 30 days or
        output_expires_after, RESEARCH §1.4; read 2026-11-29)."""
        faults = self._fault_for(job.provider)
        if faults.take("download_fail"):
            self.faulted["download_fail"] += 1
            raise BatchError(_server_error(d, 503))
        if faults.results_gone and job.status in ("ended", "completed", "expired", "cancelled", "failed"):
            self.faulted["results_gone"] += 1
            if job.kind == "anthropic":  # wording [INFERRED]
                raise BatchError(d.error(404, f"The results of batch {job.id} are no longer available: results can "
                                         "be downloaded for 29 days after the batch was created.",
                                         type_="not_found_error", outcome="not_found"))
            raise BatchError(_not_found(d, f"The results of batch {job.id} are no longer available.",
                                        "batch_id"))  # wording [INFERRED]

    def _files_route(self, d: Any) -> None:
        """The Files routes of a provider that serves none (Gemini's compatibility layer, see GEMINI_NO_FILES): 404."""
        if self._no_files(d.name):
            self.faulted["no_files"] += 1
            raise BatchError(_not_found(d, "Method not found."))  # wording [INFERRED]: an unrouted path

    # ------------------------------------------------------------------ Files (OpenAI, xAI, Gemini compat)
    async def f_upload(self, request: web.Request) -> web.StreamResponse:
        return await self._guard(request, ("openai",), lambda d: self._upload(request, d))

    async def _upload(self, request: web.Request, d: Any) -> web.Response:
        """POST …/files, multipart ``purpose`` + ``file``; a batch file over the provider's size limit is refused."""
        self._files_route(d)
        flavor = FLAVORS[d.name]
        if not request.content_type.startswith("multipart/"):
            raise BatchError(d.bad_request("Invalid content type: expected multipart/form-data.", param="file"))
        purpose, filename, data = None, "upload", None
        reader = await request.multipart()
        async for part in reader:
            if part.name == "purpose":
                purpose = (await _read_limited(part, 1024, d.too_large())).decode(errors="replace")
            elif part.name == "file":
                filename = part.filename or "upload"
                data = await _read_limited(part, flavor.max_bytes, d.bad_request(
                    f"File is too large: a batch input file takes at most {flavor.max_bytes // MB} MB.",
                    param="file"))  # where the limit bites (upload, not create) [INFERRED]
        if data is None:
            raise BatchError(d.bad_request("Missing required parameter: 'file'.", param="file"))
        if purpose != "batch":
            raise BatchError(d.bad_request(f"Invalid value for 'purpose': {purpose!r}. The simulator's Files API "
                                           "takes purpose 'batch' only.", param="purpose"))
        f = SimFile(self._new_id(flavor.file_prefix), d.name, "batch", filename, data, int(time.time()))
        self.files[f.id] = f
        return _json(f.obj(fresh=True))

    def _file(self, d: Any, fid: str) -> SimFile:
        f = self.files.get(fid)
        if f is None or f.provider != d.name:
            raise BatchError(_not_found(d, f"No such File object: {fid}", "id"))
        return f

    async def f_retrieve(self, request: web.Request) -> web.StreamResponse:
        async def work(d: Any) -> web.Response:
            self._files_route(d)
            return _json(self._file(d, request.match_info["fid"]).obj())
        return await self._guard(request, ("openai",), work)

    async def f_delete(self, request: web.Request) -> web.StreamResponse:
        async def work(d: Any) -> web.Response:
            self._files_route(d)
            f = self._file(d, request.match_info["fid"])
            del self.files[f.id]
            return _json({"id": f.id, "object": "file", "deleted": True})
        return await self._guard(request, ("openai",), work)

    async def f_content(self, request: web.Request) -> web.StreamResponse:
        """GET …/files/{id}/content: the output and error files as the recording serves them; an uploaded batch
        input is not downloadable ("Not allowed to download files of purpose: batch")."""
        async def work(d: Any) -> web.Response:
            self._files_route(d)
            f = self._file(d, request.match_info["fid"])
            if f.purpose == "batch":
                raise BatchError(d.bad_request("Not allowed to download files of purpose: batch"))
            job = self.jobs.get(f.job_id or "")
            if job is not None:
                self._download_fault(d, job)
            return web.Response(body=f.data, headers={
                "Content-Type": "application/octet-stream",
                "content-disposition": f'attachment; filename="{f.filename}"'})
        return await self._guard(request, ("openai",), work)

    # ---------------------------------------------------------- Batches (OpenAI, xAI, Gemini compat, OpenRouter)
    async def b_create(self, request: web.Request) -> web.StreamResponse:
        async def work(d: Any) -> web.Response:
            if d.name == "openrouter":
                return self._accepted(request, d, d.name, await self._or_create(request, d))
            return self._accepted(request, d, d.name, self._create(d, await self._body(request, d, 1 << 20)))
        return await self._guard(request, ("openai", "openrouter"), work)

    def _create(self, d: Any, body: dict[str, Any]) -> web.Response:
        """POST …/batches: the batch is created (validating) and its file read by the runner; only the envelope is
        refused here (a malformed file fails the batch later, with errors.data, as the guide and stdapi #240 say)."""
        flavor = FLAVORS[d.name]
        for name in ("input_file_id", "endpoint", "completion_window"):
            if body.get(name) is None:
                raise BatchError(d.bad_request(f"Missing required parameter: '{name}'.", param=name))
        endpoint, window = body["endpoint"], body["completion_window"]
        if endpoint not in SUPPORTED_ENDPOINTS:
            shown = ", ".join(f"'{e}'" for e in SUPPORTED_ENDPOINTS)
            raise BatchError(d.bad_request(f"Invalid value: {d.json_value(endpoint)}. Supported values are: {shown}.",
                                           param="endpoint", code="invalid_value"))
        if endpoint not in flavor.endpoints:
            raise BatchError(d.bad_request(f"The simulator runs batches for {', '.join(flavor.endpoints)} only, not "
                                           f"{endpoint}.", param="endpoint"))
        if window != "24h":
            raise BatchError(d.bad_request(f"Invalid value: {d.json_value(window)}. Supported values are: '24h'.",
                                           param="completion_window", code="invalid_value"))
        _check_metadata(d, body.get("metadata"))
        f = self._file(d, str(body["input_file_id"]))
        if f.purpose != "batch":
            raise BatchError(d.bad_request(f"Invalid 'input_file_id': {f.id} does not have purpose 'batch'.",
                                           param="input_file_id"))
        metadata = body.get("metadata") if flavor.keeps_metadata else None
        job = Job(self._new_id(flavor.batch_prefix), d.name, "openai", self._ordinal(d.name), time.time(), [],
                  endpoint=endpoint, input_file_id=f.id, metadata=metadata, raw_input=f.data)
        self._start(job)
        return _json(self.openai_obj(job))

    async def b_retrieve(self, request: web.Request) -> web.StreamResponse:
        async def work(d: Any) -> web.Response:
            job = self._job(d, request.match_info["bid"], d.name)
            self._poll_fault(d, job)
            return _json(self._obj(job))
        return await self._guard(request, ("openai", "openrouter"), work)

    def _obj(self, job: Job) -> dict[str, Any]:
        return self.or_obj(job) if job.kind == "openrouter" else self.openai_obj(job)

    async def b_list(self, request: web.Request) -> web.StreamResponse:
        """GET …/batches?limit=&after=: a cursor page, newest first (limit 1-100, default 20)."""
        async def work(d: Any) -> web.Response:
            limit = _limit_arg(request, d, 20, 100)
            mine = [j for j in self.jobs.values() if j.provider == d.name and j.kind != "anthropic"]
            page, more = _page(mine, lambda j: (j.created, j.ordinal), request.query.get("after"), limit)
            data = [self._obj(j) for j in page]
            return _json({"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                          "last_id": data[-1]["id"] if data else None, "has_more": more})
        return await self._guard(request, ("openai", "openrouter"), work)

    async def b_cancel(self, request: web.Request) -> web.StreamResponse:
        """POST …/batches/{id}/cancel: ``cancelling`` at once (cancelling_at set, as recorded), then ``cancelled``."""
        async def work(d: Any) -> web.Response:
            if self._fault_for(d.name).no_cancel:
                self.faulted["no_cancel"] += 1
                raise BatchError(_not_found(d, "Method not found."))  # an unrouted path [wording INFERRED]
            job = self._job(d, request.match_info["bid"], d.name)
            if job.status not in ("validating", "in_progress", "finalizing", "cancelling"):
                raise BatchError(d.error(409, f"Cannot cancel a batch with status '{job.status}'.",
                                         type_="invalid_request_error", outcome="conflict"))  # [INFERRED]
            if job.status == "finalizing":  # its lines are all done: nothing left to cancel [INFERRED]
                return _json(self._obj(job))
            if not job.cancel:
                job.cancel = True
                job.status, job.times["cancelling_at"] = "cancelling", time.time()
            return _json(self._obj(job))
        return await self._guard(request, ("openai", "openrouter"), work)

    # ------------------------------------------------------------------ Gemini's native Files (GEMINI_NO_FILES)
    async def g_upload(self, request: web.Request) -> web.StreamResponse:
        return await self._guard(request, ("gemini_native",), lambda d: self._g_upload(request, d))

    async def _g_upload(self, request: web.Request, d: Any) -> web.Response:
        """POST /upload/v1beta/files, resumable: "start" answers the session's X-Goog-Upload-URL (this same path with
        ``upload_id``); "upload, finalize" there takes the bytes and answers ``{"file": {...}}`` whose ``name``
        (``files/…``) the compatibility layer's batch create takes as input_file_id (sinas gemini_provider.py)."""
        command = request.headers.get("X-Goog-Upload-Command", "").replace(" ", "")
        upload_id = request.query.get("upload_id")
        if upload_id is None:
            if request.headers.get("X-Goog-Upload-Protocol") != "resumable" or command != "start":
                raise BatchError(d.bad_request("The simulator takes the resumable upload protocol only: "
                                               "X-Goog-Upload-Protocol: resumable, X-Goog-Upload-Command: start."))
            meta = await self._body(request, d, 1 << 16) if request.can_read_body else {}
            name = (meta.get("file") or {}).get("display_name") or (meta.get("file") or {}).get("displayName")
            declared = request.headers.get("X-Goog-Upload-Header-Content-Length", "")
            # the resumable start names the size (ai.google.dev Files API upload, read 2026-11-29)
            if not declared.isdigit():
                raise BatchError(d.bad_request("X-Goog-Upload-Header-Content-Length is required: the number of bytes "
                                               "the upload will send."))
            sid = self._new_id("upload-")
            self._uploads[sid] = (str(name or "upload"), int(declared))
            url = f"{_origin(request)}/gemini/upload/v1beta/files?upload_id={sid}&upload_protocol=resumable"
            return web.Response(headers={"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active"})
        if upload_id not in self._uploads or command != "upload,finalize":
            raise BatchError(d.bad_request("Unknown upload session, or a command other than 'upload, finalize'."))
        if request.headers.get("X-Goog-Upload-Offset") != "0":  # one chunk from the start: what a client sends whole
            raise BatchError(d.bad_request("X-Goog-Upload-Offset must be 0 for an upload sent in one piece."))
        data = await _read_limited(request.content, FLAVORS["gemini"].max_bytes, d.too_large())
        name, declared = self._uploads.pop(upload_id)
        if len(data) != declared:  # finalize with fewer or more bytes than declared is refused [wording INFERRED]
            raise BatchError(d.bad_request(f"The upload sent {len(data)} bytes but declared {declared}."))
        f = SimFile(self._new_id("files/"), "gemini", "batch", name, data, int(time.time()))
        self.files[f.id] = f
        return _json({"file": _native_file(f)}, headers={"X-Goog-Upload-Status": "final"})

    async def g_file(self, request: web.Request) -> web.StreamResponse:
        """GET /v1beta/files/{id} (the File) or /download/v1beta/files/{id}:download?alt=media (a batch's output,
        with the download faults); an uploaded input is not offered for download [INFERRED]."""
        async def work(d: Any) -> web.Response:
            fid, _, verb = request.match_info["fid"].partition(":")
            f = self.files.get(fid)
            downloading = "/download/v1beta/" in request.path
            if f is None or f.provider != "gemini" or verb != ("download" if downloading else ""):
                raise BatchError(_not_found(d, f"File {fid} does not exist or you do not have permission to "
                                               "access it."))  # wording [INFERRED]
            if not verb:
                return _json(_native_file(f))
            job = self.jobs.get(f.job_id or "")
            if job is None:
                raise BatchError(d.bad_request(f"Only files generated by the API can be downloaded: {fid}."))
            self._download_fault(d, job)
            return web.Response(body=f.data, headers={"Content-Type": "application/octet-stream"})
        return await self._guard(request, ("gemini_native",), work)

    # ------------------------------------------------------------------ OpenRouter's inline batches
    async def _or_create(self, request: web.Request, d: Any) -> web.Response:
        """POST /openrouter/v1/batches: inline ``{endpoint, model, requests: [{custom_id, body}]}``, one model and one
        endpoint per batch, answered 202 with status validating (RESEARCH §5)."""
        body = await self._body(request, d, OPENROUTER_MAX_BYTES)
        model, endpoint, reqs = body.get("model"), body.get("endpoint", "/v1/chat/completions"), body.get("requests")
        if not isinstance(model, str) or not model:
            raise BatchError(d.bad_request("Missing required parameter: 'model'.", param="model"))
        if endpoint != "/v1/chat/completions":
            raise BatchError(d.bad_request(f"The simulator runs OpenRouter batches for /v1/chat/completions only, "
                                           f"not {endpoint}.", param="endpoint"))
        if not isinstance(reqs, list) or not reqs:
            raise BatchError(d.bad_request("'requests' must be a non-empty array.", param="requests"))
        if len(reqs) > OPENROUTER_MAX_REQUESTS:
            raise BatchError(d.bad_request(f"A batch takes at most {OPENROUTER_MAX_REQUESTS} requests, got "
                                           f"{len(reqs)}.", param="requests"))
        lines, seen = [], set()
        for i, item in enumerate(reqs):
            cid = item.get("custom_id") if isinstance(item, dict) else None
            if not isinstance(cid, str) or not cid or not isinstance(item.get("body"), dict):
                raise BatchError(d.bad_request(f"requests[{i}] needs a custom_id and a body object.",
                                               param=f"requests[{i}]"))
            if cid in seen:
                raise BatchError(d.bad_request(f"Duplicate custom_id {cid!r}.", param=f"requests[{i}].custom_id"))
            seen.add(cid)
            lines.append(Line(cid, {**item["body"], "model": model}))  # one model per batch: the batch's
        # metadata: OpenRouter's BatchSubmitBody documents callback_url, completion_window, endpoint, model, provider
        # and requests, no metadata (openrouter.ai/docs/client-sdks/{go,typescript}/models/batchsubmitbody, read
        # 2026-11-29): an undocumented field is ignored [INFERRED], so the batch's metadata stays null and a client
        # cannot find an OpenRouter batch by a tag it sent
        job = Job(self._new_id("batch_"), d.name, "openrouter", self._ordinal(d.name), time.time(), lines,
                  endpoint=endpoint, model=model)
        self._start(job)
        return _json(self.or_obj(job), status=202)

    def or_obj(self, job: Job) -> dict[str, Any]:
        """OpenRouter's batch: the OpenAI vocabulary, its counts and ``usage.cost`` (the charge, at its batch price)."""
        obj = self.openai_obj(job)
        obj.pop("input_file_id", None)
        obj["request_counts"]["total"] = len(job.lines)
        obj["usage"]["cost"] = round(sum(ln.answer.get("usage", {}).get("cost", 0.0) for ln in job.lines
                                         if ln.fate == "done" and ln.status == 200), 12)
        return obj

    async def b_results(self, request: web.Request) -> web.StreamResponse:
        """GET /openrouter/v1/batches/{id}/results?cursor=&limit=: once terminal, cursor pages of OpenAI-like lines
        ``{data, has_more, next_cursor, object: "list"}``; expired lines carry error batch_expired."""
        async def work(d: Any) -> web.Response:
            job = self._job(d, request.match_info["bid"], "openrouter")
            if job.status not in ("completed", "expired", "cancelled", "failed"):
                raise BatchError(d.bad_request(f"Batch {job.id} has not finished (status {job.status}).",
                                               param="batch_id"))  # [INFERRED]
            self._download_fault(d, job)
            rows = self._in_finish_order(job, self._rows(job))  # stable across pages: seeded by the batch
            limit = _limit_arg(request, d, 100, 1000)
            try:
                start = int(request.query.get("cursor") or 0)
            except ValueError:
                raise BatchError(d.bad_request("Invalid 'cursor'.", param="cursor")) from None
            page = rows[start:start + limit]
            more = start + limit < len(rows)
            return _json({"object": "list", "data": page, "has_more": more,
                          "next_cursor": str(start + limit) if more else None})
        return await self._guard(request, ("openrouter",), work)

    def _rows(self, job: Job) -> list[dict[str, Any]]:
        rows = []
        for ln in job.lines:
            if ln.custom_id in job.dropped:
                continue
            if ln.fate == "done":
                rows.append({"id": f"batch_req_{digest(job.id.encode() + ln.custom_id.encode())}",
                             "custom_id": ln.custom_id, "response": {"status_code": ln.status, "request_id": None,
                                                                     "body": ln.answer}, "error": None})
            elif ln.fate == "expired":
                rows.append({"id": f"batch_req_{digest(job.id.encode() + ln.custom_id.encode())}",
                             "custom_id": ln.custom_id, "response": None,
                             "error": {"code": "batch_expired", "message": "This request could not be executed "
                                       "before the completion window expired."}})
        return rows

    # ------------------------------------------------------------------ Anthropic Message Batches
    async def a_create(self, request: web.Request) -> web.StreamResponse:
        return await self._guard(request, ("anthropic",), lambda d: self._a_create(request, d))

    async def _a_create(self, request: web.Request, d: Any) -> web.Response:
        """POST /anthropic/v1/messages/batches ``{requests: [{custom_id, params}]}``: the envelope is checked now (its
        pydantic wording); each request's params are checked as the batch runs, as an ``errored`` result."""
        body = await self._body(request, d, ANTHROPIC_MAX_BYTES)
        reqs = body.get("requests")
        if reqs is None:
            raise BatchError(d.bad_request("requests: Field required"))
        if not isinstance(reqs, list):
            raise BatchError(d.bad_request("requests: Input should be a valid list"))
        if not reqs:
            raise BatchError(d.bad_request("requests: List should have at least 1 item after validation, not 0"))
        if len(reqs) > ANTHROPIC_MAX_REQUESTS:
            raise BatchError(d.bad_request(f"requests: List should have at most {ANTHROPIC_MAX_REQUESTS} items after "
                                           f"validation, not {len(reqs)}"))
        lines: list[Line] = []
        seen: set[str] = set()
        for i, item in enumerate(reqs):
            lines.append(_anthropic_line(d, i, item, seen))
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("anthropic-version", "anthropic-beta")}
        job = Job(self._new_id("msgbatch_"), "anthropic", "anthropic", self._ordinal("anthropic"), time.time(), lines,
                  headers=headers, status="in_progress")
        self._start(job)
        answer = _json(self.a_obj(job, _origin(request)), headers={"request-id": d.new_request_id()})
        return self._accepted(request, d, "anthropic", answer)

    def a_obj(self, job: Job, origin: str) -> dict[str, Any]:
        """The MessageBatch object (recordings): counts stay all ``processing`` until the batch ends (no partial
        progress is visible, as recorded), then split into succeeded / errored / canceled / expired."""
        ended = job.status == "ended"
        fates = {"succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            for ln in job.lines:
                fates[_anthropic_type(ln)] += 1
        t = job.times
        status = "canceling" if job.cancel and not ended else job.status
        return {"id": job.id, "type": "message_batch", "processing_status": status,
                "request_counts": {"processing": 0 if ended else len(job.lines), **fates},
                "ended_at": _rfc3339(t.get("ended_at")), "created_at": _rfc3339(job.created),
                "expires_at": _rfc3339(job.created + WINDOW_S), "archived_at": None,
                "cancel_initiated_at": _rfc3339(t.get("cancelling_at")),
                "results_url": f"{origin}/anthropic/v1/messages/batches/{job.id}/results" if ended else None}

    async def a_retrieve(self, request: web.Request) -> web.StreamResponse:
        async def work(d: Any) -> web.Response:
            job = self._job(d, request.match_info["bid"], "anthropic")
            self._poll_fault(d, job)
            return _json(self.a_obj(job, _origin(request)), headers={"request-id": d.new_request_id()})
        return await self._guard(request, ("anthropic",), work)

    async def a_list(self, request: web.Request) -> web.StreamResponse:
        """GET …/messages/batches?limit=&after_id=&before_id=: newest first, ``{data, has_more, first_id, last_id}``
        (limit 1-1000, default 20; platform.claude.com/docs/en/api/messages/batches/list, read 2026-11-29)."""
        async def work(d: Any) -> web.Response:
            limit = _limit_arg(request, d, 20, 1000)
            mine = [j for j in self.jobs.values() if j.kind == "anthropic" and not j.deleted]
            page, more = _page(mine, lambda j: (j.created, j.ordinal), request.query.get("after_id"), limit,
                               before=request.query.get("before_id"))
            data = [self.a_obj(j, _origin(request)) for j in page]
            return _json({"data": data, "has_more": more, "first_id": data[0]["id"] if data else None,
                          "last_id": data[-1]["id"] if data else None})
        return await self._guard(request, ("anthropic",), work)

    async def a_cancel(self, request: web.Request) -> web.StreamResponse:
        """POST …/{id}/cancel: ``canceling`` at once with cancel_initiated_at (recorded), then ``ended`` with the
        requests not yet run counted as canceled."""
        async def work(d: Any) -> web.Response:
            job = self._job(d, request.match_info["bid"], "anthropic")
            if job.status == "ended":
                raise BatchError(d.bad_request(f"Batch {job.id} has already ended and cannot be canceled."))  # [INF.]
            if not job.cancel:
                job.cancel = True
                job.times["cancelling_at"] = time.time()
            return _json(self.a_obj(job, _origin(request)), headers={"request-id": d.new_request_id()})
        return await self._guard(request, ("anthropic",), work)

    async def a_delete(self, request: web.Request) -> web.StreamResponse:
        """DELETE …/{id}: only once ended ("you must first cancel it"); answers ``message_batch_deleted``."""
        async def work(d: Any) -> web.Response:
            job = self._job(d, request.match_info["bid"], "anthropic")
            if job.status != "ended":
                raise BatchError(d.bad_request(f"Batch {job.id} cannot be deleted while it is processing; cancel it "
                                               "first."))  # wording [INFERRED]
            job.deleted = True
            return _json({"id": job.id, "type": "message_batch_deleted"})
        return await self._guard(request, ("anthropic",), work)

    async def a_results(self, request: web.Request) -> web.StreamResponse:
        """GET …/{id}/results: the JSONL once ended (only then: "results are available once the whole batch ends")."""
        async def work(d: Any) -> web.Response:
            job = self._job(d, request.match_info["bid"], "anthropic")
            if job.status != "ended":
                raise BatchError(d.bad_request(f"Batch {job.id} is still processing; its results are available "
                                               "once it has ended."))  # wording [INFERRED]
            self._download_fault(d, job)
            rows = [{"custom_id": ln.custom_id, "result": _anthropic_result(ln)} for ln in job.lines
                    if ln.custom_id not in job.dropped]
            return web.Response(body=_jsonl(self._in_finish_order(job, rows)), headers={
                "Content-Type": "application/octet-stream",  # [INFERRED]; the recording kept no content type
                "content-disposition": f'attachment; filename="{job.id}_results.jsonl"',
                "request-id": d.new_request_id()})
        return await self._guard(request, ("anthropic",), work)


def _halve_cost(usage: dict[str, Any]) -> None:
    """An OpenRouter line's charge at the batch price: half the live one [INFERRED: "typically 50%"]."""
    if isinstance(usage.get("cost"), int | float):
        usage["cost"] = round(usage["cost"] / 2, 12)
    details = usage.get("cost_details")
    if isinstance(details, dict):
        for k, v in details.items():
            if isinstance(v, int | float):
                details[k] = round(v / 2, 12)


def _native_file(f: SimFile) -> dict[str, Any]:
    """Gemini's native File resource (ai.google.dev/api/files: sizeBytes as a string, RFC 3339 times, state; the
    48-hour expiry of the Files API)."""
    created = datetime.fromtimestamp(f.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    expires = datetime.fromtimestamp(f.created_at + 172_800, UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    return {"name": f.id, "displayName": f.filename, "mimeType": "jsonl", "sizeBytes": str(len(f.data)),
            "createTime": created, "updateTime": created, "expirationTime": expires,
            "sha256Hash": hashlib.sha256(f.data).hexdigest(), "uri": f"https://simulated/v1beta/{f.id}",
            "state": "ACTIVE", "source": "GENERATED" if f.job_id else "UPLOADED"}


def _origin(request: web.Request) -> str:
    """The simulator's own address as the client reached it (results_url points back at the simulator)."""
    return f"{request.scheme}://{request.host}"


def _anthropic_line(d: Any, i: int, item: Any, seen: set[str]) -> Line:
    """One request of a Message Batch, its envelope checked (custom_id pattern and uniqueness, params an object)."""
    if not isinstance(item, dict):
        raise BatchError(d.bad_request(f"requests.{i}: Input should be a valid dictionary"))
    cid, params = item.get("custom_id"), item.get("params")
    if cid is None:
        raise BatchError(d.bad_request(f"requests.{i}.custom_id: Field required"))
    if not isinstance(cid, str) or not CUSTOM_ID.match(cid):
        raise BatchError(d.bad_request(f"requests.{i}.custom_id: String should match pattern "
                                       f"'{CUSTOM_ID.pattern}'"))
    if cid in seen:  # unique within the batch (reference); the wording is [INFERRED]
        raise BatchError(d.bad_request(f"requests.{i}.custom_id: Duplicate custom_id {cid!r}; custom_id values must "
                                       "be unique within a batch."))
    seen.add(cid)
    if params is None:
        raise BatchError(d.bad_request(f"requests.{i}.params: Field required"))
    if not isinstance(params, dict):
        raise BatchError(d.bad_request(f"requests.{i}.params: Input should be a valid dictionary"))
    if params.get("stream") is True:  # MessageCreateParamsNonStreaming [wording INFERRED]
        raise BatchError(d.bad_request(f"requests.{i}.params.stream: streaming is not supported in batches"))
    if params.get("max_tokens") == 0:  # cache pre-warming is refused inside a batch (batch-processing guide)
        raise BatchError(d.bad_request(f"requests.{i}.params.max_tokens: max_tokens 0 is not supported in a batch"))
    return Line(cid, params)


def _anthropic_type(ln: Line) -> str:
    if ln.fate == "done":
        return "succeeded" if ln.status == 200 else "errored"
    return "expired" if ln.fate == "expired" else "canceled"


def _anthropic_result(ln: Line) -> dict[str, Any]:
    """``{type: succeeded, message}``, ``{type: errored, error: <the error response>}``, or canceled / expired."""
    kind = _anthropic_type(ln)
    if kind == "succeeded":
        return {"type": kind, "message": ln.answer}
    if kind == "errored":
        return {"type": kind, "error": ln.answer}
    return {"type": kind}


def _check_metadata(d: Any, metadata: Any) -> None:
    """metadata: up to 16 string pairs, keys at most 64 characters, values at most 512 (OpenAI's create reference)."""
    if metadata is None:
        return
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise BatchError(d.bad_request("Invalid 'metadata': expected an object of string values.", param="metadata"))
    if len(metadata) > 16:
        raise BatchError(d.bad_request(f"Invalid 'metadata': too many properties. Expected an object with at most 16 "
                                       f"properties, but got an object with {len(metadata)} properties instead.",
                                       param="metadata", code="object_above_max_properties"))
    for k, v in metadata.items():
        if len(k) > 64 or len(v) > 512:
            raise BatchError(d.bad_request("Invalid 'metadata': keys take at most 64 characters and values at most "
                                           "512.", param="metadata"))
