"""Deterministic zip of the Lambda package: same sources, same bytes, on any machine.

Terraform compares `filebase64sha256(package_path)` with the deployed code hash, so a zip that
changed with every build (timestamps, file order, umask, compressor version) would show a diff on
every plan. Entries are therefore sorted, dated 1980-01-01, mode 0644, and stored uncompressed:
deflate output may differ between zlib builds, and the package is a few kilobytes.
"""

import contextlib
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from counterstack.errors import CounterStackError
from counterstack.paths import DEFAULT_PACKAGE, LAMBDA_SOURCE

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16  # regular file, rw-r--r--
UNIX = 3


@dataclass(frozen=True)
class Package:
    path: Path
    sha256: str


def package_files(source: Path = LAMBDA_SOURCE) -> list[Path]:
    """The files that go into the zip: the package's sources, without caches or dotfiles."""
    if not (source / "__init__.py").is_file():
        raise CounterStackError(f"{source} is not a Python package (no __init__.py)")
    files = []
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        if path.is_file() and path.suffix not in {".pyc", ".pyo"}:
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(source).as_posix())


def build_package(output: Path = DEFAULT_PACKAGE, source: Path = LAMBDA_SOURCE) -> Package:
    """Write the zip (package directory at the zip root, so `lambda/` is the import root)."""
    output = Path(output)
    if output.suffix != ".zip" or output.is_dir():
        raise CounterStackError(f"--output {output} must be a file path ending in .zip")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CounterStackError(f"cannot create {output.parent}: {error.strerror}") from error
    entries = [
        (path.relative_to(source).as_posix(), path.read_bytes()) for path in package_files(source)
    ]
    temporary = output.with_name(output.name + ".tmp")
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in entries:
                info = zipfile.ZipInfo(f"{source.name}/{name}")
                info.date_time = FIXED_DATE
                info.external_attr = FILE_MODE
                info.create_system = UNIX
                archive.writestr(info, data)
        temporary.replace(output)  # readers never see a half-written zip
    except OSError as error:  # a folder that refuses files (read-only, /proc, a full disk)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise CounterStackError(f"cannot write {output}: {error.strerror or error}") from error
    return Package(path=output, sha256=hashlib.sha256(output.read_bytes()).hexdigest())
