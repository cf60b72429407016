"""utils.cache: readable .npy files with their key beside them; stale or damaged means a miss."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from utils import cache


@pytest.fixture
def features():
    return np.random.default_rng(0).normal(size=(6, 2, 2, 8)).astype("float32")


def test_hit_returns_what_was_saved(tmp_path, features):
    path = tmp_path / "vgg16_64px" / "train_features.npy"
    key = cache.key(model="abc", files="def", image_size=64)
    assert cache.load(path, key) is None, "nothing saved yet: a miss"
    assert cache.save(path, features, key) == path
    np.testing.assert_array_equal(cache.load(path, key), features)
    # the file is a plain .npy anyone can read, the key plain JSON beside it
    np.testing.assert_array_equal(np.load(path), features)
    key_file = tmp_path / "vgg16_64px" / "train_features.key.json"
    assert cache.key_path(path) == key_file
    assert json.loads(key_file.read_text()) == {"files": "def", "image_size": 64, "model": "abc"}
    loaded = cache.load(path, key, mmap=True)
    assert isinstance(loaded, np.memmap) and np.array_equal(loaded, features)


@pytest.mark.parametrize("change", [{"model": "xyz"}, {"image_size": 150}, {"extra": 1}])
def test_changed_key_is_a_miss(tmp_path, features, change):
    path = tmp_path / "train_features.npy"
    key = cache.key(model="abc", image_size=64)
    cache.save(path, features, key)
    assert cache.load(path, cache.key(**{**key, **change})) is None
    # and saving under the new key replaces both files
    cache.save(path, features[:2], cache.key(**{**key, **change}))
    assert cache.load(path, key) is None
    assert cache.load(path, cache.key(**{**key, **change})).shape == (2, 2, 2, 8)


def test_key_is_json_normalised():
    # tuples become lists, keys are sorted, paths and other objects their str()
    assert cache.key(size=(64, 64), b=1, a=2) == {"a": 2, "b": 1, "size": [64, 64]}
    assert cache.key(path=cache.key_path("x.npy")) == {"path": "x.key.json"}


@pytest.mark.parametrize("damage", ["truncated", "garbage", "bad_key", "no_key"])
def test_damaged_file_is_a_miss(tmp_path, features, damage):
    path = tmp_path / "train_features.npy"
    key = cache.key(model="abc")
    cache.save(path, features, key)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "garbage":
        path.write_bytes(b"not an npy file at all")
    elif damage == "bad_key":
        cache.key_path(path).write_text("{ half a json")
    else:
        cache.key_path(path).unlink()
    assert cache.load(path, key) is None
    cache.save(path, features, key)  # recomputed and overwritten
    np.testing.assert_array_equal(cache.load(path, key), features)


def test_atomic_save_leaves_no_temp_files(tmp_path, features):
    folder = tmp_path / "cache"
    for i in range(3):
        cache.save(folder / "a_features.npy", features * i, cache.key(i=i))
    assert sorted(p.name for p in folder.iterdir()) == ["a_features.key.json", "a_features.npy"]


def test_failed_save_leaves_no_temp_file_and_no_key(tmp_path, monkeypatch, features):
    path = tmp_path / "a_features.npy"
    cache.save(path, features, cache.key(v=1))

    def broken_save(handle, array):
        handle.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        cache.save(path, features, cache.key(v=2))
    assert [p.name for p in tmp_path.iterdir()] == ["a_features.npy"], "no temp file, no key"
    monkeypatch.undo()
    assert cache.load(path, cache.key(v=1)) is None, "an array without its key is never used"
    assert cache.load(path, cache.key(v=2)) is None


def test_fingerprints(tmp_path):
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes(b"1")
    b.write_bytes(b"22")
    first = cache.files_fingerprint([a, b])
    assert cache.files_fingerprint([a, b]) == first
    assert cache.files_fingerprint([b, a]) != first, "the order of the files matters"
    os.utime(a, ns=(1, 1))
    assert cache.files_fingerprint([a, b]) != first, "a touched file changes the key"
    x = np.arange(6, dtype="float32")
    assert cache.array_fingerprint(x) == cache.array_fingerprint(x.copy())
    assert cache.array_fingerprint(x) != cache.array_fingerprint(x.reshape(2, 3))
    assert cache.array_fingerprint(x) != cache.array_fingerprint(x.astype("float64"))


def test_weights_fingerprint_follows_the_values():
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")])
    first = cache.weights_fingerprint(model)
    assert cache.weights_fingerprint(model) == first
    kernel, bias = model.get_weights()
    model.set_weights([kernel, bias + 1])
    assert cache.weights_fingerprint(model) != first
