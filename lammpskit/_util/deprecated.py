"""Library parameters that were renamed: the old name still works, with a DeprecationWarning."""

from __future__ import annotations

import warnings


def renamed(extra: dict, old: str, new: str, value, function: str = ""):
    """``value`` of the parameter ``new``, or what the caller passed under its old name ``old`` (found in the
    function's ``**extra``), with a DeprecationWarning; a TypeError for any other unexpected keyword."""
    unknown = set(extra) - {old}
    if unknown:
        raise TypeError(f"{function or 'this function'} got an unexpected keyword argument {sorted(unknown)[0]!r}")
    if old in extra:
        warnings.warn(f"{function}({old}=...) is now {new}=...", DeprecationWarning, stacklevel=3)
        return extra[old]
    return value
