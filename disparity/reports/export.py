"""Replication packages: ``disparity export SPEC.toml DEST`` (:func:`export_package`).

A replication package is a folder from which someone else rebuilds the report::

    report.toml          the spec, its data paths pointing into data/ and its output to report/
    original/SPEC.toml   the spec exactly as it was (comments kept)
    data/                copies of the data files the spec read (not with --no-data)
    data/SHA256SUMS      SHA-256 of every data file, bundled ones included ("bundled:NAME")
    requirements.lock    the versions of every installed package (pip's name==version)
    rebuild.py           checks the data against SHA256SUMS, then runs ``disparity report``
    README.md            what is in the package, where each data file comes from, how to rebuild
    manifest.json        marks the folder as made by disparity (so a later export may replace it)

What is copied: the spec and the data files it names (each read first, as the build reads it, so
only data a build would use leave the machine), nothing else from the spec's folder or outside it.
The package is built in a temporary folder beside ``DEST`` and renamed into place; ``DEST`` may be
new, an empty folder or an earlier package made by ``disparity export``; anything else is refused
with :class:`~disparity.errors.OutputExistsError` (see :mod:`disparity.reports._files`).
"""

from __future__ import annotations

import json
import math
import platform
import re
import shutil
import sys
import tomllib
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import OutputExistsError, SpecificationError
from ._files import (
    BUILD_MARKER,
    MANIFEST,
    check_report_target,
    clean_stale_builds,
    new_build_dir,
    publish_build,
    sha256_file,
)

__all__ = ["export_package", "toml_dumps", "PACKAGE_KIND"]

#: ``kind`` in the manifest of a replication package (a report folder has none).
PACKAGE_KIND = "replication-package"
_BARE = re.compile(r"[A-Za-z0-9_-]+")


# ---------------------------------------------------------------------- TOML out
def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else json.dumps(k, ensure_ascii=False)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(str(k))} = {_value(x)}" for k, x in v.items()) + " }" if v else "{}"
    raise SpecificationError(f"Cannot write a {type(v).__name__} value into the exported spec.")


def toml_dumps(doc: Mapping[str, Any], *, header: str = "") -> str:
    """Write a spec (str/int/float/bool values, lists, tables, arrays of tables) as TOML.

    The result is read back and compared, so what is written is exactly ``doc``.

    Examples
    --------
    >>> text = toml_dumps({"title": "赤峰", "data": {"d": {"path": "data/x.csv"}}, "steps": [{"text": "a"}]})
    >>> print(text)
    title = "赤峰"
    <BLANKLINE>
    [data.d]
    path = "data/x.csv"
    <BLANKLINE>
    [[steps]]
    text = "a"
    <BLANKLINE>
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    scalars = {k: v for k, v in doc.items() if not isinstance(v, dict) and not _is_table_list(v)}
    lines += [f"{_key(k)} = {_value(v)}" for k, v in scalars.items()]

    def table(path: list[str], body: Mapping[str, Any]) -> None:
        # [data.NAME] tables get headers; tables inside them (where = {...}) are written inline
        nested = len(path) == 1
        inner = {k: v for k, v in body.items() if not (nested and isinstance(v, dict))}
        subs = {k: v for k, v in body.items() if nested and isinstance(v, dict)}
        if inner or not subs:
            lines.extend(["", "[" + ".".join(_key(p) for p in path) + "]"])
            lines.extend(f"{_key(k)} = {_value(v)}" for k, v in inner.items())
        for k, v in subs.items():
            table([*path, k], v)

    for k, v in doc.items():
        if isinstance(v, dict):
            table([k], v)
    for k, v in doc.items():
        if _is_table_list(v):
            for item in v:
                lines.extend(["", f"[[{_key(k)}]]"])
                lines.extend(f"{_key(str(a))} = {_value(b)}" for a, b in item.items())
    text = "\n".join(lines).lstrip("\n") + "\n"
    if tomllib.loads(text) != _plain(doc):
        raise SpecificationError("The exported spec does not read back as the original; please report this.")
    return text


def _is_table_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _plain(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


# ---------------------------------------------------------------------- the package
def _sources(raw: Mapping[str, Any], analysis: bool) -> list[tuple[str, dict[str, Any]]]:
    """(name, [data] table) of every data source of a spec, as mutable copies inside ``raw``."""
    if analysis:
        return list(raw["data"].items())
    return [("data", raw["data"])]


def _lock() -> str:
    dists = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            dists[name.lower()] = dist.version
    dists.setdefault("disparity", __version__)
    head = (f"# Package versions of the environment that exported this package (disparity {__version__}).\n"
            f"# Python {sys.version.split()[0]} on {platform.platform()}\n")
    return head + "".join(f"{n}=={v}\n" for n, v in sorted(dists.items()))


_REBUILD = '''\
"""Rebuild the report of this replication package (written by `disparity export`).

    python rebuild.py [--out FOLDER]

