"""The README runs as written (issue 16): every fenced block in it, and every command of its "Command line"
section with and without ``--simulated``, against the simulator; nothing here reaches a real provider.

- Quick start: exactly two commands, ``make demo`` and ``make test`` (CI runs them itself; running ``make test``
  from inside the tests would recurse).
- Command line: each command runs in a temporary folder holding the repository's ``data/`` and ``examples/``, with
  no API key set. Where the README says a command takes ``--simulated`` it must succeed with it and, without it,
  do what the README says a newcomer without keys gets; where it says a command takes none, it must succeed as
  written and refuse ``--simulated`` clearly. The servers (``multimodel sim``, ``python -m multimodel.sim``) are
  started on a free port, asked for an answer, and stopped.
- Python: the blocks run in order in one fresh interpreter (a reader's notebook), with ``MULTIMODEL_SIMULATE=1``
  (the switch the README documents), no keys, and every connection off this machine refused.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from multimodel.cli import SENDS_NOTHING, build_parser, main
from multimodel.config import BUILTIN_PROVIDERS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
KEY_VARS = sorted({var for cfg in BUILTIN_PROVIDERS.values() for var in cfg.get("api_key_env", ())})


def fenced_blocks(text: str) -> list[tuple[str, str, str]]:
    """(the heading above it, language, code) for each fenced block, in order."""
    blocks, heading, lang, lines = [], "", None, []
    for line in text.splitlines():
        if lang is None and line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif lang is None and line.startswith("```"):
            lang, lines = line[3:].strip(), []
        elif lang is not None and line.startswith("```"):
            blocks.append((heading, lang, "\n".join(lines)))
            lang = None
        elif lang is not None:
            lines.append(line)
    assert lang is None, "a fenced block in README.md is never closed"
    return blocks


BLOCKS = fenced_blocks(README)


def section(heading: str) -> str:
    """The README's text from a ``## heading`` to the next heading of that level."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README.md has no '## {heading}' section"
    return match.group(1)


def shell_commands(code: str) -> list[list[str]]:
    """A bash block's commands: continuation lines joined, comments dropped, split as the shell would."""
    joined = code.replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in joined.splitlines() if shlex.split(line, comments=True)]


COMMANDS = shell_commands(next(code for heading, lang, code in BLOCKS if heading == "Command line"))


def named_commands(sentence_pattern: str) -> set[str]:
    """The subcommands a README sentence lists in backticks, e.g. "`demo`, `compare` and `eval` take ..."."""
    match = re.search(sentence_pattern, " ".join(section("Command line").split()))
    assert match, f"README.md's Command line section no longer says {sentence_pattern!r}"
    return set(re.findall(r"`(\w+)`", match.group(1)))


TAKE_SIMULATED = named_commands(r"((?:`\w+`(?:, | and ))+`\w+`) take `--simulated`")
SEND_NOTHING = named_commands(r"((?:`\w+` \([^)]*\)(?:, | and ))+`\w+` \([^)]*\)) send nothing")


# ---------------------------------------------------------------------------------- what the README holds
def test_every_fenced_block_is_one_this_test_runs_or_checks():
    kinds = [(heading, lang) for heading, lang, _ in BLOCKS]
    assert ("Quick start", "bash") in kinds and ("Command line", "bash") in kinds
    others = [k for k in kinds if k not in (("Quick start", "bash"), ("Command line", "bash")) and k[1] != "python"]
    assert others == [], f"a README block this test neither runs nor checks: {others}"
    assert sum(lang == "python" for _, lang in kinds) >= 3


