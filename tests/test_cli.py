"""The multimodel command line: demo, compare, eval, report, and clear errors for bad input."""

from __future__ import annotations

import io
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from multimodel.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fast_sim(monkeypatch):
    import multimodel as mm

    handle = mm.sim.start(latency_scale=0)
    yield handle
    handle.stop()


def test_demo_without_keys_is_labelled_simulated_and_writes_a_chart(tmp_path, capsys, monkeypatch):
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "XAI_API_KEY",
                "DEEPSEEK_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    chart = tmp_path / "demo.png"
    assert main(["demo", "--out", str(chart)]) == 0
    out = capsys.readouterr().out
    assert "SIMULATED RUN" in out and out.count("[simulated]") == 5
    for model in ("openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "deepseek/deepseek-flash"):
        assert model in out
    assert chart.stat().st_size > 10_000


def test_eval_then_report_round_trip(tmp_path, capsys):
    prompts = tmp_path / "p.csv"
    pd.DataFrame({"prompt": ["What is 2+2?", "Capital of France?"], "expected": ["4", "Paris"]}).to_csv(prompts,
                                                                                                       index=False)
    out = tmp_path / "res.parquet"
    code = main(["eval", str(prompts), "-m", "openai/gpt-5-mini", "-m", "deepseek/deepseek-flash", "--scorer",
                 "contains", "--scorer", "regex:simulated", "--out", str(out), "--simulated", "--cache", "off"])
    assert code == 0
    df = pd.read_parquet(out)
    assert len(df) == 4 and {"contains", "regex", "expected", "cost_usd"} <= set(df.columns)
    assert (df["regex"] == 1.0).all()
    numbers = tmp_path / "n.parquet"  # the numeric scorer by name: the last number of the answer against expected
    assert main(["eval", str(prompts), "-m", "openai/gpt-5.4", "--scorer", "numeric", "--out", str(numbers),
                 "--simulated", "--cache", "off"]) == 0
    assert "numeric" in pd.read_parquet(numbers).columns
    html = tmp_path / "r.html"
    assert main(["report", str(out), "--html", str(html)]) == 0
    text = html.read_text()
    assert "openai/gpt-5-mini" in text and "deepseek/deepseek-flash" in text and "SIMULATED" in text


@pytest.mark.parametrize(("argv", "fragment"), [
    (["compare", "hi", "-m", "nosuch/model", "--simulated"], "unknown provider 'nosuch'"),
    (["eval", "missing.csv", "-m", "openai/gpt-5-mini", "--out", "x.parquet"], "does not exist"),
    (["compare", "", "-m", "openai/gpt-5-mini", "--simulated"], "prompt is empty"),
])
def test_bad_input_exits_2_with_a_message(argv, fragment, capsys):
    assert main(argv) == 2
    assert fragment in capsys.readouterr().err


def test_help_shows_examples():
    out = subprocess.run([sys.executable, "-m", "multimodel", "eval", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "examples:" in out and "multimodel report" in out


def test_sim_subcommand_takes_the_simulators_own_flags(capsys):
    # `multimodel sim ...` forwards everything to `python -m multimodel.sim`; --help exits before any server starts
    with pytest.raises(SystemExit) as exc:
        main(["sim", "--port", "8787", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: multimodel sim") and "--port" in out and "--latency-scale" in out
    with pytest.raises(SystemExit) as exc:
        main(["sim", "--port", "not-a-port"])
    assert exc.value.code == 2 and "argument --port: invalid int value" in capsys.readouterr().err


def test_compare_with_attachments_routes_and_refuses(tmp_path, capsys):
    from multimodel.sim.media import sample_png, sample_wav

    clip = tmp_path / "clip.wav"
    clip.write_bytes(sample_wav())
    assert main(["compare", "What do you hear?", "--audio", str(clip), "-m", "auto:2", "--simulated"]) == 0
    out = capsys.readouterr().out
    assert out.count("I hear 1 audio clip (wav, 4,844 bytes)") == 2
    assert "routing:" in out and "- anthropic/claude-sonnet-4-6: excluded: would not receive audio clip" in out
    picture = tmp_path / "cat.png"
    picture.write_bytes(sample_png())
    code = main(["compare", "What is this?", "--image", str(picture), "-m", "deepseek/deepseek-v4-pro",
                 "-m", "xai/grok-4.3", "--simulated"])
    err = capsys.readouterr().err
    assert code == 2 and "deepseek/deepseek-v4-pro would not receive image" in err
    code = main(["compare", "What is this?", "--image", str(picture), "-m", "deepseek/deepseek-v4-pro",
                 "-m", "xai/grok-4.3", "--simulated", "--on-unsupported", "skip"])
    out = capsys.readouterr().out
    assert code == 1 and "unsupported" in out and "I see 1 image (image/png, 79 bytes)" in out


def test_capabilities_table(capsys):
    assert main(["capabilities", "anthropic/claude-sonnet-4-6", "gemini/gemini-3-flash-preview"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("audio_input"))
    assert line.split()[1:] == ["ignored", "supported"]
    assert main(["capabilities", "anthropic/claude-sonnet-4-6", "--sources"]) == 0
    assert "https://platform.claude.com/docs/en/api/openai-sdk" in capsys.readouterr().out


# ---------------------------------------------------------------------------------- compare --stream
KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "XAI_API_KEY",
            "DEEPSEEK_API_KEY", "OPENROUTER_API_KEY")
STREAM_ARGS = ["compare", "Why is the sky blue?", "-m", "openai/gpt-5.4", "-m", "deepseek/deepseek-flash", "--stream",
               "--simulated"]  # at the simulator's real pace: gpt-5.4 answers in about 2 s, deepseek-flash in 3.7 s


def _cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (*KEY_VARS, "MULTIMODEL_SIMULATE", "NO_COLOR")}
    env.update({"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", **extra})
    return env


def _timed_lines(proc: subprocess.Popen, read: Callable[[], bytes]) -> tuple[list[tuple[float, bool, str]], float]:
    """Each output line with when it arrived and whether the process was still running then; and the exit time."""
    start, pending, lines = time.monotonic(), b"", []
    while True:
        try:
            data = read()
        except OSError:  # a pty's master side reads EIO once the child has exited
            data = b""
        if not data:
            break
        pending += data
        *whole, pending = pending.split(b"\n")
        now, running = time.monotonic() - start, proc.poll() is None
        lines += [(now, running, line.decode("utf-8", "replace").rstrip("\r")) for line in whole]
    proc.wait(timeout=60)
    return lines, time.monotonic() - start


def test_compare_stream_piped_prints_each_answer_as_soon_as_it_completes():
    proc = subprocess.Popen([sys.executable, "-m", "multimodel", *STREAM_ARGS], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_cli_env())
    lines, exited = _timed_lines(proc, lambda: os.read(proc.stdout.fileno(), 65536))
    assert proc.returncode == 0, proc.stderr.read()
    texts = [text for _, _, text in lines]
    first = texts.index(next(t for t in texts if t.startswith("--- openai/gpt-5.4 [simulated]: ")))
    second = texts.index(next(t for t in texts if t.startswith("--- deepseek/deepseek-flash [simulated]: ")))
    table = texts.index(next(t for t in texts if t.split()[:2] == ["model", "finish_reason"]))
    assert first < second < table
    arrived, running, _ = lines[first]
    assert running and exited - arrived > 0.5, "the first answer was not printed before the run ended"
    assert "[simulated gpt-5.4] You asked" in texts[first + 1]  # the whole answer follows its header, indented
    assert any(t.startswith("    reasoning: [simulated reasoning]") for t in texts[second:table])
    assert not any("\x1b" in t for t in texts), "no terminal escapes in a pipe"


def test_compare_stream_in_a_terminal_shows_each_models_lines_as_they_arrive():
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "multimodel", *STREAM_ARGS], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env=_cli_env(COLUMNS="100", TERM="xterm"), close_fds=True)
    os.close(slave)
    try:
        lines, exited = _timed_lines(proc, lambda: os.read(master, 65536))
    finally:
        os.close(master)
    assert proc.returncode == 0, "\n".join(t for _, _, t in lines)
    plain = [(t, running, re.sub(r"\x1b\[[0-9;]*m", "", text)) for t, running, text in lines]
    gpt = [(t, running) for t, running, text in plain if text.startswith("gpt-5.4 ") and " │ " in text]
    assert len(gpt) >= 4 and all(running for _, running in gpt)
    assert gpt[-1][0] - gpt[0][0] > 0.5, "gpt-5.4's lines arrived at once, not as it streamed"
    assert exited - gpt[0][0] > 1.0
    done = next(i for i, (_, _, text) in enumerate(plain) if text.startswith("gpt-5.4 ") and "✓ done (stop)" in text)
    assert all(t <= plain[done][0] for t, _ in gpt)
    deepseek = [text for _, _, text in plain if text.startswith("deepseek-flash ")]
    thinking = [i for i, text in enumerate(deepseek) if " ┆ " in text]
    answering = [i for i, text in enumerate(deepseek) if " │ " in text]
    assert thinking and answering and max(thinking) < min(answering)  # its reasoning streams first, marked ┆
    assert all(len(text) <= 100 for _, _, text in plain if " │ " in text or " ┆ " in text)  # wrapped to the width
    assert any("\x1b[1;36m" in text for _, _, text in lines)  # the first model's colour
    last_done = max(i for i, (_, _, text) in enumerate(plain) if "✓ done (stop)" in text)
    table = next(i for i, (_, _, text) in enumerate(plain) if text.split()[:2] == ["model", "finish_reason"])
    assert last_done < table


def _printer(interactive: bool, monkeypatch):
    import io

    from multimodel.cli import _StreamPrinter

    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "60")
    out = io.StringIO()
    return _StreamPrinter(["openai/gpt-5.4", "openrouter/openai/gpt-5.4"], out=out, interactive=interactive), out


def test_stream_printer_keeps_model_text_from_driving_the_terminal(monkeypatch):
    from multimodel.results import Result

    printer, out = _printer(True, monkeypatch)
    printer.on_delta(0, "content", "Hello\x1b[2J\x1b]0;pwned\x07 world\r\n")
    printer.on_delta(1, "reasoning", "thinking " * 20)
    printer.finish(0, Result(model="openai/gpt-5.4", provider="openai", content="Hello[2J]0;pwned world\n",
                             finish_reason="stop"))
    printer.close()
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    lines = text.splitlines()
    assert lines[0] == "openai/gpt-5.4            │ Hello[2J]0;pwned world"  # same id twice: full names
    reasoning = [ln for ln in lines if ln.startswith("openrouter/openai/gpt-5.4 ┆ ")]
    assert len(reasoning) >= 4 and all(len(ln) <= 60 for ln in reasoning)
    assert lines[-1].startswith("openai/gpt-5.4              ✓ done (stop)")


def test_stream_printer_shows_the_returned_answer_when_it_differs_from_what_streamed(monkeypatch):
    from multimodel.results import Result, ResultError

    printer, out = _printer(True, monkeypatch)
    printer.on_delta(0, "content", "Partial ans")  # then a broken stream, retried: the text starts again
    printer.on_delta(0, "content", "Full answer.")
    printer.finish(0, Result(model="openai/gpt-5.4", provider="openai", content="Full answer.", finish_reason="stop"))
    printer.finish(1, Result(model="openrouter/openai/gpt-5.4", provider="openrouter", finish_reason="error",
                             error=ResultError(kind="rate_limit", message="slow down", status=429)))
    printer.close()
    lines = out.getvalue().splitlines()
    assert lines[1:3] == ["openai/gpt-5.4            │ the answer as returned:",
                          "openai/gpt-5.4            │ Full answer."]
    assert lines[-1].startswith("openrouter/openai/gpt-5.4   ✗ failed: rate_limit") and "429" in lines[-1]
    printer, out = _printer(True, monkeypatch)  # a cache replay streams nothing; a failure keeps what streamed
    printer.on_delta(1, "content", "half an")
    printer.finish(0, Result(model="openai/gpt-5.4", provider="openai", content="From the cache.",
                             finish_reason="stop", cached=True))
    printer.finish(1, Result(model="openrouter/openai/gpt-5.4", provider="openrouter", finish_reason="error",
                             error=ResultError(kind="stream", message="connection reset")))
    printer.close()
    assert out.getvalue().splitlines() == [
        "openai/gpt-5.4            │ From the cache.",
        "openai/gpt-5.4              ✓ done (stop): from the cache",
        "openrouter/openai/gpt-5.4 │ half an",
        "openrouter/openai/gpt-5.4   ✗ failed: stream: connection reset"]
    printer, out = _printer(False, monkeypatch)  # piped: one block per model, the answer as returned
    printer.on_delta(0, "content", "ignored while piped")
    printer.finish(0, Result(model="openai/gpt-5.4", provider="openai", content="Full answer.", finish_reason="stop",
                             simulated=True))
    printer.close()
    assert out.getvalue() == "--- openai/gpt-5.4 [simulated]\n    Full answer.\n"


def test_labels_are_short_unless_two_models_share_an_id():
    from multimodel.cli import _labels

    assert _labels(["openai/gpt-5.4", "deepseek/deepseek-flash"]) == ["gpt-5.4", "deepseek-flash"]
    assert _labels(["openai/gpt-5.4", "openrouter/openai/gpt-5.4", "xai/grok-4.3"]) == [
        "openai/gpt-5.4", "openrouter/openai/gpt-5.4", "grok-4.3"]
    assert _labels(["xai/grok-4.3", "xai/grok-4.3"]) == ["xai/grok-4.3#1", "xai/grok-4.3#2"]


# ---------------------------------------------------------------------------------- without keys, and --simulated
@pytest.fixture
def no_keys(monkeypatch, tmp_path):
    for var in (*KEY_VARS, "MULTIMODEL_SIMULATE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MULTIMODEL_CACHE", str(tmp_path / "cache.sqlite"))
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"prompt": ["2+2?"], "expected": ["4"]}).to_csv(tmp_path / "p.csv", index=False)


