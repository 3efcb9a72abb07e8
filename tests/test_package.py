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
