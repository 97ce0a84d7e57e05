"""helpers.data: finding, verifying and serving Fashion-MNIST."""

import gzip
import struct
import time

import pytest
import torch

from helpers import data


@pytest.fixture(scope="module")
def arrays():
    return data.load_arrays(download=False)


def write_idx(path, tensor, magic, gz=False):
    payload = struct.pack(">I" + "I" * tensor.dim(), magic, *tensor.shape) + tensor.to(torch.uint8).numpy().tobytes()
    if gz:
        with gzip.open(path, "wb", compresslevel=1) as fh:
            fh.write(payload)
    else:
        path.write_bytes(payload)
    return path


def copy_dataset(arrays, folder, gz=False):
    """Write the four IDX files of ``arrays`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in data.FILES.items():
        magic = 0x803 if key.endswith("images") else 0x801
        write_idx(folder / (name + (".gz" if gz else "")), getattr(arrays, key), magic, gz)
    return folder


def placeholder_dataset(folder, gz=False):
    """Four empty files with the right names: enough for the search, which does not decode."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in data.FILES.values():
        (folder / (name + (".gz" if gz else ""))).write_bytes(b"")
    return folder


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    """No data in the repo, none in the system folder, and a download that fails at once."""
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "REPO_DATA", tmp_path / "repo-data")
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "system")

    def offline(dest, timeout):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(data, "_download_with_torchvision", offline)
    return tmp_path


# --------------------------------------------------------------------------- the real data


def test_real_data_is_verified(arrays):
    assert arrays.train_images.shape == (60000, 28, 28) and arrays.train_images.dtype == torch.uint8
    assert arrays.test_images.shape == (10000, 28, 28)
    assert arrays.train_labels.shape == (60000,) and arrays.train_labels.dtype == torch.int64
    assert torch.bincount(arrays.train_labels).tolist() == [6000] * 10
    assert torch.bincount(arrays.test_labels).tolist() == [1000] * 10


def test_torchvision_layout_serves_torchvision(arrays, tmp_path):
    from torchvision.datasets import FashionMNIST

    raw = data.prepare_torchvision_layout(root=arrays.source, dest=tmp_path)
    assert raw == tmp_path / "FashionMNIST" / "raw"
    # download=True must find the files and not try the network
    ds = FashionMNIST(root=str(tmp_path), train=False, download=True)
    assert len(ds) == 10000
    assert torch.equal(ds.data, arrays.test_images) and torch.equal(ds.targets, arrays.test_labels)
    mtimes = [p.stat().st_mtime_ns for p in sorted(raw.iterdir())]
    data.prepare_torchvision_layout(root=arrays.source, dest=tmp_path)  # idempotent: nothing rewritten
    assert [p.stat().st_mtime_ns for p in sorted(raw.iterdir())] == mtimes


def test_gzipped_and_plain_folders_read_the_same(arrays, tmp_path):
    small = data.FashionMNIST(arrays.train_images, arrays.train_labels, arrays.test_images,
                              arrays.test_labels, arrays.source)
    plain = copy_dataset(small, tmp_path / "plain")
    gz = copy_dataset(small, tmp_path / "gz", gz=True)
    a, b = data.load_arrays(plain), data.load_arrays(gz)
    assert torch.equal(a.train_images, b.train_images) and torch.equal(a.test_labels, b.test_labels)


# --------------------------------------------------------------------------- the search order


def test_explicit_env_var_wins(tmp_path, monkeypatch):
    folder = placeholder_dataset(tmp_path / "mine", gz=True)
    monkeypatch.setenv(data.ENV_VAR, str(folder))
    assert data.find_fashion_mnist() == folder


def test_root_argument_wins_over_env(tmp_path, monkeypatch):
    folder = placeholder_dataset(tmp_path / "mine")
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "does-not-exist"))
    assert data.find_fashion_mnist(folder) == folder


def test_explicit_location_missing_is_an_error_not_a_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(data.DataNotFoundError, match=r"\$FASHION_MNIST_DIR.*nope.*is not a folder"):
        data.find_fashion_mnist()


def test_explicit_location_incomplete_names_missing_files(tmp_path):
    folder = placeholder_dataset(tmp_path / "partial")
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(data.DataNotFoundError, match="lacks t10k-labels-idx1-ubyte"):
        data.find_fashion_mnist(folder)


def test_system_folder_is_found(nowhere):
    placeholder_dataset(nowhere / "system", gz=True)
    assert data.find_fashion_mnist() == nowhere / "system"


def test_repo_folder_comes_before_system(nowhere):
    placeholder_dataset(nowhere / "system", gz=True)
    repo_raw = placeholder_dataset(nowhere / "repo-data" / "FashionMNIST" / "raw")
    assert data.find_fashion_mnist() == repo_raw


