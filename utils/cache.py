"""``model.predict`` once, ``np.load`` after: the course's one cache.

A frozen network is a fixed function: its output for a photo never changes, so we compute it
once and keep it. :func:`predict` is the only call a notebook makes::

    features = cache.predict(extractor, train_ds, "train_features", CACHE_DIR)

The first time it is exactly ``features = extractor.predict(train_ds)`` followed by
``np.save``; every later time, in any notebook or run, it is ``np.load`` of that file, as long as
the model (its layers, their weights and precision), the photos (the files behind the
dataset: names, sizes, modification times) and the image size are the same. Change any of
them and it computes anew: a stale array is never returned.

How, in short (nothing a lesson needs):

- Each result is stored under its name and a short id of everything it depends on
  (``CACHE_DIR/features/train_features-3f2a9c0d1e2b4a5f.npy``), with a JSON file beside it
  saying what that was. The id is in the file name, so an array can never be paired with
  another run's key; a file that does not load (a full disk, a killed writer) is a miss,
  recomputed with one line saying so, and leftovers of dead writers are removed.
- Frozen blocks run once for every model that shares them. A model is read as the chain of its
  layers; where the chain passes a *cut* (VGG-16's ``block4_pool``), the output up to the cut is
  stored on its own. Any later model that starts with the same layers and weights (notebook
  06's blocks 1-4, notebook 07's saved models whose blocks 1-4 stayed frozen) starts from it
  and computes only what follows. The stored activations are float16, a relative rounding of
  at most 0.05%.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from utils.split_folder import process_alive

# Where a chain of layers may be cut: the intermediate output is stored and shared.
CUTS = ("block4_pool",)
# A writer's temporary file is named ``.<file>.<host>-<pid>-<random>.tmp``: one whose process
# on this host is gone (killed) is a leftover; any other (another machine's or container's,
# sharing the folder) once it is older than this.
STALE_SECONDS = 6 * 3600


def _host() -> str:
    """This machine and its process ids' namespace (containers on one machine differ there)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:  # not Linux
        namespace = ""
    return hashlib.sha256(f"{socket.gethostname()}|{namespace}".encode()).hexdigest()[:8]


HOST = _host()
_WRITER = re.compile(r"\.([0-9a-f]{8})-(\d+)-[a-z0-9_]+\.tmp$")


# -- what a result depends on ------------------------------------------------------------------


