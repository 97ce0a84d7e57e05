"""Drive JupyterLab in a real Chromium for the browser tests.

Two halves:

* processes: find a Chromium, start a private JupyterLab server (127.0.0.1,
  a free port, a random token, temporary config/runtime/settings folders,
  nothing that reaches the network) and stop it, its kernels included;
* pages: open a notebook, run all cells through the menu, wait for the kernel,
  find a slider by its label, move it with the keyboard or the mouse, and
  read what the outputs show (images, tracebacks, widget errors).

Everything waits on the DOM or on the kernel's status, never on fixed sleeps.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

try:  # importable without Playwright, so that conftest can skip with a reason
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # pragma: no cover
    class PlaywrightTimeout(Exception):
        pass

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"



def fresh_artifacts(folder: Path) -> Path:
    """Create ``folder``, emptied once per test run: pytest-xdist's workers of one run share its run id, so a worker
    that starts later keeps the screenshots and logs an earlier one saved there."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when a worker dies
        run, marker = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid())), folder / ".run"
        if not marker.is_file() or marker.read_text() != run:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            marker.write_text(run)
    return folder


CHROMIUM_ENV = "MLP_LESSONS_CHROMIUM"
REQUIRE_ENV = "MLP_LESSONS_REQUIRE_BROWSER"
RUN_ALL_ENV = "MLP_LESSONS_BROWSER_RUN_ALL"
CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "/snap/bin/chromium")

# Headless, as root, with the network closed: no sandbox (root), no GPU, and
# none of the background services that would try to phone home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-breakpad",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--metrics-recording-only",
    "--password-store=basic",
]

HOW_TO_ENABLE = (
    "install Chromium (Debian/Ubuntu: `sudo apt-get install chromium`) or point "
    f"{CHROMIUM_ENV}=/path/to/chromium at one; set {REQUIRE_ENV}=1 to make a missing browser an error"
)

# Texts that mean a widget did not display: the ipywidgets front end is
# missing, a model is gone, or the output fell back to its text/plain repr.
WIDGET_ERROR_PATTERNS = (
    "Error displaying widget",
    "model not found",
    "Model not found",
    "A Jupyter widget could not be displayed",
    "No renderer could be found",
    "Error rendering output",
    "Failed to load model class",
    "Could not create a model",
)
# What JupyterLab shows instead of a widget when the ipywidgets front end is
# missing: the widget's text/plain repr, e.g. "interactive(children=(IntSlider(...".
TEXT_FALLBACK = re.compile(
    r"^\s*(interactive|VBox|HBox|Box|Output|IntSlider|FloatSlider|FloatLogSlider|SelectionSlider|Dropdown)\(",
    re.M)


# --------------------------------------------------------------------------
# Finding the browser
# --------------------------------------------------------------------------

