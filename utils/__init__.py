"""Helpers for the transfer-learning course notebooks: data, models, training, evaluation."""

import os

# TensorFlow's C++ start-up chatter would fill every notebook's first cell: keep warnings and
# errors only (set the variable yourself to see more). Must happen before TensorFlow loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SEED = 42

# The image files the course reads, everywhere (split builder, loaders, predict.py).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
SPLITS = ("train", "validation", "test")
