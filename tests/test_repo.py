"""The repository's own promises: clean notebooks, generated navigation, figures made by code,
and the lesson anatomy. The environment's promises (pins, d2l, `make lab`) are in test_environment.py."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if not p.name.startswith("00_")]
SETUP_LINES = [
    "import helpers",
    "helpers.seed_everything(0)",
    "device = helpers.device()",
]


def cells(path):
    return json.loads(path.read_text())["cells"]


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def run_tool(name, *args):
    return subprocess.run([sys.executable, str(ROOT / "tools" / name), *args],
                          capture_output=True, text=True, timeout=120)


def test_there_are_lessons():
    assert (ROOT / "notebooks" / "00_start_here.ipynb") in NOTEBOOKS
    assert len(NOTEBOOKS) >= 2


def test_notebooks_are_stored_clean():
    out = run_tool("clean_notebooks.py", "--check")
    assert out.returncode == 0, out.stdout + out.stderr


def test_navigation_and_contents_are_generated_and_current():
    out = run_tool("add_navigation.py", "--check")
    assert out.returncode == 0, out.stdout + out.stderr
    contents = [c for c in cells(ROOT / "notebooks" / "00_start_here.ipynb")
                if source(c).startswith("<!--CONTENTS-->")]
    text = source(contents[0])
    for lesson in LESSONS:
        assert f"]({lesson.name})" in text, f"{lesson.name} missing from the contents"


def test_clean_check_catches_dirt(tmp_path):
    """The cleanliness check can fail: a notebook with an output is reported."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import clean_notebooks
        import nbformat
    finally:
        sys.path.pop(0)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1", execution_count=1)])
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=1)]
    nb.metadata["widgets"] = {"state": {}}
    assert clean_notebooks.dirt(nb) == ["widget state", "outputs in cell 0", "execution count in cell 0"]
    clean_notebooks.clean(nb)
    assert clean_notebooks.dirt(nb) == []


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_anatomy(path):
    nb_cells = cells(path)
    title = source(nb_cells[0])
    assert nb_cells[0]["cell_type"] == "markdown"
    assert re.match(r"# \d\d · .+ · .*[\u4e00-\u9fff]", title.splitlines()[0]), "bilingual title"
    assert "<!--NAV-->" in title and "<!--NAV-->" in source(nb_cells[-1]), "navigation first and last"
    setup = next(source(c) for c in nb_cells if c["cell_type"] == "code")
    for line in SETUP_LINES:
        assert line in setup, f"the first code cell is the standard setup cell: missing {line!r}"
    text = "\n".join(source(c) for c in nb_cells)
    assert "assert " in text, "check-yourself asserts"
    assert "<details>" in text and re.search(r"\bcheck_\w+\(", text), "exercises with checks and a folded solution"
    assert "## Summary" in text


def figure_tools():
    """tools/make_figures.py, where every image in figures/ is drawn (build time only)."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_figures
    finally:
        sys.path.pop(0)
    return make_figures


def embedded_figures():
    found = set()
    for path in NOTEBOOKS:
        for cell in cells(path):
            if cell["cell_type"] == "markdown":
                found.update(re.findall(r"\.\./figures/([\w.-]+\.(?:png|svg))", source(cell)))
    return sorted(found)


@pytest.mark.parametrize("name", embedded_figures())
def test_embedded_figures_exist_and_are_made_by_code(name):
    tools = figure_tools()
    assert (tools.FIGURES_DIR / name).is_file(), f"figures/{name} is embedded but missing: run `make figures`"
    assert name in tools.FIGURES, f"figures/{name} is embedded but no code makes it: register it in tools/make_figures.py"


def test_every_registered_figure_is_committed():
    tools = figure_tools()
    for name in tools.FIGURES:
        assert (tools.FIGURES_DIR / name).is_file(), f"figures/{name}: run `make figures` and commit it"


def test_make_figures_regenerates_every_figure(tmp_path):
    tools = figure_tools()
    written = tools.make_all(tmp_path)
    assert sorted(p.name for p in written) == sorted(tools.FIGURES)
    assert all(p.stat().st_size > 1000 for p in written)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_embed_figures_instead_of_drawing_them(path):
    """The build-time figure code runs at `make figures`, never in a lesson: lessons embed the PNGs."""
    names = [f.__name__ for f in figure_tools().FIGURES.values()]
    pattern = re.compile(r"\b(make_figures|" + "|".join(names) + r")\b")
    for i, cell in enumerate(cells(path)):
        if cell["cell_type"] == "code":
            assert not pattern.search(source(cell)), f"{path.name} cell {i} draws a figures/ image at run time"


HELPERS_BUDGET = {"lines": 3000, "files": 16}


def helpers_size() -> tuple[int, int]:
    """(lines, files) of helpers/: every .py file, blank lines and comments included."""
    files = sorted((ROOT / "helpers").rglob("*.py"))
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in files), len(files)


def test_helpers_stay_small_and_the_readme_says_how_small():
    lines, files = helpers_size()
    assert lines <= HELPERS_BUDGET["lines"] and files <= HELPERS_BUDGET["files"], (lines, files)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"helpers/ holds ([\d,]+) lines in (\d+) files", readme)
    assert stated, "README's layout section must say 'helpers/ holds N lines in M files'"
    assert (int(stated.group(1).replace(",", "")), int(stated.group(2))) == (lines, files), (
        f"README says {stated.group(0)!r}; helpers/ has {lines} lines in {files} files: update README.md")


def test_each_lesson_module_says_where_it_is_used_and_imports_only_the_core():
    for path in sorted((ROOT / "helpers").glob("lesson*.py")):
        text = path.read_text(encoding="utf-8")
        number = path.stem.removeprefix("lesson")
        assert text.startswith(f'"""Used in lesson {number}'), f"{path.name} must open with 'Used in lesson {number}'"
        assert any((ROOT / "notebooks").glob(f"{number}_*.ipynb")), f"{path.name}: no notebook {number}_*.ipynb"
        others = set(re.findall(r"helpers\.?(?: import)? *(lesson\d\d)", text)) - {path.stem}
        assert not others, f"{path.name} imports {sorted(others)}: lesson modules use the core, never each other"
