"""Download model files: resumable (HTTP Range on a ``.part`` file), verified by sha256.

A folder (a TensorFlow SavedModel) with ``parts`` is fetched file by file into ``FOLDER.part/``, each file
checked against its sha256, then the whole folder against the entry's; only then is it renamed into place.
``mirror``: a server laid out like the origin (``BASE`` + the URL's path), e.g. a local copy of
raw.githubusercontent.com; ``$LAMMPSKIT_MIRROR`` sets it for ``potentials fetch``.
"""

from __future__ import annotations

import http.client
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from lammpskit.errors import RunError, UserError, param
from lammpskit.progress import Progress, or_null

CHUNK = 1 << 20
NO_LICENCE = "no licence published"  # a [[files]] licence starting so: fetched only with the user's --accept
SCHEMES = ("https://", "http://", "file://")


def download(url: str, dest: Path, expected: str | None = None, progress: Progress | None = None,
             timeout: float = 60, check=None) -> str:
    """Fetch ``url`` into ``dest`` and return its sha256.

    ``check(part)`` (e.g. the file's family, read without loading it) runs on the finished download
    before it is put in place; if it raises, the download is deleted and nothing is pinned.
    An interrupted download resumes from ``dest.part``. With ``expected`` a mismatch deletes the
    file and is an error. ``progress`` is told the bytes as they arrive (``start(total, resumed, "byte")``,
    total 0 when the server does not say; ``finish()`` also on an error).
    """
    from lammpskit.potentials.registry import sha256

    if not url.startswith(SCHEMES):
        raise UserError(f"download URL {url!r} must start with https://, http:// or file://")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    start = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={start}-", "User-Agent": "lammpskit"}
                                 if start else {"User-Agent": "lammpskit"})
    progress = or_null(progress)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status = getattr(resp, "status", None)
            if start and status != 206:  # the server ignored the range: start again
                start = 0
            length = resp.headers.get("Content-Length")
            total = start + int(length) if length and length.isdigit() else None
            progress.start(total or 0, start, "byte")
            with open(part, "ab" if start else "wb") as fh:
                done = start
                while block := resp.read(CHUNK):
                    fh.write(block)
                    done += len(block)
                    progress.advance(done)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # range beyond the end: the .part is complete
            pass
        else:
            raise RunError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException) as exc:
        why = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise RunError(f"download of {url} stopped: {why or type(exc).__name__} (run the same command again "
                       "to resume)") from None
    finally:
        progress.finish()
    if total is not None and done < total:
        raise RunError(f"download of {url} stopped after {done} of {total} bytes (run the same command again "
                       "to resume)")
    digest = sha256(part)
    if expected and digest != expected:
        part.unlink()
        raise UserError(f"{url}: sha256 {digest} does not match the registry's {expected}; "
                        "the file was deleted (a changed or damaged upload)")
    if check is not None:
        try:
            check(part)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    part.replace(dest)
    return digest


def mirrored(url: str, mirror: str | None) -> str:
    """``url`` on ``mirror`` (a server laid out like the origin: mirror + the URL's path)."""
    if not mirror:
        return url
    return mirror.rstrip("/") + urllib.parse.urlsplit(url).path


def check_mirror(mirror: str | None) -> None:
    from lammpskit._util import checks

    if mirror is not None:
        checks.text(mirror, param("mirror"), 1000, empty=False)
        if not mirror.startswith(SCHEMES) or any(c.isspace() for c in mirror):
            raise UserError(f"{param('mirror')} {mirror!r} must be one URL starting with https://, http:// or file://")


def unlicensed(specs) -> list:
    """The file specs whose upstream publishes no licence (the user must accept that to fetch them)."""
    return [s for s in specs if (s.licence or "").lower().startswith(NO_LICENCE)]


