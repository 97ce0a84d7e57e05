"""make test's nbval runs of the lessons, kept as the site build's executed copies (a pytest plugin).

With MLP_LESSONS_SAVE_EXECUTED=DIR, which make test sets to .site-cache/, each notebook that nbval runs to the end
with every cell passing is written to DIR under the key tools/build_site.py gives it, with the outputs nbval received:
the site build inside make test (tests/browser/sitedriver.py) then executes none of those lessons again. The kernel
nbval starts for it gets MLP_LESSONS_STATIC=both, so each explorer is live, as in JupyterLab, and drawn for each stop
as well, as the site shows it. While a lesson runs, a marker holding this process's id tells the site build to wait
for it. tests/conftest.py registers the plugin; elsewhere, ``pytest -p nbval_site`` with tools/ on the path.
"""

from __future__ import annotations

import copy
import os
import warnings
from pathlib import Path

import nbformat
import pytest
from IPython.core.displayhook import DisplayHook
from nbval.plugin import IPyNbCell

from build_site import (SAVE_ENV, STATIC_ENV, cached_path, edition_of, execution_key, helpers_digest,
                        running_marker, store)

NAME = "mlp-saved-executions"


class SavedExecutions:
    """The plugin: see the module's docstring."""

    def __init__(self, folder: str):
        self.folder, self.helpers, self.runs = Path(folder), helpers_digest(), {}

    def _run(self, item):
        if not isinstance(item, IPyNbCell):
            return None
        if item.parent not in self.runs:
            path = Path(str(item.parent.fspath))
            target = cached_path(edition_of(path), path, execution_key(path, self.helpers), self.folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            running_marker(target).write_text(str(os.getpid()))
            self.runs[item.parent] = {"target": target, "outputs": {}, "ok": True}
        return self.runs[item.parent]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item):
        if self._run(item) is None:
            return (yield)
        before = os.environ.get(STATIC_ENV)
        os.environ[STATIC_ENV] = "both"  # read by the kernel nbval starts in the notebook's first cell
        try:
            return (yield)
        finally:
            if before is None:
                os.environ.pop(STATIC_ENV, None)
            else:
                os.environ[STATIC_ENV] = before

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        run = self.runs.get(item.parent) if isinstance(item, IPyNbCell) else None
        if run is not None:
            run["ok"] = run["ok"] and not (report.failed or report.skipped)
            if call.when == "call" and report.passed:
                run["outputs"][id(item.cell)] = item.test_outputs
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        result = yield
        if isinstance(item, IPyNbCell) and item.parent in self.runs and (
                nextitem is None or nextitem.parent is not item.parent):
            self._finish(item.parent, self.runs.pop(item.parent))
        return result

    def _finish(self, file, run) -> None:
        target = run["target"]
        try:
            code = [cell for cell in file.nb.cells if cell.cell_type == "code"]
            if not run["ok"] or any(id(cell) not in run["outputs"] for cell in code):
                return  # a cell failed, was skipped or deselected: the site build runs this lesson itself
            nb = copy.deepcopy(file.nb)
            for cell, ran in zip(nb.cells, file.nb.cells):
                if ran.cell_type == "code":  # nbval runs cells outside IPython's history, where a closing ";"
                    quiet = DisplayHook.semicolon_at_end_of_expression(ran.source)  # does not hide the value
                    cell.outputs = [nbformat.from_dict(out) for out in run["outputs"][id(ran)]
                                    if not (quiet and out.output_type == "execute_result")]
            try:
                nbformat.validate(nb)
            except nbformat.ValidationError as err:
                warnings.warn(f"{file.fspath}: nbval's outputs do not make a valid notebook, so the site build "
                              f"runs it again: {err}")
                return
            store(nb, target)
        finally:
            running_marker(target).unlink(missing_ok=True)

    def pytest_sessionfinish(self):
        for run in self.runs.values():  # interrupted lessons: the site build must not wait for them
            running_marker(run["target"]).unlink(missing_ok=True)


def register(config) -> None:
    """Register the plugin when SAVE_ENV names a folder (make test sets it); a second call does nothing."""
    if (folder := os.environ.get(SAVE_ENV)) and not config.pluginmanager.has_plugin(NAME):
        config.pluginmanager.register(SavedExecutions(folder), NAME)


def pytest_configure(config):  # as a plugin of its own: pytest -p nbval_site (tools/ on the path)
    register(config)
