"""utils.saving: a saved model reloads with its class names and predictions, and needs no
custom code to load."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from tests.conftest import assert_loads_without_utils
from utils import pretrained, saving


def _tiny_model() -> keras.Model:
    inputs = keras.Input((16, 16, 3))
    x = pretrained.preprocessing_layer("vgg16")(inputs)
    x = keras.layers.Conv2D(2, 3)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def test_save_and_reload_identical_predictions(tmp_path):
    model = _tiny_model()
    x = np.random.default_rng(0).uniform(0, 255, (3, 16, 16, 3)).astype("float32")
    path = saving.save_model(model, tmp_path / "m.h5", ["cat", "dog"], epochs=3, params=-1)
    reloaded, info = saving.load_with_info(path)
    np.testing.assert_allclose(model.predict(x, verbose=0), reloaded.predict(x, verbose=0))
    assert info["class_names"] == ["cat", "dog"]
    assert info["image_size"] == [16, 16] and info["epochs"] == 3
    # the file's own facts win over facts passed in (a head's sidecar copied onto a full model)
    assert json.loads((tmp_path / "m.json").read_text())["params"] == model.count_params()
    assert_loads_without_utils(path)


def test_missing_sidecar_is_explained(tmp_path):
    path = saving.save_model(_tiny_model(), tmp_path / "m.h5", ["a", "b"])
    (tmp_path / "m.json").unlink()
    with pytest.raises(FileNotFoundError, match="class names"):
        saving.load_with_info(path)


def test_missing_model_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model"):
        saving.load_with_info(tmp_path / "nope.h5")


def test_a_save_cut_short_leaves_no_model_and_keeps_the_old_one(tmp_path, monkeypatch):
    """Guards the in-place write: a save that fails halfway (a full disk) leaves no truncated
    model that looks complete, no temporaries, and an earlier model and its sidecar intact."""
    model = _tiny_model()
    old = saving.save_model(model, tmp_path / "old" / "m.h5", ["cat", "dog"], epochs=1)
    before = {p.name: p.read_bytes() for p in old.parent.iterdir()}
    assert set(before) == {"m.h5", "m.json"}

    def save_half(self, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))  # the first bytes only
        raise OSError(errno.ENOSPC, "No space left on device", str(filepath))

    monkeypatch.setattr(keras.Model, "save", save_half)
    with pytest.raises(OSError, match="No space left"):
        saving.save_model(model, tmp_path / "new" / "m.h5", ["cat", "dog"], epochs=2)
    assert list((tmp_path / "new").iterdir()) == []
    with pytest.raises(OSError, match="No space left"):
        saving.save_model(model, old, ["apple", "pear"], epochs=3)
    assert {p.name: p.read_bytes() for p in old.parent.iterdir()} == before


def test_a_damaged_sidecar_or_model_is_named(tmp_path):
    """Guards the error of a file cut short: it names the file instead of only a JSON or HDF5
    position (notebook 07 reads every sidecar with load_info)."""
    path = saving.save_model(_tiny_model(), tmp_path / "m.h5", ["cat", "dog"])
    sidecar = tmp_path / "m.json"
    good = sidecar.read_text()
    sidecar.write_text(good[: len(good) // 2])
    with pytest.raises(ValueError, match="m.json: not a readable sidecar"):
        saving.load_info(path)
    sidecar.write_text(good)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match="m.h5: cannot load the model"):
        saving.load_with_info(path)


@pytest.mark.parametrize(
    ("data_dir", "prefix"),
    [
        ("../data/cats-vs-dogs", "cats_dogs"),  # the case study keeps the book's names
        ("/runs/x/data/cats-vs-dogs/", "cats_dogs"),
        ("data/my_dogs", "my_dogs"),
        ("data/My Photos", "my_photos"),
        ("data/Dogs-vs-Cats 2", "dogs_vs_cats_2"),  # only the Kaggle split's folder is "cats_dogs"
        ("data/--Fruit (2024)--", "fruit_2024"),
        ("data/ÄÖÜ", "data"),  # nothing safe for a file name is left
    ],
)
def test_model_prefix_names_files_after_the_dataset(data_dir, prefix):
    assert saving.model_prefix(data_dir) == prefix
