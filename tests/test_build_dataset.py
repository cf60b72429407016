"""build_dataset.py and utils.dataset_builder: layouts, bad input and files, determinism."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, features

from tests.conftest import (
    CATS_DOGS_SOURCE,
    DOG_BREEDS_SOURCE,
    ROOT,
    make_class_folders,
    needs_shared,
    write_image,
)
from utils import SPLITS, petimages
from utils import split_folder as sf
from utils.dataset_builder import build_cats_vs_dogs, build_dog_breeds, build_folders, split_sizes
from utils.image_files import check_image
from utils.petimages import download_petimages
from utils.split_folder import DatasetError, read_manifest, split_counts, split_exists

COLORS = {"cat": (200, 60, 40), "dog": (40, 60, 200)}
UNREACHABLE = "http://127.0.0.1:9/kagglecatsanddogs.zip"


# --------------------------------------------------------------------------- helpers


def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``build_dataset.py ARGS --no-progress`` from the repository root."""
    return subprocess.run(
        [sys.executable, "build_dataset.py", *map(str, args), "--no-progress"],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def tree_hash(root: Path) -> str:
    """Hash of every file's relative path and bytes under ``root``."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(p.relative_to(root).as_posix().encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def leftovers(out: Path) -> list[str]:
    """Temporary folders the builder may have left next to ``out``."""
    return sorted(p.name for p in out.parent.glob(f".{out.name}.*"))


def assert_failed(result: subprocess.CompletedProcess, out: Path, fragment: str) -> None:
    """Exit code 2, one ``error:`` line (the last) holding ``fragment``, nothing written."""
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert [line for line in lines if line.startswith("error: ")] == [lines[-1]]
    assert fragment in lines[-1], lines[-1]
    assert not out.exists()
    assert leftovers(out) == []


def check_split(out: Path) -> pd.DataFrame:
    """The manifest matches the files on disk; no file is in two splits. Returns the manifest."""
    manifest = read_manifest(out)
    assert list(manifest.columns) == ["split", "class", "file"]
    on_disk = sorted(
        p.relative_to(out).as_posix() for s in SPLITS for p in (out / s).rglob("*") if p.is_file()
    )
    assert sorted(manifest["file"]) == on_disk
    parts = manifest["file"].str.split("/", expand=True)
    assert (parts[0] == manifest["split"]).all() and (parts[1] == manifest["class"]).all()
    names = parts[1] + "/" + parts[2]
    assert not names.duplicated().any(), "a file is in two splits"
    order = manifest.assign(k=manifest["split"].map(SPLITS.index)).sort_values(
        ["k", "class", "file"]
    )
    assert order.index.tolist() == list(range(len(manifest))), "manifest not sorted"
    assert (out / "skipped.csv").is_file()
    return manifest


def skipped_reasons(out: Path) -> dict[str, str]:
    """``skipped.csv`` as file -> reason."""
    df = pd.read_csv(out / "skipped.csv", dtype=str, keep_default_na=False)
    assert list(df.columns) == ["file", "reason"]
    return dict(zip(df["file"], df["reason"], strict=True))


def flat_source(root: Path, n_cats: int = 12, n_dogs: int = 12, order: str = "forward") -> Path:
    """A Kaggle-style flat folder, files created in ``forward``, ``reverse`` or random order."""
    names = [(f"cat.{i}.jpg", COLORS["cat"]) for i in range(n_cats)]
    names += [(f"dog.{i}.jpg", COLORS["dog"]) for i in range(n_dogs)]
    if order == "reverse":
        names.reverse()
    elif order == "random":
        random.Random(7).shuffle(names)
    for name, color in names:
        write_image(root / name, color=color)
    return root


def write_bad_files(folder: Path, prefix: str = "") -> dict[str, str]:
    """Write one file of each bad kind into ``folder``; return name -> expected reason start."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{prefix}empty.jpg").write_bytes(b"")
    good = write_image(folder / f"{prefix}whole.jpg", size=(120, 90)).read_bytes()
    (folder / f"{prefix}whole.jpg").unlink()
    (folder / f"{prefix}truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / f"{prefix}corrupt.jpg").write_bytes(good[:20] + random.Random(0).randbytes(2000))
    (folder / f"{prefix}text.jpg").write_text("this is not an image\n")
    Image.new("RGB", (20, 20), "red").save(folder / f"{prefix}tiff_inside.jpg", format="TIFF")
    Image.new("RGB", (20, 20), "red").save(folder / f"{prefix}picture.tiff")
    Image.new("1", (20, 20)).save(folder / f"{prefix}onebit.bmp")
    return {
        f"{prefix}empty.jpg": "empty file",
        f"{prefix}truncated.jpg": "truncated or corrupt image",
        f"{prefix}corrupt.jpg": "truncated or corrupt image",
        f"{prefix}text.jpg": "not an image",
        f"{prefix}tiff_inside.jpg": "unsupported format TIFF (convert to JPEG or PNG)",
        f"{prefix}picture.tiff": "unsupported extension",
        f"{prefix}onebit.bmp": "unsupported BMP variant (1-bit",
    }


def dog_source(root: Path, sizes: dict[str, int], labels: str | None = None) -> Path:
    """Kaggle dog-breeds layout: ``train/<id>.jpg`` + ``labels.csv`` with ``sizes`` per breed."""
    rows = ["id,breed"]
    for b, (breed, n) in enumerate(sizes.items()):
        for i in range(n):
            image_id = f"{breed}{i:03d}x"
            write_image(root / "train" / f"{image_id}.jpg", size=(32, 24), color=(b * 20, 90, 90))
            rows.append(f"{image_id},{breed}")
    (root / "labels.csv").write_text(labels if labels is not None else "\n".join(rows) + "\n")
    return root


# --------------------------------------------------------------------------- image checks


@pytest.mark.parametrize(
    "mode, name",
    [
        ("RGB", "rgb.jpg"),
        ("L", "gray.jpg"),
        ("CMYK", "cmyk.jpg"),
        ("P", "palette.png"),
        ("RGBA", "alpha.png"),
        ("L", "gray.png"),
        ("P", "anim.gif"),
        ("RGB", "rgb.bmp"),
        ("L", "gray.bmp"),
        ("RGB", "upper.JPEG"),
    ],
)
def test_valid_image_modes_are_accepted(tmp_path, mode, name):
    assert check_image(write_image(tmp_path / name, mode=mode)) is None


def test_bad_files_get_reasons(tmp_path):
    expected = write_bad_files(tmp_path)
    for name, reason in expected.items():
        got = check_image(tmp_path / name)
        assert got is not None and got.startswith(reason), (name, got)
        assert "\n" not in got


def test_truncated_jpeg_is_caught_by_full_decode(tmp_path):
    data = write_image(tmp_path / "a.jpg", size=(200, 150)).read_bytes()
    (tmp_path / "a.jpg").write_bytes(data[: len(data) // 2])
    with Image.open(tmp_path / "a.jpg") as img:  # the header alone looks fine
        assert img.format == "JPEG"
    assert check_image(tmp_path / "a.jpg").startswith("truncated or corrupt image: image file is")


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_webp_is_refused_by_format_not_extension(tmp_path):
    Image.new("RGB", (20, 20), "red").save(tmp_path / "x.png", format="WEBP")
    assert check_image(tmp_path / "x.png") == "unsupported format WEBP (convert to JPEG or PNG)"


# --------------------------------------------------------------------------- split sizes


@pytest.mark.parametrize("test_size, val_size", [(0.3, 0.15), (0.2, 0.2), (0.0, 0.1), (0.5, 0.0)])
def test_split_sizes_guarantees(test_size, val_size):
    for n in range(1, 301):
        n_train, n_val, n_test = split_sizes(n, test_size, val_size)
        assert n_train + n_val + n_test == n
        assert n_train >= 1
        assert n_test >= (1 if test_size and n >= 2 else 0)
        assert n_val >= (1 if val_size and n >= 3 else 0)
        if test_size == 0:
            assert n_test == 0
        if val_size == 0:
            assert n_val == 0
        if n >= 50:
            assert abs(n_test - n * test_size) <= 1
            assert abs(n_val - (n - n_test) * val_size) <= 1
    assert split_sizes(1, 0.3, 0.15) == (1, 0, 0)
    assert split_sizes(2, 0.3, 0.15) == (1, 0, 1)
    assert split_sizes(3, 0.3, 0.15) == (1, 1, 1)
    assert split_sizes(100, 0.3, 0.15) == (59, 11, 30)


# --------------------------------------------------------------------------- cats vs dogs


def test_cats_vs_dogs_flat_layout(flat_cats_dogs, tmp_path):
    out = tmp_path / "out"
    summary = build_cats_vs_dogs(out, flat_cats_dogs, 6, 3, 2, progress=False)
    manifest = check_split(out)
    assert summary.out == out and summary.n_images == 22 and len(summary.skipped) == 0
    counts = split_counts(out)
    assert counts.loc["cat"].tolist() == [6, 3, 2, 11]
    assert counts.loc["dog"].tolist() == [6, 3, 2, 11]
    assert counts.loc["total"].tolist() == [12, 6, 4, 22]
    assert summary.counts.equals(counts)
    for cls in ("cat", "dog"):  # each class holds its own files only
        files = manifest.loc[manifest["class"] == cls, "file"]
        assert files.str.split("/").str[2].str.startswith(f"{cls}.").all()
    assert split_exists(out)


def test_cats_vs_dogs_petimages_layout(tmp_path):
    src = make_class_folders(
        tmp_path / "pets" / "PetImages", {"Cat": COLORS["cat"], "Dog": COLORS["dog"]}, 8
    )
    (src / "Cat" / "Thumbs.db").write_bytes(b"\0junk")
    (src / "Dog" / ".DS_Store").write_bytes(b"junk")
    out = tmp_path / "out"
    build_cats_vs_dogs(out, src, 4, 2, 2, progress=False)
    manifest = check_split(out)
    assert sorted(manifest["class"].unique()) == ["cat", "dog"]
    assert skipped_reasons(out) == {}  # Thumbs.db and hidden files are ignored silently
    # the folder holding PetImages/ works too, and gives the same split
    out2 = tmp_path / "out2"
    build_cats_vs_dogs(out2, tmp_path / "pets", 4, 2, 2, progress=False)
    assert read_manifest(out2).equals(manifest)


def test_bad_files_are_skipped_and_never_in_a_split(tmp_path):
    src = flat_source(tmp_path / "src")
    expected = write_bad_files(src, prefix="cat.bad-")
    (src / ".cat.hidden.jpg").write_bytes(b"")
    (src / "readme.txt").write_text("hi")
    write_image(src / "horse.1.jpg")
    before = tree_hash(src)
    out = tmp_path / "out"
    summary = build_cats_vs_dogs(out, src, 6, 3, 3, progress=False)  # needs every good cat
    manifest = check_split(out)
    reasons = skipped_reasons(out)
    for name, reason in expected.items():
        assert reasons.pop(name).startswith(reason), name
    assert reasons.pop("readme.txt").startswith("unsupported extension")
    assert reasons.pop("horse.1.jpg") == "not a cat.* or dog.* file"
    assert reasons == {}
    assert not manifest["file"].str.contains("bad-|hidden").any()
    assert len(summary.skipped) == len(expected) + 2
    assert tree_hash(src) == before  # the source is never modified


def test_cats_vs_dogs_cli_output_and_summary(flat_cats_dogs, tmp_path):
    out = tmp_path / "out"
    result = run_cli(
        "cats-vs-dogs",
        "--source",
        flat_cats_dogs,
        "--out",
        out,
        "--train",
        "5",
        "--validation",
        "2",
        "--test",
        "2",
    )
    assert result.returncode == 0, result.stderr
    assert "images/s" in result.stdout and "0 files skipped" in result.stdout
    assert split_counts(out).loc["total", "total"] == 18
    assert leftovers(out) == []


# --------------------------------------------------------------------------- bad input (CLI)


def _labels_case(text: str, files: tuple[str, ...] = ("a", "b")):
    """A case builder: dog-breeds source with ``files`` and the labels ``text``."""

    def make(tmp: Path) -> list:
        for f in files:
            write_image(tmp / "dogs" / "train" / f"{f}.jpg", size=(16, 16))
        (tmp / "dogs" / "labels.csv").write_text(text)
        return ["dog-breeds", "--source", tmp / "dogs"]

    return make


def _too_few(tmp: Path) -> list:
    src = flat_source(tmp / "src", n_cats=12, n_dogs=9)
    return ["cats-vs-dogs", "--source", src, "--train", "8", "--validation", "1", "--test", "1"]


def _too_few_valid(tmp: Path) -> list:
    src = flat_source(tmp / "src", n_cats=12, n_dogs=15)
    for i in range(3):
        (src / f"cat.bad{i}.jpg").write_bytes(b"not a jpeg")
    return ["cats-vs-dogs", "--source", src, "--train", "9", "--validation", "2", "--test", "2"]


def _flat_only(tmp: Path) -> list:
    write_image(tmp / "src" / "a.jpg")
    return ["folders", "--source", tmp / "src"]


def _one_class(tmp: Path) -> list:
    make_class_folders(tmp / "src", {"only": (1, 2, 3)}, 3)
    return ["folders", "--source", tmp / "src"]


BAD_INPUT = {
    "missing source": (
        lambda tmp: ["cats-vs-dogs", "--source", tmp / "nope"],
        "does not exist",
    ),
    "source is a file": (
        lambda tmp: ["folders", "--source", write_image(tmp / "x.jpg")],
        "is not a folder",
    ),
    "too few images": (
        _too_few,
        "not enough image files: need 10 per class, found cat 12, dog 9",
    ),
    "too few valid images": (
        _too_few_valid,
        "not enough valid images: need 13 per class, found cat 12, dog 13; 3 files skipped",
    ),
    "labels.csv without breed column": (_labels_case("id,label\na,x\n"), "missing breed"),
    "labels.csv empty": (_labels_case(""), "is empty"),
    "labels.csv header only": (_labels_case("id,breed\n"), "no rows"),
    "labels.csv unclosed quote": (_labels_case('id,breed\n"a,x\nb,y\n'), "not a readable CSV"),
    "labels.csv empty breed": (_labels_case("id,breed\na,\nb,y\n"), "line 2: empty breed"),
    "labels.csv duplicate ids": (_labels_case("id,breed\na,x\nb,y\na,y\n"), "more than once"),
    "id with slash": (_labels_case("id,breed\na,x\n../b,y\n"), "line 3: id '../b' contains"),
    "id is ..": (_labels_case("id,breed\n..,x\nb,y\n"), "line 2: id '..' contains"),
    "breed with slash": (_labels_case("id,breed\na,x/y\nb,y\n"), "breed 'x/y' contains"),
    "no listed file exists": (
        _labels_case("id,breed\nzz,x\nyy,y\n"),
        "none of the 2 files listed",
    ),
    "labels file missing": (
        lambda tmp: [*_labels_case("id,breed\na,x\n")(tmp), "--labels", tmp / "none.csv"],
        "none.csv does not exist",
    ),
    "folders without class folders": (_flat_only, "no class subfolders"),
    "folders with one class": (_one_class, "only one class folder (only)"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_one_error_line_exit_2_nothing_written(tmp_path, case):
    make, fragment = BAD_INPUT[case]
    out = tmp_path / "out"
    assert_failed(run_cli(*make(tmp_path), "--out", out), out, fragment)


def test_out_inside_source_is_refused(tmp_path):
    src = make_class_folders(tmp_path / "src", COLORS, 3)
    before = tree_hash(src)
    out = src / "split"
    assert_failed(run_cli("folders", "--source", src, "--out", out), out, "must not be the source")
    assert tree_hash(src) == before


def test_bad_fractions_and_counts_raise():
    with pytest.raises(DatasetError, match="test size must be"):
        build_folders("unused", "unused", test_size=1.0)
    with pytest.raises(DatasetError, match="need train >= 1"):
        build_cats_vs_dogs("unused", "unused", train=0)


# --------------------------------------------------------------------------- download


def test_download_without_internet_is_one_clear_error(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    result = run_cli(
        "cats-vs-dogs", "--out", out, "--cache-dir", cache, env={"PETIMAGES_URL": UNREACHABLE}
    )
    assert_failed(result, out, "error: could not download the PetImages archive")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no internet?" in result.stderr and "--source DIR" in result.stderr
    assert petimages.PETIMAGES_URL in result.stderr  # where to get it by hand
    assert not cache.exists()


def _petimages_zip(path: Path, per_class: int = 7) -> Path:
    """A small PetImages-like zip (with Thumbs.db and one corrupt file)."""
    folder = make_class_folders(
        path.parent / "zipsrc" / "PetImages",
        {"Cat": COLORS["cat"], "Dog": COLORS["dog"]},
        per_class,
    )
    (folder / "Cat" / "Thumbs.db").write_bytes(b"\0")
    (folder / "Dog" / "666.jpg").write_bytes(b"corrupt")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme[1].txt", "licence")
        for p in sorted(folder.rglob("*")):
            zf.write(p, p.relative_to(folder.parent).as_posix())
    return path


def test_download_from_file_url_builds_and_caches(tmp_path):
    url = _petimages_zip(tmp_path / "pets.zip").as_uri()
    cache, out = tmp_path / "cache", tmp_path / "out"
    args = ["cats-vs-dogs", "--out", out, "--cache-dir", cache, "--train", "4"]
    args += ["--validation", "1", "--test", "1"]
    result = run_cli(*args, env={"PETIMAGES_URL": url})
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in cache.iterdir()) == ["PetImages"]  # zip and temp dirs removed
    assert (cache / "PetImages" / "Cat").is_dir()
    assert set(check_split(out)["class"]) == {"cat", "dog"}
    # second run: the cache is used, the (unreachable) URL is not touched
    out2 = tmp_path / "out2"
    result = run_cli(*args[:2], out2, *args[3:], env={"PETIMAGES_URL": UNREACHABLE})
    assert result.returncode == 0, result.stderr
    assert read_manifest(out2).equals(read_manifest(out))


def test_download_of_a_bad_archive_raises(tmp_path):
    not_zip = tmp_path / "x.zip"
    not_zip.write_text("html error page")
    with pytest.raises(DatasetError, match="not a valid zip"):
        download_petimages(tmp_path / "c1", url=not_zip.as_uri(), progress=False)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("something/else.txt", "x")
    with pytest.raises(DatasetError, match="no PetImages"):
        download_petimages(tmp_path / "c2", url=other.as_uri(), progress=False)
    assert [p.name for p in (tmp_path / "c2").iterdir()] == []  # no leftovers


# --------------------------------------------------------------------------- existing OUT


def test_existing_out_untouched_without_force_and_replaced_with_force(flat_cats_dogs, tmp_path):
    out = tmp_path / "out"
    common = ["cats-vs-dogs", "--source", flat_cats_dogs, "--out", out, "--train", "6"]
    common += ["--validation", "3", "--test", "3"]
    assert run_cli(*common, "--seed", "1").returncode == 0
    first = read_manifest(out)
    before = tree_hash(out)
    result = run_cli(*common, "--seed", "2")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {out} already exists; use --force (force=True) to rebuild it"
    )
    assert tree_hash(out) == before
    assert run_cli(*common, "--seed", "2", "--force").returncode == 0
    replaced = check_split(out)
    assert not replaced.equals(first)
    fresh = tmp_path / "fresh"
    build_cats_vs_dogs(fresh, flat_cats_dogs, 6, 3, 3, seed=2, progress=False)
    assert replaced.equals(read_manifest(fresh))
    assert leftovers(out) == []


def test_force_refuses_a_folder_not_built_here(flat_cats_dogs, tmp_path):
    out = tmp_path / "mine"
    (out / "sub").mkdir(parents=True)
    (out / "precious.txt").write_text("keep me")
    before = tree_hash(out)
    args = ["--train", "4", "--validation", "1", "--test", "1", "--force"]
    result = run_cli("cats-vs-dogs", "--source", flat_cats_dogs, "--out", out, *args)
    assert result.returncode == 2 and "refusing to replace" in result.stderr
    assert tree_hash(out) == before


def test_interrupted_build_leaves_nothing(flat_cats_dogs, tmp_path, monkeypatch):
    real_copy, calls = sf.shutil.copy2, []

    def flaky_copy(src, dst):
        calls.append(src)
        if len(calls) > 5:
            raise KeyboardInterrupt
        return real_copy(src, dst)

    out = tmp_path / "out"
    monkeypatch.setattr(sf.shutil, "copy2", flaky_copy)
    with pytest.raises(KeyboardInterrupt):
        build_cats_vs_dogs(out, flat_cats_dogs, 6, 3, 3, progress=False)
    assert not out.exists() and leftovers(out) == []
    # with --force, an interrupted rebuild keeps the old split intact
    monkeypatch.setattr(sf.shutil, "copy2", real_copy)
    build_cats_vs_dogs(out, flat_cats_dogs, 6, 3, 3, progress=False)
    before = tree_hash(out)
    calls.clear()
    monkeypatch.setattr(sf.shutil, "copy2", flaky_copy)
    with pytest.raises(KeyboardInterrupt):
        build_cats_vs_dogs(out, flat_cats_dogs, 6, 3, 3, seed=3, force=True, progress=False)
    assert tree_hash(out) == before and leftovers(out) == []


# --------------------------------------------------------------------------- determinism


def test_same_manifest_whatever_hash_seed_or_creation_order(tmp_path):
    src_a = flat_source(tmp_path / "a", order="forward")
    src_b = flat_source(tmp_path / "b", order="reverse")
    manifests = []
    for src, hashseed in ((src_a, "1"), (src_b, "12345")):
        out = tmp_path / f"out-{hashseed}"
        args = ["cats-vs-dogs", "--source", src, "--out", out, "--train", "5", "--validation", "3"]
        result = run_cli(*args, "--test", "2", env={"PYTHONHASHSEED": hashseed})
        assert result.returncode == 0, result.stderr
        manifests.append((out / "manifest.csv").read_bytes())
    assert manifests[0] == manifests[1]


def test_same_split_whatever_listing_order(tmp_path, monkeypatch):
    src = dog_source(tmp_path / "dogs", {"akita": 9, "beagle": 5, "corgi": 2, "dingo": 1})
    build_dog_breeds(tmp_path / "o1", src, progress=False)
    real_iterdir = Path.iterdir

    def shuffled_iterdir(self):
        entries = list(real_iterdir(self))
        random.Random(len(entries)).shuffle(entries)
        return iter(entries)

    monkeypatch.setattr(Path, "iterdir", shuffled_iterdir)
    build_dog_breeds(tmp_path / "o2", src, progress=False)
    m1 = (tmp_path / "o1" / "manifest.csv").read_bytes()
    assert m1 == (tmp_path / "o2" / "manifest.csv").read_bytes()
    build_dog_breeds(tmp_path / "o3", src, seed=7, progress=False)
    assert (tmp_path / "o3" / "manifest.csv").read_bytes() != m1  # the seed matters


# --------------------------------------------------------------------------- dog breeds


def test_dog_breeds_rare_classes_and_fractions(tmp_path):
    sizes = {"akita": 40, "beagle": 40, "collie": 40, "one": 1, "two": 2, "three": 3}
    src = dog_source(tmp_path / "dogs", sizes)
    out = tmp_path / "out"
    summary = build_dog_breeds(out, src, progress=False)
    check_split(out)
    counts = split_counts(out)
    assert (counts.drop("total")["train"] >= 1).all()
    for breed in ("akita", "beagle", "collie"):  # test 30 %, then 15 % of the rest
        assert counts.loc[breed].tolist() == [24, 4, 12, 40]
    assert counts.loc["one"].tolist() == [1, 0, 0, 1]
    assert counts.loc["two"].tolist() == [1, 0, 1, 2]
    assert counts.loc["three"].tolist() == [1, 1, 1, 3]
    assert summary.n_images == sum(sizes.values())
    # every class has a folder in every split (empty for "one" in validation and test), so a
    # loader given the training split's class names finds them all
    for split in ("train", "validation", "test"):
        assert sorted(p.name for p in (out / split).iterdir()) == sorted(sizes), split
    assert not any((out / "test" / "one").iterdir())


def test_dog_breeds_missing_and_unlisted_files_are_skipped(tmp_path):
    src = dog_source(tmp_path / "dogs", {"akita": 6, "beagle": 6})
    with open(src / "labels.csv", "a") as f:
        f.write("gone1,akita\ngone2,beagle\n")
    write_image(src / "train" / "stray.jpg")
    (src / "train" / "akita000x.jpg").write_bytes(b"")  # listed but empty
    out = tmp_path / "out"
    result = run_cli("dog-breeds", "--source", src, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "warning: 2 of 14 files listed in labels.csv are missing" in result.stderr
    assert skipped_reasons(out) == {
        "train/akita000x.jpg": "empty file",
        "train/gone1.jpg": "listed in labels.csv but missing",
        "train/gone2.jpg": "listed in labels.csv but missing",
        "train/stray.jpg": "not in labels.csv",
    }
    assert split_counts(out).loc["total", "total"] == 11


def test_dog_breeds_source_may_be_the_image_folder(tmp_path):
    src = dog_source(tmp_path / "dogs", {"akita": 5, "beagle": 5})
    build_dog_breeds(tmp_path / "o1", src, progress=False)
    build_dog_breeds(tmp_path / "o2", src / "train", labels=src / "labels.csv", progress=False)
    assert read_manifest(tmp_path / "o1").equals(read_manifest(tmp_path / "o2"))


# --------------------------------------------------------------------------- folders


def test_folders_mode_accepts_all_modes_and_skips_nested(tmp_path):
    src = tmp_path / "src"
    for i, (mode, ext) in enumerate(
        [
            ("L", "jpg"),
            ("CMYK", "jpg"),
            ("P", "png"),
            ("RGBA", "png"),
            ("P", "gif"),
            ("RGB", "bmp"),
            ("RGB", "jpeg"),
        ]
    ):
        write_image(src / "odd" / f"img{i}.{ext}", mode=mode)
        write_image(src / "plain" / f"img{i}.jpg")
    write_image(src / "plain" / "nested" / "deep.jpg")
    write_image(src / "loose.jpg")
    before = tree_hash(src)
    out = tmp_path / "out"
    result = run_cli("folders", "--source", src, "--out", out)
    assert result.returncode == 0, result.stderr
    manifest = check_split(out)
    assert (manifest["class"] == "odd").sum() == 7 and (manifest["class"] == "plain").sum() == 7
    assert split_counts(out).loc["odd"].tolist() == [5, 1, 1, 7]  # defaults: 20 %, 20 % of rest
    assert skipped_reasons(out) == {
        "loose.jpg": "not in a class subfolder",
        "plain/nested": "subfolder (only files directly in a class folder are used)",
    }
    assert tree_hash(src) == before


def test_split_exists_and_read_manifest(tmp_path):
    assert not split_exists(tmp_path / "nothing")
    (tmp_path / "partial" / "train").mkdir(parents=True)
    assert not split_exists(tmp_path / "partial")
    with pytest.raises(DatasetError, match="build the split first"):
        read_manifest(tmp_path / "partial")


# --------------------------------------------------------------------------- real data


@needs_shared
def test_real_dog_breeds_split(tmp_path):
    out = tmp_path / "dogs"
    result = run_cli("dog-breeds", "--source", DOG_BREEDS_SOURCE, "--out", out)
    assert result.returncode == 0, result.stderr
    manifest = check_split(out)
    n_skipped = len(skipped_reasons(out))
    labels = pd.read_csv(DOG_BREEDS_SOURCE / "labels.csv")
    assert len(manifest) == len(labels) - n_skipped == 1000 - n_skipped
    counts = split_counts(out).drop("total")
    assert len(counts) == 120 and (counts["train"] >= 1).all()
    assert abs(counts["test"].sum() / len(manifest) - 0.3) < 0.03


@needs_shared
def test_real_cats_vs_dogs_small_split(tmp_path):
    out = tmp_path / "cvd"
    args = ["--train", "20", "--validation", "10", "--test", "10"]
    result = run_cli("cats-vs-dogs", "--source", CATS_DOGS_SOURCE, "--out", out, *args)
    assert result.returncode == 0, result.stderr
    manifest = check_split(out)
    assert split_counts(out).loc["total"].tolist() == [40, 20, 20, 80]
    assert all((CATS_DOGS_SOURCE / Path(f).name).is_file() for f in manifest["file"])


# --------------------------------------------------------------------------- issue 15


@pytest.mark.parametrize("other", ["akita001x.jpg", "akita001x.JPG", "akita001x"])
def test_15_1_an_image_listed_twice_in_labels_csv_is_an_error(tmp_path, other):
    src = dog_source(tmp_path / "dogs", {"akita": 4, "beagle": 4})
    with open(src / "labels.csv", "a") as f:
        f.write(f"{other},beagle\n")
    out = tmp_path / "out"
    result = run_cli("dog-breeds", "--source", src, "--out", out)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert line.startswith("error: ") and len(line.splitlines()) == 1
    assert "same image twice" in line and "line 3" in line and "line 10" in line
    assert not out.exists()


def test_15_1_an_id_in_another_case_finds_its_file(tmp_path):
    src = dog_source(tmp_path / "dogs", {"akita": 3, "beagle": 3})
    text = (src / "labels.csv").read_text().replace("akita000x,", "AKITA000X.JPG,")
    (src / "labels.csv").write_text(text)
    summary = build_dog_breeds(tmp_path / "out", src, progress=False)
    assert summary.n_images == 6 and summary.skipped.empty


def test_15_8_a_split_with_one_valid_class_is_refused(tmp_path):
    src = make_class_folders(tmp_path / "src", {"good": (200, 30, 30)}, per_class=4)
    (src / "bad").mkdir()
    for i in range(3):
        (src / "bad" / f"b{i}.jpg").write_bytes(b"not an image")
    out = tmp_path / "out"
    result = run_cli("folders", "--source", src, "--out", out)
    assert result.returncode == 2, result.stderr
    assert "only one class has valid images (good" in result.stderr
    assert not out.exists()


def _exif_turned_jpeg(path: Path) -> Path:
    """A 40x20 photo, red left half, stored with EXIF orientation 6 (shown turned by 90°)."""
    from PIL import Image

    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :20] = (220, 20, 20)
    arr[:, 20:] = (20, 20, 220)
    img = Image.fromarray(arr)
    exif = img.getexif()
    exif[0x0112] = 6
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=95, exif=exif)
    return path


def _palette_bmp(path: Path) -> Path:
    from PIL import Image

    arr = np.zeros((16, 16, 3), np.uint8)
    arr[:8] = (250, 200, 0)  # yellow top, teal bottom: indices 0/1 would read as near black
    arr[8:] = (0, 150, 160)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).convert("P", palette=Image.ADAPTIVE, colors=4).save(path, "BMP")
    return path


def _what_pillow_shows(path: Path) -> np.ndarray:
    from PIL import Image, ImageOps

    with Image.open(path) as img:
        return np.asarray(ImageOps.exif_transpose(img).convert("RGB"), np.float32)


def test_15_6_and_15_7_the_model_reads_what_pillow_shows(tmp_path):
    from utils.data import read_images

    src = make_class_folders(tmp_path / "src", {"a": (200, 30, 30), "b": (30, 30, 200)}, 3)
    turned = _exif_turned_jpeg(src / "a" / "phone.jpg")
    palette = _palette_bmp(src / "b" / "palette.bmp")
    out = tmp_path / "out"
    build_folders(out, src, progress=False)
    manifest = read_manifest(out)
    for original in (turned, palette):
        placed = out / manifest.loc[manifest["file"].str.endswith(original.name), "file"].item()
        shown = _what_pillow_shows(original)
        read = read_images([str(placed)], shown.shape[:2], raw=True)[0]
        tolerance = 12 if original.suffix == ".jpg" else 0  # JPEG re-encoding
        assert np.abs(read - shown).mean() <= tolerance, original.name
    assert read_images([str(out / manifest["file"][0])], 8).shape == (1, 8, 8, 3)


def test_15_10_stale_temporaries_of_killed_builds_are_removed(tmp_path):
    src = make_class_folders(tmp_path / "src", {"a": (200, 30, 30), "b": (30, 30, 200)}, 3)
    dead = tmp_path / ".out.tmp-999999999-abc"  # no such process
    dead_old = tmp_path / ".out.old-999999999-xyz"
    running = tmp_path / f".out.tmp-{os.getpid()}-def"  # a build still going on
    other = tmp_path / ".other.tmp-999999999-abc"  # another split's
    for folder in (dead, dead_old, running, other):
        (folder / "train").mkdir(parents=True)
    build_folders(tmp_path / "out", src, progress=False)
    assert not dead.exists() and not dead_old.exists()
    assert running.exists() and other.exists()


@needs_shared
def test_15_10_sigterm_ends_a_build_like_ctrl_c(tmp_path):
    import signal
    import time

    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "build_dataset.py", "cats-vs-dogs", "--source", str(CATS_DOGS_SOURCE)]
        + ["--out", str(out), "--no-progress"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.tmp-*")) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.strip() == "error: interrupted; nothing was written"
    assert not out.exists() and not list(tmp_path.glob(".out.*"))


def _two_classes(tmp_path: Path) -> Path:
    return make_class_folders(tmp_path / "src", {"a": (200, 30, 30), "b": (30, 30, 200)}, 3)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--seed", "-1"], "argument --seed: must be >= 0"),
        (["--test-size", "2"], "argument --test-size: must be in [0, 1)"),
    ],
)
def test_15_12_bad_arguments_are_one_error_line(tmp_path, extra, message):
    result = run_cli("folders", "--source", _two_classes(tmp_path), "--out", tmp_path / "o", *extra)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr


