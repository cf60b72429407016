"""Custom layers, registered so models saved as ``.h5`` load back anywhere ``utils`` is imported."""

from __future__ import annotations

import importlib

import keras

# keras.applications module holding each backbone's ``preprocess_input``.
PREPROCESS_MODULES = {
    "vgg16": "vgg16",
    "vgg19": "vgg19",
    "inception_v3": "inception_v3",
    "xception": "xception",
    "resnet50": "resnet",
    "resnet101": "resnet",
    "resnet152": "resnet",
    "resnet50_v2": "resnet_v2",
    "mobilenet": "mobilenet",
    "mobilenet_v2": "mobilenet_v2",
    "densenet121": "densenet",
    "efficientnet_b0": "efficientnet",
    "convnext_tiny": "convnext",
}


def preprocess_function(backbone: str):
    """The ``preprocess_input`` of a ``keras.applications`` backbone, by name."""
    module = PREPROCESS_MODULES.get(backbone, backbone)
    try:
        return importlib.import_module(f"keras.applications.{module}").preprocess_input
    except (ImportError, AttributeError) as err:
        raise ValueError(
            f"unknown backbone {backbone!r}: no keras.applications preprocessing"
        ) from err


@keras.saving.register_keras_serializable(package="utils")
class BackbonePreprocess(keras.layers.Layer):
    """Applies a backbone's own ``preprocess_input`` to raw RGB images in [0, 255]."""

    def __init__(self, backbone: str = "vgg16", **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self._fn = preprocess_function(backbone)

    def call(self, inputs):
        return self._fn(keras.ops.cast(inputs, self.compute_dtype))

    def get_config(self):
        return {**super().get_config(), "backbone": self.backbone}
