# The book's two commands: `make book` builds it, `make test` runs every test.
# Each creates the virtual environment and fetches the pinned assets itself.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
# Progress bars in the rendered book: tqdm redraws with carriage returns, which
# MyST-NB keeps as one line per redraw; redraw at most every 5 minutes there
# (first and last state). Interactive runs (Jupyter, Colab) keep live bars.
export TQDM_MININTERVAL := 300

.PHONY: book book-zh gettext book-student test unit unit-all spark assets browser student compat compat-all clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ needed, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

assets: $(STAMP)
	$(BIN)/llmrec fetch

# The English site executes every chapter once (into a fresh jupyter-cache);
# the Chinese site (_build/html/zh) is built from the same outputs, so its
# pages show exactly the English pages' numbers. `make book-zh` is the same.
book: assets
	rm -rf _build/.jupyter_cache
	$(BIN)/python -m llmrec_utils.course.translation build --language en --cache _build/.jupyter_cache
	$(BIN)/python -m llmrec_utils.course.translation build --language zh_CN --cache _build/.jupyter_cache
	@echo "Open _build/html/index.html (English) or _build/html/zh/index.html (中文)"

book-zh: book

# After English text changed: extract the messages again and update the
# catalogues in locales/ (new messages empty, changed ones fuzzy), then
# translate them (locales/zh_CN/STYLE.md) and check:
# `python -m llmrec_utils.course.translation check`.
gettext: $(STAMP)
	$(BIN)/python -m llmrec_utils.course.translation gettext

# The site without solutions: hints kept, an answer box under each discussion
# question, the solution code run (so the checks pass) but not shown. Sources in
# _build/student (`llmrec student --site`), executed like `make book`.
book-student: assets
	$(BIN)/llmrec student --site _build/student
	$(BIN)/jupyter-book build _build/student --all -W -n --keep-going
	@echo "Open _build/student/_build/html/index.html"

# Debian's chromium for the rendered-page test; installed when we may (root + apt).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "Installing Debian's chromium for the browser test ..."; \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	        || echo "warning: could not install chromium; the browser test will be skipped"; \
	    else echo "note: chromium not found; install it to run the browser test"; fi; }

# Every test: the unit tests, then every chapter under nbval, then the book
# build, which renders the chapters nbval just executed (see conftest.py).
test: assets browser
	$(BIN)/python -m pytest -ra --durations=10

# The fast unit tests (about a minute): no JVM, no pinned language model (the
# `spark` and `slow` markers, see conftest.py); `make test` runs those too.
unit: assets
	$(BIN)/python -m pytest -ra -m "unit and not spark and not slow" tests

# Every unit test, the slow and the Spark ones included (about three minutes).
unit-all: assets
	$(BIN)/python -m pytest -ra -m unit tests

# What needs Apache Spark and Java: its unit tests and chapter 9.
spark: assets
	$(BIN)/python -m pytest -ra -m spark

# The second test environment: Colab's numpy/pandas/transformers/scikit-learn and the
# oldest version pyproject.toml allows of everything else (requirements-colab.txt), in
# .venv-compat, rebuilt from scratch whenever the pins change. Runs the unit tests
# (not the book build) and chapters 1, 2, 4, 5 under nbval (5 alone, as in `make test`).
CVENV   := .venv-compat
CBIN    := $(CVENV)/bin
CSTAMP  := $(CVENV)/.installed
COMPAT_NOTEBOOKS := notebooks/01_data.ipynb notebooks/02_text_embeddings.ipynb \
                    notebooks/04_matrix_factorization.ipynb notebooks/05_hybrid.ipynb
# the other chapters, run by `make compat-all`
COMPAT_REST := $(filter-out $(COMPAT_NOTEBOOKS),$(sort $(wildcard notebooks/*.ipynb)))

$(CSTAMP): requirements-colab.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ needed, found " + sys.version'
	rm -rf $(CVENV)
	$(PYTHON) -m venv $(CVENV)
	$(CBIN)/python -m pip install --quiet --upgrade pip
	$(CBIN)/python -m pip install --quiet -r requirements-colab.txt
	$(CBIN)/python -m pip install --quiet --no-deps -e .
	$(CBIN)/python -m pip check
	@touch $@

compat: export PATH := $(abspath $(CBIN)):$(PATH)
compat: $(CSTAMP)
	$(CBIN)/llmrec fetch
	$(CBIN)/python -m pytest -ra tests --ignore=tests/test_book.py
	$(CBIN)/python -m pytest -ra $(COMPAT_NOTEBOOKS)

# `make compat`, then every other chapter with Colab's versions (3, 6, 7, 8, 9;
# about 20 minutes more). When all pass it records what it tested in
# .ci/compat-all.stamp (commit it): .ci/run runs `make compat-all` instead of
# `make compat` whenever requirements-colab.txt, pyproject.toml or a chapter's
# imports no longer match that stamp (.ci/compat_key.py).
compat-all: export PATH := $(abspath $(CBIN)):$(PATH)
compat-all: compat
	$(CBIN)/python -m pytest -ra --durations=5 $(COMPAT_REST)
	@echo "$$($(PYTHON) .ci/compat_key.py) $$(date -u +%Y-%m-%d) $$($(CBIN)/python -c 'import platform; print("Python", platform.python_version())')" > .ci/compat-all.stamp
	@echo "wrote .ci/compat-all.stamp: commit it"

student: $(STAMP)
	$(BIN)/llmrec student student/

clean:
	rm -rf _build student
