"""Build the lessons as a static website in site/ (``make site``), offline.

    python tools/build_site.py                # site/: every lesson executed (or taken from the cache), as HTML
    python tools/build_site.py --jobs 1       # one notebook at a time (default: one per core, at most 2)
    python tools/build_site.py --no-cache     # execute every lesson again
    python tools/build_site.py --out DIR      # somewhere else than site/
    python tools/build_site.py --lang en      # one edition only (default: every edition there is)

Each lesson, notebooks/NN_slug.ipynb, is executed fresh in its own kernel by nbconvert's
ExecutePreprocessor (nbclient), from the notebook's folder, with OMP_NUM_THREADS=1 and
MLP_LESSONS_STATIC=1: there, every explorer (helpers.plot.Explorer) draws each combination of its
controls' stops in advance, which becomes a kernel-free explorer on the page (range inputs and
drop-downs swapping pictures), or a still image with the reason when there are too many. Executed
notebooks are cached in .site-cache/, keyed by a hash of the notebook, helpers/ and requirements.txt,
so a rebuild with nothing changed takes seconds; a build whose sources all match site/.build.json
does nothing. Under `make test` (MLP_LESSONS_SAVE_EXECUTED=.site-cache) each lesson that nbval runs to
the end with every cell passing is written to the cache with nbval's outputs, its explorers drawn for
each stop as well (MLP_LESSONS_STATIC=both): the build inside make test executes none of them again,
and waits for a lesson nbval is still running rather than running it twice. Pages are written by nbconvert's HTMLExporter with tools/site_template/mlp-site (the lab
template, served from the site alone: MathJax 2.7 from jupyter-server-mathjax, no CDN). Links to
``NN_slug.ipynb`` become ``NN_slug.html``; images the markdown embeds (``../figures/*.png``) are copied
into the site; 00_start_here is also index.html. If notebooks/zh/ holds the Chinese edition (same file
names), it becomes site/zh/, and each page links to the same lesson in the other edition.

Exit status: 0 built (or up to date), 1 a lesson failed to run or a page is broken, 2 bad input.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import hashlib
import html
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

from notebook_tools import NOTEBOOKS, ROOT, START, title_of

sys.path.insert(0, str(ROOT))
from helpers.plot import STATIC_ENV, STATIC_MIME  # noqa: E402

CACHE = ROOT / ".site-cache"
SAVE_ENV = "MLP_LESSONS_SAVE_EXECUTED"  # make test: nbval's runs of the lessons become this cache's copies
TEMPLATES = Path(__file__).resolve().parent / "site_template"
STAMP = ".build.json"
SITE_PAGES: set[Path] = set()  # every page of the build under way
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CELL_TIMEOUT = 600  # seconds, as make test's nbval
EDITIONS = {  # language: (folder of notebooks, folder in the site, words on the page)
    "en": (NOTEBOOKS, "", {"brand": "MLP lessons · 多层感知机", "contents": "Contents", "label": "English"}),
    "zh": (NOTEBOOKS / "zh", "zh/", {"brand": "多层感知机 · MLP lessons", "contents": "目录", "label": "中文"}),
}
# What a page may not load from another server: scripts, styles, images, frames, fonts (links <a> may go anywhere).
EXTERNAL = re.compile(r"<(?:script|link|img|iframe|source|audio|video|embed)\b[^>]*?\b(?:src|href)="
                      r"[\"']?((?:https?:)?//[^\"'\s>]+)"
                      r"|url\(\s*[\"']?((?:https?:)?//[^\"')\s]+)|@import\s+[\"']((?:https?:)?//[^\"']+)", re.I)
LOCAL_LINK = re.compile(r"""(<(?:a|img|source)\b[^>]*?\b(?:href|src)=)(["'])([^"'#?:]*)([?#][^"']*)?\2""", re.I)


class BuildError(Exception):
    """A problem the build reports and stops on (exit status ``code``)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- sources and the cache

