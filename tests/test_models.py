"""The book's from-scratch CNNs: exact parameter counts, heads, scaling inside, save and reload."""

from __future__ import annotations

import numpy as np
import pytest

from utils import models, saving


def test_basic_cnn_has_the_books_parameter_count():
    assert models.basic_cnn(150).count_params() == 19_024_513


def test_cnn_with_dropout_has_the_books_parameter_count():
    assert models.cnn_with_dropout(150).count_params() == 3_706_113


@pytest.mark.parametrize("build", [models.basic_cnn, models.cnn_with_dropout])
def test_two_classes_get_one_sigmoid_unit(build):
    model = build(64, 2)
    head = model.layers[-1]
    assert model.output_shape == (None, 1)
    assert head.get_config()["activation"] == "sigmoid"


@pytest.mark.parametrize(
    ("build", "params_150"),
    [(models.basic_cnn, 19_024_513), (models.cnn_with_dropout, 3_706_113)],
)
def test_more_classes_get_a_softmax_head(build, params_150):
    model = build(150, 3)
    assert model.output_shape == (None, 3)
    assert model.layers[-1].get_config()["activation"] == "softmax"
    # two more output units of 512 weights and a bias each
    assert model.count_params() == params_150 + 2 * 513


def test_one_class_is_refused():
    with pytest.raises(ValueError):
        models.basic_cnn(64, 1)


@pytest.mark.parametrize("build", [models.basic_cnn, models.cnn_with_dropout])
def test_models_take_raw_pixels_and_scale_inside(build):
    model = build((48, 64))
    first = model.layers[0]
    assert model.input_shape == (None, 48, 64, 3)
    assert type(first).__name__ == "Rescaling"
    assert first.count_params() == 0
    assert first.get_config()["scale"] == pytest.approx(1 / 255)


def test_build_by_name():
    assert models.build("basic_cnn", 64).name == "basic_cnn"
    assert models.build("cnn_dropout", 64, 4).output_shape == (None, 4)
    with pytest.raises(ValueError):
        models.build("resnet", 64)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_saved_h5_reloads_with_identical_predictions(tmp_path, n_classes):
    model = models.cnn_with_dropout(48, n_classes)
    images = np.random.default_rng(0).uniform(0, 255, (4, 48, 48, 3)).astype("float32")
    before = np.asarray(model(images, training=False))
    names = [f"c{i}" for i in range(n_classes)]
    path = saving.save_model(model, tmp_path / "m.h5", names, epochs=0, best_epoch=0)
    reloaded, info = saving.load_model(path)
    np.testing.assert_allclose(np.asarray(reloaded(images, training=False)), before, atol=1e-6)
    assert info["class_names"] == names
    assert info["image_size"] == [48, 48]
