"""tools/nbval_site.py: under make test, a lesson nbval runs to the end becomes the site build's executed copy."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import build_site  # noqa: E402

OK_CELLS = [
    "import ipywidgets as widgets\nimport matplotlib.pyplot as plt\nfrom helpers import plot",
    "panel = plot.explorer(lambda k: 2 * k, lambda r, k: plt.plot([0, r]), k=widgets.IntSlider(1, 1, 3))\npanel",
    'print("printed")\n1 + 1;',  # nbval shows the value despite the ";" (no history): the saved copy must not
    "2 + 3",
]


def _notebook(path: Path, cells: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=[new_markdown_cell("# 10 · A test · 测试"), *map(new_code_cell, cells)]), path)
    return path


def test_a_passing_notebook_is_kept_with_both_explorer_views_and_a_failing_one_is_not(tmp_path):
    ok = _notebook(tmp_path / "notebooks" / "zh" / "10_ok.ipynb", OK_CELLS)
    failing = _notebook(tmp_path / "notebooks" / "11_fails.ipynb", ["x = 1", "raise ValueError('on purpose')"])
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k not in ("MLP_LESSONS_RESULTS", "IPYTHONDIR", "PYTEST_ADDOPTS")}
    env |= {"PYTHONPATH": str(ROOT / "tools"), build_site.SAVE_ENV: str(cache), "MPLBACKEND": "Agg"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "nbval_site", "-p", "no:cacheprovider", "-q",
                          "--nbval-lax", str(ok), str(failing)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 1 and "1 failed, 5 passed" in run.stdout, run.stdout + run.stderr
    helpers = build_site.helpers_digest()
    saved = build_site.cached_path("zh", ok, build_site.execution_key(ok, helpers), cache)
    assert sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file()) == [
        saved.relative_to(cache).as_posix()], "only the passing notebook, under its edition, no marker left"
    nb = nbformat.read(saved, as_version=4)
    nbformat.validate(nb)
    explorer, quiet, loud = (cell.outputs for cell in nb.cells[2:5])
    assert {build_site.WIDGET_VIEW, build_site.STATIC_MIME} <= set(explorer[0]["data"])  # live and drawn
    assert len(explorer[0]["data"][build_site.STATIC_MIME]["views"]) == 3
    assert [(o.output_type, o.get("text")) for o in quiet] == [("stream", "printed\n")]
    assert [o.data["text/plain"] for o in loud] == ["5"]
    report = []
    build_site.prepare(nb, report, "zh")  # the page gets the kernel-free explorer, not an empty widget
    assert set(nb.cells[2].outputs[0]["data"]) == {"text/plain", "text/html"}, report
    assert report == ["explorer: kernel-free, 3 views (k)"]


def test_the_build_waits_for_a_running_lesson_and_not_for_a_dead_one(tmp_path):
    target = tmp_path / "en" / "04_x-key.ipynb"
    target.parent.mkdir()
    job = [("en", Path("04_x.ipynb"), target)]
    build_site.running_marker(target).write_text(str(os.getpid()))  # a live process: wait until the copy is there
    writer = threading.Timer(1.5, lambda: target.write_text("{}"))
    writer.start()
    start = time.perf_counter()
    build_site.wait_for_tests(job, limit=30)
    assert target.exists() and time.perf_counter() - start >= 1.4
    target.unlink()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    build_site.running_marker(target).write_text(str(dead.pid))  # its process is gone: no waiting
    start = time.perf_counter()
    build_site.wait_for_tests(job, limit=30)
    assert time.perf_counter() - start < 1
    build_site.running_marker(target).write_text(str(os.getpid()))  # alive but never done: the limit ends it
    start = time.perf_counter()
    build_site.wait_for_tests(job, limit=2)
    assert 2 <= time.perf_counter() - start < 5


def test_no_lesson_sends_what_nbval_drops():
    """nbval keeps display_data, execute_result, stream and error messages and drops the rest (it prints "unhandled
    iopub msg"): a clear_output or an updated display would be missing from the kept copy, so none may be sent."""
    import re

    dropped = re.compile(r"\bclear_output\s*\(|\bdisplay_id\s*=|\bupdate_display\s*\(")
    sources = {p: p.read_text(encoding="utf-8") for p in (ROOT / "helpers").glob("*.py")}
    for path in sorted((ROOT / "notebooks").rglob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        sources[path] = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p, text in sources.items() for m in dropped.finditer(text)]
    assert len(sources) >= 30 and not found, found
