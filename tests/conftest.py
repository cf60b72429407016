"""Shared fixtures: where the real data lives, and small generated image folders."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

# Quiet logs for every test and every notebook kernel the tests start.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
CATS_DOGS_SOURCE = SHARED / "data" / "dogs-vs-cats" / "train"
DOG_BREEDS_SOURCE = SHARED / "data" / "dog-breeds"
MNIST_NPZ = SHARED / "data" / "mnist" / "mnist.npz"
VGG16_WEIGHTS = SHARED / "weights" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"

HAVE_SHARED = CATS_DOGS_SOURCE.is_dir()
needs_shared = pytest.mark.skipif(not HAVE_SHARED, reason="../shared (real data) not present")
needs_vgg_weights = pytest.mark.skipif(
    not VGG16_WEIGHTS.is_file(), reason="../shared VGG-16 weights not present"
)


# The longest tests first, so that the workers of ``pytest -n`` finish together.
LONGEST_FIRST = ("test_run_all.py", "test_notebook_", "test_site.py", "test_streaming_memory.py")


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        name = item.path.name
        return next((i for i, p in enumerate(LONGEST_FIRST) if name.startswith(p)), 99)

    items.sort(key=rank)  # stable: the file order within each group is kept


def write_image(path: Path, size: tuple[int, int] = (64, 48), color=(200, 30, 30), mode="RGB"):
    """Write a small noisy image of one dominant colour (JPEG or PNG by suffix)."""
    rng = np.random.default_rng(zlib.crc32(f"{path.name}{color}".encode()))
    arr = np.clip(
        np.array(color, dtype=np.float32) + rng.normal(0, 25, (size[1], size[0], 3)), 0, 255
    ).astype(np.uint8)
    img = Image.fromarray(arr, "RGB")
    if mode != "RGB":
        img = img.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


@pytest.fixture
def flat_cats_dogs(tmp_path: Path) -> Path:
    """A Kaggle-style flat folder: 12 cats (reddish) and 12 dogs (bluish)."""
    src = tmp_path / "train"
    for i in range(12):
        write_image(src / f"cat.{i}.jpg", color=(200, 60, 40))
        write_image(src / f"dog.{i}.jpg", color=(40, 60, 200))
    return src


def make_class_folders(
    root: Path,
    classes: dict[str, tuple[int, int, int]],
    per_class: int,
    size: tuple[int, int] = (64, 48),
) -> Path:
    """One subfolder per class, each holding `per_class` images of the class's colour."""
    for name, color in classes.items():
        for i in range(per_class):
            write_image(root / name / f"{name}_{i:03d}.png", size=size, color=color)
    return root


def _build_cats_dogs_split(out: Path, tmp: Path) -> Path:
    """A small cats-vs-dogs split: real photos when ../shared is here, generated otherwise."""
    import subprocess
    import sys

    if HAVE_SHARED:
        source, counts = CATS_DOGS_SOURCE, ["--train", "20", "--validation", "10", "--test", "10"]
    else:
        source = tmp / "generated_train"
        for i in range(40):
            write_image(source / f"cat.{i}.jpg", size=(96, 80), color=(200, 60, 40))
            write_image(source / f"dog.{i}.jpg", size=(96, 80), color=(40, 60, 200))
        counts = ["--train", "20", "--validation", "10", "--test", "10"]
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "build_dataset.py"),
            "cats-vs-dogs",
            "--source",
            str(source),
            "--out",
            str(out),
            *counts,
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="session")
def cats_dogs_split(tmp_path_factory) -> Path:
    """A 20/10/10-per-class cats-vs-dogs split (real photos with ../shared), built once.

    Read-only for the tests: notebooks write into a :func:`workspace`, never here.
    """
    base = tmp_path_factory.mktemp("split")
    return _build_cats_dogs_split(base / "cats-vs-dogs", base)


