"""Checking image files before they go into a split: fully decoded, in a format TensorFlow reads.

:func:`check_image` gives the reason a file cannot be used (the reason ``skipped.csv`` lists), or
None for a good image; :func:`validate_images` checks many in a thread pool with a progress bar.

**Bad files** never reach a split: every candidate is fully decoded with Pillow first (thread
pool, "validating" progress bar) and skipped, with a reason in ``skipped.csv``, when it is an
empty file, not an image, truncated or corrupt, in a format TensorFlow cannot decode (only
JPEG, PNG, BMP and GIF by the decoded format, not the extension, and MPO, a phone's JPEG with
a second picture appended; also 1/4/16-bit or compressed BMP), or has an extension the loaders
do not list (only .jpg .jpeg .png .bmp .gif, any case). Grayscale, CMYK, palette, 16-bit and
RGBA images are fine. Hidden files (``.*``), ``Thumbs.db`` and ``desktop.ini`` are ignored
silently; a hidden folder is listed as skipped; a class folder with a blank name is an error.
Truncation is only detected while Pillow's ``ImageFile.LOAD_TRUNCATED_IMAGES`` is False (its
default).

**One reading of the pixels**: :func:`split_bytes` says what the split builder writes for an
image and what ``predict.py`` decodes, so a model meets the same pixels in both. TensorFlow
reads most files as Pillow shows them, and those are copied byte for byte; the others
(turned by their EXIF orientation, 8-bit palette or grey BMPs, CMYK JPEGs) are written as
:func:`upright_rgb` gives them. An alpha channel is dropped, never composited: a transparent
pixel keeps the colour stored under it, as TensorFlow's decoders and Pillow's
``convert("RGB")`` read it.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from tqdm import tqdm

from utils import IMAGE_EXTENSIONS

TF_FORMATS = ("JPEG", "MPO", "PNG", "BMP", "GIF")
"""Pillow's names of the formats TensorFlow decodes (of an MPO file, its first JPEG picture)."""
ORIENTATION = 0x0112
"""The EXIF tag saying how a photo is stored: 2 to 8 mean turned or mirrored."""
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM")
"""First bytes of the accepted formats: a file starting so but unreadable is corrupt."""
IGNORED_NAMES = ("thumbs.db", "desktop.ini")
"""Clutter left out silently, with hidden files."""
Skip = tuple[Path, str]
"""(source file, reason)."""


MAX_PIXELS = 50_000_000
"""The largest image the course reads (the split builder and predict.py alike): 50 megapixels,
far above any photo a phone takes, far below what would exhaust memory when decoded."""


def too_large(width: int, height: int) -> str:
    """The one-line reason an image over :data:`MAX_PIXELS` is refused."""
    return (
        f"image too large ({width} x {height} = {width * height / 1e6:.0f} megapixels; "
        f"the limit is {MAX_PIXELS / 1e6:.0f})"
    )


def one_line(text: object) -> str:
    """``text`` as a single line (for reasons and error messages)."""
    return " ".join(str(text).split())


def workers() -> int:
    """Threads for decoding and copying: the CPUs this process may use, at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(8, cpus))


def _bmp_problem(path: Path) -> str | None:
    """Why TensorFlow's BMP decoder would refuse ``path``, or None (it reads 8/24/32-bit)."""
    with open(path, "rb") as f:
        header = f.read(34)
    if len(header) < 34 or struct.unpack_from("<I", header, 14)[0] < 40:
        return "unsupported BMP variant (old OS/2 header; convert to PNG)"
    bits = struct.unpack_from("<H", header, 28)[0]
    compression = struct.unpack_from("<I", header, 30)[0]
    if bits not in (8, 24, 32) or compression not in (0, 3):
        return f"unsupported BMP variant ({bits}-bit, compression {compression}; convert to PNG)"
    return None


def check_image(path: str | Path) -> str | None:
    """Why ``path`` cannot go into a split (the skip reason), or None for a good image.

    The image is fully decoded; only formats TensorFlow decodes are accepted.
    """
    path = Path(path)
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        allowed = " ".join(IMAGE_EXTENSIONS)
        return f"unsupported extension {path.suffix or '(none)'!r} (use {allowed})"
    try:
        if path.stat().st_size == 0:
            return "empty file"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own line below
            with Image.open(path) as img:
                if img.format not in TF_FORMATS:
                    return f"unsupported format {img.format} (convert to JPEG or PNG)"
                if img.width * img.height > MAX_PIXELS:
                    return too_large(img.width, img.height)
                img.load()
                fmt = img.format
        return _bmp_problem(path) if fmt == "BMP" else None
    except UnidentifiedImageError as exc:
        with open(path, "rb") as f:
            head = f.read(8)
        if head.startswith(IMAGE_SIGNATURES):
            return one_line(f"truncated or corrupt image: {exc}")
        return "not an image"
    except Image.DecompressionBombError as exc:
        return one_line(f"image too large: {exc}")
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error...
        return one_line(f"truncated or corrupt image: {exc}")


