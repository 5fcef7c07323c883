"""Fast tier: protocol parameters and stages, deck comment stripping, restarts and dump cutting, by hand."""

from __future__ import annotations

import pytest

from lammpskit.errors import UserError
from lammpskit.lammps import dumps
from lammpskit.lammps.deck import strip_comment
from lammpskit.run.engine import restarts
from lammpskit.workflows import WORKFLOWS, protocol

pytestmark = pytest.mark.fast


def test_smoke_profile_stages_by_hand():
    # smoke: dt 2 fs; melt 0.4 ps = 200 steps; quench (1500-300) K / 5000 K/ps = 0.24 ps = 120 steps;
    # anneal 0.4 ps = 200; production 0.4 ps = 200
    st = protocol.stages(protocol.profile("smoke"))
    assert [(s.name, s.begin, s.end) for s in st] == [
        ("minimize", 0, 0), ("melt", 0, 200), ("quench", 200, 320), ("anneal", 320, 520),
        ("production", 520, 720)]
    assert st[2].T0 == 1500 and st[2].T1 == 300 and st[-1].dump == "dump.production.lammpstrj"
    assert [s.file for s in st][:2] == ["stage.1-minimize.lmp", "stage.2-melt.lmp"]


def test_zero_length_stages_are_left_out():
    p = protocol.profile("smoke").with_overrides(["t_anneal=0"])
    assert "anneal" not in [s.name for s in protocol.stages(p)]


def test_overrides_convert_types():
    p = protocol.profile("smoke").with_overrides(["dt=1", "min_steps=7", "dump_velocities=yes",
                                                  "quench_ensemble=npt"])
    assert (p.dt, p.min_steps, p.dump_velocities, p.quench_ensemble) == (1.0, 7, True, "npt")


@pytest.mark.parametrize("pair, needle", [
    ("bogus=1", "expected KEY=VALUE"), ("dt", "expected KEY=VALUE"), ("dt=abc", "must be a number"),
    ("T_final=2000", "must be below T_melt"), ("quench_ensemble=nve", "nvt or npt"),
    ("dump_velocities=maybe", "true or false"), ("min_steps=1.5", "min_steps"), ("note=x", "expected KEY=VALUE"),
])
def test_override_errors(pair, needle):
    with pytest.raises(UserError, match=needle):
        protocol.profile("smoke").with_overrides([pair])


@pytest.mark.parametrize("line, kept", [
    ("run 100 # comment", "run 100 "),
    ('print "a # b" # c', 'print "a # b" '),
    ("print 'x#y'", "print 'x#y'"),
    ('print """ # inside """ # out', 'print """ # inside """ '),
    ("# whole line", ""),
])
def test_strip_comment(line, kept):
    assert strip_comment(line) == kept


def test_restarts_listed_oldest_first_and_empty_files_skipped(tmp_path):
    (tmp_path / "restart").mkdir()
    for step in (200, 40, 1000):
        (tmp_path / "restart" / f"step.{step}.bin").write_bytes(b"x")
    (tmp_path / "restart" / "step.5000.bin").write_bytes(b"")       # killed while writing
    (tmp_path / "restart" / "other.bin").write_bytes(b"x")
    assert [s for s, _ in restarts(tmp_path)] == [40, 200, 1000]


def test_dump_truncate_keeps_frames_before_the_step(tmp_path):
    path = tmp_path / "d.lammpstrj"
    frame = "ITEM: TIMESTEP\n{}\nITEM: NUMBER OF ATOMS\n1\nITEM: BOX BOUNDS pp pp pp\n0 1\n0 1\n0 1\n" \
            "ITEM: ATOMS id element x y z\n1 Na 0 0 0\n"
    path.write_text("".join(frame.format(s) for s in (0, 10, 20, 30)))
    assert dumps.truncate(path, 20) == 2
    assert dumps.timesteps(path) == [0, 10]


def test_every_workflow_declares_how_it_runs():
    assert WORKFLOWS["quench"].resumable and not WORKFLOWS["elastic"].resumable
    assert not WORKFLOWS["diffusion"].resumable
    assert all(hasattr(__import__(w.module, fromlist=["result"]), "result") for w in WORKFLOWS.values())


def test_run_summary_prints_a_result_without_error_estimates():
    """A short anneal has one block: its error is null in result.json and the summary says so."""
    import io

    from rich.console import Console

    from lammpskit.cli import summary
    from lammpskit.run.result_types import QuenchResult

    res = {"final": {"density_g_cm3": 1.47, "temp_K": 320.4, "press_bar": 1990.0, "pe_eV": -1.52},
           "composition": "Na4P2S7", "atoms": 52, "potential": "lj-a", "mode": "native", "profile": "smoke",
           "density_g_cm3": {"mean": 1.4746, "err": None, "n": 1}, "steps": 10, "md_steps_this_run": 10,
           "steps_per_s": 5.0, "threads": 1, "wall_s": 2.0, "glass_data": "glass.data", "Tg_K": 600.0, "Tg_err_K": None}
    buf = io.StringIO()
    summary.show("/x", QuenchResult.from_dict(res), Console(file=buf, width=200))
    assert "1.4746 (no error estimate) g/cm³" in buf.getvalue() and "600 (no error estimate) K" in buf.getvalue()
    assert summary.pm(2.0, 0.25, 2) == "2.00 ± 0.25"
