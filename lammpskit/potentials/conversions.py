"""``potentials convert``: make a ``[[files]]`` entry with ``derive = "<converter>"`` and ``from = "<key>"``
from another file of the same potential, and pin it. The converters themselves are in
``lammpskit.potentials.converters``, named by the family table."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lammpskit.errors import UserError, param
from lammpskit.potentials import families


def convert(pot, key: str, head: str | None = None) -> Path:
    """Make file ``key`` of ``pot`` from its ``from`` file; pins and returns the new file.

    ``head``: the head of a multihead MACE model to export (default: the entry's ``head``).
    """
    from lammpskit._util import validate
    from lammpskit.potentials import registry as potentials

    spec = pot.spec(key)
    if head is not None:
        spec = replace(spec, head=validate.word(head, param("head")))
    converter = families.converter(spec.derive)
    if converter is None:
        raise UserError(f"file {key!r} of {pot.name!r} is not made by a known converter "
                        f"({', '.join(families.converter_names())})")
    if spec.source is None:
        raise UserError(f"file {key!r} of {pot.name!r} names no 'from' file to make it from")
    source = pot.resolve_files([spec.source])[spec.source]
    dest = pot.file_path(spec)
    dest.parent.mkdir(parents=True, exist_ok=True)
    converter(source, dest, spec, (pot.bridge.dtype if pot.bridge else None) or pot.dtype)
    potentials.pin(pot.name, key, potentials.sha256(dest))
    return dest


def convert_derived(pot, keys: list[str] | None = None, head: str | None = None) -> list[dict]:
    """Make every derived file of ``pot`` (or those in ``keys``): [{"key", "path"}]."""
    derived = [s for s in pot.files if s.derive and (not keys or s.key in keys)]
    if keys and len(derived) != len(keys):
        raise UserError(f"{pot.name}: {param('keys')} must name derived files: "
                        f"{', '.join(s.key for s in pot.files if s.derive)}")
    if not derived:
        raise UserError(f"{pot.name} has no files made by conversion")
    return [{"key": spec.key, "path": str(convert(pot, spec.key, head=head))} for spec in derived]