def editions(langs: list[str]) -> dict[str, list[Path]]:
    """Language -> its lessons in reading order; the English edition must exist, the Chinese one may."""
    found = {}
    for lang, (folder, _, _) in EDITIONS.items():
        if lang not in langs:
            continue
        paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
        if lang == "en" and not paths:
            raise BuildError(f"no lessons (NN_slug.ipynb) in {folder}", 2)
        if paths and (folder / START) not in paths:
            raise BuildError(f"{folder.relative_to(ROOT)}/ has lessons but no {START}, the contents page", 2)
        if paths:
            found[lang] = paths
    for paths in found.values():
        for path in paths:
            try:
                nbformat.validate(nb := nbformat.read(path, as_version=4))
                title_of(nb, path)
            except Exception as err:  # unreadable JSON, an invalid notebook, no title cell
                raise BuildError(f"{path.relative_to(ROOT)} is not a lesson notebook: {err}", 2) from None
    return found


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little") + part)
    return h.hexdigest()


def helpers_digest() -> str:
    """What an execution depends on besides the notebook: helpers/ (every file), the pins, the static format."""
    files = sorted(p for p in (ROOT / "helpers").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return _digest(STATIC_MIME.encode(), (ROOT / "requirements.txt").read_bytes(),
                   *(part for p in files for part in (str(p.relative_to(ROOT)).encode(), p.read_bytes())))


def execution_key(path: Path, helpers: str) -> str:
    return _digest(path.read_bytes(), helpers.encode())[:20]


def cached_path(lang: str, path: Path, key: str, cache: Path = CACHE) -> Path:
    return cache / lang / f"{path.stem}-{key}.ipynb"


def edition_of(path: Path) -> str:
    """The edition a lesson belongs to, by its folder: notebooks/zh/ is Chinese, anything else English."""
    return "zh" if Path(path).resolve().parent.name == "zh" else "en"


def store(nb, target: Path) -> None:
    """Write an executed notebook into the cache (atomically), and remove that notebook's earlier versions."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f"{target.name}.{os.getpid()}.part")
    nbformat.write(nb, part)
    os.replace(part, target)
    stem = target.name.rsplit("-", 1)[0]
    for old in target.parent.glob(f"{stem}-*.ipynb"):
        if old != target:
            old.unlink(missing_ok=True)


def running_marker(target: Path) -> Path:
    """Where make test's nbval run of a lesson says, with its process id, that it will write ``target``."""
    return target.with_suffix(".running")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def wait_for_tests(todo: list, limit: float = 2 * CELL_TIMEOUT) -> None:
    """Under make test, a lesson whose nbval run is under way is this cache's copy when it ends (tools/nbval_site.py,
    SAVE_ENV): wait for those runs (while their process lives, ``limit`` seconds at most) instead of running them twice."""
    start, said = time.perf_counter(), set()
    while time.perf_counter() - start < limit:
        waiting = []
        for _, path, target in todo:
            marker = running_marker(target)
            try:
                pid = int(marker.read_text())
            except (FileNotFoundError, ValueError):
                continue
            if not target.exists() and _alive(pid):
                waiting.append(path.name)
        if not waiting:
            return
        if new := [name for name in waiting if name not in said]:
            print(f"waiting for make test's nbval run of {', '.join(new)}", flush=True)
            said.update(new)
        time.sleep(1)
    print(f"waited {limit:.0f} s for nbval; executing those lessons here", flush=True)


def site_key(books: dict[str, list[Path]], helpers: str) -> str:
    """Everything a build's output depends on: the executions, this script, the template, the embedded files."""
    here = [Path(__file__), Path(__file__).with_name("notebook_tools.py"), *sorted(TEMPLATES.rglob("*.*"))]
    figures = sorted(p for p in (ROOT / "figures").rglob("*") if p.is_file())
    return _digest(*(execution_key(p, helpers).encode() + p.name.encode() for paths in books.values() for p in paths),
                   *(p.read_bytes() for p in here + figures), mathjax_dir().joinpath("MathJax.js").read_bytes())


def mathjax_dir() -> Path:
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise BuildError("jupyter-server-mathjax, which ships MathJax for the pages, is not installed: "
                         "run `make setup`", 2) from None
    return Path(jupyter_server_mathjax.__file__).parent / "static"


# --------------------------------------------------------------------------- execution

def kernel_environment() -> None:
    """The kernels inherit this process's environment."""
    os.environ[STATIC_ENV] = "1"  # explorers draw every stop in advance
    os.environ["OMP_NUM_THREADS"] = "1"  # as make test: one torch thread per kernel, one kernel per core
    # Not MPLBACKEND=Agg: in a kernel it would replace the inline backend and leave every figure off the page.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def execute(src: str, dst: str) -> tuple[float, str]:
    """Run notebook ``src`` top to bottom from its folder, write it to ``dst``; (seconds, error or "")."""
    from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor

    start, nb = time.perf_counter(), nbformat.read(src, as_version=4)
    runner = ExecutePreprocessor(timeout=CELL_TIMEOUT, kernel_name="python3", store_widget_state=False)
    try:
        runner.preprocess(nb, {"metadata": {"path": str(Path(src).parent)}})
    except CellExecutionError as err:
        return time.perf_counter() - start, str(err)[-3000:]
    except Exception as err:  # a kernel that died or a cell past its timeout
        return time.perf_counter() - start, f"{type(err).__name__}: {err}"
    store(nb, Path(dst))
    return time.perf_counter() - start, ""


def execute_all(books: dict[str, list[Path]], helpers: str, jobs: int, use_cache: bool) -> dict[Path, Path]:
    """Source notebook -> its executed copy in the cache, running those that are missing; longest first."""
    done, todo = {}, []
    for lang, paths in books.items():
        for path in paths:
            target = cached_path(lang, path, execution_key(path, helpers))
            done[path] = target
            if not (use_cache and target.exists()):
                todo.append((lang, path, target))
    if use_cache and todo:
        wait_for_tests(todo)
        todo = [job for job in todo if not job[2].exists()]
    timings_file = CACHE / "timings.json"
    timings = json.loads(timings_file.read_text()) if timings_file.exists() else {}
    todo.sort(key=lambda job: -timings.get(f"{job[0]}/{job[1].name}", 1e9))  # unknown ones first, then the longest
    print(f"executing {len(todo)} of {len(done)} notebooks ({len(done) - len(todo)} from the cache), "
          f"{min(jobs, max(len(todo), 1))} at a time", flush=True)
    failures = []
    if todo:
        kernel_environment()
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(execute, str(path), str(target)): (lang, path, target)
                       for lang, path, target in todo}
            for future in concurrent.futures.as_completed(futures):
                lang, path, target = futures[future]
                seconds, error = future.result()
                name = f"{lang}/{path.name}"
                print(f"  {name}: {'FAILED' if error else 'executed'} in {seconds:.0f} s", flush=True)
                if error:
                    failures.append(f"{path.relative_to(ROOT)} failed to run:\n{error}")
                else:
                    timings[name] = round(seconds, 1)
        CACHE.mkdir(parents=True, exist_ok=True)
        timings_file.write_text(json.dumps(timings, indent=1, sort_keys=True))
    if failures:
        raise BuildError("\n\n".join(failures))
    return done


