"""Result, ToolCall and ResultError: the one normalized shape every provider's answer becomes, and the one
column specification (``COLUMNS``) that turns Results into ``Result.to_dict`` rows and DataFrames.

The attribute names are also the DataFrame column names (DESIGN.md section 1), so a Result,
a row of ``cmp.df`` and a row of ``ev.df`` all read the same way.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any, Literal

import orjson

from multimodel.errors import warn_user

FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter", "error")
ERROR_KINDS = (
    "rate_limit",
    "overloaded",
    "server",
    "timeout",
    "connection",
    "auth",
    "bad_request",
    "not_found",
    "billing",
    "content_filter",
    "stream",
    "truncated",
    "unsupported",
    "malformed_response",  # a 200 whose JSON types leave the answer unreadable
    "response_too_large",  # past Limits: a body or stream line bigger than the client holds
    "redirect",  # a 3xx not followed: another origin (credentials stay home) or a method-changing redirect
    "internal",  # multimodel itself failed on this request (a bug: logged with its traceback); never cached
    "batch_expired",  # a Batch API line the provider did not run within the batch's window
    "batch_cancelled",  # a Batch API line not run because its batch was cancelled
    "batch_failed",  # a Batch API line of a batch the provider refused whole (its validation error names why)
    "quota_exhausted",  # a per-day (or longer) quota ran out: the provider's remaining rows are not sent
    "deadline",  # evaluate(deadline_s=) passed while the row waited
)
# Kinds a retry can fix; the rest (bad_request, auth, billing, not_found, content_filter, unsupported:
# the model cannot take an input, so the request was never sent; malformed_response, response_too_large,
# redirect: the same server would answer the same way) fail fast.
RETRYABLE_KINDS = frozenset({"rate_limit", "overloaded", "server", "timeout", "connection", "stream", "truncated"})


#: the largest token count a Result holds: 2**53, the largest integer a float (and so JSON everywhere) holds
#: exactly; a count beyond it, negative or of another type is a server's error and is read as missing
MAX_COUNT = 2**53
COUNT_FIELDS = ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens", "cache_write_tokens")


def valid_count(value: Any) -> int | None:
    """A token count as a Result keeps it: a whole number in 0..2**53 (a float that is whole counts), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_COUNT:
        return value
    return None


@dataclass(slots=True)
class ToolCall:
    """One function call the model asked for; ``arguments`` is None when the JSON did not parse."""

    id: str
    name: str
    arguments: dict[str, Any] | None
    arguments_raw: str
    # Opaque per-call state that must be echoed back next turn (Gemini thought_signature).
    extra: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "arguments": self.arguments,
            "arguments_raw": self.arguments_raw,
        }
        if self.extra:
            d["extra"] = self.extra
        return d

    def as_openai(self) -> dict[str, Any]:
        """The call in the OpenAI ``tool_calls`` wire shape, provider extras included."""
        d: dict[str, Any] = {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments_raw or "{}"},
        }
        if self.extra:
            d.update(self.extra)
        return d