def test_quick_start_is_exactly_two_commands_and_the_makefile_has_them():
    code = next(code for heading, lang, code in BLOCKS if heading == "Quick start")
    assert shell_commands(code) == [["make", "demo"], ["make", "test"]]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_the_readme_says_exactly_which_commands_take_simulated():
    """The sentence about --simulated is the parser's truth, and every command in the block is in one list."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    with_flag = {name for name, p in sub.choices.items() if any("--simulated" in a.option_strings for a in p._actions)}
    assert with_flag == TAKE_SIMULATED
    assert set(SENDS_NOTHING) == SEND_NOTHING
    assert {argv[1] for argv in COMMANDS} <= TAKE_SIMULATED | SEND_NOTHING
    assert {argv[0] for argv in COMMANDS} == {"multimodel"}


def test_the_attachments_the_readme_names_ship_and_are_what_their_script_makes(tmp_path):
    named = set(re.findall(r"examples/[\w.]+\.(?:png|wav|pdf)", README))
    assert named == {"examples/cat.png", "examples/clip.wav", "examples/memo.pdf"}
    subprocess.run([sys.executable, str(ROOT / "examples" / "make_samples.py"), str(tmp_path)], check=True,
                   capture_output=True)
    for path in named:
        assert (ROOT / path).read_bytes() == (tmp_path / Path(path).name).read_bytes(), path


# ---------------------------------------------------------------------------------- the Command line section
@pytest.fixture
def newcomer(tmp_path, monkeypatch):
    """A fresh checkout's view, in-process: no API key, no forced simulator, a private cache, the repository's
    data and examples beside the working directory, and a zero-latency simulator to answer."""
    import multimodel as mm

    for var in [*KEY_VARS, "MULTIMODEL_SIMULATE"]:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MULTIMODEL_CACHE", str(tmp_path / "cache.sqlite"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for folder in ("data", "examples"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    handle = mm.sim.start(latency_scale=0)
    yield tmp_path
    handle.stop()


SCORE_CHART = re.compile(r"data-chart=[\"']score_vs_cost[\"']")


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv[1:])
    out, err = capsys.readouterr()
    return code, out, err


def _key_vars_for(argv: list[str]) -> list[str]:
    """The key variables a command's models need (all of them for an auto route)."""
    providers = {a.split("/", 1)[0] for a in argv if re.match(r"^[a-z]+/", a) and not a.startswith(("data/", "out/",
                                                                                                     "examples/"))}
    if argv[1] == "models":
        providers = {argv[2]}
    return [var for p in sorted(providers) for var in BUILTIN_PROVIDERS[p].get("api_key_env", ())[:1]]


def _check_simulated_output(argv: list[str], out: str, tmp: Path) -> None:
    """What each command of the block promises, beyond exit code 0 and the SIMULATED label."""
    command = argv[1]
    if command == "demo":
        assert out.count("[simulated]") == 5 and (tmp / "out" / "demo_cost_vs_latency.png").stat().st_size > 10_000
    elif command == "compare" and "--audio" in argv:
        assert out.count("I hear 1 audio clip (wav, 32,044 bytes)") == 2 and "routing:" in out
    elif command == "compare":
        assert "--stream" in argv and out.count("[simulated]:") == 2  # each streamed answer, once complete
    elif command == "eval":
        df = pd.read_parquet(tmp / "out" / "results.parquet")
        assert len(df) == 64 and df["contains"].notna().all() and (tmp / "out" / "report.html").exists()
    elif command == "probe":
        assert "openrouter/deepseek/deepseek-v4-flash" in out and "deepseek/deepseek-flash" in out
    elif command == "models":
        header = next(line for line in out.splitlines() if line.split()[:1] == ["model"])
        assert "listed" in header and "anthropic/claude-sonnet-4-6" in out


