"""The Chinese edition, level with the English one all the way down.

- Every message helpers print or draw, and every text a lesson's code draws (labels, titles, legends) or names a
  control with, goes through ``tr``/``tr_fig`` with a literal English text; each has a Chinese
  entry in helpers/zh_CN.json with the same placeholders, each entry is used, and each call passes its fields.
- The language is ``$MLP_LESSONS_LANG``, else the notebook's folder: notebooks/zh speaks Chinese.
- tools/translation.py's checks hold for every English/Chinese pair, and catch a cell edited on one side only.
- nbval runs the Chinese notebooks too, each kernel in notebooks/zh.
"""

import ast
import json
import os
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from helpers import lesson05, runtime  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS, ZH = ROOT / "notebooks", ROOT / "notebooks" / "zh"
TABLE = json.loads((ROOT / "helpers" / "zh_CN.json").read_text(encoding="utf-8"))
SOURCES = sorted((ROOT / "helpers").glob("*.py")) + [ROOT / "tools" / "make_figures.py"]
CJK = re.compile(r"[\u4e00-\u9fff]")

sys.path.insert(0, str(ROOT / "tools"))
import translation  # noqa: E402

sys.path.pop(0)


# --------------------------------------------------------------------------- the table of messages

def _literals(node):
    """The English texts a tr call's first argument can be: a literal, or literals chosen by `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if node.value else []
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def sources():
    """(where, Python code) of helpers, tools/make_figures.py and each code cell of the English lessons (the Chinese
    edition's code is the same, as test_the_chinese_edition_is_level_with_the_english_one checks), magics left out."""
    for path in SOURCES:
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    for path in translation.lesson_paths():
        for i, cell in enumerate(c for c in translation.read(path).cells if c.cell_type == "code"):
            yield f"{path.relative_to(ROOT)} code cell {i}, line", "\n".join(
                "" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())


def tr_calls():
    """(where, English texts, keyword names or None where fields are passed as **mapping) of every tr/tr_fig call."""
    calls = []
    for where, code in sources():
        for node in ast.walk(ast.parse(code)):
            name = getattr(node, "func", None) and getattr(node.func, "id", getattr(node.func, "attr", None))
            if isinstance(node, ast.Call) and name in ("tr", "tr_fig") and node.args:
                keywords = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
                calls.append((f"{where}:{node.lineno}", _literals(node.args[0]), keywords))
    return calls


def fields(text):
    """The placeholders of a str.format text: (name, conversion, format spec), sorted."""
    return sorted((name, conv, spec) for _, name, spec, conv in string.Formatter().parse(text) if name is not None)


def test_every_message_is_a_literal_with_a_chinese_entry_and_every_entry_is_used():
    calls = tr_calls()
    # runtime's tr_fig hands its message on to tr: the one call whose text is not written at the call
    computed = [where for where, texts, _ in calls if texts is None and not where.startswith("helpers/runtime.py")]
    assert not computed, f"tr/tr_fig need the English text written in the call (a literal), so it can be found: {computed}"
    used = {text for _, texts, _ in calls for text in texts or ()}
    assert len(used) > 200  # the exercise checks, explorers, plots and figures of every lesson
    missing = sorted(used - set(TABLE))
    assert not missing, f"no Chinese in helpers/zh_CN.json for: {missing}"
    unused = sorted(set(TABLE) - used)
    assert not unused, f"helpers/zh_CN.json has entries no code uses (remove them): {unused}"


def test_chinese_entries_have_the_english_placeholders_and_are_chinese():
    differ = {en: zh for en, zh in TABLE.items() if fields(en) != fields(zh)}
    assert not differ, f"placeholders differ between English and Chinese: {differ}"
    english = [en for en, zh in TABLE.items() if not CJK.search(zh)]
    assert not english, f"entries left in English: {english}"


def test_every_call_passes_the_fields_its_text_names():
    wrong = []
    for where, texts, keywords in tr_calls():
        for text in texts or ():
            names = {re.split(r"[.\[]", name)[0] for name, _, _ in fields(text)}
            if keywords is not None and names - keywords:
                wrong.append(f"{where}: {text[:60]!r} needs {sorted(names - keywords)}")
    assert not wrong, wrong


# --------------------------------------------------------------------------- the language

def test_the_language_is_the_variable_else_the_notebooks_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(runtime.LANG_VAR, raising=False)
    (tmp_path / "notebooks" / "zh").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "notebooks")
    assert runtime.language() == "en"
    monkeypatch.chdir(tmp_path / "notebooks" / "zh")  # where nbval, nbconvert and JupyterLab start its kernels
    assert runtime.language() == "zh"
    monkeypatch.setenv(runtime.LANG_VAR, "en")
    assert runtime.language() == "en"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(runtime.LANG_VAR, "zh")
    assert runtime.language() == "zh"
    for wrong in ("fr", "zh_CN", "EN"):
        monkeypatch.setenv(runtime.LANG_VAR, wrong)
        with pytest.raises(ValueError, match=r"MLP_LESSONS_LANG.*'en', 'zh'"):
            runtime.language()


