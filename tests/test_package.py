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
