"""Execute every example notebook in notebooks/ headless (nbclient) against the simulator.

Each notebook runs in a temporary copy of ``notebooks/`` and ``data/`` (so its ``out/`` folder never lands
in the repo), in a kernel started from this interpreter (a kernelspec written to a temp dir: the venv's
python, whatever ``python`` is on PATH), with every provider key removed from the kernel's environment so
the notebooks take their simulated branch. A cell that raises fails the test, and so does a traceback or a
failed live view on stderr. Notebooks added later are picked up automatically; the outputs checked per
notebook are listed in ``EXPECTED``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402  (installed with nbclient)
from jupyter_client.manager import KernelManager  # noqa: E402

from multimodel.config import BUILTIN_PROVIDERS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 300

# Files a notebook writes under out/ (relative to the notebook) and text each must contain.
EXPECTED: dict[str, dict[str, list[str]]] = {
    "01_quickstart": {
        "out/01_cost_vs_latency.png": [],
        "out/01_comparison.html": ["SIMULATED", "openai/gpt-5.4", "anthropic/claude-sonnet-4-6",
                                   "gemini/gemini-3-flash-preview", "xai/grok-4.3", "deepseek/deepseek-flash"],
    },
    "02_batch_evaluation": {
        "out/02_score_vs_cost.png": [],
        "out/02_cost_breakdown.png": [],
        "out/02_charts/score_vs_cost_contains.svg": ["<svg", "SIMULATED"],
        "out/02_charts/latency_distribution.png": [],
        "out/02_results.parquet": [],
        "out/02_results.csv": ["contains", "exact_match", "answered_by", "Canberra"],
        "out/02_results.jsonl": ["contains", "category"],
        "out/02_report.html": ["SIMULATED", "openai/gpt-5.4", "deepseek/deepseek-flash", "contains (95% CI)"],
    },
    "03_reasoning_and_tools": {
        # model,api,effort,text returned: the same Claude and GPT, no reasoning text through chat, text natively
        "out/03_reasoning.csv": ["reasoning_tokens", "xai/grok-3-mini",
                                 "anthropic/claude-sonnet-4-6,chat,high,no,",
                                 "anthropic-messages/claude-sonnet-4-6,messages,high,yes,",
                                 "openai/gpt-5.4-mini,chat,high,no,",
                                 "openai-responses/gpt-5.4-mini,responses,high,yes,"],
        "out/03_reasoning_cost_breakdown.png": [],
    },
    "04_gateway_vs_direct": {
        "out/04_probe_matrix.png": [],
    },
    "05_multimodal": {
        "out/05_capabilities.csv": ["audio_input", "ignored", "anthropic/claude-sonnet-4-6"],
        "out/05_image_comparison.html": ["SIMULATED", "deepseek/deepseek-flash", "I see 1 image"],
    },
    "06_browse_results": {
        "out/06_browse.html": ["SIMULATED", "mm-browse"],
        "out/06_runs.html": ["SIMULATED", "max_tokens=48"],
    },
}
# Text that must appear in some cell output of the executed notebook.
EXPECTED_OUTPUT_TEXT: dict[str, list[str]] = {
    "04_gateway_vs_direct": ["an endpoint against itself: identical", "overhead", "system_mid_conversation",
                             "rejected"],
    "03_reasoning_and_tools": ["thought_signature", "without the signature: HTTP 400", "with the signature:",
                               "(not returned)", "thinking_blocks", "reasoning_items", "encrypted_content",
                               '"signature": '],
    "05_multimodal": ["would not receive audio clip", "openai/gpt-audio", "I hear 1 audio clip", "unsupported",
                      "dropped_inputs: ['audio_input']", "I read 1 PDF", "expected warnings, recorded: "],
}
# Warnings a simulated run may show (on stderr, a box each in Jupyter), per notebook; any other notebook none.
# Warnings a notebook provokes on purpose are recorded and summed up in one line instead (see 05).
SHOWN_WARNINGS = {"02_batch_evaluation": 1, "06_browse_results": 1}  # the max_tokens rename (02 explains it)
STDERR_FAILURES = ("Traceback (most recent call last)", "live view could not be shown", "live view finish()",
                   "live view close()", "scorer '")


# Executed notebooks of this session, by file name, with their folder and run time: this module and
# tests/test_export_html.py share them, so a full test run executes each notebook once.
EXECUTED: dict[str, tuple[nbformat.NotebookNode, Path, float]] = {}


def write_kernelspec(kernels: Path) -> Path:
    """A kernelspec named python3 that runs this interpreter (the project venv), under ``kernels``."""
    spec = kernels / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (multimodel test venv)",
        "language": "python",
    }))
    return kernels


def _kernel_env(tmp: Path) -> dict[str, str]:
    """This process's environment without provider keys; cache and IPython state inside the temp dir."""
    key_vars = {var for cfg in BUILTIN_PROVIDERS.values() for var in cfg.get("api_key_env", ())}
    env = {k: v for k, v in os.environ.items() if k not in key_vars}
    env.update({
        "MULTIMODEL_SIMULATE": "1",  # belt and braces: never the network, even with keys around
        "MULTIMODEL_CACHE": str(tmp / "cache.sqlite"),
        "IPYTHONDIR": str(tmp / "ipython"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    })
    return env


def _outputs(nb) -> list[dict]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]


