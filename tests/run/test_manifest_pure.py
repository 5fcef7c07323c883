"""The typed run directory: run.json as a Manifest, the workflows' parameter dataclasses (in-process, fast)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from lammpskit.errors import UserError
from lammpskit.run import manifest
from lammpskit.workflows import WORKFLOWS
from lammpskit.workflows.diffusion import DiffusionParams
from lammpskit.workflows.elastic import ElasticParams
from lammpskit.workflows.protocol import Params

pytestmark = pytest.mark.fast

SHA = "ab" * 32
RUN = {
    "kit_version": "0.1", "created": "2026-12-02T00:00:00+00:00", "protocol": "quench", "deck": "in.quench.lmp",
    "potential": {"name": "chgnet", "mode": "bridge", "variant": None, "kokkos": False, "d3": None,
                  "licence": "BSD", "source": "potentials/chgnet.toml",
                  "files": {"model": {"path": "/m/chgnet.pt", "sha256": SHA}}},
    "composition": {"label": "Na4P2S7", "atoms": 52}, "elements": ["Na", "P", "S"], "seed": 3,
    "profile": "smoke", "params": {"dt": 2.0, "T_final": 300.0, "thermo_every": 10},
    "stages": [{"name": "melt", "file": "stage.melt.lmp", "begin": 0, "end": 100, "dump": None},
               {"name": "anneal", "file": "stage.anneal.lmp", "begin": 100, "end": 300, "dump": "dump.a.lammpstrj"}],
    "total_steps": 300, "state": "rendered", "rendered": {"in.quench.lmp": SHA}, "plugins": [],
    "pid": 12, "future_key": {"kept": True},
}


def test_manifest_round_trips_todays_json_and_keeps_unknown_keys():
    man = manifest.Manifest.from_dict(json.loads(json.dumps(RUN)))
    assert man.potential.files["model"].sha256 == SHA and man.potential.mode == "bridge"
    assert man.stage("anneal").begin == 100 and man.stage("anneal").dump == "dump.a.lammpstrj"
    assert man.stage("quench") is None
    assert man.dt_ps == pytest.approx(0.002) and man.temperature_K() == 300.0
    back = man.to_dict()
    assert back["future_key"] == {"kept": True} and back["pid"] == 12
    assert manifest.Manifest.from_dict(back) == man
    assert {k: v for k, v in back.items() if k not in ("error", "last_restart")} == RUN


def test_elastic_temperature_is_T_and_a_missing_one_has_a_default():
    man = manifest.Manifest.from_dict({**RUN, "protocol": "elastic", "params": {"T": 500, "dt": 1.0}})
    assert man.temperature_K() == 500.0
    assert manifest.Manifest.from_dict({**RUN, "params": {}}).temperature_K(300.0) == 300.0


@pytest.mark.parametrize("change, needle", [
    ({"deck": "../x.lmp"}, "deck"),
    ({"protocol": "melt"}, "protocol"),
    ({"state": "weird"}, "state"),
    ({"stages": [{"name": "a", "file": "s.lmp", "begin": 10, "end": 5}]}, "stages[0].end"),
    ({"stages": {"name": "a"}}, "stages must be a list"),
    ({"seed": 1.5}, "seed"),
    ({"elements": ["Na", "Xx"]}, "element"),
    ({"params": {"dt": [1]}}, "params.dt"),
    ({"params": {"dt": -1.0}}, "params.dt"),
    ({"rendered": {"in.quench.lmp": "00"}}, "sha256"),
    ({"slurm": {"quench": [1]}}, "slurm.quench"),
    ({"potential": {**RUN["potential"], "mode": "gpu"}}, "potential.mode"),
    ({"potential": {**RUN["potential"], "files": {"m": {"path": "/x", "sha256": "zz"}}}}, "files.m.sha256"),
    ({"composition": {"label": "a\nb"}}, "composition.label"),
])
def test_manifest_refuses_each_wrong_field_by_name(change, needle):
    with pytest.raises(UserError) as exc:
        manifest.Manifest.from_dict({**RUN, **change}, "run.json")
    assert needle in str(exc.value) and "run.json" in str(exc.value)


def test_update_checks_and_writes_atomically(tmp_path):
    (tmp_path / manifest.MANIFEST).write_text(json.dumps(RUN))
    man = manifest.update(tmp_path, state="stopped", error="line 1\nline 2", last_restart="restart/step.200.bin")
    assert manifest.load(tmp_path) == man and man.state == "stopped" and man.error.endswith("line 2")
    with pytest.raises(UserError, match="state"):
        manifest.update(tmp_path, state="nonsense")
    assert manifest.load(tmp_path).state == "stopped"  # the refused change wrote nothing


def test_every_workflow_declares_a_checked_parameter_dataclass():
    assert {w.name: w.params_class for w in WORKFLOWS.values()} == {
        "quench": Params, "elastic": ElasticParams, "diffusion": DiffusionParams}
    for w in WORKFLOWS.values():
        assert dataclasses.is_dataclass(w.params_class) and callable(w.params_class.check)


def test_elastic_params_speak_the_users_names():
    p = ElasticParams.from_settings({"method": "dynamic", "strain": 0.01, "steps": 500, "equil": 50, "ftol": 1e-6,
                                     "maxiter": 10})
    assert (p.n_avg, p.n_eq) == (500, 50) and p.settings()["steps"] == 500
    with pytest.raises(UserError, match="^steps must be"):
        ElasticParams(n_avg=5).check()
    with pytest.raises(UserError, match=r"\[elastic\] equil"):
        ElasticParams.from_settings({"equil": -1}, lambda name: f"c.toml: [elastic] {name}")


def test_diffusion_params_count_steps_and_refuse_too_few_frames():
    p = DiffusionParams(T=600, dt=2.0, ps=10, equil_ps=1, every=100).check()
    assert (p.n_run, p.n_eq) == (5000, 500) and p.to_dict()["T_final"] == 600
    with pytest.raises(UserError, match="fewer than 3 dump frames"):
        DiffusionParams(T=600, ps=0.2, every=100).check()


def test_error_text_from_tools_is_kept_readable_and_valid(tmp_path):
    (tmp_path / manifest.MANIFEST).write_text(json.dumps(RUN))
    man = manifest.update(tmp_path, state="failed", error="\x1b[31mRuntimeError\x1b[0m:\tload failed\nsee log\x07")
    assert man.error == "RuntimeError: load failed\nsee log " and manifest.load(tmp_path).state == "failed"
    with pytest.raises(UserError, match="error must be text"):  # a shared run.json with raw codes is refused
        manifest.Manifest.from_dict({**RUN, "error": "\x1b[2Jgone"})


def test_result_files_are_checked_when_read(tmp_path):
    from lammpskit.run import result
    from lammpskit.run.result_types import QuenchResult

    good = {"state": "done", "density_g_cm3": {"mean": 2.1, "err": 0.01, "n": 50}, "Tg_K": 612.5, "dump": "d.lammpstrj",
            "problems": ["density far from the estimate"], "C": [[1.0, 2.0], [2.0, 1.0]], "by_class": {"P0": None}}
    result.save(tmp_path / "result.json", good)
    r = QuenchResult.from_directory(tmp_path)
    assert r.state == "done" and r.Tg_K == 612.5 and r.to_dict() == good and r.extra["C"] == good["C"]
    for bad, needle in [({"Tg_K": "612"}, "Tg_K must be a number"),
                        ({"density_g_cm3": {"mean": "<script>"}}, "density_g_cm3.mean must be a number"),
                        ({"note": "\x1b[2J"}, "control characters"),
                        ({"state": "running"}, "finished run"),
                        ({"\x07": 1}, "plain name")]:
        (tmp_path / "result.json").write_text(json.dumps({**good, **bad}))
        with pytest.raises(UserError, match=needle):
            QuenchResult.from_directory(tmp_path)
    (tmp_path / "result.json").write_text(json.dumps({**good, "density_g_cm3": {"mean": 2.1, "err": float("nan")}}))
    assert QuenchResult.from_directory(tmp_path).density.err is None  # JSON has no NaN: null
    result.save(tmp_path / "r2.json", {"state": "done", "Tg_err_K": float("inf")})
    assert json.loads((tmp_path / "r2.json").read_text())["Tg_err_K"] is None
    (tmp_path / "result.json").write_text("[1, 2]")
    with pytest.raises(UserError, match="JSON table"):
        QuenchResult.from_file(tmp_path / "result.json")


def test_params_are_the_workflows_dataclass_and_write_back_the_same_keys():
    """run.json ``params`` reads as the protocol's dataclass (quench Params, ElasticParams, DiffusionParams)
    and writes back key for key; diffusion's T_final/thermo_every/msd_every name its T and every."""
    quench = manifest.Manifest.from_dict({**RUN, "params": {"dt": 2.0, "T_final": 300.0, "thermo_every": 10,
                                                           "a_key_from_a_newer_version": 1}})
    assert isinstance(quench.params, Params) and (quench.params.dt, quench.params.thermo_every) == (2.0, 10)
    assert quench.to_dict()["params"] == {"dt": 2.0, "T_final": 300.0, "thermo_every": 10,
                                          "a_key_from_a_newer_version": 1}
    written = DiffusionParams(T=600, dt=2.0, ps=10, equil_ps=1, every=100).to_dict()
    assert written == {"T_final": 600, "dt": 2.0, "ps": 10, "equil_ps": 1, "thermo_every": 100, "seed": 1,
                       "msd_every": 100}
    diff = manifest.Manifest.from_dict({**RUN, "protocol": "diffusion", "params": written})
    assert isinstance(diff.params, DiffusionParams) and (diff.params.T, diff.params.every) == (600, 100)
    assert diff.params.msd_every == 100 and diff.temperature_K() == 600.0 and diff.to_dict()["params"] == written
    el = manifest.Manifest.from_dict({**RUN, "protocol": "elastic", "params": {"method": "dynamic", "T": 500}})
    assert isinstance(el.params, ElasticParams) and el.params.method == "dynamic" and el.params.dump_every is None