@pytest.mark.parametrize("where", ["read-only", "name too long"])
def test_15_12_unwritable_output_is_one_error_line(tmp_path, where):
    if where == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        parent = tmp_path / "ro"
        parent.mkdir()
        parent.chmod(0o555)
        out = parent / "out"
    else:
        out = tmp_path / ("x" * 300)
    result = run_cli("folders", "--source", _two_classes(tmp_path), "--out", out)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: cannot write the split")


def test_15_12_a_file_name_that_is_not_utf8_is_kept_and_readable(tmp_path):
    from utils.data import list_images, read_images

    src = _two_classes(tmp_path)
    odd = os.fsdecode(b"caf\xe9.jpg")
    (src / "a" / odd).write_bytes((src / "a" / "a_000.png").read_bytes())
    out = tmp_path / "out"
    result = run_cli("folders", "--source", src, "--out", out)
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(out)
    assert len(manifest) == 7 and manifest["file"].str.endswith(odd).sum() == 1
    paths = [p for split in SPLITS for p in list_images(out / split)[0]]
    assert any(p.endswith(odd) for p in paths)
    assert read_images(paths, 8).shape == (7, 8, 8, 3)


def test_15_14_broken_and_looping_symlinks_are_listed_in_skipped_csv(tmp_path):
    src = _two_classes(tmp_path)
    (src / "a" / "dangling.jpg").symlink_to(tmp_path / "nowhere.jpg")
    (src / "b" / "loop.jpg").symlink_to(src / "b" / "loop.jpg")
    out = tmp_path / "out"
    build_folders(out, src, progress=False)
    reasons = dict(pd.read_csv(out / "skipped.csv").values)
    assert reasons["a/dangling.jpg"].startswith("broken symbolic link")
    assert reasons["b/loop.jpg"] in ("symbolic link loop", "broken symbolic link")


