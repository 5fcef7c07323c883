"""Which family a model file belongs to, read without loading it.

``.model``/``.pth``/``.pt`` files are zip archives written by ``torch.save`` or
TorchScript; unpickling one runs code, so this module only lists the archive
and searches the raw bytes of its pickle for the module names it refers to.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lammpskit.potentials import families


def family(path: Path) -> str | None:
    """``mace`` | ``chgnet`` | ``deepmd`` | ``grace`` | ``grace-fs-yaml`` | ``torchscript`` | None (unknown)."""
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
    for fam in families.FAMILIES.values():  # each family's byte strings mark an archive member as its own
        if fam.markers and any(m in b for b in blobs for m in fam.markers):
            return fam.name
    return "torchscript" if any("/code/" in n for n in names) else None


def check(path: Path, expected: str, what: str) -> None:
    """Refuse a file that is not of the ``expected`` family (grace accepts a SavedModel folder)."""
    from lammpskit.errors import UserError

    got = family(path)
    if got != expected:
        raise UserError(f"{what}: {path} is not a {expected} model file "
                        f"({'looks like ' + got if got else 'unrecognised format'})")


def expected(pot, spec) -> str | None:
    """The family a ``[[files]]`` entry's file must have (None: not a model file the kit can recognise)."""
    if spec.key == "fs_yaml":
        return "grace-fs-yaml"
    fam = families.get(pot.family)
    if spec.key == "model" and fam is not None and fam.checked and not spec.derive:
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
