"""Notebook 07 end to end on the small split, with small models each test saves itself.

The models are built like the course's (no training: scoring is what 07 teaches): a Sequential
CNN with ``Rescaling``; three ``raw photo → preprocessing_layer("vgg16") → VGG16 → head`` models
at 64 px sharing VGG-16's blocks 1-4, two of them also block 5 (notebooks 04 and 05) and one
with its own block 5 (notebook 06's fine-tuning); plus a dense head on features, which 07 must
skip. Nothing depends on other notebooks' runs.

What 07 reports must be what a user gets with ``keras.models.load_model(path).predict`` on the
test photos; the notebook keeps each model's predictions with ``cache.predict``, so a second run
reads them back, and a model replaced under the same name is predicted anew.

07's Grad-CAM is checked on its saved heatmaps: in range on those models, and, on a VGG-16 model
set by hand to call a photo a dog for a red square and a cat for a green one (photos drawn
here), peaking on the square it decided by, with sigmoid outputs saturated at exactly 0 and 1.
"""

from __future__ import annotations

import re
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from tests.conftest import cell_text, make_class_folders
from utils import data, pretrained
from utils.saving import save_model

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

SIZE = 64
CNN = "cats_dogs_cnn_dropout.h5"
FINE_TUNED = "cats_dogs_tlearn_finetune_img_aug_cnn.h5"
FROZEN = {"cats_dogs_tlearn_basic_cnn.h5": 1, "cats_dogs_tlearn_img_aug_cnn.h5": 2}
# The VGG-16 models share blocks 1-4, whose output the cache keeps in float16 (relative rounding
# <= 2**-11): a probability moves by less than 2e-3 (tests/vgg16_notebooks.py); 1e-2 leaves room.
ATOL_FLOAT16 = 1e-2


