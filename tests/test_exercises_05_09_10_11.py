"""What the "Try it" exercises of notebooks 05, 09, 10 and 11 say a learner will see, checked
without running the notebooks: the models the changed parameters build (random weights, so
nothing is downloaded), the augmentation they configure, what the cache then loads, and how
scikit-learn's permutation test counts. Seconds in all."""

from __future__ import annotations

import ast
import math

import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, permutation_test_score

from tests.conftest import MNIST_NPZ, ROOT, make_class_folders
from utils import augment, cache, pretrained, training

SEED = 42
VGG16_PARAMS = 14_714_688
POST_TOP_MODEL_PARAMS = (8192 * 256 + 256) + (256 + 1)  # notebook 11's top model at 150 px
BOOK_HEAD_PARAMS = (8192 * 512 + 512) + (512 * 512 + 512) + (512 + 1)  # notebook 04's, 150 px


def vgg16(size: int) -> keras.Model:
    """VGG-16 without its classifier, random weights, for size x size photos."""
    return keras.applications.VGG16(include_top=False, weights=None, input_shape=(size, size, 3))


def small_folder(tmp_path, per_class: int):
    """A two-class folder of small generated photos, as image_dataset_from_directory reads it."""
    colours = {"cat": (200, 60, 40), "dog": (40, 60, 200)}
    return make_class_folders(tmp_path / "train", colours, per_class=per_class)


# -- notebook 05 ------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "head_params"), [(150, 4_457_985), (180, 6_817_281)])
def test_exercise_05_a_larger_photo_a_larger_head(size, head_params):
    # the direct route's model without its augmentation (no weights): photo -> preprocessing
    # -> frozen VGG-16 -> the book's head
    base = vgg16(size)
    base.trainable = False
    side = size // 32  # five 2 x 2 poolings, each rounding down
    assert base.output_shape[1:] == (side, side, 512)
    head = training.book_head(base.output_shape[1:], 2)
    photos = keras.Input(shape=(size, size, 3))
    features = base(pretrained.preprocessing_layer("vgg16")(photos), training=False)
    model = keras.Model(photos, head(features))
    assert pretrained.param_counts(model) == {
        "trainable_params": head_params,
        "frozen_params": VGG16_PARAMS + 12,  # VGG-16 and the preprocessing layer's Dense(3)
    }
    assert head_params == (side * side * 512 * 512 + 512) + (512 * 512 + 512) + (512 + 1)


def test_exercise_05_fill_mode_reaches_every_geometric_layer():
    aug = augment.book_augmentation(seed=SEED, fill_mode="constant")
    modes = {layer.name: layer.get_config().get("fill_mode") for layer in aug.layers}
    assert modes == {
        "rotation": "constant",
        "shift": "constant",
        "shear": "constant",
        "zoom": "constant",
        "flip": None,  # a flip brings in nothing from outside the photo
    }


def test_exercise_05_more_passes_load_the_first_ones(tmp_path, capsys):
    photos = keras.utils.image_dataset_from_directory(
        small_folder(tmp_path, 3), image_size=(16, 16), batch_size=4, shuffle=False, verbose=False
    )
    extractor = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.GlobalAveragePooling2D()])

    def passes(aug_passes: int) -> list[np.ndarray]:
        """Notebook 05's loop over the augmented passes, with a tiny extractor."""
        return [
            cache.predict(
                extractor,
                photos,
                f"train_aug{k}_features",
                tmp_path / "cache",
                augment=augment.book_augmentation(seed=SEED + 1000 * (k + 1)),
            )
            for k in range(aug_passes)
        ]

    before = passes(2)
    capsys.readouterr()
    after = passes(3)
    out = capsys.readouterr().out
    assert "train_aug0_features: (6, 3) loaded from the cache" in out
    assert "train_aug1_features: (6, 3) loaded from the cache" in out
    assert "train_aug2_features: (6, 3) computed" in out
    for old, new in zip(before, after[:2], strict=True):
        np.testing.assert_array_equal(old, new)
    assert len(np.concatenate(after)) == 3 * 6  # photos_per_epoch: passes x training photos


