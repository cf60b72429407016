"""utils.negative_transfer: MNIST loading, grey to RGB, cached features, folds, fine-tuning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import MNIST_NPZ
from utils import negative_transfer as nt

needs_mnist = pytest.mark.skipif(not MNIST_NPZ.is_file(), reason="../shared MNIST not present")


def fake_mnist(path, n_train=60, n_test=20, seed=0):
    """An .npz in Keras' MNIST layout: digits 8, 6 and 1, each with its own bright region."""
    rng = np.random.default_rng(seed)

    def split(n):
        y = rng.choice(np.array([8, 6, 1], dtype=np.uint8), n)
        x = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        x[y == 8, 2:12, 8:20] = 230  # upper loop
        x[y == 6, 16:26, 8:20] = 230  # lower loop
        x[y == 1, :, 13:15] = 230
        return x, y

    x_train, y_train = split(n_train)
    x_test, y_test = split(n_test)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


@pytest.fixture(scope="module")
def random_vgg():
    from utils.pretrained import load_backbone

    return load_backbone("vgg16", weights=None, input_shape=(32, 32, 3))


# ---------------------------------------------------------------------------------- loading
def test_load_mnist_reads_keras_layout(tmp_path):
    x_train, y_train, x_test, y_test = nt.load_mnist(fake_mnist(tmp_path / "m.npz"))
    assert x_train.shape == (60, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60,) and x_test.shape == (20, 28, 28) and y_test.shape == (20,)


def test_load_mnist_rejects_wrong_keys(tmp_path):
    path = tmp_path / "wrong.npz"
    np.savez(path, images=np.zeros((3, 28, 28), np.uint8), labels=np.zeros(3))
    with pytest.raises(ValueError, match=r"lacks x_train, y_train, x_test, y_test.*images"):
        nt.load_mnist(path)


def test_load_mnist_rejects_a_single_array_and_mismatched_shapes(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros((3, 28, 28)))
    with pytest.raises(ValueError, match="not an .npz archive"):
        nt.load_mnist(tmp_path / "one.npy")
    bad = tmp_path / "bad.npz"
    z = np.zeros((3, 28, 28), np.uint8)
    np.savez(bad, x_train=z, y_train=np.zeros(2), x_test=z, y_test=np.zeros(3))
    with pytest.raises(ValueError, match="do not match"):
        nt.load_mnist(bad)


def test_load_mnist_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="MNIST_PATH=None"):
        nt.load_mnist(tmp_path / "nope.npz")


def test_digit_subset_labels_by_position_and_stratified_sample():
    y = np.array([8] * 60 + [6] * 40 + [1] * 50)
    x = np.arange(len(y))[:, None, None] * np.ones((1, 28, 28), np.int64)
    images, labels = nt.digit_subset(x, y, (8, 6))
    assert len(images) == 100 and labels.dtype == np.int32
    assert np.all(labels[:60] == 0) and np.all(labels[60:] == 1)  # 8 -> 0, 6 -> 1
    images, labels = nt.digit_subset(x, y, (6, 8), n_samples=50, seed=1)
    assert len(images) == 50 and np.sum(labels == 0) == 20  # 6 is first now: 40 % of 50
    original = images[:, 0, 0]
    assert np.all(np.diff(original) > 0), "the sample keeps the original order"
    assert np.all((y[original] == 6) == (labels == 0))
    again, _ = nt.digit_subset(x, y, (6, 8), n_samples=50, seed=1)
    assert np.array_equal(again, images)
    with pytest.raises(ValueError, match="digit"):
        nt.digit_subset(x, y, (8, 3))


def test_load_digits_pools_train_and_test(tmp_path):
    path = fake_mnist(tmp_path / "m.npz")
    _, y_train, _, y_test = nt.load_mnist(path)
    images, labels = nt.load_digits(path, (8, 6))
    assert len(images) == np.isin(y_train, (8, 6)).sum() + np.isin(y_test, (8, 6)).sum()
    only_train, _ = nt.load_digits(path, (8, 6), splits=("train",))
    assert len(only_train) == np.isin(y_train, (8, 6)).sum()


# ------------------------------------------------------------------------- images and pixels
def test_grey_to_rgb_gives_three_equal_channels_at_the_size():
    grey = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    rgb = nt.grey_to_rgb(grey, 48)
    assert rgb.shape == (5, 48, 48, 3) and rgb.dtype == np.float32
    assert np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2])
    assert rgb.min() >= 0 and rgb.max() <= 255
    with pytest.raises(ValueError, match="grey"):
        nt.grey_to_rgb(rgb, 32)


def test_rgb_batches_stream_with_preprocessing():
    grey = np.full((10, 28, 28), 255, np.uint8)
    batches = list(nt.rgb_batches(grey, 32, batch_size=4, preprocess="rescale"))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert batches[0].shape == (4, 32, 32, 3) and np.allclose(batches[0], 1.0)


def test_pixel_features_are_flat_and_scaled():
    grey = np.full((3, 28, 28), 255, np.uint8)
    X = nt.pixel_features(grey)
    assert X.shape == (3, 784) and X.dtype == np.float32 and np.allclose(X, 1.0)


