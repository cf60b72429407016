"""utils/vgg16_blocks.py: notebook 04's cached block-4 activations and block 5, as a module.

32 px photos (block4_pool 2 x 2 x 512, block5_pool 1 x 1 x 512); the real VGG-16 weights from
../shared when present, otherwise random ones. Runs in seconds on a 2-core CPU.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.conftest import VGG16_WEIGHTS, write_image
from utils import cache, data, pretrained, vgg16_blocks

SIZE = 32
WEIGHTS = str(VGG16_WEIGHTS) if VGG16_WEIGHTS.is_file() else None
# block 5 on float16-rounded activations (relative rounding <= 2**-11) against the whole base
# in float32 on the photos: the largest difference, relative to the largest feature value.
RTOL_FLOAT16 = 1e-2


@pytest.fixture(scope="module")
def base():
    vgg = keras.applications.VGG16(include_top=False, weights=WEIGHTS, input_shape=(SIZE, SIZE, 3))
    vgg.trainable = False
    return vgg


@pytest.fixture
def photos(tmp_path):
    colors = [(200, 30, 30), (30, 30, 200)]
    paths = [
        str(write_image(tmp_path / "photos" / f"{i}.jpg", (40, 36), colors[i % 2]))
        for i in range(6)
    ]
    return paths, np.arange(6) % 2


def test_activations_cached_in_float16_with_notebook_04_key(base, photos, tmp_path, capsys):
    paths, labels = photos
    sample = data.read_images(paths[:2], SIZE, raw=True)
    blocks = vgg16_blocks.Blocks(base, False, sample, tmp_path / "cache", batch_size=4)
    assert blocks.precision == "float32"
    a = blocks.activations("train", paths, labels)
    folder = tmp_path / "cache" / f"vgg16_{SIZE}px"
    path = folder / "train_block4_pool.npy"
    assert a.dtype == np.float16 and a.shape == (6, 2, 2, 512)
    assert np.load(path).dtype == np.float16
    np.testing.assert_array_equal(np.load(folder / "train_labels.npy"), labels)
    written = path.stat().st_mtime_ns

    # notebook 04's key, written out as there: its file is this file
    blocks1_4 = keras.Model(base.input, base.get_layer("block4_pool").output)
    extractor_04 = keras.Sequential(
        [keras.Input(shape=(SIZE, SIZE, 3)), pretrained.preprocessing_layer("vgg16"), blocks1_4]
    )
    key_04 = cache.key(
        model=cache.weights_fingerprint(extractor_04),
        files=cache.files_fingerprint(paths),
        image_size=SIZE,
        precision="float32",
        augmentation=None,
    )
    assert cache.load(path, key_04) is not None

    # a second Blocks (another notebook) on the same photos: a cache hit, nothing rewritten
    again = vgg16_blocks.Blocks(base, False, sample, tmp_path / "cache", batch_size=4)
    capsys.readouterr()
    np.testing.assert_array_equal(again.activations("train", paths, labels), a)
    assert "train: (6, 2, 2, 512) loaded from the cache" in capsys.readouterr().out
    assert path.stat().st_mtime_ns == written


def test_block5_on_activations_is_the_base_on_photos(base, photos, tmp_path, monkeypatch):
    paths, labels = photos
    sample = data.read_images(paths[:2], SIZE, raw=True)
    blocks = vgg16_blocks.Blocks(base, False, sample, tmp_path / "cache", batch_size=4)
    features = blocks.features("validation", blocks.activations("validation", paths, labels))
    assert features.shape == (6, 1, 1, 512)
    whole = keras.Sequential(
        [keras.Input(shape=(SIZE, SIZE, 3)), pretrained.preprocessing_layer("vgg16"), base]
    )
    expected = whole.predict(data.read_images(paths, SIZE, raw=True), verbose=0)
    assert np.abs(features - expected).max() <= RTOL_FLOAT16 * np.abs(expected).max()
    assert (blocks.features_dir / "validation_features.npy").is_file()

    # the second call reads the file: block 5 does not run
    monkeypatch.setattr(blocks.block5, "predict", lambda *a, **k: pytest.fail("recomputed"))
    activations = np.load(blocks.features_dir / "validation_block4_pool.npy")
    np.testing.assert_array_equal(blocks.features("validation", activations), features)


def test_extractors_hold_copies_of_the_same_weights(base):
    bf16 = vgg16_blocks.extractor_for(base, "mixed_bfloat16")
    f32 = vgg16_blocks.extractor_for(base)
    assert bf16.layers[-1].get_layer("block4_conv3").dtype_policy.name == "mixed_bfloat16"
    for a, b in zip(bf16.get_weights(), f32.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # copies: fine-tuning the base afterwards (notebook 06) does not change the extractor
    assert f32.layers[-1].get_layer("block4_conv3") is not base.get_layer("block4_conv3")


def test_book_head_is_notebook_04s_head():
    from utils import vgg16_blocks

    head = vgg16_blocks.book_head((2, 2, 512), 2)
    assert head.count_params() == (2048 * 512 + 512) + (512 * 512 + 512) + (512 + 1)
    assert [type(layer).__name__ for layer in head.layers] == [
        "Flatten",
        "Dense",
        "Dropout",
        "Dense",
        "Dropout",
        "Dense",
    ]
    assert vgg16_blocks.book_head((2, 2, 512), 5).output_shape == (None, 5)
