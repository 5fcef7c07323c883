"""g(r), S(Q), G(r), bond angles and cutoff proposals on structures with known answers."""

from __future__ import annotations

import json

from .. import known_units
from ..conftest import cli
from .test_scattering_pure import dump


def test_analysis_commands_write_csv_and_png(tmp_path):
    els, pos, cell = known_units.assemble([known_units.EXPECTED[n][0]() for n in sorted(known_units.EXPECTED)],
                                          spacing=13.0)
    path = dump(tmp_path, els, pos, cell)
    out = tmp_path / "out"
    for cmd, files in (("rdf", ["rdf.csv", "rdf.png"]), ("sq", ["sq.csv", "Gr.csv", "sq.png", "Gr.png"]),
                       ("angles", ["angles.csv", "angles.png"])):
        r = cli("analyze", cmd, path, "--out", out, "--json")
        assert r.returncode == 0, r.stderr
        json.loads(r.stdout)
        for f in files:
            assert (out / f).stat().st_size > 1000, f
    header = (out / "rdf.csv").read_text().splitlines()[0]
    assert header.startswith("r_A,") and "g_P-S" in header and "G_neutron" in header
    r = cli("analyze", "rdf", path, "--rmax", "40", "--out", out)
    assert r.returncode == 2 and "half the box" in r.stderr
