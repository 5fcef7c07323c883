"""Read energy, forces and stress from a CP2K output file (the ``-o`` file of one ENERGY_FORCE run).

Why a small own parser: ASE has no reader for CP2K's output (its calculator drives ``cp2k_shell``);
dpdata's ``cp2k/output`` misses the 2023.1 stress line; pymatgen's ``Cp2kOutput`` and cp2kdata read
far more than we need, pull in large dependency trees and are lenient (a half-written block or a
``NaN`` passes through). The kit needs exactly three blocks, read strictly: the output is untrusted
input (bounded read, non-finite numbers refused, atom count and order checked), and an SCF that did
not converge must never become a label.

The blocks, as CP2K writes them (sources at the CP2K revisions named):

CP2K 2023.1 (git:b888bd8):
- ``src/force_env_methods.F``: ``'(/,T2,"ENERGY| Total FORCE_EVAL ( ",A," ) energy [a.u.]: ",T55,F26.15)'``
  (hartree).
- ``src/force_env_utils.F`` ``write_forces``: header ``label//" FORCES in [a.u.]"`` with label ``ATOMIC``,
  a column line ``# Atom  Kind  Element  X  Y  Z``, one line per atom ``(T2,I6,1X,I6,T21,A,T28,3(1X,F14.8))``
  (hartree/bohr, NDIGITS 8), closed by ``"SUM OF "//label//" FORCES"`` and the three sums and their norm.
- ``src/virial_methods.F`` ``write_stress_tensor``: ``'STRESS| Analytical stress tensor [GPa]'``, then
  ``STRESS|      x`` / ``y`` / ``z`` rows ``(T2,A,T21,3(1X,ES19.11))`` of ``pv_virial/deth`` in GPa.
- ``src/qs_scf.F``: ``CPWARN("SCF run NOT converged")`` — a warning only; the run goes on and prints
  energy and forces of the unconverged density.

CP2K 2025.1 and later (``Tag printout of the forces``, db61e8c41f, 2024-11-14; read at ae513bac4f):
- ``src/force_env_methods.F``: ``"ENERGY| Total FORCE_EVAL ( QS ) energy ["//unit//"]"`` at T55 F26.15,
  unit ``PRINT%PROGRAM_RUN_INFO%ENERGY_UNIT`` (default ``hartree``).
- ``src/force_env_utils.F`` ``write_forces_to_screen``: ``FORCES| Atomic forces [hartree/bohr]``, a column
  line ``FORCES| Atom x y z |f|``, per atom ``(T2,A,I7,T16,3(1X,ES15.8),2X,ES15.8)`` with tag ``FORCES|``,
  then ``FORCES| Sum`` and ``FORCES| Total atomic force``; unit ``FORCE_UNIT`` (default ``hartree/bohr``).
- ``src/virial_methods.F``: ``"STRESS| Analytical stress tensor ["//unit//"]"`` with ``STRESS_UNIT``
  (default ``bar``), same rows.
- ``src/qs_scf.F``: ``cp_abort(... "SCF run NOT converged. To continue the calculation regardless, please
  set the keyword IGNORE_CONVERGENCE_FAILURE.")`` unless that keyword is set, then ``cp_warn(... "SCF run
  NOT converged")``.

Signs and units: CP2K prints ``pv_virial / V``, positive in compression (checked here against −dE/dV
by finite strain, see tests/finetune/test_cp2k.py); ASE's stress is its negative. Energies in eV,
forces in eV/Å, stress in eV/Å³ (ASE's sign) after ``read``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lammpskit._util import reading
from lammpskit.errors import UserError

MAX_BYTES = 64 * 10**6  # a CP2K single point's output at PRINT_LEVEL LOW is kB to a few MB
NOT_CONVERGED = "SCF run NOT converged"
ENDED = "PROGRAM ENDED AT"

_ENERGY_UNITS = {"a.u.": "hartree", "hartree": "hartree", "ev": "eV"}
_FORCE_UNITS = {"hartree/bohr": 1.0, "a.u.": 1.0, "ev/angstrom": None}
_STRESS_UNITS = {"gpa": 1.0, "bar": 1e-4, "kbar": 0.1, "mpa": 1e-3, "pa": 1e-9}

_ENERGY_RE = re.compile(r"^\s*ENERGY\| Total FORCE_EVAL \( \w+ \) energy \[([^\]]+)\]:?\s+(\S+)\s*$")
_FORCES_2023 = re.compile(r"^\s*ATOMIC FORCES in \[a\.u\.\]\s*$")
_FORCES_2025 = re.compile(r"^\s*FORCES\| Atomic forces \[([^\]]+)\]\s*$")
_TIMING_RE = re.compile(r"^\s*CP2K\s+1\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S+)\s*$")  # timing report, total wall s
_STRESS_RE = re.compile(r"^\s*STRESS\| Analytical stress tensor \[([^\]]+)\]\s*$")


class OutputError(UserError):
    """The output is incomplete, malformed or not what a CP2K ENERGY_FORCE run writes."""


class NotConverged(OutputError):
    """CP2K stopped because the SCF did not converge (2025 and later abort unless told to go on)."""


@dataclass
class Cp2kResult:
    """One single point: energy (eV), forces (eV/Å, n x 3), stress (eV/Å³, 3 x 3, ASE sign: + = tensile),
    whether the SCF converged, and the output format (``2023`` or ``2025``)."""

    energy: float
    forces: np.ndarray
    stress: np.ndarray | None
    converged: bool
    fmt: str
    wall_s: float | None = None


def _units():
    from ase import units

    return units.Hartree, units.Bohr, units.GPa


def _number(text: str, where: str) -> float:
    try:
        value = float(text.replace("D", "E").replace("d", "e"))
    except ValueError:
        raise OutputError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise OutputError(f"{where}: {text!r} is not a finite number")
    return value


def read_text(path: Path) -> str:
    """The file's text: a regular file of at most ``MAX_BYTES``, UTF-8 (``lammpskit._util.reading``)."""
    try:
        return reading.read_text(path, "CP2K output", MAX_BYTES)
    except OutputError:
        raise
    except UserError as exc:
        raise OutputError(str(exc)) from None


