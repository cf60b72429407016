"""utils.pretrained: where the weights come from (offline first), preprocessing as a built-in
layer, the book's layer table and parameter counts."""

from __future__ import annotations

import h5py
import keras
import numpy as np
import pytest

from tests.conftest import VGG16_WEIGHTS, needs_vgg_weights
from utils import pretrained

SMALL = (32, 32, 3)
VGG_FILE = pretrained.BACKBONES["vgg16"].notop_file


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No TL_WEIGHTS_DIR, an empty Keras cache, and downloads that fail at once.

    Returns the list of download origins tried (empty when nothing was downloaded).
    """
    monkeypatch.delenv(pretrained.WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    calls = []

    def no_network(fname, origin, **kwargs):
        calls.append(origin)
        raise Exception(
            f"URL fetch failure on {origin}: None -- [Errno -2] Name or service not known"
        )

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    return calls


def h5_file(path, value: float = 0.0):
    """A small valid HDF5 file (what weights_file checks; Keras checks the layout later)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f["marker"] = np.full(3, value)
    return path


def test_none_means_random_weights(offline):
    assert pretrained.weights_file("vgg16", None) is None
    assert not offline


def test_explicit_path_is_returned_without_download(tmp_path, offline):
    path = h5_file(tmp_path / "my_vgg16.h5")
    assert pretrained.weights_file("vgg16", path) == str(path)
    assert pretrained.weights_file("vgg16", str(path)) == str(path)
    assert not offline, "an explicit path must never trigger a download"


@pytest.mark.parametrize("kind", ["missing", "empty", "not_hdf5"])
def test_unusable_explicit_path_is_one_clear_message(kind, tmp_path, offline):
    path = tmp_path / "weights.h5"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "not_hdf5":
        path.write_text("<html>a login page saved as .h5</html>")
    with pytest.raises(pretrained.WeightsUnavailableError) as info:
        pretrained.weights_file("vgg16", path)
    message = str(info.value)
    assert str(path) in message and VGG_FILE in message and "WEIGHTS=None" in message
    assert ("no such file" in message) == (kind == "missing")
    assert not offline


def test_environment_folder_comes_first(tmp_path, monkeypatch, offline):
    env = h5_file(tmp_path / "offline_weights" / VGG_FILE, 1.0)
    h5_file(tmp_path / "keras_home" / "models" / VGG_FILE, 2.0)
    monkeypatch.setenv(pretrained.WEIGHTS_ENV, str(env.parent))
    assert pretrained.weights_file("vgg16") == str(env)
    assert not offline


def test_keras_cache_when_the_environment_folder_lacks_the_file(tmp_path, monkeypatch, offline):
    (tmp_path / "offline_weights").mkdir()
    cached = h5_file(tmp_path / "keras_home" / "models" / VGG_FILE)
    monkeypatch.setenv(pretrained.WEIGHTS_ENV, str(tmp_path / "offline_weights"))
    assert pretrained.keras_cache_dir() == cached.parent
    assert pretrained.weights_file("vgg16", "imagenet") == str(cached)
    assert not offline


def test_damaged_file_in_keras_cache_falls_through_to_download(tmp_path, monkeypatch, offline):
    damaged = tmp_path / "keras_home" / "models" / VGG_FILE
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"half a download")
    with pytest.raises(pretrained.WeightsUnavailableError, match="not an HDF5 weights file"):
        pretrained.weights_file("vgg16")
    assert offline == [pretrained.BACKBONES["vgg16"].origin]


def test_download_is_the_last_resort(tmp_path, monkeypatch, offline):
    downloaded = h5_file(tmp_path / "downloads" / VGG_FILE)
    seen = {}

    def fake_get_file(fname, origin, **kwargs):
        seen.update(fname=fname, origin=origin, **kwargs)
        return str(downloaded)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    assert pretrained.weights_file("vgg16") == str(downloaded)
    spec = pretrained.BACKBONES["vgg16"]
    assert seen["fname"] == VGG_FILE and seen["origin"] == spec.origin
    assert seen["file_hash"] == spec.md5 and seen["cache_subdir"] == "models"
    assert seen["cache_dir"] == str(tmp_path / "keras_home")


