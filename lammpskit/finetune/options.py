"""Checks shared by the fine-tuning commands (MACE, SevenNet): the training options every trainer takes."""

from __future__ import annotations

from lammpskit._util import validate
from lammpskit.errors import param


def check_training(epochs: int, lr: float | None, batch: int, threads: int, name: str) -> None:
    """Epochs, learning rate (None: the trainer's default), batch size (frames), CPU threads and the name the
    result is registered under; a user error naming the flag otherwise."""
    validate.integer(epochs, param("epochs"), 1, 100000)
    if lr is not None:
        validate.number(lr, param("lr"), 0, 10, lo_open=True)
    validate.integer(batch, param("batch"), 1, 4096)
    validate.integer(threads, param("threads"), 1, 1024)
    validate.name(name, param("name"))
