"""The environment's promises: every pin is what is installed and is described twice in agreement;
d2l is the d2l-zh book's 0.17.6 and every d2l function the lessons and d2l-zh's chapter 4 call
works offline on small inputs; pip check reports only d2l's own ignored pins; and `make lab`
starts a JupyterLab that serves /lab, as root and as a normal user, headless or on a desktop."""

import ast
import importlib.metadata as md
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before d2l imports pyplot

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import yaml
from torch import nn

ROOT = Path(__file__).resolve().parent.parent


class _D2L:
    """``d2l.torch``, imported by the first test here that uses it: at collection, its import (pandas, torchvision:
    about 2 s) would cost every pytest-xdist worker that time, while only one of them runs this file."""

    def __getattr__(self, name):
        if name.startswith(("_", "pytest")):  # what pytest asks every module-level object while it collects
            raise AttributeError(name)
        from d2l import torch as module
        return getattr(module, name)


d2l = _D2L()
LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat",
          "sandal", "shirt", "sneaker", "bag", "ankle boot"]


# --- pins ------------------------------------------------------------------------------------

def pins(lines):
    found = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{line!r} is not pinned with =="
            found[name.lower().replace("_", "-")] = version
    return found


REQUIREMENTS = pins((ROOT / "requirements.txt").read_text().splitlines())


def d2l_pin():
    """The d2l version `make setup` installs with --no-deps (the Makefile's D2L_VERSION)."""
    found = re.findall(r"^D2L_VERSION\s*:?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert len(found) == 1, "the Makefile sets D2L_VERSION once"
    return found[0]


def test_environment_yml_agrees_with_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pins(pip_section) == REQUIREMENTS
    assert "python=3.11" in env["dependencies"]
    raw = (ROOT / "environment.yml").read_text()
    for line in raw.splitlines():
        if "==" in line and line.strip().startswith("- "):
            assert "#" in line, f"environment.yml: {line.strip()} needs a comment saying why"


def test_every_pin_is_what_is_installed():
    wrong = {name: (version, md.version(name)) for name, version in REQUIREMENTS.items()
             if md.version(name) != version}
    assert not wrong, f"pinned vs installed (run `make setup`): {wrong}"


def test_d2l_is_the_books_version_everywhere():
    version = d2l_pin()
    assert version == "0.17.6", "d2l-zh's chapter 4 needs train_ch3 & co. (README explains the choice)"
    assert md.version("d2l") == version
    assert "d2l" not in REQUIREMENTS, "d2l is installed with --no-deps, not from requirements.txt"
    for name in ("requirements.txt", "environment.yml", "README.md"):
        assert f"d2l=={version}" in (ROOT / name).read_text(), f"{name} names d2l=={version}"


def imported_modules(paths):
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_every_package_the_code_imports_is_pinned():
    """tests/, helpers/, tools/ and benchmarks/: each third-party import comes from a pinned package."""
    sources = [p for d in ("tests", "helpers", "tools", "benchmarks") for p in (ROOT / d).rglob("*.py")]
    local = {p.stem for p in sources} | {"helpers"}
    third_party = imported_modules(sources) - local - set(sys.stdlib_module_names)
    owners = md.packages_distributions()
    pinned = set(REQUIREMENTS) | {"d2l"}
    unpinned = {m: owners.get(m) for m in third_party
                if not {d.lower().replace("_", "-") for d in owners.get(m, [])} & pinned}
    assert not unpinned, f"imported but not pinned in requirements.txt: {unpinned}"


def test_pip_check_reports_only_d2ls_own_pins():
    """d2l 0.17.6 declares exact pins for Python <= 3.10 that we do not install (README). pip check
    must name exactly those and nothing else; `make setup` applies the same rule."""
    out = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    lines = [l for l in out.stdout.splitlines() if l.strip()]
    prefix = f"d2l {d2l_pin()} has requirement "
    assert all(l.startswith(prefix) for l in lines), out.stdout + out.stderr
    declared = {}
    for req in md.requires("d2l"):
        name, version = re.fullmatch(r"([\w.-]+) ?\(?==([\w.]+)\)?", req.strip()).groups()
        declared[name.lower()] = version
    differing = {name for name, version in declared.items() if md.version(name) != version}
    reported = {l[len(prefix):].split("==")[0].lower() for l in lines}
    assert reported == differing and differing <= set(REQUIREMENTS), (reported, differing)


def test_torch_and_pinned_numpy_interoperate():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = torch.from_numpy(a)
    assert t.sum().item() == 66 and np.array_equal(t.mul(2).numpy(), a * 2)
    assert torch.tensor([1.5, 2.5]).numpy().dtype == np.float32
    assert np.__version__ == REQUIREMENTS["numpy"]


# --- every d2l function the lessons and d2l-zh chapter 4 call ---------------------------------

@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    connect = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"network access attempted: {address}")
        return connect(sock, address)  # local sockets (the DataLoader workers' own) are fine

    monkeypatch.setattr(socket.socket, "connect", guarded)