def is_cp2k_output(text: str) -> bool:
    """Whether the text looks like CP2K's main output (its banner or its ENERGY line)."""
    head = text[:20000]
    return "CP2K| version string" in head or "**** **** ******  **  PROGRAM STARTED AT" in head \
        or "ENERGY| Total FORCE_EVAL" in text


def finished(path: Path) -> bool:
    """Whether the output is a regular file whose end shows CP2K stopped: its ``PROGRAM ENDED AT`` line, or
    an abort for an unconverged SCF (CP2K 2025)."""
    try:
        with reading.open_regular(path, "CP2K output") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 8192))
            tail = fh.read()
    except (UserError, OSError):
        return False
    return ENDED.encode() in tail or (b"ABORT" in tail and NOT_CONVERGED.encode() in tail)


def parse(text: str, n_atoms: int | None = None, where: str = "CP2K output") -> Cp2kResult:
    """Energy, forces and stress from one ENERGY_FORCE run's output text (see the module docstring).

    The last block of each kind counts. ``n_atoms`` (when given) must match the force block.
    Raises ``OutputError`` when the run did not end or a block is missing, malformed or not finite.
    """
    lines = text.splitlines()
    if not any(ENDED in line for line in lines[-200:]):
        if NOT_CONVERGED in "\n".join(lines[-200:]):
            raise NotConverged(f"{where}: {NOT_CONVERGED} (CP2K stopped)")
        raise OutputError(f"{where}: CP2K did not finish (no '{ENDED}' line): it failed or is still running")
    converged = NOT_CONVERGED not in text
    energy = forces = stress = wall = None
    fmt = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := _ENERGY_RE.match(line):
            unit = _ENERGY_UNITS.get(m.group(1).strip().lower())
            if unit is None:
                raise OutputError(f"{where} line {i + 1}: energy unit [{m.group(1)}] is not hartree, a.u. or eV")
            energy = _number(m.group(2), f"{where} line {i + 1}")
            energy *= _units()[0] if unit == "hartree" else 1.0
        elif _FORCES_2023.match(line):
            forces, i = _forces_2023(lines, i, where)
            fmt = "2023"
        elif m := _FORCES_2025.match(line):
            forces, i = _forces_2025(lines, i, m.group(1), where)
            fmt = "2025"
        elif m := _STRESS_RE.match(line):
            stress, i = _stress(lines, i, m.group(1), where)
        elif m := _TIMING_RE.match(line):
            wall = _number(m.group(1), f"{where} line {i + 1}")
        i += 1
    if energy is None:
        raise OutputError(f"{where}: no 'ENERGY| Total FORCE_EVAL' line")
    if forces is None:
        raise OutputError(f"{where}: no force block ('ATOMIC FORCES in [a.u.]' or 'FORCES| Atomic forces'): "
                          "the input needs &FORCE_EVAL/&PRINT/&FORCES ON")
    if n_atoms is not None and len(forces) != n_atoms:
        raise OutputError(f"{where}: {len(forces)} atoms in the force block, the frame has {n_atoms}")
    return Cp2kResult(energy, forces, stress, converged, fmt, wall)


