"""Helpers for the transfer-learning course notebooks: data, models, training, evaluation.

Importing this package first (before Keras) loads TensorFlow without its start-up messages:
on a machine without a GPU, TensorFlow's CUDA probing prints "Could not find cuda drivers"
and "failed call to cuInit ... CUDA error" on every start, which a learner reads as failures.
Those lines are written by TensorFlow's C++ libraries while they load, before any setting can
reach them, so the standard-error stream is pointed at /dev/null for the load alone. Every
warning and error after it shows as usual (``TF_CPP_MIN_LOG_LEVEL=2`` keeps C++ warnings and
errors); set ``TL_VERBOSE_STARTUP=1`` to see the start-up messages too.
"""

import logging
import os
import sys
import warnings

SEED = 42

# The image files the course reads, everywhere (split builder, loaders, predict.py).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
SPLITS = ("train", "validation", "test")


class _NoRetracingNotice(logging.Filter):
    """tf.function's "triggered tf.function retracing" notice: a hint for library authors that
    fires whenever several models predict in one session (07, 10, 11), not a problem."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def _load_tensorflow_quietly() -> None:
    if "tensorflow" in sys.modules or os.environ.get("TL_VERBOSE_STARTUP"):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        sys.stderr.flush()
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):  # no standard error to silence
        import tensorflow  # noqa: F401

        return
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices()  # CUDA probing happens here
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_load_tensorflow_quietly()
logging.getLogger("tensorflow").addFilter(_NoRetracingNotice())

# Keras 3.15 warns on every fit() over a tf.data pipeline that `shuffle=True` is ignored: our
# pipelines shuffle the training split themselves, so the warning is noise.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed, but will be ignored")