def test_exercise_05_steps_per_epoch_sets_the_photos_of_an_epoch(tmp_path):
    # 20 photos in batches of 3 (7 batches), STEPS_PER_EPOCH = 4: as notebook 05 counts them
    train_ds = keras.utils.image_dataset_from_directory(
        small_folder(tmp_path, 10), image_size=(16, 16), batch_size=3, seed=SEED, verbose=False
    )
    assert len(train_ds) == 7
    train_ds = train_ds.take(4)
    assert len(train_ds) == 4
    assert min(20, len(train_ds) * 3) == 12  # 3,000 photos, batches of 30, 10 steps: 300


# -- notebook 09 ------------------------------------------------------------------------------


def test_exercise_09_the_articles_input_size():
    base = vgg16(224)
    dims = {
        name: math.prod(base.get_layer(name).output.shape[1:])
        for name in ("block3_pool", "block4_pool", "block5_pool")
    }
    assert dims == {"block3_pool": 200_704, "block4_pool": 100_352, "block5_pool": 25_088}
    average = keras.layers.GlobalAveragePooling2D().compute_output_shape(base.output_shape)
    assert tuple(average) == (None, 512)
    assert 1000 * 200_704 * 4 / 1e9 == pytest.approx(0.8, abs=0.01)  # GB of block3_pool


def test_exercise_09_vgg16s_smallest_input():
    base = vgg16(32)
    assert base.output_shape[1:] == (1, 1, 512)
    assert tuple(base.get_layer("block4_pool").output.shape[1:]) == (2, 2, 512)
    maps = np.random.default_rng(SEED).normal(size=(4, 1, 1, 512)).astype("float32")
    flat = keras.ops.convert_to_numpy(keras.layers.Flatten()(maps))
    average = keras.ops.convert_to_numpy(keras.layers.GlobalAveragePooling2D()(maps))
    np.testing.assert_array_equal(flat, average)  # block5_pool and block5_average: the same
    with pytest.raises(ValueError, match="at least 32x32"):
        vgg16(31)


@pytest.mark.skipif(not MNIST_NPZ.is_file(), reason="../shared MNIST not present")
def test_exercise_09_another_pair_of_digits():
    with np.load(MNIST_NPZ) as mnist:
        y = np.concatenate([mnist["y_train"], mnist["y_test"]])
    assert len(y) == 70_000
    assert (int((y == 4).sum()), int((y == 9).sum())) == (6_824, 6_958)
    assert int(np.isin(y, (4, 9)).sum()) == 13_782


def test_exercise_09_the_smallest_p_value_is_one_over_the_label_sets():
    # two classes far apart: the real labels score 1.0 on every fold, no shuffle comes near
    rng = np.random.default_rng(SEED)
    labels = np.repeat([0, 1], 30)
    features = rng.normal(size=(60, 4)) + 8.0 * labels[:, None]
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
    real, shuffled, pvalue = permutation_test_score(
        LogisticRegression(max_iter=2000),
        features,
        labels,
        cv=cv,
        n_permutations=19,
        random_state=SEED,
    )
    assert real == 1.0 and shuffled.max() < 1.0
    assert pvalue == pytest.approx(1 / 20)  # (0 shuffles at least as good + 1) / (19 + 1)


# -- notebook 10 ------------------------------------------------------------------------------