def test_tr_formats_in_the_lessons_language(monkeypatch):
    monkeypatch.setenv(runtime.LANG_VAR, "en")
    assert runtime.tr("❌ Not yet — {text}", text="try again") == "❌ Not yet — try again"
    assert runtime.tr("overall {a:.3f}", a=0.87654) == "overall 0.877"
    monkeypatch.setenv(runtime.LANG_VAR, "zh")
    assert runtime.tr("❌ Not yet — {text}", text="再试一次") == "❌ 还不对 — 再试一次"
    assert runtime.tr("overall {a:.3f}", a=0.87654) == "总体 0.877"
    assert runtime.tr("not in the table {x}", x=1) == "not in the table 1"  # English rather than nothing


@pytest.mark.parametrize("lang, right, wrong", [
    ("en", "✅ Correct — you choose the model by its validation loss", "❌ Not yet — you chose degree 10, the lowest"),
    ("zh", "✅ 正确 — 你按验证损失选择模型", "❌ 还不对 — 你选了 10 阶，即*训练*损失最低的那个"),
])
def test_an_exercise_check_speaks_its_lessons_language(monkeypatch, capsys, lang, right, wrong):
    monkeypatch.setenv(runtime.LANG_VAR, lang)
    by_validation = lambda s: s["degree"][min(range(len(s["degree"])), key=s["val_loss"].__getitem__)]  # noqa: E731
    by_training = lambda s: s["degree"][min(range(len(s["degree"])), key=s["train_loss"].__getitem__)]  # noqa: E731
    assert lesson05.check_choose_degree(by_validation) is True
    assert lesson05.check_choose_degree(by_training) is False
    passed, failed = capsys.readouterr().out.splitlines()
    assert passed.startswith(right) and failed.startswith(wrong)
    assert bool(CJK.search(passed + failed)) == (lang == "zh")


@pytest.fixture
def fresh_font_state():
    """matplotlib's font settings and helpers' font lookup as they were, after the test."""
    runtime.cjk_font.cache_clear()
    with matplotlib.rc_context():
        yield
    runtime.cjk_font.cache_clear()
    plt.close("all")


@pytest.mark.skipif(not any(f.name in runtime.CJK_FONTS for f in font_manager.fontManager.ttflist),
                    reason="no CJK font installed (apt-get install fonts-noto-cjk)")
def test_chinese_plot_text_is_drawn_in_a_cjk_font(monkeypatch, recwarn, fresh_font_state):
    monkeypatch.setenv(runtime.LANG_VAR, "zh")
    fig, ax = plt.subplots()  # its title and labels exist before any Chinese is asked for
    ax.set(title=runtime.tr_fig("training loss"), xlabel=runtime.tr_fig("validation loss"))
    ax.plot([0, 1], label=runtime.tr_fig("accuracy on the test set"))
    ax.legend()
    fig.canvas.draw()
    assert ax.get_title() == "训练损失" and runtime.cjk_font() in matplotlib.rcParams["font.family"]
    assert not [w for w in recwarn if "missing from font" in str(w.message)], "boxes instead of characters"


@pytest.mark.skipif(not any(f.name in runtime.CJK_FONTS for f in font_manager.fontManager.ttflist),
                    reason="no CJK font installed (apt-get install fonts-noto-cjk)")
