"""utils.gradcam: shapes, nested models like the saved ones, and a planted region found."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import VGG16_WEIGHTS
from utils import gradcam as gc
from utils.pretrained import preprocessing_layer
from utils.saving import load_model, save_model

SIZE = 32
QUADRANTS = {"top-left": (0, 0), "top-right": (0, 1), "bottom-left": (1, 0), "bottom-right": (1, 1)}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def planted_image(red_quadrant: str, green_quadrant: str, size: int = SIZE) -> np.ndarray:
    """A dark noisy image, a bright red square in one quadrant, a smaller green one in another."""
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 30, (size, size, 3)).astype("float32")
    half = size // 2
    for quadrant, channel, pad in ((red_quadrant, 0, size // 8), (green_quadrant, 1, size // 6)):
        r, c = QUADRANTS[quadrant]
        rows = slice(r * half + pad, (r + 1) * half - pad)
        cols = slice(c * half + pad, (c + 1) * half - pad)
        image[rows, cols] = 0
        image[rows, cols, channel] = 255
    return image


def red_detector(nested: bool = False) -> keras.Model:
    """A model built by hand to look at red: P(class 1) rises with red, falls with green.

    Conv (2x2, stride 2) channel 0 = relu(R - G - B), channel 1 = relu(G - R - B), then global
    average pooling and one sigmoid unit with weights +8 (red) and -8 (green).
    """
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Rescaling(1 / 255, name="rescale")(inputs)
    conv = keras.layers.Conv2D(2, 2, strides=2, activation="relu", name="detector")
    if nested:
        base_in = keras.Input((SIZE, SIZE, 3))
        base = keras.Model(base_in, conv(base_in), name="base")
        x = base(x, training=False)
    else:
        x = conv(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="score")(x)
    model = keras.Model(inputs, outputs)
    kernel = np.zeros((2, 2, 3, 2), "float32")
    kernel[:, :, :, 0] = np.array([1, -1, -1]) / 4
    kernel[:, :, :, 1] = np.array([-1, 1, -1]) / 4
    conv.set_weights([kernel, np.zeros(2, "float32")])
    model.get_layer("score").set_weights([np.array([[8.0], [-8.0]], "float32"), np.zeros(1)])
    return model


def quadrant_of_peak(heatmap: np.ndarray) -> str:
    r, c = np.unravel_index(np.argmax(heatmap), heatmap.shape)
    half = heatmap.shape[0] // 2
    return next(q for q, rc in QUADRANTS.items() if rc == (r // half, c // half))


def mass_in_quadrant(heatmap: np.ndarray, quadrant: str) -> float:
    r, c = QUADRANTS[quadrant]
    half = heatmap.shape[0] // 2
    return float(
        heatmap[r * half : (r + 1) * half, c * half : (c + 1) * half].sum() / heatmap.sum()
    )


@pytest.mark.parametrize(
    "red,green",
    [("top-left", "bottom-right"), ("bottom-left", "top-right"), ("top-right", "top-left")],
)
def test_heatmap_peaks_on_the_planted_region(red, green):
    model = red_detector()
    image = planted_image(red, green)
    # the model does look there: class 1 ("red") wins, and loses without the red square
    without_red = image.copy()
    without_red[..., 0] = np.minimum(without_red[..., 0], 30)
    p = model.predict(np.stack([image, without_red]), verbose=0)[:, 0]
    assert p[0] > 0.5 > p[1]
    heat = gc.gradcam(model, image[None])[0]
    assert heat.shape == (SIZE, SIZE)
    assert heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    assert quadrant_of_peak(heat) == red
    assert mass_in_quadrant(heat, red) > 0.8
    # explaining the other class points at the other square
    heat0 = gc.gradcam(model, image[None], class_index=0)[0]
    assert quadrant_of_peak(heat0) == green


def test_logits_keep_confident_predictions_explainable():
    """A saturated sigmoid (exactly 1.0 in float32) has no gradient; its logit still has one."""
    model = red_detector()
    dense = model.get_layer("score")
    dense.set_weights([w * 1000 for w in dense.get_weights()])
    image = planted_image("bottom-left", "top-right")
    assert model.predict(image[None], verbose=0)[0, 0] == 1.0
    assert gc.gradcam(model, image, use_logits=False).max() == 0.0
    heat = gc.gradcam(model, image)[0]
    assert quadrant_of_peak(heat) == "bottom-left"
    assert dense.activation is keras.activations.sigmoid  # put back


def test_batches_and_class_per_image():
    model = red_detector()
    images = np.stack(
        [planted_image(q, "top-left" if q != "top-left" else "top-right") for q in QUADRANTS]
    )
    one_go = gc.gradcam(model, images, class_index=[1, 0, 1, 0])
    in_batches = gc.gradcam(model, images, class_index=[1, 0, 1, 0], batch_size=3)
    np.testing.assert_allclose(in_batches, one_go, atol=1e-6)
    assert quadrant_of_peak(one_go[0]) == "top-left"  # red
    assert quadrant_of_peak(one_go[1]) == "top-left"  # green square of image 1


def test_nested_model_saved_and_loaded_gives_the_same_heatmap(tmp_path):
    """Input → Rescaling → base (a nested keras.Model) → head, as the course saves them."""
    flat = red_detector()
    nested = red_detector(nested=True)
    images = np.stack(
        [planted_image("top-left", "bottom-right"), planted_image("bottom-right", "top-left")]
    )
    assert gc.last_conv_layer(nested) == "base/detector"
    save_model(nested, tmp_path / "nested.h5", ["green", "red"], epochs=1)
    loaded, _ = load_model(tmp_path / "nested.h5")
    expected = gc.gradcam(flat, images, class_index=1)
    got = gc.gradcam(loaded, images, class_index=1)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert quadrant_of_peak(got[1]) == "bottom-right"
    # the hook is gone afterwards and the model predicts as before
    assert "call" not in vars(loaded.get_layer("base").get_layer("detector"))
    np.testing.assert_allclose(loaded.predict(images, verbose=0), flat.predict(images, verbose=0))


def test_matches_the_classic_grad_model_on_a_flat_cnn(tmp_path):
    """Same maps as Keras' Grad-CAM example (a second model to [conv output, output]), on a
    Sequential model that starts with Rescaling like the CNNs of notebooks 02-03; the same
    again once saved and reloaded."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(6, 3, activation="relu", name="c2"),
            keras.layers.Flatten(),
            keras.layers.Dense(3, name="logits"),
        ]
    )
    images = np.random.default_rng(1).uniform(0, 255, (3, SIZE, SIZE, 3)).astype("float32")
    inputs = x = keras.Input((SIZE, SIZE, 3))
    for layer in model.layers:  # the same layers (same weights), called on a functional input
        x = layer(x)
        if layer.name == "c2":
            maps_tensor = x
    grad_model = keras.Model(inputs, [maps_tensor, x])
    with tf.GradientTape() as tape:
        maps, logits = grad_model(images)
        score = tf.gather(logits, [2, 0, 1], axis=1, batch_dims=0)
        score = tf.linalg.diag_part(score)
    grads = tape.gradient(score, maps)
    cam = tf.nn.relu(tf.reduce_sum(tf.reduce_mean(grads, (1, 2), keepdims=True) * maps, -1))
    cam = tf.math.divide_no_nan(cam, tf.reduce_max(cam, (1, 2), keepdims=True)).numpy()
    got = gc.gradcam(model, images, class_index=[2, 0, 1], resize=False)
    assert gc.last_conv_layer(model) == "c2"
    assert got.shape == cam.shape == (3, 13, 13)
    np.testing.assert_allclose(got, cam, atol=1e-5)
    save_model(model, tmp_path / "cnn.h5", ["a", "b", "c"], epochs=1)
    loaded, _ = load_model(tmp_path / "cnn.h5")
    again = gc.gradcam(loaded, images, class_index=[2, 0, 1], resize=False)
    np.testing.assert_allclose(again, cam, atol=1e-5)


