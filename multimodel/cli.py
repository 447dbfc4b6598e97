"""``multimodel`` command line: compare models on a prompt, run the demo, evaluate, report, serve the simulator."""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import re
import shutil
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from multimodel.options import ON_UNSUPPORTED, REASONING_LEVELS, OnUnsupported

DEMO_MODELS = [
    "openai/gpt-5.4",
    "anthropic/claude-sonnet-4-6",
    "gemini/gemini-3-flash-preview",
    "xai/grok-3-mini",
    "deepseek/deepseek-flash",
]
DEMO_PROMPT = "Why is the sky blue? Answer in two sentences."

EXAMPLES = """examples:
  multimodel demo                                  five providers, simulated unless all keys are set
  multimodel compare "Why is the sky blue?" -m openai/gpt-5.4 -m deepseek/deepseek-flash --stream
  multimodel compare "2+2?" -m xai/grok-3-mini --reasoning high --stream --simulated
  multimodel eval data/eval_prompts.csv -m openai/gpt-5.4-mini -m xai/grok-3-mini --scorer contains \\
      --out out/results.parquet --html out/report.html --simulated
  multimodel eval data/eval_prompts.csv -m openai/gpt-5.4-mini -m anthropic-messages/claude-haiku-4-5 --batch \\
      --out out/batch.parquet --simulated         half price by the Batch APIs; the plan is printed first
  multimodel report out/results.parquet --html out/report.html
  multimodel probe openrouter/deepseek/deepseek-v4-flash deepseek/deepseek-flash --simulated
  multimodel compare "What is in this picture?" --image examples/cat.png -m openai/gpt-5.4 -m xai/grok-4.3
  multimodel compare "What do you hear?" --audio examples/clip.wav -m auto:2 --simulated
  multimodel capabilities anthropic/claude-sonnet-4-6 gemini/gemini-3-flash-preview
  multimodel models anthropic --live              the catalogue, against the provider's own /models
  multimodel sim --port 8787                       serve the simulator for other tools

without the providers' API keys, demo uses the simulator; compare, eval, probe and models --live stop and
name the missing keys: add --simulated (or set MULTIMODEL_SIMULATE=1) to run them against the simulator.
"""
SCORERS = ("exact_match", "contains", "numeric", "valid_json", "regex:PATTERN")
SIMULATE_ENV = "MULTIMODEL_SIMULATE"
#: subcommands that send nothing to a provider, so --simulated means nothing to them: why, for the error
SENDS_NOTHING = {
    "capabilities": "reads multimodel's built-in capability tables",
    "report": "reads a results file",
    "sim": "is the simulator itself",
}
SUMMARY_COLUMNS = ["model", "finish_reason", "ttft_s", "e2e_s", "prompt_tokens", "completion_tokens",
                   "reasoning_tokens", "cost_usd", "error_kind"]


# ---------------------------------------------------------------------- real providers or the simulator
def _simulator_forced(flag: bool) -> tuple[str, str] | None:
    """Why this run uses the simulator and how to ask the real models instead (``--simulated`` or
    MULTIMODEL_SIMULATE=1), or None."""
    if flag:
        return "--simulated", "Run without --simulated to ask the real models (their API keys must be set)."
    if os.environ.get(SIMULATE_ENV, "").strip() == "1":
        return f"{SIMULATE_ENV}=1 is set", f"Unset {SIMULATE_ENV} to ask the real models."
    return None


def _print_simulated_banner(reason: tuple[str, str]) -> None:
    why, fix = reason
    print("=" * 78)
    print(f"SIMULATED RUN ({why}): answers come from multimodel's built-in simulator, not real models.")
    print(fix)
    print("=" * 78)


def _key_names(cfg: Any) -> str:
    return " or ".join(cfg.api_key_env) or f"an api_key in its provider entry ({cfg.name})"


