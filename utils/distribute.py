"""Training on several devices with ``tf.distribute``, chosen by one notebook parameter.

``DISTRIBUTE = None`` trains on the default device (one GPU, or the CPU);
``DISTRIBUTE = "mirrored"`` copies the model onto every GPU (``MirroredStrategy``) and splits
each batch between them; ``"mirrored:2"`` tries the same on two logical CPU devices;
``DISTRIBUTE = "multiworker"`` (several machines, ``MultiWorkerMirroredStrategy`` with a
``TF_CONFIG`` per machine) is refused with the reason: Keras 3's ``Model.fit`` does not support
it today. Build and compile the model inside ``strategy.scope()``.
"""

from __future__ import annotations

import tensorflow as tf


def get_strategy(name: str | None = None) -> tf.distribute.Strategy:
    """The ``tf.distribute`` strategy for ``None`` (default device) or ``"mirrored"``.

    ``"mirrored:N"`` first splits the CPU into ``N`` logical devices (only where there is no
    GPU), to try multi-device training on a laptop; call it before TensorFlow runs anything.
    """
    if name in (None, "", "default"):
        return tf.distribute.get_strategy()
    if name and name.startswith("mirrored:"):
        if not tf.config.list_physical_devices("GPU"):
            split_cpu(int(name.split(":", 1)[1]))
        name = "mirrored"
    if name == "mirrored":
        devices = None  # every GPU; without GPUs, every logical CPU (see split_cpu)
        if not tf.config.list_logical_devices("GPU"):
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        strategy = tf.distribute.MirroredStrategy(devices)
        print(f"MirroredStrategy over {strategy.num_replicas_in_sync} devices")
        return strategy
    if name == "multiworker":
        # Measured here with TensorFlow 2.21 / Keras 3.15 on two local worker processes: the
        # strategy forms its cluster from TF_CONFIG, then Model.fit fails on the first batch
        # ("Attempt to convert a value (PerReplica ...)"), keras-team/keras#20585.
        raise ValueError(
            "DISTRIBUTE='multiworker': Keras 3's Model.fit cannot train under "
            "tf.distribute.MultiWorkerMirroredStrategy (keras-team/keras#20585); "
            "use 'mirrored' for every GPU of one machine"
        )
    raise ValueError(
        f"unknown DISTRIBUTE {name!r}: use None, 'mirrored', 'mirrored:N' or 'multiworker'"
    )


def split_cpu(n: int) -> list[str]:
    """Split the CPU into ``n`` logical devices (to try ``"mirrored"`` without GPUs).

    Must run before TensorFlow touches a device, i.e. first thing in a fresh process.
    """
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)]
    )
    return [d.name for d in tf.config.list_logical_devices("CPU")]