def test_nothing_anywhere_gives_one_clear_message_fast(nowhere):
    start = time.perf_counter()
    with pytest.raises(data.DataNotFoundError) as info:
        data.find_fashion_mnist()
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "download failed" in message and "name resolution" in message
    for way in ("apt-get install dataset-fashion-mnist", "FASHION_MNIST_DIR", "make setup"):
        assert way in message


def test_download_false_does_not_try(nowhere, monkeypatch):
    monkeypatch.setattr(data, "_download_with_torchvision", lambda *a: pytest.fail("must not download"))
    with pytest.raises(data.DataNotFoundError, match="not found"):
        data.find_fashion_mnist(download=False)


# --------------------------------------------------------------------------- broken files


def test_truncated_file_is_named(arrays, tmp_path):
    folder = copy_dataset(arrays, tmp_path / "broken")
    path = folder / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(data.DataFormatError, match=r"t10k-images-idx3-ubyte.*truncated"):
        data.load_arrays(folder)


def test_wrong_magic_is_named(arrays, tmp_path):
    folder = copy_dataset(arrays, tmp_path / "magic")
    write_idx(folder / "train-labels-idx1-ubyte", arrays.train_labels, 0x803)
    with pytest.raises(data.DataFormatError, match=r"train-labels-idx1-ubyte: IDX magic number is 0x00000803"):
        data.load_arrays(folder)


def test_wrong_count_is_named(arrays, tmp_path):
    folder = copy_dataset(arrays, tmp_path / "count")
    write_idx(folder / "t10k-labels-idx1-ubyte", arrays.test_labels[:500], 0x801)
    with pytest.raises(data.DataFormatError, match=r"t10k-labels.*shape \(500,\), expected \(10000,\)"):
        data.load_arrays(folder)


def test_not_gzip_is_named(tmp_path):
    folder = placeholder_dataset(tmp_path / "badgz", gz=True)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"this is not gzip")
    with pytest.raises(data.DataFormatError, match=r"train-images-idx3-ubyte.gz: cannot be read"):
        data.load_arrays(folder)


def test_read_idx_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="kind='pixels'"):
        data.read_idx(tmp_path / "x", "pixels", "train")
    with pytest.raises(ValueError, match="split='val'"):
        data.read_idx(tmp_path / "x", "images", "val")


# --------------------------------------------------------------------------- the loader


def test_loader_matches_d2l_contract():
    torch.manual_seed(0)
    train_iter, test_iter = data.load_fashion_mnist(256)
    assert len(train_iter) == 235 and len(test_iter) == 40
    batches = list(train_iter)
    assert len(batches) == 235
    X, y = batches[0]
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0
    assert batches[-1][0].shape[0] == 60000 - 234 * 256
    seen = torch.cat([b[1] for b in batches])
    assert torch.equal(torch.bincount(seen), torch.bincount(train_iter.y))  # every example once


def test_train_reshuffles_every_epoch_and_test_keeps_file_order(arrays):
    train_iter, test_iter = data.load_fashion_mnist(1000)
    first = next(iter(train_iter))[1]
    second = next(iter(train_iter))[1]
    assert not torch.equal(first, second)
    Xt, yt = next(iter(test_iter))
    assert torch.equal(yt, arrays.test_labels[:1000])
    assert torch.allclose(Xt[:, 0], arrays.test_images[:1000].float() / 255)


def test_shuffle_is_repeatable_with_a_seed():
    train_iter, _ = data.load_fashion_mnist(64)
    torch.manual_seed(3)
    a = next(iter(train_iter))[1]
    torch.manual_seed(3)
    b = next(iter(train_iter))[1]
    assert torch.equal(a, b)


def test_shuffled_batches_are_the_rows_of_torchs_permutation():
    X, y = torch.arange(50.0).reshape(25, 2), torch.arange(25)
    torch.manual_seed(5)
    batches = list(data.TensorBatches(X, y, 10, shuffle=True))  # kept: each batch is its own tensor
    torch.manual_seed(5)
    order = torch.randperm(25)
    assert [len(b[1]) for b in batches] == [10, 10, 5]
    assert torch.equal(torch.cat([b[0] for b in batches]), X[order])
    assert torch.equal(torch.cat([b[1] for b in batches]), order)


def test_resize_is_applied_per_batch():
    train_iter, test_iter = data.load_fashion_mnist(8, resize=64)
    assert train_iter.X.shape[-2:] == (28, 28)  # the stored set is not blown up 5x
    X, _ = next(iter(train_iter))
    assert X.shape == (8, 1, 64, 64) and 0 <= float(X.min()) and float(X.max()) <= 1
    X, _ = next(iter(test_iter))
    assert X.shape == (8, 1, 64, 64)
    assert next(iter(data.load_fashion_mnist(8, resize=(20, 30))[1]))[0].shape == (8, 1, 20, 30)


@pytest.mark.parametrize("bad", [0, -1, 2.5, None, True])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        data.load_fashion_mnist(bad)


