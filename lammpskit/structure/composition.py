"""Glass compositions: a formula parser, the Na4P2S7-xOx series, sizes and densities.

A composition is a formula unit (element -> count, counts may be fractional,
e.g. Na4 P2 S5.5 O1.5) times a whole number of formula units. ``x`` in
Na4P2S7-xOx is the number of O per formula unit (0 <= x <= 7).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce

from lammpskit._util import validate
from lammpskit.errors import UserError, param

SERIES = "Na4P2S7-xOx"
SERIES_X = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5)  # the reference study's compositions
AVOGADRO = 0.602214076  # (g/cm^3) * (Å^3) per (g/mol)

_TOKEN = re.compile(r"([A-Z][a-z]?)|(\d+(?:\.\d+)?)|([()])")
_X_FORMULA = re.compile(r"^(.*?)([A-Z][a-z]?)(\d+(?:\.\d+)?)-x([A-Z][a-z]?)x$")


def _parse_simple(text: str) -> dict[str, Fraction]:
    """Parse one formula with optional parentheses, e.g. ``Na3PS4``, ``Ca(OH)2``."""
    stack: list[dict[str, Fraction]] = [{}]
    pos, last = 0, None
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise UserError(f"cannot read formula {text!r} at {text[pos:]!r}")
        el, num, paren = m.groups()
        pos = m.end()
        if el:
            validate.element(el)
            stack[-1][el] = stack[-1].get(el, Fraction(0)) + 1
            last = ("el", el)
        elif num:
            n = Fraction(num)
            if last is None:
                raise UserError(f"cannot read formula {text!r}: a number must follow an element")
            if n == 0:
                raise UserError(f"formula {text!r} gives an element or group a count of 0: leave it out")
            if last[0] == "el":
                stack[-1][last[1]] += n - 1
            else:  # group
                for k, v in last[1].items():
                    stack[-1][k] += v * (n - 1)
            last = None
        elif paren == "(":
            stack.append({})
            last = None
        else:
            if len(stack) == 1:
                raise UserError(f"cannot read formula {text!r}: unbalanced ')'")
            group = stack.pop()
            for k, v in group.items():
                stack[-1][k] = stack[-1].get(k, Fraction(0)) + v
            last = ("group", group)
    if len(stack) != 1 or not stack[0]:
        raise UserError(f"cannot read formula {text!r}")
    return stack[0]


def parse_formula(text: str, x: float | None = None) -> dict[str, Fraction]:
    """Element counts of one formula unit.

    Accepts plain formulas (``Na3PS4``, ``NaPO3``, ``Li7P3S11``), mixtures with
    ``·``/``*``/``+`` separators and leading amounts (``75Na2S·25P2S5``,
    ``0.75Na2S+0.25P2S5``), and one substitution ``A<n>-xBx`` (``Na4P2S7-xOx``)
    that needs ``x``. Mixtures are reduced to the smallest whole formula unit.
    """
    text = text.strip().replace(" ", "")
    m = _X_FORMULA.match(text)
    if m:
        if x is None:
            raise UserError(f"formula {text!r} needs {param('x')}")
        head, a, n, b = m.groups()
        n = Fraction(n)
        xf = Fraction(x).limit_denominator(1000)
        if not 0 <= xf <= n:
            raise UserError(f"x must be between 0 and {n} for {text}, got {x:g}")
        counts = _parse_simple(head) if head else {}
        counts[a] = counts.get(a, Fraction(0)) + n - xf
        counts[b] = counts.get(b, Fraction(0)) + xf
        return counts
    parts = re.split(r"[·*+]", text)
    if len(parts) == 1 and not re.match(r"^\d", text):
        return _parse_simple(text)
    total: dict[str, Fraction] = {}
    for part in parts:
        m2 = re.match(r"^(\d+(?:\.\d+)?)?(.+)$", part)
        amount = Fraction(m2.group(1)) if m2.group(1) else Fraction(1)
        if amount == 0:
            raise UserError(f"formula {text!r}: the amount of {m2.group(2)} is 0: leave it out")
        for k, v in _parse_simple(m2.group(2)).items():
            total[k] = total.get(k, Fraction(0)) + amount * v
    # smallest whole formula unit
    den = reduce(math.lcm, (v.denominator for v in total.values()), 1)
    ints = [int(v * den) for v in total.values()]
    g = reduce(math.gcd, ints)
    return {k: v * den / g for k, v in total.items()}


def _mass(el: str) -> float:
    from ase.data import atomic_masses, atomic_numbers

    return float(atomic_masses[atomic_numbers[el]])


# Effective volumes per atom (Å^3) for a volume-additivity density estimate,
# least-squares fitted (rounded) to room-temperature densities of crystals:
# Na2S 1.856, P4S10 2.09, Na2O 2.27, P4O10 2.39, Na4P2O7 2.534, Li2S 1.66,
# Li2O 2.013 g/cm^3 (CRC Handbook values) and tetragonal Na3PS4 2.21 g/cm^3
# (cell of Sci. Rep. 6, 33733 (2016)). Glasses are usually a few % lighter than
# their crystals. The fit reproduces those eight densities to within 20 %
# (Na4P2O7 2 %, Na3PS4 3 %, P2S5 1 %, Na2S 19 %): it only sets the starting
# box, and the NPT anneal finds the potential's own density. Override with
# --density.
ATOMIC_VOLUMES = {"Li": 6.8, "Na": 14.4, "P": 13.1, "S": 29.9, "O": 13.5}
_DEFAULT_VOLUME = 20.0  # Å^3, elements not in the table (warned about in `compositions`)


@dataclass(frozen=True)
class Composition:
    """``fu`` formula units of ``formula`` (element -> count per formula unit)."""

    label: str
    formula: dict[str, Fraction]
    fu: int

    @property
    def counts(self) -> dict[str, int]:
        """Whole atom counts per element, in formula order (zeros kept)."""
        return {el: int(n * self.fu) for el, n in self.formula.items()}

    @property
    def elements(self) -> list[str]:
        return list(self.formula)

    @property
    def natoms(self) -> int:
        return sum(self.counts.values())

    @property
    def mass(self) -> float:
        """Total mass (g/mol)."""
        return sum(n * _mass(el) for el, n in self.counts.items())

    def density_estimate(self, volumes: dict[str, float] | None = None) -> float:
        """Volume-additivity density estimate (g/cm^3); see ``ATOMIC_VOLUMES``."""
        table = {**ATOMIC_VOLUMES, **(volumes or {})}
        vol = sum(n * table.get(el, _DEFAULT_VOLUME) for el, n in self.counts.items())
        return self.mass / (AVOGADRO * vol)

    def box_length(self, density: float) -> float:
        """Cubic box edge (Å) for a density in g/cm^3."""
        return (self.mass / (AVOGADRO * density)) ** (1 / 3)

    @classmethod
    def from_dict(cls, data: dict, where: str = "composition") -> Composition:
        """The composition ``as_dict()`` wrote (a run.json's ``composition``), checked: a user error names what
        is wrong."""
        fu = data.get("formula_unit") if isinstance(data, dict) else None
        n = data.get("formula_units") if isinstance(data, dict) else None
        if isinstance(n, float) and n.is_integer():
            n = int(n)
        if not isinstance(fu, dict) or not fu or isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise UserError(f"{where}: needs formula_unit (element -> count) and formula_units (a whole number >= 1)")
        formula = {}
        for el, count in fu.items():
            if el not in validate.ELEMENTS:
                raise UserError(f"{where}.formula_unit: {el!r:.40} is not an element symbol")
            if isinstance(count, bool) or not isinstance(count, int | float) or not 0 <= count < 1e6:
                raise UserError(f"{where}.formula_unit.{el}: expected a count >= 0, got {count!r:.40}")
            formula[el] = Fraction(count).limit_denominator(1000)
        return cls(str(data.get("label", "")), formula, n)

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "formula_unit": {el: float(n) for el, n in self.formula.items()},
            "formula_units": self.fu,
            "counts": self.counts,
            "atoms": self.natoms,
            "mass_g_mol": round(self.mass, 4),
        }


def min_fu(formula: dict[str, Fraction]) -> int:
    """Smallest number of formula units that gives whole atom counts."""
    return reduce(math.lcm, (Fraction(n).denominator for n in formula.values()), 1)


def make(x: float | None = None, fu: int | None = None, atoms: int | None = None,
         formula: str = SERIES) -> Composition:
    """A composition from ``x`` and a size given as formula units or approximate atoms.

    ``fu`` must give whole atom counts, else the error names the nearest valid
    sizes; ``atoms`` picks the nearest valid size.
    """
    if formula == SERIES:
        if x is None:
            x = 0.0
        validate.number(x, param("x"), 0, 7)
    fdict = parse_formula(formula, x)
    label = formula.replace("-xOx", "").replace("x", "") if formula != SERIES else (
        f"Na4P2S{_fmt(7 - x)}O{_fmt(x)}" if x else "Na4P2S7")
    step = min_fu(fdict)
    per_fu = sum(fdict.values())
    if fu is None and atoms is None:
        raise UserError(f"give a size: {param('fu', cli='N')} (formula units) or {param('atoms', cli='N')} (approximate)")
    if fu is not None and atoms is not None:
        raise UserError(f"give {param('fu')} or {param('atoms')}, not both")
    if atoms is not None:
        validate.integer(atoms, param("atoms"), 1, 10_000_000)
        fu = max(step, step * round(atoms / (per_fu * step)))
    validate.integer(fu, param("fu"), 1, 10_000_000)
    if fu % step:
        lo, hi = step * (fu // step), step * (fu // step + 1)
        sizes = [n for n in (lo, hi) if n > 0]
        alts = " or ".join(f"{param('fu', n)} ({int(n * per_fu)} atoms)" for n in sizes)
        raise UserError(
            f"{label}: {fu} formula units give non-integer atom counts "
            f"(the number of formula units must be a multiple of {step}); nearest valid: {alts}"
        )
    return Composition(label=label, formula=fdict, fu=fu)


def _fmt(v: float) -> str:
    return f"{v:g}"


def select(x: float | None = 0.0, fu: int | None = None, atoms: int | None = None, formula: str = SERIES,
           default_atoms: int | None = 1000) -> Composition:
    """A glass composition and its size (``lk.composition``): ``make`` with ``default_atoms`` when neither
    ``fu`` nor ``atoms`` is given.

    Args:
        x (float | None): O per formula unit of Na4P2S7-xOx, 0 <= x <= 7 (None with another ``formula``).
        fu (int | None): exact number of formula units (must give whole atom counts; the error names the
            nearest valid sizes).
        atoms (int | None): approximate number of atoms (the nearest valid size is taken).
        formula (str): the glass formula, e.g. ``Na3PS4``, ``NaPO3``, ``75Na2S·25P2S5`` or ``Na4P2S7-xOx``.
        default_atoms (int | None): the approximate size when neither ``fu`` nor ``atoms`` is given (1000, as
            ``lammpskit compositions`` and ``build``).

    Returns:
        Composition: label, formula unit, counts, ``natoms``, ``density_estimate()`` (g/cm³) and
        ``box_length(density)`` (Å).
    """
    if fu is None and atoms is None:
        atoms = default_atoms
    return make(x=x, fu=fu, atoms=atoms, formula=formula)


def start_density(comp: Composition, density: float | None = None) -> float:
    """``density`` (g/cm^3, checked) or the volume-additivity estimate."""
    return comp.density_estimate() if density is None else validate.number(density, param("density"), 0.1, 30)


def min_distances(min_dist: dict | None) -> dict:
    """``{"S-S": 2.5, ...}`` (Å, checked) -> minimum placement distances by element pair (frozenset keys)."""
    from lammpskit.analysis.checks import pairs

    return pairs(min_dist, param("min_dist"), "{'S-S': 2.5}")


def table(xs: list[float] | None = None, fu: int | None = None, atoms: int | None = None,
          formula: str = SERIES) -> list[dict]:
    """One row per x (default: the study's series; None for another ``formula``): the composition,
    its formula-unit step, the start-density estimate (g/cm^3) and the cubic box length (Å)."""
    xs = xs or (list(SERIES_X) if formula == SERIES else [None])
    rows = []
    for xv in xs:
        c = select(xv, fu, atoms, formula, default_atoms=1000)
        rows.append({**c.as_dict(), "x": xv, "fu_step": min_fu(c.formula),
                     "density_estimate_g_cm3": round(c.density_estimate(), 4),
                     "box_A": round(c.box_length(c.density_estimate()), 3)})
    return rows
