"""Mechanical (Born) stability of an elastic tensor and physically impossible moduli.

A 6x6 stiffness matrix C (Voigt notation, GPa) describes a mechanically stable solid only if it is
positive definite: all its eigenvalues are positive (Born's criterion in its general form; for a cubic or
isotropic C it reduces to C11 - C12 > 0, C11 + 2 C12 > 0, C44 > 0). Moduli averaged from an unstable C
(negative bulk or shear moduli, Poisson's ratios outside (-1, 1/2)) have no physical meaning, so the
kit reports the eigenvalues instead.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError


def born(C) -> dict:
    """``{"stable": bool, "eigenvalues_GPa": [...] (ascending), "unstable_modes": n}`` of a 6x6 C."""
    C = np.asarray(C, float)
    if C.shape != (6, 6):
        raise InputError(f"an elastic tensor is 6x6 in Voigt notation, got shape {C.shape}")
    if not np.isfinite(C).all():
        raise InputError("the elastic tensor has non-finite entries (a failed relaxation or strain)")
    eig = np.linalg.eigvalsh((C + C.T) / 2)
    return {"stable": bool((eig > 0).all()), "eigenvalues_GPa": [round(float(e), 4) for e in eig],
            "unstable_modes": int((eig <= 0).sum())}


def impossible(moduli: dict) -> list[str]:
    """Why isotropic moduli (B, G, E in GPa, nu) are physically impossible; empty if they are not."""
    out = []
    for key in ("B", "G", "E"):
        v = moduli.get(key)
        if v is not None and not (np.isfinite(v) and v > 0):
            out.append(f"{key} = {v:.4g} GPa is not positive")
    nu = moduli.get("nu")
    if nu is not None and not (np.isfinite(nu) and -1 < nu < 0.5):
        out.append(f"Poisson's ratio {nu:.4g} is outside (-1, 0.5)")
    return out