def _require_keys(client: Any, models: Sequence[str], command: str) -> None:
    """Stop before anything is sent when a provider the models name has no API key: name each missing variable,
    and say how to run against the simulator instead (what a newcomer without keys wants to know)."""
    import multimodel as mm

    fix = (f"add --simulated to run `multimodel {command}` against the built-in simulator instead "
           f"({SIMULATE_ENV}=1 does the same)")
    if any(m.startswith("auto") for m in models):
        if not any(cfg.has_key() for cfg in client.providers.values()):
            wanted = ", ".join(_key_names(cfg) for name, cfg in client.providers.items() if cfg.api_key_env)
            raise mm.ConfigError(f"no provider has an API key, so {models[0]} has nothing to route to: set at least "
                                 f"one of {wanted}, or {fix}")
        return
    missing: dict[str, str] = {}
    for model in models:
        cfg = client.providers.get(model.split("/", 1)[0])
        if cfg is not None and not cfg.has_key():  # an unknown provider gets the client's own error
            missing[cfg.name] = _key_names(cfg)
    if missing:
        listed = " and ".join(f"{name} (set {names})" for name, names in missing.items())
        raise mm.ConfigError(f"no API key for {listed}: set {'it' if len(missing) == 1 else 'them'}, or {fix}")


def _client(simulated: bool, models: Sequence[str], command: str, *, cache: str | bool | None = None) -> Any:
    """The simulator's client (announced by a banner) when asked for, else the real providers' with every key the
    models need; ``cache`` None is the user cache directory for real providers and none for the simulator."""
    import multimodel as mm

    reason = _simulator_forced(simulated)
    if reason is not None:
        _print_simulated_banner(reason)
        return mm.Client.simulated(cache=False if cache is None else cache)
    client = mm.Client(cache=cache)
    _require_keys(client, models, command)
    return client


# ---------------------------------------------------------------------- compare: the table, and streaming
def _print_table(cmp: Any) -> None:
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:.4g}".format):
        print(cmp.df[[c for c in SUMMARY_COLUMNS if c in cmp.df]].to_string(index=False))


def _print_answers(cmp: Any) -> None:
    """Each model's answer, shortened: what the non-streaming compare prints under its table."""
    for r in cmp.results:
        print(f"--- {r.model}" + (" [simulated]" if r.simulated else ""))
        if r.error:
            print(f"    ERROR {r.error}")
            continue
        if r.reasoning:
            text = r.reasoning.replace("\n", " ")
            print(f"    reasoning: {text[:160]}{'...' if len(text) > 160 else ''}")
        print(f"    {r.content.strip()[:400]}")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # model text must not move the cursor or recolour


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\t", "    "))


def _take_lines(buffer: str, width: int) -> tuple[list[str], str]:
    """Whole lines (at newlines, or wrapped at a space before ``width``) off the front of ``buffer``; the rest
    waits for more text."""
    lines = []
    width = max(1, width)  # at least one character a line, or the loop never takes any
    while True:
        newline = buffer.find("\n")
        if 0 <= newline <= width:
            lines.append(buffer[:newline])
            buffer = buffer[newline + 1:]
        elif len(buffer) > width:
            cut = buffer.rfind(" ", 0, width + 1)
            lines.append(buffer[:cut] if cut > 0 else buffer[:width])
            buffer = buffer[cut + 1:] if cut > 0 else buffer[width:]
        else:
            return lines, buffer


def _labels(models: Sequence[str]) -> list[str]:
    """Short names for the line prefixes: the model id alone where no other model shares it, else the whole
    string (numbered when the same model is asked twice), middle cut past 32 characters."""
    ids = [m.rsplit("/", 1)[-1] for m in models]
    labels = []
    for i, (model, model_id) in enumerate(zip(models, ids, strict=True)):
        if models.count(model) > 1:
            labels.append(f"{model}#{i + 1}")
        else:
            labels.append(model_id if ids.count(model_id) == 1 else model)
    # at most 32 characters, so a long name still leaves the terminal room for the text
    return [label if len(label) <= 32 else label[:15] + "…" + label[-16:] for label in labels]


def _numbers(r: Any) -> str:
    """A finished model's timings, tokens and cost, in one short phrase."""
    parts = []
    if r.e2e_s is not None:
        parts.append(f"{r.e2e_s:.2f} s")
    if r.completion_tokens is not None:
        parts.append(f"{r.completion_tokens:,} tokens")
    if r.cost_usd == r.cost_usd:  # not NaN
        parts.append(f"${r.cost_usd:.6f}")
    if r.cached:
        parts.append("from the cache")
    return " · ".join(parts)