# --------------------------------------------------------------------------- pages

# The sentence under an explorer, in the page's language; ``why`` is what Explorer.static_views() says (in the
# lesson's language already: the Chinese edition's kernels speak Chinese).
NOTES = {
    "en": {"live": "Works without a kernel: all {n} settings were computed and drawn by the lesson's own code when "
                   "this page was built.{held} In JupyterLab the explorer is live: the lesson's code runs again for "
                   "whatever you choose.",
           "held": " {name} stays as in the first view; only the live explorer moves it.",
           "still": "A still image of this explorer's first view: {why}. Open the notebook in JupyterLab to move its "
                    "controls: there the explorer is live and computes whatever you choose."},
    "zh": {"live": "无需内核：全部 {n} 种设置都已在生成本页时由课程自己的代码算好并画出。{held}在 JupyterLab 中探索器是实时的："
                   "你选什么，课程的代码就为它重新运行。",
           "held": "{name} 保持第一幅图中的值，只有实时的探索器能移动它。",
           "still": "这是探索器第一个视图的静态图片：{why}。在 JupyterLab 中打开这个笔记本才能移动控件：在那里探索器是实时的，"
                    "会为你选的任何设置计算。"},
}
def explorer_html(views: dict, lang: str = "en") -> str:
    """A kernel-free explorer from ``Explorer.static_views()``: a range input per slider, a drop-down per other
    control, the pictures for the current stops and the data for the rest (swapped by the template's script)."""
    controls, rows, k = views["controls"], [], 0
    for c in controls:
        k = k * len(c["labels"]) + c["at"]
        name, n, at = html.escape(c["name"]), len(c["labels"]), c["at"]
        if c["slider"]:
            tag = (f"<input type='range' data-stop min='0' max='{n - 1}' step='1' value='{at}' aria-label='{name}'>"
                   f"<output>{html.escape(c['labels'][at])}</output>")
        else:
            tag = (f"<select data-stop aria-label='{name}'>" + "".join(
                f"<option value='{i}'{' selected' if i == at else ''}>{html.escape(label)}</option>"
                for i, label in enumerate(c["labels"])) + "</select>")
        rows.append(f"<label><span>{name}</span>{tag}</label>")
    alt = "explorer: " + ", ".join(c["name"] for c in controls) if controls else "explorer"
    pictures = "".join(f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{views['pngs'][p]}'>"
                       for p in views["views"][k])
    if views["still"]:
        note, data = NOTES[lang]["still"].format(why=views["still"]), ""
    else:
        held = "".join(NOTES[lang]["held"].format(name=h) for h in views["held"])
        note = NOTES[lang]["live"].format(n=len(views["views"]), held=held)
        payload = {"shape": [len(c["labels"]) for c in controls], "labels": [c["labels"] for c in controls],
                   "views": views["views"], "pngs": views["pngs"]}
        escaped = json.dumps(payload).replace("</", "<\\/")  # nothing in it can close the script element
        data = f"<script type='application/json' class='mlp-views'>{escaped}</script>"
    return (f"<div class='mlp-explorer{' mlp-still' if views['still'] else ''}' data-alt='{html.escape(alt)}'>"
            f"<div class='mlp-controls'>{''.join(rows)}</div><div class='mlp-plots'>{pictures}</div>"
            f"<p class='mlp-note'>{html.escape(note)}</p>{data}</div>")


