"""Keep the Chinese edition (notebooks/zh/) level with the English one (notebooks/).

The two editions have the same cells, in the same order, with the same ids. Code cells hold the same
code (comments may be translated). Each translated markdown cell records, in its metadata, a hash of
the English cell it translates: ``"translation": {"en_sha256": "<first 16 hex digits>"}``; when the
English cell changes afterwards, the translation is stale.

    python tools/translation.py status [NN ...]   # what is missing, untranslated, stale or different; exit 1 if any
    python tools/translation.py sync [NN ...]     # create missing notebooks, add/remove/reorder cells, copy code
    python tools/translation.py stamp NN [IDS]    # record that the zh cells (all, or these ids) translate the English

``sync`` never drops a translation silently: a markdown cell whose English changed keeps its text (and so
shows as stale until re-translated and stamped); a code cell whose code changed is replaced by the English
cell (its translated comments are lost, and reported). The navigation lines (``<!--NAV-->``) and the
generated contents cell are left out of the hash: tools/add_navigation.py writes them in each edition.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
import sys
import tokenize
from pathlib import Path

from notebook_tools import NOTEBOOKS, lesson_paths, read, write

ZH = NOTEBOOKS / "zh"
NAV, CONTENTS = "<!--NAV-->", "<!--CONTENTS-->"
CJK = re.compile(r"[\u4e00-\u9fff]")


def english_key(source: str) -> str:
    """The part of an English markdown cell a translation answers for: navigation lines and the
    generated contents list are written by tools/add_navigation.py in each edition, so they are left out."""
    if source.startswith(CONTENTS):
        return CONTENTS
    return "\n".join(line.rstrip() for line in source.splitlines() if NAV not in line).strip()


def digest(source: str) -> str:
    return hashlib.sha256(english_key(source).encode("utf-8")).hexdigest()[:16]


def code_only(source: str) -> str:
    """``source`` without comments, trailing spaces and blank lines: what both editions must share."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type != tokenize.COMMENT]
        source = tokenize.untokenize(tokens)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # not Python (e.g. a magic): compared as written
    return "\n".join(line.rstrip() for line in source.splitlines() if line.strip())


def zh_path(en: Path) -> Path:
    return ZH / en.name


def problems(en_nb, zh_nb, name: str = "") -> list[str]:
    """Every way ``zh_nb`` is not level with ``en_nb``, one readable line each (empty: level)."""
    out = []
    en_ids, zh_ids = [c.get("id") for c in en_nb.cells], [c.get("id") for c in zh_nb.cells]
    if en_ids != zh_ids:
        missing = [i for i in en_ids if i not in zh_ids]
        extra = [i for i in zh_ids if i not in en_ids]
        detail = (f"missing {missing}" if missing else "") + (f" extra {extra}" if extra else "")
        return [f"{name}: cells differ from the English edition ({detail.strip() or 'order differs'});"
                " run `python tools/translation.py sync`"]
    for i, (e, z) in enumerate(zip(en_nb.cells, zh_nb.cells)):
        where = f"{name} cell {i} (id {e.get('id')}, {e.source.splitlines()[0][:50] if e.source else ''!r})"
        if e.cell_type != z.cell_type:
            out.append(f"{where}: {z.cell_type} in zh, {e.cell_type} in English")
        elif e.cell_type == "code":
            if code_only(e.source) != code_only(z.source):
                out.append(f"{where}: the code differs from the English edition (only comments may differ)")
        elif e.cell_type == "markdown":
            recorded = z.metadata.get("translation", {}).get("en_sha256")
            if recorded is None:
                out.append(f"{where}: not translated yet")
            elif recorded != digest(e.source):
                out.append(f"{where}: stale, the English cell changed after it was translated")
            elif english_key(e.source) != CONTENTS and not CJK.search(z.source):
                out.append(f"{where}: stamped as translated but holds no Chinese")
    return out


def status(paths: list[Path]) -> list[str]:
    out = []
    for en in paths:
        if not zh_path(en).exists():
            out.append(f"{en.name}: no Chinese edition yet (notebooks/zh/{en.name}); run sync")
        else:
            out += problems(read(en), read(zh_path(en)), en.name)
    return out


def sync(en: Path) -> list[str]:
    """Make zh's cells follow en's: same ids and order; code copied where it differs; new cells in English."""
    en_nb = read(en)
    zh_nb = read(zh_path(en)) if zh_path(en).exists() else None
    old = {c.get("id"): c for c in zh_nb.cells} if zh_nb else {}
    cells, notes = [], []
    for e in en_nb.cells:
        z = old.pop(e.get("id"), None)
        if z is None or z.cell_type != e.cell_type:
            z = copy.deepcopy(e)
            z.metadata.pop("translation", None)
            if zh_nb is not None:
                notes.append(f"{en.name}: new cell {e.get('id')} copied in English")
        elif e.cell_type == "code" and code_only(e.source) != code_only(z.source):
            z = copy.deepcopy(e)
            notes.append(f"{en.name}: code cell {e.get('id')} replaced by the English one (re-translate its comments)")
        cells.append(z)
    notes += [f"{en.name}: cell {i} removed (no longer in the English edition)" for i in old]
    new = copy.deepcopy(en_nb) if zh_nb is None else zh_nb
    new.cells = cells
    ZH.mkdir(exist_ok=True)
    write(new, zh_path(en))
    return notes


def stamp(en: Path, ids: set[str] | None) -> int:
    en_nb, zh_nb = read(en), read(zh_path(en))
    english = {c.get("id"): c for c in en_nb.cells}
    count = 0
    for z in zh_nb.cells:
        if z.cell_type == "markdown" and (ids is None or z.get("id") in ids) and z.get("id") in english:
            z.metadata["translation"] = {"en_sha256": digest(english[z.get("id")].source)}
            count += 1
    write(zh_nb, zh_path(en))
    return count


def select(args: list[str]) -> list[Path]:
    paths = lesson_paths()
    if not args:
        return paths
    chosen = [p for p in paths if any(p.name.startswith(a.zfill(2)) or p.name == Path(a).name for a in args)]
    if len(chosen) != len(args):
        raise SystemExit(f"unknown lesson in {args}; use numbers such as 03 or names such as 03_activations.ipynb")
    return chosen


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in ("status", "sync", "stamp"):
        print(__doc__)
        return 2
    command, args = argv[1], argv[2:]
    if command == "stamp":
        if not args:
            raise SystemExit("stamp needs a lesson number, e.g. `stamp 03` or `stamp 03 03-05 03-07`")
        (en,) = select(args[:1])
        print(f"{en.name}: {stamp(en, set(args[1:]) or None)} markdown cells stamped")
        return 0
    if command == "sync":
        for en in select(args):
            for note in sync(en):
                print(note)
        print("synced")
        return 0
    found = status(select(args))
    print("\n".join(found) or "the Chinese edition is level with the English one")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
