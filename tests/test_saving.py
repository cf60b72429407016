"""utils.saving and utils.layers: a saved model reloads with its class names and predictions."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from utils import saving
from utils.layers import BackbonePreprocess, preprocess_function


def _tiny_model(backbone: str = "vgg16") -> keras.Model:
    inputs = keras.Input((16, 16, 3))
    x = BackbonePreprocess(backbone)(inputs)
    x = keras.layers.Conv2D(2, 3)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def test_save_and_reload_identical_predictions(tmp_path):
    model = _tiny_model()
    x = np.random.default_rng(0).uniform(0, 255, (3, 16, 16, 3)).astype("float32")
    path = saving.save_model(model, tmp_path / "m.h5", ["cat", "dog"], epochs=3)
    reloaded, info = saving.load_model(path)
    np.testing.assert_allclose(model.predict(x, verbose=0), reloaded.predict(x, verbose=0))
    assert info["class_names"] == ["cat", "dog"]
    assert info["image_size"] == [16, 16] and info["epochs"] == 3
    assert json.loads((tmp_path / "m.json").read_text())["params"] == model.count_params()


def test_missing_sidecar_is_explained(tmp_path):
    path = saving.save_model(_tiny_model(), tmp_path / "m.h5", ["a", "b"])
    (tmp_path / "m.json").unlink()
    with pytest.raises(FileNotFoundError, match="class names"):
        saving.load_model(path)


def test_missing_model_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model"):
        saving.load_model(tmp_path / "absent.h5")


def test_backbone_preprocess_matches_keras_function():
    x = np.random.default_rng(1).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    for name in ("vgg16", "inception_v3"):
        expected = preprocess_function(name)(x.copy())
        np.testing.assert_allclose(BackbonePreprocess(name)(x), expected, rtol=1e-5, atol=1e-4)


def test_unknown_backbone_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown backbone"):
        preprocess_function("not_a_network")