def test_d2l_has_the_chapter_3_and_4_functions():
    for name in ("load_data_fashion_mnist", "get_fashion_mnist_labels", "show_images", "train_ch3",
                 "train_epoch_ch3", "predict_ch3", "evaluate_accuracy", "evaluate_loss", "accuracy",
                 "synthetic_data", "load_array", "linreg", "squared_loss", "sgd", "Animator",
                 "Accumulator", "plot", "set_figsize"):
        assert callable(getattr(d2l, name, None)), f"d2l.{name} is missing"


def test_load_data_fashion_mnist_reads_the_prepared_files_offline(monkeypatch, offline):
    monkeypatch.chdir(ROOT / "notebooks")  # d2l reads ../data, as from a lesson
    if not (ROOT / "data" / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte").is_file():
        pytest.fail("data/FashionMNIST/raw is not laid out: run `make setup`")
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    assert len(train_iter) == 235 and len(test_iter) == 40
    assert len(train_iter.dataset) == 60000 and len(test_iter.dataset) == 10000
    X, y = next(iter(test_iter))  # d2l's 4 worker processes; the test set in file order
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert 0.0 <= X.min() and X.max() <= 1.0
    assert y[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]  # the first test labels of Fashion-MNIST


def test_get_fashion_mnist_labels():
    assert d2l.get_fashion_mnist_labels([0, 9]) == ["t-shirt", "ankle boot"]
    assert d2l.get_fashion_mnist_labels(torch.arange(10)) == LABELS


def test_show_images_draws_each_image_with_its_title():
    imgs = torch.rand(6, 28, 28)
    titles = [f"#{i}" for i in range(6)]
    axes = d2l.show_images(imgs, 2, 3, titles=titles, scale=1.0)
    assert len(axes) == 6 and tuple(axes[0].figure.get_size_inches()) == (3.0, 2.0)
    assert [ax.get_title() for ax in axes] == titles
    assert np.array_equal(axes[4].images[0].get_array(), imgs[4].numpy())
    assert not axes[0].get_xaxis().get_visible()


def test_plot_draws_every_curve_with_labels_and_legend():
    x = torch.arange(0.0, 3.0, 0.5)
    d2l.plot(x, [x ** 2, 2 * x], "x", "f(x)", legend=["x²", "2x"], xlim=[0, 3], figsize=(4, 2))
    ax = plt.gca()
    assert [line.get_ydata().tolist() for line in ax.lines] == [(x ** 2).tolist(), (2 * x).tolist()]
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "f(x)" and ax.get_xlim() == (0.0, 3.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x²", "2x"]
    assert tuple(plt.rcParams["figure.figsize"]) == (4.0, 2.0)  # d2l.set_figsize
    d2l.plot(x, x.sin(), "x", "sin")  # one curve, given as a tensor
    assert len(plt.gca().lines) == 1


def test_accumulator():
    metric = d2l.Accumulator(2)
    metric.add(1, 2.5)
    metric.add(3, torch.tensor(0.5))
    assert (metric[0], metric[1]) == (4.0, 3.0)
    metric.reset()
    assert metric.data == [0.0, 0.0]


def test_animator_keeps_every_point_and_draws_them(capsys):
    animator = d2l.Animator(xlabel="epoch", xlim=[1, 3], legend=["train", "test"])
    animator.add(1, (0.9, 0.8))
    animator.add(2, (0.5, None))  # a missing value is skipped
    assert animator.X == [[1, 2], [1]] and animator.Y == [[0.9, 0.5], [0.8]]
    ax = animator.axes[0]
    assert [line.get_ydata().tolist() for line in ax.lines] == [[0.9, 0.5], [0.8]]
    assert ax.get_xlabel() == "epoch" and ax.get_xlim() == (1.0, 3.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "test"]


def test_synthetic_data_linreg_squared_loss():
    torch.manual_seed(0)
    w, b = torch.tensor([2.0, -3.4]), 4.2
    X, y = d2l.synthetic_data(w, b, 1000)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    noise = y - d2l.linreg(X, w.reshape(-1, 1), b)
    assert 0.008 < noise.std().item() < 0.012 and abs(noise.mean().item()) < 0.002
    loss = d2l.squared_loss(torch.tensor([[1.0], [2.0]]), torch.tensor([2.0, 0.0]))
    assert loss.tolist() == [[0.5], [2.0]]


def test_load_array_batches_in_order_or_shuffled():
    X, y = torch.arange(25.0).reshape(25, 1), torch.arange(25)
    ordered = list(d2l.load_array((X, y), 10, is_train=False))
    assert [len(yb) for _, yb in ordered] == [10, 10, 5]
    assert torch.equal(torch.cat([yb for _, yb in ordered]), y)
    torch.manual_seed(0)
    shuffled = torch.cat([yb for _, yb in d2l.load_array((X, y), 10)])
    assert sorted(shuffled.tolist()) == y.tolist() and not torch.equal(shuffled, y)


def test_sgd_steps_and_zeroes_the_gradient():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * torch.tensor([3.0, 4.0])).sum().backward()
    d2l.sgd([w], lr=0.5, batch_size=2)
    assert w.tolist() == [1.0 - 0.5 * 3 / 2, 2.0 - 0.5 * 4 / 2] and w.grad.tolist() == [0.0, 0.0]


def test_evaluate_loss_is_the_mean_loss():
    net = nn.Linear(1, 1)
    with torch.no_grad():
        net.weight.fill_(2.0), net.bias.fill_(0.0)
    X, y = torch.tensor([[1.0], [2.0], [3.0]]), torch.tensor([2.0, 5.0, 3.0])
    loss = d2l.evaluate_loss(net, d2l.load_array((X, y), 2, is_train=False), nn.MSELoss(reduction="none"))
    assert loss == pytest.approx((0 + 1 + 9) / 3)


def test_tensor_aliases_the_book_uses():
    t = d2l.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=d2l.float32)
    assert d2l.size(t) == 4 and d2l.reduce_sum(t).item() == 10.0
    assert d2l.reshape(t, (4,)).tolist() == [1.0, 2.0, 3.0, 4.0] and d2l.ones(2).tolist() == [1.0, 1.0]


