"""tools/build_site.py without executing anything: inputs it refuses, kernel-free explorer HTML, links, CDN checks.

The real build, served and read in Chromium, is tests/browser/test_site.py and test_site_contents.py.
"""

import html
import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import build_site  # noqa: E402


def _editions(monkeypatch, en: Path, zh: Path):
    monkeypatch.setitem(build_site.EDITIONS, "en", (en, "", build_site.EDITIONS["en"][2]))
    monkeypatch.setitem(build_site.EDITIONS, "zh", (zh, "zh/", build_site.EDITIONS["zh"][2]))
    monkeypatch.setattr(build_site, "ROOT", en.parent)


def _lesson(path: Path, title: str = "# 00 · Start here · 从这里开始") -> None:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(title)]), path)


def test_bad_input_is_refused_with_a_clear_error(tmp_path, monkeypatch):
    en, zh = tmp_path / "notebooks", tmp_path / "notebooks" / "zh"
    en.mkdir()
    _editions(monkeypatch, en, zh)
    with pytest.raises(build_site.BuildError, match="no lessons") as err:
        build_site.editions(["en", "zh"])
    assert err.value.code == 2
    _lesson(en / "01_first.ipynb", "# 01 · First · 第一")
    with pytest.raises(build_site.BuildError, match="has lessons but no 00_start_here.ipynb"):
        build_site.editions(["en"])
    _lesson(en / "00_start_here.ipynb")
    (en / "02_broken.ipynb").write_text("{not json")
    with pytest.raises(build_site.BuildError, match=r"notebooks/02_broken.ipynb is not a lesson notebook"):
        build_site.editions(["en"])
    _lesson(en / "02_broken.ipynb", "no title here")
    with pytest.raises(build_site.BuildError, match="title cell must start with"):
        build_site.editions(["en"])
    (en / "02_broken.ipynb").unlink()
    assert build_site.editions(["en", "zh"]) == {"en": [en / "00_start_here.ipynb", en / "01_first.ipynb"]}
    zh.mkdir()
    _lesson(zh / "00_start_here.ipynb")
    assert list(build_site.editions(["en", "zh"])) == ["en", "zh"]  # the Chinese edition, when it is there
    assert list(build_site.editions(["en"])) == ["en"]
    with pytest.raises(SystemExit):  # argparse: "--jobs must be at least 1"
        build_site.main(["--jobs", "0"])


def _views(still=""):
    return {"controls": [] if still else [
        {"name": "λ", "slider": True, "labels": ["0", "1e-4", "3e-4"], "at": 1},
        {"name": "act", "slider": False, "labels": ["relu", "<tanh>"], "at": 0}],
        "views": [[0]] if still else [[i % 4] for i in range(6)], "pngs": ["AAAA", "BBBB", "CCCC", "DDDD"],
        "still": still, "held": ["x range"]}


def test_explorer_html_carries_every_view_and_starts_at_the_current_stop():
    page = build_site.explorer_html(_views())
    assert "<input type='range' data-stop min='0' max='2' step='1' value='1' aria-label='λ'><output>1e-4</output>" in page
    assert "<option value='0' selected>relu</option><option value='1'>&lt;tanh&gt;</option>" in page
    # the pictures shown first are those of stops (1, 0): row-major index 1 * 2 + 0 = 2 -> png 2
    assert page.count("data:image/png;base64,CCCC") == 1 and "base64,AAAA" not in page
    data = json.loads(page.split("class='mlp-views'>")[1].split("</script>")[0])
    assert data == {"shape": [3, 2], "labels": [["0", "1e-4", "3e-4"], ["relu", "<tanh>"]],
                    "views": _views()["views"], "pngs": _views()["pngs"]}
    assert "all 6 settings were computed" in page and "x range stays as in the first view" in page
    still = build_site.explorer_html(_views("its 500 settings are more than the 120 a page holds"))
    assert "mlp-still" in still and "mlp-views" not in still and "data-stop" not in still
    assert "A still image of this explorer's first view: its 500 settings are more than the 120" in html.unescape(still)
    chinese = build_site.explorer_html(_views("它有 500 种设置，超过一页能容纳的 120 种"), "zh")  # a zh kernel's reason
    assert "静态图片：它有 500 种设置，超过一页能容纳的 120 种。" in chinese
    assert "全部 6 种设置" in build_site.explorer_html(_views(), "zh")


def test_links_become_pages_and_embedded_files_are_copied(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    (root / "figures").mkdir(parents=True)
    (root / "figures" / "a.png").write_bytes(b"png")
    notebooks = root / "notebooks"
    (notebooks / "zh").mkdir(parents=True)
    monkeypatch.setattr(build_site, "ROOT", root)
    monkeypatch.setattr(build_site, "NOTEBOOKS", notebooks)
    out = tmp_path / "site"
    pages = {(notebooks / "01_x.ipynb").resolve(): out / "01_x.html",
             (notebooks / "zh" / "01_x.ipynb").resolve(): out / "zh" / "01_x.html"}
    build_site.SITE_PAGES.clear()
    build_site.SITE_PAGES.update([*pages.values(), out / "index.html", out / "zh" / "index.html"])
    copies, problems, warnings = {}, [], []
    page = ('<a href="01_x.ipynb#Setup">next</a> <img src="../figures/a.png" alt=""> <a href="https://d2l.ai/">d2l</a>'
            ' <a href="#top">top</a> <a href="index.html">contents</a> <a href="zh/01_x.ipynb">中文</a>'
            ' <a href="02_gone.ipynb">gone</a> <img src="../figures/missing.png">')
    got = build_site.rewrite_links(page, out, notebooks, out, pages, copies, problems, warnings, "01_x.html")
    assert '<a href="01_x.html#Setup">' in got and '<img src="figures/a.png"' in got
    assert '<a href="https://d2l.ai/">' in got and '<a href="#top">' in got and '<a href="index.html">' in got
    assert '<a href="zh/01_x.html">' in got
    assert copies == {(root / "figures" / "a.png").resolve(): out / "figures" / "a.png"}
    assert warnings == ["01_x.html: link '02_gone.ipynb' points to nothing the site has"]
    assert problems == ["01_x.html: image '../figures/missing.png' points to nothing the site has"]
    zh_page = build_site.rewrite_links('<img src="../../figures/a.png"> <a href="../01_x.ipynb">en</a>', out / "zh",
                                       notebooks / "zh", out, pages, copies, problems, warnings, "zh/01_x.html")
    assert zh_page == '<img src="../figures/a.png"> <a href="../01_x.html">en</a>'


def test_the_external_check_finds_cdn_scripts_styles_fonts_but_not_links():
    found = [m.group(0)[:30] for m in build_site.EXTERNAL.finditer(
        '<script src="https://cdnjs.cloudflare.com/x.js"></script><link href="//fonts.example/c.css" rel="stylesheet">'
        '<style>@font-face{src:url(https://f.example/a.woff)} @import "https://x.example/y.css";</style>'
        '<a href="https://d2l.ai/">book</a><img src="data:image/png;base64,AAAA"><script src="assets/m.js"></script>')]
    assert len(found) == 4, found


def test_the_template_names_no_cdn():
    template = (build_site.TEMPLATES / "mlp-site" / "index.html.j2").read_text()
    assert "http://" not in template and "https://" not in template and not build_site.EXTERNAL.search(template)
    for block in ("html_head_js_requirejs", "jupyter_widgets", "html_head_js_mermaidjs", "html_head_js_mathjax"):
        assert f"block {block}" in template, f"the lab template's {block} (a CDN URL) must be replaced"
