# MLP lessons: `make lab` to learn, `make test` to check everything.
# Both run `make setup` first; a second setup with nothing changed takes seconds.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA_STAMP := data/FashionMNIST/raw/.prepared
# The book's library, installed with --no-deps: d2l 0.17.6 is what d2l-zh (the Chinese edition,
# which the note follows) installs, and its chapter 4 calls train_ch3, predict_ch3, evaluate_accuracy.
# Its declared exact pins target Python <= 3.10; requirements.txt pins what it really imports.
D2L_VERSION := 0.17.6

# make lab: JupyterLab on this machine only (LAB_IP=0.0.0.0 to reach it from outside a container),
# port 8888 or the next free one. JupyterLab refuses to run as root without --allow-root, and root is
# normal in containers, cloud machines and CI. Without a display (ssh, a container, CI) it opens no
# browser and prints the URL with its token; on a desktop (X11, Wayland or macOS) it opens one.
LAB_PORT ?= 8888
LAB_IP   ?= 127.0.0.1
LAB_ARGS ?=
LAB_AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_DESKTOP := $(or $(DISPLAY),$(WAYLAND_DISPLAY),$(filter Darwin,$(shell uname -s)))
LAB_BROWSER := $(if $(LAB_DESKTOP),,--no-browser)

.PHONY: setup lab lab-zh test test-unit test-notebooks test-browser site figures nav clean-notebooks bench clean help

help:
	@echo "make lab              set up (first time) and open JupyterLab on notebooks/"
	@echo "make lab-zh           the same for the Chinese edition: notebooks/zh/, JupyterLab's menus in Chinese"
	@echo "make test             set up and run every test, every notebook included"
	@echo "make setup            create .venv, install pinned packages, find Fashion-MNIST"
	@echo "make figures          regenerate every image in figures/ from code"
	@echo "make nav              regenerate the contents list and each lesson's navigation line"
	@echo "make clean-notebooks  strip outputs, execution counts and widget state"
	@echo "make bench            print the benchmarks (epoch time, notebook times, widget latency)"
	@echo "make site             build the lessons as a static website in site/ (kernel-free sliders)"

setup: $(STAMP) $(DATA_STAMP) notebooks/data

# Re-run when the pins change: requirements.txt, or D2L_VERSION in this Makefile.
$(STAMP): requirements.txt pyproject.toml Makefile
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found. Install Python 3.11 (e.g. apt-get install python3.11 python3.11-venv) or run 'make PYTHON=/path/to/python3.11 setup'." >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps d2l==$(D2L_VERSION)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@# pip check reports d2l's own exact pins (its versions are not installed, on purpose: see README);
	@# anything else it reports is a real conflict and stops set-up.
	@$(BIN)/python -m pip check > $(VENV)/pip-check.txt || true; \
	  if grep -v -e '^d2l $(D2L_VERSION) has requirement ' -e '^No broken requirements found' $(VENV)/pip-check.txt >&2; then \
	    echo "error: pip check found the conflicts above" >&2; exit 1; fi; \
	  echo "pip check: only d2l $(D2L_VERSION)'s declared pins differ, as intended ($(VENV)/pip-check.txt)"
	touch $(STAMP)

$(DATA_STAMP): $(STAMP) helpers/data.py
	sh tools/system_packages.sh
	$(BIN)/python -m helpers.data prepare
	touch $(DATA_STAMP)

# d2l's loader reads "../data" relative to the notebook: data/ for notebooks/, notebooks/data for
# the Chinese edition in notebooks/zh, which this link points at the same folder.
notebooks/data:
	ln -s ../data $@

# The server's root is the repository (so lessons can embed ../figures/*.png);
# the browser opens on notebooks/00_start_here.ipynb. tests/test_environment.py starts the
# server with this very recipe (`make -o setup lab`) and fetches /lab.
LAB_CMD = $(BIN)/jupyter lab --ServerApp.root_dir=. --ip=$(LAB_IP) --port=$(LAB_PORT) $(LAB_AS_ROOT) $(LAB_BROWSER)
lab: setup
	$(LAB_CMD) --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb $(LAB_ARGS)