class _StreamPrinter:
    """``compare --stream`` on the terminal. In a terminal each model's text appears line by line as it streams,
    prefixed by the model (``│`` answer, ``┆`` reasoning), and one line says when each model finishes; piped to a
    file or another program, each model's whole answer is printed once it completes, in the order they finish.

    ``on_delta`` and ``finish`` run on the I/O thread, so they only queue: a printer thread writes, and a slow
    terminal never delays the stream (or its timings)."""

    def __init__(self, models: Sequence[str], *, out: TextIO, interactive: bool) -> None:
        self.out = out
        self.interactive = interactive
        self.labels = _labels(models)
        self.width = max(40, shutil.get_terminal_size((100, 24)).columns)
        self.pad = max(len(label) for label in self.labels)
        self.glyphs = self._glyphs(out)
        self.color = interactive and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        self.buffers = [{"reasoning": "", "content": ""} for _ in models]
        self.streamed = ["" for _ in models]  # the answer text printed so far, per model
        self.last_kind: list[str | None] = [None for _ in models]
        self.queue: queue.SimpleQueue[tuple[int, str | None, Any] | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="multimodel-cli-stream", daemon=True)
        self.thread.start()

    @staticmethod
    def _glyphs(out: TextIO) -> dict[str, str]:
        try:
            "│┆✓✗·".encode(getattr(out, "encoding", None) or "utf-8")
        except (UnicodeEncodeError, LookupError):
            return {"content": "|", "reasoning": ":", "done": "+", "failed": "x"}
        return {"content": "│", "reasoning": "┆", "done": "✓", "failed": "✗"}

    # called on the I/O thread
    def on_delta(self, index: int, kind: str, text: str) -> None:
        self.queue.put((index, kind, text))

    def finish(self, index: int, result: Any) -> None:
        self.queue.put((index, None, result))

    def close(self, comparison: Any = None) -> None:
        """Print what is still buffered and stop the printer thread (compare() passes the finished comparison)."""
        self.queue.put(None)
        self.thread.join()

    # the printer thread
    def _run(self) -> None:
        broken = False  # the reader went away (a closed pipe): keep draining, stop writing
        while (item := self.queue.get()) is not None:
            index, kind, payload = item
            if broken:
                continue
            try:
                if kind is None:
                    self._finished(index, payload)
                elif self.interactive and kind in ("content", "reasoning"):
                    self._delta(index, kind, _clean(payload))
                self.out.flush()
            except OSError:  # the reader went away; text the terminal cannot show is replaced, not fatal (main)
                broken = True

    def _prefix(self, index: int, mark: str) -> str:
        label = self.labels[index].ljust(self.pad)
        if self.color:
            code = (36, 35, 33, 32, 34, 94)[index % 6]  # no red: red reads as an error
            label = f"\x1b[1;{code}m{label}\x1b[0m"
        return f"{label} {mark} "

    def _write_lines(self, index: int, kind: str, lines: list[str]) -> None:
        prefix = self._prefix(index, self.glyphs[kind])
        dim = ("\x1b[2m", "\x1b[0m") if self.color and kind == "reasoning" else ("", "")
        for line in lines:
            self.out.write(f"{prefix}{dim[0]}{line}{dim[1]}\n")

    def _delta(self, index: int, kind: str, text: str) -> None:
        last = self.last_kind[index]
        if last is not None and last != kind and self.buffers[index][last]:  # reasoning done: its tail first
            self._write_lines(index, last, [self.buffers[index][last]])
            self.buffers[index][last] = ""
        self.last_kind[index] = kind
        if kind == "content":
            self.streamed[index] += text
        lines, self.buffers[index][kind] = _take_lines(self.buffers[index][kind] + text, self.width - self.pad - 3)
        self._write_lines(index, kind, lines)

    def _finished(self, index: int, r: Any) -> None:
        if not self.interactive:
            self._block(r)
            return
        for kind in ("reasoning", "content"):
            if self.buffers[index][kind]:
                self._write_lines(index, kind, [self.buffers[index][kind]])
                self.buffers[index][kind] = ""
        content = _clean(r.content or "")
        # a cache replay, or a stream restarted by a retry: what streamed is not the answer, so show the answer
        if content.split() != self.streamed[index].split() and (content or r.error is None):
            if self.streamed[index]:
                self._write_lines(index, "content", ["the answer as returned:"])
            answer = _take_lines(content + "\n", self.width - self.pad - 3)[0] if content else ["(empty)"]
            self._write_lines(index, "content", answer)
        if r.error is not None:
            summary = f"{self.glyphs['failed']} failed: {r.error}"
        else:
            summary = f"{self.glyphs['done']} done ({r.finish_reason or 'no finish reason'}): {_numbers(r)}"
            summary += " [simulated]" if r.simulated else ""
        self.out.write(f"{self._prefix(index, ' ')}{_clean(summary)}\n")

    def _block(self, r: Any) -> None:
        """A finished model's whole answer, for output that is not a terminal: its lines as they are (code keeps
        its indentation), indented under a header line."""

        def indented(text: str, first: str = "") -> None:
            for n, line in enumerate(_clean(text).strip("\n").split("\n")):
                self.out.write(f"    {first if n == 0 else ''}{line}".rstrip() + "\n")

        numbers = _numbers(r)
        self.out.write(f"--- {r.model}" + (" [simulated]" if r.simulated else "") + (f": {numbers}" if numbers else "")
                       + "\n")
        if r.error is not None:
            self.out.write(f"    ERROR {_clean(str(r.error))}\n")
            return
        if r.reasoning:
            indented(r.reasoning, "reasoning: ")
        indented(r.content or "")