def _atom_rows(lines: list[str], start: int, parse_row, end_re: re.Pattern, where: str) -> tuple[np.ndarray, int]:
    """Rows ``start``.. until ``end_re``; each row (index, fx, fy, fz) in order 1, 2, ...; returns (F, end)."""
    rows = []
    i = start
    while i < len(lines):
        if end_re.match(lines[i]):
            break
        if lines[i].strip():
            index, f = parse_row(lines[i], f"{where} line {i + 1}")
            if index != len(rows) + 1:
                raise OutputError(f"{where} line {i + 1}: atom {index} where atom {len(rows) + 1} was expected")
            rows.append(f)
        i += 1
    else:
        raise OutputError(f"{where}: the force block does not end (output truncated?)")
    if not rows:
        raise OutputError(f"{where} line {start}: the force block is empty")
    return np.array(rows), i


def _forces_2023(lines: list[str], i: int, where: str) -> tuple[np.ndarray, int]:
    """``ATOMIC FORCES in [a.u.]`` / blank / ``# Atom Kind Element X Y Z`` / rows / ``SUM OF ATOMIC FORCES``."""
    j = i + 1
    while j < len(lines) and not lines[j].strip():
        j += 1
    if j >= len(lines) or not lines[j].strip().startswith("# Atom"):
        raise OutputError(f"{where} line {j + 1}: expected the '# Atom Kind Element X Y Z' column line")

    def row(line: str, at: str):
        parts = line.split()
        if len(parts) != 6:
            raise OutputError(f"{at}: expected 'atom kind element fx fy fz', got {line.strip()!r}")
        try:
            index = int(parts[0])
        except ValueError:
            raise OutputError(f"{at}: atom index {parts[0]!r} is not an integer") from None
        return index, [_number(p, at) for p in parts[3:]]

    forces, end = _atom_rows(lines, j + 1, row, re.compile(r"^\s*SUM OF ATOMIC FORCES"), where)
    _, bohr, _ = _units()
    return forces * _units()[0] / bohr, end


def _forces_2025(lines: list[str], i: int, unit: str, where: str) -> tuple[np.ndarray, int]:
    """``FORCES| Atomic forces [unit]`` / ``FORCES| Atom x y z |f|`` / ``FORCES| n fx fy fz |f|`` rows / ``FORCES| Sum``."""
    key = unit.strip().lower()
    hartree, bohr, _ = _units()
    if key in ("hartree/bohr", "a.u.", "hartree*bohr^-1"):
        factor = hartree / bohr
    elif key in ("ev/angstrom", "ev*angstrom^-1"):
        factor = 1.0
    else:
        raise OutputError(f"{where} line {i + 1}: force unit [{unit}] is not hartree/bohr or eV/angstrom")
    j = i + 1
    if j >= len(lines) or not re.match(r"^\s*FORCES\| Atom\s+x\s+y\s+z", lines[j]):
        raise OutputError(f"{where} line {j + 1}: expected the 'FORCES| Atom x y z |f|' column line")

    def row(line: str, at: str):
        parts = line.split()
        if len(parts) != 6 or parts[0] != "FORCES|":
            raise OutputError(f"{at}: expected 'FORCES| atom fx fy fz |f|', got {line.strip()!r}")
        try:
            index = int(parts[1])
        except ValueError:
            raise OutputError(f"{at}: atom index {parts[1]!r} is not an integer") from None
        values = [_number(p, at) for p in parts[2:]]
        if abs(math.sqrt(sum(v * v for v in values[:3])) - values[3]) > 1e-6 * max(1.0, values[3]):
            raise OutputError(f"{at}: |f| does not match the components")
        return index, values[:3]

    forces, end = _atom_rows(lines, j + 1, row, re.compile(r"^\s*FORCES\| Sum"), where)
    return forces * factor, end


def _stress(lines: list[str], i: int, unit: str, where: str) -> tuple[np.ndarray, int]:
    """``STRESS| Analytical stress tensor [unit]`` / ``STRESS| x y z`` / three rows; returned in ASE's sign, eV/Å³."""
    factor = _STRESS_UNITS.get(unit.strip().lower())
    if factor is None:
        raise OutputError(f"{where} line {i + 1}: stress unit [{unit}] is not one of {', '.join(_STRESS_UNITS)}")
    if i + 4 >= len(lines) or lines[i + 1].split() != ["STRESS|", "x", "y", "z"]:
        raise OutputError(f"{where} line {i + 2}: expected the 'STRESS| x y z' column line")
    rows = []
    for k, axis in enumerate("xyz"):
        at = f"{where} line {i + 3 + k}"
        parts = lines[i + 2 + k].split()
        if len(parts) != 5 or parts[:2] != ["STRESS|", axis]:
            raise OutputError(f"{at}: expected 'STRESS| {axis}' and three numbers")
        rows.append([_number(p, at) for p in parts[2:]])
    _, _, gpa = _units()
    return -np.array(rows) * factor * gpa, i + 4


def read(path: Path, n_atoms: int | None = None) -> Cp2kResult:
    """``parse`` of the file at ``path`` (bounded read)."""
    return parse(read_text(path), n_atoms, str(path))