def test_a_cjk_font_installed_after_matplotlib_listed_the_fonts_is_found(monkeypatch, fresh_font_state):
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [f for f in font_manager.fontManager.ttflist
                                                              if f.name not in runtime.CJK_FONTS])
    assert runtime.cjk_font() in runtime.CJK_FONTS  # found on disk, though not in matplotlib's cached list


def test_without_a_cjk_font_plots_stay_english_after_one_message(monkeypatch, capsys, fresh_font_state):
    monkeypatch.setenv(runtime.LANG_VAR, "zh")
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *args, **kwargs: [])
    assert [runtime.tr_fig("training loss"), runtime.tr_fig("degree-{d} fit", d=3)] == ["training loss", "degree-3 fit"]
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "apt-get install fonts-noto-cjk" in out and "make setup" in out
    assert runtime.tr("❌ Not yet — {text}", text="x") == "❌ 还不对 — x"  # printed text stays Chinese


# --------------------------------------------------------------------------- the two editions of the notebooks

ENGLISH = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
PAIRS = [p for p in ENGLISH if (ZH / p.name).exists()]


def test_every_lesson_has_its_chinese_edition_and_nothing_else_is_there():
    assert [p.name for p in PAIRS] == [p.name for p in ENGLISH] and len(ENGLISH) == 10, "run tools/translation.py sync"
    assert sorted(p.name for p in ZH.glob("*.ipynb")) == [p.name for p in PAIRS]


@pytest.mark.parametrize("en", PAIRS, ids=lambda p: p.name)
def test_the_chinese_edition_is_level_with_the_english_one(en):
    found = translation.problems(translation.read(en), translation.read(ZH / en.name), en.name)
    assert not found, "\n".join(found) + "\n(see `python tools/translation.py status`)"


@pytest.mark.parametrize("en", PAIRS, ids=lambda p: p.name)
def test_chinese_notebooks_link_to_what_exists_and_embed_the_chinese_figures(en):
    for cell in translation.read(ZH / en.name).cells:
        if cell.cell_type == "markdown":
            for target in re.findall(r"\]\(([^)\s#]+)", cell.source):
                if not re.match(r"[a-z]+:", target):
                    assert (ZH / target).resolve().exists(), f"{cell.get('id')}: {target} does not exist"
            for figure in re.findall(r"figures/[\w/.-]+\.png", cell.source):
                assert figure.startswith("figures/zh/"), f"{cell.get('id')}: embeds {figure}, not figures/zh/"


@pytest.fixture
def pair(tmp_path, monkeypatch):
    """A temporary English notebook and a Chinese edition made by `sync`, every markdown cell translated (a
    stand-in: "译文" before the English) and stamped: level, as tools/translation.py says."""
    en = tmp_path / "02_mlp.ipynb"
    shutil.copy(NOTEBOOKS / en.name, en)
    monkeypatch.setattr(translation, "ZH", tmp_path / "zh")
    translation.sync(en)
    zh = tmp_path / "zh" / en.name
    nb = translation.read(zh)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = "译文：" + cell.source
    translation.write(nb, zh)
    translation.stamp(en, None)
    assert translation.problems(translation.read(en), translation.read(zh)) == []
    return en, zh


def _edit(path, change):
    nb = translation.read(path)
    change(nb)
    translation.write(nb, path)
    return nb


def _problems(en, zh):
    return translation.problems(translation.read(en), translation.read(zh), en.name)


def _first(nb, kind, containing=""):
    return next(c for c in nb.cells if c.cell_type == kind and containing in c.source)


def test_an_english_markdown_edit_makes_its_translation_stale(pair):
    en, zh = pair
    nb = _edit(en, lambda nb: setattr(_first(nb, "markdown", "##"), "source", _first(nb, "markdown", "##").source
                                      + "\n\nOne more sentence."))
    found = _problems(en, zh)
    assert len(found) == 1 and "stale" in found[0] and f"id {_first(nb, 'markdown', '##').id}" in found[0]


def test_a_chinese_code_edit_is_reported(pair):
    en, zh = pair
    nb = _edit(zh, lambda nb: setattr(_first(nb, "code", "assert"), "source", _first(nb, "code", "assert").source
                                      .replace("assert", "assert True or", 1)))
    found = _problems(en, zh)
    assert len(found) == 1 and "code differs" in found[0] and _first(nb, "code", "assert").id in found[0]