def images_of_classes(n, seed):
    """n Fashion-MNIST-shaped images (n, 1, 28, 28) whose class c lights up row 2c (an easy task)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    X = torch.rand(n, 1, 28, 28, generator=g) * 0.1
    X[torch.arange(n), 0, 2 * y] += 1.0
    return X, y


def class_nets():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():  # a perfect classifier: the weights read row 2c
        net[1].weight.zero_(), net[1].bias.zero_()
        for c in range(10):
            net[1].weight[c, 2 * c * 28:(2 * c + 1) * 28] = 1.0
    return net


def test_accuracy_and_evaluate_accuracy():
    y_hat = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    y = torch.tensor([0, 1, 1, 1])
    assert d2l.accuracy(y_hat, y) == 3.0
    X, y = images_of_classes(100, seed=1)
    net = class_nets()
    assert d2l.evaluate_accuracy(net, d2l.load_array((X, y), 32, is_train=False)) == 1.0
    y_wrong = y.clone()
    y_wrong[:25] = (y[:25] + 1) % 10
    assert d2l.evaluate_accuracy(net, d2l.load_array((X, y_wrong), 32, is_train=False)) == 0.75


def test_train_epoch_ch3_returns_the_epochs_mean_loss_and_accuracy():
    X, y = images_of_classes(100, seed=2)
    net = class_nets()
    loss = nn.CrossEntropyLoss(reduction="none")
    data_iter = d2l.load_array((X, y), 32, is_train=False)
    # lr = 0: the weights stay put, so the epoch's averages are the fixed net's loss and accuracy
    train_loss, train_acc = d2l.train_epoch_ch3(net, data_iter, loss, torch.optim.SGD(net.parameters(), lr=0.0))
    assert train_loss == pytest.approx(loss(net(X), y).mean().item(), rel=1e-5) and train_acc == 1.0
    # a hand-written updater (the from-scratch sections) is called with each batch's size
    sizes = []
    params = list(net.parameters())
    def updater(batch_size):
        sizes.append(batch_size)
        d2l.sgd(params, 0.1, batch_size)
    d2l.train_epoch_ch3(net, data_iter, loss, updater)
    assert sizes == [32, 32, 32, 4]


def test_train_ch3_trains_and_predict_ch3_titles_true_and_predicted_labels(capsys):
    torch.manual_seed(0)
    train_iter = d2l.load_array(images_of_classes(300, seed=3), 30)
    test_iter = d2l.load_array(images_of_classes(100, seed=4), 50, is_train=False)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    loss = nn.CrossEntropyLoss(reduction="none")
    # train_ch3 asserts itself: train loss < 0.5, train and test accuracy > 0.7
    assert d2l.train_ch3(net, train_iter, test_iter, loss, 5, torch.optim.SGD(net.parameters(), lr=0.5)) is None
    assert d2l.evaluate_accuracy(net, test_iter) > 0.95
    plt.close("all")
    d2l.predict_ch3(net, test_iter, n=4)
    X, y = next(iter(test_iter))
    preds = d2l.get_fashion_mnist_labels(net(X).argmax(axis=1))
    titles = [ax.get_title() for ax in plt.gcf().axes]
    assert titles == [f"{t}\n{p}" for t, p in zip(d2l.get_fashion_mnist_labels(y), preds)][:4]


# --- make lab ----------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.geturl(), response.read().decode()


def run_make_lab(workdir, env, prefix=(), startup=180, target="lab"):
    """Start `make lab`'s recipe (or `target`'s; set-up is not redone) on a free port with a token; wait until
    it answers. Returns (port, token, log path, process); the caller stops it with stop()."""
    port, token = free_port(), os.urandom(12).hex()
    log = workdir / "lab.log"
    env = {**env, "JUPYTER_TOKEN": token, "JUPYTER_RUNTIME_DIR": str(workdir / "runtime")}
    cmd = [*prefix, "make", "--no-print-directory", "-o", "setup", target, f"LAB_PORT={port}",
           "LAB_ARGS=--ServerApp.port_retries=0"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + startup
        while True:
            try:
                get(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5)
                return port, token, log, proc
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"`make lab` did not serve within {startup} s (rc {proc.poll()}):\n"
                                + log.read_text()[-3000:])
                time.sleep(1)
    except BaseException:
        stop(proc)
        raise


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # make and the jupyter server it started
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def headless_env():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return env


def check_lab(port, token, start="notebooks/00_start_here.ipynb"):
    status, _, page = get(f"http://127.0.0.1:{port}/lab?token={token}")
    assert status == 200 and "JupyterLab" in page and '"appName"' in page
    # the server's root is the repository and the default page is the first lesson
    status, _, _ = get(f"http://127.0.0.1:{port}/api/contents/{start}?content=0&token={token}")
    assert status == 200
    _, final_url, _ = get(f"http://127.0.0.1:{port}/?token={token}")
    assert final_url.split("?")[0].endswith(f"/lab/tree/{start}")


def lab_locale(port, token):
    """The locale JupyterLab's interface is set to (its translation setting: "default" is English)."""
    _, _, body = get(f"http://127.0.0.1:{port}/lab/api/settings/@jupyterlab/translation-extension:plugin"
                     f"?token={token}")
    return json.loads(body)["settings"].get("locale", "default")
    with pytest.raises(urllib.error.HTTPError):  # a token is required
        get(f"http://127.0.0.1:{port}/api/contents")