def _stream_comparison(client: Any, prompt: Any, models: Any, kwargs: dict[str, Any]) -> Any:
    """compare() with each model's text printed as it streams (the printer is compare()'s ``view``)."""

    def printer(planned: list[str]) -> _StreamPrinter:
        return _StreamPrinter(planned, out=sys.stdout, interactive=sys.stdout.isatty())

    return client.compare(prompt, models, live=False, view=printer, **kwargs)


def _reasoning_value(text: str | None) -> int | str | None:
    """A --reasoning value as the client takes it: a token budget (digits) or an effort name."""
    if not text:
        return None
    return int(text) if text.isdigit() else text


def _compare_and_print(client: Any, prompt: Any, models: Any, *, stream: bool, reasoning: str | None,
                       out: Path | None, on_unsupported: OnUnsupported = "raise") -> int:
    """Send one prompt to the models and print the answers (as they stream, with ``stream``) and the table; save
    the chart if asked; 1 if any model failed."""
    import multimodel as mm

    kwargs: dict[str, Any] = {"stream": stream, "on_unsupported": on_unsupported}
    if reasoning:
        kwargs["reasoning"] = _reasoning_value(reasoning)
    shown = " + ".join(p if isinstance(p, str) else repr(p) for p in prompt) if isinstance(prompt, list) else prompt
    print(f"prompt: {shown}\n", flush=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mm.ParamWarning)
        cmp = _stream_comparison(client, prompt, models, kwargs) if stream else client.compare(prompt, models,
                                                                                               **kwargs)
    if stream:
        print()
    _print_table(cmp)
    if not stream:
        print()
        _print_answers(cmp)
    if cmp.route is not None:
        print("\nrouting:")
        for d in cmp.route.decisions:
            print(f"  {'+' if d.chosen else '-'} {d.model}: {d.reason}")
    if out is not None:
        fig = mm.plot.cost_vs_latency(cmp.df)
        path = mm.plot.save(fig, out, df=cmp.df)
        print(f"\nchart written to {path}")
    return 0 if all(r.error is None for r in cmp.results) else 1


# ---------------------------------------------------------------------- eval and report
def _read_table(path: Path) -> Any:
    """A prompts or results table from .csv, .parquet, .jsonl (or .txt: one prompt per line)."""
    import pandas as pd

    import multimodel as mm

    if not path.exists():
        raise mm.ConfigError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".jsonl", ".json"):
        return pd.read_json(path, lines=suffix == ".jsonl")
    if suffix == ".txt":
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        return pd.DataFrame({"prompt": lines})
    raise mm.ConfigError(f"{path}: use a .csv, .parquet, .jsonl or .txt file")


class ResultsFile:
    """A results table read back from a file, with what the report needs that a bare table does not say: which
    columns are scores (so the report keeps the score columns of its summary and a score-vs-cost chart each)."""

    def __init__(self, df: Any, score_columns: list[str]) -> None:
        self.df = df
        self.score_columns = score_columns


