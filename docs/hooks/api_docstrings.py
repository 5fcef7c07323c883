"""mkdocs hook: the Python API page documents every public name, and every documented object has a docstring.

The public names are ``_API`` of ``lammpskit/__init__.py`` and ``__all__`` of ``lammpskit/potentials``
(both read from the source, not imported). On ``api.md``, each must appear as a ``::: dotted.path``
directive; each directive's object, and every public method or property of a documented class, must
have a docstring (mkdocstrings would silently leave a member without one off the page). A failure is a
warning, which ``mkdocs build --strict`` (``make docs``, tests/docs/test_site.py) turns into a failed build.
"""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import griffe

log = logging.getLogger("mkdocs.hooks.api_docstrings")
API_PAGE = "api.md"
DIRECTIVE = re.compile(r"^::: *([\w.]+)", re.M)


def _assigned(path: Path, name: str):
    """The literal value assigned to ``name`` at the top of the module at ``path``."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError(f"{path}: no top-level {name} = ...")


def public_objects(root: Path) -> dict[str, str]:
    """Public API name (``lk.quench``) -> dotted path of the object it resolves to."""
    api = _assigned(root / "lammpskit" / "__init__.py", "_API")
    names = {f"lk.{name}": f"{module}.{attr}" for name, (module, attr) in api.items()}
    names["lk.potentials"] = "lammpskit.potentials"
    for attr in _assigned(root / "lammpskit" / "potentials" / "__init__.py", "__all__"):
        names[f"lk.potentials.{attr}"] = f"lammpskit.potentials.{attr}"
    return names


def undocumented(package: griffe.Module, path: str) -> list[str]:
    """Paths of ``path`` and of its public methods/properties (for a class) that have no docstring."""
    obj = package[path.removeprefix(f"{package.name}.")] if path != package.name else package
    obj = obj.final_target if obj.is_alias else obj
    missing = [] if obj.docstring and obj.docstring.value.strip() else [path]
    if obj.is_class:
        for name, member in obj.members.items():
            if name.startswith("_") or member.is_alias or not (member.is_function or "property" in member.labels):
                continue
            if not (member.docstring and member.docstring.value.strip()):
                missing.append(f"{path}.{name}")
    return missing


def check(markdown: str, root: Path) -> list[str]:
    """Problems of the API page: public names without a directive, documented objects without docstrings."""
    documented = DIRECTIVE.findall(markdown)
    problems = [f"{name} ({target}) is public but not on {API_PAGE}: add '::: {target}'"
                for name, target in public_objects(root).items() if target not in documented]
    loader = griffe.GriffeLoader(search_paths=[str(root)])
    package = loader.load("lammpskit")
    loader.resolve_aliases(implicit=False, external=False)
    for path in documented:
        try:
            problems += [f"{p} has no docstring" for p in undocumented(package, path)]
        except (KeyError, griffe.AliasResolutionError) as exc:
            problems.append(f"{path} is not an object of lammpskit ({exc})")
    return problems


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri == API_PAGE:
        for problem in check(markdown, Path(config.config_file_path).parent):
            log.warning(f"{API_PAGE}: {problem}")
    return markdown