def test_a_translated_comment_is_not_a_difference(pair):
    en, zh = pair

    def translate_comments(nb):
        cell = _first(nb, "code", "#")
        cell.source = "# 这是一条翻译过的注释\n" + re.sub(r"#.*", "# 中文注释", cell.source)
    _edit(zh, translate_comments)
    assert _problems(en, zh) == []


def test_a_reordered_or_deleted_cell_is_reported(pair):
    en, zh = pair
    original = translation.read(zh)
    _edit(zh, lambda nb: nb.cells.insert(3, nb.cells.pop(5)))
    assert "order differs" in " ".join(_problems(en, zh))
    translation.write(original, zh)
    _edit(zh, lambda nb: nb.cells.pop(4))
    found = _problems(en, zh)
    assert len(found) == 1 and f"missing ['{original.cells[4].id}']" in found[0]


def test_sync_keeps_translations_and_copies_changed_code(pair):
    en, zh = pair
    before = translation.read(zh)
    english = _edit(en, lambda nb: (setattr(_first(nb, "code", "assert"), "source", _first(nb, "code", "assert")
                                            .source + "\nassert 1 + 1 == 2"),
                                    setattr(_first(nb, "markdown", "##"), "source", "## A new heading")))
    notes = translation.sync(en)
    after = translation.read(zh)
    code, heading = _first(english, "code", "assert").id, _first(english, "markdown", "##").id
    assert any(code in n and "replaced" in n for n in notes)
    by_id = {c.id: c for c in after.cells}
    assert by_id[code].source == _first(english, "code", "assert").source  # the new code, copied
    assert by_id[heading].source == {c.id: c for c in before.cells}[heading].source  # the translation kept
    assert [c.source for c in after.cells if c.id not in (code, heading)] == \
        [c.source for c in before.cells if c.id not in (code, heading)]
    found = _problems(en, zh)
    assert len(found) == 1 and "stale" in found[0] and heading in found[0]


# --------------------------------------------------------------------------- nbval runs both editions

def test_nbval_collects_the_chinese_notebooks():
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "--nbval-lax", "notebooks"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    collected = {line.split("::")[0] for line in out.stdout.splitlines() if "::" in line}
    assert {f"notebooks/zh/{p.name}" for p in PAIRS} <= collected and f"notebooks/{ENGLISH[0].name}" in collected


def test_nbval_starts_a_chinese_notebooks_kernel_in_notebooks_zh(tmp_path):
    """nbval starts each kernel in its notebook's folder, so a notebook in notebooks/zh speaks Chinese."""
    folder = tmp_path / "notebooks" / "zh"
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import contextlib, io, os\nfrom helpers import runtime\nout = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n    runtime.verdict(False, '', 'x')\n"
        "assert os.getcwd().endswith('notebooks/zh') and out.getvalue() == '❌ 还不对 — x\\n', (os.getcwd(), out)")])
    nbformat.write(nb, folder / "check.ipynb")
    env = {k: v for k, v in os.environ.items() if k != runtime.LANG_VAR}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                          str(folder / "check.ipynb")], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stdout[-3000:]


def test_the_chinese_edition_reads_the_data_where_the_english_one_does():
    """d2l reads ../data: from notebooks/ that is data/, from notebooks/zh it is notebooks/data, a link to data/."""
    assert (ZH / ".." / "data").resolve() == (NOTEBOOKS / ".." / "data").resolve() == (ROOT / "data").resolve()
    assert (NOTEBOOKS / "data").is_symlink()


# --------------------------------------------------------------------------- README.zh-CN.md, README.md's twin

def numbers(text):
    return set(re.findall(r"\d+(?:[.,]\d+)*", text))


def test_the_chinese_readme_has_every_number_of_the_english_one():
    """README.zh-CN.md says what README.md says: every number here (lesson times, benchmarks, versions, results)
    is there too, so a number changed in one and not the other fails here. Change both in the same commit."""
    english, chinese = ((ROOT / name).read_text(encoding="utf-8") for name in ("README.md", "README.zh-CN.md"))
    assert "README.zh-CN.md" in english.split("\n## ")[0] and "README.md" in chinese.split("\n## ")[0]
    missing = sorted(numbers(english) - numbers(chinese), key=lambda n: (len(n), n))
    assert not missing, f"numbers in README.md but not in README.zh-CN.md: {missing}"