def _scorer(spec: str, expected: str) -> Any:
    import multimodel as mm

    if spec == "exact_match":
        return mm.scorers.exact_match(expected)
    if spec == "contains":
        return mm.scorers.contains(expected)
    if spec == "numeric":
        return mm.scorers.numeric(expected)
    if spec == "valid_json":
        return mm.scorers.valid_json()
    if spec.startswith("regex:"):
        return mm.scorers.regex(spec[len("regex:"):])
    raise mm.ConfigError(f"unknown scorer {spec!r}; use one of {', '.join(SCORERS)}")


def _run_eval(ns: argparse.Namespace) -> int:
    """``multimodel eval``: prompts × models into one results file (and a report)."""
    import pandas as pd

    import multimodel as mm

    out_suffix = ns.out.suffix.lower()
    if out_suffix not in (".parquet", ".csv", ".jsonl"):
        raise mm.ConfigError(f"--out must end in .parquet, .csv or .jsonl, got {ns.out.name!r}")
    prompts = _read_table(ns.prompts)
    scorers = [_scorer(s, ns.expected) for s in ns.scorer]
    cache: str | bool | None = None if ns.cache is None else (False if ns.cache == "off" else ns.cache)
    client = _client(ns.simulated, ns.model, "eval", cache=cache)
    params: dict[str, object] = {"stream": ns.stream}
    if ns.max_tokens:
        params["max_tokens"] = ns.max_tokens
    if ns.reasoning:
        params["reasoning"] = _reasoning_value(ns.reasoning)
    if ns.batch:  # the plan is printed first (evaluate shows it with the progress bar on), then the batches run
        params.update(mode="batch", on_batch_failure=ns.batch_failure)
    elif ns.batch_failure != "error":
        raise mm.ConfigError("--batch-failure says what to do with a batch's failed lines: add --batch to run by batch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mm.ParamWarning)
        if ns.batch and client.simulated:  # the simulator's batches end with this process: nothing to resume
            warnings.filterwarnings("ignore", message="mode='batch' without a cache")
        ev = client.evaluate(prompts, ns.model, repeats=ns.repeats, scorers=scorers, concurrency=ns.concurrency,
                             budget_usd=ns.budget, progress=True, **params)
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    {".parquet": ev.to_parquet, ".csv": ev.to_csv, ".jsonl": ev.to_jsonl}[out_suffix](str(ns.out))
    with pd.option_context("display.width", 160, "display.max_columns", 30, "display.float_format", "{:.4g}".format):
        print(ev.summary().to_string(index=False))
    if ns.batch:
        _print_batch_outcome(ev.df)
    print(f"\n{len(ev.df)} rows written to {ns.out}")
    if ns.html:
        print(f"report written to {ev.to_html(str(ns.html))}")
    return 0 if not ev.interrupted else 130


def _print_batch_outcome(df: Any) -> None:
    """How the rows of an ``eval --batch`` ran: by batch (in how many batches, at what cost), live, and failed."""
    batch = df[df["mode"] == "batch"]
    live = df[df["mode"] != "batch"]
    print(f"\nby batch: {len(batch)} rows in {batch['batch_id'].nunique()} batches, "
          f"{int(batch['error_kind'].notna().sum())} failed, ${batch['cost_usd'].sum():.6f}; "
          f"live: {len(live)} rows, ${live['cost_usd'].sum():.6f}")


def _run_report(ns: argparse.Namespace) -> int:
    """``multimodel report``: a results file to a standalone HTML report, its score columns kept."""
    import multimodel as mm
    from multimodel.report import write_report
    from multimodel.results import score_columns_in

    df = _read_table(ns.results)
    scores = ns.score or score_columns_in(df)
    unknown = [c for c in scores if c not in df.columns]
    if unknown:
        raise mm.ConfigError(f"--score {', '.join(unknown)}: no such column in {ns.results}; "
                             f"its columns: {', '.join(map(str, df.columns))}")
    path = write_report(ResultsFile(df, scores), ns.html, title=ns.title)
    named = f", scores: {', '.join(scores)}" if scores else ", no score columns"
    print(f"report written to {path} ({len(df)} rows{named})")
    return 0


# ---------------------------------------------------------------------- the other commands
def _run_capabilities(ns: argparse.Namespace) -> int:
    import pandas as pd

    import multimodel as mm

    client = mm.Client(cache=False)
    if ns.sources and len(ns.model) > 1:
        raise mm.ConfigError("--sources shows one model's entries with their sources: name one model")
    if ns.sources:
        table = client.capabilities(ns.model[0]).df[["feature", "status", "note", "source"]]
    else:
        table = client.capability_matrix(ns.model)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 90):
        print(table.to_string())
    return 0