def prepare(nb, report: list[str], lang: str = "en") -> None:
    """In place: explorers' views become HTML; widget displays (a progress bar) are dropped, no kernel drives them."""
    dropped = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if STATIC_MIME in data:
                views = data.pop(STATIC_MIME)
                data.pop(WIDGET_VIEW, None)  # make test's nbval kernels show both: the page has the views only
                data["text/html"] = explorer_html(views, lang)
                names = ", ".join(c["name"] for c in views["controls"]) or "-"
                report.append(f"explorer: still image ({views['still']})" if views["still"]
                              else f"explorer: kernel-free, {len(views['views'])} views ({names})")
            elif WIDGET_VIEW in data:
                dropped += 1
                continue
            kept.append(out)
        cell.outputs = kept
    if dropped:
        report.append(f"{dropped} widget display(s) left out (a progress bar: nothing drives it on a page)")


def rewrite_links(page: str, page_dir: Path, source_dir: Path, out: Path, pages: dict[Path, Path],
                  copies: dict[Path, Path], problems: list[str], warnings: list[str], where: str) -> str:
    """Links to built notebooks point to their pages; local files the page embeds or links are copied into the site.
    An image that is not there is a problem; a link to nothing the site has, a warning (it shows, and goes nowhere)."""
    def fix(match):
        head, quote, target, tail = match.group(1), match.group(2), match.group(3), match.group(4) or ""
        if not target or target.startswith("/") or (page_dir / target).resolve() in SITE_PAGES:
            return match.group(0)  # empty, absolute, or the template's own links between pages
        source = (source_dir / target).resolve()
        if source in pages:
            dest = pages[source]
        elif source.suffix == ".ipynb" or not source.is_file() or ROOT not in source.parents:
            is_image = not head.lower().startswith("<a")
            (problems if is_image else warnings).append(
                f"{where}: {'image' if is_image else 'link'} {target!r} points to nothing the site has")
            return match.group(0)
        else:  # a file of the repository: kept at the same place relative to notebooks/ (or the repository)
            inside = NOTEBOOKS if NOTEBOOKS in source.parents else ROOT
            dest = copies.setdefault(source, out / source.relative_to(inside))
        return f"{head}{quote}{os.path.relpath(dest, page_dir)}{tail}{quote}"
    return LOCAL_LINK.sub(fix, page)


