"""The data behind the results browser: an evaluation's or a comparison's frame as a compact, column-wise payload
that the browser's script reads (``results_payload``), and the frame's roles (scores, prompt columns, metrics).

Nothing here renders: ``browse.py`` wraps the payload in HTML. Columns are looked up by name, never by position,
and any of them may be missing (a filtered or hand-made frame, a CSV read back); token counts may be nullable
integers, ``ttft_s`` empty when not streamed, and ``created_at`` a float epoch or a datetime.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from multimodel.errors import ConfigError
from multimodel.notebook.html import attribution, prompt_text
from multimodel.results import COLUMN_NAMES, LEGACY_ATTRIBUTION_COLUMNS, score_columns_in

#: columns an evaluation adds in front of the Result columns (evaluation.py, ``Evaluation._build_frame``)
IDENTITY_COLUMNS = ("prompt_index", "repeat", "prompt", "messages")
#: numeric columns the browser can sort by: (column, label, format); formats are read by the script
METRICS: tuple[tuple[str, str, str], ...] = (
    ("e2e_s", "total", "s"),
    ("ttft_s", "TTFT", "s"),
    ("ttfat_s", "first answer token", "s"),
    ("itl_s", "inter-token latency", "s"),
    ("output_tps", "tok/s", "tps"),
    ("prompt_tokens", "input tokens", "int"),
    ("completion_tokens", "output tokens", "int"),
    ("reasoning_tokens", "reasoning tokens", "int"),
    ("cached_tokens", "cached tokens", "int"),
    ("cost_usd", "cost", "usd"),
    ("attempts", "attempts", "int"),
    ("created_at", "created", "time"),
)
#: text columns shown on a row's card (beside content, reasoning, tool calls and the error)
DETAIL_TEXT = ("provider", "response_model", "finish_reason", "cost_source", "request_id", "route_reason")
DEFAULT_MAX_CHARS = 20_000
DEFAULT_MAX_ROWS = 20_000


# ---------------------------------------------------------------------------------------------- cell values
def missing(value: Any) -> bool:
    """None, NaN, pandas NA/NaT: a cell with nothing in it (a list or an array is never missing)."""
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict):
        return False
    import pandas as pd

    try:
        found = pd.isna(value)
    except (TypeError, ValueError):
        return False
    return found if isinstance(found, bool) else bool(found) if getattr(found, "ndim", 1) == 0 else False


def text_or_none(value: Any) -> str | None:
    return None if missing(value) else str(value)


def numbers(column: Any) -> list[float | None]:
    """A column as JSON-ready numbers: nullable integers, floats and bools as float, anything else (and NaN) None."""
    import pandas as pd

    values = pd.to_numeric(pd.Series(column).astype(object), errors="coerce").to_numpy(dtype=float, na_value=math.nan)
    return [v if math.isfinite(v) else None for v in values.tolist()]


def epoch_seconds(column: Any) -> tuple[list[float | None], list[str | None]]:
    """``created_at`` as (epoch seconds for sorting, text for reading): a float epoch is shown in UTC, a datetime
    as it is (with its time zone when it has one)."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        stamps = pd.to_datetime(pd.to_numeric(column, errors="coerce"), unit="s", utc=True)
    else:
        stamps = pd.to_datetime(column, errors="coerce", utc=False, format="mixed")
    seconds: list[float | None] = []
    shown: list[str | None] = []
    for ts in stamps:
        if missing(ts):
            seconds.append(None)
            shown.append(None)
            continue
        aware = ts.tzinfo is not None
        seconds.append((ts if aware else ts.tz_localize("UTC")).timestamp())
        shown.append(ts.strftime("%Y-%m-%d %H:%M:%S") + (f" {ts.tzname()}" if aware else ""))
    return seconds, shown


def tool_call_pairs(value: Any) -> list[list[str]] | None:
    """Tool calls from a frame cell (list of dicts, an array, or JSON text from an export) as [name, arguments]
    pairs, the arguments pretty-printed when they parsed; None when there are none."""
    if isinstance(value, str):
        if not value.lstrip().startswith("["):
            return None
        try:
            value = json.loads(value)
        except ValueError:
            return [["(unreadable tool calls)", value]]
    if hasattr(value, "tolist") and not isinstance(value, list | tuple):
        value = value.tolist()
    if not isinstance(value, list | tuple) or not value:
        return None
    out = []
    for call in value:
        if isinstance(call, Mapping):
            name, args, raw = call.get("name"), call.get("arguments"), call.get("arguments_raw")
        else:
            name, args, raw = getattr(call, "name", ""), getattr(call, "arguments", None), getattr(
                call, "arguments_raw", "")
        shown = json.dumps(args, ensure_ascii=False, indent=2) if isinstance(args, Mapping) else str(raw or "")
        out.append([str(name or ""), shown])
    return out