def _run_probe(ns: argparse.Namespace) -> int:
    import pandas as pd

    import multimodel as mm
    from multimodel.probe import format_probe, plot_probe_matrix

    client = _client(ns.simulated, ns.model, "probe", cache=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if len(ns.model) == 1:
            print(format_probe(client.probe(ns.model[0], timeout=ns.timeout, capabilities=ns.capability)))
            return 0
        matrix = client.probe_matrix(ns.model, timeout=ns.timeout, capabilities=ns.capability)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 100):
        print(matrix.to_string())
    if ns.chart:
        path = mm.plot.save(plot_probe_matrix(matrix), ns.chart, endpoints=ns.model, simulated=client.simulated)
        print(f"chart written to {path}")
    return 0


def _run_models(ns: argparse.Namespace) -> int:
    """``multimodel models``: the catalogue as a table (``--live``: against each provider's /models)."""
    import pandas as pd

    import multimodel as mm

    if ns.live:
        reason = _simulator_forced(ns.simulated)
        client = mm.Client.simulated() if reason else mm.Client(cache=False)
        if reason:
            _print_simulated_banner(reason)
        else:  # every provider asked has no key: stop; some have: the others are named in a warning
            asked = [ns.provider] if ns.provider else list(client.providers)
            keyless = [p for p in asked if p in client.providers and not client.providers[p].has_key()]
            if keyless and len(keyless) == len(asked):
                _require_keys(client, [f"{p}/" for p in keyless], "models")
    else:  # the catalogue alone sends nothing
        client = mm.Client.simulated() if ns.simulated else mm.Client(cache=False)
    df = client.models(ns.provider, live=ns.live)
    if not ns.all:
        columns = ["model", "status", "replacement", "reasoning_levels", "reasoning_default", "rejects",
                   "rejects_while_reasoning", "input_per_m", "output_per_m", "checked"]
        df = df[[c for c in [*columns, "listed"] if c in df.columns]]
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 60,
                           "display.max_rows", 500):
        print(df.to_string(index=False))
    return 0


def _run_demo(ns: argparse.Namespace) -> int:
    """``multimodel demo``: five providers on one prompt, streamed; from the simulator when keys are missing."""
    import multimodel as mm

    reason = _simulator_forced(ns.simulated)
    if reason is None:
        real = mm.Client(cache=False)
        keyless = [real.providers[p] for p in dict.fromkeys(m.split("/", 1)[0] for m in DEMO_MODELS)
                   if not real.providers[p].has_key()]
        if keyless:
            reason = (f"no API key for {', '.join(cfg.name for cfg in keyless)}",
                      f"Set {', '.join(_key_names(cfg) for cfg in keyless)} to ask the real models.")
    if reason is not None:
        _print_simulated_banner(reason)
    client = mm.Client.simulated() if reason is not None else mm.Client()
    return _compare_and_print(client, DEMO_PROMPT, DEMO_MODELS, stream=True, reasoning=None, out=ns.out)


def _run_compare(ns: argparse.Namespace) -> int:
    """``multimodel compare``: one prompt (with any attachments) to the named models or an auto route."""
    import multimodel as mm

    parts = [mm.image(x) for x in ns.image] + [mm.audio(x) for x in ns.audio] + [mm.pdf(x) for x in ns.pdf]
    prompt = [ns.prompt, *parts] if parts else ns.prompt
    models = ns.model[0] if len(ns.model) == 1 and ns.model[0].startswith("auto") else ns.model
    client = _client(ns.simulated, ns.model, "compare")
    return _compare_and_print(client, prompt, models, stream=ns.stream, reasoning=ns.reasoning, out=ns.chart,
                              on_unsupported=ns.on_unsupported)


def _run_sim(args: list[str]) -> int:
    """``multimodel sim ...``: the simulator's own command line, with every argument passed through."""
    from multimodel.sim.__main__ import main as sim_main

    return sim_main(args, prog="multimodel sim")


