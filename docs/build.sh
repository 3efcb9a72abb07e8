#!/usr/bin/env bash
# Build the documentation: executed pages, warnings are errors, then an internal link check.
# Usage: docs/build.sh            (uses $PYTHON, else .venv/bin/python, else python3)
#        docs/build.sh --clean    (drop the build and the execution cache first)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
    if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
if [[ "${1:-}" == "--clean" ]]; then rm -rf docs/_build docs/reference/generated; fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export MPLBACKEND=Agg
# One doctree cache for both builders, so linkcheck does not re-read (or re-execute) anything.
DOCTREES=docs/_build/doctrees
"$PY" -m sphinx -W --keep-going -b html -d "$DOCTREES" docs docs/_build/html
# Sphinx's linkcheck builder on local links only (external URLs are ignored in conf.py), then our
# own checker, which also verifies #anchors inside the built pages.
"$PY" -m sphinx -W --keep-going -q -b linkcheck -d "$DOCTREES" docs docs/_build/linkcheck
"$PY" docs/check_links.py docs/_build/html
