"""The book's ImageDataGenerator settings as Keras layers, and where they apply (training only)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.conftest import make_class_folders, split_pipelines
from utils import augment

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (6, 24, 32, 3)).astype("float32")
OFF = {
    "zoom_range": 0,
    "rotation_range": 0,
    "width_shift_range": 0,
    "height_shift_range": 0,
    "shear_range": 0,
    "horizontal_flip": False,
}


def layer_types(aug) -> dict[str, str]:
    return {layer.name: type(layer).__name__ for layer in aug.layers}


def test_book_defaults_map_one_setting_to_one_layer():
    aug = augment.book_augmentation()
    assert layer_types(aug) == {
        "rotation": "RandomRotation",
        "shift": "RandomTranslation",
        "shear": "RandomShear",
        "zoom": "RandomZoom",
        "flip": "RandomFlip",
    }
    for layer in aug.layers[:-1]:
        assert layer.get_config()["fill_mode"] == "nearest"


def test_rotation_degrees_become_a_fraction_of_a_turn():
    layer = augment.book_augmentation(**{**OFF, "rotation_range": 50}).get_layer("rotation")
    low, high = layer.get_config()["factor"]
    assert (low, high) == pytest.approx((-50 / 360, 50 / 360))


def test_shifts_zoom_and_shear_ranges():
    aug = augment.book_augmentation(
        zoom_range=0.3,
        width_shift_range=0.2,
        height_shift_range=0.1,
        shear_range=0.2,
        rotation_range=0,
        horizontal_flip=False,
    )
    shift = aug.get_layer("shift").get_config()
    assert shift["width_factor"] == pytest.approx(0.2)
    assert shift["height_factor"] == pytest.approx(0.1)
    zoom = aug.get_layer("zoom").get_config()
    assert tuple(zoom["height_factor"]) == pytest.approx((-0.3, 0.3))
    assert tuple(zoom["width_factor"]) == pytest.approx((-0.3, 0.3))
    shear = aug.get_layer("shear").get_config()
    assert tuple(shear["x_factor"]) == pytest.approx((-math.sin(0.2), math.sin(0.2)))
    assert tuple(shear["y_factor"]) == pytest.approx((0.0, 0.0))


@pytest.mark.parametrize(
    "name, layer",
    [
        ("zoom_range", "RandomZoom"),
        ("rotation_range", "RandomRotation"),
        ("width_shift_range", "RandomTranslation"),
        ("height_shift_range", "RandomTranslation"),
        ("shear_range", "RandomShear"),
    ],
)
def test_a_zero_range_leaves_its_layer_out(name, layer):
    alone = augment.book_augmentation(**{**OFF, name: 0.2})
    assert [type(x).__name__ for x in alone.layers] == [layer], "only the setting's own layer"
    assert [type(x).__name__ for x in augment.book_augmentation(**OFF).layers] == ["Identity"]


def test_all_zero_is_the_identity():
    out = augment.book_augmentation(**OFF)(IMAGES, training=True)
    np.testing.assert_array_equal(np.asarray(out), IMAGES)


def test_horizontal_flip_only_mirrors_left_right():
    aug = augment.book_augmentation(**{**OFF, "horizontal_flip": True}, seed=3)
    batch = np.repeat(IMAGES[:1], 16, axis=0)
    out = np.asarray(aug(batch, training=True))
    flipped = 0
    for image in out:
        if np.allclose(image, IMAGES[0]):
            continue
        np.testing.assert_allclose(image, IMAGES[0][:, ::-1], atol=1e-4)
        flipped += 1
    assert 0 < flipped < 16


def test_augmentation_is_off_at_inference():
    aug = augment.book_augmentation(seed=1)
    np.testing.assert_allclose(np.asarray(aug(IMAGES, training=False)), IMAGES)


def test_same_seed_same_transforms():
    a = np.asarray(augment.book_augmentation(seed=7)(IMAGES, training=True))
    b = np.asarray(augment.book_augmentation(seed=7)(IMAGES, training=True))
    np.testing.assert_allclose(a, b)
    assert not np.allclose(a, IMAGES)


@pytest.fixture(scope="module")
def small_split(tmp_path_factory):
    root = tmp_path_factory.mktemp("aug_split")
    for split, n in (("train", 4), ("validation", 3)):
        make_class_folders(root / split, {"cat": (200, 60, 40), "dog": (40, 60, 200)}, n)
    return root


def test_split_pipelines_augment_training_images_only(small_split):
    size = (48, 64)  # the generated images' own size: decoding alone changes nothing
    aug = augment.book_augmentation(seed=5)
    plain, _ = split_pipelines(small_split, size, 4, splits=("train", "validation"))
    augmented, names = split_pipelines(
        small_split, size, 4, augment=aug, splits=("train", "validation")
    )
    assert names == ["cat", "dog"]

    def images(ds):
        return np.concatenate([x.numpy() for x, _ in ds])

    raw_train = images(plain["train"])
    for epoch in range(2):
        for x, y in augmented["train"]:
            assert x.shape[1:] == (*size, 3) and set(np.asarray(y)) <= {0, 1}
            for image in x.numpy():
                # every training image differs from every raw one (order is shuffled)
                assert not any(np.allclose(image, raw) for raw in raw_train), epoch
    np.testing.assert_array_equal(images(augmented["validation"]), images(plain["validation"]))


def test_each_epoch_draws_new_transforms(small_split):
    aug = augment.book_augmentation(seed=5)
    ds, _ = split_pipelines(small_split, (48, 64), 8, augment=aug, splits=("train",))
    first = np.sort(np.concatenate([x.numpy() for x, _ in ds["train"]]).reshape(8, -1), axis=0)
    second = np.sort(np.concatenate([x.numpy() for x, _ in ds["train"]]).reshape(8, -1), axis=0)
    assert not np.allclose(first, second)


def test_augmented_versions_of_one_photo():
    photo = IMAGES[0]
    versions = augment.augmented_versions(augment.book_augmentation(seed=0), photo, 3)
    assert versions.shape == (3, *photo.shape) and versions.dtype == np.uint8
    assert not np.array_equal(versions[0], versions[1])
