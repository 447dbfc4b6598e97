"""diff(): the same prompts through two endpoints (typically a gateway and the provider directly), compared.

Structure: the fields present in the raw responses (usage fields apart), the normalized usage fields that
came back, cost source, id formats, finish reasons, tool calls, reasoning, errors. Content: exact,
whitespace-normalized, and a difflib similarity ratio. ``DiffReport.df`` lists the differences only;
``DiffReport.pairs`` has one row per prompt with every comparison.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from multimodel.errors import ConfigError
from multimodel.probe.common import id_style, key_paths, raw_objects, snippet
from multimodel.transport import run_async, run_sync

if TYPE_CHECKING:

    from multimodel.client import Client
    from multimodel.request import PreparedRequest
    from multimodel.results import Result

DIFF_COLUMNS = ("prompt_index", "prompt", "aspect", "field", "a", "b", "detail")
_USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens")


def _norm_ws(text: str) -> str:
    return " ".join(text.split())


def _prompt_label(prompt: Any) -> str:
    if isinstance(prompt, str):
        return snippet(prompt, 60)
    if isinstance(prompt, list | tuple) and prompt and isinstance(prompt[-1], dict):
        return snippet(prompt[-1].get("content", ""), 60)
    return snippet(str(prompt), 60)


def _fields(result: Result) -> tuple[set[str], set[str]]:
    """(raw field paths outside usage, usage field paths) of a response, streamed or whole."""
    paths: set[str] = set()
    for obj in raw_objects(result):
        key_paths(obj, "", paths)
    usage = {p for p in paths if p == "usage" or p.startswith("usage.")}
    return paths - usage, usage


def _response_id(result: Result) -> str | None:
    for obj in raw_objects(result):
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            return obj["id"]
    return None


@dataclass(slots=True)
class _Side:
    result: Result
    raw_fields: set[str]
    usage_fields: set[str]

    @classmethod
    def of(cls, result: Result) -> _Side:
        raw, usage = _fields(result)
        return cls(result, raw, usage)

    def usage_present(self) -> list[str]:
        return [f for f in _USAGE_FIELDS if getattr(self.result, f) is not None]


class DiffReport:
    """The differences between two endpoints on the same prompts.

    ``df``: one row per difference (prompt_index, prompt, aspect = structure | content | error, field, a, b,
    detail). ``pairs``: one row per prompt with every comparison. ``results_a`` / ``results_b``: the Results.
    """

    def __init__(self, model_a: str, model_b: str, prompts: list[Any], results_a: list[Result],
                 results_b: list[Result], params: dict[str, Any]) -> None:
        import pandas as pd

        self.model_a, self.model_b = model_a, model_b
        self.prompts = prompts
        self.results_a, self.results_b = results_a, results_b
        self.params = params
        rows: list[dict[str, Any]] = []
        pairs: list[dict[str, Any]] = []
        for i, (p, ra, rb) in enumerate(zip(prompts, results_a, results_b, strict=True)):
            d_rows, pair = _compare(i, _prompt_label(p), _Side.of(ra), _Side.of(rb))
            rows += d_rows
            pairs.append(pair)
        self.df = pd.DataFrame.from_records(rows, columns=list(DIFF_COLUMNS))
        self.pairs = pd.DataFrame.from_records(pairs)
        self.simulated = any(r.simulated for r in (*results_a, *results_b))

    # ---------------------------------------------------------------- verdicts
    @property
    def structure_differs(self) -> bool:
        return bool((self.df["aspect"] == "structure").any())

    @property
    def content_differs(self) -> bool:
        return bool((self.df["aspect"] == "content").any())

    @property
    def errors_differ(self) -> bool:
        return bool((self.df["aspect"] == "error").any())

    @property
    def identical(self) -> bool:
        return self.df.empty

    def fields_differing(self, aspect: str | None = None) -> list[str]:
        df = self.df if aspect is None else self.df[self.df["aspect"] == aspect]
        return list(dict.fromkeys(df["field"]))

    def summary(self) -> str:
        """A few lines: which structural fields differ on how many prompts, and how the content compares."""
        n = len(self.prompts)
        head = f"diff {self.model_a} (a) vs {self.model_b} (b): {n} prompt(s)" + (
            " [SIMULATED]" if self.simulated else "")
        lines = [head]
        if self.df.empty:
            lines.append("no differences: same structure and identical content")
            return "\n".join(lines)
        for aspect in ("error", "structure"):
            sub = self.df[self.df["aspect"] == aspect]
            for field, grp in sub.groupby("field", sort=False):
                first = grp.iloc[0]
                lines.append(f"{aspect}: {field} differs on {grp['prompt_index'].nunique()}/{n} prompt(s), "
                             f"e.g. a={snippet(first['a'], 70)} | b={snippet(first['b'], 70)}")
        p = self.pairs
        ok = p[p["content_compared"]]
        if len(ok):
            exact = int(ok["content_exact"].sum())
            ws = int((~ok["content_exact"] & ok["content_normalized_equal"]).sum())
            lines.append(f"content: identical on {exact}/{len(ok)}, whitespace-only differences on {ws}, different "
                         f"on {len(ok) - exact - ws}; similarity mean {ok['similarity'].mean():.3f}, "
                         f"min {ok['similarity'].min():.3f}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<DiffReport {self.model_a} vs {self.model_b}: {len(self.df)} difference(s) over " \
               f"{len(self.prompts)} prompt(s)>"

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.summary())}</pre>" + self.df.to_html(index=False)


def _joined(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _compare(i: int, label: str, a: _Side, b: _Side) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    ra, rb = a.result, b.result
    rows: list[dict[str, Any]] = []

    def add(aspect: str, field: str, va: Any, vb: Any, detail: str = "") -> None:
        rows.append({"prompt_index": i, "prompt": label, "aspect": aspect, "field": field, "a": str(va),
                     "b": str(vb), "detail": detail})

    ea = f"{ra.error.kind} {ra.error.status}" if ra.error else None
    eb = f"{rb.error.kind} {rb.error.status}" if rb.error else None
    if ea != eb:
        add("error", "error", ea, eb, snippet((ra.error or rb.error).message, 120))  # type: ignore[union-attr]
    both_ok = ra.error is None and rb.error is None

    only_a, only_b = sorted(a.raw_fields - b.raw_fields), sorted(b.raw_fields - a.raw_fields)
    if both_ok and (only_a or only_b):
        add("structure", "raw fields", _joined(only_a) or "-", _joined(only_b) or "-",
            "fields present in one raw response only (a | b)")
    u_a, u_b = sorted(a.usage_fields - b.usage_fields), sorted(b.usage_fields - a.usage_fields)
    if both_ok and (u_a or u_b):
        add("structure", "usage fields", _joined(u_a) or "-", _joined(u_b) or "-",
            "usage fields present in one response only (a | b)")
    if both_ok and a.usage_present() != b.usage_present():
        add("structure", "normalized usage", _joined(a.usage_present()), _joined(b.usage_present()),
            "token counts the client could read")
    if both_ok and ra.cost_source != rb.cost_source:
        add("structure", "cost_source", ra.cost_source, rb.cost_source, "provider-reported vs price table")
    ida, idb = id_style(_response_id(ra)), id_style(_response_id(rb))
    if both_ok and ida != idb:
        add("structure", "response id format", ida, idb, f"{_response_id(ra)} | {_response_id(rb)}")
    if both_ok and ra.finish_reason != rb.finish_reason:
        add("structure", "finish_reason", ra.finish_reason, rb.finish_reason, "normalized")
    if both_ok and ra.native_finish_reason != rb.native_finish_reason:
        add("structure", "native finish_reason", ra.native_finish_reason, rb.native_finish_reason, "as sent")
    names_a, names_b = [c.name for c in ra.tool_calls], [c.name for c in rb.tool_calls]
    if both_ok and names_a != names_b:
        add("structure", "tool_calls", names_a, names_b, "tool call names")
    tid_a = sorted({id_style(c.id) for c in ra.tool_calls})
    tid_b = sorted({id_style(c.id) for c in rb.tool_calls})
    if both_ok and names_a and names_b and tid_a != tid_b:
        add("structure", "tool call id format", tid_a, tid_b)
    if both_ok and bool(ra.reasoning) != bool(rb.reasoning):
        add("structure", "reasoning", "returned" if ra.reasoning else "none", "returned" if rb.reasoning else "none")

    exact = norm_eq = False
    similarity = float("nan")
    if both_ok:
        ca, cb = ra.content or "", rb.content or ""
        exact = ca == cb
        norm_eq = _norm_ws(ca) == _norm_ws(cb)
        similarity = difflib.SequenceMatcher(None, ca, cb, autojunk=False).ratio()
        if not exact:
            how = "whitespace only" if norm_eq else f"similarity {similarity:.3f}"
            add("content", "content", snippet(ca, 80), snippet(cb, 80), how)
        args_a = [c.arguments_raw for c in ra.tool_calls]
        args_b = [c.arguments_raw for c in rb.tool_calls]
        if names_a == names_b and args_a != args_b:
            add("content", "tool call arguments", snippet(args_a, 80), snippet(args_b, 80))
    pair = {
        "prompt_index": i, "prompt": label,
        "error_a": ea, "error_b": eb,
        "finish_reason_a": ra.finish_reason, "finish_reason_b": rb.finish_reason,
        "native_finish_reason_a": ra.native_finish_reason, "native_finish_reason_b": rb.native_finish_reason,
        "tool_calls_a": len(ra.tool_calls), "tool_calls_b": len(rb.tool_calls),
        "raw_fields_only_a": len(only_a), "raw_fields_only_b": len(only_b),
        "usage_fields_only_a": _joined(u_a), "usage_fields_only_b": _joined(u_b),
        "cost_source_a": ra.cost_source, "cost_source_b": rb.cost_source,
        "content_compared": both_ok, "content_exact": exact, "content_normalized_equal": norm_eq,
        "similarity": similarity,
    }
    return rows, pair


def _prompts(prompts: Any) -> list[Any]:
    if isinstance(prompts, str):
        return [prompts]
    if isinstance(prompts, list | tuple) and prompts and all(isinstance(m, dict) for m in prompts):
        return [list(prompts)]  # one messages list
    out = list(prompts)
    if not out:
        raise ConfigError("diff() needs at least one prompt")
    return out


def _prepare(client: Client, model_a: str, model_b: str, prompts: list[Any],
             params: dict[str, Any]) -> list[tuple[PreparedRequest, PreparedRequest]]:
    params = {"cache": False, **params}
    return [(client.prepare(model_a, p, **params), client.prepare(model_b, p, **params)) for p in prompts]


async def _run(client: Client, plan: list[tuple[PreparedRequest, PreparedRequest]]) -> list[Result]:
    return list(await asyncio.gather(*[client.runner.execute(r) for pair in plan for r in pair]))


def _report(model_a: str, model_b: str, prompts: list[Any], results: list[Result],
            params: dict[str, Any]) -> DiffReport:
    return DiffReport(model_a, model_b, prompts, results[0::2], results[1::2], params)


def diff(client: Client, model_a: str, model_b: str, prompts: Any, **params: Any) -> DiffReport:
    """Send the same prompts to two endpoints and compare structure and content (see DiffReport).

    ``prompts``: a string, a messages list, or a list of either. ``params`` go to ``Client.prepare`` for both
    (stream, reasoning, tools, temperature, seed, ...); the cache is off unless ``cache=True`` is passed.
    """
    prompts = _prompts(prompts)
    plan = _prepare(client, model_a, model_b, prompts, params)
    return _report(model_a, model_b, prompts, run_sync(_run(client, plan)), params)


async def adiff(client: Client, model_a: str, model_b: str, prompts: Any, **params: Any) -> DiffReport:
    """Async twin of diff()."""
    prompts = _prompts(prompts)
    plan = _prepare(client, model_a, model_b, prompts, params)
    return _report(model_a, model_b, prompts, await run_async(_run(client, plan)), params)


__all__ = ["DiffReport", "adiff", "diff"]