def downloadable(name: str, sha: str | None = None, url: str | None = None, accept: bool = False,
                 mirror: str | None = None):
    """(entry, its file specs with a URL) of ``name``, after checking ``sha``, ``url``, ``mirror`` and, for files
    whose upstream publishes no licence, the user's ``accept`` (user errors)."""
    from lammpskit._util.checks import SHA256_RE
    from lammpskit.potentials import registry as potentials

    pot = potentials.get(name)
    if sha is not None and not SHA256_RE.fullmatch(sha):
        raise UserError(f"{param('sha')} must be 64 lower-case hex digits")
    check_mirror(mirror)
    specs = [s for s in pot.files if s.url]
    if not specs:
        raise UserError(f"{name} has no downloadable files: register yours with "
                        f"'lammpskit potentials add {name} --model FILE'")
    if url and (len(specs) != 1 or specs[0].parts):
        raise UserError(f"{param('url')} only works for a potential with one downloadable file (else use {param('mirror')})")
    if url and mirror:
        raise UserError(f"give {param('url')} or {param('mirror')}, not both")
    bare = unlicensed(specs)
    if bare and not accept:
        raise UserError(f"{name}: {bare[0].licence}, so no rights to these files are granted there; the kit "
                        f"only fetches them from upstream for you and never ships them. If you accept that, run "
                        f"'lammpskit potentials fetch {name} --accept'")
    return pot, specs


def fetch_entry(name: str, sha: str | None = None, url: str | None = None, progress: Progress | None = None,
                accept: bool = False, mirror: str | None = None) -> list[dict]:
    """Download every file of registry entry ``name`` that has a URL and is not present, check it is a
    model of the entry's family, verify its sha256 (the registry's, else ``sha``) and pin it where the
    registry has none. ``url`` replaces the URL (a mirror, file://) of an entry with one such file;
    ``mirror`` puts every URL's path on another server; ``accept``: the user accepts files that come with
    no licence; ``progress`` is told ``stage("<name>: <file>")`` before each download, then its bytes.
    Returns one record per file: key, path, sha256, fetched, pinned."""
    from lammpskit.potentials import modelfiles
    from lammpskit.potentials import registry as potentials

    pot, specs = downloadable(name, sha, url, accept, mirror)
    done = []
    for spec in specs:
        path = pot.file_path(spec)
        if pot.file_state(spec) == "present" and (not spec.parts or potentials.sha256(path) == spec.sha256):
            done.append({"key": spec.key, "path": str(path), "sha256": pot.expected_sha256(spec), "fetched": False})
            continue
        if spec.parts:
            digest = fetch_folder(pot, spec, path, mirror, progress)
        else:
            if progress is not None:
                progress.stage(f"{name}: {path.name}")
            digest = download(url or mirrored(spec.url, mirror), path, spec.sha256 or sha, progress,
                              check=modelfiles.fetch_check(pot, spec))
        if not spec.sha256:
            potentials.pin(pot.name, spec.key, digest)
        done.append({"key": spec.key, "path": str(path), "sha256": digest, "fetched": True,
                     "pinned": not spec.sha256})
    return done


def fetch_folder(pot, spec, dest: Path, mirror: str | None = None, progress: Progress | None = None) -> str:
    """Fetch the ``parts`` of folder ``spec`` into ``dest.part/`` (resumable), each verified by its sha256,
    then the folder by the entry's sha256 and its family; rename it to ``dest``. Returns the folder's sha256.
    ``progress`` is told ``stage("<name>: <folder>/<part>")`` before each download, then its bytes."""
    from lammpskit.potentials import modelfiles
    from lammpskit.potentials.registry import sha256

    if dest.exists():
        raise UserError(f"{dest} exists but does not match {pot.name}'s files: move it away and fetch again")
    staging = dest.with_name(dest.name + ".part")
    staging.mkdir(parents=True, exist_ok=True)
    for part in spec.parts:
        target = staging / part["path"]
        if target.is_file() and sha256(target) == part["sha256"]:
            continue  # fetched by an earlier, interrupted run
        if progress is not None:
            progress.stage(f"{pot.name}: {dest.name}/{part['path']}")
        download(mirrored(spec.url + part["path"], mirror), target, part["sha256"], progress)
    extra = sorted(str(p.relative_to(staging)) for p in staging.rglob("*")
                   if p.is_file() and str(p.relative_to(staging)) not in {q["path"] for q in spec.parts})
    for name in extra:  # .part leftovers of a file that has since been fetched whole
        (staging / name).unlink()
    digest = sha256(staging)
    if digest != spec.sha256:
        shutil.rmtree(staging)
        raise UserError(f"{pot.name}: the folder {dest.name} fetched file by file has sha256 {digest}, not the "
                        f"registry's {spec.sha256}; it was deleted (the entry's parts and folder sha256 disagree)")
    fam = modelfiles.expected(pot, spec)
    if fam is not None:
        try:
            modelfiles.check(staging, fam, f"the download for {pot.name} ({spec.key})")
        except UserError:
            shutil.rmtree(staging)
            raise
    staging.replace(dest)
    return digest