# ---------------------------------------------------------------------- the parser
REASONING_HELP = f"effort ({'/'.join(REASONING_LEVELS)}) or a token budget"
SIMULATED_HELP = f"answer from the built-in simulator, keys or not ({SIMULATE_ENV}=1 does the same)"


def _subparser(sub: Any, name: str, summary: str) -> argparse.ArgumentParser:
    """One subcommand's parser, showing the examples under its --help."""
    return sub.add_parser(name, help=summary, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)


def _add_demo(sub: Any) -> None:
    """The ``demo`` subcommand's options."""
    demo = _subparser(sub, "demo", "compare five providers' models on one prompt (simulated without keys)")
    demo.add_argument("--out", type=Path, default=Path("out/demo_cost_vs_latency.png"), help="chart path")
    demo.add_argument("--simulated", action="store_true", help="use the simulator even if keys are set")


def _add_compare(sub: Any) -> None:
    """The ``compare`` subcommand's options."""
    cmp = _subparser(sub, "compare", "send one prompt to several models")
    cmp.add_argument("prompt")
    cmp.add_argument("-m", "--model", action="append", required=True, help="provider/model-id (repeatable)")
    cmp.add_argument("--simulated", action="store_true", help=SIMULATED_HELP)
    cmp.add_argument("--stream", action="store_true",
                     help="stream the answers and show them as they arrive (in a terminal: line by line per model; "
                          "piped: each answer once it completes); measures time to first token")
    cmp.add_argument("--reasoning", help=REASONING_HELP)
    cmp.add_argument("--chart", type=Path, help="write a cost-vs-latency chart (.png/.svg/.pdf)")
    cmp.add_argument("--image", action="append", default=[], help="attach an image: path or https URL (repeatable)")
    cmp.add_argument("--audio", action="append", default=[], help="attach an audio file (repeatable)")
    cmp.add_argument("--pdf", action="append", default=[], help="attach a PDF (repeatable)")
    cmp.add_argument("--on-unsupported", choices=ON_UNSUPPORTED, default="raise",
                     help="a model that cannot take an attachment: refuse (default), send without it, skip it,"
                          " or send it unchecked")


def _add_capabilities(sub: Any) -> None:
    """The ``capabilities`` subcommand's options."""
    caps = _subparser(sub, "capabilities", "what models accept (images, audio, PDFs, json, seed, ...) and why")
    caps.add_argument("model", nargs="+", help="provider/model-id")
    caps.add_argument("--sources", action="store_true", help="one model: also print each entry's note and source")


def _add_models(sub: Any) -> None:
    """The ``models`` subcommand's options."""
    models = _subparser(sub, "models", "the model catalogue: status, reasoning levels, rejected parameters, prices")
    models.add_argument("provider", nargs="?", help="only this provider (openai, anthropic, gemini, xai, ...)")
    models.add_argument("--live", action="store_true", help="also ask each provider's /models (needs the keys)")
    models.add_argument("--all", action="store_true", help="every column, with notes and sources")
    models.add_argument("--simulated", action="store_true", help="ask the built-in simulator (with --live)")


def _add_eval(sub: Any) -> None:
    """The ``eval`` subcommand's options."""
    ev = _subparser(sub, "eval", "run many prompts × models into one results file")
    ev.add_argument("prompts", type=Path, help=".csv/.parquet/.jsonl with a 'prompt' column, or .txt (one per line)")
    ev.add_argument("-m", "--model", action="append", required=True, help="provider/model-id (repeatable)")
    ev.add_argument("--out", type=Path, required=True, help="results file: .parquet, .csv or .jsonl")
    ev.add_argument("--html", type=Path, help="also write a standalone HTML report")
    ev.add_argument("--scorer", action="append", default=[], help=f"one of {', '.join(SCORERS)} (repeatable)")
    ev.add_argument("--expected", default="expected", help="column with the expected answers (for scorers)")
    ev.add_argument("--repeats", type=int, default=1)
    ev.add_argument("--concurrency", type=int, help="global cap on requests in flight")
    ev.add_argument("--budget", type=float, help="stop when the spend reaches this many USD")
    ev.add_argument("--max-tokens", type=int, help="output cap per request (also bounds the budget estimate)")
    ev.add_argument("--reasoning", help=REASONING_HELP)
    ev.add_argument("--stream", action="store_true", help="stream (measures time to first token)")
    ev.add_argument("--batch", action="store_true",
                    help="send the rows through the providers' Batch APIs (about half price, answers within 24 h, "
                         "outside the rate limits; providers without one run live); prints the plan first, and a "
                         "re-run with the same cache collects the batches instead of submitting them again")
    ev.add_argument("--batch-failure", choices=("error", "live"), default="error",
                    help="with --batch: failed, expired or cancelled lines become error rows (default) or are sent "
                         "again live")
    ev.add_argument("--simulated", action="store_true", help=SIMULATED_HELP)
    ev.add_argument("--cache", help="cache file (default: the user cache directory); 'off' disables it")


