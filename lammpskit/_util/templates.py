"""The Jinja2 environment over templates/ (decks, potential blocks, job scripts, the report's pages)."""

from __future__ import annotations

import functools


@functools.cache
def env(autoescape: bool = False, trim: bool = False):
    """Strict (an undefined name is an error), trailing newlines kept; ``autoescape`` for HTML;
    ``trim`` drops the newline after a block tag and the indent before it (the report's pages)."""
    import jinja2

    from lammpskit._util import resources

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(resources.data_dir("templates"))),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=autoescape,
                              trim_blocks=trim, lstrip_blocks=trim)


def render(name: str, trim: bool = False, **ctx) -> str:
    """Render the template ``name`` (a path under templates/, e.g. ``slurm/job.sh.j2``); HTML is escaped."""
    return env(name.endswith(".html.j2"), trim).get_template(name).render(**ctx)