def test_offline_error_lists_everything_tried(offline):
    with pytest.raises(pretrained.WeightsUnavailableError) as info:
        pretrained.weights_file("vgg16", "imagenet")
    message = str(info.value)
    assert offline == [pretrained.BACKBONES["vgg16"].origin]
    for part in (f"${pretrained.WEIGHTS_ENV}: not set", "Keras cache", "download", VGG_FILE):
        assert part in message
    assert "WEIGHTS=None" in message and "Name or service not known" in message
    assert message.count("\n") < 10


def test_unknown_backbone(offline):
    with pytest.raises(ValueError, match="unknown backbone 'alexnet'"):
        pretrained.weights_file("alexnet", "imagenet")
    assert not offline
    assert pretrained.constructor("vgg16") is keras.applications.VGG16
    assert pretrained.backbone("inception_v3").default_size == 299


@needs_vgg_weights
def test_real_vgg16_weights_by_path():
    weights = pretrained.weights_file("vgg16", VGG16_WEIGHTS)
    base = keras.applications.VGG16(include_top=False, weights=weights, input_shape=(64, 64, 3))
    assert base.output_shape == (None, 2, 2, 512)
    import h5py  # the file's own kernel of the first convolution, read without Keras

    kernels = []
    with h5py.File(VGG16_WEIGHTS, "r") as handle:
        handle["block1_conv1"].visititems(
            lambda _, item: kernels.append(item[()]) if getattr(item, "ndim", 0) == 4 else None
        )
    assert len(kernels) == 1 and kernels[0].shape == (3, 3, 3, 64)
    np.testing.assert_array_equal(base.get_layer("block1_conv1").get_weights()[0], kernels[0])


@pytest.mark.parametrize("name", ["vgg16", "inception_v3", "resnet50"])
def test_preprocessing_layer_equals_preprocess_input(name):
    x = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    layer = pretrained.preprocessing_layer(name)
    assert isinstance(layer, keras.layers.Dense) and not layer.trainable
    expected = pretrained.preprocess_input(name)(x.copy())
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5, atol=1e-4)


def test_preprocessing_layer_stays_float32_under_mixed_bfloat16():
    x = np.random.default_rng(1).uniform(0, 255, (1, 4, 4, 3)).astype("float32")
    before = keras.config.dtype_policy().name
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = pretrained.preprocessing_layer("vgg16")
        model = keras.Sequential([keras.Input((4, 4, 3)), layer])
        out = model(x)
    finally:
        keras.mixed_precision.set_global_policy(before)
    assert layer.dtype_policy.name == "float32" and layer.kernel.dtype == "float32"
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    expected = keras.applications.vgg16.preprocess_input(x.copy())
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6, atol=1e-4)


def test_model_with_preprocessing_layer_saves_and_loads(tmp_path):
    x = np.random.default_rng(2).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    model = keras.Sequential([keras.Input((8, 8, 3)), pretrained.preprocessing_layer("vgg16")])
    model.save(tmp_path / "pre.h5")
    loaded = keras.models.load_model(tmp_path / "pre.h5", compile=False)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)


def test_layer_table_and_param_counts():
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=SMALL)
    for layer in base.layers:
        layer.trainable = layer.name.startswith("block5")
    table = pretrained.layer_table(base)
    assert list(table.columns) == ["Layer Type", "Layer Name", "Layer Trainable", "Params"]
    assert len(table) == 19 and table["Params"].sum() == 14_714_688
    assert table.loc[table["Layer Name"] == "block5_conv1", "Layer Type"].item() == "Conv2D"
    assert table["Layer Trainable"].sum() == 4  # block5_conv1-3 and block5_pool
    block5 = 3 * (3 * 3 * 512 * 512 + 512)
    assert pretrained.param_counts(base) == {
        "trainable_params": block5,
        "frozen_params": 14_714_688 - block5,
    }
    base.trainable = False
    assert pretrained.param_counts(base) == {"trainable_params": 0, "frozen_params": 14_714_688}
