"""Grad-CAM: which parts of an image a convolutional classifier looks at.

Selvaraju et al. (2017): weight each feature map of a convolutional layer by the mean gradient
of the class score with respect to it, sum, keep the positive part, resize onto the image.

The transfer models of this course nest their backbone: ``raw photo → Dense(3) preprocessing →
vgg16 (a keras.Model) → head``. Keras' usual recipe, a second model from the input to an inner
layer's output, breaks on such nesting in Keras 3, so :func:`gradcam` runs the model as it is
and records the chosen layer's output on the way (a temporary hook on that one layer, removed
afterwards), watching it on the gradient tape. Flat or nested, Sequential or functional alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure


def _sublayers(model) -> list:
    return list(getattr(model, "layers", []))


def _output_rank(layer) -> int | None:
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError):
        return None


def _is_conv(layer) -> bool:
    return "Conv" in type(layer).__name__ and _output_rank(layer) == 4


def last_conv_layer(model) -> str:
    """Path of the last convolutional layer, through nested models: ``"vgg16/block5_conv3"``."""
    found = None
    for layer in _sublayers(model):
        if isinstance(layer, keras.Model):
            try:
                found = f"{layer.name}/{last_conv_layer(layer)}"
            except ValueError:
                pass
        elif _is_conv(layer):
            found = layer.name
    if found is None:
        raise ValueError(f"{model.name} has no convolutional layer")
    return found


def get_layer(model, path: str):
    """A layer by name, or by ``"outer/inner"`` path through nested models."""
    layer = model
    for part in path.split("/"):
        layer = layer.get_layer(part)
    return layer


def _output_layer(model):
    """The layer that produces the model's output (following nested models)."""
    layer = _sublayers(model)[-1]
    return _output_layer(layer) if isinstance(layer, keras.Model) else layer


def gradcam(
    model,
    images,
    class_index: int | Sequence[int] | None = None,
    layer: str | None = None,
    resize: bool = True,
    use_logits: bool = True,
    batch_size: int = 16,
) -> np.ndarray:
    """Grad-CAM heatmaps in [0, 1] for raw images ``(n, h, w, 3)`` (or one ``(h, w, 3)``).

    ``class_index``: the class to explain, one for all images or one per image; by default the
    predicted class (``utils.evaluation.to_labels``). For a one-unit sigmoid model class 1 is
    explained by its score and class 0 by its negation. ``layer``: a layer name or nested path
    (default :func:`last_conv_layer`). ``use_logits`` explains the score before the final
    sigmoid/softmax, which does not vanish on confident predictions (a sigmoid at 1.0 has zero
    gradient). Returns ``(n, h, w)`` (the layer's resolution if not ``resize``); an image with
    no positive evidence gets zeros.
    """
    from utils.evaluation import to_labels

    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[None]
    if class_index is None:
        class_index = to_labels(model.predict(images, batch_size=batch_size, verbose=0))
    wanted = np.broadcast_to(np.asarray(class_index, dtype=np.int32), (len(images),))
    target = get_layer(model, layer or last_conv_layer(model))
    head = _output_layer(model)
    activation = getattr(head, "activation", None)
    swap = use_logits and activation in (keras.activations.sigmoid, keras.activations.softmax)

    captured: dict[str, tf.Tensor] = {}
    original_call = target.call
    had_own_call = "call" in vars(target)

    def recording_call(*args, **kwargs):
        out = original_call(*args, **kwargs)
        captured["tape"].watch(out)
        captured["maps"] = out
        return out

    cams = []
    target.call = recording_call
    if swap:
        head.activation = keras.activations.linear
    try:
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            idx = tf.constant(wanted[start : start + batch_size])
            captured.clear()
            with tf.GradientTape() as tape:
                captured["tape"] = tape
                scores = tf.reshape(model(tf.constant(chunk), training=False), (len(chunk), -1))
                if scores.shape[1] == 1:  # one unit: class 1 is the score, class 0 its negation
                    score = tf.cast(2 * idx - 1, scores.dtype) * scores[:, 0]
                else:
                    score = tf.gather(scores, idx, axis=1, batch_dims=1)
            maps = captured.get("maps")
            if maps is None:
                raise RuntimeError(f"layer {target.name} did not run in the forward pass")
            grads = tape.gradient(score, maps)
            if grads is None:
                raise RuntimeError(f"the score does not depend on layer {target.name}")
            cams.append(_weighted_maps(maps, grads))
    finally:
        if had_own_call:
            target.call = original_call
        else:
            del target.call  # back to the class's own method
        if swap:
            head.activation = activation
    cam = tf.concat(cams, axis=0)
    if resize:  # then back to a peak of 1, which bilinear upsampling shaves off
        cam = tf.image.resize(cam[..., None], images.shape[1:3], method="bilinear")[..., 0]
        cam = tf.math.divide_no_nan(cam, tf.reduce_max(cam, axis=(1, 2), keepdims=True))
    return np.clip(cam.numpy(), 0.0, 1.0)


def _weighted_maps(maps: tf.Tensor, grads: tf.Tensor) -> tf.Tensor:
    """Grad-CAM proper: maps weighted by their mean gradient, summed, ReLU, peak scaled to 1."""
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1))
    return tf.math.divide_no_nan(cam, tf.reduce_max(cam, axis=(1, 2), keepdims=True))


def overlay(image, heatmap, alpha: float = 0.45, cmap: str = "jet") -> np.ndarray:
    """A heatmap coloured with ``cmap`` and blended over an RGB image; uint8 ``(h, w, 3)``."""
    image = np.asarray(image, dtype=np.float32)
    heatmap = np.asarray(heatmap, dtype=np.float32)
    if heatmap.shape != image.shape[:2]:
        heatmap = tf.image.resize(heatmap[..., None], image.shape[:2]).numpy()[..., 0]
    colored = plt.get_cmap(cmap)(np.clip(heatmap, 0, 1))[..., :3] * 255.0
    return np.clip((1 - alpha) * image + alpha * colored, 0, 255).astype(np.uint8)


def plot_gradcam(
    images, heatmaps, titles: Sequence[str] | None = None, alpha: float = 0.45, ncols: int = 4
) -> Figure:
    """Each image beside its Grad-CAM overlay, ``ncols`` pairs per row."""
    from utils.plots import image_grid

    cells, names = [], []
    for i, (image, heatmap) in enumerate(zip(images, heatmaps, strict=True)):
        cells += [np.clip(image, 0, 255).astype(np.uint8), overlay(image, heatmap, alpha)]
        names += [titles[i] if titles is not None else "", "Grad-CAM"]
    return image_grid(cells, names, ncols=2 * ncols)