def browser_required() -> bool:
    """True when the environment says a missing browser is a failure (CI)."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def run_all_requested() -> bool:
    """True when the explorer tests should Run All cells of 06/07 instead of only the
    Setup and explorer sections (minutes longer; nbval runs every cell anyway)."""
    return os.environ.get(RUN_ALL_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def find_chromium() -> tuple[str | None, str]:
    """Return (path, "") for a usable Chromium, or (None, reason) when there is none.

    ``$MLP_LESSONS_CHROMIUM`` wins; otherwise ``chromium``/``chromium-browser``
    on PATH, then the usual install locations.
    """
    explicit = os.environ.get(CHROMIUM_ENV, "").strip()
    if explicit:
        path = shutil.which(explicit) or explicit
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path, ""
        return None, f"{CHROMIUM_ENV}={explicit!r} is not an executable file"
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path, ""
    for path in CHROMIUM_PATHS:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path, ""
    return None, "no Chromium found (looked for chromium, chromium-browser and " + ", ".join(CHROMIUM_PATHS) + ")"


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[psutil.Process]:
    """Every process below ``pid`` (children, grandchildren, ...); [] if it is gone."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def terminate_all(procs: list[psutil.Process], grace: float = 5.0) -> list[psutil.Process]:
    """SIGTERM ``procs``, wait ``grace`` seconds, SIGKILL the rest; return those that still live."""
    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                p.terminate()
                alive.append(p)
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(alive, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(alive, timeout=grace)
    return alive


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the test process dies,
    even if it is killed outright (SIGTERM lets the server shut its kernels down)."""
    if sys.platform.startswith("linux"):
        import ctypes
        PR_SET_PDEATHSIG = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


@dataclass
class LabServer:
    """A private JupyterLab on 127.0.0.1 serving ``root`` (the repository by default)."""

    root: Path = REPO
    log_path: Path = ARTIFACTS / "jupyterlab.log"
    start_timeout: float = 120.0
    port: int = 0
    token: str = ""
    proc: subprocess.Popen | None = None
    tmp: Path | None = None
    _log: object = None
    _attempts: int = 0
    _ready: bool = False
    _pending: list = field(default_factory=list)

    def __repr__(self) -> str:  # short, and never the token
        return f"LabServer(root={str(self.root)!r}, port={self.port})"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict:
        """The server's environment: the user's, with every Jupyter folder made temporary."""
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # the lessons choose `%matplotlib inline` themselves
        env.pop("JUPYTER_TOKEN", None)
        assert self.tmp is not None
        env.update(
            JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
            JUPYTER_DATA_DIR=str(self.tmp / "data"),
            JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(self.tmp / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.tmp / "workspaces"),
            IPYTHONDIR=str(self.tmp / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONUNBUFFERED="1",
        )
        return env

    def command(self) -> list[str]:
        jupyter = Path(sys.executable).with_name("jupyter")
        return [
            str(jupyter), "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.allow_root=True",  # CI runs as root
            f"--LabApp.user_settings_dir={self.tmp / 'settings'}",
            f"--LabApp.workspaces_dir={self.tmp / 'workspaces'}",
            # Nothing may reach the network: no news feed, no update check.
            "--LabApp.news_url=None",
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            # A safety net should this process die without cleaning up:
            # idle kernels are culled and an empty server exits by itself.
            "--MappingKernelManager.cull_idle_timeout=900",
            "--MappingKernelManager.cull_interval=60",
            "--ServerApp.shutdown_no_activity_timeout=1200",
        ]

    def _write_settings(self) -> None:
        settings = self.tmp / "settings"
        # No "receive Jupyter news?" toast and no update check.
        _write_json(settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
                    {"fetchNews": "false", "checkForUpdates": False})
        # The tests run cells; the notebooks they ran must never be saved back.
        _write_json(settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings",
                    {"autosave": False})

    def start(self, wait: bool = True) -> "LabServer":
        """Launch the server; with ``wait=False`` return at once (call :meth:`ready` before use)."""
        self.tmp = Path(tempfile.mkdtemp(prefix="mlp-lessons-lab-"))
        self._write_settings()
        self.token = secrets.token_hex(24)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self._attempts = 0
        self._ready = False
        self._launch()
        return self.ready() if wait else self

    def _launch(self) -> None:
        self._attempts += 1
        self.port = free_port()
        self._log.write(f"$ {' '.join(self.command()).replace(self.token, '<token>')}\n")
        self._log.flush()
        self.proc = subprocess.Popen(
            self.command(), cwd=self.root, env=self.environment(),
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
            preexec_fn=_die_with_parent,
        )

    def ready(self) -> "LabServer":
        """Wait until the server answers /api/status with the token (relaunching on another port up to twice)."""
        while not self._ready:
            try:
                self._wait_ready()
                self._ready = True
            except RuntimeError:
                self._stop_processes()
                if self._attempts >= 3:  # not a port race: give up
                    raise
                self._launch()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.proc.returncode}; see {self.log_path}:\n"
                                   + self.log_tail())
            try:
                status = self.api("GET", "/api/status", timeout=5)
                if isinstance(status, dict) and "started" in status:
                    return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"JupyterLab did not answer /api/status within {self.start_timeout:.0f} s; "
                           f"see {self.log_path}:\n" + self.log_tail())

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").replace(self.token or "\0", "<token>")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def api(self, method: str, path: str, timeout: float = 10.0):
        """Call the server's REST API with the token; JSON back (None for an empty body)."""
        req = urllib.request.Request(self.url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut every session's kernel down (frees memory between tests)."""
        try:
            for session in self.api("GET", "/api/sessions") or []:
                try:
                    self.api("DELETE", f"/api/sessions/{session['id']}", timeout=20)
                except (urllib.error.URLError, OSError):
                    pass
        except (urllib.error.URLError, OSError, ValueError):
            pass

    def shutdown_kernels_soon(self) -> None:
        """Like :meth:`shutdown_kernels`, in the background (:meth:`stop` waits for it)."""
        worker = threading.Thread(target=self.shutdown_kernels, daemon=True)
        worker.start()
        self._pending.append(worker)

    def stop(self) -> list[str]:
        """Stop the server and every process it started, remove its temporary folders.

        Returns what had to be killed by force (normally nothing).
        """
        for worker in self._pending:
            worker.join(timeout=30)
        self._pending.clear()
        leftovers = self._stop_processes()
        if self._log is not None:
            self._log.close()
            self._log = None
            try:  # the log is kept as a test artifact: without the token
                text = self.log_path.read_text(errors="replace")
                self.log_path.write_text(text.replace(self.token, "<token>") if self.token else text)
            except OSError:
                pass
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        return leftovers

    def _stop_processes(self) -> list[str]:
        leftovers: list[str] = []
        proc, self.proc = self.proc, None
        if proc is not None:
            family = descendants(proc.pid)  # kernels run in their own sessions: collect them first
            if proc.poll() is None:
                try:
                    self.api("POST", "/api/shutdown", timeout=10)  # shuts kernels down, then exits
                except (urllib.error.URLError, OSError, ValueError):
                    pass
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    leftovers.append(f"jupyter lab (pid {proc.pid})")
                    try:
                        os.killpg(proc.pid, signal.SIGTERM)
                        proc.wait(timeout=5)
                    except (ProcessLookupError, subprocess.TimeoutExpired):
                        try:
                            os.killpg(proc.pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                        proc.wait(timeout=5)
            try:  # anything else left in its process group
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            survivors = [p for p in family if _alive(p)]
            leftovers += [f"{_name(p)} (pid {p.pid})" for p in survivors]
            terminate_all(survivors)
        return leftovers


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _name(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline()[:3]) or p.name()
    except psutil.Error:
        return "?"


# --------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------

TIMINGS: list[str] = []  # "phase: seconds" lines of the current test (conftest writes them out)
_clock = [time.monotonic()]


def mark(phase: str) -> None:
    """Record how long ``phase`` took since the previous mark."""
    now = time.monotonic()
    TIMINGS.append(f"{phase}: {now - _clock[0]:.1f} s")
    _clock[0] = now


def reset_timings() -> None:
    TIMINGS.clear()
    _clock[0] = time.monotonic()


# A traceback shows either as an error output (a cell that raised) or, inside a
# widget's Output area (an explorer's update that raised), as stderr text.
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^[A-Za-z_.]*(Error|Exception): ", re.M)
ERROR_OUTPUTS = ('[data-mime-type="application/vnd.jupyter.error"], '
                 '[data-mime-type="application/vnd.jupyter.stderr"]')
# JavaScript: does the element `root` show a traceback?
HAS_ERROR_JS = f"""(root) => [...root.querySelectorAll('{ERROR_OUTPUTS}')].some(e =>
    e.getAttribute('data-mime-type').endsWith('error') || new RegExp({json.dumps(TRACEBACK.pattern)}, 'm').test(e.textContent))"""


def with_has_error(script: str) -> str:
    """``script`` with its ``(HAS_ERROR)`` placeholder replaced by :data:`HAS_ERROR_JS`."""
    return script.replace("(HAS_ERROR)", f"({HAS_ERROR_JS})")


RUN_TIMEOUT_MS = 600_000     # running a lesson (all of it, with RUN_ALL) on a loaded 2-core machine
UPDATE_TIMEOUT_MS = 120_000  # one slider move: retrain and redraw
OPEN_TIMEOUT_MS = 90_000     # JupyterLab's page and a notebook's first render


class Notebook:
    """A notebook open in JupyterLab, addressed through its panel in the DOM."""

    def __init__(self, page, panel, tab=None):
        self.page = page
        self.panel = panel  # locator of the .jp-NotebookPanel
        self.tab = tab      # locator of its tab in the main area

    def broken_images(self, timeout: float = 30_000) -> list[str]:
        """``src`` of each image in the rendered markdown that has not loaded within ``timeout`` ms.

        Each image is scrolled into view first (JupyterLab resolves relative
        URLs such as ``../figures/x.png`` after rendering, so this polls).
        """
        script = """(panel) => [...panel.querySelectorAll('.jp-RenderedMarkdown img')]
                        .filter(img => !(img.complete && img.naturalWidth > 0))
                        .map(img => img.getAttribute('src'))"""
        for img in self.panel.locator(".jp-RenderedMarkdown img").all():
            img.scroll_into_view_if_needed()
        try:
            self.page.wait_for_function(f"(panel) => ({script})(panel).length === 0",
                                        arg=self.panel.element_handle(), timeout=timeout, polling=250)
        except PlaywrightTimeout:
            pass
        return self.panel.evaluate(script)

    # ---- waiting --------------------------------------------------------

    def kernel_status(self) -> str:
        return self.panel.locator(".jp-Notebook-ExecutionIndicator").first.get_attribute("data-status") or ""

    def wait_kernel_idle(self, timeout: float = OPEN_TIMEOUT_MS) -> None:
        """Wait until the notebook has a kernel (not "No Kernel") and it is idle."""
        self.page.wait_for_function(
            """(panel) => {
                const name = panel.querySelector('.jp-Toolbar-kernelName');
                const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
                return name !== null && !/No Kernel/.test(name.textContent)
                    && ind !== null && ind.getAttribute('data-status') === 'idle';
            }""",
            arg=self.panel.element_handle(timeout=timeout), timeout=timeout, polling=200)

    def wait_rendered(self, cells: int, timeout: float = OPEN_TIMEOUT_MS) -> None:
        """Wait until all ``cells`` cells of the notebook are in the DOM."""
        self.page.wait_for_function(
            "([panel, n]) => panel.querySelectorAll('.jp-Notebook .jp-Cell').length >= n",
            arg=[self.panel.element_handle(timeout=timeout), cells], timeout=timeout, polling=200)

    # ---- running --------------------------------------------------------

    def run_all(self, timeout: float = RUN_TIMEOUT_MS) -> None:
        """Run → Run All Cells, then wait until every code cell has run (or one failed) and the kernel is idle."""
        self.wait_kernel_idle()
        self.panel.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})  # focus this notebook
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel",
                          has_text=re.compile(r"^Run All Cells$")).click()
        self.wait_executed(None, timeout)

    def run_cells(self, indices: list[int], timeout: float = RUN_TIMEOUT_MS) -> None:
        """Run the cells at ``indices`` (0-based, in the notebook) in order, as a user does:
        click each cell's prompt to select it and press Ctrl+Enter; then wait as :meth:`run_all` does."""
        self.wait_kernel_idle()
        cells = self.panel.locator(".jp-Notebook .jp-Cell")
        for i in indices:
            prompt = cells.nth(i).locator(".jp-InputPrompt").first
            prompt.scroll_into_view_if_needed()
            prompt.click()
            self.page.keyboard.press("Control+Enter")
        self.wait_executed(indices, timeout)

    def wait_executed(self, indices: list[int] | None, timeout: float = RUN_TIMEOUT_MS) -> None:
        """Wait until the kernel is idle and the cells at ``indices`` (None: every non-empty
        code cell) show an execution count, or a traceback is shown."""
        self.page.wait_for_function(with_has_error(
            """([panel, indices]) => {
                const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
                if (!ind || ind.getAttribute('data-status') !== 'idle') return false;
                const all = [...panel.querySelectorAll('.jp-Notebook .jp-Cell')];
                const cells = indices === null
                    // code cells with something to run (JupyterLab skips empty ones)
                    ? all.filter(c => c.classList.contains('jp-CodeCell')
                                      && (c.querySelector('.cm-content')?.textContent || 'x').trim() !== '')
                    : indices.map(i => all[i]);
                const prompts = cells.map(c => c?.querySelector('.jp-InputPrompt')?.textContent || '');
                if (prompts.some(t => t.includes('*'))) return false;
                return (HAS_ERROR)(panel) || (prompts.length > 0 && prompts.every(t => /\\[\\d+\\]/.test(t)));
            }"""),
            arg=[self.panel.element_handle(), indices], timeout=timeout, polling=250)

    # ---- reading ---------------------------------------------------------

    def errors(self, scope=None, widgets: bool = True) -> list[str]:
        """Tracebacks (and, with ``widgets``, widget-display failures) shown in ``scope`` (default: the notebook)."""
        scope = scope or self.panel
        found = []
        for output in scope.locator(ERROR_OUTPUTS).all():
            text = output.text_content() or ""
            if output.get_attribute("data-mime-type").endswith("error") or TRACEBACK.search(text):
                found.append(text.strip()[-3000:])
        if widgets:
            found += self.widget_problems(scope)
        return found

    def widget_problems(self, scope=None) -> list[str]:
        """Messages that show a widget could not be displayed (front end missing, model gone)."""
        scope = scope or self.panel
        text = "\n".join(scope.locator(".jp-OutputArea-output").all_text_contents())
        found = [f"output says {p!r}" for p in WIDGET_ERROR_PATTERNS if p in text]
        if TEXT_FALLBACK.search(text):
            found.append("a widget was shown as text (interactive(children=...)): the ipywidgets front end is missing")
        return found

    def slider(self, label: str | re.Pattern):
        """The slider control whose description label matches ``label`` (exactly one must)."""
        pattern = label if isinstance(label, re.Pattern) else re.compile(re.escape(label))
        sliders = self.panel.locator(".widget-slider").filter(
            has=self.page.locator(".widget-label", has_text=pattern))
        try:
            sliders.first.wait_for(state="visible", timeout=OPEN_TIMEOUT_MS)
        except PlaywrightTimeout:
            labels = self.panel.locator(".widget-slider .widget-label").all_text_contents()
            raise AssertionError(f"no slider labelled {pattern.pattern!r} appeared; slider labels on the page: "
                                 f"{labels}; problems shown: {self.errors() or 'none'}") from None
        count = sliders.count()
        if count != 1:
            labels = self.panel.locator(".widget-slider .widget-label").all_text_contents()
            raise AssertionError(f"expected one slider labelled {pattern.pattern!r}, found {count}; "
                                 f"slider labels on the page: {labels}")
        return Slider(self, sliders.first)


