"""Training shared by every kernel of one `make test` run, so that no net is trained twice for nothing.

`make test` runs each lesson several times: under nbval in English and in Chinese (the same code, as
tests/test_translation.py enforces), in JupyterLab for the browser tests and in the site build. Each of
those kernels would train the same nets from the same start on the same data. With
``$MLP_LESSONS_RESULTS`` naming a folder, this module (loaded into each kernel from IPython's startup
folder under ``$IPYTHONDIR``; `make test` sets both) wraps ``helpers.train.train`` and
``helpers.train.train_grid``:

- the key of a call is everything that decides its result: the cells this kernel has run so far, the
  current one included (comments left out, so both editions agree), the call's position among the wrapped calls of its cell, and a
  fingerprint of its arguments (tensors by their bytes, nets by their structure, weights and mode,
  optimizers and schedulers by their state, functions by their code and closures) and of torch's
  random generator;
- the first kernel to make a call trains and stores the result and its side effects: the net's
  weights and modes, the optimizer's and scheduler's state, the generator's state after, what the
  call printed;
- a later kernel with the same key gets all of them back, exactly, instead of training.

A call whose arguments cannot be fingerprinted (a DataLoader, an arbitrary callback of ``train``), a
call that raises, and every call on a CUDA machine run as usual. Without ``$MLP_LESSONS_RESULTS``
(JupyterLab for a student, `make lab`) nothing is loaded and every lesson trains. Each kernel appends
one line per call ("computed", "reused" or "unshared", and why) to ``log.txt`` in the folder.

    python tools/shared_results.py prepare DIR   # empty DIR; DIR/results and DIR/ipython, as make test uses them
"""

from __future__ import annotations

import collections
import contextlib
import functools
import hashlib
import inspect
import io
import os
import shutil
import sys
import types
import weakref
from pathlib import Path

ENV = "MLP_LESSONS_RESULTS"


class Unshared(Exception):
    """An argument with no reliable fingerprint: the call runs unshared."""


_tensor_digests: dict = {}  # id(tensor) -> (weak reference, version, digest)


def _tensor(t, h) -> None:
    import torch
    ref, version, digest = _tensor_digests.get(id(t), (None, None, None))
    if ref is None or ref() is not t or version != t._version:  # a data set is hashed once, again if changed
        data = t.detach().cpu().contiguous().reshape(-1)
        data = data.to(torch.uint8) if data.dtype == torch.bool else data.view(torch.uint8)
        version, digest = t._version, hashlib.sha256(data.numpy().tobytes()).hexdigest()
        _tensor_digests[id(t)] = (weakref.ref(t, lambda _, key=id(t): _tensor_digests.pop(key, None)), version, digest)
    h.update(f"tensor{tuple(t.shape)}{t.dtype}{t.device}{t.requires_grad}{digest}".encode())


def fingerprint(obj, h, depth: int = 0) -> None:
    """Feed ``obj`` into the hash ``h``, or raise Unshared when it cannot be told apart reliably."""
    import torch
    from torch import nn
    if depth > 12:
        raise Unshared("nested too deeply")
    h.update(type(obj).__qualname__.encode() + b":")
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, torch.device, torch.dtype)):
        h.update(repr(obj).encode())
    elif torch.is_tensor(obj):
        _tensor(obj, h)
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            fingerprint(item, h, depth + 1)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            fingerprint(key, h, depth + 1)
            fingerprint(value, h, depth + 1)
    elif isinstance(obj, nn.Module):
        h.update(repr(obj).encode())
        fingerprint([m.training for m in obj.modules()], h, depth + 1)
        fingerprint(dict(obj.state_dict(keep_vars=True)), h, depth + 1)
    elif isinstance(obj, torch.optim.Optimizer):
        fingerprint(obj.state_dict(), h, depth + 1)
    elif isinstance(obj, torch.optim.lr_scheduler.LRScheduler):
        fingerprint({k: v for k, v in obj.state_dict().items() if k != "optimizer"}, h, depth + 1)
    elif isinstance(obj, types.FunctionType):
        _code(obj.__code__, h)
        fingerprint([c.cell_contents for c in obj.__closure__ or ()], h, depth + 1)
        fingerprint(obj.__defaults__, h, depth + 1)
    elif type(obj).__module__ == "helpers.data" and hasattr(obj, "__dict__"):  # TensorBatches and friends
        fingerprint(vars(obj), h, depth + 1)
    else:
        raise Unshared(f"no fingerprint for {type(obj).__qualname__}")