def basic_cnn(size: int) -> keras.Sequential:
    """Notebook 10's basic CNN (notebook 02's layers) at size x size pixels."""
    convolutions = [
        layer
        for filters in (16, 64, 128)
        for layer in (
            keras.layers.Conv2D(filters, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D(),
        )
    ]
    top = [
        keras.layers.Flatten(),
        keras.layers.Dense(512, activation="relu"),
        training.output_layer(2),
    ]
    return keras.Sequential(
        [keras.Input(shape=(size, size, 3)), keras.layers.Rescaling(1.0 / 255)] + convolutions + top
    )


@pytest.mark.parametrize(
    ("size", "params", "side"), [(48, 1_133_185, 4), (64, 2_443_905, 6), (150, 19_024_513, 17)]
)
def test_exercise_10_the_cnns_input_size(size, params, side):
    model = basic_cnn(size)
    assert model.count_params() == params
    flatten = next(layer for layer in model.layers if isinstance(layer, keras.layers.Flatten))
    assert tuple(flatten.input.shape[1:]) == (side, side, 128)
    convolutions = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert sum(layer.count_params() for layer in convolutions) == 83_584  # at every size


@pytest.mark.parametrize(("size", "side"), [(150, 4), (224, 7)])
def test_exercise_10_vgg16_at_its_own_size_still_gives_512_features(size, side):
    base = vgg16(size)
    assert base.output_shape[1:] == (side, side, 512)
    maps = np.ones((3, side, side, 512), np.float32)
    assert maps.mean(axis=(1, 2)).shape == (3, 512)  # notebook 10 averages each map
    assert (224 / 150) ** 2 == pytest.approx(2.2, abs=0.05)


# -- notebook 11 ------------------------------------------------------------------------------


def post_top_model(input_shape) -> keras.Sequential:
    """Notebook 11's own ``top_model_for`` (the post's classifier), taken from the notebook."""
    tree = ast.parse((ROOT / "notebooks" / "11_keras_blog_2016.py").read_text())
    (define,) = [n for n in tree.body if getattr(n, "name", None) == "top_model_for"]
    namespace = {"keras": keras}
    exec(compile(ast.Module([define], type_ignores=[]), "11_keras_blog_2016.py", "exec"), namespace)
    return namespace["top_model_for"](input_shape)


BLOCK4 = ["block4_conv1", "block4_conv2", "block4_conv3"]
BLOCK5 = ["block5_conv1", "block5_conv2", "block5_conv3"]


@pytest.mark.parametrize(
    ("frozen", "trainable", "trainable_params"),
    [(15, BLOCK5, 9_177_089), (11, BLOCK4 + BLOCK5, 15_076_865)],
)
def test_exercise_11_unfreezing_block_4(frozen, trainable, trainable_params):
    # notebook 11's step 3 at 150 px with the post's x / 255
    base = vgg16(150)
    top_model = post_top_model(base.output_shape[1:])
    for layer in base.layers[:frozen]:
        layer.trainable = False
    assert [layer.name for layer in base.layers if layer.trainable and layer.weights] == trainable
    inputs = keras.Input(shape=(150, 150, 3))
    model = keras.Model(inputs, top_model(base(keras.layers.Rescaling(1 / 255)(inputs))))
    counts = pretrained.param_counts(model)
    assert counts["trainable_params"] == trainable_params
    assert counts["trainable_params"] + counts["frozen_params"] == (
        VGG16_PARAMS + POST_TOP_MODEL_PARAMS
    )


def test_exercise_11_the_books_head_on_the_posts_recipe():
    features = (4, 4, 512)  # block5_pool at 150 px
    assert post_top_model(features).count_params() == POST_TOP_MODEL_PARAMS == 2_097_665
    assert training.book_head(features, 2).count_params() == BOOK_HEAD_PARAMS == 4_457_985


def test_exercise_11_the_preview_is_the_table_of_the_notebook():
    # the post's preview generator: rotation 40, shifts 0.2, shear 0.2, zoom 0.2, flips, nearest
    preview = augment.book_augmentation(rotation_range=40, zoom_range=0.2, seed=SEED)
    config = {layer.name: layer.get_config() for layer in preview.layers}
    assert list(config) == ["rotation", "shift", "shear", "zoom", "flip"]
    assert tuple(config["rotation"]["factor"]) == pytest.approx((-40 / 360, 40 / 360))
    assert config["shift"]["height_factor"] == pytest.approx(0.2)
    assert config["shift"]["width_factor"] == pytest.approx(0.2)
    assert tuple(config["shear"]["x_factor"]) == pytest.approx((-math.sin(0.2), math.sin(0.2)))
    assert tuple(config["zoom"]["height_factor"]) == pytest.approx((-0.2, 0.2))
    assert tuple(config["zoom"]["width_factor"]) == pytest.approx((-0.2, 0.2))
    assert config["flip"]["mode"] == "horizontal"
    geometric = ("rotation", "shift", "shear", "zoom")
    assert {config[name]["fill_mode"] for name in geometric} == {"nearest"}