Checks every data file against data/SHA256SUMS (bundled data sets against the installed
disparity's copy), then runs `disparity report report.toml --out FOLDER --no-cache` (default
FOLDER: report/ here). Running `disparity report report.toml` yourself does the same build.
"""

import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_data():
    problems = []
    for line in (HERE / "data" / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        digest, name = line.split("  ", 1)
        if name.startswith("bundled:"):
            from disparity import datasets

            path = datasets.path(name[len("bundled:"):])
        else:
            path = (HERE / name).resolve()
            if HERE not in path.parents:
                problems.append(f"{name}: not inside the package")
                continue
        if not path.is_file():
            problems.append(f"{name}: missing (README.md says how to obtain it)")
        elif sha256(path) != digest:
            problems.append(f"{name}: SHA-256 differs from the one the report was built with")
    return problems


def main(argv):
    out = argv[argv.index("--out") + 1] if "--out" in argv else str(HERE / "report")
    problems = check_data()
    if problems:
        print("rebuild: the data are not those of the report:", *problems, sep="\\n  ", file=sys.stderr)
        return 1
    from disparity.cli import main as disparity

    return disparity(["report", str(HERE / "report.toml"), "--out", out, "--no-cache"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''


def _readme(title: str, spec_name: str, rows: list[dict[str, Any]], with_data: bool) -> str:
    out = [f"# Replication package: {title}", "",
           f"Written by `disparity export` (disparity {__version__}) from the spec `{spec_name}`.", "",
           "## Rebuild the report", "",
           "1. Install the package versions in `requirements.lock` (at least the same `disparity`; other",
           "   versions of numpy/pandas/statsmodels can change the last digits).",
           "2. Run `python rebuild.py` here. It checks each data file against `data/SHA256SUMS`, then runs",
           "   `disparity report report.toml --out report --no-cache`. The report folder it writes",
           "   should be byte-identical to the original except the manifest's creation time",
           "   (set `SOURCE_DATE_EPOCH` to fix that too).", "",
           "`rebuild.py` is a Python script: if this package came from someone else, read it first, or run",
           "`disparity report report.toml --out report` yourself, which runs no code from the package",
           "(a spec is data; see disparity's SECURITY.md).", "",
           "## Data", "",
           "| table | file | bytes | SHA-256 | where it comes from |",
           "|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['name']} | `{r['file']}` | {r['bytes']:,} | `{r['sha256']}` | {r['source']} |")
    if not with_data:
        out += ["", "The data files are **not included** (exported with `--no-data`). Obtain each file named",
                "above from its source (the study's authors or the data provider), check its SHA-256 (for example",
                "`sha256sum FILE`) and put it at the path shown; `python rebuild.py` says which are missing."]
    out += ["", "## Contents", "",
            "* `report.toml`: the spec, with its data paths pointing into `data/` and its output to `report/`",
            f"* `original/{spec_name}`: the spec as it was written",
            "* `data/`: the data (and `SHA256SUMS`)",
            "* `requirements.lock`: the package versions of the environment that exported it",
            "* `rebuild.py`, `README.md`, `manifest.json` (marks the folder as written by disparity)", ""]
    return "\n".join(out)


def _check_dest(dest: Path, spec_dir: Path) -> None:
    dest_r = dest.expanduser().resolve()
    if dest_r == spec_dir or dest_r in spec_dir.parents:
        raise OutputExistsError(
            f"{str(dest)!r} is the spec's folder or contains it; a replication package is written to a new "
            "folder. Choose another destination."
        )
    check_report_target(dest)
    if (dest / MANIFEST).is_file():
        try:
            kind = json.loads((dest / MANIFEST).read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError, AttributeError):
            kind = None
        if kind != PACKAGE_KIND:
            raise OutputExistsError(
                f"{str(dest)!r} is a disparity report, not a replication package; it is not replaced. "
                "Choose another destination."
            )


def export_package(spec_path: str | Path, dest: str | Path, *, data: bool = True,
                   progress: Callable[[str], None] | None = None) -> Path:
    """Write a replication package of the report spec ``spec_path`` into the folder ``dest``.

    Parameters
    ----------
    spec_path : path
        An analysis spec (``[[steps]]``) or a model-and-tables spec.
    dest : path
        The package folder: new, empty, or an earlier package written by this function.
    data : bool, default True
        Copy the data files into ``data/``; with False only their SHA-256 and size are written,
        and the README says how to obtain them.

    Returns
    -------
    Path
        ``dest``.

    Examples
    --------
    >>> import pathlib
    >>> spec = pathlib.Path("spec.toml")
    >>> _ = spec.write_text('title = "t"\\n[data]\\ndataset = "chifeng_survey"\\n', encoding="utf-8")
    >>> out = export_package(spec, "package")
    >>> sorted(p.name for p in out.iterdir())
    ['README.md', 'data', 'manifest.json', 'original', 'rebuild.py', 'report.toml', 'requirements.lock']
    """
    from .. import datasets
    from ..io import read_survey
    from .pipeline import DATASET_FILES, load_analysis
    from .spec import load_spec

    say = progress or (lambda msg: None)
    spec_path = Path(spec_path)
    text = spec_path.read_text(encoding="utf-8") if spec_path.is_file() else ""
    try:
        analysis = "steps" in tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        analysis = False
    spec = load_analysis(spec_path) if analysis else load_spec(spec_path)  # checks the spec as a build would
    dest = Path(dest)
    _check_dest(dest, spec.base)
    raw = json.loads(json.dumps(spec.raw))  # a deep, plain copy to rewrite
    rows: list[dict[str, Any]] = []
    copies: list[tuple[Path, str]] = []
    used: set[str] = set()
    for name, d in _sources(raw, analysis):
        if "dataset" in d:
            file = DATASET_FILES[d["dataset"]]
            src = datasets.path(file)
            rows.append({"name": name, "file": f"bundled:{file}", "sha256": sha256_file(src),
                         "bytes": src.stat().st_size,
                         "source": f"bundled with disparity {__version__} (`disparity.datasets.path({file!r})`)"})
            continue
        if "path" not in d:
            continue
        src = (spec.base / str(d["path"])).resolve()
        if not src.is_file():
            raise SpecificationError(f"Spec data {name!r}: {str(src)!r} does not exist; nothing was exported.")
        inside = spec.base in src.parents
        hidden = [part for part in src.parts[:-1] + (src.name,) if part.startswith(".") and part not in (".", "..")]
        if not inside and hidden:
            raise SpecificationError(
                f"Spec data {name!r}: {str(src)!r} is outside the spec's folder, in a hidden folder or file "
                f"({hidden[0]!r}), where private files (keys, settings) live; it is not exported. If it really "
                "is the study's data, copy it into the project folder and point the spec at the copy."
            )
        # read it as the build does: only a file the build would read as data leaves the machine
        read_survey(src, encoding=d.get("encoding"), missing=d.get("missing"))
        stem, suffix = src.stem or "data", src.suffix
        target, n = f"{stem}{suffix}", 1
        while target.lower() in used or target.upper() == "SHA256SUMS" or target.startswith("."):
            n += 1
            target = f"{stem.lstrip('.') or 'data'}-{n}{suffix}"
        used.add(target.lower())
        d["path"] = f"data/{target}"
        origin = (f"copied from `{src.relative_to(spec.base).as_posix()}` beside the spec" if inside
                  else f"copied from `{src.name}` outside the spec's folder")
        rows.append({"name": name, "file": f"data/{target}", "sha256": sha256_file(src),
                     "bytes": src.stat().st_size, "source": origin if data else "not included: obtain it"})
        copies.append((src, target))
    raw["output"] = "report"
    spec_name = spec_path.name
    header = (f"Exported by disparity {__version__} from {spec_name} (kept as original/{spec_name}).\n"
              "Data paths point into data/; build with `python rebuild.py` or `disparity report report.toml`.")
    spec_text = toml_dumps(raw, header=header)

    dest.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_builds(dest.parent, dest.name)
    tmp = new_build_dir(dest)
    try:
        (tmp / "original").mkdir()
        (tmp / "data").mkdir()
        (tmp / "report.toml").write_text(spec_text, encoding="utf-8")
        (tmp / "original" / spec_name).write_text(text, encoding="utf-8")
        if data:
            for src, target in copies:
                shutil.copyfile(src, tmp / "data" / target)
                where = "" if spec.base in src.parents else " (outside the spec's folder)"
                say(f"data: {src}{where} -> data/{target}")
        sums = "".join(f"{r['sha256']}  {r['file']}\n" for r in rows)
        (tmp / "data" / "SHA256SUMS").write_text(sums, encoding="utf-8")
        (tmp / "requirements.lock").write_text(_lock(), encoding="utf-8")
        (tmp / "rebuild.py").write_text(_REBUILD, encoding="utf-8")
        (tmp / "README.md").write_text(_readme(str(raw.get("title", "report")), spec_name, rows, data),
                                       encoding="utf-8")
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*")
                       if p.is_file() and p.name != BUILD_MARKER) + [MANIFEST]
        manifest = {"kind": PACKAGE_KIND, "created": None, "inputs": rows, "outputs": {}, "files": files,
                    "packages": {"disparity": __version__}, "spec": spec_name, "with_data": data}
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                    encoding="utf-8")
        publish_build(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    say(f"wrote the replication package {dest} ({len(rows)} data source(s){'' if data else ', data not included'})")
    return dest
