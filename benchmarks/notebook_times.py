"""Wall time of every lesson, run top to bottom in a fresh kernel, against its budget.

    python benchmarks/notebook_times.py               # every notebook
    python benchmarks/notebook_times.py 04 08         # only these lessons
    python benchmarks/notebook_times.py --save DIR    # also keep the executed copies

For each notebook it prints the seconds taken, the budget its issue set on a
2-core CPU machine, the device the kernel used, and the last line a training
run printed in the note's format ("Epoch 50/50, Train Loss: …"), if any.
Measurements only: nothing is asserted, and a loaded machine reads slower.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = {"00": 30, "01": 60, "02": 60, "03": 60, "04": 90, "05": 120, "06": 120, "07": 120, "08": 120}
FINAL_EPOCH = re.compile(r"^Epoch (\d+)/\1, .*$", re.M)
DEVICE = re.compile(r"^device: (\S+)", re.M)


def stream_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
    return "".join(parts)


def run(path: Path, timeout: int) -> tuple[float, object]:
    nb = nbformat.read(path, as_version=4)
    executor = ExecutePreprocessor(timeout=timeout, kernel_name="python3")
    start = time.perf_counter()
    executor.preprocess(nb, {"metadata": {"path": str(path.parent)}})
    return time.perf_counter() - start, nb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers such as 04 (default: all)")
    parser.add_argument("--save", type=Path, help="folder to write the executed notebooks to")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    args = parser.parse_args()
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.lessons:
        unknown = [n for n in args.lessons if not any(p.name.startswith(n + "_") for p in paths)]
        if unknown:
            parser.error(f"no notebook numbered {', '.join(unknown)}; have {', '.join(p.name[:2] for p in paths)}")
        paths = [p for p in paths if p.name[:2] in args.lessons]

    print(f"{'notebook':<28}{'seconds':>9}{'budget':>8}  {'device':<8} last epoch line")
    failed = 0
    for path in paths:
        try:
            seconds, nb = run(path, args.timeout)
        except Exception as err:  # report and go on with the others
            failed += 1
            print(f"{path.name:<28}{'FAILED':>9}{BUDGET_S.get(path.name[:2], 0):>8}  {type(err).__name__}: "
                  f"{str(err).strip().splitlines()[-1][:120] if str(err).strip() else ''}")
            continue
        text = stream_text(nb)
        finals = FINAL_EPOCH.findall(text) and [m.group(0) for m in FINAL_EPOCH.finditer(text)]
        device = DEVICE.search(text)
        budget = BUDGET_S.get(path.name[:2], 0)
        flag = "" if seconds <= budget else "  (over budget)"
        print(f"{path.name:<28}{seconds:>9.1f}{budget:>8}  {device.group(1) if device else '?':<8} "
              f"{finals[-1] if finals else '-'}{flag}")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, args.save / path.name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
