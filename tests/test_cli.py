"""The multimodel command line: demo, compare, eval, report, and clear errors for bad input."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from multimodel.cli import main


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
