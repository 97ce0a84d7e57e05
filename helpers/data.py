"""Fashion-MNIST, found offline, verified, and served from memory.

Searched in order (the first folder holding the four IDX files, gzipped or not, wins): an explicit ``root`` or
``$FASHION_MNIST_DIR`` (missing or broken there is an error, never skipped); the repository's ``data/`` (or its
``data/FashionMNIST/raw/``); ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``); torchvision's
download into ``data/`` when online. Every file is checked: IDX magic number, item count (60000 train, 10000 test),
28x28 images, labels in 0..9, a length that matches its header. ``prepare_torchvision_layout()`` (``make setup``)
writes the decoded files to ``data/FashionMNIST/raw/``, so ``d2l.load_data_fashion_mnist`` works offline too."""

from __future__ import annotations

import gzip
import math
import os
import socket
import struct
import sys
from collections import namedtuple
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F

from helpers.runtime import check_choice, check_int

REPO_DATA = Path(__file__).resolve().parent.parent / "data"
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
ENV_VAR = "FASHION_MNIST_DIR"

FILES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
         "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}
_COUNTS = {"train": 60000, "test": 10000}
_MAGIC_IMAGES, _MAGIC_LABELS = 0x00000803, 0x00000801

TEXT_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")

HOW_TO_PROVIDE = (
    "Provide Fashion-MNIST in one of three ways:\n"
    "  1. install Debian's package: sudo apt-get install dataset-fashion-mnist\n"
    "     (it puts the files in /usr/share/datasets/fashion-mnist);\n"
    f"  2. copy the four IDX files (gzipped or not) into {REPO_DATA}/,\n"
    f"     or point ${ENV_VAR} at the folder that holds them;\n"
    "  3. run `make setup` once on a machine with internet access (torchvision downloads them)."
)


class DataNotFoundError(FileNotFoundError):
    """No usable copy of Fashion-MNIST was found."""


class DataFormatError(ValueError):
    """A Fashion-MNIST file exists but is not a valid IDX file of the expected shape."""


# --------------------------------------------------------------------------- finding


def _file_in(folder: Path, name: str) -> Path | None:
    """The file ``name`` or ``name.gz`` inside ``folder``, or None."""
    return next((c for c in (folder / name, folder / (name + ".gz")) if c.is_file()), None)


def _missing_files(folder: Path) -> list[str]:
    return [name for name in FILES.values() if _file_in(folder, name) is None]


def find_fashion_mnist(root: str | os.PathLike | None = None, download: bool = True, timeout: float = 10.0) -> Path:
    """The folder that holds the four IDX files, searched as the module says (``timeout``: seconds per
    connection of the download). DataNotFoundError names what an explicit folder lacks, or how to provide the data."""
    explicit = root if root is not None else os.environ.get(ENV_VAR) or None
    if explicit is not None:
        origin = "root argument" if root is not None else f"${ENV_VAR}"
        folder = Path(explicit).expanduser()
        if not folder.is_dir():
            raise DataNotFoundError(f"{origin} = {str(folder)!r} is not a folder. " + HOW_TO_PROVIDE)
        if missing := _missing_files(folder):
            raise DataNotFoundError(f"{origin} = {str(folder)!r} lacks {', '.join(missing)} (gzipped or not). "
                                    "Put all four IDX files there, or unset it to search the usual places.")
        return folder
    for folder in (REPO_DATA, REPO_DATA / "FashionMNIST" / "raw", SYSTEM_DIR):
        if folder.is_dir() and not _missing_files(folder):
            return folder
    if download:
        try:
            _download_with_torchvision(REPO_DATA, timeout)
        except Exception as err:  # any failure of the download is reported the same way
            raise DataNotFoundError(f"Fashion-MNIST was not found in {REPO_DATA} or {SYSTEM_DIR}, and the download "
                                    f"failed ({type(err).__name__}: {err}). " + HOW_TO_PROVIDE) from None
        folder = REPO_DATA / "FashionMNIST" / "raw"
        if not _missing_files(folder):
            return folder
    raise DataNotFoundError(f"Fashion-MNIST was not found in {REPO_DATA} or {SYSTEM_DIR}. " + HOW_TO_PROVIDE)


def _download_with_torchvision(dest: Path, timeout: float) -> None:
    """Let torchvision download the data set into ``dest`` (needs internet)."""
    from torchvision.datasets import FashionMNIST

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for train in (True, False):
            FashionMNIST(root=str(dest), train=train, download=True)
    finally:
        socket.setdefaulttimeout(previous)


# --------------------------------------------------------------------------- reading


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DataFormatError(f"{path}: cannot be read ({err}); the file is damaged or truncated") from None