def _sha(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def files_fingerprint(paths: Sequence[str | os.PathLike]) -> str:
    """SHA-256 of an ordered file list with each file's size and modification time."""
    digest = hashlib.sha256()
    for path in paths:
        stat = os.stat(path)
        digest.update(f"{os.fspath(path)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def array_fingerprint(array: np.ndarray) -> str:
    """SHA-256 of an array's shape, dtype and bytes."""
    array = np.ascontiguousarray(array)
    return _sha(f"{array.shape}|{array.dtype}", array.tobytes())


def _layer_signature(layer) -> str:
    """What a layer computes: its class, its configuration (name and trainable flag aside: they
    do not change the output of ``predict``) and its weights."""
    import keras

    try:
        config = dict(layer.get_config())
    except (NotImplementedError, TypeError):
        config = {}
    config.pop("trainable", None)
    policy = getattr(getattr(layer, "dtype_policy", None), "name", "")
    parts = [
        type(layer).__name__,
        policy,
        json.dumps(_nameless(config), sort_keys=True, default=str),
    ]
    for var in layer.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(var))
        parts.append(f"{value.shape}|{value.dtype}")
        parts.append(value.tobytes())
    return _sha(*parts)


def _is_chain(model) -> bool:
    """True when a functional model's layers form one straight line (VGG-16, a Sequential)."""
    import keras

    if isinstance(model, keras.Sequential):
        return True
    if not isinstance(model, keras.Model) or not hasattr(model, "_operations"):
        return False
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return False
    previous = model.inputs[0]
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        nodes = [n for n in layer._inbound_nodes if n.output_tensors]
        mine = [n for n in nodes if any(t is previous for t in n.input_tensors)]
        if len(mine) != 1 or len(mine[0].input_tensors) != 1 or len(mine[0].output_tensors) != 1:
            return False
        previous = mine[0].output_tensors[0]
    return previous is model.outputs[0]


def chain(model) -> list:
    """The layers a model applies, in order, nested straight-line models opened up."""
    import keras

    if isinstance(model, keras.layers.InputLayer):
        return []
    if isinstance(model, keras.Model) and _is_chain(model):
        return [leaf for layer in model.layers for leaf in chain(layer)]
    return [model]


def _nameless(config):
    """A configuration without layer names (two identical layers built apart differ by name)."""
    if isinstance(config, dict):
        if "DTypePolicy" in str(config.get("class_name", "")):
            return config  # its "name" is the policy: "float32", "mixed_bfloat16"
        return {k: _nameless(v) for k, v in config.items() if k != "name"}
    if isinstance(config, list | tuple):
        return [_nameless(v) for v in config]
    return config


def _data_key(data, augment=None) -> tuple[str, str, int]:
    """(id of the inputs, a description, how many items) for a dataset or an array."""
    if isinstance(data, np.ndarray):
        return array_fingerprint(data), f"array {data.shape} {data.dtype}", len(data)
    files = getattr(data, "file_paths", None)
    if files is None:
        raise TypeError(
            "cache.predict needs the dataset keras.utils.image_dataset_from_directory returns "
            "(its file_paths name the photos) or a NumPy array"
        )
    spec = str(data.element_spec)
    extra = "" if augment is None else json.dumps(_nameless(augment.get_config()), sort_keys=True)
    what = f"{len(files)} files, {spec}" + (f", augmented by {augment.name}" if extra else "")
    return _sha(files_fingerprint(files), spec, extra), what, len(files)


# -- the store -----------------------------------------------------------------------------------


def _store(cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / "features"


def _find(store: Path, ident: str) -> np.ndarray | None:
    """The stored array with id ``ident`` (any name), or None; a damaged one is removed."""
    for path in sorted(store.glob(f"*-{ident}.npy")):
        try:
            return np.load(path)
        except (OSError, ValueError, EOFError) as err:
            print(f"cache: {path.name} is damaged ({type(err).__name__}): computing it again")
            path.unlink(missing_ok=True)
    return None


def _temporary_prefix(name: str, pid: int) -> str:
    """How the temporary file of process ``pid`` writing ``name`` on this machine begins."""
    return f".{name}.{HOST}-{pid}-"


def _remove_stale_temporaries(store: Path) -> None:
    now = time.time()
    for tmp in store.glob(".*.tmp"):
        writer = _WRITER.search(tmp.name)
        try:
            gone = writer is not None and writer[1] == HOST and not process_alive(int(writer[2]))
            if gone or now - tmp.stat().st_mtime > STALE_SECONDS:
                tmp.unlink()
        except OSError:
            pass


def _save(store: Path, name: str, ident: str, array: np.ndarray, about: dict[str, Any]) -> Path:
    """``np.save`` as ``store/name-ident.npy`` (written aside, then renamed: all or nothing)."""
    store.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(store)
    path = store / f"{name}-{ident}.npy"
    meta = path.with_suffix(".json")
    for target, write in (
        (meta, lambda h: h.write((json.dumps(about, indent=2, default=str) + "\n").encode())),
        (path, lambda h: np.save(h, array)),
    ):
        prefix = _temporary_prefix(target.name, os.getpid())
        fd, tmp = tempfile.mkstemp(dir=store, prefix=prefix, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def _as_stored(array: np.ndarray, intermediate: bool) -> np.ndarray:
    """float16 for shared activations; float32 for results computed in 16 bits (bfloat16 has
    no NumPy file type)."""
    array = np.asarray(array)
    if intermediate:
        return array.astype(np.float16)
    if array.dtype.kind == "V" or str(array.dtype) == "bfloat16" or array.dtype == np.float16:
        return array.astype(np.float32)
    return array


def _sub_model(layers: list, input_shape):
    import keras

    return keras.Sequential([keras.Input(shape=tuple(input_shape)), *layers])


def _run(layers: list, inputs, batch_size: int) -> np.ndarray:
    """The chain ``layers`` applied to an array or a dataset, in batches."""
    if isinstance(inputs, np.ndarray):
        model = _sub_model(layers, inputs.shape[1:])
        return model.predict(inputs, batch_size=batch_size, verbose=0)
    shape = inputs.element_spec[0].shape[1:] if isinstance(inputs.element_spec, tuple) else None
    shape = shape if shape is not None else inputs.element_spec.shape[1:]
    return _sub_model(layers, shape).predict(inputs, verbose=0)


def predict(
    model,
    data,
    name: str,
    cache_dir: str | os.PathLike,
    *,
    augment=None,
    batch_size: int = 32,
) -> np.ndarray:
    """``model.predict(data)``, saved with ``np.save`` the first time, loaded after.

    ``data``: a dataset from ``keras.utils.image_dataset_from_directory`` (not shuffled: the
    rows follow ``data.file_paths``) or a NumPy array. ``augment``: a Keras augmentation
    layer applied to each batch of photos first (``training=True``), its configuration and
    seed part of what the result depends on. ``name`` names the file (``train_features``);
    the cache keeps one file per name and inputs in ``cache_dir/features/``.
    """
    start = time.perf_counter()
    data_id, what, count = _data_key(data, augment)
    layers = chain(model)
    signatures = [_layer_signature(layer) for layer in layers]
    store = _store(cache_dir)

    def ident(n: int) -> str:
        return _sha(data_id, *signatures[:n])[:16]

    full = ident(len(layers))
    if (result := _find(store, full)) is not None:
        print(f"{name}: {result.shape} loaded from the cache ({time.perf_counter() - start:.1f} s)")
        return result

    if augment is not None and not isinstance(data, np.ndarray):
        data = data.map(lambda x, y: (augment(x, training=True), y))
    cuts = [i + 1 for i, layer in enumerate(layers) if layer.name in CUTS]
    cut = cuts[-1] if cuts else None
    how = "computed"
    if cut is not None and cut < len(layers):
        shared = _find(store, ident(cut))
        if shared is None:
            shared = _as_stored(_run(layers[:cut], data, batch_size), intermediate=True)
            about = {"name": f"{name} up to {layers[cut - 1].name}", "inputs": what}
            _save(store, f"{name}.{layers[cut - 1].name}", ident(cut), shared, about)
        else:
            how = f"computed from the stored {layers[cut - 1].name}"
        result = _run(layers[cut:], shared, batch_size)
        result = _as_stored(result, intermediate=False)
    else:
        result = _as_stored(_run(layers, data, batch_size), intermediate=cut == len(layers))
    about = {
        "name": name,
        "inputs": what,
        "layers": [layer.name for layer in layers],
        "rows": count,
    }
    _save(store, name, full, result, about)
    seconds = time.perf_counter() - start
    print(f"{name}: {result.shape} {how} in {seconds:.1f} s, saved to the cache")
    return result
