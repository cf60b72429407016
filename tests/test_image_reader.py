"""One reading of an image's pixels (issue 22, item 8): the copy the split builder writes, read
as the notebooks read a split, and what predict.py feeds a model are the same pixels, the
ones Pillow shows (upright, 8-bit RGB, alpha dropped); and which files and folders a split
takes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageOps

import predict
from tests.conftest import make_class_folders
from utils.dataset_builder import build_folders
from utils.image_files import check_image
from utils.split_folder import DatasetError, place_image, read_manifest

T = Image.Transpose
STORED = {3: T.ROTATE_180, 6: T.ROTATE_90, 8: T.ROTATE_270}
"""How a camera stores an upright scene for these EXIF orientations."""


def _picture() -> np.ndarray:
    """A 30 x 40 RGB picture, smooth (JPEG keeps it well) and different in every direction."""
    y, x = np.mgrid[0:30, 0:40]
    return np.dstack([x * 6, y * 8, 255 - x * 3 - y * 2]).astype(np.uint8)


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def _turned(image: Image.Image, path: Path, orientation: int, **save) -> Path:
    """``image`` stored as a camera on its side stores it, with its EXIF orientation."""
    image.transpose(STORED[orientation]).save(path, exif=_exif(orientation), **save)
    return path


def _palette(path: Path) -> Path:
    picture = Image.fromarray(_picture())
    picture.convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(path)
    return path


def _grey(path: Path) -> Path:
    Image.fromarray(_picture()[..., 0]).save(path)
    return path


def _png16_turned(path: Path) -> Path:
    y, x = np.mgrid[0:30, 0:40]
    grey16 = (x * 1600 + y * 50).astype(np.uint16)  # the whole 16-bit range: mean near 127 / 255
    return _turned(Image.fromarray(grey16), path, 6)


def _rgba_turned(path: Path) -> Path:
    alpha = np.linspace(0, 255, 40, dtype=np.uint8)[None, :].repeat(30, axis=0)
    rgba = Image.fromarray(np.dstack([_picture(), alpha]))
    return _turned(rgba, path, 3)


def _cmyk(path: Path) -> Path:
    Image.fromarray(_picture()).convert("CMYK").save(path, quality=95)
    return path


def _jpeg_turned(path: Path) -> Path:
    return _turned(Image.fromarray(_picture()), path, 8, quality=95)


def _grey_alpha(path: Path) -> Path:
    picture = _picture()
    Image.fromarray(np.dstack([picture[..., 0], picture[..., 1]])).save(path)  # mode LA
    return path


def _palette_transparent(path: Path) -> Path:
    picture = Image.fromarray(_picture())
    picture.convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(path, transparency=0)
    return path


def _mpo(path: Path) -> Path:
    """A phone's MPO: a JPEG with a second picture appended (Pillow's format "MPO")."""
    picture = Image.fromarray(_picture())
    picture.save(path, "MPO", quality=95, save_all=True, append_images=[picture.rotate(180)])
    return path


KINDS: dict[str, tuple[Callable[[Path], Path], str, bool]] = {
    # kind: (writer, file name, copied byte for byte into the split)
    "palette BMP": (_palette, "palette.bmp", False),
    "grey BMP": (_grey, "grey.bmp", False),
    "16-bit PNG, orientation 6": (_png16_turned, "deep.png", False),
    "RGBA PNG, orientation 3": (_rgba_turned, "rgba.png", False),
    "CMYK JPEG": (_cmyk, "cmyk.jpg", False),
    "JPEG, orientation 8": (_jpeg_turned, "phone.jpg", False),
    "grey + alpha PNG": (_grey_alpha, "la.png", True),
    "palette PNG with transparency": (_palette_transparent, "clear.png", True),
    "MPO": (_mpo, "pair.jpg", True),
}


def _pillow_shows(path: Path) -> np.ndarray:
    """The reference: what Pillow shows, upright, RGB (16-bit scaled to 8), alpha dropped."""
    with Image.open(path) as img:
        upright = ImageOps.exif_transpose(img)
        if upright.mode.startswith("I"):
            upright = Image.fromarray((np.asarray(upright) // 257).astype(np.uint8))
        return np.asarray(upright.convert("RGB"), np.float32)


@pytest.mark.parametrize("kind", list(KINDS))
def test_22_8_the_split_and_predict_give_the_pixels_pillow_shows(kind, tmp_path):
    """predict.py read palette BMPs as grey indices and the builder clipped turned 16-bit PNGs
    to white: both now read every file through utils.image_files.split_bytes."""
    from utils.data import read_images

    write, name, copied = KINDS[kind]
    source = write(tmp_path / name)
    assert check_image(source) is None  # the builder takes it (an MPO too)
    target = tmp_path / "split" / name
    target.parent.mkdir()
    place_image(source, target)
    assert (target.read_bytes() == source.read_bytes()) == copied

    shown = _pillow_shows(source)
    size = shown.shape[:2]  # no resizing: every pixel compared
    in_split = read_images([str(target)], size, raw=True)[0]  # as the notebooks read a split
    fed = predict.read_image(source, size)
    assert np.abs(in_split - fed).max() <= 2, "predict.py feeds other pixels than the split"
    assert np.corrcoef(fed.ravel(), shown.ravel())[0, 1] > 0.99
    assert np.abs(fed - shown).mean() < 3, (fed.mean(), shown.mean())


def test_22_8_hidden_class_folders_are_listed_as_skipped(tmp_path):
    """A hidden class folder (.NET) vanished from the split without a word."""
    colors = {"a": (200, 30, 30), "b": (30, 30, 200), ".NET": (30, 200, 30)}
    src = make_class_folders(tmp_path / "src", colors, 3)
    out = tmp_path / "out"
    build_folders(out, src, progress=False)
    skipped = pd.read_csv(out / "skipped.csv", dtype=str, keep_default_na=False)
    reasons = dict(zip(skipped["file"], skipped["reason"], strict=True))
    assert reasons[".NET"].startswith("hidden folder (its name starts with '.'")
    assert sorted(read_manifest(out)["class"].unique()) == ["a", "b"]


def test_22_8_a_blank_class_folder_name_is_refused(tmp_path):
    """A class folder named with spaces only became a class nobody can read."""
    colors = {"a": (200, 30, 30), "b": (30, 30, 200), "   ": (30, 200, 30)}
    src = make_class_folders(tmp_path / "src", colors, 3)
    with pytest.raises(DatasetError, match="class folder '   ' in .* has a blank name: rename it"):
        build_folders(tmp_path / "out", src, progress=False)
    assert not (tmp_path / "out").exists()