def read_idx(path: str | os.PathLike, kind: str, split: str) -> torch.Tensor:
    """Decode and verify one IDX file (gzipped or not), ``kind`` "images" or "labels" of ``split`` "train" or
    "test": images uint8 (n, 28, 28), labels int64 (n,); DataFormatError names the file and what is wrong."""
    check_choice("kind", kind, ("images", "labels")), check_choice("split", split, tuple(_COUNTS))
    raw = _read_bytes(path := Path(path))
    ndim, magic = (3, _MAGIC_IMAGES) if kind == "images" else (1, _MAGIC_LABELS)
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFormatError(f"{path}: only {len(raw)} bytes, shorter than an IDX header; the file is truncated")
    (found_magic,) = struct.unpack(">I", raw[:4])
    if found_magic != magic:
        raise DataFormatError(f"{path}: IDX magic number is {found_magic:#010x}, expected {magic:#010x} for {kind}; "
                              "this is not a Fashion-MNIST IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4:header])
    expected = (_COUNTS[split], 28, 28) if kind == "images" else (_COUNTS[split],)
    if tuple(dims) != expected:
        raise DataFormatError(f"{path}: header says shape {tuple(dims)}, expected {expected}")
    body = len(raw) - header
    if body != math.prod(dims):
        raise DataFormatError(f"{path}: holds {body} bytes of data, its header promises {math.prod(dims)}; "
                              "the file is truncated or padded")
    tensor = torch.frombuffer(bytearray(raw[header:]), dtype=torch.uint8).reshape(dims)
    if kind == "labels":
        tensor = tensor.long()
        if int(tensor.max()) > 9:
            raise DataFormatError(f"{path}: labels must lie in 0..9, found {int(tensor.max())}")
    return tensor


# The whole data set as tensors: images uint8 (n, 28, 28), labels int64 (n,), and the folder they came from.
FashionMNIST = namedtuple("FashionMNIST", "train_images train_labels test_images test_labels source")


@lru_cache(maxsize=4)
def _load_cached(folder: Path) -> FashionMNIST:
    parts = {key: read_idx(_file_in(folder, name), *key.split("_")[::-1]) for key, name in FILES.items()}
    return FashionMNIST(**parts, source=folder)


def load_arrays(root: str | os.PathLike | None = None, download: bool = True) -> FashionMNIST:
    """Find, decode and verify Fashion-MNIST; cached per folder within a process."""
    return _load_cached(find_fashion_mnist(root, download=download).resolve())


def prepare_torchvision_layout(root: str | os.PathLike | None = None, dest: str | os.PathLike | None = None,
                               download: bool = True) -> Path:
    """Write the four decoded IDX files to ``dest/FashionMNIST/raw/`` (default ``data/``), where torchvision (and so
    d2l) looks first, keeping files already right; returns that folder."""
    raw_dir = (Path(dest) if dest is not None else REPO_DATA) / "FashionMNIST" / "raw"
    source = find_fashion_mnist(root, download=download)
    arrays = _load_cached(source.resolve())
    raw_dir.mkdir(parents=True, exist_ok=True)
    for key, name in FILES.items():
        target = raw_dir / name
        src = _file_in(source, name)
        if src is not None and src.resolve() == target.resolve():
            continue  # the source is this very folder
        tensor = getattr(arrays, key)
        magic = _MAGIC_IMAGES if key.endswith("images") else _MAGIC_LABELS
        payload = struct.pack(">I" + "I" * tensor.dim(), magic, *tensor.shape) + tensor.byte().numpy().tobytes()
        if target.is_file() and target.stat().st_size == len(payload) and target.read_bytes() == payload:
            continue
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(payload)
        tmp.replace(target)
    return raw_dir


# --------------------------------------------------------------------------- loaders


class TensorBatches:
    """Minibatches of in-memory ``X`` (n, ...) and ``y`` (n,) on one device, iterated like a DataLoader; ``len()``
    batches, the last may be smaller. ``shuffle``: a new order every epoch from torch's global generator (so
    ``seed_everything`` repeats it). ``transform`` is applied to each batch of X as served (e.g. resizing)."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, batch_size: int, shuffle: bool,
                 transform=None):
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}; they must match")
        if len(X) == 0:
            raise ValueError("X is empty; a loader needs at least one example")
        self.X, self.y, self.batch_size = X, y, check_int("batch_size", batch_size)
        self.shuffle, self.transform = shuffle, transform

    def __len__(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def __iter__(self):
        n, bs = len(self.X), self.batch_size
        order = torch.randperm(n).to(self.X.device) if self.shuffle else None
        for start in range(0, n, bs):  # index_select: the rows X[idx] gives, in half the time
            idx = slice(start, start + bs) if order is None else order[start:start + bs]
            X, y = (t[idx] if order is None else t.index_select(0, idx) for t in (self.X, self.y))
            yield (self.transform(X) if self.transform is not None else X), y

    def __repr__(self) -> str:
        return (f"TensorBatches({len(self.X)} examples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, {len(self)} batches, device={self.X.device})")


def resizer(resize):
    """A transform resizing a batch (B, 1, 28, 28) float32 to (B, 1, H, W), bilinear, antialiased, in [0, 1];
    ``resize``: a positive int (square) or an (H, W) pair of positive ints."""
    size = (resize, resize) if isinstance(resize, int) and not isinstance(resize, bool) else resize
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise ValueError(f"resize={resize!r} must be None, a positive int, or a pair of positive ints")
    size = tuple(check_int("resize", s) for s in size)

    def transform(X: torch.Tensor) -> torch.Tensor:
        return X if size == tuple(X.shape[-2:]) else F.interpolate(
            X, size=size, mode="bilinear", antialias=True, align_corners=False).clamp_(0.0, 1.0)

    return transform


@lru_cache(maxsize=4)
def _float_tensors(folder: Path, dev: torch.device):
    a, floats = _load_cached(folder), lambda images: images.unsqueeze(1).float().div_(255.0)  # noqa: E731
    return floats(a.train_images).to(dev), a.train_labels.to(dev), floats(a.test_images).to(dev), a.test_labels.to(dev)


def fashion_mnist_tensors(root=None, device=None):
    """``(X_train, y_train, X_test, y_test)``: X float32 (n, 1, 28, 28) in [0, 1], y int64 (n,), on ``device``
    (default CPU), decoded once per process and shared: treat them as read-only."""
    return _float_tensors(find_fashion_mnist(root).resolve(), torch.device(device if device is not None else "cpu"))


def load_fashion_mnist(batch_size: int, resize=None, root=None, device=None):
    """A drop-in for ``d2l.load_data_fashion_mnist(batch_size, resize)`` from memory (on ``device`` if given):
    ``(train_iter, test_iter)`` of ``TensorBatches``, X float32 (B, 1, 28, 28) in [0, 1] (or resized per batch),
    y int64 (B,); training shuffled every epoch, test in file order; 235 training batches for batch_size=256."""
    check_int("batch_size", batch_size)
    transform = resizer(resize) if resize is not None else None
    X_train, y_train, X_test, y_test = fashion_mnist_tensors(root, device)
    return (TensorBatches(X_train, y_train, batch_size, shuffle=True, transform=transform),
            TensorBatches(X_test, y_test, batch_size, shuffle=False, transform=transform))


# Flattened Fashion-MNIST subsets: X (n, 784) float32 in [0, 1], y (n,) int64; empty (0, 784) where n = 0.
Subset = namedtuple("Subset", "X_train y_train X_val y_val X_test y_test")


@lru_cache(maxsize=8)
def _subset_cpu(n_train: int, n_val: int, n_test: int, seed: int) -> Subset:
    X_train, y_train, X_test, y_test = fashion_mnist_tensors()
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(X_train), generator=gen)
    val, train = order[:n_val], order[n_val:n_val + n_train]
    test = torch.randperm(len(X_test), generator=gen)[:n_test]
    flat = lambda X, idx: X[idx].flatten(1).contiguous()  # (0, 784) too when idx is empty  # noqa: E731
    return Subset(flat(X_train, train), y_train[train], flat(X_train, val), y_train[val],
                  flat(X_test, test), y_test[test])


def subset(n_train: int, n_val: int = 0, n_test: int = 0, seed: int = 0, device=None) -> Subset:
    """A fixed random subset, the same for the same arguments: one seeded shuffle of the 60000 training images
    gives validation (its first ``n_val``) then training (the next ``n_train``: disjoint, and a smaller set is the
    start of a larger one); test is the first ``n_test`` of a shuffle of the test file. Cached: treat as read-only."""
    check_int("n_val", n_val, 0, 59999)
    check_int("n_train", n_train, 1, 60000 - n_val)
    check_int("n_test", n_test, 0, 10000)
    dev = torch.device(device if device is not None else "cpu")
    return Subset(*(t.to(dev) for t in _subset_cpu(n_train, n_val, n_test, check_int("seed", seed, 0))))


def text_labels(indices) -> list[str]:
    """Fashion-MNIST class names for label indices, as d2l's ``get_fashion_mnist_labels``."""
    values = indices.reshape(-1).tolist() if torch.is_tensor(indices) else (
        [indices] if isinstance(indices, int) else list(indices))
    return [TEXT_LABELS[check_int(f"label index {v!r}: index", v, 0, 9)] for v in values]


def _main(argv: list[str]) -> int:
    """``python -m helpers.data prepare``: find the data and lay it out for torchvision/d2l."""
    if argv[1:] != ["prepare"]:
        print("usage: python -m helpers.data prepare", file=sys.stderr)
        return 2
    try:
        source = find_fashion_mnist()
        raw_dir = prepare_torchvision_layout(source)
    except (DataNotFoundError, DataFormatError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"Fashion-MNIST verified in {source}; torchvision's layout is ready in {raw_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv))