def validate_images(
    paths: Sequence[Path], progress: bool = True, desc: str = "validating"
) -> list[str | None]:
    """:func:`check_image` for every path (in a thread pool), in the order given."""
    if not paths:
        return []
    with ThreadPoolExecutor(workers()) as pool:
        results = pool.map(check_image, paths)
        return list(tqdm(results, total=len(paths), desc=desc, unit="img", disable=not progress))


# --------------------------------------------------------------------------- the pixels


def _tensorflow_reads_as_is(img: Image.Image) -> bool:
    """Whether TensorFlow decodes ``img``'s file as :func:`upright_rgb` would give it."""
    if img.getexif().get(ORIENTATION, 1) in range(2, 9):
        return False  # TensorFlow ignores EXIF
    if img.format in ("JPEG", "MPO"):
        return img.mode in ("RGB", "L")  # not CMYK
    if img.format == "BMP":
        return img.mode not in ("P", "L", "1")  # TensorFlow reads palette indices as grey
    return img.format in ("PNG", "GIF")  # PNG: any mode, 16 bits as their high byte


def upright_rgb(img: Image.Image) -> Image.Image | None:
    """``img`` (just opened) as the 8-bit RGB picture a model should see, or None when
    TensorFlow decodes its file's own bytes to that picture already.

    Turned upright by its EXIF orientation; 16-bit grey keeps its high byte (as TensorFlow's
    PNG decoder does); palette, grey, CMYK become RGB; alpha is dropped (see the module's
    docstring). A new image, without the file's metadata.
    """
    if _tensorflow_reads_as_is(img):
        return None
    upright = ImageOps.exif_transpose(img)
    if upright.mode.startswith("I"):  # 16-bit grey ("I;16") or 32-bit integers
        high = np.clip(np.asarray(upright, np.int64), 0, 65535) >> 8
        upright = Image.fromarray(high.astype(np.uint8))
    elif upright.mode in ("P", "PA"):
        upright = upright.convert("RGBA")  # the palette's colours (no warning on transparency)
    return Image.fromarray(np.asarray(upright.convert("RGB")))


def split_bytes(img: Image.Image) -> bytes | None:
    """What the split builder writes for ``img`` (just opened), and what ``predict.py``
    decodes: None to copy its file as it is, else :func:`upright_rgb` encoded in the file's
    own format (an MPO as JPEG; JPEG at quality 95)."""
    picture = upright_rgb(img)
    if picture is None:
        return None
    fmt = "JPEG" if img.format == "MPO" else img.format
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return buffer.getvalue()


# --------------------------------------------------------------------------- listing a folder


def is_ignored(path: Path) -> bool:
    """Hidden files and OS clutter that are left out silently."""
    return path.name.startswith(".") or path.name.lower() in IGNORED_NAMES


def children(folder: Path, skipped: list[Skip]) -> tuple[list[Path], list[Path]]:
    """Sorted (files, subfolders) directly in ``folder``, without ignored names.

    A symbolic link that leads nowhere (dangling, or a loop) and a hidden folder are listed
    in ``skipped``.
    """
    everything = sorted(folder.iterdir(), key=lambda p: p.name)
    hidden = "hidden folder (its name starts with '.': rename it to use it)"
    skipped += [(p, hidden) for p in everything if p.name.startswith(".") and p.is_dir()]
    entries = [p for p in everything if not is_ignored(p)]
    for p in entries:
        if p.is_symlink() and not p.exists():
            try:
                p.resolve(strict=True)
                reason = "broken symbolic link"
            except RuntimeError:
                reason = "symbolic link loop"
            except OSError:
                reason = "broken symbolic link (its target does not exist)"
            skipped.append((p, reason))
    return [p for p in entries if p.is_file()], [p for p in entries if p.is_dir()]


def image_files(folder: Path, skipped: list[Skip]) -> list[Path]:
    """Files directly in ``folder`` (a class folder) with an image extension; others and
    subfolders -> skipped. A blank folder name (spaces only) is a ``DatasetError``."""
    if not folder.name.strip():
        from utils.split_folder import DatasetError  # here: split_folder imports this module

        raise DatasetError(
            f"class folder {folder.name!r} in {folder.parent} has a blank name: rename it "
            "(a class folder's name is the class name)"
        )
    files, dirs = children(folder, skipped)
    skipped += [(d, "subfolder (only files directly in a class folder are used)") for d in dirs]
    good = []
    for f in files:
        if f.suffix.lower() in IMAGE_EXTENSIONS:
            good.append(f)
        else:
            skipped.append((f, check_image(f) or "unsupported extension"))
    return good
