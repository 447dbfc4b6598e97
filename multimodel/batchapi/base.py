"""The Batch API protocol every provider family implements, and what they share: a job's and a status's shape,
splitting by the provider's limits, the HTTP calls over the client's transport, and one batch line → one Result.

A provider's Batch API runs a list of requests within 24 hours at a lower price, outside the live rate limits.
Each family (``openai_files.py``: OpenAI, xAI and Gemini's Files + Batches; ``anthropic.py``: Message Batches;
``openrouter.py``: inline batches) says how to submit, poll, collect and cancel; this module turns each answered
line into the same Result a live non-streamed request gives (the API's own accumulator, ``exchange.fill``), with
the latency columns empty, ``mode="batch"`` and the batch price. Sources: /work/notes/issue19/RESEARCH.md.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from time import perf_counter
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import orjson

from multimodel import pricing
from multimodel.apis import get_api
from multimodel.config import ProviderConfig
from multimodel.errors import ConfigError
from multimodel.exchange import fill, new_result
from multimodel.redact import scrub_fields, scrub_text, secrets_in
from multimodel.request import PreparedRequest
from multimodel.results import Result, ResultError
from multimodel.transport import Timeout, Transport, TransportError, read_limited
from multimodel.wire.accumulate import MalformedResponse
from multimodel.wire.errors import error_from_http
from multimodel.wire.usage import normalize_usage

#: the states every provider's batch is reported in (BatchStatus.state)
STATES = ("validating", "running", "finalizing", "ended")
#: error kinds of batch rows that no single HTTP answer gave (added to results.ERROR_KINDS' meaning):
#: the line was not run before the window closed, the batch was cancelled first, or the whole batch was refused
EXPIRED, CANCELLED, BATCH_FAILED = "batch_expired", "batch_cancelled", "batch_failed"
#: one call of a Batch API (create, retrieve, a results page): the same bounds as a live request's default
CALL_TIMEOUT = Timeout(total=600.0, connect=10.0, idle=300.0)
#: the most one JSON answer of a Batch API call may hold (a batch object, a results page)
OBJECT_BYTES = 64 * 2**20
#: room kept under a byte limit for what wraps the lines (a create request's envelope, a multipart header)
ENVELOPE_BYTES = 64 * 1024
#: exceptions a provider's values (of an unexpected JSON type) can raise while an answer is read (as exchange.py)
UNREADABLE = (MalformedResponse, TypeError, AttributeError, KeyError, IndexError, OverflowError, RecursionError)
_MAX_MESSAGE = 2000
#: a provider's completion window: "24h", the only value OpenAI's create takes (RESEARCH §1.1); Anthropic's
#: batches expire 24 h after creation (RESEARCH §4)
DAY_S = 24 * 3600.0
#: find(): how far before the create's local start a batch it made may say it was created (clock skew between this
#: machine and the provider), and how far after (the create's own answer time, up to CALL_TIMEOUT's 600 s, plus skew)
FIND_BEFORE_S, FIND_AFTER_S = 30.0, 720.0
#: find(): the most list pages read (100 batches each) before giving up on older ones
FIND_PAGES = 20
#: provider_code of a line the provider's results do not name (batch_runs keys on it: such a batch is not marked
#: collected)
LINE_MISSING = "batch_line_missing"

Line = tuple[str, PreparedRequest]  # (custom_id, the request)


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """The most one batch of a provider takes: requests and bytes (of the file or the create request)."""

    max_requests: int
    max_bytes: int
    source: str
    #: the provider's completion window: how long a batch may take before it expires (the lead waits this + 1 h)
    window_s: float = DAY_S


@dataclass(slots=True)
class BatchJob:
    """A submitted batch: what polling, collecting and cancelling need (no credential: those come from the
    provider's config at each call). ``to_dict`` / ``from_dict`` keep it in a cache the moment it exists."""

    protocol: str
    provider: str  # the provider entry's name
    batch_id: str
    model_id: str
    api: str  # the API whose bodies the lines carry ("chat", "messages", "responses")
    url: str  # the batch collection URL (…/batches, …/messages/batches), without query or userinfo (display_url):
    # a display and identity value; calls build their URLs from the provider's config at call time
    custom_ids: list[str]
    submitted_at: float  # epoch seconds
    input_file_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchJob:
        return cls(**dict(data))


@dataclass(slots=True)
class BatchStatus:
    """A batch's state in one vocabulary: ``state`` one of STATES; ``terminal`` when no more will change;
    counts of lines (``None`` where the provider does not say yet); ``provider_status`` and ``raw`` as sent."""

    state: str
    terminal: bool
    total: int
    succeeded: int = 0
    failed: int = 0
    expired: int = 0
    cancelled: int = 0
    provider_status: str = ""
    error: ResultError | None = None  # the whole batch refused (OpenAI "failed" with errors.data)
    raw: Any = None
    #: when the provider says the batch ended (epoch seconds), None while running or where it does not say
    ended_at: float | None = None

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.expired + self.cancelled


class BatchAPIError(Exception):
    """A Batch API call failed (HTTP error, connection, unreadable answer): the batch's rows are not settled by it;
    ``error`` is the normalized, scrubbed ResultError (``error.retryable`` says whether to try again later)."""

    def __init__(self, error: ResultError) -> None:
        super().__init__(str(error))
        self.error = error


class BatchProtocol:
    """One provider family's Batch API. Subclasses set ``name``, ``limits`` (per dialect) and the four calls, and
    say how to list the provider's batches (``list_page``) and which one a create made (``made_by``)."""

    name: ClassVar[str] = ""
    #: per dialect name: the provider's documented limits for one batch
    limits: ClassVar[dict[str, BatchLimits]] = {}
    #: the APIs whose requests this protocol carries (``apis_for`` narrows them per provider)
    apis: ClassVar[tuple[str, ...]] = ("chat",)
    #: the provider's reported cost in a batch line is the batch charge (OpenRouter usage.cost): cost_source provider
    #: (``reports_cost`` may decide per provider)
    reports_batch_cost: ClassVar[bool] = False
    #: the API whose headers the batch calls carry ("chat": a bearer key; "messages": x-api-key, anthropic-version)
    auth_api: ClassVar[str] = "chat"
    #: the create sends the tag in its metadata, so find() matches on it (else on time, model and size)
    sends_tag: ClassVar[bool] = False

    def limits_for(self, cfg: ProviderConfig) -> BatchLimits:
        try:
            return self.limits[cfg.dialect]
        except KeyError:
            raise ConfigError(f"provider {cfg.name!r} (dialect {cfg.dialect}) has no {self.name} Batch API that "
                              "multimodel knows of; run its requests live") from None

    def apis_for(self, cfg: ProviderConfig) -> tuple[str, ...]:
        """The APIs whose requests this protocol carries for this provider (a batch line of any other is refused)."""
        return self.apis

    def reports_cost(self, cfg: ProviderConfig) -> bool:
        """Whether this provider's own cost figure in a batch line is the batch charge (then it is kept, with
        cost_source "provider"); otherwise the batch price table prices the line's usage."""
        return self.reports_batch_cost

    def collection_url(self, cfg: ProviderConfig) -> str:
        """The provider's batch collection URL (``…/batches``), built from its config at call time."""
        return f"{cfg.base_url}/batches"

    def line_bytes(self, custom_id: str, req: PreparedRequest) -> int:
        """How many bytes this line adds to a batch (counted against ``max_bytes``)."""
        return len(custom_id) + len(orjson.dumps(line_body(req))) + 80

    def check_lines(self, cfg: ProviderConfig, lines: Sequence[Line]) -> None:
        """Refuse (ConfigError) what one batch of this protocol cannot hold: no lines, too many or too big, duplicate
        custom_ids, requests of another provider or of an API it does not carry, several models."""
        if not lines:
            raise ConfigError("a batch needs at least one request")
        limits = self.limits_for(cfg)
        apis = self.apis_for(cfg)
        seen: set[str] = set()
        for cid, req in lines:
            if cid in seen:
                raise ConfigError(f"custom_id {cid!r} appears twice: each line of a batch needs its own")
            seen.add(cid)
            if req.provider.name != cfg.name:
                raise ConfigError(f"line {cid!r} is for provider {req.provider.name!r}, not {cfg.name!r}: one batch "
                                  "goes to one provider")
            if req.api.name not in apis:
                raise ConfigError(self.api_message(cfg, req) + f" (line {cid!r})")
        if len({req.model_id for _, req in lines}) > 1:
            raise ConfigError("a batch takes requests to one model only; group the lines by model (group_lines)")
        if len({req.api.name for _, req in lines}) > 1:
            raise ConfigError("a batch takes requests to one endpoint only; group the lines by API (group_lines)")
        if len(lines) > limits.max_requests:
            raise ConfigError(f"{len(lines):,} requests pass {cfg.name}'s limit of {limits.max_requests:,} per batch "
                              f"({limits.source}); cut them with split()")
        size = sum(self.line_bytes(cid, req) for cid, req in lines)
        if size > limits.max_bytes:
            raise ConfigError(f"the batch would be {size:,} bytes, past {cfg.name}'s {limits.max_bytes:,} "
                              f"({limits.source}); cut the lines with split()")

    def api_message(self, cfg: ProviderConfig, req: PreparedRequest) -> str:
        return (f"{cfg.name}'s Batch API takes {' or '.join(self.apis_for(cfg))} requests, not {req.api.name} ones; "
                "prepare them with that API")

    # ------------------------------------------------------------------ the four calls
    async def submit(self, cfg: ProviderConfig, transport: Transport, lines: Sequence[Line],
                     tag: str | None = None) -> BatchJob:
        """Create one batch of ``lines``. ``tag`` (a string unique to this create, at most 512 characters) is sent
        in the create's metadata where the provider takes metadata, so ``find`` can tell this create's batch apart;
        it is kept in ``job.extra["tag"]`` either way."""
        raise NotImplementedError

    async def poll(self, cfg: ProviderConfig, transport: Transport, job: BatchJob) -> BatchStatus:
        """``GET {url}/{id}``: the batch's state, read by ``status_from``."""
        url = f"{self.collection_url(cfg)}/{job.batch_id}"
        obj = await call_json(transport, "GET", url, headers_for(cfg, self.auth_api))
        return self.status_from(obj, len(job.custom_ids))

    async def collect(self, cfg: ProviderConfig, transport: Transport, job: BatchJob,
                      requests_by_custom_id: Mapping[str, PreparedRequest]) -> dict[str, Result]:
        raise NotImplementedError

    async def cancel(self, cfg: ProviderConfig, transport: Transport, job: BatchJob) -> BatchStatus:
        """``POST {url}/{id}/cancel``: the provider stops the batch; what it finished is still collected."""
        url = f"{self.collection_url(cfg)}/{job.batch_id}/cancel"
        obj = await call_json(transport, "POST", url, headers_for(cfg, self.auth_api))
        return self.status_from(obj, len(job.custom_ids))

    @staticmethod
    def status_from(obj: dict[str, Any], submitted: int) -> BatchStatus:
        """The provider's batch object in the normalized vocabulary (each protocol reads its own)."""
        raise NotImplementedError

    def created(self, obj: dict[str, Any], cfg: ProviderConfig, lines: Sequence[Line], url: str,
                submitted_at: float, *, tag: str | None = None, **fields: Any) -> BatchJob:
        """The job a create call answered with (its id checked): what the cache records the moment it exists. The
        URL is kept without query or userinfo (a token there must not reach the cache). ``submitted_at`` is the
        provider's ``created_at`` where the answer gives one (so a found job and a created one agree, and
        batch_wait_s = the provider's end less its start is read on one clock), else the local time given."""
        batch_id = obj.get("id")
        if not isinstance(batch_id, str) or not batch_id:
            raise BatchAPIError(ResultError(kind="malformed_response", message="the batch create returned no id"))
        submitted_at = self.created_time(obj) or submitted_at
        extra = {"tag": tag} if tag is not None else {}
        return BatchJob(protocol=self.name, provider=cfg.name, batch_id=batch_id, model_id=lines[0][1].model_id,
                        api=fields.pop("api", lines[0][1].api.name), url=display_url(url),
                        custom_ids=[cid for cid, _ in lines], submitted_at=submitted_at, extra=extra, **fields)

    # ------------------------------------------------------------------ finding a batch again
    async def find(self, cfg: ProviderConfig, transport: Transport, lines: Sequence[Line], *, tag: str,
                   since: float, exclude: Collection[str] = ()) -> list[BatchJob]:
        """The batches at the provider that a create of ``lines`` started at ``since`` (epoch seconds, local clock)
        with ``tag`` may have made, newest first, as ``created`` builds jobs (submitted_at: the provider's
        created_at); ids in ``exclude`` skipped. Lists the provider's batches newest first and stops at a page that
        reaches batches older than ``since - FIND_BEFORE_S``, after FIND_PAGES pages, or at the end. What matches:
        ``made_by``. A listing that fails raises BatchAPIError."""
        found: list[BatchJob] = []
        after: str | None = None
        floor = since - FIND_BEFORE_S
        for _ in range(FIND_PAGES):
            objs, more, last_id = await self.list_page(cfg, transport, after)
            times = []
            for obj in objs:
                created = self.created_time(obj)
                times.append(created)
                bid = obj.get("id")
                if created is None or not isinstance(bid, str) or bid in exclude:
                    continue
                if floor <= created <= since + FIND_AFTER_S and self.made_by(obj, cfg, lines, tag):
                    found.append(self.found_job(obj, cfg, lines, created, tag))
            # newest first: once a batch on this page is older than the window, every later one is too
            if not more or not last_id or last_id == after or any(t is not None and t < floor for t in times):
                break
            after = last_id
        return found

    async def list_page(self, cfg: ProviderConfig, transport: Transport,
                        after: str | None) -> tuple[list[dict[str, Any]], bool, str | None]:
        """One page of the provider's batches, newest first: the batch objects, whether more follow, the last id."""
        raise NotImplementedError

    def created_time(self, obj: dict[str, Any]) -> float | None:
        """A listed batch's created_at in epoch seconds (None where unreadable)."""
        return epoch_of(obj.get("created_at"))

    def made_by(self, obj: dict[str, Any], cfg: ProviderConfig, lines: Sequence[Line], tag: str) -> bool:
        """Whether a listed batch (created in find's window) may be the one this create made."""
        raise NotImplementedError

    def found_job(self, obj: dict[str, Any], cfg: ProviderConfig, lines: Sequence[Line], created: float,
                  tag: str) -> BatchJob:
        """A listed batch as the job its create would have answered with."""
        fid = obj.get("input_file_id")
        fields = {"input_file_id": fid} if isinstance(fid, str) and fid else {}
        return self.created(obj, cfg, lines, self.collection_url(cfg), created, tag=tag, **fields)


def epoch_of(value: Any) -> float | None:
    """A provider's timestamp in epoch seconds: unix seconds (OpenAI) or RFC 3339 (Anthropic); None otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return float(value)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.timestamp() if parsed.tzinfo is not None else None
    return None


def display_url(url: str) -> str:
    """The URL without userinfo, query or fragment: what a job record and a message may show (a token in a
    base_url's ``?key=`` or ``user:token@`` never reaches the cache, a log or an error row)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unreadable URL>"
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def url_secrets(url: str) -> tuple[str, ...]:
    """The values a URL carries that may be credentials (userinfo, query values), in every spelling an echo may
    use, for scrub_text."""
    try:
        parts = urlsplit(url)
        values = [parts.username, parts.password, *(v for _, v in parse_qsl(parts.query, keep_blank_values=False))]
    except ValueError:
        return ()
    return secrets_in({f"url-key-{i}": v for i, v in enumerate(values) if isinstance(v, str) and v})


# ====================================================================== grouping and splitting
def group_lines(lines: Iterable[Line]) -> dict[tuple[str, str, str], list[Line]]:
    """Lines grouped by (provider, model id, API): what may share one batch (one model and one endpoint per batch)."""
    groups: dict[tuple[str, str, str], list[Line]] = {}
    for cid, req in lines:
        groups.setdefault((req.provider.name, req.model_id, req.api.name), []).append((cid, req))
    return groups


def split(lines: Sequence[Line], limits: BatchLimits, size: Any = None) -> list[list[Line]]:
    """Cut ``lines`` into batches that each hold at most ``limits.max_requests`` lines and ``limits.max_bytes`` bytes
    (``size(custom_id, req)`` per line, less ENVELOPE_BYTES of room), in order. A line bigger than a whole batch is a
    ConfigError naming it."""
    measure = size or (lambda cid, req: len(cid) + len(orjson.dumps(line_body(req))) + 80)
    room = max(1, limits.max_bytes - ENVELOPE_BYTES)
    batches: list[list[Line]] = []
    current: list[Line] = []
    used = 0
    for cid, req in lines:
        n = measure(cid, req)
        if n > room:
            raise ConfigError(f"line {cid!r} alone is {n:,} bytes, more than one batch takes ({limits.max_bytes:,} "
                              f"bytes, {limits.source}); send it live")
        if current and (len(current) >= limits.max_requests or used + n > room):
            batches.append(current)
            current, used = [], 0
        current.append((cid, req))
        used += n
    if current:
        batches.append(current)
    return batches


def line_body(req: PreparedRequest) -> dict[str, Any]:
    """The request's body as a batch line carries it: never streamed (a batch answers whole bodies)."""
    if "stream" not in req.body and "stream_options" not in req.body:
        return req.body
    return {k: v for k, v in req.body.items() if k not in ("stream", "stream_options")}


# ====================================================================== HTTP over the client's transport
def headers_for(cfg: ProviderConfig, api: str) -> dict[str, str]:
    """The provider's authentication headers for one API, as a live request of that API sends them."""
    a = get_api(api)
    return {**a.headers(cfg.resolve_key()), **cfg.default_headers}


async def call(transport: Transport, method: str, url: str, headers: Mapping[str, str],
               payload: bytes = b"") -> tuple[int, Mapping[str, str], bytes]:
    """One Batch API call (GET, POST or DELETE); the answer's status, headers and body. A failure below HTTP or a
    4xx/5xx raises BatchAPIError with the normalized error, scrubbed of the credentials in ``headers`` and in the
    URL (its messages show the URL without query or userinfo)."""
    secrets = secrets_in(headers) + url_secrets(url)
    shown = display_url(url)
    try:
        _sendable(url, shown)
        if method == "GET":
            resp = await transport.get(url, headers, CALL_TIMEOUT)
        elif method == "POST":
            resp = await transport.post(url, headers, payload, CALL_TIMEOUT)
        else:
            resp = await transport.delete(url, headers, CALL_TIMEOUT)
        try:
            body = await read_limited(resp, OBJECT_BYTES)
        finally:
            resp.close()
    except TransportError as exc:
        kind = "timeout" if exc.kind == "timeout" else "connection"
        raise BatchAPIError(ResultError(kind=kind, message=scrub_text(f"{method} {shown}: {exc.message}",
                                                                      secrets))) from None
    if resp.status >= 300:
        err = error_from_http(resp.status, resp.headers, body) if resp.status >= 400 else ResultError(
            kind="redirect", status=resp.status, message=f"HTTP {resp.status}: not followed")
        err.message = scrub_text(f"{method} {shown}: {err.message}", secrets)[:_MAX_MESSAGE]
        raise BatchAPIError(err)
    return resp.status, resp.headers, body


def _sendable(url: str, shown: str) -> None:
    """Refuse a URL with userinfo (``https://user:token@host``): the key goes in a header, and an HTTP client
    cannot send both (aiohttp raises ValueError), so the batch call would fail with a stack trace."""
    try:
        userinfo = "@" in urlsplit(url).netloc
    except ValueError:
        userinfo = True
    if userinfo:
        raise BatchAPIError(ResultError(kind="bad_request", message=(
            f"{shown}: the provider's base_url carries a user name or token before the host; remove it (the API key "
            "is sent in a header) and run again")))


async def call_json(transport: Transport, method: str, url: str, headers: Mapping[str, str],
                    payload: bytes = b"") -> Any:
    """A Batch API call whose answer is one JSON object."""
    _, _, body = await call(transport, method, url, headers, payload)
    return _object_of(body, f"{method} {display_url(url)}: the answer is not a JSON object")


async def list_page_of(cfg: ProviderConfig, transport: Transport, url: str, after: str | None, *, after_param: str,
                       auth_api: str = "chat") -> tuple[list[dict[str, Any]], bool, str | None]:
    """One page of a batch list, ``GET {url}?limit=100&{after_param}=<id>`` answering ``{data, has_more, last_id}``
    newest first (OpenAI's and OpenRouter's ``after``, Anthropic's ``after_id``): the objects, whether more follow,
    the last id (the last object's where the page names none)."""
    query = "?limit=100" + (f"&{after_param}={quote(after, safe='')}" if after else "")
    page = await call_json(transport, "GET", url + query, headers_for(cfg, auth_api))
    data = page.get("data")
    objs = [o for o in data if isinstance(o, dict)] if isinstance(data, list) else []
    last = page.get("last_id")
    if not isinstance(last, str) or not last:
        last = objs[-1].get("id") if objs and isinstance(objs[-1].get("id"), str) else None
    return objs, page.get("has_more") is True, last


async def jsonl_objects(transport: Transport, url: str, headers: Mapping[str, str]) -> AsyncIterator[dict[str, Any]]:
    """The objects of a JSONL download, line by line as the bytes arrive (a results file of 50,000 answers is never
    held whole); a line that is not a JSON object raises BatchAPIError (malformed_response)."""
    secrets = secrets_in(headers) + url_secrets(url)
    shown = display_url(url)
    _sendable(url, shown)
    try:
        resp = await transport.get(url, headers, CALL_TIMEOUT)
    except TransportError as exc:
        raise BatchAPIError(ResultError(kind="timeout" if exc.kind == "timeout" else "connection",
                                        message=scrub_text(f"GET {shown}: {exc.message}", secrets))) from None
    try:
        if resp.status >= 400:
            err = error_from_http(resp.status, resp.headers, await read_limited(resp, OBJECT_BYTES))
            err.message = scrub_text(f"GET {shown}: {err.message}", secrets)[:_MAX_MESSAGE]
            raise BatchAPIError(err)
        tail = b""
        async for chunk in resp.chunks():
            *whole, tail = (tail + chunk).split(b"\n")
            for raw in whole:
                if raw.strip():
                    yield _object_of(raw, f"GET {shown}: a results line is not a JSON object: {raw[:200]!r}")
        if tail.strip():
            yield _object_of(tail, f"GET {shown}: a results line is not a JSON object: {tail[:200]!r}")
    except TransportError as exc:
        raise BatchAPIError(ResultError(kind="timeout" if exc.kind == "timeout" else "connection",
                                        message=scrub_text(f"GET {shown}: {exc.message}", secrets))) from None
    finally:
        resp.close()


def _object_of(raw: bytes, why: str) -> dict[str, Any]:
    """``raw`` as a JSON object; anything else raises BatchAPIError (malformed_response) saying ``why``."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        obj = None
    if not isinstance(obj, dict):
        raise BatchAPIError(ResultError(kind="malformed_response", message=why))
    return obj


def multipart(fields: Mapping[str, str], filename: str, data: bytes,
              content_type: str = "application/jsonl") -> tuple[bytes, str]:
    """A multipart/form-data body (RFC 7578) with text ``fields`` and one file part named ``file``; returns the
    body and its Content-Type (with the boundary)."""
    boundary = f"multimodel-{uuid.uuid4().hex}"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# ====================================================================== one line → one Result
def batch_result(req: PreparedRequest, job: BatchJob, custom_id: str, *, status: int | None = None,
                 body: Any = None, error: ResultError | None = None, request_id: str | None = None,
                 reports_batch_cost: bool = False, ended_at: float | None = None) -> Result:
    """One batch line as a Result: an answer ``body`` (HTTP ``status`` 2xx) read by the request's API accumulator
    exactly as a live non-streamed answer, or an error row (a 4xx/5xx ``status`` with its body, or ``error``).
    Latency columns stay empty; cost is the batch price (or the provider's own batch charge); keys are scrubbed.
    ``batch_wait_s`` is the provider's turnaround: ``ended_at`` (when the provider says the batch ended,
    BatchStatus.ended_at) less ``job.submitted_at``; where the provider gives no end time, the time of this read
    stands in (so a batch collected late, after a restart, counts the wait until it was read)."""
    result = new_result(req)
    result.stream = False
    result.mode, result.batch_id, result.custom_id = "batch", job.batch_id, custom_id
    result.created_at = job.submitted_at
    result.batch_wait_s = max(0.0, (time.time() if ended_at is None else ended_at) - job.submitted_at)
    result.request_id = request_id[:200] if isinstance(request_id, str) else None
    if error is None and status is not None and not 200 <= status < 300:
        error = error_from_http(status, None, orjson.dumps(body))
    if error is None and not isinstance(body, dict):
        error = ResultError(kind="malformed_response", message="the batch line holds no answer object")
    if error is not None:
        result.error, result.finish_reason = error, "error"
        result.raw = None if body is None else orjson.dumps(body).decode()
    else:
        long_writes = _read_answer(result, req, body)
        if not (reports_batch_cost and result.cost_source == "provider"):
            _batch_cost(result, req, long_writes)
    result.ttft_s = result.ttfat_s = result.e2e_s = None
    scrub_fields(result, req.secrets)
    if result.error is not None and len(result.error.message) > _MAX_MESSAGE:
        result.error.message = result.error.message[:_MAX_MESSAGE] + " [...]"
    return result


def _read_answer(result: Result, req: PreparedRequest, body: dict[str, Any]) -> int | None:
    """The answer through the API's accumulator and exchange.fill, as a whole non-streamed body is read live; returns
    how many of its cache writes were for the longer retention (Anthropic's 1 hour), where the usage says, which the
    Result has no column for and the batch price needs (exchange.fill reads it from the same usage)."""
    acc = req.api.accumulator()
    t0 = perf_counter()
    result.raw = orjson.dumps(body).decode()
    try:
        acc.add_message(body, t0)
        fill(result, acc, req, t0)
        return normalize_usage(acc.usage).cache_write_long_tokens
    except UNREADABLE as exc:
        why = str(exc) if isinstance(exc, MalformedResponse) else f"{type(exc).__name__}: {exc}"
        result.error = ResultError(kind="malformed_response", message=f"the batch line could not be read: {why}")
        result.finish_reason = "error"
        return None


def _batch_cost(result: Result, req: PreparedRequest, long_writes: int | None = None) -> None:
    """The provider's batch price from the table (cost_source ``batch_price_table``), cache writes split by retention
    as the live path prices them (``long_writes``: the 1-hour ones); NaN (never the live price, never 0) when no
    batch price is sourced for the model or the input holds audio."""
    result.cost_usd, result.cost_source = math.nan, None
    if result.error is not None or req.audio_input or result.prompt_tokens is None or result.completion_tokens is None:
        return
    price = pricing.price_for(req.provider, req.model_id)
    batch = price.batch() if price is not None else None
    if batch is None:
        return
    cost = pricing.request_cost(batch, prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                                cached_tokens=result.cached_tokens, cache_write_tokens=result.cache_write_tokens,
                                at=result.created_at, body=req.body, cache_write_long_tokens=long_writes)
    if not math.isnan(cost):
        result.cost_usd, result.cost_source = cost, "batch_price_table"


def error_rows(job: BatchJob, requests_by_custom_id: Mapping[str, PreparedRequest], error: ResultError,
               custom_ids: Iterable[str] | None = None, ended_at: float | None = None) -> dict[str, Result]:
    """The same error on every line (a batch refused as a whole), each row its own copy."""
    out = {}
    for cid in (job.custom_ids if custom_ids is None else custom_ids):
        req = requests_by_custom_id[cid]
        out[cid] = batch_result(req, job, cid, ended_at=ended_at, error=ResultError(
            kind=error.kind, message=error.message, status=error.status, provider_code=error.provider_code))
    return out


def expired_error() -> ResultError:
    return ResultError(kind=EXPIRED, provider_code="batch_expired",
                       message="the batch's completion window (24 h) closed before this request was run")


def cancelled_error() -> ResultError:
    return ResultError(kind=CANCELLED, provider_code="batch_cancelled",
                       message="the batch was cancelled before this request was run")


def missing_error() -> ResultError:
    """A line of an ended batch that the provider's results do not name (``provider_code`` LINE_MISSING: the batch
    is not marked collected, so a later read may still find it)."""
    return ResultError(kind=BATCH_FAILED, provider_code=LINE_MISSING,
                       message="the provider's results name no answer for this request")


__all__ = [
    "BATCH_FAILED",
    "CANCELLED",
    "DAY_S",
    "EXPIRED",
    "LINE_MISSING",
    "STATES",
    "BatchAPIError",
    "BatchJob",
    "BatchLimits",
    "BatchProtocol",
    "BatchStatus",
    "Line",
    "batch_result",
    "call",
    "call_json",
    "display_url",
    "epoch_of",
    "error_rows",
    "group_lines",
    "headers_for",
    "jsonl_objects",
    "line_body",
    "list_page_of",
    "multipart",
    "split",
    "url_secrets",
]
