"""Store notebooks clean, both editions (notebooks/ and notebooks/zh/): no outputs, execution counts or widget state.

    python tools/clean_notebooks.py           # clean every notebook in place
    python tools/clean_notebooks.py --check   # list dirty notebooks, exit 1 if any
"""

from __future__ import annotations

import sys

from notebook_tools import NOTEBOOKS, lesson_paths, read, write

VOLATILE_CELL_KEYS = ("execution", "collapsed", "scrolled", "ExecuteTime")


def dirt(nb) -> list[str]:
    """What would be stripped from ``nb``, as short descriptions."""
    found = []
    if "widgets" in nb.metadata:
        found.append("widget state")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.get("outputs"):
            found.append(f"outputs in cell {i}")
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            found.append(f"execution count in cell {i}")
        if any(k in cell.metadata for k in VOLATILE_CELL_KEYS):
            found.append(f"run metadata in cell {i}")
    return found


def clean(nb) -> None:
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


def main(argv: list[str]) -> int:
    check = "--check" in argv[1:]
    dirty = {}
    for path in lesson_paths() + sorted((NOTEBOOKS / "zh").glob("[0-9][0-9]_*.ipynb")):
        nb = read(path)
        found = dirt(nb)
        if found:
            dirty[path.relative_to(NOTEBOOKS).as_posix()] = found
            if not check:
                clean(nb)
                write(nb, path)
    for name, found in dirty.items():
        print(f"{name}: {', '.join(found[:4])}{' …' if len(found) > 4 else ''}")
    if check and dirty:
        print("run `make clean-notebooks` to strip them")
        return 1
    print(f"{'dirty' if check else 'cleaned'}: {len(dirty)} notebook(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
