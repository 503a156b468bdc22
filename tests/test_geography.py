"""The distance weights of the masked-cell estimates (grensverkeer.geography)."""

from __future__ import annotations

import math

import duckdb
import pytest

from grensverkeer.geography import DECAY_PER_KM, build_cell_weights


@pytest.fixture()
def con():
    con = duckdb.connect()
    con.execute("""CREATE TABLE schools AS SELECT * FROM (VALUES
        ('00AA00', 52.0, 4.3), ('00BB00', NULL, NULL)) t(school_location_id, latitude, longitude)""")
    con.execute("""CREATE TABLE pc4 AS SELECT * FROM (VALUES
        ('2500', 52.0, 4.3), ('2600', 52.1, 4.3), ('2700', 52.0, 4.4)) t(pc4, latitude, longitude)""")
    con.execute("""CREATE TABLE masked AS SELECT * FROM (VALUES
        (1, '00AA00', '2500', 'BO'), (2, '00AA00', '2600', 'BO'), (3, '00AA00', '2700', 'SO'),
        (4, '00AA00', '9999', 'BO'), (5, '00BB00', '2500', 'BO'), (6, '00CC00', '2500', 'BO'))
        t(cell_id, school_location_id, home_pc4, sector)""")
    yield con
    con.close()


def test_distance_decay(con):
    build_cell_weights(con, "masked", "w", schools="schools", centroids="pc4")
    got = {c: (w, km, catch) for c, w, km, catch in con.execute("SELECT * FROM w ORDER BY 1").fetchall()}
    # 0.1 degree of latitude is 11.12 km; 0.1 degree of longitude at 52 N is 6.85 km
    assert got[1][1] == pytest.approx(0.0, abs=1e-9) and got[1][0] == pytest.approx(1.0)
    assert got[2][1] == pytest.approx(11.12, abs=0.01)
    assert got[3][1] == pytest.approx(6371 * math.radians(0.1) * math.cos(math.radians(52.0)), abs=0.01)
    assert got[2][0] == pytest.approx(math.exp(-DECAY_PER_KM * got[2][1]))
    # unknown home PC4, school without a point, school not in the list: weight 1, no distance
    for c in (4, 5, 6):
        assert got[c][0] == 1.0 and got[c][1] is None
    assert not any(catch for _, _, catch in got.values())


def test_earlier_catchment(con):
    # in the earlier year 00AA00 drew 9 pupils from 2500 and 1 from 2600 (mean 5 per row)
    con.execute("""CREATE TABLE earlier AS SELECT * FROM (VALUES
        ('00AA00', '2500', 'BO', 9), ('00AA00', '2600', 'BO', 1)) t(school_location_id, home_pc4, sector, students)""")
    build_cell_weights(
        con, "masked", "w", schools="schools", centroids="pc4", earlier="earlier", decay_per_km=0.0, catchment_power=1.0
    )
    got = {c: (w, catch) for c, w, _, catch in con.execute("SELECT * FROM w ORDER BY 1").fetchall()}
    assert got[1] == (pytest.approx(10 / 6), True)  # (9 + 1) / (1 + 5)
    assert got[2] == (pytest.approx(2 / 6), True)
    assert got[3] == (pytest.approx(1 / 6), True)  # SO: no pupils from 2700 in SO then
    assert got[5] == (1.0, False) and got[6] == (1.0, False)  # no earlier year for these schools