class Slider:
    """An ipywidgets slider (noUiSlider inside) and the explorer panel around it."""

    def __init__(self, notebook: Notebook, root):
        self.notebook = notebook
        self.page = notebook.page
        self.root = root
        self.handle = root.locator(".noUi-handle").first
        self.readout = root.locator(".widget-readout").first

    @property
    def explorer(self):
        """The ``interactive`` box holding this slider and its output."""
        return self.root.locator("xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' widget-interact ')][1]")

    @property
    def output(self):
        return self.explorer.locator(".widget-output").first

    def value_text(self) -> str:
        return self.readout.inner_text().strip()

    def image_signature(self) -> str:
        """The plot(s) the explorer shows now, as their data URLs joined."""
        return "|".join(img.get_attribute("src") or "" for img in self.output.locator("img").all())

    def wait_for_image(self, timeout: float = UPDATE_TIMEOUT_MS) -> str:
        self.output.locator("img").first.wait_for(state="visible", timeout=timeout)
        return self.image_signature()

    def _at_max(self) -> bool:
        now, top = self.handle.get_attribute("aria-valuenow"), self.handle.get_attribute("aria-valuemax")
        try:
            return float(now) >= float(top)
        except (TypeError, ValueError):
            return False

    def press(self, steps: int = 1) -> None:
        """Click the handle (it takes the focus) and press an arrow key, as a user does."""
        key = "ArrowLeft" if self._at_max() else "ArrowRight"
        self.handle.scroll_into_view_if_needed()
        self.handle.click()
        for _ in range(steps):
            self.page.keyboard.press(key)

    def drag(self, fraction: float = 0.3) -> None:
        """Drag the handle by ``fraction`` of the track's width with the mouse, then release."""
        self.handle.scroll_into_view_if_needed()
        track = self.root.locator(".noUi-target").first.bounding_box()
        box = self.handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        dx = track["width"] * fraction * (-1 if self._at_max() else 1)
        mouse = self.page.mouse
        mouse.move(x, y)
        mouse.down()
        for i in range(1, 11):  # a human-paced drag: several intermediate moves
            mouse.move(x + dx * i / 10, y)
        mouse.up()

    def move_and_wait(self, how: str = "keyboard", timeout: float = UPDATE_TIMEOUT_MS) -> tuple[str, str, str, str]:
        """Move the slider and wait for the explorer to finish; return (value before, after, image before, after).

        Waits for the readout to show the new value, then for the kernel to
        have been busy and to be idle again (quiet for half a second), then
        gives the browser a few seconds to show the new image. A traceback in
        the explorer's output ends the wait early. Nothing is asserted here.
        """
        value0, image0 = self.value_text(), self.wait_for_image()
        panel = self.notebook.panel.element_handle()
        self.page.evaluate(
            """(panel) => {
                const log = panel.__mlpStatus = {changes: [], last: performance.now()};
                const seen = () => {
                    const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
                    log.changes.push(ind ? ind.getAttribute('data-status') : null);
                    log.last = performance.now();
                };
                if (panel.__mlpObserver) panel.__mlpObserver.disconnect();
                panel.__mlpObserver = new MutationObserver(seen);
                panel.__mlpObserver.observe(panel, {attributes: true, subtree: true, attributeFilter: ['data-status']});
            }""", panel)
        if how == "keyboard":
            self.press()
        elif how == "drag":
            self.drag()
        else:
            raise ValueError(f"how={how!r}: use 'keyboard' or 'drag'")
        try:
            self.page.wait_for_function(
                "([el, before]) => el.textContent.trim() !== before",
                arg=[self.readout.element_handle(), value0], timeout=10_000, polling=100)
        except PlaywrightTimeout:
            return value0, self.value_text(), image0, self.image_signature()  # it did not move
        output = self.output.element_handle()
        self.page.wait_for_function(with_has_error(
            """([panel, out]) => {
                if ((HAS_ERROR)(out)) return true;
                const log = panel.__mlpStatus;
                const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
                return log.changes.includes('busy') && ind && ind.getAttribute('data-status') === 'idle'
                    && performance.now() - log.last > 500;
            }"""),
            arg=[panel, output], timeout=timeout, polling=100)
        try:
            self.page.wait_for_function(with_has_error(
                """([out, before]) => {
                    if ((HAS_ERROR)(out)) return true;
                    const imgs = [...out.querySelectorAll('img')];
                    return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0)
                        && imgs.map(i => i.getAttribute('src') || '').join('|') !== before;
                }"""),
                arg=[output, image0], timeout=10_000, polling=100)
        except PlaywrightTimeout:
            pass  # the caller's assertion says what did not change
        self.page.evaluate("(panel) => panel.__mlpObserver && panel.__mlpObserver.disconnect()", panel)
        return value0, self.value_text(), image0, self.image_signature()