@pytest.mark.parametrize(("argv", "fragments"), [
    (["compare", "hi", "-m", "openai/gpt-5.4", "-m", "deepseek/deepseek-flash", "-m", "openai/gpt-5.4-mini"],
     ["no API key for openai (set OPENAI_API_KEY) and deepseek (set DEEPSEEK_API_KEY): set them, or add --simulated"
      " to run `multimodel compare` against the built-in simulator instead (MULTIMODEL_SIMULATE=1 does the same)"]),
    (["compare", "hi", "-m", "auto:2"], ["no provider has an API key", "GEMINI_API_KEY or GOOGLE_API_KEY",
                                         "add --simulated"]),
    (["eval", "p.csv", "-m", "xai/grok-3-mini", "--out", "o.parquet"], ["no API key for xai (set XAI_API_KEY): set it",
                                                                         "`multimodel eval`"]),
    (["probe", "openrouter/deepseek/deepseek-v4-flash"], ["(set OPENROUTER_API_KEY)", "`multimodel probe`"]),
    (["models", "anthropic", "--live"], ["(set ANTHROPIC_API_KEY)", "`multimodel models`"]),
])
def test_without_keys_a_command_stops_naming_the_missing_keys_and_suggests_simulated(argv, fragments, no_keys,
                                                                                     capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing was sent, nothing half-printed
    for fragment in fragments:
        assert fragment in captured.err
    assert not Path("o.parquet").exists()


def test_multimodel_simulate_acts_as_simulated(no_keys, capsys, monkeypatch):
    monkeypatch.setenv("MULTIMODEL_SIMULATE", "1")
    assert main(["compare", "hi", "-m", "openai/gpt-5.4-mini"]) == 0
    out = capsys.readouterr().out
    assert "SIMULATED RUN (MULTIMODEL_SIMULATE=1 is set)" in out and "Unset MULTIMODEL_SIMULATE" in out
    assert main(["eval", "p.csv", "-m", "xai/grok-3-mini", "--out", "o.parquet"]) == 0
    assert pd.read_parquet("o.parquet")["simulated"].all()


@pytest.mark.parametrize("argv", [["capabilities", "openai/gpt-5.4", "--simulated"],
                                  ["report", "x.parquet", "--html", "r.html", "--simulated"],
                                  ["sim", "--port", "0", "--simulated"]])
def test_commands_that_send_nothing_refuse_simulated_clearly(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"`multimodel {argv[0]}`" in err and "sends nothing to a provider" in err and "takes no --simulated" in err


def test_the_help_examples_parse():
    from multimodel.cli import EXAMPLES, build_parser

    joined = re.sub(r"\s*\\\n\s*", " ", EXAMPLES)  # continuation lines joined
    commands = [shlex.split(re.split(r"\s{2,}", line.strip())[0])[1:] for line in joined.splitlines()
                if line.startswith("  multimodel ")]
    assert len(commands) >= 10
    parser = build_parser()
    for argv in commands:
        if argv[0] != "sim":
            _, rest = parser.parse_known_args(argv)
            assert rest == [], argv
    assert all(Path(ROOT, a).exists() for argv in commands for a in argv if a.startswith(("examples/", "data/")))


def test_warnings_print_as_one_line_each(tmp_path):
    """On the command line a warning is one line; the library source line that raised it would mean nothing."""
    from multimodel.sim.media import sample_wav

    clip = tmp_path / "clip.wav"
    clip.write_bytes(sample_wav())
    proc = subprocess.run([sys.executable, "-m", "multimodel", "compare", "What do you hear?", "--audio", str(clip),
                           "-m", "auto:2", "--simulated"], capture_output=True, text=True, env=_cli_env(),
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    err = [line for line in proc.stderr.splitlines() if line.strip()]
    assert any("audio" in line for line in err) and all(line.startswith("warning: ") for line in err), err
    assert not any(".py:" in line for line in err)


# ---------------------------------------------------------------------------------- report keeps the scores
@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_report_keeps_the_score_columns_of_every_results_format(suffix, tmp_path, capsys):
    prompts = tmp_path / "p.csv"
    pd.DataFrame({"prompt": ["What is 2+2?", "Capital of France?"], "expected": [4, 0],
                  "task": ["math", "geo"]}).to_csv(prompts, index=False)
    out = tmp_path / f"res{suffix}"
    assert main(["eval", str(prompts), "-m", "openai/gpt-5.4-mini", "-m", "deepseek/deepseek-flash", "--scorer",
                 "contains", "--scorer", "regex:simulated", "--out", str(out), "--simulated", "--cache", "off"]) == 0
    capsys.readouterr()
    html = tmp_path / "r.html"
    assert main(["report", str(out), "--html", str(html)]) == 0
    assert "scores: contains, regex" in capsys.readouterr().out  # not expected (numeric, but the prompts' own)
    score_charts = re.compile(r"data-chart=[\"']score_vs_cost[\"']")
    text = html.read_text()
    assert len(score_charts.findall(text)) == 2 and ">contains" in text and ">regex" in text
    assert main(["report", str(out), "--html", str(html), "--score", "regex"]) == 0
    assert len(score_charts.findall(html.read_text())) == 1
    assert main(["report", str(out), "--html", str(html), "--score", "nope"]) == 2
    assert "--score nope: no such column" in capsys.readouterr().err


def test_stream_lines_always_advance_even_when_the_label_leaves_no_width():
    from multimodel.cli import _take_lines

    lines, rest = _take_lines("hello world", 0)  # a label as wide as the terminal: it used to loop for ever
    assert "".join(lines) + rest == "helloworld" and all(len(line) == 1 for line in lines)
    printer_labels = __import__("multimodel.cli", fromlist=["_StreamPrinter"])._StreamPrinter(
        ["openrouter/deepseek/deepseek-v4-flash-extended-context"] * 2, out=io.StringIO(), interactive=False)
    try:
        assert all(len(label) <= 32 for label in printer_labels.labels)
    finally:
        printer_labels.close()


# ---------------------------------------------------------------------------------- eval --batch
def _batch_prompts(tmp_path: Path, n: int = 12) -> Path:
    prompts = tmp_path / "batch.csv"
    pd.DataFrame({"prompt": [f"Batch CLI question {i}: 2+2?" for i in range(n)], "expected": ["4"] * n}).to_csv(
        prompts, index=False)
    return prompts


def test_eval_batch_prints_the_plan_first_then_writes_batch_rows(tmp_path, capsys, fast_sim):
    out = tmp_path / "batch.parquet"
    code = main(["eval", str(_batch_prompts(tmp_path)), "-m", "openai/gpt-5-mini", "-m", "deepseek/deepseek-flash",
                 "--scorer", "contains", "--batch", "--out", str(out), "--html", str(tmp_path / "b.html"),
                 "--simulated", "--cache", "off"])
    printed, err = capsys.readouterr()
    assert code == 0, err
    lines = printed.splitlines()
    start = lines.index(next(ln for ln in lines if ln.startswith("batch plan")))
    assert lines[start + 1].startswith("  openai/gpt-5-mini [chat]: 12 rows by batch in 1 batch; $")
    assert lines[start + 2].startswith("  deepseek/deepseek-flash [chat]: 12 rows live (deepseek has no Batch API")
    assert printed.index("batch plan") < printed.index("cost_usd_total")  # the plan comes before the results
    assert "by batch: 12 rows in 1 batches, 0 failed" in printed and "live: 12 rows" in printed
    assert "[batch]" in err and "without a cache" not in err  # the batch progress bar; no resume advice to a sim
    df = pd.read_parquet(out)
    assert len(df) == 24 and df["contains"].notna().all() and df["error_kind"].isna().all()
    batch = df[df["model"] == "openai/gpt-5-mini"]
    assert (batch["mode"] == "batch").all() and (batch["cost_source"] == "batch_price_table").all()
    assert batch["batch_id"].nunique() == 1 and batch["e2e_s"].isna().all()
    assert (df.loc[df["model"] == "deepseek/deepseek-flash", "mode"] == "live").all()
    assert fast_sim.stats()["by_api"] == {"batch": 12, "chat": 12}
    assert (tmp_path / "b.html").stat().st_size > 10_000


@pytest.mark.parametrize("choice", ["error", "live"])
def test_eval_batch_failure_choice_makes_error_rows_or_resends_live(choice, tmp_path, capsys, fast_sim):
    fast_sim.set_batch_faults({"line_4xx": 0.25}, provider="openai")
    out = tmp_path / "batch.csv"
    code = main(["eval", str(_batch_prompts(tmp_path, 40)), "-m", "openai/gpt-5-mini", "--batch", "--batch-failure",
                 choice, "--out", str(out), "--simulated", "--cache", "off"])
    assert code == 0, capsys.readouterr().err
    df = pd.read_csv(out)
    failed = round(0.25 * 40)
    if choice == "error":
        assert (df["error_kind"] == "bad_request").sum() == failed and (df["mode"] == "batch").all()
        assert fast_sim.stats()["by_api"] == {"batch": 40}
    else:
        assert df["error_kind"].isna().all() and (df["mode"] == "live").sum() == failed
        assert fast_sim.stats()["by_api"] == {"batch": 40, "chat": failed}


def test_batch_failure_without_batch_is_refused(tmp_path, capsys):
    code = main(["eval", str(_batch_prompts(tmp_path)), "-m", "openai/gpt-5-mini", "--batch-failure", "live",
                 "--out", str(tmp_path / "x.parquet"), "--simulated"])
    assert code == 2 and "add --batch" in capsys.readouterr().err