def gc_labels(model, images):
    from utils.evaluation import to_labels

    return to_labels(model.predict(images, verbose=0))


@pytest.mark.parametrize("nested_head", [False, True])
def test_vgg16_model_as_the_course_saves_it(tmp_path, nested_head):
    """Raw photo → VGG-16's preprocessing as a built-in Dense(3) → frozen nested VGG-16 → head
    (the head's layers inline, or a nested Sequential), saved and reloaded."""
    size = 64
    keras.utils.set_random_seed(0)
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(size, size, 3))
    base.trainable = False
    head_layers = [
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid", name="output"),
    ]
    inputs = keras.Input((size, size, 3))
    x = base(preprocessing_layer("vgg16")(inputs), training=False)
    if nested_head:
        x = keras.Sequential([keras.Input(base.output_shape[1:]), *head_layers], name="head")(x)
    else:
        for layer in head_layers:
            x = layer(x)
    save_model(keras.Model(inputs, x), tmp_path / "vgg.h5", ["cat", "dog"], epochs=1)
    loaded, _ = load_model(tmp_path / "vgg.h5")
    assert gc.last_conv_layer(loaded) == "vgg16/block5_conv3"
    images = np.random.default_rng(2).uniform(0, 255, (2, size, size, 3)).astype("float32")
    before = loaded.predict(images, verbose=0)
    heat = gc.gradcam(loaded, images)
    assert heat.shape == (2, size, size)
    assert np.isfinite(heat).all() and heat.min() >= 0 and heat.max() <= 1
    # random weights: the evidence may all be against the predicted class, never against both
    other = gc.gradcam(loaded, images, class_index=1 - gc_labels(loaded, images))
    assert max(heat.max(), other.max()) == pytest.approx(1.0)  # a frozen base still has maps
    small = gc.gradcam(loaded, images[0], layer="vgg16/block4_conv3", resize=False)
    assert small.shape == (1, 8, 8)
    output = loaded.get_layer("head").get_layer("output") if nested_head else loaded.layers[-1]
    assert output.activation is keras.activations.sigmoid  # put back after the logits
    np.testing.assert_allclose(loaded.predict(images, verbose=0), before, rtol=1e-5)


@pytest.mark.skipif(not VGG16_WEIGHTS.is_file(), reason="../shared VGG-16 weights not present")
def test_real_vgg16_weights_give_a_spatial_map():
    base = keras.applications.VGG16(
        include_top=False, weights=str(VGG16_WEIGHTS), input_shape=(64, 64, 3)
    )
    inputs = keras.Input((64, 64, 3))
    x = keras.layers.GlobalAveragePooling2D()(base(preprocessing_layer("vgg16")(inputs)))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    image = planted_image("top-left", "bottom-right", 64)
    heat = gc.gradcam(model, image)
    assert heat.shape == (1, 64, 64) and heat.max() == pytest.approx(1.0)


def test_errors_overlay_and_figure():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="no convolutional layer"):
        gc.last_conv_layer(model)
    image = planted_image("top-left", "bottom-right")
    heat = gc.gradcam(red_detector(), image)[0]
    blended = gc.overlay(image, heat)
    assert blended.shape == (SIZE, SIZE, 3) and blended.dtype == np.uint8
    assert gc.overlay(image, heat[::2, ::2]).shape == (SIZE, SIZE, 3)
    fig = gc.plot_gradcam(np.stack([image, image]), np.stack([heat, heat]), ["a", "b"], ncols=2)
    assert len(fig.axes) == 4
