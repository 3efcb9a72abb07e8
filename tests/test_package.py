import pytest

import disparity as dp
from disparity._options import check_option
from disparity.errors import DisparityError, SpecificationError


def test_version_string():
    assert dp.__version__.count(".") == 2


def test_check_option_lists_allowed_values():
    assert check_option("weight_type", "pweight", ["pweight", "fweight"]) == "pweight"
    with pytest.raises(SpecificationError, match="'pweight', 'fweight'"):
        check_option("weight_type", "iweight", ["pweight", "fweight"])


def test_errors_share_base_class():
    assert issubclass(SpecificationError, DisparityError)
    assert issubclass(SpecificationError, ValueError)


def test_public_docstrings_have_no_control_characters():
    """A non-raw docstring turns \\beta or \\frac into control characters; Sphinx then renders garbage."""
    bad = []
    for name in dp.__all__:
        obj = getattr(dp, name)
        docs = [getattr(obj, "__doc__", None) or ""]
        if isinstance(obj, type):
            docs += [getattr(getattr(obj, a, None), "__doc__", None) or "" for a in vars(obj)]
        if any(c in d for d in docs for c in "\x07\x08\x0b\x0c"):
            bad.append(name)
    assert bad == []


def test_imports_flow_one_way():
    """io -> measures/models -> scale -> reports: no module below an upper layer imports it (the
    scale layer registers itself with the in-memory functions instead of being imported by them)."""
    import ast
    from pathlib import Path

    root = Path(dp.__file__).parent
    upper = {"scale": ("scale", "cli", "reports", "__init__"),
             "reports": ("reports", "cli", "__init__")}
    bad = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        top = rel.parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                base = list(rel.parts[:-1])[: len(rel.parts) - node.level] if node.level else []
                mod = ".".join(base + ([node.module] if node.module else []))
                if not node.level:
                    mod = (node.module or "").removeprefix("disparity.").removeprefix("disparity")
                names = [mod] + ([f"{mod}.{a.name}" if mod else a.name for a in node.names])
            elif isinstance(node, ast.Import):
                names = [a.name.removeprefix("disparity.") for a in node.names
                         if a.name.startswith("disparity.")]
            for layer, allowed in upper.items():
                if top not in allowed and any(n == layer or n.startswith(layer + ".")
                                              for n in names):
                    bad.append(f"{rel} imports {layer}")
    assert bad == []
