"""``python -m multimodel.sim``: run the simulator in the foreground; prints its root URL first."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from .catalogue import DIALECTS
from .faults import FAULT_KINDS
from .server import SimServer


def parse_faults(spec: str | None) -> dict[str, Any] | None:
    """'rate_limit=0.1,server_error=0.03' or 'sequence=rate_limit:ok:server_error' -> dict."""
    if not spec:
        return None
    out: dict[str, Any] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            raise argparse.ArgumentTypeError(f"expected name=value in --faults, got {item!r}")
        if name == "sequence":
            out["sequence"] = [v for v in value.split(":") if v]
        else:
            try:
                out[name] = float(value)
            except ValueError:
                raise argparse.ArgumentTypeError(f"fault probability must be a number: {item!r}") from None
    return out


def build_parser(prog: str = "python -m multimodel.sim") -> argparse.ArgumentParser:
    """The simulator's argument parser (``prog`` names the command in usage and errors)."""
    p = argparse.ArgumentParser(prog=prog,
                                description="Serve simulated LLM providers (" + ", ".join(DIALECTS) + ").")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8787, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latency-scale", type=float, default=1.0, help="0 = answer instantly")
    p.add_argument("--faults", type=parse_faults, default=None,
                   help="e.g. rate_limit=0.1,server_error=0.03 (known: " + ", ".join(FAULT_KINDS) + ")")
    p.add_argument("--rpm", type=int, default=None, help="requests per minute limit (all providers)")
    p.add_argument("--tpm", type=int, default=None, help="tokens per minute limit (all providers)")
    p.add_argument("--rpd", type=int, default=None, help="requests per day limit (all providers)")
    p.add_argument("--burst", type=float, default=None,
                   help="seconds of the per-minute rate a limit's bucket holds (default 1: enforced per second)")
    p.add_argument("--answer-tokens", type=int, default=None, help="fixed answer length in tokens")
    p.add_argument("--fault-retry-after", type=float, default=None,
                   help="retry-after (s) of injected rate_limit faults; default 1-3 s like real providers")
    p.add_argument("--batch-s", type=float, default=2.0,
                   help="seconds a Batch API batch takes, validation to results (real ones take minutes to 24 h)")
    return p


async def serve(args: argparse.Namespace) -> None:
    limits = {"rpm": args.rpm, "tpm": args.tpm, "rpd": args.rpd, "burst": args.burst}
    limits = limits if (args.rpm or args.tpm or args.rpd) else None
    server = SimServer(seed=args.seed, latency_scale=args.latency_scale, faults=args.faults,
                       answer_tokens=args.answer_tokens, limits=limits, fault_retry_after_s=args.fault_retry_after,
                       batch_s=args.batch_s)
    url = await server.start(args.host, args.port)
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    print(f"multimodel.sim: simulated providers at {url}/<dialect>/v1 ({', '.join(DIALECTS)}); "
          "Ctrl-C to stop", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None, prog: str = "python -m multimodel.sim") -> int:
    """Serve the simulator until Ctrl-C or SIGTERM; returns the exit code."""
    args = build_parser(prog).parse_args(argv)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except ValueError as e:
        print(f"multimodel.sim: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