@pytest.mark.parametrize("bad", [0, -3, (28,), "big", (0, 10)])
def test_bad_resize(bad):
    with pytest.raises(ValueError, match="resize"):
        data.load_fashion_mnist(32, resize=bad)


def test_tensor_batches_validates():
    with pytest.raises(ValueError, match="X has 3 rows but y has 2"):
        data.TensorBatches(torch.zeros(3, 2), torch.zeros(2), 2, shuffle=False)
    with pytest.raises(ValueError, match="empty"):
        data.TensorBatches(torch.zeros(0, 2), torch.zeros(0), 2, shuffle=False)


def test_text_labels():
    assert data.text_labels(torch.tensor([0, 9, 6])) == ["t-shirt", "ankle boot", "shirt"]
    assert data.text_labels([1]) == ["trouser"]
    assert data.text_labels(2) == ["pullover"]
    with pytest.raises(ValueError, match="label index 10"):
        data.text_labels([10])


def test_text_labels_match_d2l():
    from d2l import torch as d2l

    assert data.text_labels(range(10)) == d2l.get_fashion_mnist_labels(range(10))


def test_cli_prepare_reports(capsys):
    assert data._main(["helpers.data", "prepare"]) == 0
    assert "torchvision's layout is ready" in capsys.readouterr().out
    assert data._main(["helpers.data"]) == 2


def test_resizer_leaves_28_alone_and_resizes_pairs():
    X = torch.rand(3, 1, 28, 28)
    assert data.resizer(28)(X) is X
    out = data.resizer((14, 7))(X)
    assert out.shape == (3, 1, 14, 7) and 0 <= float(out.min()) and float(out.max()) <= 1


# --------------------------------------------------------------------------- seeded subsets


def test_subset_shapes_and_dtypes():
    s = data.subset(30, n_val=20, n_test=10, seed=0)
    assert s.X_train.shape == (30, 784) and s.X_val.shape == (20, 784) and s.X_test.shape == (10, 784)
    assert s.X_train.dtype == torch.float32 and s.y_train.dtype == torch.int64
    assert 0 <= float(s.X_train.min()) and float(s.X_train.max()) <= 1
    empty = data.subset(5)
    assert empty.X_val.shape == (0, 784) and empty.y_test.shape == (0,)


def test_subset_val_and_train_are_disjoint_and_nested():
    small = data.subset(200, n_val=100, seed=0)
    large = data.subset(400, n_val=100, seed=0)
    rows = lambda X: {tuple(r) for r in (X * 255).round().to(torch.uint8).tolist()}  # noqa: E731
    assert not rows(small.X_val) & rows(large.X_train)  # no validation image is trained on
    assert torch.equal(large.X_train[:200], small.X_train) and torch.equal(large.y_train[:200], small.y_train)
    assert torch.equal(large.X_val, small.X_val)


def test_subset_same_seed_same_draws_other_seed_other_draws():
    a, b = data.subset(50, n_val=10, n_test=10, seed=4), data.subset(50, n_val=10, n_test=10, seed=4)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    c = data.subset(50, n_val=10, n_test=10, seed=5)
    assert not torch.equal(a.y_train, c.y_train) and not torch.equal(a.y_test, c.y_test)


def test_subset_pins_the_lessons_draws():
    # The draws of the old generalization.fashion_split (val, then train) and
    # regularization.fashion_subset (train, then test): lessons 05-07 print numbers from them.
    s = data.subset(20, n_val=10, seed=0)
    assert s.y_val.tolist() == [6, 7, 9, 4, 9, 3, 4, 9, 7, 9]
    assert s.y_train[:10].tolist() == [4, 6, 8, 9, 6, 6, 8, 8, 3, 1]
    assert float(s.X_train.sum()) == pytest.approx(4937.835, abs=1e-2)
    assert data.subset(20, n_test=15, seed=3).y_test[:10].tolist() == [5, 4, 4, 8, 5, 9, 8, 1, 0, 2]


def test_subset_on_a_device_and_read_only_cache():
    s = data.subset(10, n_test=5, seed=0, device="cpu")
    assert s.X_train.device.type == "cpu"
    assert data.subset(10, n_test=5, seed=0).y_test.tolist() == s.y_test.tolist()


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_train=0), r"n_train=0 must be an integer in \[1, 60000\]"),
    (dict(n_train=59001, n_val=1000), r"n_train=59001 must be an integer in \[1, 59000\]"),
    (dict(n_train=10, n_val=-1), r"n_val=-1 must be an integer in \[0, 59999\]"),
    (dict(n_train=10, n_test=10001), r"n_test=10001 must be an integer in \[0, 10000\]"),
    (dict(n_train=2.5), r"n_train=2.5 must be an integer"),
    (dict(n_train=10, seed=-1), r"seed=-1 must be an integer >= 0"),
])
def test_subset_refuses_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.subset(**kwargs)
