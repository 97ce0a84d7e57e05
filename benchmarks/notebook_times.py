"""Wall time of every lesson, run top to bottom in a fresh kernel, against its budget.

    python benchmarks/notebook_times.py               # every notebook, English and Chinese editions
    python benchmarks/notebook_times.py 04 08         # only these lessons, in both editions
    python benchmarks/notebook_times.py --edition zh  # only the Chinese edition (notebooks/zh)

Each notebook is run exactly as `make test` runs it (`pytest --nbval-lax`, a
fresh kernel, every cell), one at a time; the seconds include pytest's start.
(nbclient's executor is not used: with ipywidgets it can stall for the whole
cell timeout, jupyter/nbclient#312.) Measurements only: nothing is asserted,
and a loaded machine reads slower.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Seconds under nbval on the 2-core machine: 120 for the lessons with a 50-epoch run (04, 07), 60 for the rest.
BUDGET_S = {"00": 60, "01": 60, "02": 60, "03": 60, "04": 120, "05": 60, "06": 60, "07": 120, "08": 60, "09": 60}


EDITIONS = {"en": ROOT / "notebooks", "zh": ROOT / "notebooks" / "zh"}  # the Chinese edition: same lessons, same code


def select_lessons(parser: argparse.ArgumentParser, lessons: list[str], editions=("en",)) -> list[Path]:
    """The notebooks NN_*.ipynb of ``editions`` for the lesson numbers given (all when none), English first;
    unknown numbers are a usage error."""
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    unknown = [n for n in lessons if not any(p.name.startswith(n + "_") for p in paths)]
    if unknown:
        parser.error(f"no notebook numbered {', '.join(unknown)}; have {', '.join(p.name[:2] for p in paths)}")
    return [EDITIONS[e] / p.name for e in editions for p in paths
            if (not lessons or p.name[:2] in lessons) and (EDITIONS[e] / p.name).exists()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers such as 04 (default: all)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per notebook (default 900)")
    parser.add_argument("--edition", choices=("en", "zh", "both"), default="both",
                        help="notebooks/ (en), notebooks/zh (zh) or both (default)")
    args = parser.parse_args()
    paths = select_lessons(parser, args.lessons, ("en", "zh") if args.edition == "both" else (args.edition,))

    print(f"{'notebook':<31}{'seconds':>9}{'budget':>8}  result")
    failed = 0
    total = 0.0
    for path in paths:
        start = time.perf_counter()
        try:
            out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                                  str(path)], cwd=ROOT, capture_output=True, text=True, timeout=args.timeout)
            result = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else f"exit {out.returncode}"
            failed += out.returncode != 0
        except subprocess.TimeoutExpired:
            result, failed = f"timed out after {args.timeout} s", failed + 1
        seconds = time.perf_counter() - start
        total += seconds
        budget = BUDGET_S.get(path.name[:2], 0)
        flag = "" if seconds <= budget else "  (over budget)"
        name = path.relative_to(ROOT / "notebooks").as_posix()  # zh/NN_… for the Chinese edition
        print(f"{name:<31}{seconds:>9.1f}{budget:>8}  {result}{flag}", flush=True)
    print(f"{'all':<31}{total:>9.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
