"""Exercise checks, one module per lesson (``helpers.checks.lesson06`` …).

Every check prints a clear verdict and returns it as a bool, so tests can feed
it the solution (True) and a wrong answer (False):

    ✅ Correct — <what was verified>
    ❌ Not yet — <a specific hint>
"""

from __future__ import annotations


def verdict(passed: bool, success: str, hint: str) -> bool:
    """Print ✅ with ``success`` or ❌ with ``hint``; return ``passed``."""
    print(f"✅ Correct — {success}" if passed else f"❌ Not yet — {hint}")
    return bool(passed)


def run_student_code(fn, *args, **kwargs):
    """Call the student's function; ``(result, None)`` or ``(None, hint)`` if it raised."""
    try:
        return fn(*args, **kwargs), None
    except NotImplementedError:
        return None, "the function still raises NotImplementedError: replace the stub with your code"
    except Exception as err:  # a student's bug is reported, not raised
        return None, f"calling it raised {type(err).__name__}: {err}"
