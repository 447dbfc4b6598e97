"""A throwaway JupyterLab server for the browser tests: headless, on 127.0.0.1, with no network and no trace.

Everything it writes lives in one temporary folder: the notebooks it serves (copies), its config, data,
runtime, user-settings, workspaces and IPython folders (the user's own ~/.jupyter and lab settings are never
read or touched; the environment's installed extensions are used, as a user's JupyterLab would), a kernel
spec pinned to this interpreter (so the kernel imports the same multimodel whatever ``python`` is on PATH),
and its log. Nothing reaches out: no news feed and no prompt about it, no update check against PyPI, a
read-only extension manager, no terminals. It runs in its own process group and is always shut down (the
REST call first, so the kernels go too, then SIGTERM/SIGKILL to the group and to every process it started),
even when the test fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

API_KEY_SUFFIXES = ("_API_KEY", "_API_TOKEN")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children() -> dict[int, list[int]]:
    """Every live process's children, from /proc (Linux)."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": state, ppid, ...
        if fields and fields[0] != "Z":
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(pid: int) -> set[int]:
    """All live processes started (directly or not) by ``pid``."""
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: Iterable[int]) -> set[int]:
    """The ones of ``pids`` that still run (zombies count as gone)."""
    left = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        if stat[stat.rfind(")") + 2:].split()[0] != "Z":
            left.add(pid)
    return left


@dataclass
class JupyterLab:
    """One running server: its base URL, token, the folder it serves, and its process."""

    root: Path
    port: int
    token: str
    process: subprocess.Popen
    log_path: Path
    started_s: float = 0.0
    pids_seen: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 5.0) -> object:
        """A REST call to the server with the token; the decoded JSON reply (None when empty)."""
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # loopback only
            body = resp.read()
        return json.loads(body) if body else None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def remember_processes(self) -> None:
        """Note the server's processes now (kernels included), so shutdown can make sure they are gone."""
        self.pids_seen |= descendants(self.process.pid)


def _kernel_spec(data_dir: Path) -> None:
    """A ``python3`` kernel spec that runs this interpreter, ahead of any other on the search path."""
    spec = data_dir / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python",
    }), encoding="utf-8")


def _lab_settings(settings_dir: Path) -> None:
    """User settings that keep the page quiet and offline: never ask about, nor fetch, news or updates."""
    folder = settings_dir / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True)
    (folder / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")


def _environment(base: Path, extra_env: dict[str, str] | None) -> dict[str, str]:
    """The server's (and so the kernel's) environment: isolated Jupyter folders, no provider keys."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(API_KEY_SUFFIXES)}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                 "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR"):
        folder = base / name.lower()
        folder.mkdir(exist_ok=True)
        env[name] = str(folder)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env["JUPYTER_PATH"] = env["JUPYTER_DATA_DIR"]  # searched first, even before the venv's own kernel spec
    env.pop("JUPYTER_CONFIG_PATH", None)
    repo = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([repo] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(extra_env or {})
    return env


def _command(root: Path, port: int, token: str) -> list[str]:
    return [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_remote_access=False", "--ServerApp.terminals_enabled=False",
        "--ServerApp.allow_root=True",  # CI runs as root
        "--ServerApp.disable_check_xsrf=False",
        # nothing fetched from outside: no news feed, no update check, no extension listing from PyPI
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]


def _wait_until_up(lab: JupyterLab, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            code = lab.process.returncode
            raise RuntimeError(f"JupyterLab exited with {code} before answering:\n{lab.log()[-4000:]}")
        try:
            lab.api("/api/status", timeout=2)
            lab.api("/lab/api/settings", timeout=5)  # the lab extension is loaded, not just the server
            return
        except (OSError, urllib.error.URLError, ValueError) as exc:
            last = exc
            time.sleep(0.2)
    raise TimeoutError(f"JupyterLab did not answer on {lab.url} within {timeout_s:.0f} s ({last!r}):\n"
                       f"{lab.log()[-4000:]}")


def shutdown(lab: JupyterLab, timeout_s: float = 15.0) -> set[int]:
    """Stop the server and everything it started; the processes that would not die (empty when clean)."""
    lab.remember_processes()
    if lab.process.poll() is None:
        with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
            lab.api("/api/shutdown", method="POST", timeout=5)  # stops the kernels too
        with contextlib.suppress(subprocess.TimeoutExpired):
            lab.process.wait(timeout_s)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(lab.process.pid, sig)
        for pid in alive(lab.pids_seen):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            lab.process.wait(5)
        deadline = time.monotonic() + 5
        while alive(lab.pids_seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        if lab.process.poll() is not None and not alive(lab.pids_seen):
            break
    return alive(lab.pids_seen | {lab.process.pid})


@contextlib.contextmanager
def running_jupyterlab(notebooks: Iterable[Path], *, extra_env: dict[str, str] | None = None,
                       start_timeout_s: float = 60.0) -> Iterator[JupyterLab]:
    """Serve copies of ``notebooks`` from a fresh JupyterLab on a free loopback port; always torn down."""
    base = Path(tempfile.mkdtemp(prefix="mm-jupyterlab-"))
    root = base / "root"
    root.mkdir()
    for nb in notebooks:
        shutil.copy2(nb, root / Path(nb).name)
    env = _environment(base, extra_env)
    _kernel_spec(Path(env["JUPYTER_DATA_DIR"]))
    _lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    port, token = free_port(), secrets.token_hex(24)
    log_path = base / "jupyterlab.log"
    t0 = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(_command(root, port, token), cwd=root, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    lab = JupyterLab(root=root, port=port, token=token, process=process, log_path=log_path)
    try:
        _wait_until_up(lab, start_timeout_s)
        lab.started_s = time.monotonic() - t0
        yield lab
    finally:
        left = shutdown(lab)
        kept_log = lab.log()
        shutil.rmtree(base, ignore_errors=True)
        if left:
            raise RuntimeError(f"JupyterLab left processes running after shutdown: {sorted(left)}\n{kept_log[-2000:]}")
