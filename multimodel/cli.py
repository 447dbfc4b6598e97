"""``multimodel`` command line: compare models on a prompt, run the demo, serve the simulator."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
  multimodel compare "Why is the sky blue?" -m openai/gpt-5.4 -m deepseek/deepseek-flash
  multimodel compare "2+2?" -m xai/grok-3-mini --reasoning high --stream --simulated
  multimodel eval data/eval_prompts.csv -m openai/gpt-5.4-mini -m xai/grok-3-mini --scorer contains \\
      --out out/results.parquet --html out/report.html --simulated
  multimodel report out/results.parquet --html out/report.html
  multimodel probe openrouter/deepseek/deepseek-v4-flash deepseek/deepseek-flash --simulated
  multimodel compare "What is in this picture?" --image cat.png -m openai/gpt-5.4 -m xai/grok-4.3
  multimodel compare "What do you hear?" --audio clip.wav -m auto:2 --simulated
  multimodel capabilities anthropic/claude-sonnet-4-6 gemini/gemini-3-flash-preview
  multimodel models anthropic --live              the catalogue, against the provider's own /models
  multimodel sim --port 8787                       serve the simulator for other tools
"""
SCORERS = ("exact_match", "contains", "valid_json", "regex:PATTERN")


def _print_frame(cmp: object) -> None:
    import pandas as pd

    df = cmp.df  # type: ignore[attr-defined]
    cols = ["model", "finish_reason", "ttft_s", "e2e_s", "prompt_tokens", "completion_tokens",
            "reasoning_tokens", "cost_usd", "error_kind"]
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:.4g}".format):
        print(df[cols].to_string(index=False))
    print()
    for r in cmp.results:  # type: ignore[attr-defined]
        print(f"--- {r.model}" + (" [simulated]" if r.simulated else ""))
        if r.error:
            print(f"    ERROR {r.error}")
            continue
        if r.reasoning:
            text = r.reasoning.replace("\n", " ")
            print(f"    reasoning: {text[:160]}{'...' if len(text) > 160 else ''}")
        print(f"    {r.content.strip()[:400]}")


def _reasoning_value(text: str | None) -> int | str | None:
    """A --reasoning value as the client takes it: a token budget (digits) or an effort name."""
    if not text:
        return None
    return int(text) if text.isdigit() else text


def _compare_and_print(prompt: Any, models: Any, *, simulated: bool, stream: bool, reasoning: str | None,
                       out: Path | None, on_unsupported: OnUnsupported = "raise") -> int:
    """Send one prompt to the models, print the table and answers, optionally save the chart; 1 if any failed."""
    import multimodel as mm

    client = mm.Client.simulated() if simulated else mm.Client()
    if simulated:
        print("=" * 78)
        print("SIMULATED RUN: answers come from multimodel's built-in simulator, not real models.")
        print("Set the providers' API keys to compare the real models.")
        print("=" * 78)
    kwargs: dict[str, Any] = {"stream": stream, "on_unsupported": on_unsupported}
    if reasoning:
        kwargs["reasoning"] = _reasoning_value(reasoning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mm.ParamWarning)
        cmp = client.compare(prompt, models=models, **kwargs)
    shown = " + ".join(p if isinstance(p, str) else repr(p) for p in prompt) if isinstance(prompt, list) else prompt
    print(f"prompt: {shown}\n")
    _print_frame(cmp)
    if cmp.route is not None:
        print("\nrouting:")
        for d in cmp.route.decisions:
            print(f"  {'+' if d.chosen else '-'} {d.model}: {d.reason}")
    if out is not None:
        fig = mm.plot.cost_vs_latency(cmp.df)
        path = mm.plot.save(fig, out, df=cmp.df)
        print(f"\nchart written to {path}")
    return 0 if all(r.error is None for r in cmp.results) else 1


def _read_table(path: Path) -> object:
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


def _scorer(spec: str, expected: str) -> object:
    import multimodel as mm

    if spec == "exact_match":
        return mm.scorers.exact_match(expected)
    if spec == "contains":
        return mm.scorers.contains(expected)
    if spec == "valid_json":
        return mm.scorers.valid_json()
    if spec.startswith("regex:"):
        return mm.scorers.regex(spec[len("regex:"):])
    raise mm.ConfigError(f"unknown scorer {spec!r}; use one of {', '.join(SCORERS)}")


def _run_eval(ns: argparse.Namespace) -> int:
    import multimodel as mm

    out_suffix = ns.out.suffix.lower()
    if out_suffix not in (".parquet", ".csv", ".jsonl"):
        raise mm.ConfigError(f"--out must end in .parquet, .csv or .jsonl, got {ns.out.name!r}")
    prompts = _read_table(ns.prompts)
    scorers = [_scorer(s, ns.expected) for s in ns.scorer]
    cache: str | bool | None = None if ns.cache is None else (False if ns.cache == "off" else ns.cache)
    client = mm.Client.simulated(cache=cache if cache is not None else False) if ns.simulated else mm.Client(
        cache=cache)
    if ns.simulated:
        print("SIMULATED RUN: answers come from multimodel's built-in simulator, not real models.")
    params: dict[str, object] = {"stream": ns.stream}
    if ns.max_tokens:
        params["max_tokens"] = ns.max_tokens
    if ns.reasoning:
        params["reasoning"] = _reasoning_value(ns.reasoning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mm.ParamWarning)
        ev = client.evaluate(prompts, ns.model, repeats=ns.repeats, scorers=scorers, concurrency=ns.concurrency,
                             budget_usd=ns.budget, **params)
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    {".parquet": ev.to_parquet, ".csv": ev.to_csv, ".jsonl": ev.to_jsonl}[out_suffix](str(ns.out))
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_columns", 30, "display.float_format", "{:.4g}".format):
        print(ev.summary().to_string(index=False))
    print(f"\n{len(ev.df)} rows written to {ns.out}")
    if ns.html:
        print(f"report written to {ev.to_html(str(ns.html))}")
    return 0 if not ev.interrupted else 130


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

    client = mm.Client.simulated(cache=False) if ns.simulated else mm.Client(cache=False)
    if ns.simulated:
        print("SIMULATED: probing multimodel's built-in simulator, not the real providers.")
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


