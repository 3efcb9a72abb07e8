"""Sphinx configuration for the disparity documentation (build with ``docs/build.sh``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The checkout being documented wins over any installed copy.
sys.path.insert(0, str(ROOT))
# The notebook kernels are subprocesses: they must import this checkout too.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("MPLBACKEND", "Agg")

import disparity  # noqa: E402

project = "disparity"
author = "disparity developers"
copyright = "disparity developers"  # noqa: A001
release = disparity.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
]

exclude_patterns = ["_build", "README.md", "build.sh", "jupyter_execute", ".jupyter_cache"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
language = "en"

# --- myst / myst-nb --------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
# Every code cell runs on each build; a failing cell fails the build.
nb_execution_mode = "cache"
nb_execution_cache_path = str(Path(__file__).parent / "_build" / ".jupyter_cache")
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 180
nb_execution_in_temp = False
nb_merge_streams = True

# --- autodoc / autosummary / numpydoc --------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # numpydoc sections already state the types
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

# No internet on the build machine: intersphinx has no inventories to fetch.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}

# MathJax comes from its CDN by default. For reading the built site offline, point this at a local
# copy, e.g. DISPARITY_DOCS_MATHJAX="file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS_CHTML"
# (Debian's libjs-mathjax, MathJax 2).
if os.environ.get("DISPARITY_DOCS_MATHJAX"):
    mathjax_path = os.environ["DISPARITY_DOCS_MATHJAX"]
    if "MathJax.js" in mathjax_path:  # MathJax 2 needs its own configuration block
        # MyST marks its pages mathjax_ignore and relies on processing the "math" class.
        mathjax2_config = {"tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                                       "processEscapes": True,
                                       "processClass": "tex2jax_process|mathjax_process|math|output_area"}}

# --- HTML ------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"disparity {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "icon_links": [],
}
html_last_updated_fmt = None
html_copy_source = False

# linkcheck is run by build.sh over internal links only; never reach out to the internet.
linkcheck_ignore = [r"https?://.*"]

