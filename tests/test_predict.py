"""predict.py: inputs, outputs, sidecar checks, bad files and bad models.

Tests named ``test_14_5_*`` and ``test_15_N_*`` cover the items of issues 14 and 15.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageOps

import predict
from tests.conftest import CATS_DOGS_SOURCE, HAVE_SHARED, ROOT, write_image
from utils.saving import save_model

SIZE = 24


def _model(n_classes: int) -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(2, 3, activation="relu")(x)
    x = keras.layers.Flatten()(x)  # position-sensitive: a turned photo gets another answer
    if n_classes == 2:
        outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    else:
        outputs = keras.layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="session")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("predict_models")
    binary = save_model(_model(2), folder / "binary.h5", ["cat", "dog"], epochs=1)
    multi = save_model(_model(3), folder / "multi.h5", ["a", "b", "c"], epochs=1)
    return binary, multi


@pytest.fixture
def photos(tmp_path) -> Path:
    """good.jpg, sub/deeper/GOOD2.PNG, sub/third.bmp, a corrupt and a truncated .jpg,
    notes.txt, .hidden/skip.jpg."""
    root = tmp_path / "photos"
    if HAVE_SHARED:
        (root / "sub" / "deeper").mkdir(parents=True)
        shutil.copy(CATS_DOGS_SOURCE / "cat.0.jpg", root / "good.jpg")
    else:
        write_image(root / "good.jpg", color=(200, 60, 40))
    write_image(root / "sub" / "deeper" / "GOOD2.PNG", color=(40, 60, 200))
    write_image(root / "sub" / "third.bmp", color=(40, 200, 60))
    (root / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    (root / "truncated.jpg").write_bytes((root / "good.jpg").read_bytes()[:300])
    (root / "notes.txt").write_text("not an image")
    write_image(root / ".hidden" / "skip.jpg")
    return root


def _main(capsys, *args) -> tuple[int, str, str]:
    """predict.main in this process: (exit code, stdout, stderr)."""
    try:
        code = predict.main([str(a) for a in args])
    except SystemExit as stop:  # argparse's refusals
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def _refused(capsys, *args) -> str:
    """predict.main must refuse with exit code 2 and one ``error:`` line: that line."""
    code, out, err = _main(capsys, *args)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def _run(*args, **kwargs):
    return subprocess.run(
        [sys.executable, str(ROOT / "predict.py"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        **kwargs,
    )


# --------------------------------------------------------------------------- library


def test_collect_images_recursive_case_insensitive(photos):
    files, problems = predict.collect_images(
        [photos, photos / "good.jpg", photos / "notes.txt", "nope"]
    )
    names = sorted(f.name for f in files)
    assert names == [
        "GOOD2.PNG",
        "corrupt.jpg",
        "good.jpg",
        "notes.txt",
        "third.bmp",
        "truncated.jpg",
    ]
    assert problems == [("nope", "no such file or folder")]
    empty = photos / "empty"
    empty.mkdir()
    assert predict.collect_images([empty])[1][0][1] == "no image files in this folder"


def test_one_line_errors():
    import tensorflow as tf

    from utils.data import read_images

    with pytest.raises(tf.errors.OpError) as caught:
        read_images([str(ROOT / "README.md")], SIZE)
    line = predict.one_line(caught.value)
    assert "\n" not in line and "{{" not in line and "[Op:" not in line and line
    assert predict.one_line(ValueError("a\n  b   c")) == "a b c"
    assert predict.one_line(KeyError()) == "KeyError"
    assert len(predict.one_line(ValueError("x" * 1000))) == 300


def test_predict_files_skips_bad_files_and_matches_the_model(photos, saved):
    from utils.data import read_images
    from utils.saving import load_with_info

    model, info = load_with_info(saved[0])
    files, _ = predict.collect_images([photos])
    seen = []
    table, errors = predict.predict_files(
        model,
        files,
        info["class_names"],
        info["image_size"],
        batch_size=2,
        on_error=lambda f, r: seen.append(f),
    )
    assert len(table) == 3 and sorted(Path(f).name for f, _ in errors) == [
        "corrupt.jpg",
        "truncated.jpg",
    ]
    assert [f for f, _ in errors] == seen
    assert all(reason.startswith("not a readable image (") for _, reason in errors)
    x = read_images(list(table["file"]), SIZE, raw=True)  # the training pipeline's pixels
    p_dog = model.predict(x, verbose=0)[:, 0]
    expected = np.where(p_dog > 0.5, p_dog, 1 - p_dog)
    np.testing.assert_allclose(table["probability"], expected, rtol=1e-5)
    assert table["class"].tolist() == ["dog" if p > 0.5 else "cat" for p in p_dog]


def test_predict_reads_the_files_a_split_would_take(tmp_path):
    # one folder, every kind of name: predict.py and the split builder keep the same files
    from utils.image_files import image_files

    folder = tmp_path / "mixed"
    for name in ["a.jpg", "b.JPEG", "c.png", "d.Bmp", "e.gif", "f.webp", "g.tif", ".i.jpg"]:
        write_image(folder / name)
    (folder / "h.txt").write_text("not an image")
    (folder / "Thumbs.db").write_bytes(b"")
    found, problems = predict.collect_images([folder])
    skipped: list = []
    kept = image_files(folder, skipped)
    assert sorted(p.name for p in found) == sorted(p.name for p in kept)
    assert sorted(p.name for p in kept) == ["a.jpg", "b.JPEG", "c.png", "d.Bmp", "e.gif"]


# --------------------------------------------------------------------------- issue 14.5


def test_14_5_table_csv_and_json_one_row_per_file(photos, saved, tmp_path, capsys):
    out_csv, out_json = tmp_path / "out" / "pred.csv", tmp_path / "out" / "pred.json"
    code, out, err = _main(
        capsys,
        "--model",
        saved[1],
        photos,
        photos / "notes.txt",
        "--top",
        "2",
        "--batch-size",
        "2",
        "--csv",
        out_csv,
        "--json",
        out_json,
    )
    assert code == 0  # bad files are reported, the others classified
    skipped = [line for line in err.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 3 and any("notes.txt" in line for line in skipped)
    assert "100%" in err  # 4 candidate files > batch of 2: a progress bar
    header, *rows = out.splitlines()
    assert header.split() == ["file", "class", "probability", "then", "(top", "2)"]
    end = header.index("probability") + len("probability")  # numbers right-aligned below
    assert all(0 <= float(row[end - 6 : end]) <= 1 for row in rows)
    assert len(rows) == 3 and any("GOOD2.PNG" in row for row in rows)

    table = pd.read_csv(out_csv)
    assert list(table.columns) == ["file", "class", "probability", "class_2", "probability_2"]
    assert len(table) == 3 and table["probability"].between(0, 1).all()
    assert (table["probability"] >= table["probability_2"]).all()
    records = json.loads(out_json.read_text())
    assert [r["file"] for r in records] == table["file"].tolist()
    for record, (_, row) in zip(records, table.iterrows(), strict=True):
        assert record["class"] == row["class"] == record["top"][0]["class"]
        assert [t["class"] for t in record["top"]] == [row["class"], row["class_2"]]
        np.testing.assert_allclose(
            [t["probability"] for t in record["top"]], [row["probability"], row["probability_2"]]
        )


def test_14_5_globs_file_lists_and_stdout(photos, saved, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    listing = tmp_path / "list.txt"
    listing.write_text("# my photos\nphotos/good.jpg\n\nphotos/sub\nphotos/*.nothing\n")
    code, out, err = _main(
        capsys, "--model", saved[0], "photos/**/*.PNG", f"@{listing}", "--csv", "-"
    )
    assert code == 0
    table = pd.read_csv(io.StringIO(out))  # only the CSV on stdout: no table
    assert sorted(table["file"]) == sorted(
        ["photos/sub/deeper/GOOD2.PNG", "photos/good.jpg", "photos/sub/third.bmp"]
    )
    assert err.strip() == "skipped photos/*.nothing: no file matches this pattern"
    code, out, err = _main(capsys, "--model", saved[0], "photos/*.jpg", "--json", "-")
    assert code == 0 and [r["file"] for r in json.loads(out)] == ["photos/good.jpg"]
    assert len(err.strip().splitlines()) == 2  # corrupt.jpg, truncated.jpg


def test_14_5_missing_model_exit_2_one_line(tmp_path):
    result = _run("--model", tmp_path / "nope.h5", tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: no model at {tmp_path / 'nope.h5'}"]
    assert result.stdout == ""


def test_14_5_unloadable_model_exit_2_one_line(tmp_path, saved, photos, capsys):
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    shutil.copy(saved[0].with_suffix(".json"), junk.with_suffix(".json"))
    no_sidecar = tmp_path / "alone.h5"
    shutil.copy(saved[0], no_sidecar)
    assert "cannot load model" in _refused(capsys, "--model", junk, photos)
    assert "alone.json is missing" in _refused(capsys, "--model", no_sidecar, photos)
    result = _run("--model", junk, photos)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot load model {junk}")


def test_cli_nothing_readable_exits_1(photos, saved, capsys):
    code, _, err = _main(capsys, "--model", saved[0], photos / "corrupt.jpg")
    assert code == 1 and "no image could be predicted" in err


# --------------------------------------------------------------------------- issue 15.5


@pytest.mark.parametrize(
    ("which", "change", "expected"),
    [
        (0, {"class_names": ["a", "b", "c"]}, "names 3 classes but the model has 1 sigmoid unit"),
        (0, {"class_names": ["cat"]}, "2 or more distinct classes"),
        (1, {"class_names": ["a", "b"]}, "names 2 classes but the model has 3 outputs"),
        (1, {"class_names": ["a", "b", "b"]}, "2 or more distinct classes"),
        (0, {"class_names": "cat,dog"}, "class_names must be a list of strings, got 'cat,dog'"),
        (0, {"class_names": ["cat", 1]}, "class_names must be a list of strings"),
        (0, {"image_size": [150, 150]}, "does not match the model's input 24 x 24"),
        (0, {"image_size": "big"}, "image_size must be [height, width], got 'big'"),
    ],
)
def test_15_5_sidecar_checked_against_the_model(
    which, change, expected, saved, photos, tmp_path, capsys
):
    model = shutil.copy(saved[which], tmp_path / "model.h5")
    info = json.loads(saved[which].with_suffix(".json").read_text())
    (tmp_path / "model.json").write_text(json.dumps({**info, **change}))
    line = _refused(capsys, "--model", model, photos / "good.jpg")
    assert expected in line


# --------------------------------------------------------------------------- issue 15.7

T = Image.Transpose
INVERSE = {  # how a camera stores an upright scene for each EXIF orientation
    2: T.FLIP_LEFT_RIGHT,
    3: T.ROTATE_180,
    4: T.FLIP_TOP_BOTTOM,
    5: T.TRANSPOSE,
    6: T.ROTATE_90,
    7: T.TRANSVERSE,
    8: T.ROTATE_270,
}


def _turned(path: Path, upright: Image.Image, orientation: int, **save) -> Path:
    """``upright`` stored as a camera on its side would store it, with its EXIF orientation."""
    exif = Image.Exif()
    exif[0x0112] = orientation  # EXIF Orientation
    stored = upright.transpose(INVERSE[orientation]) if orientation in INVERSE else upright
    stored.save(path, exif=exif, **save)
    with Image.open(path) as img:  # Pillow itself shows it upright (JPEG: but for compression)
        shows = np.asarray(ImageOps.exif_transpose(img), dtype=float)
    assert np.abs(shows - np.asarray(upright)).mean() < (3 if path.suffix == ".jpg" else 1e-9)
    return path


def test_15_7_exif_orientation_as_the_split_builder(saved, tmp_path, capsys):
    from utils.data import read_images
    from utils.saving import load_with_info
    from utils.split_folder import place_image

    y, x = np.mgrid[0:30, 0:40]  # smooth (JPEG keeps it well) and different in every direction
    upright = Image.fromarray(np.dstack([x * 6, y * 8, x * y // 5]).astype(np.uint8))
    upright.save(tmp_path / "upright.png")
    expected = read_images([str(tmp_path / "upright.png")], SIZE, raw=True)[0]
    turned = _turned(tmp_path / "turned_6.png", upright, 6)  # a phone held the usual way
    model, info = load_with_info(saved[1])
    files = [tmp_path / "upright.png", turned]
    table, _ = predict.predict_files(model, files, info["class_names"], info["image_size"])
    assert table["class"].nunique() == 1  # the same answer, to the last digit
    assert table["probability"].nunique() == 1, table

    for orientation in range(1, 9):
        turned = _turned(tmp_path / f"turned_{orientation}.png", upright, orientation)
        place_image(turned, tmp_path / f"split_{orientation}.png")  # what the builder writes
        in_split = read_images([str(tmp_path / f"split_{orientation}.png")], SIZE, raw=True)[0]
        np.testing.assert_array_equal(in_split, expected)
        np.testing.assert_array_equal(predict.read_image(turned, (SIZE, SIZE)), expected)

    upright.save(tmp_path / "upright.jpg", quality=95)  # JPEG: the same but for compression
    turned_jpg = _turned(tmp_path / "turned.jpg", upright, 6, quality=95)
    place_image(turned_jpg, tmp_path / "split.jpg")
    in_split = read_images([str(tmp_path / "split.jpg")], SIZE, raw=True)[0]
    assert np.abs(predict.read_image(turned_jpg, (SIZE, SIZE)) - in_split).mean() < 3

    code, out, _ = _main(
        capsys,
        "--model",
        saved[1],
        tmp_path / "upright.png",
        tmp_path / "turned_6.png",
        "--csv",
        "-",
    )
    table = pd.read_csv(io.StringIO(out))
    assert code == 0 and len(table) == 2
    assert table["class"].nunique() == 1 and table["probability"].nunique() == 1


# --------------------------------------------------------------------------- issue 15.9


def test_15_9_outputs_refuse_inputs_model_sidecar_and_folders(saved, photos, tmp_path, capsys):
    model = shutil.copy(saved[0], tmp_path / "model.h5")
    sidecar = shutil.copy(saved[0].with_suffix(".json"), tmp_path / "model.json")
    listing = tmp_path / "list.txt"
    listing.write_text(f"{photos / 'sub'}\n")
    good = photos / "good.jpg"
    before = {p: Path(p).read_bytes() for p in (model, sidecar, listing, good)}
    for option in ("--csv", "--json"):
        for target, what in [
            (good, "one of the inputs"),
            (model, "the model"),
            (sidecar, "the model's sidecar"),
            (listing, "one of the inputs"),
        ]:
            line = _refused(capsys, "--model", model, photos, f"@{listing}", option, target)
            assert line == f"error: {option} {target} is {what}: give another file name"
        assert "is a folder" in _refused(capsys, "--model", model, photos, option, tmp_path)
    assert "both name" in _refused(capsys, "--model", model, good, "--csv", "-", "--json", "-")
    assert {p: Path(p).read_bytes() for p in before} == before
    code, out, _ = _main(capsys, "--model", model, good, "--json", "-")
    assert code == 0 and json.loads(out)[0]["file"] == str(good)
    assert not Path("-").exists()


# --------------------------------------------------------------------------- issue 15.12


def test_15_12_csv_naming_a_folder_one_line(saved, photos, tmp_path, capsys):
    folder = tmp_path / "results"
    folder.mkdir()
    line = _refused(capsys, "--model", saved[0], photos, "--csv", folder)
    assert line == f"error: --csv {folder} is a folder; give a file name"
    line = _refused(capsys, "--model", saved[0], photos, "--csv", f"{tmp_path / 'new'}/")
    assert "is a folder" in line


def test_15_12_non_utf8_file_name_is_classified(saved, tmp_path, capsys):
    folder = tmp_path / "photos"
    name = os.fsdecode(b"caf\xe9 photo.png")  # Latin-1 bytes: not UTF-8
    folder.mkdir()
    Image.new("RGB", (40, 30), (90, 120, 30)).save(folder / name, "PNG")
    code, out, err = _main(capsys, "--model", saved[0], folder, "--csv", tmp_path / "p.csv")
    assert code == 0 and "skipped" not in err
    assert "caf\ufffd photo.png" in out  # printed with a replacement character
    assert b"caf\xe9 photo.png" in (tmp_path / "p.csv").read_bytes()  # kept byte for byte
    code, _, _ = _main(capsys, "--model", saved[0], folder, "--json", tmp_path / "p.json")
    record = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))[0]
    assert code == 0 and os.fsencode(record["file"]) == os.fsencode(folder / name)


def test_15_12_closed_pipe_no_traceback(saved, photos, monkeypatch, capsys):
    """`predict.py ... | head -2`: the reader goes away; no BrokenPipeError, exit 141 as SIGPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `head` does once it has its lines
    closed = open(write_end, "w")  # noqa: SIM115  (closed below)
    monkeypatch.setattr(sys, "stdout", closed)
    monkeypatch.setattr(sys, "argv", ["predict.py", "--model", str(saved[0]), str(photos)])
    assert predict.run() == 141
    closed.write("what Python flushes at exit\n" * 1000)
    closed.flush()  # the exit's own flush: quiet too (stdout now points at os.devnull)
    closed.close()
    assert "Traceback" not in capsys.readouterr().err