REASONING_HELP = f"effort ({'/'.join(REASONING_LEVELS)}) or a token budget"


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
    cmp.add_argument("--simulated", action="store_true", help="answer from the built-in simulator")
    cmp.add_argument("--stream", action="store_true", help="stream the answers (measures time to first token)")
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
    ev.add_argument("--simulated", action="store_true", help="answer from the built-in simulator")
    ev.add_argument("--cache", help="cache file (default: the user cache directory); 'off' disables it")


def _add_report(sub: Any) -> None:
    """The ``report`` subcommand's options."""
    rep = _subparser(sub, "report", "turn a results file into a standalone HTML report")
    rep.add_argument("results", type=Path, help="a .parquet/.csv/.jsonl written by 'multimodel eval'")
    rep.add_argument("--html", type=Path, required=True, help="where to write the report")
    rep.add_argument("--title", help="report title")


def _add_probe(sub: Any) -> None:
    """The ``probe`` subcommand's options."""
    pr = _subparser(sub, "probe", "which parts of the Chat Completions API an endpoint supports")
    pr.add_argument("model", nargs="+", help="provider/model-id (several: a capability × endpoint matrix)")
    pr.add_argument("--timeout", type=float, default=60.0, help="seconds per probe request")
    pr.add_argument("--capability", action="append", help="only these capabilities (repeatable)")
    pr.add_argument("--simulated", action="store_true", help="probe the built-in simulator's dialects")
    pr.add_argument("--chart", type=Path, help="with several models: write the matrix chart (.png/.svg/.pdf)")


def _add_sim(sub: Any) -> None:
    """The ``sim`` subcommand: no options of its own, everything after it goes to the simulator's parser."""
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


def _run_demo(ns: argparse.Namespace) -> int:
    """``multimodel demo``: five providers on one prompt, from the simulator when keys are missing."""
    import multimodel as mm

    probe_client = mm.Client.auto(DEMO_MODELS) if not ns.simulated else None
    simulated = ns.simulated or bool(probe_client and probe_client.simulated)
    if probe_client is not None and probe_client.missing_keys:
        print(f"no API key for {', '.join(probe_client.missing_keys)}: using the simulator")
    return _compare_and_print(DEMO_PROMPT, DEMO_MODELS, simulated=simulated, stream=True, reasoning=None,
                              out=ns.out)


def _run_compare(ns: argparse.Namespace) -> int:
    """``multimodel compare``: one prompt (with any attachments) to the named models or an auto route."""
    import multimodel as mm

    parts = [mm.image(x) for x in ns.image] + [mm.audio(x) for x in ns.audio] + [mm.pdf(x) for x in ns.pdf]
    prompt = [ns.prompt, *parts] if parts else ns.prompt
    models = ns.model[0] if len(ns.model) == 1 and ns.model[0].startswith("auto") else ns.model
    return _compare_and_print(prompt, models, simulated=ns.simulated, stream=ns.stream, reasoning=ns.reasoning,
                              out=ns.chart, on_unsupported=ns.on_unsupported)


def _run_report(ns: argparse.Namespace) -> int:
    """``multimodel report``: a results file to a standalone HTML report."""
    from multimodel.report import write_report

    df = _read_table(ns.results)
    path = write_report(df, ns.html, title=ns.title)
    print(f"report written to {path} ({len(df)} rows)")
    return 0


def _run_sim(args: list[str]) -> int:
    """``multimodel sim ...``: the simulator's own command line, with every argument passed through."""
    from multimodel.sim.__main__ import main as sim_main

    return sim_main(args, prog="multimodel sim")


def _run_models(ns: argparse.Namespace) -> int:
    """``multimodel models``: the catalogue as a table (``--live``: against each provider's /models)."""
    import pandas as pd

    import multimodel as mm

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


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": _run_demo,
    "compare": _run_compare,
    "capabilities": _run_capabilities,
    "models": _run_models,
    "eval": _run_eval,
    "report": _run_report,
    "probe": _run_probe,
}


def main(argv: list[str] | None = None) -> int:
    """Run the ``multimodel`` command line; returns the exit code (2 for a configuration error)."""
    parser = build_parser()
    ns, rest = parser.parse_known_args(argv)
    if ns.command == "sim":
        return _run_sim(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    import multimodel as mm

    try:
        return COMMANDS[ns.command](ns)
    except mm.ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
