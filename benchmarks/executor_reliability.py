"""Does every lesson run to the end under every standard notebook runner, every time?

    python benchmarks/executor_reliability.py                    # every lesson, 20 runs per runner
    python benchmarks/executor_reliability.py --runs 5 --lessons 03 05
    python benchmarks/executor_reliability.py --runners nbconvert --runs 10
    python benchmarks/executor_reliability.py --share-training --jobs 2   # 20 runs each, in about an hour here

Each lesson (notebooks/NN_*.ipynb) is run in a fresh kernel, from the repository
root, with MPLBACKEND=Agg and OMP_NUM_THREADS=1:

- once under nbval (``pytest --nbval-lax``, as ``make test`` runs it), first;
- ``--runs`` times under ``jupyter nbconvert --to notebook --execute`` (nbclient,
  no cell timeout: nbconvert's default);
- ``--runs`` times under papermill (nbclient again, no cell timeout: papermill's default).

The lesson's normal time is its nbval run's wall time on this machine (the first run
of the lesson); if that run fails or is killed, the lesson's budget from
benchmarks/notebook_times.py stands in. Every run of the lesson is then killed, with its
kernel, after 3x that time (``--factor``; never less than ``--min-limit`` seconds, which
absorbs the start-up of a kernel on a loaded machine) and counted as a hang: the hang of
jupyter/nbclient#312 is a cell that never ends, so no finite limit mistakes a slow run
for one by much. A run that ends with a non-zero status is a failure; its last lines are
printed. The table gives, per runner and lesson: runs, hangs, failures and the median
time of the runs that ended. Measurements only: nothing is asserted, and a loaded machine
reads slower (a run killed on a loaded machine may be slow, not hung: rerun it).

``--share-training`` loads tools/shared_results.py into every kernel, as `make test` does: the
lesson's first run (nbval) trains, and the later runs get its training back instead of redoing the
arithmetic. Every cell still runs, and every display and widget message is sent as in a normal
run; the runs are shorter, so 20 of each take about an hour here. ``--jobs`` runs that many at once.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from notebook_times import BUDGET_S, select_lessons  # noqa: E402 - the budgets are the fallback normal time
sys.path.insert(0, str(ROOT / "tools"))
import shared_results  # noqa: E402 - make test's shared training, for --share-training
RUNNERS = ("nbval", "nbconvert", "papermill")
NBVAL_CELL_TIMEOUT = 600  # as in the Makefile


def command(runner: str, notebook: Path, out_dir: Path) -> list[str]:
    py = sys.executable
    if runner == "nbval":
        return [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                f"--nbval-cell-timeout={NBVAL_CELL_TIMEOUT}", str(notebook)]
    if runner == "nbconvert":
        return [py, "-m", "nbconvert", "--to", "notebook", "--execute",  # = jupyter nbconvert
                "--output-dir", str(out_dir), "--output", notebook.stem + ".out", str(notebook)]
    if runner == "papermill":
        return [py, "-m", "papermill", "--cwd", str(notebook.parent), "--no-progress-bar",
                str(notebook), str(out_dir / (notebook.stem + ".out.ipynb"))]
    raise ValueError(runner)


def kill_tree(proc: subprocess.Popen) -> None:
    """Kill the runner and everything under it: the kernel too (jupyter_client starts it in its own session)."""
    try:
        import psutil

        procs = psutil.Process(proc.pid).children(recursive=True)
    except Exception:  # psutil missing or the process gone
        procs = []
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for p in procs:
        try:
            p.kill()
        except Exception:
            pass
    proc.wait()


def run_once(runner: str, notebook: Path, limit: float, extra_env: dict) -> tuple[str, float, str]:
    """('ok' | 'hang' | 'fail', seconds, the last lines of output when it failed)."""
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", **extra_env)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log"
        with open(log, "wb") as sink:
            start = time.perf_counter()
            proc = subprocess.Popen(command(runner, notebook, Path(tmp)), cwd=ROOT, env=env,
                                    stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                rc = proc.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                kill_tree(proc)
                return "hang", time.perf_counter() - start, ""
            seconds = time.perf_counter() - start
        if rc != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            return "fail", seconds, " | ".join(line.strip()[:160] for line in tail)
        return "ok", seconds, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per lesson under nbconvert and papermill (default 20)")
    parser.add_argument("--lessons", nargs="*", default=[], help="lesson numbers such as 03 05 (default: all)")
    parser.add_argument("--runners", nargs="*", default=list(RUNNERS), choices=RUNNERS,
                        help="which runners to report (default: all three); nbval runs once per lesson "
                             "in any case, to measure the normal time")
    parser.add_argument("--factor", type=float, default=3.0, help="outer limit = factor x normal time (default 3)")
    parser.add_argument("--min-limit", type=float, default=60.0, help="never a limit below this, seconds (default 60)")
    parser.add_argument("--first-limit", type=float, default=900.0,
                        help="limit of the first (nbval) run that measures the normal time, seconds (default 900)")
    parser.add_argument("--share-training", action="store_true",
                        help="later runs reuse the first run's training (tools/shared_results.py, as make test)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (default 1)")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error(f"--jobs {args.jobs}: give 1 or more")

    paths = select_lessons(parser, args.lessons or [])
    store = tempfile.TemporaryDirectory() if args.share_training else None
    extra_env = shared_results.prepare(Path(store.name)) if store else {}

    rows = []  # (runner, lesson, runs, hangs, failures, median, limit)
    for path in paths:
        lesson = path.name[:2]
        normal, source = None, "nbval run"
        # the nbval run comes first, always: it is the run that measures the normal time
        status, seconds, tail = run_once("nbval", path, args.first_limit, extra_env)
        print(f"{path.name} nbval: {status} {seconds:.1f} s {tail}", flush=True)
        if status == "ok":
            normal = seconds
        if "nbval" in args.runners:
            rows.append(("nbval", path.name, 1, status == "hang", status == "fail",
                         seconds if status != "hang" else None, args.first_limit))
        if normal is None:
            normal, source = float(BUDGET_S.get(lesson, args.first_limit / args.factor)), "budget table"
        limit = max(args.factor * normal, args.min_limit)
        print(f"{path.name}: normal time {normal:.1f} s ({source}), limit {limit:.0f} s", flush=True)
        others = [r for r in args.runners if r != "nbval"]
        results = {runner: [] for runner in others}
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {pool.submit(run_once, runner, path, limit, extra_env): (runner, i)
                       for i in range(1, args.runs + 1) for runner in others}
            for future in concurrent.futures.as_completed(futures):
                runner, i = futures[future]
                status, seconds, tail = future.result()
                results[runner].append((status, seconds))
                print(f"{path.name} {runner} run {i}/{args.runs}: {status} {seconds:.1f} s {tail}", flush=True)
        for runner, outcomes in results.items():
            times = [seconds for status, seconds in outcomes if status != "hang"]
            rows.append((runner, path.name, args.runs, sum(s == "hang" for s, _ in outcomes),
                         sum(s == "fail" for s, _ in outcomes), statistics.median(times) if times else None, limit))

    print()
    print(f"{'runner':<11}{'lesson':<28}{'runs':>5}{'hangs':>7}{'failures':>10}{'median s':>10}{'limit s':>9}")
    for runner, name, runs, hangs, fails, median, limit in sorted(rows, key=lambda r: (RUNNERS.index(r[0]), r[1])):
        med = f"{median:.1f}" if median is not None else "-"
        print(f"{runner:<11}{name:<28}{runs:>5}{int(hangs):>7}{int(fails):>10}{med:>10}{limit:>9.0f}")
    if store:
        print(f"shared training calls: {shared_results.summary(extra_env[shared_results.ENV]) or 'none'}")
        store.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
