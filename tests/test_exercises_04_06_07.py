"""The outcomes that the "Try it" exercises of notebooks 04, 06 and 07 state as facts, checked
without running the notebooks: each test builds what the changed parameter or cell would build
(written as in the notebook, random weights, small inputs) and checks the exercise's answer.

Exercises whose answer only says what to compare (accuracies, curves, maps) have no test here.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers
from sklearn.metrics import recall_score, roc_curve

from utils import evaluation, pretrained, training

RNG = np.random.default_rng(0)


def vgg16(image_size: int) -> keras.Model:
    return keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(image_size, image_size, 3)
    )


# --- notebook 04 ---------------------------------------------------------------------------


def head_04(input_shape, pooling: keras.layers.Layer) -> keras.Sequential:
    """Notebook 04's head cell (two classes), with its first layer exchangeable."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            pooling,
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def test_exercise_04_x255_shrinks_the_range_the_base_sees():
    """Exercise 1: VGG-16's preprocessing gives values within [-123.7, 151.1], x/255 [0, 1]."""
    pixels = np.array([[[[0, 0, 0], [255, 255, 255]]]], dtype="float32")  # black, white
    vgg = np.asarray(pretrained.preprocessing_layer("vgg16")(pixels))
    np.testing.assert_allclose(vgg[0, 0, 0], [-103.939, -116.779, -123.68], atol=1e-3)
    np.testing.assert_allclose(vgg[0, 0, 1], [151.061, 138.221, 131.32], atol=1e-3)
    assert round(float(vgg.min()), 1) == -123.7 and round(float(vgg.max()), 1) == 151.1
    rescaled = np.asarray(keras.layers.Rescaling(1 / 255)(pixels))
    assert float(rescaled.min()) == 0.0 and float(rescaled.max()) == pytest.approx(1.0)


def test_exercise_04_image_size_224():
    """Exercise 2: 7 x 7 x 512 features, 13,108,737 trainable weights, the base unchanged."""
    base = vgg16(224)
    assert base.output_shape == (None, 7, 7, 512)
    assert base.count_params() == vgg16(150).count_params() == 14_714_688
    assert head_04((7, 7, 512), layers.Flatten()).count_params() == 13_108_737
    assert head_04((4, 4, 512), layers.Flatten()).count_params() == 4_457_985
    assert training.book_head((7, 7, 512), 2).count_params() == 13_108_737
    assert round((224 / 150) ** 2, 1) == 2.2


@pytest.mark.parametrize("features", [(4, 4, 512), (7, 7, 512)])
def test_exercise_04_pooled_head(features):
    """Exercise 3: with GlobalAveragePooling2D the head has 525,825 weights at any size."""
    assert head_04(features, layers.GlobalAveragePooling2D()).count_params() == 525_825


# --- notebook 06 ---------------------------------------------------------------------------


def unfrozen(blocks: list[str], image_size: int = 64) -> keras.Model:
    """VGG-16 frozen as in step 1, then step 2's flag and unfreeze loop."""
    conv_base = vgg16(image_size)
    conv_base.trainable = False
    conv_base.trainable = True
    for layer in conv_base.layers:
        layer.trainable = layer.name.startswith(tuple(blocks))
    return conv_base


@pytest.mark.parametrize(
    ("blocks", "trainable_layers", "weights"),
    [
        (["block5"], 4, 7_079_424),  # exercise 1
        (["block4", "block5"], 8, 12_979_200),  # the book's choice
        (["block"], 18, 14_714_688),  # exercise 2: 13 convolutions and 5 poolings
    ],
)
def test_exercise_06_unfrozen_blocks(blocks, trainable_layers, weights):
    conv_base = unfrozen(blocks)
    table = pretrained.layer_table(conv_base)
    trainable = table[table["Layer Trainable"]]
    assert len(trainable) == trainable_layers
    assert int(trainable["Params"].sum()) == weights
    assert pretrained.param_counts(conv_base)["trainable_params"] == weights


def test_exercise_06_training_false_changes_nothing_in_vgg16():
    """Exercise 3: no BatchNormalization or Dropout in VGG-16, so both modes agree; a
    BatchNormalization layer's do not."""
    conv_base = vgg16(64)
    kinds = {type(layer).__name__ for layer in conv_base.layers}
    assert kinds == {"InputLayer", "Conv2D", "MaxPooling2D"}
    x = RNG.uniform(-120, 150, (2, 64, 64, 3)).astype("float32")
    in_training = np.asarray(conv_base(x, training=True))
    in_inference = np.asarray(conv_base(x, training=False))
    assert np.abs(in_training - in_inference).max() <= 1e-6 * np.abs(in_inference).max()
    batch_norm = keras.Sequential([keras.Input(shape=(4,)), layers.BatchNormalization()])
    y = RNG.normal(5.0, 3.0, (8, 4)).astype("float32")
    in_training = np.asarray(batch_norm(y, training=True))
    assert not np.allclose(in_training, np.asarray(batch_norm(y, training=False)), atol=0.1)


def test_exercise_06_no_augmented_passes():
    """Exercise 4: 3,000 rows of 9 x 9 x 512 instead of 18,000; an epoch stays 100 batches."""
    assert vgg16(150).get_layer("block4_pool").output.shape[1:] == (9, 9, 512)
    train_photos, batch_size = 3000, 30
    assert [(1 + passes) * train_photos for passes in (0, 5)] == [3000, 18_000]
    assert -(-train_photos // batch_size) == 100  # the notebook's steps_per_epoch


# --- notebook 07 ---------------------------------------------------------------------------


def binary_outputs(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Labels and (n, 1) sigmoid outputs that lean towards the right class."""
    y = RNG.integers(0, 2, n)
    p = np.clip(0.35 * y + RNG.uniform(0.0, 0.65, n), 0.0, 1.0)
    return y, p[:, None]


def test_exercise_07_a_higher_threshold():
    """Exercise 1: dog recall can only fall, cat recall only rise; both operating points lie
    on the one ROC curve, which the threshold does not change."""
    y, p = binary_outputs()
    at_05 = evaluation.to_labels(p, threshold=0.5)
    at_09 = evaluation.to_labels(p, threshold=0.9)
    assert np.all(at_09 <= at_05)  # a dog at 0.9 is a dog at 0.5
    cat_05, dog_05 = recall_score(y, at_05, average=None)
    cat_09, dog_09 = recall_score(y, at_09, average=None)
    assert dog_09 <= dog_05 and cat_09 >= cat_05
    fpr, tpr, _ = roc_curve(y, p[:, 0], drop_intermediate=False)
    for pred in (at_05, at_09):
        point = (pred[y == 0].mean(), pred[y == 1].mean())
        assert np.any(np.isclose(fpr, point[0]) & np.isclose(tpr, point[1]))


def test_exercise_07_the_photos_shown_as_wrong_are_the_models_mistakes():
    """Exercise 2: confident_mistakes lists exactly the wrong predictions, most confident
    first, so the last photos Grad-CAM shows are mistakes of its model."""
    y, p = binary_outputs(200)
    wrong = evaluation.confident_mistakes(y, p)
    assert len(wrong) > 0
    assert set(wrong.tolist()) == set(np.flatnonzero(evaluation.to_labels(p) != y).tolist())
    confidence = evaluation.as_probabilities(p).max(axis=1)[wrong]
    assert np.all(np.diff(confidence) <= 0)