def test_15_14_the_split_honours_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        build_folders(tmp_path / "out", _two_classes(tmp_path), progress=False)
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755


def test_15_14_a_huge_image_is_one_reason_not_a_warning(tmp_path, capfd):
    from PIL import Image

    from utils.image_files import MAX_PIXELS

    src = _two_classes(tmp_path)
    side = int(MAX_PIXELS**0.5) + 10
    Image.new("L", (side, side)).save(src / "a" / "huge.png")
    out = tmp_path / "out"
    build_folders(out, src, progress=False)
    reasons = dict(pd.read_csv(out / "skipped.csv").values)
    assert reasons["a/huge.png"].startswith(f"image too large ({side} x {side}")
    assert "DecompressionBomb" not in capfd.readouterr().err


def test_a_split_of_an_earlier_version_gets_its_empty_class_folders(tmp_path):
    from utils.split_folder import add_missing_class_folders

    src = dog_source(tmp_path / "dogs", {"akita": 10, "one": 1})
    out = tmp_path / "out"
    build_dog_breeds(out, src, progress=False)
    for split in ("validation", "test"):  # as earlier versions wrote it
        (out / split / "one").rmdir()
    added = add_missing_class_folders(out)
    assert sorted(p.relative_to(out).as_posix() for p in added) == ["test/one", "validation/one"]
    assert add_missing_class_folders(out) == []
    check_split(out)