def test_every_command_runs_as_the_readme_says_with_and_without_simulated(newcomer, capsys):
    ran = []
    for argv in COMMANDS:
        command = argv[1]
        if command == "sim":
            code, out, err = _run([*argv, "--simulated"], capsys)
            assert code == 2 and "takes no --simulated" in err
            continue  # serving is checked below, on a free port
        if command in SEND_NOTHING:
            code, out, err = _run(argv, capsys)
            assert code == 0, (argv, err)
            code, _, err = _run([*argv, "--simulated"], capsys)
            assert code == 2 and "takes no --simulated" in err, (argv, err)
            if command == "report":
                html = (newcomer / "out" / "report.html").read_text()
                assert SCORE_CHART.search(html) and ">contains" in html, "the report lost the scores"
            ran.append(command)
            continue
        code, out, err = _run(argv, capsys)  # without keys and without --simulated
        if command == "demo":
            assert code == 0 and "SIMULATED RUN (no API key for openai, anthropic, gemini, xai, deepseek)" in out
        else:
            assert code == 2 and "--simulated" in err and "Traceback" not in err, (argv, err)
            for var in _key_vars_for(argv):
                assert var in err, (argv, var, err)
        code, out, err = _run([*argv, "--simulated"], capsys)
        assert code == 0, (argv, err)
        assert "SIMULATED RUN (--simulated)" in out
        _check_simulated_output(argv, out, newcomer)
        ran.append(command)
    assert set(ran) >= {"demo", "compare", "capabilities", "eval", "report", "probe", "models"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_and_ask(argv: list[str]) -> None:
    """Start a server command as written (its port swapped for a free one), ask it for an answer, stop it."""
    port = _free_port()
    argv = [str(port) if a == "8787" else a for a in argv]
    assert str(port) in argv, f"the README's server command no longer names port 8787: {argv}"
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    proc = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT)
    try:
        url = proc.stdout.readline().strip()
        assert url == f"http://127.0.0.1:{port}", (url, proc.stderr.read() if proc.poll() is not None else "")
        body = json.dumps({"model": "gpt-5.4-mini", "messages": [{"role": "user", "content": "hi"}]}).encode()
        req = urllib.request.Request(f"{url}/openai/v1/chat/completions", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": "Bearer k"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            answer = json.loads(resp.read())
            assert resp.headers["x-multimodel-simulated"] == "true"
        assert answer["choices"][0]["message"]["content"].startswith("[simulated gpt-5.4-mini]")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0


def test_the_servers_the_readme_starts_serve_and_stop():
    sim = next(argv for argv in COMMANDS if argv[1] == "sim")
    assert sim == ["multimodel", "sim", "--port", "8787"]
    _serve_and_ask(["-m", "multimodel", *sim[1:]])  # the `multimodel` script is multimodel.cli:main, as is -m
    assert "`python -m multimodel.sim --port 8787`" in section("The simulator")
    _serve_and_ask(["-m", "multimodel.sim", "--port", "8787"])


# ---------------------------------------------------------------------------------- the Python blocks
RUNNER = textwrap.dedent('''
    """Run the README's Python blocks in order in one namespace, as a reader's notebook would."""
    import json, socket, sys

    _connect, _getaddrinfo = socket.socket.connect, socket.getaddrinfo
    LOOPBACK = ("127.0.0.1", "::1", "localhost")

    def _local_only(host):
        if host not in LOOPBACK:
            raise OSError(f"README test: no network, refused a connection to {host!r}")

    def connect(self, address):
        if isinstance(address, tuple):
            _local_only(address[0])
        return _connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        _local_only(host)
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo

    import multimodel as mm

    mm.sim.start(latency_scale=0)  # the simulator every simulated client shares, answering at once
    blocks = json.loads(open(sys.argv[1]).read())
    namespace = {"__name__": "__readme__"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"README.md python block {i + 1}", "exec"), namespace)
        print(f"block {i + 1} of {len(blocks)} ran", flush=True)

    facts = {"simulated": namespace["client"].simulated}
    ev = namespace.get("ev")
    if ev is not None:
        facts.update(estimate_usd=ev.estimate_usd, spent_usd=float(ev.df["cost_usd"].sum()),
                     rows=len(ev.df), scores=list(ev.score_columns), errors=int(ev.df["error_kind"].notna().sum()))
    print("FACTS " + json.dumps(facts), flush=True)
''')


def test_the_python_blocks_run_in_order_against_the_simulator(tmp_path):
    blocks = [code for _, lang, code in BLOCKS if lang == "python"]
    (tmp_path / "blocks.json").write_text(json.dumps(blocks))
    (tmp_path / "run_blocks.py").write_text(RUNNER)
    for folder in ("data", "examples"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    env.update({"MULTIMODEL_SIMULATE": "1", "MULTIMODEL_CACHE": str(tmp_path / "cache.sqlite"), "MPLBACKEND": "Agg",
                "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)})
    proc = subprocess.run([sys.executable, "run_blocks.py", "blocks.json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert f"block {len(blocks)} of {len(blocks)} ran" in proc.stdout
    facts = json.loads(proc.stdout.split("FACTS ", 1)[1])
    assert facts["simulated"] is True
    budget = float(re.search(r"budget_usd=(\d+(?:\.\d+)?)", blocks[0]).group(1))
    assert facts["rows"] == 288 and facts["errors"] == 0 and facts["scores"] == ["contains"]
    assert facts["estimate_usd"] <= budget and facts["spent_usd"] <= budget
    stated = re.search(r"come to about \$(\d+\.\d\d) at\s+most", README)
    assert stated and stated.group(1) == f"{facts['estimate_usd']:.2f}", "the README's worst case is out of date"
    assert (tmp_path / "out" / "results.parquet").exists() and (tmp_path / "out" / "report.html").exists()


def test_the_evaluate_example_without_max_tokens_is_refused_as_the_readme_says(monkeypatch):
    """The README says the example fits its budget because of max_tokens, and names the worst case without it."""
    import multimodel as mm

    use = next(code for heading, lang, code in BLOCKS if lang == "python" and "client.evaluate(" in code)
    call = use[use.index("prompts_df = "):use.index("ev.df")]
    without = call.replace(" max_tokens=512,", "")
    assert without != call
    monkeypatch.chdir(ROOT)
    namespace = {"mm": mm, "pd": pd, "client": mm.Client.simulated()}
    with pytest.raises(mm.ConfigError, match=r"worst-case cost estimate \$(\d+)\.\d+ .* exceeds budget_usd=\$5") as e:
        exec(without, namespace)
    stated = re.search(r"its worst case \(about \$(\d+)\)", " ".join(README.split()))
    assert stated and int(stated.group(1)) == round(float(re.search(r"\$(\d+\.\d+)", str(e.value)).group(1)))
