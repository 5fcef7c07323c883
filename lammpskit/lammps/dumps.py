"""Small helpers on LAMMPS text dumps (the analysis itself reads them with OVITO)."""

from __future__ import annotations

from pathlib import Path


def truncate(path: Path, before_step: int) -> int:
    """Cut a text dump so it keeps only frames with timestep < ``before_step``; returns frames kept."""
    if not path.exists():
        return 0
    from lammpskit._util import reading

    kept = 0
    cut = None
    with reading.open_regular(path, "dump") as fh:
        while True:
            pos = fh.tell()
            line = fh.readline()
            if not line:
                break
            if line.startswith(b"ITEM: TIMESTEP"):
                step = _step(fh.readline())
                if step is None or step >= before_step:  # an unreadable frame: damaged from here on
                    cut = pos
                    break
                kept += 1
    if cut is not None:
        with open(path, "r+b") as fh:
            fh.truncate(cut)
    return kept


def _step(line: bytes) -> int | None:
    """A dump's timestep line as an integer; None when it is not one."""
    text = line.strip()
    return int(text) if text.isdigit() and len(text) < 20 else None


def _shown(raw: bytes) -> str:
    return raw.strip()[:40].decode(errors="replace")


def timesteps(path: Path) -> list[int]:
    """Timesteps of all frames in a text dump (a user error naming the frame if one is not an integer)."""
    return [step for step, _n in frames(path)]


def frames(path: Path) -> list[tuple[int, int]]:
    """(timestep, atoms) of every frame of a text dump; a user error at a frame whose numbers are not integers."""
    from lammpskit._util import reading
    from lammpskit.errors import UserError

    out = []
    with reading.open_regular(path, "dump") as fh:
        for line in fh:
            if line.startswith(b"ITEM: TIMESTEP"):
                raw = fh.readline()
                step = _step(raw)
                if step is None:
                    raise UserError(f"{path} frame {len(out) + 1}: the timestep {_shown(raw)!r} is not an integer")
                out.append((step, -1))
            elif line.startswith(b"ITEM: NUMBER OF ATOMS") and out:
                raw = fh.readline()
                n = _step(raw)
                if n is None:
                    raise UserError(f"{path} frame {len(out)}: the atom count {_shown(raw)!r} is not an integer")
                out[-1] = (out[-1][0], n)
    return out


def write(path: Path, frames, append: bool = False) -> None:
    """Write text dump frames ``(step, ids, elements, positions, cell, origin[, columns])``.

    ``cell`` rows a, b, c (LAMMPS-restricted: a along x, b in the xy plane);
    columns ``id element x y z`` and then any ``columns`` (name -> per-atom integers or floats);
    rows in the order given (ids need not be sorted).
    """
    with open(path, "a" if append else "w") as fh:
        for step, ids, elements, pos, cell, origin, *more in frames:
            extra = more[0] if more else {}
            (lx, _, _), (xy, ly, _), (xz, yz, lz) = cell
            lo = origin
            tri = any(abs(v) > 0 for v in (xy, xz, yz))
            fh.write(f"ITEM: TIMESTEP\n{step}\nITEM: NUMBER OF ATOMS\n{len(ids)}\n")
            if tri:
                xlo_b = lo[0] + min(0.0, xy, xz, xy + xz)
                xhi_b = lo[0] + lx + max(0.0, xy, xz, xy + xz)
                ylo_b, yhi_b = lo[1] + min(0.0, yz), lo[1] + ly + max(0.0, yz)
                fh.write(f"ITEM: BOX BOUNDS xy xz yz pp pp pp\n{xlo_b:.10f} {xhi_b:.10f} {xy:.10f}\n"
                         f"{ylo_b:.10f} {yhi_b:.10f} {xz:.10f}\n{lo[2]:.10f} {lo[2] + lz:.10f} {yz:.10f}\n")
            else:
                fh.write(f"ITEM: BOX BOUNDS pp pp pp\n{lo[0]:.10f} {lo[0] + lx:.10f}\n"
                         f"{lo[1]:.10f} {lo[1] + ly:.10f}\n{lo[2]:.10f} {lo[2] + lz:.10f}\n")
            fh.write("ITEM: ATOMS id element x y z" + "".join(f" {k}" for k in extra) + "\n")
            cols = [[_num(v) for v in values] for values in extra.values()]
            fh.write("".join(f"{i} {e} {x:.8f} {y:.8f} {z:.8f}" + "".join(f" {c[k]}" for c in cols) + "\n"
                             for k, (i, e, (x, y, z)) in enumerate(zip(ids, elements, pos))))


def _num(v) -> str:
    """An integer as is, a float to 6 significant digits."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 2**53 else f"{float(v):.6g}"
