"""Every error and warning class of disparity.errors is an attribute of dp (issue 17 item 8)."""

import inspect

import disparity as dp
from disparity import errors


def test_every_error_class_is_an_attribute_of_dp():
    classes = {n: c for n, c in vars(errors).items() if inspect.isclass(c) and c.__module__ == errors.__name__}
    assert {"YearbookLayoutError", "DataFormatError", "EncodingError", "AmbiguousRegionError",
            "CoercionWarning"} <= set(classes)
    for name, cls in classes.items():
        assert getattr(dp, name) is cls, name
        assert name in dp.__all__ and name in errors.__all__, name


def test_catching_by_the_top_level_name(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    try:
        dp.read_yearbook(path)
    except dp.YearbookLayoutError as err:
        assert isinstance(err, dp.DisparityError) and isinstance(err, ValueError)
    else:
        raise AssertionError("a table without regions or years must raise")
