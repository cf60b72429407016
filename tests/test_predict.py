"""predict.py and utils.predict: good, corrupt and non-image files; missing or broken models."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

import predict
from tests.conftest import CATS_DOGS_SOURCE, HAVE_SHARED, ROOT, write_image
from utils import predict as up
from utils.saving import save_model

SIZE = 24


def _model(n_classes: int) -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(2, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    if n_classes == 2:
        outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    else:
        outputs = keras.layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("predict_models")
    binary = save_model(_model(2), folder / "binary.h5", ["cat", "dog"], epochs=1)
    multi = save_model(_model(3), folder / "multi.h5", ["a", "b", "c"], epochs=1)
    return binary, multi


@pytest.fixture
def photos(tmp_path) -> Path:
    """good.jpg, sub/deeper/GOOD2.PNG, a corrupt .jpg, a truncated .jpg, notes.txt, .hidden."""
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


def test_collect_images_recursive_case_insensitive(photos):
    files, problems = up.collect_images([photos, photos / "good.jpg", photos / "notes.txt", "nope"])
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
    assert up.collect_images([empty])[1][0][1] == "no image files in this folder"


def test_one_line_errors():
    import tensorflow as tf

    from utils.data import read_images

    with pytest.raises(tf.errors.OpError) as caught:
        read_images([str(ROOT / "README.md")], SIZE)
    line = up.one_line(caught.value)
    assert "\n" not in line and "{{" not in line and "[Op:" not in line and line
    assert up.one_line(ValueError("a\n  b   c")) == "a b c"
    assert up.one_line(KeyError()) == "KeyError"
    assert len(up.one_line(ValueError("x" * 1000))) == 300


def test_predict_files_skips_bad_files_and_matches_the_model(photos, saved):
    from utils.data import read_images
    from utils.saving import load_model

    model, info = load_model(saved[0])
    files, _ = up.collect_images([photos])
    seen = []
    table, errors = up.predict_files(
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
    x = read_images(list(table["file"]), SIZE, raw=True)
    p_dog = model.predict(x, verbose=0)[:, 0]
    expected = np.where(p_dog > 0.5, p_dog, 1 - p_dog)
    np.testing.assert_allclose(table["probability"], expected, rtol=1e-5)
    assert table["class"].tolist() == ["dog" if p > 0.5 else "cat" for p in p_dog]


def test_cli_good_corrupt_and_non_image(photos, saved, tmp_path, capsys):
    out_csv = tmp_path / "out" / "pred.csv"
    rc = predict.main(
        [
            "--model",
            str(saved[1]),
            str(photos),
            str(photos / "notes.txt"),
            "--top",
            "2",
            "--csv",
            str(out_csv),
            "--batch-size",
            "2",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0
    assert "GOOD2.PNG" in captured.out and "class_2" in captured.out
    skipped = [line for line in captured.err.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 3  # corrupt.jpg, truncated.jpg, notes.txt
    assert any("notes.txt" in line for line in skipped)
    assert "100%" in captured.err  # 4 candidate files > batch of 2: a progress bar
    table = pd.read_csv(out_csv)
    assert list(table.columns) == ["file", "class", "probability", "class_2", "probability_2"]
    assert len(table) == 3 and table["probability"].between(0, 1).all()
    assert (table["probability"] >= table["probability_2"]).all()


def test_cli_nothing_readable_exits_1(photos, saved, capsys):
    assert predict.main(["--model", str(saved[0]), str(photos / "corrupt.jpg")]) == 1
    assert "no image could be predicted" in capsys.readouterr().err


def _run(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "predict.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_cli_missing_model_exit_2_one_line(tmp_path):
    result = _run("--model", str(tmp_path / "nope.h5"), str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: no model at {tmp_path / 'nope.h5'}"]
    assert result.stdout == ""


def test_cli_unloadable_model_exit_2_one_line(tmp_path, saved, photos):
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    shutil.copy(saved[0].with_suffix(".json"), junk.with_suffix(".json"))
    no_sidecar = tmp_path / "alone.h5"
    shutil.copy(saved[0], no_sidecar)
    for model in (junk, no_sidecar):
        rc = predict.main(["--model", str(model), str(photos)])
        assert rc == 2
    result = _run("--model", str(junk), str(photos))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot load model {junk}")


def test_one_list_of_image_extensions():
    import utils

    assert up.IMAGE_EXTENSIONS is utils.IMAGE_EXTENSIONS