def clip(text: str | None, max_chars: int | None, label: str) -> str | None:
    """Long text cut at ``max_chars`` with a note saying how much is left out and where the whole text is."""
    if text is None or max_chars is None or len(text) <= max_chars:
        return text
    return (f"{text[:max_chars]}\n\n[… {len(text) - max_chars:,} more characters not shown here; the whole text is "
            f"in the DataFrame, row {label}]")


# ---------------------------------------------------------------------------------------------- the frame's roles
@dataclass
class FrameRoles:
    """Which columns of a results frame are scores, which carried prompt columns (``expected``, ``task``), and
    the prompt shared by every row of a comparison (which has no prompt column)."""

    scores: list[str]
    extras: list[str]
    prompt: Any = None
    simulated: bool = False
    title: str = ""
    notes: list[str] = field(default_factory=list)


def known_columns() -> set[str]:
    """Result and identity columns, and the attribution columns of older releases' frames (read by ``attribution``):
    none of them a score or a carried prompt column."""
    return {*COLUMN_NAMES, *IDENTITY_COLUMNS, *LEGACY_ATTRIBUTION_COLUMNS, "itl_s", "output_tps"}


def frame_roles(df: Any, *, scores: Sequence[str] | None = None, prompt: Any = None, simulated: bool = False,
                title: str = "") -> FrameRoles:
    """Score columns: ``scores`` when given (each must exist), else the numeric columns that are neither a Result
    column nor an evaluation's identity column; the other extra columns are carried prompt columns."""
    import pandas as pd

    if "model" not in df.columns:
        raise ConfigError(f"a results frame needs a 'model' column (ev.df or cmp.df); this one has {list(df.columns)}")
    known = known_columns()
    extra = [c for c in df.columns if c not in known and isinstance(c, str) and not c.startswith("_")]
    if scores is None and df.attrs.get("score_columns"):
        found = score_columns_in(df)  # ev.df, or its parquet: the scorers' own columns, as the report finds them
    elif scores is None:
        found = [c for c in extra if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    else:
        if isinstance(scores, str):
            scores = [scores]
        absent = [s for s in scores if s not in df.columns]
        if absent:
            raise ConfigError(f"score column(s) {absent} are not in the frame; its columns are {list(df.columns)}")
        found = list(scores)
    if "simulated" in df.columns:
        simulated = simulated or bool(df["simulated"].fillna(False).astype(bool).any())
    return FrameRoles(scores=found, extras=[c for c in extra if c not in found], prompt=prompt, simulated=simulated,
                      title=title)


def row_prompts(df: Any, shared_prompt: Any = None) -> list[str]:
    """Each row's prompt as readable text: its ``messages`` when set, else its ``prompt``, else the shared one."""
    n = len(df)
    shared = prompt_text(shared_prompt) if shared_prompt is not None else ""
    messages = df["messages"].tolist() if "messages" in df.columns else [None] * n
    prompts = df["prompt"].tolist() if "prompt" in df.columns else [None] * n
    out = []
    for m, p in zip(messages, prompts, strict=True):
        value = m if not _absent(m) else p
        out.append(shared if _absent(value) else prompt_text(value))
    return out


def _absent(value: Any) -> bool:
    return value is None or (not isinstance(value, list | tuple | dict | str) and missing(value))


class Interner:
    """Strings stored once and referred to by number: prompts repeat once per model and repeat, models per row."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.values: list[str] = []

    def __call__(self, value: str | None) -> int | None:
        if value is None:
            return None
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.values)
            self.values.append(value)
        return found


# ---------------------------------------------------------------------------------------------- the payload
def check_size(df: Any, max_rows: int | None) -> None:
    if max_rows is not None and len(df) > max_rows:
        raise ConfigError(
            f"{len(df):,} rows is more than max_rows={max_rows:,} for one browser (every row travels inside the "
            "notebook's output); browse a part, e.g. browse(ev.df[ev.df['model'] == 'openai/gpt-5.4']) or "
            "browse(ev.df.sample(5000, random_state=0)), or pass max_rows= to take them all")


def results_payload(df: Any, roles: FrameRoles, *, max_chars: int | None = DEFAULT_MAX_CHARS,
                    texts: Interner | None = None) -> dict[str, Any]:
    """The frame as columns the browser's script reads: numbers as numbers (NaN as null), repeated strings stored
    once (``texts``, shared with another payload when given), nested tool calls as [name, arguments] pairs."""
    texts = texts if texts is not None else Interner()
    labels = [str(label) for label in df.index]
    prompts = row_prompts(df, roles.prompt)
    prompt_ids = _prompt_groups(df, prompts)
    requested, answering = (column.astype(str).tolist() for column in attribution(df))
    cols: dict[str, Any] = {
        "_label": labels,  # our own keys start with "_", which no carried column does
        "prompt": [texts(p) for p in prompts],
        "_group": prompt_ids,
        "model": [texts(m) for m in requested],  # as requested: a fallback's answer stands in its model's place
        "answered_by": [texts(a) if a != m else None for m, a in zip(requested, answering, strict=True)],
        "repeat": _repeats(df, prompt_ids, requested),
        "content": _texts(df, "content", texts, labels, max_chars),
        "reasoning": _texts(df, "reasoning", texts, labels, max_chars),
        "error_kind": _texts(df, "error_kind", texts, labels, None),
        "error_message": _texts(df, "error_message", texts, labels, max_chars),
        "error_status": numbers(df["error_status"]) if "error_status" in df.columns else [None] * len(df),
        "_tools": [tool_call_pairs(v) for v in df["tool_calls"]] if "tool_calls" in df.columns else [None] * len(df),
        "cached": _flags(df, "cached"),
        "simulated": _flags(df, "simulated"),
        "stream": _flags(df, "stream"),
    }
    for name in DETAIL_TEXT:
        if name in df.columns:
            cols[name] = _texts(df, name, texts, labels, None)
    metrics = []
    for name, label, fmt in METRICS:
        if name not in df.columns:
            continue
        if fmt == "time":
            cols[name], cols["_created_at_text"] = epoch_seconds(df[name])
        else:
            cols[name] = numbers(df[name])
        metrics.append({"key": name, "label": label, "fmt": fmt})
    for name in roles.scores:
        cols[name] = numbers(df[name])
    for name in roles.extras:
        cols[name] = [texts(_extra_text(v)) for v in df[name]]
    return {
        "n": len(df), "cols": cols, "metrics": metrics, "scores": list(roles.scores), "extras": list(roles.extras),
        "choices": {name: _choices(cols[name], texts, len(set(prompt_ids))) for name in roles.extras},
        "texts": texts.values,
        "simulated": roles.simulated, "title": roles.title, "notes": list(roles.notes),
    }


def _texts(df: Any, name: str, texts: Interner, labels: list[str], max_chars: int | None) -> list[int | None]:
    if name not in df.columns:
        return [None] * len(df)
    return [texts(clip(text_or_none(v), max_chars, label)) for v, label in zip(df[name], labels, strict=True)]


def _flags(df: Any, name: str) -> list[bool]:
    if name not in df.columns:
        return [False] * len(df)
    return [not missing(v) and bool(v) for v in df[name]]


def _extra_text(value: Any) -> str | None:
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return text_or_none(value)


def _repeats(df: Any, groups: list[int], models: list[str]) -> list[int]:
    """Each row's repeat: the ``repeat`` column, else the how-manieth answer of its model (as requested) to its
    prompt (frames of several runs stacked without one)."""
    if "repeat" in df.columns:
        return [0 if missing(v) else int(v) for v in df["repeat"]]
    seen: dict[tuple[int, str], int] = {}
    out = []
    for group, model in zip(groups, models, strict=True):
        key = (group, str(model))
        out.append(seen.get(key, 0))
        seen[key] = out[-1] + 1
    return out


def _prompt_groups(df: Any, prompts: list[str]) -> list[int]:
    """One number per distinct prompt (its ``prompt_index`` and text together: two evaluations' frames stacked
    reuse the same indexes for other prompts), in order of first appearance."""
    indexes = df["prompt_index"].tolist() if "prompt_index" in df.columns else [None] * len(df)
    seen: dict[tuple[Any, str], int] = {}
    return [seen.setdefault((None if missing(i) else i, p), len(seen)) for i, p in zip(indexes, prompts, strict=True)]


def _choices(ids: Iterable[int | None], texts: Interner, prompts: int) -> list[str] | None:
    """The values of a carried column worth a drop-down filter: a category shared by several prompts (``task``),
    at most 40 of them; not a column with a value per prompt (``expected``)."""
    distinct = {i for i in ids if i is not None}
    if not distinct or len(distinct) > 40 or len(distinct) >= max(prompts, 2):
        return None
    return sorted((texts.values[i] for i in distinct), key=str.casefold)


def to_script_json(payload: Mapping[str, Any]) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` survive literally, so a
    model's ``</script>`` cannot close the element; NaN becomes null."""
    import orjson

    text = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