def _output_text(out: dict) -> str:
    if out.get("output_type") == "stream":
        return out.get("text", "")
    data = out.get("data", {})
    return "\n".join(str(data[m]) for m in ("text/plain", "text/html") if m in data)


def _run(path: Path, work: Path, kernels: Path):
    """Copy notebooks/ and data/ into work, execute the copy of path there, return (nb, copy dir, seconds)."""
    shutil.copytree(NOTEBOOK_DIR, work / "notebooks", ignore=shutil.ignore_patterns("out", ".ipynb_checkpoints"))
    if (ROOT / "data").is_dir():
        shutil.copytree(ROOT / "data", work / "data")
    nb_dir = work / "notebooks"
    nb = nbformat.read(nb_dir / path.name, as_version=4)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    client = nbclient.NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S, allow_errors=False,
                                     resources={"metadata": {"path": str(nb_dir)}})
    start = time.perf_counter()
    try:
        client.execute(env=_kernel_env(work), cwd=str(nb_dir))
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell raised\n{exc}")
    finally:
        nbformat.write(nb, work / f"executed_{path.name}")  # for a look at the outputs after a failure
        if client.kc is not None:  # nbclient leaves a kernel it did not create running: stop it here
            client.kc.stop_channels()
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb, nb_dir, time.perf_counter() - start


def executed(path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, Path, float]:
    """``path`` executed against the simulator (see _run), once per test session."""
    if path.name not in EXECUTED:
        kernels = write_kernelspec(tmp_path_factory.mktemp("kernels"))
        EXECUTED[path.name] = _run(path, tmp_path_factory.mktemp(path.stem), kernels)
    return EXECUTED[path.name]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_saved_clean(path: Path):
    """nbformat 4, valid, no outputs or execution counts checked in (small diffs)."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: clear the outputs before saving"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_against_the_simulator(path: Path, tmp_path_factory: pytest.TempPathFactory):
    nb, nb_dir, seconds = executed(path, tmp_path_factory)
    print(f"{path.name}: executed in {seconds:.1f}s")

    outputs = _outputs(nb)
    errors = [out for out in outputs if out.get("output_type") == "error"]
    assert not errors, f"{path.name}: error output {errors[0].get('ename')}: {errors[0].get('evalue')}"
    stderr = "".join(out.get("text", "") for out in outputs if out.get("name") == "stderr")
    for marker in STDERR_FAILURES:
        assert marker not in stderr, f"{path.name}: {marker!r} on stderr:\n{stderr[-2000:]}"
    shown = re.findall(r"^\S.*?:\d+: (\w+Warning): ", stderr, re.M)
    assert len(shown) <= SHOWN_WARNINGS.get(path.stem, 0), f"{path.name} shows {len(shown)} warnings:\n{stderr[-3000:]}"

    text = "\n".join(_output_text(out) for out in outputs)
    assert "SIMULATED" in text, f"{path.name}: a simulated run must say SIMULATED"
    for needle in EXPECTED_OUTPUT_TEXT.get(path.stem, []):
        assert needle in text, f"{path.name}: expected {needle!r} in the outputs"

    for rel, needles in EXPECTED.get(path.stem, {}).items():
        f = nb_dir / rel
        assert f.is_file() and f.stat().st_size > 0, f"{path.name} did not write {rel}"
        if f.suffix == ".png":
            assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{rel} is not a PNG"
        elif f.suffix == ".parquet":
            assert f.read_bytes()[:4] == b"PAR1", f"{rel} is not parquet"
        content = f.read_text(encoding="utf-8", errors="replace") if needles else ""
        for needle in needles:
            assert needle in content, f"{rel} does not contain {needle!r}"
    if path.stem == "01_quickstart":
        _check_quickstart_view(outputs)


def _check_quickstart_view(outputs: list[dict]) -> None:
    """The side-by-side view (live widgets, then the HTML summary) and the chart appear in the outputs."""
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets, "compare() should display the live widget view in a kernel"
    # right after the widget, its final state as static HTML (what an export shows where no widget JS runs)
    after = outputs[outputs.index(widgets[0]) + 1].get("data", {})
    assert "mm-static-copy" in after.get("text/html", "") and "application/vnd.jupyter.widget-view+json" not in after
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    models = EXPECTED["01_quickstart"]["out/01_comparison.html"][1:]
    assert any(all(m in h for m in models) and "SIMULATED" in h for h in html), \
        "the comparison's HTML (every model, SIMULATED) is missing from the outputs"
    assert any("image/png" in o.get("data", {}) for o in outputs), "no chart shown inline"