@pytest.fixture(scope="session")
def vgg16_weights(tmp_path_factory) -> str:
    """The real VGG-16 no-top weights file, or else a file of random weights written once per
    session: a file either way, so a notebook's kernel and the test build the same network
    (``WEIGHTS=None`` gives other random weights in every process) and every check runs."""
    if VGG16_WEIGHTS.is_file():
        return str(VGG16_WEIGHTS)
    import keras

    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("weights") / "vgg16_random.weights.h5"
    keras.applications.VGG16(include_top=False, weights=None).save_weights(path)
    return str(path)


@pytest.fixture
def workspace(tmp_path, cats_dogs_split, vgg16_weights):
    """Fresh folders for one notebook test: nothing another test wrote is visible here.

    ``data``: the small cats-vs-dogs split (shared, read-only); ``models``, ``results``,
    ``cache``: empty; ``weights``: the real VGG-16 file, or one of random weights.
    """
    from types import SimpleNamespace

    ns = SimpleNamespace(
        base=tmp_path,
        data=cats_dogs_split,
        models=tmp_path / "models",
        results=tmp_path / "results",
        cache=tmp_path / "cache",
        weights=vgg16_weights,
    )
    for folder in (ns.models, ns.results, ns.cache):
        folder.mkdir()
    return ns


def assert_loads_without_utils(*paths: Path) -> None:
    """Each saved model loads with plain ``keras.models.load_model`` in a fresh Python that
    never imports ``utils``, and predicts on a batch of raw photos."""
    import subprocess
    import sys

    code = (
        "import sys, keras, numpy as np\n"
        "for p in sys.argv[1:]:\n"
        "    m = keras.models.load_model(p, compile=False)\n"
        "    x = np.full((2, *m.input_shape[1:]), 128.0, 'float32')\n"
        "    assert np.isfinite(m.predict(x, verbose=0)).all(), p\n"
        "assert 'utils' not in sys.modules\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)],
        cwd="/",  # not the repository: utils/ must not be importable by accident
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="session")
def run_notebook(tmp_path_factory):
    """Execute a notebook by number with parameters; returns the executed notebook (nbformat)."""
    import nbformat

    from utils.runner import execute_notebook

    out_dir = tmp_path_factory.mktemp("executed")

    def run(name: str, **parameters):
        out = execute_notebook(name, out_dir / f"{name}.ipynb", parameters, progress=False)
        return nbformat.read(out, as_version=4)

    return run


def cell_text(nb) -> str:
    """All text outputs of an executed notebook, joined (to assert on what a reader sees).

    A kernel may flush one ``print`` in several stream outputs (``print("a:", b)`` writes "a:",
    " ", b and "\\n" in turn, and a busy machine can flush between them), so consecutive pieces
    of the same stream are joined as the reader sees them, with nothing between."""
    parts = []
    for cell in nb.cells:
        stream = None
        for out in cell.get("outputs", []):
            if out.get("output_type") != "stream":
                stream = None
                data = out.get("data", {})
                parts += [str(data.get("text/plain", "")), str(data.get("text/html", ""))]
            elif out.get("name") == stream:
                parts[-1] += str(out.get("text", ""))
            else:
                stream = out.get("name")
                parts.append(str(out.get("text", "")))
    return "\n".join(parts)


def split_pipelines(
    root, image_size, batch_size, seed=42, augment=None, splits=("train", "validation", "test")
):
    """``data.image_dataset`` for each split folder of ``root``, as a training notebook builds
    them: the training split shuffled every epoch and augmented, the others as they are."""
    from utils import data

    classes = data.class_names(Path(root) / "train")
    pipelines = {}
    for split in splits:
        paths, labels, _ = data.list_images(Path(root) / split, classes)
        training = split == "train"
        pipelines[split] = data.image_dataset(
            paths,
            labels,
            image_size,
            batch_size,
            shuffle=training,
            seed=seed,
            augment=augment if training else None,
        )
    return pipelines, classes
