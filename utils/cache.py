"""One on-disk array cache: ``.npy`` files under readable names, each with its key beside it.

A notebook picks the file name (``cache/vgg16_150px/train_features.npy``) and says what the
array depends on (a *key*: the model's weights, the image files, the size, ...). :func:`load`
returns the array only when the key saved beside it (``train_features.key.json``) is the same;
:func:`save` writes both, atomically. So a reader can ``np.load`` any cached array, and a changed
split, size or set of weights never reuses a stale one::

    key = cache.key(model=cache.weights_fingerprint(base), files=cache.files_fingerprint(paths))
    features = cache.load(path, key)
    if features is None:
        features = base.predict(dataset)
        cache.save(path, features, key)
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def files_fingerprint(paths: Sequence[str | os.PathLike]) -> str:
    """SHA-256 of an ordered file list with each file's size and modification time."""
    digest = hashlib.sha256()
    for path in paths:
        stat = os.stat(path)
        digest.update(f"{os.fspath(path)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def weights_fingerprint(model) -> str:
    """SHA-256 of a Keras model's weight values (names, shapes and bytes)."""
    import keras

    digest = hashlib.sha256()
    for var in model.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(var))
        digest.update(f"{var.path}|{value.shape}|{value.dtype}\n".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def array_fingerprint(array: np.ndarray) -> str:
    """SHA-256 of an array's shape, dtype and bytes (inputs that are arrays, not files)."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.shape}|{array.dtype}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


def key(**parts: Any) -> dict[str, Any]:
    """A cache key: everything the cached array depends on, as JSON-compatible values."""
    return json.loads(json.dumps(parts, sort_keys=True, default=str))


def key_path(path: str | Path) -> Path:
    """The key file saved beside a cached array: ``x.npy`` → ``x.key.json``."""
    path = Path(path)
    return path.with_name(path.name.removesuffix(".npy") + ".key.json")


def load(path: str | Path, expected: dict[str, Any], mmap: bool = False) -> np.ndarray | None:
    """The array at ``path`` if it was saved with the key ``expected``, else ``None``."""
    path, meta = Path(path), key_path(path)
    if not (path.is_file() and meta.is_file()):
        return None
    try:
        if json.loads(meta.read_text()) != key(**expected):
            return None
        return np.load(path, mmap_mode="r" if mmap else None)
    except (OSError, ValueError):  # a damaged file is a miss, recomputed and overwritten
        return None


def _write_atomic(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(path: str | Path, array: np.ndarray, expected: dict[str, Any]) -> Path:
    """Save ``array`` as ``path`` (``np.save``) and its key beside it; returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key_path(path).unlink(missing_ok=True)  # never a new key beside an old array
    _write_atomic(path, lambda handle: np.save(handle, np.asarray(array)))
    text = json.dumps(key(**expected), indent=2, sort_keys=True) + "\n"
    _write_atomic(key_path(path), lambda handle: handle.write(text.encode()))
    return path
