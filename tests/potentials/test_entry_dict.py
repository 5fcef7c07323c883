"""Registry entries as dicts: ``Potential.to_dict()`` reads back equal, and ``potentials add`` checks its entry
(``Potential.from_dict``) before it writes anything."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lammpskit._util import resources
from lammpskit.errors import UserError
from lammpskit.potentials import registration
from lammpskit.potentials import registry as potentials

pytestmark = pytest.mark.fast

SHIPPED = sorted(resources.data_dir("potentials").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_entries_round_trip_through_dict_and_toml(path, tmp_path):
    pot = potentials.load_file(path)
    data = pot.to_dict()
    assert "source" not in data and data["name"] == pot.name
    assert potentials.Potential.from_dict(data, path, str(path)) == pot
    written = tmp_path / path.name
    written.write_text(registration.to_toml(data))
    assert potentials.load_file(written) == dataclasses.replace(pot, source=written)


def test_to_dict_keeps_what_differs_from_the_defaults():
    data = {"name": "p", "elements": [], "files": [{"key": "m", "path": "m", "sha256": ""}],
            "bridge": {"calculator": "mace", "files": []}, "native": [{"pair_style": "lj/cut 5", "styles": []}],
            "d3": {}}
    pot = potentials.Potential.from_dict(data, Path("p.toml"), "p")
    assert pot.to_dict()["native"] == [{"id": "lj/cut", "pair_style": "lj/cut 5", "pair_coeff": ["* *"], "styles": [],
                                        "kokkos": False, "d3": False}]
    assert potentials.Potential.from_dict(pot.to_dict(), Path("p.toml"), "p") == pot


def test_from_dict_errors_start_with_where():
    with pytest.raises(UserError, match=r"^here: missing 'name'$"):
        potentials.Potential.from_dict({"title": "t"}, Path("p.toml"), "here")
    with pytest.raises(UserError, match=r"^here: native variant 'lj/cut' uses undefined files \['eam'\]$"):
        potentials.Potential.from_dict({"name": "p", "native": {"pair_style": "lj/cut {eam}"}}, Path("p.toml"), "here")


def test_add_checks_the_entry_before_writing_and_writes_what_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMMPSKIT_HOME", str(tmp_path))
    with pytest.raises(UserError, match=r"^entry 'evil': \[\[native\]\] #1 pair_style: .*python"):
        registration.add("evil", pair_style="python 6.0", elements=["Na"])
    assert not (tmp_path / "potentials").exists()
    r = registration.add("lj-mine", pair_style="lj/cut 6.0", pair_coeff=["* * 0.01 2.6"], elements=["Na", "S"])
    assert r == {"entry": str(tmp_path / "potentials" / "lj-mine.toml"), "files": []}
    pot = potentials.load_file(Path(r["entry"]))
    assert pot.elements == ["Na", "S"] and pot.family == "classical"
    assert [v.as_dict() for v in pot.native] == [{"id": "lj/cut", "pair_style": "lj/cut 6.0",
                                                  "pair_coeff": ["* * 0.01 2.6"], "styles": ["lj/cut"],
                                                  "kokkos": False, "d3": False}]
