"""The one Jinja2 environment over templates/ (decks, potential blocks, job scripts, the report page)."""

from __future__ import annotations

import functools


@functools.cache
def env(autoescape: bool = False):
    """Strict (an undefined name is an error), trailing newlines kept; ``autoescape`` for HTML."""
    import jinja2

    from lammpskit._util import resources

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(resources.data_dir("templates"))),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=autoescape)


def render(name: str, **ctx) -> str:
    """Render the template ``name`` (a path under templates/, e.g. ``slurm/job.sh.j2``)."""
    return env(name.endswith(".html.j2")).get_template(name).render(**ctx)