@dataclass(slots=True)
class ResultError:
    """A provider or network failure, normalized; it becomes ``error_*`` columns instead of an exception."""

    kind: str
    message: str
    status: int | None = None
    retry_after_s: float | None = None
    provider_code: str | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "message": self.message,
            "retry_after_s": self.retry_after_s,
            "provider_code": self.provider_code,
        }

    def __str__(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        return f"{self.kind}{status}: {self.message}"


_NAN = float("nan")


@dataclass(slots=True)
class Result:
    """One model's answer to one request, with its reasoning, tool calls, usage, cost and timings."""

    model: str
    provider: str
    response_model: str | None = None
    content: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    native_finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None  # prompt tokens written to the provider's cache (priced at its write rate)
    cost_usd: float = _NAN
    cost_source: str | None = None
    ttft_s: float | None = None
    ttfat_s: float | None = None
    e2e_s: float | None = None
    error: ResultError | None = None
    attempts: int = 1
    cached: bool = False
    simulated: bool = False
    stream: bool = False
    request_id: str | None = None
    created_at: float | None = None
    # The model whose reply this row carries: ``model`` unless a fallback answered (then the fallback; on a chain that
    # failed everywhere, the last model tried). None at construction means ``model`` (set in __post_init__).
    answered_by: str | None = None
    # Capabilities the model could not take, removed before sending (on_unsupported="warn") or the reason
    # the request was skipped (on_unsupported="skip"): e.g. ["audio_input", "seed"]. Empty: nothing lost.
    dropped_inputs: list[str] = field(default_factory=list)
    # Inputs the model's capability table does not settle (status "unknown"): sent as given, with a warning.
    unverified_inputs: list[str] = field(default_factory=list)
    route_reason: str | None = None  # why a router chose this model (route(), models="auto:N")
    # Changes made to the request after the provider rejected it (or because it rejected it before, for this
    # model): e.g. ["renamed max_tokens to max_completion_tokens"]. Empty: sent as built.
    repaired: list[str] = field(default_factory=list)
    logprobs: list[dict[str, Any]] | None = None  # per answer token, when logprobs=True was honoured
    # Opaque state the provider needs echoed back on the next assistant turn
    # (DeepSeek reasoning_content, OpenRouter reasoning_details, Gemini extra_content).
    provider_state: dict[str, Any] | None = None
    #: the API that carried the request: "chat" (Chat Completions), "messages" (Anthropic) or "responses" (OpenAI)
    api: str = "chat"
    #: "live" (one request, answered while you wait) or "batch" (a line of a provider's Batch API job)
    mode: str = "live"
    batch_id: str | None = None  # the provider's id of the batch job that answered this row (mode "batch")
    custom_id: str | None = None  # the row's id inside that batch (the provider joins answers on it)
    batch_wait_s: float | None = None  # submission of the batch to its results being read (latency columns stay empty)
    raw: Any = None

    def __post_init__(self) -> None:
        if self.answered_by is None:
            self.answered_by = self.model

    # ---- attribution (DESIGN.md section 1: ``model`` is the model as requested, on every row) ----
    def as_fallback_of(self, requested: str) -> Result:
        """This row as the answer to ``requested``, given by a fallback: ``model`` becomes the model as requested,
        ``answered_by`` keeps the model that answered. Returns the Result itself."""
        if self.answered_by is None:
            self.answered_by = self.model
        self.model = requested
        return self

    @property
    def fallback_from(self) -> str | None:
        """Deprecated: the model as requested when a fallback answered, else None. Read ``model`` (always the model
        as requested) and ``answered_by`` (the model that answered) instead."""
        warn_user("Result.fallback_from is deprecated: 'model' is now always the model as requested and "
                  "'answered_by' the model that answered (they differ only when a fallback answered); "
                  "fallback_from will stop working", FutureWarning)
        return self.model if answering_model(self) != self.model else None

    # ---- derived metrics (DESIGN.md section 2) ----
    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def itl_s(self) -> float | None:
        """Mean inter-token latency from provider token counts, not chunk counts (``speed_metrics``); None
        unless streamed (the first token's time is only seen on a stream)."""
        return inter_token_latency(streamed_only(self, "ttft_s"), self.e2e_s, self.completion_tokens)

    @property
    def output_tps(self) -> float | None:
        """Output tokens per second after the first token arrived (``speed_metrics``); None unless streamed."""
        return output_tokens_per_second(streamed_only(self, "ttft_s"), self.e2e_s, self.completion_tokens)

    def as_message(self) -> dict[str, Any]:
        """The assistant message to append to the conversation, with the echo-back state each provider needs."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content or None}
        if self.tool_calls:
            msg["tool_calls"] = [tc.as_openai() for tc in self.tool_calls]
        if self.provider_state:
            msg.update(self.provider_state)
        if msg["content"] is None and not self.tool_calls:
            msg["content"] = ""
        return msg

    def to_dict(self) -> dict[str, Any]:
        """A flat dict with the DataFrame column names (``COLUMNS``); error fields are spread into ``error_*``."""
        return {column.name: column.get(self) for column in COLUMNS}

    def to_frame(self) -> Any:
        """A one-row pandas DataFrame with the same columns as ``cmp.df`` / ``ev.df``."""
        return results_to_frame([self])

    # ---- serialization for the cache / store ----
    def to_json(self) -> bytes:
        """Every stored field (derived metrics excluded), for the cache; NaN cost is stored as null."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["tool_calls"] = [tc.to_dict() for tc in self.tool_calls]
        d["error"] = self.error.to_dict() if self.error else None
        if math.isnan(self.cost_usd):
            d["cost_usd"] = None
        return orjson.dumps(d)

    @classmethod
    def from_json(cls, data: bytes | str) -> Result:
        """A Result from ``to_json`` output, this release's or an older one's (see ``from_dict``)."""
        d = orjson.loads(data)
        if not isinstance(d, dict):
            raise ValueError(f"a stored Result is a JSON object, not {type(d).__name__}")
        return cls.from_dict(d)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """A Result from the parsed JSON ``to_json`` writes. Older releases' rows load too: one without
        ``answered_by`` was answered by its ``model``; one with ``fallback_from`` named the fallback that answered in
        ``model`` and the model as requested in ``fallback_from``, so they are read as ``answered_by`` and ``model``.
        A field this release does not know raises TypeError (the cache reads such a row as a miss)."""
        d = dict(data)
        legacy = d.pop("fallback_from", None)
        if legacy is not None:
            if not isinstance(legacy, str):
                raise ValueError(f"a stored fallback_from is a model name or null, not {legacy!r}")
            if d.get("answered_by") is None:
                d["answered_by"] = d.get("model")
            d["model"] = legacy
        err = d.pop("error", None)
        calls = d.pop("tool_calls", None) or []
        cost = d.pop("cost_usd", None)
        for name in COUNT_FIELDS:  # rows an older release cached may hold counts no DataFrame can take
            if name in d:
                d[name] = valid_count(d[name])
        if cost is not None and (not isinstance(cost, int | float) or isinstance(cost, bool)):
            raise ValueError(f"a stored cost_usd is a number or null, not {cost!r}")
        cost = _NAN if cost is None else float(cost)
        return cls(
            **d,
            error=ResultError(**err) if err else None,
            tool_calls=[ToolCall(**c) for c in calls],
            cost_usd=cost if math.isnan(cost) or (math.isfinite(cost) and cost >= 0) else _NAN,
        )

    def _repr_html_(self) -> str:
        from multimodel.notebook.html import result_html

        return result_html(self)

    def __repr__(self) -> str:
        tag = " simulated" if self.simulated else ""
        answering = answering_model(self)
        by = f" answered_by={answering}" if answering != self.model else ""
        head = f"<Result {self.model}{by}{tag}"
        if self.error:
            return f"{head} error={self.error}>"
        cost = "n/a" if math.isnan(self.cost_usd) else f"${self.cost_usd:.6f}"
        first = streamed_only(self, "ttft_s")  # n/a unless streamed: the first token's time is not seen otherwise
        ttft = "n/a" if first is None else f"{first * 1000:.0f}ms"
        e2e = "n/a" if self.e2e_s is None else f"{self.e2e_s * 1000:.0f}ms"
        text = (self.content or "").replace("\n", " ")
        if len(text) > 60:
            text = text[:57] + "..."
        calls = f" tool_calls={len(self.tool_calls)}" if self.tool_calls else ""
        return (
            f"{head} finish={self.finish_reason} tokens={self.prompt_tokens}/{self.completion_tokens}"
            f" cost={cost} ttft={ttft} e2e={e2e}{calls} content={text!r}>"
        )


# ---------------------------------------------------------------------------------- derived metrics
def speed_metrics(ttft_s: Any, e2e_s: Any, completion_tokens: Any) -> tuple[Any, Any]:
    """``itl_s`` = (e2e − ttft) / (completion_tokens − 1) and ``output_tps`` = completion_tokens / (e2e − ttft)
    (DESIGN.md section 2; token counts from the provider's usage, not chunk counts), for float arrays with
    NaN where a value is unknown; NaN where undefined (fewer than two tokens, no time between first and last).
    The one definition: DataFrames use it on whole columns, ``Result.itl_s``/``output_tps`` on one row."""
    import numpy as np

    span = e2e_s - ttft_s
    with np.errstate(divide="ignore", invalid="ignore"):
        itl = np.where(completion_tokens >= 2, span / (completion_tokens - 1), np.nan)
        tps = np.where((completion_tokens > 0) & (span > 0), completion_tokens / span, np.nan)
    return itl, tps


def _one_row(ttft_s: float | None, e2e_s: float | None, completion_tokens: int | None) -> tuple[Any, Any]:
    import numpy as np

    def arr(v: float | None) -> Any:
        return np.array([np.nan if v is None else v], dtype=np.float64)

    itl, tps = speed_metrics(arr(ttft_s), arr(e2e_s), arr(completion_tokens))
    return itl[0], tps[0]


def inter_token_latency(ttft_s: float | None, e2e_s: float | None, completion_tokens: int | None) -> float | None:
    """``itl_s`` of one request (``speed_metrics``); None when undefined."""
    value = _one_row(ttft_s, e2e_s, completion_tokens)[0]
    return None if math.isnan(value) else float(value)


def output_tokens_per_second(ttft_s: float | None, e2e_s: float | None,
                             completion_tokens: int | None) -> float | None:
    """``output_tps`` of one request (``speed_metrics``); None when undefined."""
    value = _one_row(ttft_s, e2e_s, completion_tokens)[1]
    return None if math.isnan(value) else float(value)


# ---------------------------------------------------------------------------------- what the tables show
def answering_model(r: Result) -> str:
    """The model whose reply ``r`` carries: ``r.answered_by``, or ``r.model`` when it was cleared after construction."""
    return r.model if r.answered_by is None else r.answered_by


def streamed_only(r: Result, name: str) -> float | None:
    """``ttft_s`` or ``ttfat_s`` as the tables show it: None unless the request was streamed. Without a stream the
    whole answer arrives at once, so the first token's time is not observed (DESIGN.md section 2 defines ttft as
    request sent → first non-empty token); a copy of ``e2e_s`` would pass for a measurement."""
    return getattr(r, name) if r.stream else None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: the last epoch second a table shows (the end of 9999); a stamp beyond it, negative, or not a number (a damaged
#: cache row) is shown as missing rather than failing the whole frame
_LAST_EPOCH_S = 253_402_300_799.0


def epoch_micros(value: Any) -> int | None:
    """Epoch seconds (``Result.created_at``) as whole microseconds; None when missing or out of range."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= _LAST_EPOCH_S:
        return None  # NaN fails the range test too
    return round(value * 1e6)


def timestamp(value: Any) -> datetime | None:
    """Epoch seconds as a timezone-aware UTC datetime (to the microsecond, as in the frames); None when unknown."""
    micros = epoch_micros(value)
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


# ---------------------------------------------------------------------------------- the column specification
@dataclass(frozen=True, slots=True)
class Column:
    """One DataFrame column: its name, how to read it off a Result, and its type in the frame.

    ``int``: nullable Int64 (None → <NA>); ``float``: float64 (None → NaN); ``object``: kept as read;
    ``speed``: float64 computed for the whole column at once by ``speed_metrics`` (``get`` serves one row);
    ``datetime``: timezone-aware UTC datetimes to the microsecond (None → NaT); ``stream_time``: float64, NaN
    unless the row streamed (``streamed_only``). The last three are built for the whole column at once.
    """

    name: str
    get: Callable[[Result], Any]
    kind: Literal["object", "int", "float", "speed", "datetime", "stream_time"] = "object"


def _error_field(name: str) -> Callable[[Result], Any]:
    def get(r: Result) -> Any:
        return None if r.error is None else getattr(r.error, name)

    return get


def _plain(*names: str) -> list[Column]:
    return [Column(name, attrgetter(name)) for name in names]


def _typed(kind: Literal["int", "float"], *names: str) -> list[Column]:
    return [Column(name, attrgetter(name), kind) for name in names]


def _stream_time(name: str) -> Column:
    return Column(name, lambda r: streamed_only(r, name), "stream_time")


#: what a researcher scans first, in this order: ``cmp.df`` and ``ev.df`` start with these columns, so a print at
#: any width shows them (the columns after the first 20 are named in a footer, see ``LeadColumnsFirst``)
LEAD_COLUMNS = ("model", "answered_by", "content", "ttft_s", "e2e_s", "prompt_tokens", "completion_tokens",
                "reasoning_tokens", "cost_usd", "error", "finish_reason", "stream")

#: Every column of ``Result.to_dict()``, ``cmp.df`` and ``ev.df``, in order (DESIGN.md section 1): LEAD_COLUMNS,
#: then the rest of the timings and usage, where the answer came from, the error's parts, and the bookkeeping.
COLUMNS: tuple[Column, ...] = (
    *_plain("model"),
    Column("answered_by", answering_model),
    *_plain("content"),
    _stream_time("ttft_s"),
    *_typed("float", "e2e_s"),
    *_typed("int", "prompt_tokens", "completion_tokens", "reasoning_tokens"),
    *_typed("float", "cost_usd"),
    Column("error", lambda r: None if r.error is None else str(r.error)),
    *_plain("finish_reason", "stream", "cached"),
    _stream_time("ttfat_s"),
    Column("itl_s", attrgetter("itl_s"), "speed"),
    Column("output_tps", attrgetter("output_tps"), "speed"),
    *_typed("int", "cached_tokens", "cache_write_tokens"),
    *_plain("cost_source", "provider", "api", "mode", "response_model", "reasoning"),
    Column("tool_calls", lambda r: [tc.to_dict() for tc in r.tool_calls]),
    *_plain("native_finish_reason"),
    Column("error_kind", _error_field("kind")),
    Column("error_status", _error_field("status"), "int"),
    Column("error_message", _error_field("message")),
    Column("error_retry_after_s", _error_field("retry_after_s"), "float"),
    Column("error_provider_code", _error_field("provider_code")),
    *_plain("attempts", "simulated", "request_id"),
    Column("created_at", lambda r: timestamp(r.created_at), "datetime"),
    Column("dropped_inputs", lambda r: list(r.dropped_inputs)),
    Column("unverified_inputs", lambda r: list(r.unverified_inputs)),
    Column("repaired", lambda r: list(r.repaired)),
    *_plain("route_reason", "logprobs", "batch_id", "custom_id"),
    *_typed("float", "batch_wait_s"),
)
COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in COLUMNS)


def score_columns_in(df: Any) -> list[str]:
    """The score columns of a results table, also one read back from a file: those ``df.attrs["score_columns"]``
    names (``ev.df`` and its parquet keep it), else the number or boolean columns where ``ev.df`` puts its scores:
    right after ``content`` (files written before the scores moved there: after the last Result column), and a
    column named ``score``. A frame with fewer than five Result columns is not a results table: only ``score``."""
    named = getattr(df, "attrs", {}).get("score_columns")
    if named:
        return [c for c in named if c in df]
    known = set(COLUMN_NAMES)
    names = [str(c) for c in df.columns]
    found = ["score"] if "score" in names and "score" not in known else []
    positions = [i for i, c in enumerate(names) if c in known]
    if len(positions) < 5:
        return found
    after_content = []
    if "content" in names:
        for name in names[names.index("content") + 1:]:
            if name in known:
                break
            after_content.append(name)
    for name in after_content + names[positions[-1] + 1:]:
        if name not in found and _is_score_like(df[name]):
            found.append(name)
    return found


def _is_score_like(column: Any) -> bool:
    """A column a scorer could have written: numbers or booleans (NaN allowed), not all empty."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return True
    if column.dtype != object or not column.notna().any():
        return False
    return bool(column.dropna().map(lambda v: isinstance(v, int | float | bool)).all())


def results_to_frame(results: Iterable[Result]) -> Any:
    """One row per Result, one column per ``COLUMNS`` entry: token counts as nullable Int64, times and cost
    as float (NaN when unknown), ``created_at`` as UTC datetimes. Built column by column with the garbage collector
    paused while the many small objects are made: about 2.5x faster than row dicts, which matters for 100,000-row
    evaluations. A ``ResultFrame``: it prints its leading columns (LEAD_COLUMNS) rather than hiding them."""
    import numpy as np
    import pandas as pd

    results = list(results)
    n = len(results)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        cols: dict[str, Any] = {}
        for column in COLUMNS:
            if column.kind == "speed":
                continue  # from the finished ttft/e2e/token columns, below
            if column.kind in ("datetime", "stream_time"):
                cols[column.name] = _whole_column(column, results)
                continue
            values = list(map(column.get, results))
            if column.kind == "int":
                mask = np.fromiter((v is None for v in values), dtype=bool, count=n)
                data = np.fromiter((0 if v is None else v for v in values), dtype=np.int64, count=n)
                cols[column.name] = pd.arrays.IntegerArray(data, mask)
            elif column.kind == "float":
                cols[column.name] = np.fromiter((np.nan if v is None else v for v in values), dtype=np.float64,
                                                count=n)
            else:
                cols[column.name] = values
        completion = cols["completion_tokens"].to_numpy(dtype=np.float64, na_value=np.nan)
        cols["itl_s"], cols["output_tps"] = speed_metrics(cols["ttft_s"], cols["e2e_s"], completion)
        return frame_of({name: cols[name] for name in COLUMN_NAMES})
    finally:
        if gc_was_enabled:
            gc.enable()


def _whole_column(column: Column, results: list[Result]) -> Any:
    """A ``datetime`` or ``stream_time`` column from the raw attribute, vectorized (the same values as ``get``)."""
    import numpy as np
    import pandas as pd

    n = len(results)
    raw = np.fromiter((v if v.__class__ is float else _as_float(v) for v in map(attrgetter(column.name), results)),
                      dtype=np.float64, count=n)
    if column.kind == "stream_time":
        raw[~np.fromiter((bool(r.stream) for r in results), dtype=bool, count=n)] = np.nan
        return raw
    valid = (raw >= 0) & (raw <= _LAST_EPOCH_S)  # NaN is neither
    micros = np.where(valid, np.round(np.where(valid, raw, 0.0) * 1e6), 0.0).astype(np.int64)
    micros[~valid] = np.iinfo(np.int64).min  # numpy's NaT
    return pd.to_datetime(micros.view("datetime64[us]"), utc=True)


def _as_float(value: Any) -> float:
    """A number as float; None, a bool or anything else (a damaged cache row) as NaN."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an int past float range
            return math.nan
    return math.nan


# ---------------------------------------------------------------------------------- the frame that prints its lead
#: how many leading columns a terminal print shows when they do not fit its width (Jupyter's max_columns)
TERMINAL_COLUMNS = 20


class LeadColumnsFirst:
    """How ``cmp.df`` and ``ev.df`` print (a mixin of a pandas DataFrame: ``self`` is the frame). pandas shows a
    wide frame's first and last columns with "..." between, which hid the times, tokens and cost among ~40 columns.
    This shows the leading columns instead (LEAD_COLUMNS come first), wrapped at the width, and names the columns
    left out: the first ``display.max_columns`` (20 in Jupyter), and in a terminal (where pandas drops columns to
    fit its width) the first TERMINAL_COLUMNS. A frame that fits prints exactly as pandas prints it."""

    @property
    def _constructor(self) -> Any:
        return type(self)  # selections, head() and copies of ev.df print the same way

    def _shown(self) -> int | None:
        """How many leading columns to show, wrapped at the width; None where pandas' own repr shows them all."""
        import pandas as pd

        max_cols = pd.get_option("display.max_columns")
        count = len(self.columns)
        if max_cols is None:
            return None
        if max_cols > 0:
            return max_cols if max_cols < count else None
        # a terminal: pandas fits the columns to its width by dropping middle ones; wrap them instead
        return None if self._fits(_terminal_width()) else min(count, TERMINAL_COLUMNS)

    def _fits(self, width: int) -> bool:
        """Whether every column fits on one line of ``width`` (pandas' terminal repr drops columns otherwise)."""
        import pandas as pd

        text = pd.DataFrame(self).to_string(max_rows=pd.get_option("display.max_rows"),
                                            min_rows=pd.get_option("display.min_rows"),
                                            max_colwidth=pd.get_option("display.max_colwidth"))
        return max(map(len, text.splitlines()), default=0) <= width

    def _left_out(self, shown: int) -> str:
        """The footer: the frame's size and the columns not shown (none: an empty string)."""
        hidden = [str(label) for label in self.columns[shown:]]
        if not hidden:
            return ""
        names = ", ".join(hidden[:6]) + (", …" if len(hidden) > 6 else "")
        return (f"[{len(self)} rows x {len(self.columns)} columns; {len(hidden)} not shown: {names} "
                "(df.columns lists them all; df.to_string() prints every column)]")

    def _leading(self, shown: int) -> Any:
        import pandas as pd

        return pd.DataFrame(self.iloc[:, :shown])

    def __repr__(self) -> str:
        shown = self._shown()
        if shown is None or self._info_repr():
            return super().__repr__()
        import textwrap

        import pandas as pd
        from pandas.io.formats.format import get_dataframe_repr_params

        params = {**get_dataframe_repr_params(), "max_cols": None, "show_dimensions": False}
        if pd.get_option("display.max_columns") == 0:  # a terminal: wrap at its width, as pandas fits to it
            params["line_width"] = _terminal_width()
        footer = textwrap.fill(self._left_out(shown), width=params.get("line_width") or 80)
        return self._leading(shown).to_string(**params) + (f"\n\n{footer}" if footer else "")

    def _repr_html_(self) -> str | None:
        shown = self._shown()
        if shown is None or self._info_repr():
            return super()._repr_html_()
        import html

        import pandas as pd

        with pd.option_context("display.max_columns", None, "display.show_dimensions", False):
            table = self._leading(shown)._repr_html_()
        footer = self._left_out(shown)
        return f"{table}<p>{html.escape(footer)}</p>" if footer else table


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size().columns


_LAZY_CLASSES: dict[tuple[str, str], type] = {}


def pandas_subclass(module: str, name: str, mixin: type, base: Literal["DataFrame", "Series"] = "DataFrame") -> type:
    """``mixin`` over a pandas class, made on first use (importing multimodel does not import pandas) and kept, so
    ``module.name`` finds it again (pickle does: each module using this answers its name in ``__getattr__``)."""
    key = (module, name)
    cls = _LAZY_CLASSES.get(key)
    if cls is None:
        import pandas as pd

        cls = type(name, (mixin, getattr(pd, base)), {"__module__": module, "__doc__": mixin.__doc__})
        _LAZY_CLASSES[key] = cls
    return cls


# ---------------------------------------------------------------------------------- attribution in older frames
#: columns of older releases that ``model`` (as requested) and ``answered_by`` replace; each still reads on a
#: ``ResultFrame`` (``cmp.df``, ``ev.df``), with a FutureWarning
LEGACY_ATTRIBUTION_COLUMNS = ("fallback_from", "requested_model")


class LegacyAttribution:
    """``cmp.df`` and ``ev.df`` (a mixin of a pandas DataFrame): the columns older releases had for a fallback's
    row, ``fallback_from`` and ``requested_model``, still read (derived from ``model`` and ``answered_by``), with a
    FutureWarning at the caller's line, so code written against them keeps working."""

    def _legacy_names(self, key: Any) -> list[str]:
        keys = [key] if isinstance(key, str) else key if isinstance(key, list) else []
        names = [k for k in keys if isinstance(k, str) and k in LEGACY_ATTRIBUTION_COLUMNS]
        if not names or not {"model", "answered_by"} <= set(self.columns):
            return []
        return [k for k in names if k not in self.columns]

    def _legacy_column(self, name: str) -> Any:
        warn_user(f"the column {name!r} is deprecated: 'model' is now always the model as requested and "
                  "'answered_by' the model that answered (they differ only when a fallback answered); "
                  f"{name!r} will stop working", FutureWarning)
        requested = super().__getitem__("model")
        if name == "requested_model":
            return requested.rename(name)
        answering = super().__getitem__("answered_by")
        answering = answering.where(answering.notna(), requested)
        return requested.astype(object).where(answering != requested, None).rename(name)

    def __getitem__(self, key: Any) -> Any:
        legacy = self._legacy_names(key)
        if not legacy:
            return super().__getitem__(key)
        if isinstance(key, str):
            return self._legacy_column(key)
        return self.assign(**{name: self._legacy_column(name) for name in legacy})[key]

    def __getattr__(self, name: str) -> Any:
        if name in LEGACY_ATTRIBUTION_COLUMNS and self._legacy_names(name):
            return self[name]
        return super().__getattr__(name)


class ResultColumns(LegacyAttribution, LeadColumnsFirst):
    """``cmp.df`` and ``ev.df``: a pandas DataFrame that prints its leading columns (LeadColumnsFirst) and still
    reads the attribution columns of older releases (LegacyAttribution)."""


def frame_of(columns: dict[str, Any]) -> Any:
    """A ``ResultFrame`` (a pandas DataFrame that prints its leading columns) of these columns, in this order."""
    return pandas_subclass(__name__, "ResultFrame", ResultColumns)(columns)


def __getattr__(name: str) -> Any:
    if name == "ResultFrame":
        return pandas_subclass(__name__, "ResultFrame", ResultColumns)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