# ------------------------------------------------------------------------------- features
def test_extract_array_features_shapes_and_cache(random_vgg, tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (6, 28, 28)).astype(np.uint8)
    extractor = nt.feature_extractor(random_vgg, ["block4_pool", "block5_pool"])
    stats: dict = {}
    maps = nt.extract_array_features(extractor, images, 32, "vgg16", 4, tmp_path, stats=stats)
    assert maps["block4_pool"].shape == (6, 2, 2, 512)
    assert maps["block5_pool"].shape == (6, 1, 1, 512)
    assert stats["cache_hit"] is False and len(list(tmp_path.glob("*.npy"))) == 2
    again: dict = {}
    cached = nt.extract_array_features(extractor, images, 32, "vgg16", 4, tmp_path, stats=again)
    assert again["cache_hit"] is True and again["extract_seconds"] > 0
    np.testing.assert_array_equal(cached["block5_pool"], maps["block5_pool"])
    # other preprocessing, other images: new entries
    nt.extract_array_features(extractor, images, 32, "rescale", 4, tmp_path)
    nt.extract_array_features(extractor, images[:3], 32, "vgg16", 4, tmp_path)
    assert len(list(tmp_path.glob("*.npy"))) == 6
    assert nt.flatten(maps["block4_pool"]).shape == (6, 2048)


def test_feature_extractor_and_size_checks(random_vgg):
    with pytest.raises(ValueError, match="no layer"):
        nt.feature_extractor(random_vgg, ["block9_pool"])
    extractor = nt.feature_extractor(random_vgg, ["block5_pool"])
    with pytest.raises(ValueError, match="at least 32"):
        nt.extract_array_features(extractor, np.zeros((2, 28, 28), np.uint8), 16)


# ------------------------------------------------------------------------ cross-validation
def test_cross_validation_is_stratified():
    labels = np.array([0] * 140 + [1] * 60)  # 70 / 30
    cv = nt.stratified_folds(10, seed=42)
    assert cv.shuffle and cv.random_state == 42 and cv.get_n_splits() == 10
    balance = nt.fold_balance(cv, labels)
    assert len(balance) == 10 and balance["n_test"].sum() == len(labels)
    assert np.allclose(balance["test_share_1"], 0.3, atol=1 / balance["n_test"].min())
    tests = [test for _, test in cv.split(np.zeros(len(labels)), labels)]
    assert sorted(np.concatenate(tests)) == list(range(len(labels)))  # a partition
    # the same splitter gives the same folds for every feature set
    again = [test for _, test in cv.split(np.ones((len(labels), 5)), labels)]
    assert all(np.array_equal(a, b) for a, b in zip(tests, again, strict=True))


def test_cross_validate_features_and_the_shuffled_label_control():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 60)
    X = rng.normal(0, 1, (120, 5)) + labels[:, None] * 4.0
    cv = nt.stratified_folds(4)
    folds = nt.cross_validate_features(X, labels, cv)
    assert list(folds.columns) == ["fold", "accuracy", "f1", "fit_seconds"] and len(folds) == 4
    assert folds["accuracy"].min() == 1.0
    shuffled = nt.cross_validate_features(X, labels, cv, permute_labels_seed=0)
    assert shuffled["accuracy"].mean() < 0.75
    table = nt.fold_table({"a": folds, "b": shuffled})
    assert list(table.index[-2:]) == ["mean", "std"] and ("b", "f1") in table.columns
    row = nt.summary_row("a", folds, dim=5)
    assert row["acc_mean"] == 1.0 and row["folds"] == 4 and row["dim"] == 5
    diff = nt.paired_difference(folds, shuffled)
    assert diff["mean"] < 0 and diff["better"] + diff["equal"] + diff["worse"] == 4


def test_logistic_regression_plain_or_scaled():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    assert isinstance(nt.logistic_regression(scale=False), LogisticRegression)
    pipe = nt.logistic_regression(scale=True)
    assert isinstance(pipe, Pipeline) and [n for n, _ in pipe.steps] == ["scale", "logreg"]


@needs_mnist
def test_raw_pixels_are_well_above_chance_on_real_digits():
    images, labels = nt.load_digits(MNIST_NPZ, (8, 6), n_samples=1000, seed=42)
    assert images.shape == (1000, 28, 28) and abs(np.mean(labels) - 0.5) < 0.05
    cv = nt.stratified_folds(5, seed=42)
    folds = nt.cross_validate_features(
        nt.pixel_features(images), labels, cv, nt.logistic_regression(scale=False)
    )
    assert folds["accuracy"].mean() > 0.9 and folds["accuracy"].min() > 0.85


# ------------------------------------------------------------------------------ fine-tuning
def test_top_block_model_reproduces_the_base(random_vgg):
    import keras

    images = np.random.default_rng(1).uniform(0, 255, (3, 32, 32, 3)).astype("float32")
    maps = nt.feature_extractor(random_vgg, ["block4_pool", "block5_pool"])(images)
    top = nt.top_block_model(random_vgg, "block4_pool")
    upto = keras.Model(top.inputs, top.get_layer("block5_pool").output)
    np.testing.assert_allclose(upto(maps["block4_pool"]), maps["block5_pool"], rtol=1e-4, atol=1e-4)
    assert top.output_shape == (None, 1)
    block5 = sum(random_vgg.get_layer(f"block5_conv{i}").count_params() for i in (1, 2, 3))
    assert sum(int(np.prod(w.shape)) for w in top.trainable_weights) == block5 + 512 + 1
    with pytest.raises(ValueError, match="nothing to fine-tune"):
        nt.top_block_model(random_vgg, "block5_pool")


def test_fine_tune_cv_scores_the_requested_folds(random_vgg):
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 12)
    maps = rng.uniform(0, 1, (24, 2, 2, 512)).astype("float32")
    cv = nt.stratified_folds(3)
    folds = nt.fine_tune_cv(maps, labels, random_vgg, cv, folds=1, epochs=1, batch_size=8)
    assert isinstance(folds, pd.DataFrame) and len(folds) == 1
    assert 0 <= folds["accuracy"].iloc[0] <= 1 and folds["fit_seconds"].iloc[0] > 0
