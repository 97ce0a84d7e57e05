"""Generate each lesson's navigation line and the contents list in 00_start_here.

Navigation: the line holding ``<!--NAV-->`` in a lesson's first and last
markdown cells is replaced (or appended when missing) by
``previous · contents · next`` links built from the notebooks' titles. The
marker ends the line: a line that starts with an HTML comment is an HTML block
in Markdown, and its links would show as text.
Contents: the markdown cell of 00_start_here whose first line is
``<!--CONTENTS-->`` is rewritten as a numbered list of the lessons.
The Chinese edition (notebooks/zh/, same file names) gets the same, in Chinese, from its own titles.

    python tools/add_navigation.py           # rewrite notebooks in place
    python tools/add_navigation.py --check   # exit 1 if anything is out of date
    python tools/add_navigation.py notebooks/06_weight_decay.ipynb   # write only these
"""

from __future__ import annotations

import sys
from pathlib import Path

from notebook_tools import NOTEBOOKS, START, lesson_paths, read, title_of, write

NAV = "<!--NAV-->"
CONTENTS = "<!--CONTENTS-->"
WORDS = {"en": ("Contents", "## Contents · 目录"), "zh": ("目录", "## 目录 · Contents")}


def link(number: str, title: str, name: str) -> str:
    return f"[{number} · {title}]({name})"


def nav_line(i: int, entries: list, lang: str = "en") -> str:
    parts = []
    if i > 0:
        n, t, _, name = entries[i - 1]
        parts.append("← " + link(n, t, name))
    parts.append(f"[{WORDS[lang][0]}]({START})")
    if i + 1 < len(entries):
        n, t, _, name = entries[i + 1]
        parts.append(link(n, t, name) + " →")
    return " · ".join(parts) + f" {NAV}"


def set_nav(cell, line: str) -> None:
    lines = [l for l in cell.source.splitlines() if NAV not in l]
    while lines and not lines[-1].strip():
        lines.pop()
    cell.source = "\n".join(lines + ["", line])


def contents_source(entries: list, lang: str = "en") -> str:
    rows = [CONTENTS, WORDS[lang][1], ""]
    for n, t, summary, name in entries[1:]:
        rows.append(f"{int(n)}. {link(n, t, name)}" + (f" — {summary}" if summary else ""))
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    check = "--check" in argv[1:]
    only = {Path(a).name for a in argv[1:] if not a.startswith("--")}
    stale = []
    english = lesson_paths()
    chinese = [NOTEBOOKS / "zh" / p.name for p in english if (NOTEBOOKS / "zh" / p.name).exists()]
    for lang, paths in (("en", english), ("zh", chinese)):
        stale += write_navigation(paths, lang, check, only)
    if check and stale:
        print("navigation or contents out of date in: " + ", ".join(stale) + "; run `make nav`")
        return 1
    print(("up to date: " if check else "navigation written: ") + f"{len(english) + len(chinese)} notebooks")
    return 0


def write_navigation(paths: list[Path], lang: str, check: bool, only: set[str]) -> list[str]:
    """Rewrite (or, with ``check``, only compare) one edition's navigation; the names that were out of date."""
    books = {p: read(p) for p in paths}
    entries = [(*title_of(books[p], p), p.name) for p in paths]
    stale = []
    for i, path in enumerate(paths):
        nb = books[path]
        before = [c.source for c in nb.cells]
        if path.name == START:
            cells = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith(CONTENTS)]
            if len(cells) != 1:
                raise SystemExit(f"{START}: needs exactly one markdown cell starting with {CONTENTS}")
            cells[0].source = contents_source(entries, lang)
        markdown = [c for c in nb.cells if c.cell_type == "markdown"]
        line = nav_line(i, entries, lang)
        set_nav(markdown[0], line)
        if len(markdown) > 1:
            set_nav(markdown[-1], line)
        if [c.source for c in nb.cells] != before:
            stale.append(str(path.relative_to(NOTEBOOKS)))
            if not check and (not only or path.name in only):
                write(nb, path)
    return stale


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
