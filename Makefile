# Two commands set everything up on a fresh clone: `make site` and `make test`.
# Each creates its own virtual environment in .venv and installs what it needs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The tests run torch on the CPU. PyPI's Linux wheel of this version is a CUDA build of several GB,
# so the CPU build comes from a wheel folder pip already knows (its find-links, as on our CI
# machines) or else from PyTorch's CPU index.
CPU_TORCH := torch==2.13.0
CPU_TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
export NO_MKDOCS_2_WARNING := 1
# Where `make site-zensical` puts the site; the Pages workflow sets it to site/.
ZENSICAL_SITE_DIR ?= site-zensical
# CI here runs as root; a GitHub-hosted runner needs sudo for apt-get.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: site site-zensical serve test figures validate lint clean

site: $(VENV)/.site  ## build the site into site/ (no torch needed)
	$(BIN)/mkdocs build --strict

# The same site built by Zensical (no plugin runs there: the generated project lies in build/zensical).
site-zensical: $(VENV)/.zensical  ## build the site with Zensical into site-zensical/ (no torch needed)
	$(BIN)/settings-guide zensical --out build/zensical --site-dir $(ZENSICAL_SITE_DIR)

serve: $(VENV)/.site  ## preview at http://127.0.0.1:8000, rebuilding when settings or templates change
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

validate: $(VENV)/.site  ## check every setting file
	$(BIN)/settings-guide validate

test: $(VENV)/.test $(VENV)/.chromium  ## install what the tests need and run them all
	$(BIN)/python -m pytest

lint: $(VENV)/.test
	$(BIN)/ruff check src tests scripts bench

figures: $(VENV)/.figures  ## regenerate stale comparison images (on a GPU runner)
	$(BIN)/python scripts/build_figures.py $(ARGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.site: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Without its dependencies here: the next install resolves them from the usual index.
$(VENV)/.torch-cpu: | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --no-index --no-deps "$(CPU_TORCH)" 2>/dev/null \
	  || $(BIN)/python -m pip install --quiet --no-deps --index-url "$(CPU_TORCH_INDEX)" "$(CPU_TORCH)"
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.torch-cpu | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[figures,test,zensical]"
	touch $@ $(VENV)/.site $(VENV)/.zensical

$(VENV)/.zensical: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[zensical]"
	touch $@ $(VENV)/.site

# On a GPU runner torch comes with CUDA: install the extra without pinning the CPU build.
$(VENV)/.figures: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[figures]"
	touch $@ $(VENV)/.site

# Browser tests drive Debian's Chromium; Playwright's own browser download does not work here.
$(VENV)/.chromium: | $(VENV)/bin/python
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	touch $@

clean:
	rm -rf site site-zensical build/zensical .pytest_cache