def _add_report(sub: Any) -> None:
    """The ``report`` subcommand's options."""
    rep = _subparser(sub, "report", "turn a results file into a standalone HTML report")
    rep.add_argument("results", type=Path, help="a .parquet/.csv/.jsonl written by 'multimodel eval'")
    rep.add_argument("--html", type=Path, required=True, help="where to write the report")
    rep.add_argument("--title", help="report title")
    rep.add_argument("--score", action="append", default=[],
                     help="a score column (repeatable; default: the scorer columns 'multimodel eval' wrote)")


def _add_probe(sub: Any) -> None:
    """The ``probe`` subcommand's options."""
    pr = _subparser(sub, "probe", "which parts of the Chat Completions API an endpoint supports")
    pr.add_argument("model", nargs="+", help="provider/model-id (several: a capability × endpoint matrix)")
    pr.add_argument("--timeout", type=float, default=60.0, help="seconds per probe request")
    pr.add_argument("--capability", action="append", help="only these capabilities (repeatable)")
    pr.add_argument("--simulated", action="store_true", help=SIMULATED_HELP)
    pr.add_argument("--chart", type=Path, help="with several models: write the matrix chart (.png/.svg/.pdf)")


def _add_sim(sub: Any) -> None:
    """The ``sim`` subcommand, listed for --help; ``main`` hands everything after it to the simulator's parser."""
    sub.add_parser("sim", help="serve the provider simulator (same flags as python -m multimodel.sim)",
                   add_help=False)


def build_parser() -> argparse.ArgumentParser:
    """The ``multimodel`` argument parser with all its subcommands."""
    parser = argparse.ArgumentParser(
        prog="multimodel", description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_demo, _add_compare, _add_capabilities, _add_models, _add_eval, _add_report, _add_probe, _add_sim):
        add(sub)
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": _run_demo,
    "compare": _run_compare,
    "capabilities": _run_capabilities,
    "models": _run_models,
    "eval": _run_eval,
    "report": _run_report,
    "probe": _run_probe,
}


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """A warning as one line on stderr: on the command line, the source line that raised it means nothing."""
    print(f"warning: {message}", file=sys.stderr if file is None else file)


def _sends_nothing(command: str) -> str:
    return (f"`multimodel {command}` {SENDS_NOTHING[command]} and sends nothing to a provider: it needs no API key "
            "and takes no --simulated; run it without")


def main(argv: list[str] | None = None) -> int:
    """Run the ``multimodel`` command line; returns the exit code (2 for a configuration error)."""
    args = sys.argv[1:] if argv is None else list(argv)
    for stream in (sys.stdout, sys.stderr):  # a model's curly quotes on an ASCII terminal: replaced, never fatal
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
    parser = build_parser()
    if args[:1] == ["sim"]:  # everything after it is the simulator's own (--port, --latency-scale, ...)
        ns, rest = argparse.Namespace(command="sim"), args[1:]
    else:
        ns, rest = parser.parse_known_args(args)
    if ns.command in SENDS_NOTHING and "--simulated" in rest:
        print(f"multimodel {ns.command}: error: {_sends_nothing(ns.command)}", file=sys.stderr)
        return 2
    if ns.command == "sim":
        return _run_sim(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    import multimodel as mm

    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return COMMANDS[ns.command](ns)
        except mm.ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:  # `multimodel ... | head`: the reader left; say nothing more
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1


if __name__ == "__main__":
    raise SystemExit(main())
