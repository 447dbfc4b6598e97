"""``multimodel`` command line: compare models on a prompt, run the demo, serve the simulator."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

DEMO_MODELS = [
    "openai/gpt-5.4",
    "anthropic/claude-sonnet-4-6",
    "gemini/gemini-3-flash-preview",
    "xai/grok-3-mini",
    "deepseek/deepseek-v4-flash",
]
DEMO_PROMPT = "Why is the sky blue? Answer in two sentences."

EXAMPLES = """examples:
  multimodel demo                                  five providers, simulated unless all keys are set
  multimodel compare "Why is the sky blue?" -m openai/gpt-5.4 -m deepseek/deepseek-reasoner
  multimodel compare "2+2?" -m xai/grok-3-mini --reasoning high --stream --simulated
  multimodel sim --port 8787                       serve the simulator for other tools
"""


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


def _run_compare(prompt: str, models: list[str], *, simulated: bool, stream: bool, reasoning: str | None,
                 out: Path | None) -> int:
    import multimodel as mm

    client = mm.Client.simulated() if simulated else mm.Client()
    if simulated:
        print("=" * 78)
        print("SIMULATED RUN: answers come from multimodel's built-in simulator, not real models.")
        print("Set the providers' API keys to compare the real models.")
        print("=" * 78)
    kwargs = {"stream": stream}
    if reasoning:
        kwargs["reasoning"] = int(reasoning) if reasoning.isdigit() else reasoning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mm.ParamWarning)
        cmp = client.compare(prompt, models=models, **kwargs)
    print(f"prompt: {prompt}\n")
    _print_frame(cmp)
    if out is not None:
        fig = mm.plot.cost_vs_latency(cmp.df)
        path = mm.plot.save(fig, out, df=cmp.df)
        print(f"\nchart written to {path}")
    return 0 if all(r.error is None for r in cmp.results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="multimodel", description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="compare five providers' models on one prompt (simulated without keys)",
                          epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_argument("--out", type=Path, default=Path("out/demo_cost_vs_latency.png"), help="chart path")
    demo.add_argument("--simulated", action="store_true", help="use the simulator even if keys are set")

    cmp = sub.add_parser("compare", help="send one prompt to several models", epilog=EXAMPLES,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    cmp.add_argument("prompt")
    cmp.add_argument("-m", "--model", action="append", required=True, help="provider/model-id (repeatable)")
    cmp.add_argument("--simulated", action="store_true", help="answer from the built-in simulator")
    cmp.add_argument("--stream", action="store_true", help="stream the answers (measures time to first token)")
    cmp.add_argument("--reasoning", help="effort (minimal/low/medium/high) or a token budget")
    cmp.add_argument("--chart", type=Path, help="write a cost-vs-latency chart (.png/.svg/.pdf)")

    sim = sub.add_parser("sim", help="serve the provider simulator (same flags as python -m multimodel.sim)")
    sim.add_argument("args", nargs=argparse.REMAINDER)

    ns = parser.parse_args(argv)
    import multimodel as mm

    try:
        if ns.command == "demo":
            client = mm.Client(cache=False)
            missing = [m for m in DEMO_MODELS if not client.providers[m.split("/")[0]].has_key()]
            simulated = ns.simulated or bool(missing)
            if missing and not ns.simulated:
                print(f"no API key for {', '.join(sorted({m.split('/')[0] for m in missing}))}: using the simulator")
            return _run_compare(DEMO_PROMPT, DEMO_MODELS, simulated=simulated, stream=True, reasoning=None,
                                out=ns.out)
        if ns.command == "compare":
            return _run_compare(ns.prompt, ns.model, simulated=ns.simulated, stream=ns.stream,
                                reasoning=ns.reasoning, out=ns.chart)
        if ns.command == "sim":
            from multimodel.sim.__main__ import main as sim_main

            return sim_main(ns.args)
    except mm.ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
