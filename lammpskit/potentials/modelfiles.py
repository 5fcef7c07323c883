"""Which family a model file belongs to, read without loading it.

``.model``/``.pth``/``.pt`` files are zip archives written by ``torch.save`` or
TorchScript; unpickling one runs code, so this module only lists the archive
and searches the raw bytes of its pickle for the module names it refers to.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

# family -> byte strings, any of which marks an archive member as that family's
MARKERS = {
    # sevenn first: its checkpoints also hold "type_map" (deepmd's marker) and "chgnet" (a data-set name).
    # A checkpoint's config key, a deployed TorchScript's (pair_style e3gnn) or ML-IAP module's classes
    "sevenn": (b"_chemical_species_by_atomic_number", b"sevenn.nn.", b"sevenn.mliap"),
    "mace": (b"mace.modules",),
    "chgnet": (b"model_args", b"composition_model"),
    "deepmd": (b"deepmd", b"type_map"),
}


def family(path: Path) -> str | None:
    """``mace`` | ``chgnet`` | ``deepmd`` | ``sevenn`` | ``grace`` | ``grace-fs-yaml`` | ``torchscript`` | None (unknown)."""
    path = Path(path)
    if path.is_dir():
        return "grace" if (path / "saved_model.pb").exists() or (path / "saved_model" / "saved_model.pb").exists() \
            else None
    if path.suffix in (".yaml", ".yml"):
        head = path.read_text(errors="replace")[:20000]
        return "grace-fs-yaml" if "elements" in head and ("nnorm" in head or "embeddings" in head) else None
    if not zipfile.is_zipfile(path):
        return None
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            blobs = [z.read(n)[:4_000_000] for n in names if n.endswith((".pkl", ".py", ".json", "model_def_script"))
                     or "/code/" in n or "/extra/" in n]
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    for fam, marks in MARKERS.items():
        if any(m in b for b in blobs for m in marks):
            return fam
    return "torchscript" if any("/code/" in n for n in names) else None


def check(path: Path, expected: str, what: str) -> None:
    """Refuse a file that is not of the ``expected`` family (grace accepts a SavedModel folder)."""
    from lammpskit.errors import UserError

    got = family(path)
    if got != expected:
        raise UserError(f"{what}: {path} is not a {expected} model file "
                        f"({'looks like ' + got if got else 'unrecognised format'})")


CHECKED = ("mace", "deepmd", "chgnet", "grace", "sevenn")


def expected(pot, spec) -> str | None:
    """The family a ``[[files]]`` entry's file must have (None: not a model file the kit can recognise)."""
    if spec.key == "fs_yaml":
        return "grace-fs-yaml"
    if spec.key == "model" and pot.family in CHECKED and not spec.derive:
        return pot.family
    return None


def check_download(part: Path, family_: str, what: str) -> None:
    """``check`` for a downloaded ``.part`` file (read as if it had its final name)."""
    got = family(part) if family_ != "grace-fs-yaml" else ("grace-fs-yaml" if _fs_yaml(part) else None)
    if got != family_:
        from lammpskit.errors import UserError

        raise UserError(f"{what} is not a {family_} model file "
                        f"({'looks like ' + got if got else 'unrecognised format'}); the download was deleted "
                        "and nothing was pinned")


def _fs_yaml(path: Path) -> bool:
    head = Path(path).read_text(errors="replace")[:20000]
    return "elements" in head and ("nnorm" in head or "embeddings" in head)


def fetch_check(pot, spec):
    """The ``check`` that ``fetch.download`` runs for one entry's file (None: nothing to check)."""
    fam = expected(pot, spec)
    if fam is None:
        return None
    return lambda part: check_download(part, fam, f"the download for {pot.name} ({spec.key})")