def build_pages(books: dict[str, list[Path]], executed: dict[Path, Path], out: Path) -> list[str]:
    from nbconvert import HTMLExporter

    pages = {p.resolve(): out / EDITIONS[lang][1] / f"{p.stem}.html" for lang, paths in books.items() for p in paths}
    SITE_PAGES.clear()
    SITE_PAGES.update([*pages.values(), *(out / EDITIONS[lang][1] / "index.html" for lang in books)])
    copies, problems, warnings, summary = {}, [], [], []
    for lang, paths in books.items():
        folder, prefix, words = EDITIONS[lang]
        exporter = HTMLExporter(extra_template_basedirs=[str(TEMPLATES)], template_name="mlp-site",
                                language_code=lang, exclude_input_prompt=True, exclude_output_prompt=True)
        for path in paths:
            nb, report = nbformat.read(executed[path], as_version=4), []
            prepare(nb, report, lang)
            number, title, _ = title_of(nb, path)
            nb.metadata["title"] = f"{number} · {title}"
            page_file = pages[path.resolve()]
            other = next(((o, EDITIONS[o]) for o in books if o != lang
                          and (EDITIONS[o][0] / path.name).resolve() in pages), None)
            site = {"root": "" if page_file.parent == out else os.path.relpath(out, page_file.parent) + "/",
                    "brand": words["brand"], "contents": words["contents"], "other": other and {
                        "lang": other[0], "label": other[1][2]["label"],
                        "href": os.path.relpath(pages[(other[1][0] / path.name).resolve()], page_file.parent)}}
            body, _ = exporter.from_notebook_node(nb, resources={"site": site})
            body = rewrite_links(body, page_file.parent, folder, out, pages, copies, problems, warnings,
                                 f"{prefix}{page_file.name}")
            for match in EXTERNAL.finditer(body):
                url = next(g for g in match.groups() if g)
                problems.append(f"{prefix}{page_file.name} loads {url} from outside the site")
            page_file.parent.mkdir(parents=True, exist_ok=True)
            page_file.write_text(body, encoding="utf-8")
            if path.name == START:
                shutil.copyfile(page_file, page_file.with_name("index.html"))
            summary.append(f"  {prefix}{page_file.name} ({page_file.stat().st_size / 1e6:.1f} MB)"
                           + "".join(f"\n      {r}" for r in report))
    for warning in dict.fromkeys(warnings):
        print(f"warning: {warning}")
    if problems:
        raise BuildError("broken pages:\n  " + "\n  ".join(dict.fromkeys(problems)))
    for source, dest in copies.items():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    return summary


def copy_mathjax(out: Path) -> None:
    source, dest = mathjax_dir(), out / "assets" / "mathjax"
    stamp = dest / ".from"
    if stamp.exists() and stamp.read_text() == str(source):
        return
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest)
    stamp.write_text(str(source))


def build(out: Path, jobs: int, use_cache: bool, langs: list[str]) -> int:
    start = time.perf_counter()
    books = editions(langs)
    helpers = helpers_digest()
    key = site_key(books, helpers)
    stamp = out / STAMP
    pages = [out / EDITIONS[lang][1] / f"{p.stem}.html" for lang, paths in books.items() for p in paths]
    if use_cache and stamp.exists() and json.loads(stamp.read_text()).get("key") == key and all(
            page.is_file() for page in pages):
        print(f"{out.relative_to(ROOT) if ROOT in out.parents else out}/ is up to date with the sources "
              f"(its last build took {json.loads(stamp.read_text())['seconds']:.0f} s); nothing to do")
        return 0
    executed = execute_all(books, helpers, jobs, use_cache)
    stamp.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    copy_mathjax(out)
    (out / ".nojekyll").touch()  # GitHub Pages: serve the files as they are
    summary = build_pages(books, executed, out)
    seconds = time.perf_counter() - start
    stamp.write_text(json.dumps({"key": key, "seconds": round(seconds, 1), "editions": sorted(books)}))
    print("pages:\n" + "\n".join(summary))
    print(f"built {out} ({', '.join(f'{lang}: {len(p)} lessons' for lang, p in books.items())}) in {seconds:.0f} s "
          f"(wall clock, {jobs} notebook(s) at a time)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="where to write the site (default: site/)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="notebooks executed at once")
    parser.add_argument("--no-cache", action="store_true", help="execute every notebook again")
    parser.add_argument("--lang", action="append", choices=sorted(EDITIONS),
                        help="build only this edition (repeat for several; default: each one there is)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    try:
        return build(args.out.resolve(), args.jobs, not args.no_cache, args.lang or list(EDITIONS))
    except BuildError as err:
        print(f"build_site: error: {err}", file=sys.stderr)
        return err.code


if __name__ == "__main__":
    sys.exit(main())
