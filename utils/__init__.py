"""Helpers for the transfer-learning course notebooks: data, models, training, evaluation."""

import os
import warnings

# TensorFlow's C++ start-up chatter would fill every notebook's first cell: keep warnings and
# errors only (set the variable yourself to see more). Must happen before TensorFlow loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Keras 3.15 warns on every fit() over a tf.data pipeline that `shuffle=True` is ignored: our
# pipelines shuffle the training split themselves (utils.data), so the warning is noise.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed, but will be ignored")

SEED = 42

# The image files the course reads, everywhere (split builder, loaders, predict.py).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
SPLITS = ("train", "validation", "test")