def open_notebook(page, server: LabServer, path: str, workspace: str) -> Notebook:
    """Open ``path`` (relative to the server root) in a fresh JupyterLab workspace; wait for it to render."""
    url = f"{server.url}/lab/workspaces/{workspace}/tree/{path}?reset&token={server.token}"
    page.goto(url, wait_until="domcontentloaded", timeout=OPEN_TIMEOUT_MS)
    name = Path(path).name
    nb = notebook_in_tab(page, name)
    nb.wait_rendered(cell_count(server.root / path))
    mark(f"open {path}")
    nb.wait_kernel_idle()
    mark("kernel idle")
    return nb


def read_notebook(path: Path) -> dict:
    """The notebook file as JSON (no kernel, no nbformat validation)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def explorer_cells(path: Path) -> list[int]:
    """Indices of the code cells a student runs to use a lesson's explorer.

    Those of the "## Setup" section and of the section holding the cell that
    builds the explorer (a call ``…_explorer(``): the explorer and its
    check-yourself cell, not the subsections after them. Sections start at
    markdown cells with a ``## `` or ``### `` heading line.
    """
    cells = read_notebook(path)["cells"]
    section, sections = -1, []
    for cell in cells:
        if cell["cell_type"] == "markdown" and re.search(r"^###? ", source(cell), re.M):
            section += 1
        sections.append(section)
    setup = [sections[i] for i, c in enumerate(cells) if c["cell_type"] == "markdown"
             and re.search(r"^## Setup\b", source(c), re.M)]
    builds = [sections[i] for i, c in enumerate(cells) if c["cell_type"] == "code"
              and re.search(r"\b\w+_explorer\(", source(c))]
    if not builds:
        raise AssertionError(f"{path.name}: no code cell builds an explorer (a call to …_explorer()")
    wanted = set(setup[:1] + builds[:1])
    return [i for i, c in enumerate(cells) if c["cell_type"] == "code" and sections[i] in wanted
            and source(c).strip()]


def cell_count(path: Path) -> int:
    """How many cells the notebook file holds."""
    return len(read_notebook(path)["cells"])


def notebook_in_tab(page, name: str, timeout: float = OPEN_TIMEOUT_MS) -> Notebook:
    """The notebook whose main-area tab is labelled ``name``, once its first cell shows."""
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(
        has=page.locator(".lm-TabBar-tabLabel", has_text=re.compile("^" + re.escape(name) + "$"))).first
    tab.wait_for(state="visible", timeout=timeout)
    widget_id = tab.get_attribute("data-id")
    panel = page.locator(f'.jp-NotebookPanel[id="{widget_id}"]')
    panel.locator(".jp-Cell").first.wait_for(state="visible", timeout=timeout)
    return Notebook(page, panel, tab)


def save_screenshot(target, name: str) -> Path:
    """Screenshot a page or an element to test-artifacts/browser/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    target.screenshot(path=str(path))
    return path


# --------------------------------------------------------------------------
# The scenario every explorer test shares
# --------------------------------------------------------------------------

@dataclass
class Move:
    """What one slider move did."""

    value_before: str
    value_after: str
    image_before: str
    image_after: str
    shot_before: bytes
    shot_after: bytes
    errors: list


def run_and_move(page, server: LabServer, path: str, label, how: str, name: str, run: str = "all") -> Move:
    """Open ``path``, run it, check widgets display, move the slider labelled ``label`` and wait for the redraw.

    ``run="all"``: Run → Run All Cells; ``run="explorer"``: only the Setup
    section and the explorer's section (see :func:`explorer_cells`).
    Screenshots of the explorer before and after go to
    test-artifacts/browser/<name>-before.png and -after.png.
    """
    nb = open_notebook(page, server, path, workspace=name)
    if run == "all":
        nb.run_all()
    elif run == "explorer":
        nb.run_cells(explorer_cells(server.root / path))
    else:
        raise ValueError(f"run={run!r}: use 'all' or 'explorer'")
    mark(f"run {run}")
    errors = nb.errors()
    assert not errors, f"{path}: running it showed errors:\n" + "\n---\n".join(errors)
    slider = nb.slider(label)
    slider.wait_for_image()
    errors = nb.errors()
    assert not errors, f"{path}: the explorer did not display:\n" + "\n---\n".join(errors)
    slider.explorer.scroll_into_view_if_needed()
    shot_before = slider.output.screenshot()
    save_screenshot(slider.explorer, f"{name}-before")
    mark("explorer shown")
    value0, value1, image0, image1 = slider.move_and_wait(how)
    mark(f"slider moved ({how}) and redrawn")
    shot_after = slider.output.screenshot()
    save_screenshot(slider.explorer, f"{name}-after")
    return Move(value0, value1, image0, image1, shot_before, shot_after, nb.errors())


def assert_redrawn(move: Move, what: str) -> None:
    """The slider's value changed, the plot was redrawn differently, and nothing failed."""
    assert not move.errors, f"{what}: moving the slider showed errors:\n" + "\n---\n".join(move.errors)
    assert move.value_after != move.value_before, f"{what}: the slider did not move (still {move.value_before})"
    assert move.image_after != move.image_before, f"{what}: the plot's image did not change"
    assert move.shot_after != move.shot_before, f"{what}: the output area looks the same after the move"
