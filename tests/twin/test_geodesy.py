"""twin.geodesy: PROJ's best operation whose grids are here, never a ballpark; refusals name the missing grid."""

import numpy as np
import pytest
from pyproj import Transformer

from twin import geodesy


def test_the_same_crs_is_an_identity_never_refused():
    op = geodesy.operation("EPSG:2154+5720", 5698, max_error_m=0.0)
    assert op.identity and op.accuracy_m == 0.0
    x, y, z = op.transform([1032700.0], [6284300.0], [12.0])
    assert (x[0], y[0], z[0]) == (1032700.0, 6284300.0, 12.0)


def test_rd_new_to_lambert93_uses_a_stated_datum_shift_not_the_ballpark():
    op = geodesy.operation(28992, 2154)
    assert "Amersfoort to ETRS89" in op.name and op.accuracy_m == pytest.approx(0.35)
    ballpark = Transformer.from_crs(28992, 2154, always_xy=True).transform(121000.0, 487000.0)
    x, y = op.transform(121000.0, 487000.0)
    # PROJ's default, without the RDNAPTRANS grid, drops the datum shift: more than 100 m off.
    assert np.hypot(float(x) - ballpark[0], float(y) - ballpark[1]) > 100


def test_a_refusal_names_the_missing_grid_and_where_it_comes_from():
    with pytest.raises(geodesy.GeodesyError) as exc:
        geodesy.operation(28992, 2154, max_error_m=0.1)
    assert "nl_nsgi_rdtrans2018.tif (from https://cdn.proj.org/nl_nsgi_rdtrans2018.tif)" in str(exc.value)
    assert "Amersfoort to ETRS89 (8)" in str(exc.value)  # the best one available, with its accuracy
    assert "--allow-approximate METRES" in exc.value.advice


def test_heights_to_the_ellipsoid_without_the_geoid_grid_are_refused():
    with pytest.raises(geodesy.GeodesyError, match=r"fr_ign_RAF(18|20)\.tif"):
        geodesy.operation(5698, 4978)


def test_crs_without_any_common_area_are_refused_as_such():
    with pytest.raises(geodesy.GeodesyError, match="areas of use do not overlap"):
        geodesy.operation("EPSG:2227+6360", 5698)


def test_a_session_records_each_operation_once_with_its_accuracy():
    with geodesy.session() as s:
        geodesy.operation(32632, 2154)
        geodesy.operation(32632, 2154)
        geodesy.operation(32632, 4326, record=False)
    assert [d["accuracy_m"] for d in s.describe()] == [1.0]
    assert s.describe()[0]["from"] == "EPSG:32632 (WGS 84 / UTM zone 32N)"
    assert geodesy.current_session() is None


def test_the_operator_may_accept_an_error_and_it_is_recorded_as_approximate():
    with geodesy.session(allow_approximate_m=0.5, max_error_m=0.1) as s:
        op = geodesy.operation(28992, 2154)
    assert op.approximate and op.accepted_error_m == 0.5 and s.operations == [op]
    assert "accepted by the operator up to 0.5 m" in op.summary()


@pytest.mark.parametrize("value", ["-1", "0", "nan", "x"])
def test_allow_approximate_needs_a_positive_number_of_metres(value):
    with pytest.raises((geodesy.GeodesyError, ValueError)):
        with geodesy.session(allow_approximate_m=value):
            pass


def test_vertical_units_come_from_the_crs():
    crs = geodesy.crs_from("EPSG:2227+6360")
    assert geodesy.vertical(crs).name == "NAVD88 height (ftUS)"
    assert geodesy.vertical_unit_m(crs) == pytest.approx(1200 / 3937)
    assert geodesy.vertical(geodesy.crs_from(2154)) is None