# --------------------------------------------------------------------------- issue 15.14


def test_15_14_batch_size_0_and_top_0_refused_alike(saved, photos, capsys):
    top = _refused(capsys, "--model", saved[0], photos, "--top", "0")
    batch = _refused(capsys, "--model", saved[0], photos, "--batch-size", "0")
    assert top == "error: predict.py: argument --top: must be at least 1, got 0 (see --help)"
    assert batch == top.replace("--top", "--batch-size")


def _huge_png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header says ``width x height`` (its pixel data is a few bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def test_15_14_pixel_limit_as_the_builder(saved, tmp_path, capsys):
    from utils.image_files import MAX_PIXELS, check_image, too_large

    big = _huge_png(tmp_path / "big.png", 8000, 8000)  # 64 megapixels
    huge = _huge_png(tmp_path / "huge.png", 12000, 12000)  # 144: Pillow warns
    good = write_image(tmp_path / "good.png")
    assert 8000 * 8000 > MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        code, out, err = _main(capsys, "--model", saved[0], big, huge, good)
    assert code == 0 and "good.png" in out
    assert err.strip().splitlines() == [
        f"skipped {big}: {too_large(8000, 8000)}",
        f"skipped {huge}: {too_large(12000, 12000)}",
    ]
    assert check_image(big) == too_large(8000, 8000)  # the split builder's reason


# --------------------------------------------------------------------------- issue 22.9


def _run_in(folder: Path, *args) -> subprocess.CompletedProcess:
    """predict.py run in ``folder`` with a 60-second limit (a loop used to never end)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "predict.py"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=60,
    )


def test_22_9_symbolic_link_loops_under_a_glob_are_reported_once(saved, tmp_path):
    """``**`` followed symbolic links: two links back up made a glob search without end."""
    write_image(tmp_path / "photos" / "a.png")
    write_image(tmp_path / "photos" / "sub" / "b.png")
    (tmp_path / "photos" / "self").symlink_to(".")
    (tmp_path / "photos" / "sub" / "up").symlink_to("..")
    result = _run_in(tmp_path, "--model", saved[0], "photos/**/*.png", "--csv", "-")
    assert result.returncode == 0, result.stderr
    assert sorted(pd.read_csv(io.StringIO(result.stdout))["file"]) == [
        "photos/a.png",
        "photos/sub/b.png",
    ]
    loops = [line for line in result.stderr.splitlines() if "loop" in line]
    assert loops == [
        "skipped photos/self: symbolic link loop (back into a folder above): not followed",
        "skipped photos/sub/up: symbolic link loop (back into a folder above): not followed",
    ]


def test_22_9_a_file_list_naming_itself_is_read_once(saved, tmp_path):
    """An @list that named itself through another list grew the queue without end."""
    write_image(tmp_path / "a.png")
    write_image(tmp_path / "b.png")
    (tmp_path / "l.txt").write_text("@m.txt\na.png\n")
    (tmp_path / "m.txt").write_text("@l.txt\nb.png\n")
    result = _run_in(tmp_path, "--model", saved[0], "@l.txt", "--csv", "-")
    assert result.returncode == 0, result.stderr
    assert sorted(pd.read_csv(io.StringIO(result.stdout))["file"]) == ["a.png", "b.png"]
    loops = [line for line in result.stderr.splitlines() if "names itself" in line]
    assert loops == [
        "skipped l.txt: a file list that names itself, directly or through another list: read once"
    ]


def test_22_9_an_image_over_the_limit_is_refused_before_it_is_read(tmp_path):
    """A file was read whole (here half a gigabyte) before its header was checked."""
    import tracemalloc

    big = _huge_png(tmp_path / "big.png", 8000, 8000)
    with open(big, "r+b") as f:
        f.truncate(512 * 2**20)  # sparse: nothing on disk, 512 MiB when read
    tracemalloc.start()
    try:
        with pytest.raises(predict.UnreadableImage, match=r"image too large \(8000 x 8000"):
            predict.read_image(big, (SIZE, SIZE))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB allocated"


def test_22_9_csv_cells_a_spreadsheet_would_run_get_a_quote(saved, tmp_path, capsys, monkeypatch):
    """File and class names starting with = + - @ or a tab ran as formulas in a spreadsheet."""
    model = shutil.copy(saved[0], tmp_path / "model.h5")
    info = json.loads(saved[0].with_suffix(".json").read_text())
    (tmp_path / "model.json").write_text(json.dumps({**info, "class_names": ["=cat", "@dog"]}))
    names = ["=1+1.png", "+x.png", "-y.png", "@z.png", "\tt.png", "plain.png"]
    for name in names:
        write_image(tmp_path / name)
    monkeypatch.chdir(tmp_path)
    code, out, _ = _main(capsys, "--model", model, "--csv", "-", "--", *names)
    assert code == 0
    table = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert sorted(table["file"]) == sorted(["plain.png", *(f"'{n}" for n in names[:-1])])
    assert set(table["class"]) <= {"'=cat", "'@dog"}
    code, out, _ = _main(capsys, "--model", model, "--json", "-", "--", *names)
    assert sorted(r["file"] for r in json.loads(out)) == sorted(names)  # JSON: as they are


class _HalfBroken:
    """A model whose scores are NaN for every second image."""

    def predict_on_batch(self, x):
        scores = np.full((len(x), 1), 0.8)
        scores[1::2] = np.nan
        return scores


def test_22_9_non_finite_scores_are_an_error_for_that_image(saved, tmp_path, capsys):
    """A broken model's NaN scores were printed, and written into JSON as NaN."""
    files = [write_image(tmp_path / f"{i}.png") for i in range(4)]
    seen = []
    table, errors = predict.predict_files(
        _HalfBroken(), files, ["cat", "dog"], (SIZE, SIZE), on_error=lambda f, r: seen.append(f)
    )
    assert table["file"].tolist() == [str(files[0]), str(files[2])]
    assert errors == [(str(files[i]), predict.NOT_FINITE) for i in (1, 3)]
    assert seen == [str(files[1]), str(files[3])]
    assert "NaN" not in predict.as_json(table)

    broken = _model(2)
    last = broken.layers[-1]
    last.set_weights([np.full_like(w, np.nan) for w in last.get_weights()])
    path = save_model(broken, tmp_path / "broken.h5", ["cat", "dog"], epochs=1)
    code, out, err = _main(capsys, "--model", path, *files, "--json", "-")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines[:-1] == [f"skipped {f}: {predict.NOT_FINITE}" for f in files]
    assert lines[-1] == "error: no image could be predicted"


def test_22_9_a_sidecar_with_its_classes_reordered_is_refused(saved, photos, tmp_path, capsys):
    """A sidecar whose class names were swapped was accepted: every label inverted."""
    model = shutil.copy(saved[1], tmp_path / "model.h5")
    info = json.loads(saved[1].with_suffix(".json").read_text())
    (tmp_path / "model.json").write_text(json.dumps({**info, "class_names": ["b", "a", "c"]}))
    line = _refused(capsys, "--model", model, photos / "good.jpg")
    assert "class_names are not in sorted order ('b' before 'a')" in line
