"""Oracles for the neutron and X-ray S(Q) and G(r) the study reports (analysis/scattering.py).

Weights are typed here from their sources, not imported from the kit: coherent neutron
scattering lengths from V. F. Sears, Neutron News 3, 26 (1992) and X-ray form factors from the
Cromer-Mann coefficients of International Tables Vol. C, Table 6.1.1.4. Two independent routes:

* a Debye sum over all atom pairs (with periodic images, from ASE's neighbour list) of a
  decorated, rattled rock-salt crystal, with the Faber-Ziman normalisation and the documented
  Lorch window, against the kit's OVITO histogram -> sine transform -> weighted total;
* an analytic g(r) (Gaussian shells) whose transform is known in closed form, fed to the kit's
  transforms directly; and its G(r) transformed both ways (r -> Q and Q -> r) in the test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytestmark = pytest.mark.fast  # in-process numbers against hand oracles: part of make test-fast

# Sears (1992), coherent scattering lengths, fm
SEARS_B = {"Na": 3.63, "P": 5.13, "S": 2.847, "O": 5.803}
# Cromer-Mann a1 b1 a2 b2 a3 b3 a4 b4 c (International Tables C, 6.1.1.4)
CM = {"Na": (4.7626, 3.2850, 3.1736, 8.8422, 1.2674, 0.3136, 1.1128, 129.424, 0.6760),
      "P": (6.4345, 1.9067, 4.1791, 27.1570, 1.7800, 0.5260, 1.4908, 68.1645, 1.1149),
      "S": (6.9053, 1.4679, 5.2034, 22.2151, 1.4379, 0.2536, 1.5863, 56.1720, 0.8669),
      "O": (3.0485, 13.2771, 2.2868, 5.7011, 1.5463, 0.3239, 0.8670, 32.9089, 0.2508)}
Z = {"Na": 11, "P": 15, "S": 16, "O": 8}


def f_xray(el: str, q):
    a1, b1, a2, b2, a3, b3, a4, b4, c = CM[el]
    s2 = (np.asarray(q) / (4 * np.pi)) ** 2  # (sin(theta)/lambda)^2
    return sum(a * np.exp(-b * s2) for a, b in ((a1, b1), (a2, b2), (a3, b3), (a4, b4))) + c


def test_typed_form_factors_start_near_z():
    for el, z in Z.items():
        assert f_xray(el, 0.0) == pytest.approx(z, abs=0.01)


# -- 1. Debye pair sum over a crystal, through OVITO -------------------------------------------------

def rock_salt(a=5.0, n=4, rattle=0.08, seed=0):
    """Rock-salt crystal, cation sites 3/4 Na + 1/4 P, anion sites 3/4 S + 1/4 O, rattled."""
    rng = np.random.default_rng(seed)
    g = np.arange(n)
    cells = np.array(np.meshgrid(g, g, g, indexing="ij")).reshape(3, -1).T
    fcc = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    cat = ((cells[:, None, :] + fcc[None]) * a).reshape(-1, 3)
    ani = cat + np.array([0.5 * a, 0, 0])
    k = len(cat)
    cat_el = np.array(["Na"] * (3 * k // 4) + ["P"] * (k // 4))
    ani_el = np.array(["S"] * (3 * k // 4) + ["O"] * (k // 4))
    rng.shuffle(cat_el)
    rng.shuffle(ani_el)
    pos = np.vstack([cat, ani]) + rng.normal(0, rattle, (2 * k, 3)) + 0.05
    return list(cat_el) + list(ani_el), pos % (a * n), a * n


def write_dump(path, els, pos, box):
    """A LAMMPS text dump written by hand (id element x y z, orthogonal box)."""
    lines = ["ITEM: TIMESTEP", "0", "ITEM: NUMBER OF ATOMS", str(len(els)), "ITEM: BOX BOUNDS pp pp pp"]
    lines += [f"0.0 {box:.10f}"] * 3
    lines += ["ITEM: ATOMS id element x y z"]
    lines += [f"{i + 1} {e} {x:.10f} {y:.10f} {z:.10f}" for i, (e, (x, y, z)) in enumerate(zip(els, pos))]
    path.write_text("\n".join(lines) + "\n")


def debye_fz(els, pos, box, q, rmax, weights):
    """Faber-Ziman total S(Q) from all pairs r_ij < rmax (Lorch window), ``weights(el, q)``.

    S(Q) = 1 - 4 pi rho int_0^rmax r^2 sinc(Qr) L(r) dr + (1/N) sum_{i!=j} w_i w_j sinc(Q r_ij) L(r_ij) / <w>^2
    """
    from ase import Atoms
    from ase.neighborlist import neighbor_list

    at = Atoms(els, positions=pos, cell=np.eye(3) * box, pbc=True)
    i, j, d = neighbor_list("ijd", at, rmax)
    n = len(els)
    rho = n / box**3
    lorch = np.sinc(d / rmax)  # sin(pi r/rmax)/(pi r/rmax)
    w = {e: np.broadcast_to(weights(e, q), q.shape).astype(float) for e in set(els)}
    mean_w = sum(els.count(e) * w[e] for e in w) / n
    sym = np.array(els)
    pair = np.zeros_like(q)
    for a in w:
        for b in w:
            m = (sym[i] == a) & (sym[j] == b)
            if m.any():
                s = np.sinc(np.outer(q, d[m]) / np.pi) @ lorch[m]  # sum sin(Q r)/(Q r) L(r)
                pair += w[a] * w[b] * s
    rr = (np.arange(50000) + 0.5) * rmax / 50000
    dr = rmax / 50000
    uniform = 4 * np.pi * rho * (np.sinc(np.outer(q, rr) / np.pi) @ (rr**2 * np.sinc(rr / rmax))) * dr
    return 1 - uniform + pair / n / mean_w**2


def test_total_sq_of_a_crystal_matches_a_debye_pair_sum(tmp_path):
    from lammpskit.analysis import reader, scattering

    els, pos, box = rock_salt()
    write_dump(tmp_path / "xtal.dump", els, pos, box)
    rmax = 9.5
    rdf = scattering.partial_rdf(reader.open_pipeline(tmp_path / "xtal.dump"), [0], cutoff=rmax, bins=1900)
    q = np.linspace(0.8, 12.0, 57)
    kit = scattering.total_sq(rdf, q)
    neutron = debye_fz(els, pos, box, q, rmax, lambda e, qq: SEARS_B[e])
    xray = debye_fz(els, pos, box, q, rmax, f_xray)
    for name, want in (("neutron", neutron), ("xray", xray)):
        err = np.max(np.abs(kit[name] - want))
        print(name, "max |S_kit - S_debye|", err, "range", want.min(), want.max())
        assert err < 1e-3, name  # OVITO's 0.005 Å bins against exact distances: ~2e-4 here
    # structured (real peaks), and the two weightings differ by far more than the tolerance
    assert np.ptp(neutron) > 1.0 and np.max(np.abs(neutron - xray)) > 5e-3


# -- 2. analytic g(r): closed-form S(Q), G(r) both ways --------------------------------------------

CONC = {"Na": 0.4, "P": 0.1, "S": 0.35, "O": 0.15}
RHO = 0.04  # atoms/Å^3
S_WIDTH = 0.12  # Å


def shells():
    """A distinct Gaussian shell per unordered pair: (r0 Å, amplitude A) with g - 1 = A/r exp(-(r-r0)^2/2s^2)."""
    els = list(CONC)
    out = {}
    k = 0
    for ia, a in enumerate(els):
        for b in els[ia:]:
            out[(a, b)] = (2.0 + 0.2 * k, 0.8 + 0.23 * k)
            k += 1
    return out


def analytic_rdf(rmax: float, dr: float = 0.005):
    r = (np.arange(int(rmax / dr)) + 0.5) * dr
    partials = {f"{a}-{b}": 1 + amp / r * np.exp(-((r - r0) ** 2) / (2 * S_WIDTH**2))
                for (a, b), (r0, amp) in shells().items()}
    return {"r": r, "partials": partials, "conc": dict(CONC), "rho": RHO}


def analytic_total_sq(q, weights, rmax):
    """S_ab - 1 = 4 pi rho A s sqrt(2 pi) exp(-Q^2 s^2/2) sin(Q r0)/Q L(r0), Faber-Ziman weighted sum over
    ordered pairs; L(r0) = sinc(r0/rmax) is the Lorch window, constant over a narrow shell to ~1e-4."""
    w = {e: np.broadcast_to(weights(e, q), q.shape) for e in CONC}
    norm = sum(CONC[e] * w[e] for e in CONC) ** 2
    total = np.zeros_like(q)
    for (a, b), (r0, amp) in shells().items():
        sab = 4 * np.pi * RHO * amp * S_WIDTH * math.sqrt(2 * np.pi) * np.exp(-(q * S_WIDTH) ** 2 / 2) * np.sin(q * r0) / q \
            * np.sinc(r0 / rmax)
        total += (1 if a == b else 2) * CONC[a] * CONC[b] * w[a] * w[b] * sab
    return 1 + total / norm


def analytic_big_g(r, weights):
    """G(r) = 4 pi rho r (g_w(r) - 1) with constant weights."""
    norm = sum(CONC[e] * weights[e] for e in CONC) ** 2
    h = sum((1 if a == b else 2) * CONC[a] * CONC[b] * weights[a] * weights[b] * amp / r
            * np.exp(-((r - r0) ** 2) / (2 * S_WIDTH**2)) for (a, b), (r0, amp) in shells().items())
    return 4 * np.pi * RHO * r * h / norm


def test_total_sq_of_analytic_shells_neutron_and_xray():
    from lammpskit.analysis import scattering

    rdf = analytic_rdf(rmax=40.0)
    q = np.linspace(0.5, 20.0, 80)
    kit = scattering.total_sq(rdf, q)
    neutron = analytic_total_sq(q, lambda e, qq: SEARS_B[e], 40.0)
    xray = analytic_total_sq(q, f_xray, 40.0)
    for name, want in (("neutron", neutron), ("xray", xray)):
        err = np.max(np.abs(kit[name] - want))
        print(name, err, np.ptp(want))
        assert err < 2e-4 * np.ptp(want), name
    assert np.max(np.abs(neutron - xray)) > 50 * 2e-4 * np.ptp(neutron)


def test_big_g_of_analytic_shells_and_its_transform_both_ways():
    from lammpskit.analysis import scattering

    rmax = 20.0
    rdf = analytic_rdf(rmax=rmax, dr=0.01)
    r = rdf["r"]
    gr = scattering.total_gr(rdf)
    zx = {e: float(f_xray(e, 0.0)) for e in CONC}
    assert np.allclose(gr["G_neutron"], analytic_big_g(r, SEARS_B), atol=1e-9)
    assert np.allclose(gr["G_xray"], analytic_big_g(r, zx), atol=1e-9)
    # r -> Q: S(Q) - 1 = (1/Q) int G(r) L(r) sin(Qr) dr of the reported G(r) is the reported neutron S(Q)
    q = np.linspace(0.5, 20.0, 60)
    dr = r[1] - r[0]
    lorch = np.sinc(r / rmax)
    s_from_g = 1 + (np.sin(np.outer(q, r)) @ (gr["G_neutron"] * lorch)) * dr / q
    s_kit = scattering.total_sq(rdf, q)["neutron"]
    assert np.max(np.abs(s_from_g - s_kit)) < 1e-6 * np.ptp(s_kit)
    # Q -> r: (2/pi) int Q (S(Q) - 1) sin(Qr) dQ of the reported S(Q) gives back G(r) L(r)
    qq = np.linspace(0.005, 45.0, 9000)
    dq = qq[1] - qq[0]
    s_fine = scattering.total_sq(rdf, qq)["neutron"]
    r_test = r[(r > 1.0) & (r < 8.0)]
    g_back = 2 / np.pi * (np.sin(np.outer(r_test, qq)) @ (qq * (s_fine - 1))) * dq
    g_want = analytic_big_g(r_test, SEARS_B) * np.sinc(r_test / rmax)
    print("Q->r max err", np.max(np.abs(g_back - g_want)), "range", np.ptp(g_want))
    assert np.max(np.abs(g_back - g_want)) < 1e-4 * np.ptp(g_want)