def make_dry_run(**env):
    out = subprocess.run(["make", "--no-print-directory", "-n", "-o", "setup", "lab"], cwd=ROOT,
                         env={**headless_env(), **env}, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_make_lab_chooses_browser_and_root_flags():
    headless = make_dry_run()
    assert "--no-browser" in headless and "--ip=127.0.0.1" in headless
    assert "--ServerApp.root_dir=." in headless
    assert "--no-browser" not in make_dry_run(DISPLAY=":0")
    assert "--no-browser" not in make_dry_run(WAYLAND_DISPLAY="wayland-0")
    assert ("--allow-root" in headless) == (os.geteuid() == 0)


def test_make_lab_serves_lab_headless(tmp_path):
    """As this user (root in CI and containers), with no display: no browser, the URL printed."""
    port, token, log, proc = run_make_lab(tmp_path, {**headless_env(), "HOME": str(tmp_path)})
    try:
        check_lab(port, token)
        text = log.read_text()
        assert f"http://127.0.0.1:{port}/lab" in text, "the URL to open is printed"
        assert ("--allow-root" in text) == (os.geteuid() == 0)
        assert lab_locale(port, token) != "zh_CN", "make lab stays in English"
    finally:
        stop(proc)


def test_make_lab_zh_serves_the_chinese_edition_in_a_chinese_jupyterlab(tmp_path):
    """`make lab-zh` opens notebooks/zh/00_start_here.ipynb with the zh_CN language pack as the interface's
    locale, set in the checkout's own settings folder (.lab-zh/): a user's own settings stay as they are."""
    port, token, log, proc = run_make_lab(tmp_path, {**headless_env(), "HOME": str(tmp_path)}, target="lab-zh")
    try:
        check_lab(port, token, start="notebooks/zh/00_start_here.ipynb")
        assert lab_locale(port, token) == "zh_CN"
        _, _, body = get(f"http://127.0.0.1:{port}/lab/api/translations/zh_CN?token={token}")
        strings = json.loads(body)["data"]["jupyterlab"]
        assert strings[""]["language"] == "zh-CN" and strings["Settings"] == ["设置"]  # the language pack's menus
        assert not (tmp_path / ".jupyter" / "lab" / "user-settings").exists()
    finally:
        stop(proc)


def test_make_lab_on_a_desktop_opens_the_browser(tmp_path):
    """With a display, JupyterLab opens a browser: here $BROWSER, a script that records its argument."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    env = {**headless_env(), "DISPLAY": ":99", "BROWSER": str(browser)}
    port, token, log, proc = run_make_lab(tmp_path, env)
    try:
        check_lab(port, token)
        deadline = time.monotonic() + 30
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert opened.exists(), "no browser was opened:\n" + log.read_text()[-2000:]
        assert opened.read_text().strip(), "the browser was given nothing to open"
    finally:
        stop(proc)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv to start the server as another user")
def test_make_lab_serves_lab_as_a_normal_user():
    """As root, run `make lab` as the unprivileged user nobody: no --allow-root, and it serves."""
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    usable = subprocess.run([*drop, "sh", "-c", ".venv/bin/jupyter lab --version"], cwd=ROOT,
                            capture_output=True, timeout=60)
    if usable.returncode != 0:
        pytest.skip("the user nobody cannot run this .venv (its Python lives where only root can read);"
                    " a normal user's own `make lab` is checked by running these tests as that user")
    workdir = Path(tempfile.mkdtemp(prefix="mlp-lab-nobody-"))  # pytest's tmp_path is root-only
    try:
        workdir.chmod(0o777)
        env = {**headless_env(), "HOME": str(workdir), "USER": "nobody", "LOGNAME": "nobody"}
        port, token, log, proc = run_make_lab(workdir, env, prefix=drop)
        try:
            check_lab(port, token)
            assert "--allow-root" not in log.read_text()
        finally:
            stop(proc)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
