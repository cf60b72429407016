"""utils.cache.predict: model.predict once, np.load after; never stale, shared frozen blocks."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from tests.conftest import make_class_folders
from utils import cache

SIZE = 16


@pytest.fixture
def photos(tmp_path):
    return make_class_folders(
        tmp_path / "train", {"cat": (200, 60, 40), "dog": (40, 60, 200)}, per_class=5
    )


def dataset(folder, size=SIZE):
    return keras.utils.image_dataset_from_directory(
        folder, image_size=(size, size), batch_size=4, shuffle=False, verbose=False
    )


def blocks(seed=0, size=SIZE, policy="float32"):
    """A small VGG-like chain: 'blocks 1-4' ending at a layer named block4_pool, then 'block 5'."""
    keras.utils.set_random_seed(seed)
    keras.mixed_precision.set_global_policy(policy)
    try:
        base = keras.Sequential(
            [
                keras.Input((size, size, 3)),
                keras.layers.Rescaling(1 / 255),
                keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="block4_conv1"),
                keras.layers.MaxPooling2D(2, name="block4_pool"),
                keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="block5_conv1"),
                keras.layers.MaxPooling2D(2, name="block5_pool"),
            ],
            name="vgg",
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return base


def stored(cache_dir, name):
    return sorted((cache_dir / "features").glob(f"{name}-*.npy"))


def test_first_call_is_predict_then_a_load(tmp_path, photos, capsys):
    ds, model = dataset(photos), blocks()
    first = cache.predict(model, ds, "train_features", tmp_path)
    np.testing.assert_allclose(first, model.predict(ds, verbose=0), rtol=2e-3, atol=2e-3)
    (path,) = stored(tmp_path, "train_features")
    np.testing.assert_array_equal(np.load(path), first)  # a plain .npy anyone can np.load
    assert path.with_suffix(".json").is_file()
    for saved in (path, path.with_suffix(".json")):  # 0o644, not mkstemp's 0o600: others read it
        assert saved.stat().st_mode & 0o777 == 0o644, saved
    written = path.stat().st_mtime_ns
    again = cache.predict(model, ds, "train_features", tmp_path)
    np.testing.assert_array_equal(again, first)
    assert path.stat().st_mtime_ns == written
    out = capsys.readouterr().out
    assert "train_features: (10, 4, 4, 6) computed" in out
    assert "train_features: (10, 4, 4, 6) loaded from the cache" in out


@pytest.mark.parametrize("change", ["weights", "photo", "new photo", "size", "precision"])
def test_any_change_of_what_it_depends_on_computes_anew(tmp_path, photos, capsys, change):
    model = blocks()
    before = cache.predict(model, dataset(photos), "x", tmp_path)
    ds = dataset(photos)
    if change == "weights":
        model = blocks(seed=1)
    elif change == "photo":  # same name, other content
        first = sorted((photos / "cat").iterdir())[0]
        first.write_bytes(sorted((photos / "dog").iterdir())[0].read_bytes())
        os.utime(first, ns=(time.time_ns(), time.time_ns() + 10**9))
        ds = dataset(photos)
    elif change == "new photo":
        make_class_folders(photos, {"cat": (10, 200, 10)}, per_class=6)
        ds = dataset(photos)
    elif change == "size":
        model, ds = blocks(size=24), dataset(photos, size=24)
    elif change == "precision":
        model = blocks(policy="mixed_bfloat16")
    capsys.readouterr()
    after = cache.predict(model, ds, "x", tmp_path)
    assert "computed" in capsys.readouterr().out
    assert len(stored(tmp_path, "x")) == 2, "the earlier result stays under its own id"
    if change != "precision":
        assert after.shape != before.shape or not np.allclose(after, before)


def test_frozen_blocks_run_once_for_every_model_that_shares_them(tmp_path, photos, capsys):
    ds, base = dataset(photos), blocks()
    features = cache.predict(base, ds, "train_features", tmp_path)
    (shared,) = stored(tmp_path, "train_features.block4_pool")
    assert np.load(shared).dtype == np.float16

    # a model ending at block4_pool (same layers and weights) gets the stored activations
    up_to_4 = keras.Sequential([keras.Input((SIZE, SIZE, 3)), *base.layers[:3]])
    activations = cache.predict(up_to_4, ds, "train_block4_pool", tmp_path)
    np.testing.assert_array_equal(activations, np.load(shared))
    assert "train_block4_pool: (10, 8, 8, 4) loaded from the cache" in capsys.readouterr().out

    # a model with a head on the same base, saved and loaded back: only the rest is computed
    head = keras.Sequential([keras.Input((4, 4, 6)), keras.layers.Flatten(), keras.layers.Dense(1)])
    inputs = keras.Input((SIZE, SIZE, 3))
    model = keras.Model(inputs, head(base(inputs)))
    model.save(tmp_path / "m.h5")
    loaded = keras.models.load_model(tmp_path / "m.h5", compile=False)
    scores = cache.predict(loaded, ds, "test_m", tmp_path)
    assert "computed from the stored block4_pool" in capsys.readouterr().out
    np.testing.assert_allclose(scores, head.predict(features, verbose=0), rtol=1e-2, atol=1e-2)
    assert len(stored(tmp_path, "*.block4_pool")) == 1


def test_augmented_passes_are_keyed_by_the_augmentation(tmp_path, photos, capsys):
    ds, model = dataset(photos), blocks()

    def flip(seed):
        return keras.Sequential([keras.layers.RandomFlip("horizontal", seed=seed)])

    a = cache.predict(model, ds, "aug0", tmp_path, augment=flip(1))
    b = cache.predict(model, ds, "aug1", tmp_path, augment=flip(2))
    assert len(stored(tmp_path, "aug0")) == len(stored(tmp_path, "aug1")) == 1
    plain = cache.predict(model, ds, "plain", tmp_path)
    assert not (np.array_equal(a, plain) and np.array_equal(b, plain))
    capsys.readouterr()
    np.testing.assert_array_equal(
        cache.predict(model, ds, "aug0", tmp_path, augment=flip(1)), a
    )  # the same settings, built anew: a hit
    assert "loaded from the cache" in capsys.readouterr().out


def test_arrays_are_keyed_by_content(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    x = np.arange(12, dtype="float32").reshape(4, 3)
    first = cache.predict(model, x, "rows", tmp_path)
    np.testing.assert_allclose(first, model.predict(x, verbose=0), rtol=1e-6)
    cache.predict(model, x + 1, "rows", tmp_path)
    assert len(stored(tmp_path, "rows")) == 2


def test_a_damaged_file_is_recomputed_with_one_line(tmp_path, photos, capsys):
    ds, model = dataset(photos), blocks()
    good = cache.predict(model, ds, "x", tmp_path)
    (path,) = stored(tmp_path, "x")
    path.write_bytes(b"")  # a disk-full moment
    again = cache.predict(model, ds, "x", tmp_path)
    np.testing.assert_array_equal(again, good)
    out = capsys.readouterr().out
    assert f"cache: {path.name} is damaged" in out and "computing it again" in out
    assert np.load(path).shape == good.shape


def test_leftovers_of_dead_writers_are_removed(tmp_path, photos):
    """A temporary whose writer on this machine is gone (a hard kill) goes at the next save,
    however fresh: it used to stay 6 hours. A live writer's stays; one that names no writer of
    this machine (another machine's, sharing the folder) goes once it is old."""
    store = tmp_path / "features"
    store.mkdir()
    finished = subprocess.Popen([sys.executable, "-c", ""])
    finished.wait()
    dead = store / f"{cache._temporary_prefix('x-0123.npy', finished.pid)}abc.tmp"
    live = store / f"{cache._temporary_prefix('y-0123.npy', os.getpid())}def.tmp"
    elsewhere = f"{int(cache.HOST, 16) ^ 1:08x}"  # another machine's
    remote = store / dead.name.replace(cache.HOST, elsewhere).replace(".x-", ".z-")
    old = store / ".w-0123.npy.ghi.tmp"
    for tmp in (dead, live, remote, old):
        tmp.write_bytes(b"0" * 100)
    os.utime(old, (time.time() - 2 * cache.STALE_SECONDS,) * 2)
    cache.predict(blocks(), dataset(photos), "x", tmp_path)
    assert not dead.exists() and not old.exists()
    assert live.exists() and remote.exists()


def test_a_dataset_that_names_no_files_is_refused(tmp_path):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(np.zeros((2, SIZE, SIZE, 3), "float32")).batch(2)
    with pytest.raises(TypeError, match="image_dataset_from_directory"):
        cache.predict(blocks(), ds, "x", tmp_path)


def test_chain_opens_nested_straight_models_and_keeps_others_whole():
    base = blocks()
    inputs = keras.Input((SIZE, SIZE, 3))
    model = keras.Model(inputs, keras.layers.Flatten()(base(inputs)))
    assert [layer.name for layer in cache.chain(model)] == [
        *(layer.name for layer in base.layers),
        model.layers[-1].name,
    ]
    a = keras.Input((4,))
    branchy = keras.Model(a, keras.layers.Add()([keras.layers.Dense(4)(a), a]))
    assert cache.chain(branchy) == [branchy]
