"""Download model files: resumable (HTTP Range on a ``.part`` file), verified by sha256."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from lammpskit.errors import RunError, UserError

CHUNK = 1 << 20


def download(url: str, dest: Path, expected: str | None = None, progress=None, timeout: float = 60,
             check=None) -> str:
    """Fetch ``url`` into ``dest`` and return its sha256.

    ``check(part)`` (e.g. the file's family, read without loading it) runs on the finished download
    before it is put in place; if it raises, the download is deleted and nothing is pinned.
    An interrupted download resumes from ``dest.part``. With ``expected`` a mismatch deletes the
    file and is an error. ``progress(done_bytes, total_bytes | None)`` is called as bytes arrive.
    """
    from lammpskit.potentials.registry import sha256

    if not url.startswith(("https://", "http://", "file://")):
        raise UserError(f"download URL {url!r} must start with https://, http:// or file://")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    start = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={start}-", "User-Agent": "lammpskit"}
                                 if start else {"User-Agent": "lammpskit"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status = getattr(resp, "status", None)
            if start and status != 206:  # the server ignored the range: start again
                start = 0
            length = resp.headers.get("Content-Length")
            total = start + int(length) if length and length.isdigit() else None
            with open(part, "ab" if start else "wb") as fh:
                done = start
                while block := resp.read(CHUNK):
                    fh.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # range beyond the end: the .part is complete
            pass
        else:
            raise RunError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise RunError(f"download of {url} stopped: {exc} (run the same command again to resume)") from None
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


def downloadable(name: str, sha: str | None = None, url: str | None = None):
    """(entry, its file specs with a URL) of ``name``, after checking ``sha`` and ``url`` (user errors)."""
    from lammpskit._util.checks import SHA256_RE
    from lammpskit.potentials import registry as potentials

    pot = potentials.get(name)
    if sha is not None and not SHA256_RE.fullmatch(sha):
        raise UserError("--sha256 must be 64 lower-case hex digits")
    specs = [s for s in pot.files if s.url]
    if not specs:
        raise UserError(f"{name} has no downloadable files: register yours with "
                        f"'lammpskit potentials add {name} --model FILE'")
    if url and len(specs) != 1:
        raise UserError("--url only works for a potential with one downloadable file")
    return pot, specs


def fetch_entry(name: str, sha: str | None = None, url: str | None = None, progress=None) -> list[dict]:
    """Download every file of registry entry ``name`` that has a URL and is not present, check it is a
    model of the entry's family, verify its sha256 (the registry's, else ``sha``) and pin it where the
    registry has none. ``url`` replaces the URL (a mirror, file://) of an entry with one such file;
    ``progress(label)`` returns a callback ``(bytes done, bytes total)`` for each download.
    Returns one record per file: key, path, sha256, fetched, pinned."""
    from lammpskit.potentials import modelfiles
    from lammpskit.potentials import registry as potentials

    pot, specs = downloadable(name, sha, url)
    done = []
    for spec in specs:
        path = pot.file_path(spec)
        if pot.file_state(spec) == "present":
            done.append({"key": spec.key, "path": str(path), "sha256": pot.expected_sha256(spec), "fetched": False})
            continue
        digest = download(url or spec.url, path, spec.sha256 or sha,
                          progress(f"{name}: {path.name}") if progress else None,
                          check=modelfiles.fetch_check(pot, spec))
        if not spec.sha256:
            potentials.pin(pot.name, spec.key, digest)
        done.append({"key": spec.key, "path": str(path), "sha256": digest, "fetched": True,
                     "pinned": not spec.sha256})
    return done