def _code(code, h) -> None:
    h.update(code.co_code + repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code(const, h)
        else:
            h.update(repr(const).encode())


def _code_only(cell: str) -> str:
    """``cell`` as tests/test_translation.py compares the editions: comments and blank lines left out."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        from translation import code_only
    finally:
        sys.path.pop(0)
    return code_only(cell)


class Tee(io.TextIOBase):
    def __init__(self, stream):
        self.stream, self.parts = stream, []

    def write(self, text):
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()


def _state(obj):
    """What a call may change in an argument, as plain data."""
    import torch
    from torch import nn
    if isinstance(obj, nn.Module):
        return {"weights": {k: v.detach().clone() for k, v in obj.state_dict().items()},
                "grads": [None if p.grad is None else p.grad.clone() for p in obj.parameters()],
                "modes": [m.training for m in obj.modules()]}
    if isinstance(obj, (torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler)):
        return {"state": obj.state_dict()}
    return None


def _restore(obj, saved) -> None:
    from torch import nn
    if isinstance(obj, nn.Module):
        obj.load_state_dict(saved["weights"])
        for p, grad in zip(obj.parameters(), saved["grads"]):
            p.grad = grad
        for module, mode in zip(obj.modules(), saved["modes"]):
            module.training = mode
    else:
        obj.load_state_dict(saved["state"])


class Shared:
    """Wraps functions of a module (``wrap``) so that their calls are shared through ``folder``."""

    def __init__(self, folder: Path):
        self.folder, self.active = folder, False
        self.cells = hashlib.sha256()  # of the cells run so far, the current one included, comments left out
        self.calls, self.in_cell = 0, 0  # wrapped calls so far, in the kernel and in the current cell
        self.folder.mkdir(parents=True, exist_ok=True)

    def start_cell(self, source: str) -> None:
        """A cell begins: it joins the code that keys every call it makes."""
        self.cells.update(_code_only(source).encode() + b"\n#cell\n")
        self.in_cell = 0

    def log(self, name: str, verdict: str, key: str = "", why: str = "") -> None:
        """One line per call: computed, reused or unshared, then where, which call, its key and why."""
        with open(self.folder / "log.txt", "a", encoding="utf-8") as log:
            log.write(f"{verdict}\t{os.getcwd()}\t{name} #{self.calls}\t{key[:12]}\t{why}\n")

    def wrap(self, module, name: str, replay_callback: bool = False) -> None:
        original = getattr(module, name)
        signature = inspect.signature(original)

        @functools.wraps(original)
        def shared(*args, **kwargs):
            if self.active:            # a wrapped call inside another: part of the outer one
                return original(*args, **kwargs)
            import torch
            self.calls += 1
            self.in_cell += 1
            try:
                kwargs = signature.bind(*args, **kwargs).arguments  # every argument by name
                args = ()
            except TypeError:
                return original(*args, **kwargs)  # let the function say what is wrong
            try:
                if not replay_callback and kwargs.get("callback") is not None:
                    raise Unshared("train's callback may do anything")
                h = self.cells.copy()
                h.update(f"#{self.in_cell} {name}".encode())  # the n-th wrapped call in this cell
                # train_grid's callback only hears the epoch (a progress bar): it is replayed, not fingerprinted
                inputs = {k: v for k, v in kwargs.items() if not (replay_callback and k == "callback")}
                fingerprint([args, inputs, torch.get_rng_state()], h)
                key = h.hexdigest()
            except Unshared as why:
                self.log(name, "unshared", why=str(why))
                return original(*args, **kwargs)
            path = self.folder / f"{key}.pt"
            stateful = [a for a in (*args, *kwargs.values()) if _state(a) is not None]
            if path.exists():
                saved = torch.load(path, weights_only=False)
                for obj, state in zip(stateful, saved["states"]):
                    _restore(obj, state)
                torch.set_rng_state(saved["rng"])
                sys.stdout.write(saved["printed"])
                callback = kwargs.get("callback")
                if replay_callback and callback is not None:
                    for epoch in saved["callback_args"]:
                        callback(epoch)
                self.log(name, "reused", key)
                return saved["result"]
            tee, epochs = Tee(sys.stdout), []
            if replay_callback and kwargs.get("callback") is not None:
                callback = kwargs["callback"]
                kwargs = {**kwargs, "callback": lambda epoch: (epochs.append(epoch), callback(epoch))[1]}
            self.active = True
            try:
                with contextlib.redirect_stdout(tee):
                    result = original(*args, **kwargs)
            finally:
                self.active = False
            saved = {"result": result, "states": [_state(a) for a in stateful], "rng": torch.get_rng_state(),
                     "printed": "".join(tee.parts), "callback_args": epochs}
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            torch.save(saved, partial)
            os.replace(partial, path)  # atomic: a kernel reading it sees all of it or nothing
            self.log(name, "computed", key)
            return result

        setattr(module, name, shared)


def install() -> Shared | None:
    """Wrap helpers.train's training functions when $MLP_LESSONS_RESULTS is set (and no GPU is in use)."""
    folder = os.environ.get(ENV)
    if not folder:
        return None
    import torch
    from IPython import get_ipython
    shell = get_ipython()
    if shell is None or torch.cuda.is_available():
        return None
    from helpers import train
    shared = Shared(Path(folder))
    # every cell as it starts, as written (nbval runs cells outside IPython's history, so that cannot serve)
    shell.events.register("pre_run_cell", lambda info: shared.start_cell(info.raw_cell))
    shared.wrap(train, "train")
    shared.wrap(train, "train_grid", replay_callback=True)
    return shared


def summary(folder) -> str:
    """How the calls logged in ``folder`` went, e.g. "198 computed, 436 reused"; "" when none were logged."""
    log = Path(folder) / "log.txt"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    verdicts = collections.Counter(line.split("\t", 1)[0] for line in lines)
    return ", ".join(f"{n} {verdict}" for verdict, n in sorted(verdicts.items()))


STARTUP = """import sys as _s
_s.path.insert(0, {tools!r})
import shared_results as _r
_s.path.pop(0)
_r.install()
del _s, _r
"""


def prepare(folder: Path) -> dict[str, str]:
    """Empty ``folder`` and lay out a store and an IPython folder whose startup file calls ``install``; returns the
    environment under which kernels share their training through it (``make test`` sets the same two variables)."""
    folder = Path(folder).resolve()
    shutil.rmtree(folder, ignore_errors=True)
    startup = folder / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-shared-results.py").write_text(STARTUP.format(tools=str(Path(__file__).resolve().parent)))
    return {ENV: str(folder / "results"), "IPYTHONDIR": str(folder / "ipython")}


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "prepare":
        sys.exit("usage: python tools/shared_results.py prepare DIR")
    prepare(Path(sys.argv[2]))