# make lab-zh: the same server for the Chinese edition, opening notebooks/zh/00_start_here.ipynb with
# JupyterLab's own menus and dialogs in Chinese (the zh_CN language pack in requirements.txt). The locale
# is a setting in a settings folder of this checkout (.lab-zh/, git-ignored), so `make lab` and any other
# JupyterLab keep theirs (English unless you chose otherwise). tests/test_environment.py runs this recipe too.
LAB_ZH_SETTINGS := .lab-zh/user-settings
$(LAB_ZH_SETTINGS)/@jupyterlab/translation-extension/plugin.jupyterlab-settings:
	mkdir -p $(@D)
	printf '{\n  "locale": "zh_CN"\n}\n' > $@

lab-zh: setup $(LAB_ZH_SETTINGS)/@jupyterlab/translation-extension/plugin.jupyterlab-settings
	$(LAB_CMD) --LabApp.user_settings_dir=$(LAB_ZH_SETTINGS) \
	  --LabApp.default_url=/lab/tree/notebooks/zh/00_start_here.ipynb $(LAB_ARGS)

# One pytest run: unit tests of helpers, the real-browser tests, and every
# notebook top to bottom in a fresh kernel (nbval, lax: cells opt in to output checks).
# Tests run torch on one thread: JupyterLab and Chromium share the two cores during
# the browser tests, and two OpenMP threads on busy cores slow training tenfold or more.
# Bytecode caches are written even where PYTHONDONTWRITEBYTECODE is set (containers often set it): without them each
# of the run's kernels and pytest processes compiles helpers/ and tools/ again, and pytest rewrites every test file.
TEST_ENV := MPLBACKEND=Agg OMP_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=
# Files run in parallel; each notebook stays in one worker (--dist loadfile). Three workers on the 2-core machine:
# while one waits (on JupyterLab and Chromium, on a subprocess starting, on the site's lessons), two keep the cores busy.
TEST_WORKERS ?= 3

# Every kernel of the run (nbval in both editions, JupyterLab, the site build) shares its training through
# tools/shared_results.py: a net trained once is not trained again by the next kernel running the same code.
# The store starts empty each run; IPython's startup folder loads the module into each kernel.
SHARED := .test-results
SHARED_ENV = MLP_LESSONS_RESULTS=$(CURDIR)/$(SHARED)/results IPYTHONDIR=$(CURDIR)/$(SHARED)/ipython
# make test keeps each lesson nbval runs to the end as the site's executed copy in .site-cache/ (tools/nbval_site.py),
# so the site build inside it (tests/browser/sitedriver.py) executes no lesson a second time.
SAVE_ENV = MLP_LESSONS_SAVE_EXECUTED=$(CURDIR)/.site-cache

test: setup
	$(BIN)/python tools/shared_results.py prepare $(SHARED)
	$(TEST_ENV) $(SHARED_ENV) $(SAVE_ENV) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder tests --nbval-lax --nbval-cell-timeout=600 notebooks

test-unit: setup
	$(TEST_ENV) $(BIN)/python -m pytest tests --ignore=tests/browser

test-notebooks: setup
	$(BIN)/python tools/shared_results.py prepare $(SHARED)
	$(TEST_ENV) $(SHARED_ENV) $(BIN)/python -m pytest --nbval-lax --nbval-cell-timeout=600 notebooks

test-browser: setup
	$(TEST_ENV) $(BIN)/python -m pytest tests/browser

# The lessons as a static website in site/: every lesson executed (two at a time, cached in .site-cache/),
# explorers drawn for each stop of their controls, MathJax served from the site. Nothing is downloaded.
site: setup
	OMP_NUM_THREADS=1 $(BIN)/python tools/build_site.py

figures: setup
	MPLBACKEND=Agg $(BIN)/python tools/make_figures.py

nav: setup
	$(BIN)/python tools/add_navigation.py

clean-notebooks: setup
	$(BIN)/python tools/clean_notebooks.py

bench: setup
	$(BIN)/python benchmarks/epoch_time.py
	$(BIN)/python benchmarks/notebook_times.py
	$(BIN)/python benchmarks/widget_latency.py

clean:
	rm -rf $(VENV) data/FashionMNIST .pytest_cache test-artifacts site .site-cache $(SHARED)
