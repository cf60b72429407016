"""utils.features (bottleneck features and their cache) and utils.heads (heads, whole models)."""

from __future__ import annotations

import json
import os

import keras
import numpy as np
import pytest

from tests.conftest import make_class_folders
from utils import data, features, heads, pretrained, saving

SIZE = 32
COLORS = {"cat": (200, 60, 40), "dog": (40, 60, 200)}


@pytest.fixture(scope="module")
def base():
    return pretrained.load_backbone("vgg16", weights=None, input_shape=(SIZE, SIZE, 3))


@pytest.fixture
def images(tmp_path):
    make_class_folders(tmp_path / "split" / "train", COLORS, per_class=4, size=(40, 30))
    paths, labels, _ = data.list_images(tmp_path / "split" / "train")
    return paths, labels


def extract(base, paths, cache, preprocess="vgg16", **kwargs):
    stats: dict = {}
    out = features.extract_features(
        base, paths, SIZE, preprocess, 3, cache, progress=False, stats=stats, **kwargs
    )
    return out, stats


def test_features_equal_predict_on_preprocessed_arrays(base, images):
    paths, _ = images
    got, stats = extract(base, paths, None)
    arrays = features.load_images(paths, SIZE, "vgg16")
    np.testing.assert_allclose(got, base.predict(arrays, verbose=0), rtol=1e-5, atol=1e-5)
    assert got.shape == (8, 1, 1, 512) and got.dtype == np.float32
    assert not stats["cache_hit"] and stats["path"] is None


def test_cache_is_reused(base, images, tmp_path):
    paths, _ = images
    cache = tmp_path / "cache"
    first, stats = extract(base, paths, cache)
    assert not stats["cache_hit"]
    npy = stats["path"]
    meta = json.loads(open(npy.replace(".npy", ".json")).read())
    assert meta["n_files"] == len(paths) and meta["shape"] == [8, 1, 1, 512]
    assert meta["preprocess"] == "backbone:vgg16" and meta["model"]["backbone"] == "vgg16"
    again, stats = extract(base, paths, cache)
    assert stats["cache_hit"] and stats["path"] == npy
    np.testing.assert_array_equal(first, again)
    # the same base rebuilt with the same weights hits the same entry
    twin = pretrained.load_backbone("vgg16", weights=None, input_shape=(SIZE, SIZE, 3))
    twin.set_weights(base.get_weights())
    _, stats = extract(twin, paths, cache)
    assert stats["cache_hit"]
    assert len(list(cache.glob("*.npy"))) == 1


def test_cache_is_invalidated(base, images, tmp_path):
    paths, _ = images
    cache = tmp_path / "cache"
    _, stats = extract(base, paths, cache)
    seen = {stats["path"]}

    def miss(**kwargs):
        out, stats = extract(kwargs.pop("model", base), kwargs.pop("paths", paths), cache, **kwargs)
        assert not stats["cache_hit"], kwargs
        assert stats["path"] not in seen
        seen.add(stats["path"])
        return out

    miss(paths=paths[:-1])  # a file fewer
    miss(paths=paths[::-1])  # another order
    miss(preprocess="rescale")  # the book's x/255
    miss(key_parts={"augmented_pass": 1})
    miss(augment=keras.layers.RandomFlip("horizontal", seed=1), seed=7)
    stat = os.stat(paths[0])
    os.utime(paths[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a file changed
    miss()
    weights = base.get_weights()
    changed = [w.copy() for w in weights]
    changed[-1][0] += 1.0  # as fine-tuning would
    other = pretrained.load_backbone("vgg16", weights=None, input_shape=(SIZE, SIZE, 3))
    other.set_weights(changed)
    miss(model=other)
    bigger = pretrained.load_backbone("vgg16", weights=None, input_shape=(64, 64, 3))
    bigger.set_weights(weights)
    stats: dict = {}
    features.extract_features(bigger, paths, 64, "vgg16", 4, cache, progress=False, stats=stats)
    assert not stats["cache_hit"] and stats["path"] not in seen


def test_split_features_and_pooling(base, images, tmp_path):
    root = tmp_path / "split"
    for name in ("validation", "test"):
        make_class_folders(root / name, COLORS, per_class=2, size=(40, 30))
    split = features.split_features(base, root, SIZE, "vgg16", 4, tmp_path / "c", progress=False)
    assert split.class_names == ["cat", "dog"]
    assert {k: v.shape[0] for k, v in split.features.items()} == {
        "train": 8,
        "validation": 4,
        "test": 4,
    }
    assert list(split.labels["test"]) == [0, 0, 1, 1]
    assert not split.stats["cache_hit"].any()
    again = features.split_features(base, root, SIZE, "vgg16", 4, tmp_path / "c", progress=False)
    assert again.stats["cache_hit"].all()
    maps = np.arange(2 * 2 * 2 * 3, dtype=np.float32).reshape(2, 2, 2, 3)
    np.testing.assert_allclose(features.pool_features(maps), maps.mean(axis=(1, 2)))
    np.testing.assert_allclose(features.pool_features(maps, "max"), maps.max(axis=(1, 2)))


def test_per_class_indices():
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert list(features.per_class_indices(labels, 2)) == [0, 1, 3, 4]
    assert list(features.per_class_indices(labels, None)) == list(range(6))


def test_throughput_is_measured(base):
    x = np.zeros((6, SIZE, SIZE, 3), np.float32)
    assert features.predict_throughput(base, x, 3) > 0


def test_feature_map_figure(base, images):
    paths, _ = images
    image = features.load_images(paths[:1], SIZE)[0]
    fig = features.feature_map_figure(
        image, np.random.default_rng(0).random((2, 2, 8)), n_channels=3
    )
    assert len(fig.axes) == 4


def test_transfer_model_saves_and_reloads(base, images, tmp_path):
    paths, labels = images
    feats, _ = extract(base, paths, None)
    head = heads.book_head(feats.shape[1:])
    assert [layer.name for layer in head.layers][-1] == "output"
    assert head.count_params() == 512 * 513 + 512 * 513 + 513
    model = heads.transfer_model(base, head, "vgg16")
    photos = features.load_images(paths, SIZE)
    np.testing.assert_allclose(
        model.predict(photos, verbose=0), head.predict(feats, verbose=0), atol=1e-6
    )
    path = saving.save_model(model, tmp_path / "m.h5", ["cat", "dog"], epochs=1)
    reloaded, info = saving.load_model(path)
    np.testing.assert_array_equal(
        reloaded.predict(photos, verbose=0), model.predict(photos, verbose=0)
    )
    assert info["image_size"] == [SIZE, SIZE]
    rbase, rhead = heads.parts(reloaded)
    assert rhead.name == "head" and not rbase.trainable_weights
    assert heads.accuracy(reloaded, photos, labels) == heads.accuracy(head, feats, labels)


def test_rescale_model_for_the_book_comparison(base):
    head = heads.book_head(base.output_shape[1:])
    model = heads.transfer_model(base, head, "rescale")
    assert isinstance(model.layers[1], keras.layers.Rescaling)


def test_linear_probe_picks_c_on_validation():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-1, 1, (40, 5)), rng.normal(1, 1, (40, 5))])
    y = np.repeat([0, 1], 40)
    probe, scores = heads.linear_probe(x[::2], y[::2], x[1::2], y[1::2], cs=(0.01, 1.0))
    assert set(scores) == {0.01, 1.0} and max(scores.values()) > 0.8
    assert probe.score(x[1::2], y[1::2]) == max(scores.values())
    assert heads.probe_accuracy(x[::2], y[::2], x[1::2], y[1::2]) > 0.8