def _cnn() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def _vgg16_model(base: keras.Model, seed: int, block5_scale: float = 1.0) -> keras.Model:
    """photo → preprocessing → a copy of ``base`` (block 5 scaled: "fine-tuned") → a head."""
    vgg = keras.models.clone_model(base)
    vgg.set_weights(base.get_weights())
    vgg.trainable = False
    conv = vgg.get_layer("block5_conv3")
    kernel, bias = conv.get_weights()
    conv.set_weights([kernel * block5_scale, bias])
    keras.utils.set_random_seed(seed)
    head = keras.Sequential(
        [
            keras.Input(vgg.output_shape[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="head",
    )
    inputs = keras.Input((SIZE, SIZE, 3))
    x = pretrained.preprocessing_layer("vgg16")(inputs)
    return keras.Model(inputs, head(vgg(x, training=False)))


def _save_models(folder: Path, weights, with_vgg16: bool = True) -> None:
    keras.utils.set_random_seed(0)
    classes = ["cat", "dog"]
    facts = {"epochs": 2, "best_epoch": 1, "train_seconds": 1.5, "notebook": "test"}
    save_model(_cnn(), folder / CNN, classes, **facts)
    if with_vgg16:
        base = keras.applications.VGG16(
            include_top=False, weights=weights, input_shape=(SIZE, SIZE, 3)
        )
        save_model(_vgg16_model(base, 3, block5_scale=1.1), folder / FINE_TUNED, classes, **facts)
        for name, seed in FROZEN.items():
            # 05's file under the book's name holds its cached route when the book's is not run
            route = "cached augmented passes" if "img_aug" in name else "direct"
            save_model(_vgg16_model(base, seed), folder / name, classes, **facts, route=route)
        head = keras.Sequential(
            [keras.Input((2, 2, 512)), keras.layers.Flatten(), keras.layers.Dense(1)]
        )
        save_model(head, folder / "cats_dogs_tlearn_basic_cnn_head.h5", classes, epochs=1)


def _cached(workspace, stem: str) -> np.ndarray:
    """The predictions 07 kept for one saved model (``cache.predict`` names the file)."""
    (path,) = (workspace.cache / "features").glob(f"test_{stem}-*.npy")
    return np.load(path)


def test_notebook_07_scores_every_model(workspace, run_notebook):
    _save_models(workspace.models, workspace.weights)
    copy = "cats_dogs_tlearn_finetune_block5_sgd_cnn"  # 06 saves one model under two names
    for suffix in (".h5", ".json"):
        (workspace.models / f"{copy}{suffix}").write_bytes(
            (workspace.models / FINE_TUNED).with_suffix(suffix).read_bytes()
        )
    # a weights-only file (notebook 11's top model) is not a model: left out, not "skipped"
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save_weights(
        workspace.models / "cats_dogs_keras_blog_top_model.weights.h5"
    )
    parameters = {
        "DATA_DIR": str(workspace.data),
        "MODELS_DIR": str(workspace.models),
        "RESULTS_DIR": str(workspace.results),
        "CACHE_DIR": str(workspace.cache),
        "BATCH_SIZE": 8,
        "N_MISTAKES": 4,
        "GRADCAM_IMAGES": 2,
    }
    nb = run_notebook("07", **parameters)
    text = cell_text(nb)
    results = workspace.results
    table = pd.read_csv(results / "07_model_evaluation.csv").set_index("model")
    assert sorted(table.index) == [
        "CNN + dropout",
        "VGG-16 features",
        "VGG-16 features + augmentation",
        "VGG-16 fine-tuned + augmentation",
    ]
    assert "not trained yet (skipped): Basic CNN" in text
    # one row per distinct model, naming every file that holds it
    assert table.loc["VGG-16 fine-tuned + augmentation", "files"] == f"{FINE_TUNED}, {copy}.h5"
    assert table.loc["CNN + dropout", "files"] == CNN
    assert f"{copy}.h5: the same model as VGG-16 fine-tuned + augmentation" in text
    assert "skipped cats_dogs_tlearn_basic_cnn_head.h5" in text and "not RGB images" in text
    assert "keras_blog_top_model" not in text
    assert table["f1"].is_monotonic_decreasing
    # the book's figures, each in the column of its split
    assert table.loc["CNN + dropout", "book validation accuracy"] == 0.78
    assert table.loc["CNN + dropout", "book test accuracy"] == 0.78
    assert table.loc["VGG-16 fine-tuned + augmentation", "book test accuracy"] == 0.96
    assert table.loc["VGG-16 features", "book validation accuracy"] == 0.88
    assert "book_accuracy" not in table.columns
    # a book figure stands beside the book's recipe only: not beside 05's cached route
    row = table.loc["VGG-16 features + augmentation"]
    assert np.isnan(row["book validation accuracy"]) and np.isnan(row["book test accuracy"])

    # What 07 reports is what each saved model predicts on the test photos, read here by
    # another pipeline (utils.data, the files in sorted order per class). The three VGG-16
    # models share blocks 1-4: computed once (kept in float16), so their probabilities agree
    # to its rounding; the CNN's are model.predict's.
    paths, y, _ = data.list_images(workspace.data / "test")
    photos = data.read_images(paths, SIZE, raw=True)
    assert text.count("computed from the stored block4_pool") == 2, text[-3000:]
    assert text.count("loaded from the cache") == 1  # the copy: the same model, the same key
    (shared,) = (workspace.cache / "features").glob("*.block4_pool-*.npy")
    assert np.load(shared).shape == (len(y), 4, 4, 512) and np.load(shared).dtype == np.float16
    labels = {
        CNN: "CNN + dropout",
        FINE_TUNED: "VGG-16 fine-tuned + augmentation",
        "cats_dogs_tlearn_basic_cnn.h5": "VGG-16 features",
        "cats_dogs_tlearn_img_aug_cnn.h5": "VGG-16 features + augmentation",
    }
    for name, label in labels.items():
        model = keras.models.load_model(workspace.models / name, compile=False)
        direct = model.predict(photos, verbose=0)
        ours = _cached(workspace, Path(name).stem)
        assert ours.shape == direct.shape == (len(y), 1)
        np.testing.assert_allclose(ours, direct, atol=1e-5 if name == CNN else ATOL_FLOAT16)
        # the same class for every photo, except one within the rounding of the threshold
        same = (ours[:, 0] > 0.5) == (direct[:, 0] > 0.5)
        assert (same | (np.abs(direct[:, 0] - 0.5) < ATOL_FLOAT16)).all(), name
        assert table.loc[label, "accuracy"] == pytest.approx(accuracy_score(y, ours[:, 0] > 0.5))
        assert table.loc[label, "roc_auc"] == pytest.approx(roc_auc_score(y, ours[:, 0]))

    # one row recomputed from the saved model with scikit-learn
    model = keras.models.load_model(workspace.models / CNN, compile=False)
    y_pred = model.predict(photos, verbose=0)[:, 0] > 0.5
    row = table.loc["CNN + dropout"]
    assert row["accuracy"] == pytest.approx(accuracy_score(y, y_pred), abs=1e-6)
    assert row["f1"] == pytest.approx(f1_score(y, y_pred, average="weighted", zero_division=0))
    assert row["test_images"] == len(y) and row["params"] == model.count_params()
    assert row["epochs"] == 2 and row["train_seconds"] == 1.5
    for column in ("accuracy", "precision", "recall", "f1", "roc_auc"):
        assert table[column].between(0, 1).all(), column

    markdown = (results / "07_model_evaluation.md").read_text().strip().splitlines()
    assert len(markdown) == 2 + len(table) and "book validation accuracy" in markdown[0]
    for figure in (
        "07_model_evaluation",
        "07_best_model_confusion_matrix",
        "07_best_model_roc",
        "07_confusion_matrices",
        "07_roc_worst_best",
        "07_roc_all",
        "07_gradcam",
    ):
        assert (results / f"{figure}.png").is_file(), figure
    assert "weighted avg" in text and "Predicted:" in text
    assert "last convolution layer vgg16/block5_conv3" in text
    # Grad-CAM: one heatmap per photo shown, at the photo's size, in [0, 1], peak 1 or none
    n_right, n_wrong = map(int, re.search(r"showing (\d+) right and (\d+) wrong", text).groups())
    assert n_right == 2
    heat = np.load(results / "07_gradcam_heatmaps.npy")
    assert heat.shape == (n_right + n_wrong, SIZE, SIZE)
    assert np.isfinite(heat).all() and heat.min() >= 0 and heat.max() <= 1
    peaks = heat.max(axis=(1, 2))
    assert np.all(np.isclose(peaks, 1) | (peaks == 0)), peaks  # no evidence for it: zeros
    assert any(h.max() == pytest.approx(1) and h.std() > 0.05 for h in heat)  # a spatial map
    # the lesson's calls, written out; no cache keys, fingerprints or block splits of its own
    source = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    imports = next(cell.source for cell in nb.cells if "import keras" in cell.source)
    assert imports.startswith("import utils")  # before Keras: TensorFlow loads quietly
    for call in (
        "keras.models.load_model(",
        "keras.utils.image_dataset_from_directory(",
        "shuffle=False",
        "cache.predict(model, test_ds,",
        "evaluation.to_labels(",
        "classification_report(",
        "ConfusionMatrixDisplay.from_predictions(",
        "RocCurveDisplay.from_predictions(",
    ):
        assert call in source, call
    for engine in ("fingerprint", "cache.key", "cache.load", "cache.save", "vgg16_blocks"):
        assert engine not in source, engine

    # A second run reads every model's predictions back; a model saved anew under the same
    # name (other weights) is predicted again, never served the old predictions.
    keras.utils.set_random_seed(7)
    save_model(_cnn(), workspace.models / CNN, ["cat", "dog"], epochs=3, best_epoch=1)
    before = _cached(workspace, Path(CNN).stem)
    text = cell_text(run_notebook("07", **parameters))
    assert text.count("loaded from the cache") == 4, text[-3000:]
    again = pd.read_csv(results / "07_model_evaluation.csv").set_index("model")
    others = [label for label in table.index if label != "CNN + dropout"]
    pd.testing.assert_frame_equal(again.loc[others], table.loc[others])
    stem = Path(CNN).stem
    assert f"test_{stem}: ({len(y)}, 1) computed in" in text and text.count("computed") == 1
    direct = keras.models.load_model(workspace.models / CNN, compile=False).predict(
        photos, verbose=0
    )
    assert not np.allclose(direct, before, atol=1e-3)  # another model indeed
    kept = [np.load(p) for p in (workspace.cache / "features").glob(f"test_{stem}-*.npy")]
    assert len(kept) == 2 and any(np.allclose(k, direct, atol=1e-5) for k in kept)
    row = again.loc["CNN + dropout"]
    assert row["epochs"] == 3 and row["roc_auc"] == pytest.approx(roc_auc_score(y, direct[:, 0]))


def test_notebook_07_without_the_gradcam_model_skips_with_a_note(workspace, run_notebook):
    _save_models(workspace.models, None, with_vgg16=False)
    # classes that are not the training split's: not this dataset's model
    save_model(_cnn(), workspace.models / "cats_dogs_other.h5", ["ant", "bee"])
    # a truncated copy (an interrupted download) with its sidecar: it used to stop 07 with
    # h5py's OSError, naming no file; now it is skipped in one line and the others are scored
    whole = (workspace.models / CNN).read_bytes()
    (workspace.models / "cats_dogs_truncated.h5").write_bytes(whole[: len(whole) // 2])
    (workspace.models / "cats_dogs_truncated.json").write_bytes(
        (workspace.models / CNN).with_suffix(".json").read_bytes()
    )
    sample = Path(data.list_images(workspace.data / "test")[0][0]).name
    nb = run_notebook(
        "07",
        DATA_DIR=str(workspace.data),
        MODELS_DIR=str(workspace.models),
        RESULTS_DIR=str(workspace.results),
        CACHE_DIR=str(workspace.cache),
        SAMPLE_IMAGE=sample,
    )
    text = cell_text(nb)
    assert "Grad-CAM skipped: cats_dogs_tlearn_finetune_img_aug_cnn.h5" in text
    assert not (workspace.results / "07_gradcam.png").exists()
    assert len(pd.read_csv(workspace.results / "07_model_evaluation.csv")) == 1
    assert sample in text  # the photo every model predicts
    assert "skipped cats_dogs_other.h5: other classes than training (['ant', 'bee']" in text
    (skipped,) = [ln for ln in text.splitlines() if ln.startswith("skipped cats_dogs_truncated")]
    assert "Error: " in skipped, skipped  # the file and the error, in one line


def test_notebook_07_scores_a_split_with_a_class_without_test_photos(tmp_path, run_notebook):
    """A class with a single photo is train-only (the split builder keeps it for training), and
    a test folder may be empty: here the dog has no test photo, and the model calls every photo
    a cat, so labels and predictions hold one class of two. 07 used to stop there with
    scikit-learn's ValueError (classification_report without labels=); now every class keeps
    its row, the dog is said to have no test photo, and no ROC curve is drawn."""
    data_dir = tmp_path / "cats-vs-dogs"
    colours = {"cat": (200, 60, 40), "dog": (40, 60, 200)}
    make_class_folders(data_dir / "train", colours, per_class=2)
    make_class_folders(data_dir / "test", {"cat": colours["cat"]}, per_class=4)
    (data_dir / "test" / "dog").mkdir()  # kept, empty
    for folder in ("models", "results", "cache"):
        (tmp_path / folder).mkdir()
    model = _cnn()
    kernel, _ = model.layers[-1].get_weights()
    model.layers[-1].set_weights([np.zeros_like(kernel), np.full(1, -20.0, "float32")])
    save_model(model, tmp_path / "models" / CNN, ["cat", "dog"], epochs=1, best_epoch=1)

    nb = run_notebook(
        "07",
        DATA_DIR=str(data_dir),
        MODELS_DIR=str(tmp_path / "models"),
        RESULTS_DIR=str(tmp_path / "results"),
        CACHE_DIR=str(tmp_path / "cache"),
    )
    text = cell_text(nb)
    assert "no test photo of dog: its recall counts as 0 and it has no ROC curve" in text
    table = pd.read_csv(tmp_path / "results" / "07_model_evaluation.csv")
    assert table["model"].tolist() == ["CNN + dropout"] and table.loc[0, "accuracy"] == 1.0
    assert np.isnan(table.loc[0, "roc_auc"])  # undefined with photos of one class
    # the dog's row in the classification reports: precision, recall, F1 0 by convention
    assert re.search(r"^\s*dog\s+0\.0000\s+0\.0000\s+0\.0000\s+0$", text, re.MULTILINE), text
    assert (tmp_path / "results" / "07_best_model_confusion_matrix.png").is_file()


QUADRANTS = {"top-left": (0, 0), "top-right": (0, 1), "bottom-left": (1, 0), "bottom-right": (1, 1)}
RED, GREEN = 0, 1


def _planted_photo(quadrant: str, channel: int, seed: int) -> np.ndarray:
    """A dark noisy photo with one bright square, pure red or green, in the given quadrant."""
    photo = np.random.default_rng(seed).uniform(0, 30, (SIZE, SIZE, 3)).astype("float32")
    r, c = QUADRANTS[quadrant]
    half, pad = SIZE // 2, SIZE // 8
    rows, cols = (
        slice(r * half + pad, (r + 1) * half - pad),
        slice(c * half + pad, (c + 1) * half - pad),
    )
    photo[rows, cols] = 0
    photo[rows, cols, channel] = 255
    return photo


def _square_detector() -> keras.Model:
    """The course's saved structure (photo → VGG-16 preprocessing → VGG-16 → head), set by hand:
    block1_conv1's feature map 0 is relu(R - G - B), map 1 relu(G - R - B) (on the pixels before
    preprocessing), every later convolution passes maps 0 and 1 on (centre tap 1), and the head
    averages them with weights +1000 (red: dog) and -1000 (green: cat). The squares decide, and
    the sigmoid saturates at exactly 0 or 1."""
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(SIZE, SIZE, 3))
    mean = np.array([103.939, 116.779, 123.68], "float32")  # VGG-16's preprocessing: BGR - mean
    for layer in vgg.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernel, bias = (
                np.zeros(layer.kernel.shape, "float32"),
                np.zeros(layer.filters, "float32"),
            )
            if layer.name == "block1_conv1":
                red, green = np.array([-1.0, -1.0, 1.0]), np.array([-1.0, 1.0, -1.0])  # B, G, R
                kernel[1, 1, :, 0], kernel[1, 1, :, 1] = red / 255, green / 255
                bias[:2] = red @ mean / 255, green @ mean / 255
            else:
                kernel[1, 1, 0, 0] = kernel[1, 1, 1, 1] = 1.0
            layer.set_weights([kernel, bias])
    head = keras.Sequential(
        [
            keras.Input(vgg.output_shape[1:]),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="head",
    )
    weights = np.zeros((512, 1), "float32")
    weights[RED], weights[GREEN] = 1000.0, -1000.0
    head.layers[-1].set_weights([weights, np.zeros(1, "float32")])
    inputs = keras.Input((SIZE, SIZE, 3), name="image")
    return keras.Model(inputs, head(vgg(pretrained.preprocessing_layer("vgg16")(inputs))))


def _quadrant_of_peak(heatmap: np.ndarray) -> str:
    r, c = np.unravel_index(np.argmax(heatmap), heatmap.shape)
    half = heatmap.shape[0] // 2
    return next(q for q, rc in QUADRANTS.items() if rc == (r // half, c // half))


def _mass_in_quadrant(heatmap: np.ndarray, quadrant: str) -> float:
    r, c = QUADRANTS[quadrant]
    half = heatmap.shape[0] // 2
    return float(
        heatmap[r * half : (r + 1) * half, c * half : (c + 1) * half].sum() / heatmap.sum()
    )


def test_notebook_07_gradcam_peaks_on_the_square_that_decided(tmp_path, run_notebook):
    """Dogs carry a red square, cats a green one, each in one of the four quadrants; one cat
    carries a red square (a confident mistake: "dog"). The heatmap of the predicted class, dog
    (the logit) or cat (its negative), must sit on that photo's square: Grad-CAM of the sigmoid's
    output instead of its logit gives zeros here, and the wrong sign the other square or noise."""
    data_dir = tmp_path / "cats-vs-dogs"
    squares = {f"dog.{i}.png": (q, RED) for i, q in enumerate(QUADRANTS)}
    squares |= {f"cat.{i}.png": (q, GREEN) for i, q in enumerate(QUADRANTS)}
    squares["cat.4.png"] = ("bottom-right", RED)
    for seed, (name, (quadrant, channel)) in enumerate(squares.items()):
        folder = data_dir / "test" / name.split(".")[0]
        folder.mkdir(parents=True, exist_ok=True)
        keras.utils.save_img(folder / name, _planted_photo(quadrant, channel, seed), scale=False)
    for name in ("cat", "dog"):
        (data_dir / "train" / name).mkdir(parents=True)
    for folder in ("models", "results", "cache"):
        (tmp_path / folder).mkdir()
    save_model(_square_detector(), tmp_path / "models" / FINE_TUNED, ["cat", "dog"], epochs=1)
    paths, _, _ = data.list_images(data_dir / "test")
    model = keras.models.load_model(tmp_path / "models" / FINE_TUNED, compile=False)
    p = model.predict(data.read_images(paths, SIZE, raw=True), verbose=0)[:, 0]
    expected = [float(squares[Path(path).name][1] == RED) for path in paths]
    assert p.tolist() == expected  # saturated: exactly 0.0 or 1.0, a dog for a red square

    nb = run_notebook(
        "07",
        DATA_DIR=str(data_dir),
        MODELS_DIR=str(tmp_path / "models"),
        RESULTS_DIR=str(tmp_path / "results"),
        CACHE_DIR=str(tmp_path / "cache"),
        GRADCAM_IMAGES=len(squares),
    )
    text = cell_text(nb)
    assert "showing 8 right and 1 wrong predictions" in text
    names = re.search(r"Grad-CAM photos: (.*)", text).group(1).split(", ")
    assert sorted(names) == sorted(squares) and names[-1] == "cat.4.png"  # the mistake last
    heat = np.load(tmp_path / "results" / "07_gradcam_heatmaps.npy")
    assert heat.shape == (len(names), SIZE, SIZE)
    assert (tmp_path / "results" / "07_gradcam.png").is_file()
    for name, heatmap in zip(names, heat, strict=True):
        quadrant = squares[name][0]
        assert heatmap.min() >= 0 and heatmap.max() == pytest.approx(1.0), name
        assert _quadrant_of_peak(heatmap) == quadrant, name
        assert _mass_in_quadrant(heatmap, quadrant) > 0.8, name
