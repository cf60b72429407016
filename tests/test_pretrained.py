"""utils.pretrained: weights resolution and its errors, frozen/trainable layers, the registry."""

from __future__ import annotations

import h5py
import keras
import numpy as np
import pytest

from tests.conftest import VGG16_WEIGHTS, needs_vgg_weights
from utils import pretrained
from utils.layers import BackbonePreprocess

SMALL = (32, 32, 3)
VGG_FILE = pretrained.BACKBONES["vgg16"].notop_file


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No TL_WEIGHTS_DIR, an empty Keras cache, and downloads that fail at once."""
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


@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory):
    """A VGG-16 no-top weights file (random values) in the legacy HDF5 layout, and its model."""
    model = keras.applications.VGG16(include_top=False, weights=None, input_shape=SMALL)
    path = tmp_path_factory.mktemp("weights") / "vgg16_random.h5"
    model.save(path)
    return path, model


def test_random_weights_base_is_frozen():
    base = pretrained.load_backbone("vgg16", weights=None, input_shape=SMALL)
    table = pretrained.layer_table(base)
    assert list(table.columns) == ["Layer Type", "Layer Name", "Layer Trainable", "Params"]
    assert len(table) == 19 and not table["Layer Trainable"].any()
    assert table["Params"].sum() == 14_714_688
    assert pretrained.trainable_summary(base) == {
        "trainable_params": 0,
        "frozen_params": 14_714_688,
    }
    assert pretrained.backbone_info(base)["weights"] == "random"


def test_trainable_base():
    base = pretrained.load_backbone("vgg16", weights=None, input_shape=SMALL, trainable=True)
    assert pretrained.layer_table(base)["Layer Trainable"].all()


@pytest.mark.parametrize(
    "block, first_trainable", [("block4", "block4_conv1"), ("block5", "block5_conv1")]
)
def test_set_trainable_blocks(block, first_trainable):
    base = pretrained.load_backbone("vgg16", weights=None, input_shape=SMALL)
    pretrained.set_trainable_blocks(base, block)
    table = pretrained.layer_table(base)
    start = table.index[table["Layer Name"] == first_trainable][0]
    assert not table.loc[: start - 1, "Layer Trainable"].any()
    assert table.loc[start:, "Layer Trainable"].all()
    conv = [w for layer in base.layers[start:] for w in layer.weights]
    assert len(base.trainable_weights) == len(conv)
    pretrained.set_trainable_blocks(base, None)
    assert not base.trainable_weights
    with pytest.raises(ValueError, match="block9"):
        pretrained.set_trainable_blocks(base, "block9")


def test_registry_and_other_backbones():
    assert pretrained.backbone_spec("inception_v3").default_size == 299
    assert pretrained.backbone_spec("vgg16").notop_file == VGG_FILE
    base = pretrained.load_backbone("inception_v3", weights=None, input_shape=(75, 75, 3))
    assert base.output_shape[-1] == 2048 and not base.trainable_weights
    with pytest.raises(ValueError, match="unknown backbone"):
        pretrained.backbone_spec("alexnet")


def test_preprocess_layer_matches_keras_function():
    x = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    layer = pretrained.backbone_preprocess_layer("vgg16")
    assert isinstance(layer, BackbonePreprocess)
    expected = keras.applications.vgg16.preprocess_input(x.copy())
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-6)
    np.testing.assert_allclose(pretrained.preprocess_input("vgg16")(x.copy()), expected)


def test_offline_error_is_one_clear_message(offline):
    with pytest.raises(pretrained.WeightsUnavailableError) as info:
        pretrained.load_backbone("vgg16", weights="imagenet", input_shape=SMALL)
    message = str(info.value)
    assert offline, "the download was not attempted"
    for part in (pretrained.WEIGHTS_ENV, "Keras cache", "download", VGG_FILE, "WEIGHTS=None"):
        assert part in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert message.count("\n") < 10


@pytest.mark.parametrize("kind", ["missing", "empty", "random_h5", "wrong_shape"])
def test_wrong_weights_file_is_one_clear_message(kind, tmp_path, offline):
    path = tmp_path / "weights.h5"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "random_h5":
        with h5py.File(path, "w") as f:
            f["noise"] = np.random.default_rng(0).normal(size=(10, 10))
    elif kind == "wrong_shape":
        other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        other.save(path)
    with pytest.raises(pretrained.WeightsUnavailableError) as info:
        pretrained.load_backbone("vgg16", weights=str(path), input_shape=SMALL)
    message = str(info.value)
    assert str(path) in message and VGG_FILE in message
    assert not offline, "an explicit path must never trigger a download"


def test_weights_dir_environment_variable(vgg_file, tmp_path, monkeypatch, offline):
    path, source = vgg_file
    folder = tmp_path / "offline_weights"
    folder.mkdir()
    (folder / VGG_FILE).symlink_to(path)
    monkeypatch.setenv(pretrained.WEIGHTS_ENV, str(folder))
    base = pretrained.load_backbone("vgg16", weights="imagenet", input_shape=SMALL)
    np.testing.assert_array_equal(base.get_weights()[0], source.get_weights()[0])
    # the identity names the file itself (symlinks resolved), with its size and mtime
    assert pretrained.backbone_info(base)["weights"].startswith(f"{path.resolve()}|")
    assert not offline


def test_keras_cache_is_used(vgg_file, tmp_path, monkeypatch, offline):
    path, source = vgg_file
    cache = tmp_path / "keras_home" / "models"
    cache.mkdir(parents=True)
    (cache / VGG_FILE).symlink_to(path)
    base = pretrained.load_backbone("vgg16", weights="imagenet", input_shape=SMALL)
    np.testing.assert_array_equal(base.get_weights()[-1], source.get_weights()[-1])
    assert not offline


def test_broken_file_in_weights_dir_is_reported(tmp_path, monkeypatch, offline):
    folder = tmp_path / "offline_weights"
    folder.mkdir()
    (folder / VGG_FILE).write_bytes(b"not hdf5")
    monkeypatch.setenv(pretrained.WEIGHTS_ENV, str(folder))
    with pytest.raises(pretrained.WeightsUnavailableError, match="not usable"):
        pretrained.load_backbone("vgg16", weights="imagenet", input_shape=SMALL)


@needs_vgg_weights
def test_real_vgg16_weights_by_path():
    base = pretrained.load_backbone("vgg16", weights=str(VGG16_WEIGHTS), input_shape=(64, 64, 3))
    assert base.output_shape == (None, 2, 2, 512)
    assert str(VGG16_WEIGHTS.resolve()) in pretrained.backbone_info(base)["weights"]
    assert float(np.abs(base.get_weights()[0]).sum()) > 0


def test_mixed_precision_base_restores_global_policy():
    before = keras.config.dtype_policy().name
    base = pretrained.load_backbone("vgg16", weights=None, input_shape=SMALL, mixed_precision=True)
    assert base.layers[1].dtype_policy.name == "mixed_bfloat16"
    assert base.layers[1].kernel.dtype == "float32"
    assert keras.config.dtype_policy().name == before


def test_feature_extractor_is_the_base_or_its_bfloat16_twin():
    base = pretrained.load_backbone("vgg16", weights=None, input_shape=(32, 32, 3))
    assert pretrained.feature_extractor(base, None, mixed_precision=False) is base
    twin = pretrained.feature_extractor(base, None, mixed_precision=True)
    assert twin.dtype_policy.name == "mixed_bfloat16"
    assert twin.output_shape == base.output_shape
