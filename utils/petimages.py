"""The cats-vs-dogs photos as Microsoft's public PetImages archive, downloaded when no source
folder is given (needs internet)."""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm

from utils.image_files import one_line
from utils.split_folder import DatasetError

PETIMAGES_URL = (
    "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/"
    "kagglecatsanddogs_5340.zip"
)
DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[1] / "cache"


def _safe_extract(archive: Path, dest: Path) -> Path:
    """Extract the ``PetImages/`` members of ``archive`` into ``dest``; return the folder."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.namelist() if m.startswith("PetImages/")]
            if not members:
                raise DatasetError(f"the downloaded archive has no PetImages/ folder ({archive})")
            for m in members:
                if m.startswith("/") or ".." in Path(m).parts:
                    raise DatasetError(f"the downloaded archive has an unsafe path {m!r}")
            zf.extractall(dest, members)
    except zipfile.BadZipFile as exc:
        raise DatasetError(f"the downloaded file is not a valid zip archive ({exc})") from None
    return dest / "PetImages"


def download_petimages(
    cache_dir: str | Path | None = None,
    url: str | None = None,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """The PetImages folder in ``cache_dir``, downloading and unzipping it when absent.

    ``url`` defaults to ``$PETIMAGES_URL`` or Microsoft's archive. The zip is deleted once
    extracted. Any network or archive failure raises :class:`DatasetError`.
    """
    url = url or os.environ.get("PETIMAGES_URL") or PETIMAGES_URL
    cache = Path(cache_dir).expanduser() if cache_dir is not None else DEFAULT_CACHE_DIR
    target = cache / "PetImages"
    if (target / "Cat").is_dir() and (target / "Dog").is_dir():
        return target
    hint = (
        f"no internet? Download it by hand from {PETIMAGES_URL}, unzip it and pass "
        "--source DIR (the PetImages folder)"
    )

    def failed(exc: BaseException) -> DatasetError:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return DatasetError(
            one_line(f"could not download the PetImages archive from {url} ({reason}): {hint}")
        )

    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except (OSError, ValueError) as exc:  # URLError, HTTPError and timeouts are OSErrors
        raise failed(exc) from None
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".petimages-", dir=cache))
    try:
        part = work / "archive.zip"
        with response, open(part, "wb") as f:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total, unit="B", unit_scale=True, desc="downloading", disable=not progress
            ) as bar:
                while chunk := response.read(1 << 20):
                    f.write(chunk)
                    bar.update(len(chunk))
        if total is not None and part.stat().st_size != total:
            raise DatasetError(
                f"the PetImages download stopped early ({part.stat().st_size} of {total} bytes)"
            )
        folder = _safe_extract(part, work / "unzipped")
        if target.exists():
            shutil.rmtree(target)
        os.rename(folder, target)
    except OSError as exc:
        raise failed(exc) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


# --------------------------------------------------------------------------- reading a split
