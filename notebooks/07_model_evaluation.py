# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Cats vs dogs: evaluating every saved model on the test set
#
# **Description:** score every model of the case study on photos none of them has seen:
# accuracy, precision, recall, F1, confusion matrices, ROC curves, mistakes and Grad-CAM.
#
# ## Introduction
#
# Chapter 5 of the book ends its cats-vs-dogs case study by testing its models on 1,000 unseen
# photos (500 per class). Validation accuracy, which we watched during training, chose the
# epoch to keep, so it is no longer an unbiased estimate: the test split is scored here, once.
#
# You will learn how to:
#
# 1. reload the models saved by notebooks 02-06 with plain `keras.models.load_model`, and read
#    their class names from the JSON sidecar saved beside each;
# 2. predict the test photos **once**, computing what several models share only once (the
#    frozen VGG-16 blocks), turn the outputs into
#    class labels (a threshold for one sigmoid unit, the argmax for a softmax) and score them
#    with scikit-learn: `accuracy_score`, `precision_recall_fscore_support`,
#    `classification_report`, `ConfusionMatrixDisplay`, `RocCurveDisplay`;
# 3. put all the models in one table, next to the book's figures;
# 4. look at one photo through every model, at the best model's most confident mistakes, and,
#    with **Grad-CAM**, at the parts of a photo the fine-tuned VGG-16 relies on.
#
# The book's `model_evaluation_utils` no longer runs on current libraries (pandas' `labels=`,
# `scipy.interp`, `predict_proba` on Keras models) and one function its notebooks call,
# `display_confusion_matrix_pretty`, never existed. `utils/evaluation.py` rebuilds what is worth
# keeping on scikit-learn; this notebook writes out the scikit-learn calls themselves.

# %% [markdown]
# ## Setup
#
# `SPLIT` is the split folder scored (`test`). `SAMPLE_IMAGE` is the photo every model
# predicts (a file name in that split such as `"cat.1234.jpg"`; `None` picks one at random with
# `SEED`). `N_MISTAKES` mistakes of the best model are shown. `GRADCAM_MODEL` is the saved model
# whose attention Grad-CAM shows (`None`: notebook 06's fine-tuned VGG-16 of this dataset), on
# `GRADCAM_IMAGES` right and as many wrong predictions.
# `CACHE_DIR` keeps the test photos' VGG-16 `block4_pool` activations (float16) for re-runs;
# `CHECK_PHOTOS` test photos (`None`: all) are also predicted by each saved model directly, to
# show that the shared computation gives the same classes.

# %% tags=["parameters"]
DATA_DIR = "../data/cats-vs-dogs"
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
SPLIT = "test"
BATCH_SIZE = 32
SEED = 42
SAMPLE_IMAGE = None
N_MISTAKES = 12
GRADCAM_MODEL = None
GRADCAM_IMAGES = 4
CACHE_DIR = "../cache"
CHECK_PHOTOS = None

# %%
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay, classification_report

from utils import cache, data, evaluation, gradcam, plots, saving, vgg16_blocks

RESULTS = Path(RESULTS_DIR)
RESULTS.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(SEED)
PREFIX = saving.model_prefix(DATA_DIR)  # file names: "cats_dogs" here, else your folder's name
GRADCAM_MODEL = GRADCAM_MODEL or f"{PREFIX}_tlearn_finetune_img_aug_cnn.h5"

# %% [markdown]
# ## The models and the book's figures
#
# The models of notebooks 02-06 under their file names (the book's, `cats_dogs_*.h5`, on the
# case study's photos; `<name>_*.h5` on your folder `data/<name>/`), with readable labels; any
# other image classifier in `MODELS_DIR` whose name starts with this prefix is scored too,
# under its file name. The book's figures belong to its cats-vs-dogs photos and are shown on
# those only: it reports **validation** accuracies for all six models and **test** accuracies
# for two of them. Its test figure of about 0.78 belongs to the CNN with dropout: the book
# saves that regularised CNN as its `cats_dogs_basic_cnn.h5`, while our notebook 02 saves both
# CNNs under their own names.

# %%
BOOK_MODELS = {
    f"{PREFIX}_basic_cnn.h5": "Basic CNN",
    f"{PREFIX}_cnn_dropout.h5": "CNN + dropout",
    f"{PREFIX}_cnn_img_aug.h5": "CNN + augmentation",
    f"{PREFIX}_tlearn_basic_cnn.h5": "VGG-16 features",
    f"{PREFIX}_tlearn_img_aug_cnn.h5": "VGG-16 features + augmentation",
    f"{PREFIX}_tlearn_finetune_img_aug_cnn.h5": "VGG-16 fine-tuned + augmentation",
}
BOOK_DATA = PREFIX == "cats_dogs"  # the book's figures: on its cats-vs-dogs photos only
book_figures = pd.DataFrame(
    [
        ("Basic CNN", 0.72, None),
        ("CNN + dropout", 0.78, 0.78),
        ("CNN + augmentation", 0.82, None),
        ("VGG-16 features", 0.88, None),
        ("VGG-16 features + augmentation", 0.90, None),
        ("VGG-16 fine-tuned + augmentation", 0.96, 0.96),
    ],
    columns=["model", "book validation accuracy", "book test accuracy"],
)
if BOOK_DATA:
    display(book_figures)
else:
    print(f"models of {Path(DATA_DIR).name}: {PREFIX}_*.h5; the book's figures are not shown")

# %% [markdown]
# ## The test split
#
# Class numbers come from the sorted folder names (in the case study `cat = 0`, `dog = 1`); a
# binary model's single sigmoid output is the probability of class 1.

# %%
test_paths, y_test, class_names = data.list_images(Path(DATA_DIR) / SPLIT)
print("classes:", dict(enumerate(class_names)))
counts = np.bincount(y_test, minlength=len(class_names))
print(f"{SPLIT} images per class:", dict(zip(class_names, counts.tolist(), strict=True)))

# %% [markdown]
# ## Every model, loaded
#
# The book's models first, then the others. A model is scored when its sidecar names the same
# classes as the split and it takes RGB photos: the dense heads that notebooks 04-06 train on cached
# features (`*_head.h5`) take features instead and are listed as skipped; weights-only files
# (`*.weights.h5`, such as notebook 11's top model) are not models and are left out. A file that
# holds the same weights as one loaded before (05 and 06 save their cached-route model under the
# book's name too when the book's route is not run) is the same model: it is scored once, and the
# table's `files` column names every file that holds it.

# %%
files = sorted(
    (p for p in Path(MODELS_DIR).glob(f"{PREFIX}_*.h5") if not p.name.endswith(".weights.h5")),
    key=lambda p: (p.name not in BOOK_MODELS, p.name),
)
for name, label in BOOK_MODELS.items():
    if not (Path(MODELS_DIR) / name).is_file():
        print(f"not trained yet (skipped): {label}")

models, infos, model_files, seen = {}, {}, {}, {}
for path in files:
    label = BOOK_MODELS.get(path.name, path.name)
    if not saving.info_path(path).is_file():
        print(f"skipped {path.name}: no sidecar {saving.info_path(path).name}")
        continue
    info = saving.load_info(path)
    if info["class_names"] != class_names:
        print(f"skipped {path.name}: its classes {info['class_names'][:3]}... are not the split's")
        continue
    model = keras.models.load_model(path, compile=False)
    if len(model.input_shape) != 4 or model.input_shape[-1] != 3:
        print(f"skipped {path.name}: takes inputs of shape {model.input_shape[1:]}, not RGB images")
        continue
    same = seen.setdefault(cache.weights_fingerprint(model), label)
    if same != label:  # the same weights under a second name: one model
        model_files[same].append(path.name)
        print(f"{path.name}: the same model as {same}")
        continue
    models[label], infos[label], model_files[label] = model, info, [path.name]
if not models:
    raise RuntimeError(f"no model to evaluate in {MODELS_DIR}: run notebooks 02-06 first")

# %% [markdown]
# ## Every model, predicted once; what models share, computed once
#
# Notebooks 04-06 save `raw photo → VGG-16 preprocessing → VGG-16 → head`. Where two such
# models hold the same weights in blocks 1-4 (VGG-16 frozen there, as in all of them except
# the book's fine-tuning of block 4), they compute the same `block4_pool` for every photo: it
# is computed once, for all of them (and kept as `CACHE_DIR/vgg16_<size>px/test_block4_pool.npy`
# for a re-run). Block 5 then runs once per distinct block 5 (the frozen one serves notebooks
# 04 and 05, a fine-tuned one its own model), and each head on its output. This is the same
# arithmetic as `model.predict` on the photos, in another order. Every other model (the CNNs of
# notebooks 02 and 03, your own) predicts the photos with `model.predict`, from the same
# `tf.data` pipeline as in training (never augmented). The raw outputs are kept: every table
# and figure below is computed from them without predicting again.


# %%
def weights_id(model: keras.Model) -> str:
    """A fingerprint of a model's weight values: equal weights, equal id."""
    ids = [cache.array_fingerprint(w) for w in model.get_weights()]
    return cache.array_fingerprint(np.array(ids))


def vgg16_parts(model: keras.Model):
    """(blocks 1-4 with the preprocessing, block 5, head) of photo → pre → VGG-16 → head."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(layers) != 3 or not isinstance(layers[1], keras.Model):
        return None
    preprocess, vgg, head = layers
    names = [layer.name for layer in vgg.layers]
    if "block4_pool" not in names or names[-1] != "block5_pool":
        return None
    # cut at block4_pool as notebook 04 does (utils/vgg16_blocks.py), the model's own layers
    front = vgg16_blocks.extractor_for(vgg, preprocess=preprocess)
    return front, vgg16_blocks.block5_of(vgg), head


parts = {label: vgg16_parts(model) for label, model in models.items()}
fronts = {label: weights_id(p[0]) for label, p in parts.items() if p}
shared = {label for label, f in fronts.items() if list(fronts.values()).count(f) > 1}
activations, block5_outputs, outputs = {}, {}, {}
for label, model in models.items():
    size = infos[label]["image_size"]
    start = time.perf_counter()
    if label not in shared:  # on its own: the photos through the whole model
        test_ds = data.image_dataset(test_paths, y_test, size, BATCH_SIZE)
        outputs[label] = model.predict(test_ds, verbose=0)
        how = "model.predict on the photos"
    else:
        front, block5, head = parts[label]
        if fronts[label] not in activations:  # blocks 1-4: once per distinct weights
            path = Path(CACHE_DIR) / f"vgg16_{size[0]}px" / f"{SPLIT}_block4_pool.npy"
            key = cache.key(
                model=fronts[label],
                files=cache.files_fingerprint(test_paths),
                image_size=size[0],
                precision="float32",
            )
            if (a := cache.load(path, key)) is None:
                test_ds = data.image_dataset(test_paths, y_test, size, BATCH_SIZE)
                a = front.predict(test_ds, verbose=0).astype("float16")
                cache.save(path, a, key)
            activations[fronts[label]] = a
        block5_key = (fronts[label], weights_id(block5))
        if block5_key not in block5_outputs:  # block 5: once per distinct weights
            block5_outputs[block5_key] = block5.predict(activations[fronts[label]], verbose=0)
        outputs[label] = head.predict(block5_outputs[block5_key], verbose=0)
        how = "shared VGG-16 blocks"
    accuracy = (evaluation.to_labels(outputs[label]) == y_test).mean()
    seconds = time.perf_counter() - start
    print(f"{label:<40} accuracy {accuracy:.4f} ({how}, {seconds:.1f} s)")
print(f"blocks 1-4 computed {len(activations)} time(s), block 5 {len(block5_outputs)} time(s)")

# %% [markdown]
# The check: the first `CHECK_PHOTOS` test photos through each model that used the shared
# blocks, with `model.predict` on the photos, against the outputs above. The only difference
# is the float16 rounding of the kept activations.

# %%
check = slice(0, CHECK_PHOTOS)
photos = data.read_images(test_paths[check], infos[next(iter(models))]["image_size"], raw=True)
for label in [label for label in models if label in shared]:
    size = infos[label]["image_size"]
    if photos.shape[1:3] != tuple(size):
        photos = data.read_images(test_paths[check], size, raw=True)
    direct = models[label].predict(photos, batch_size=BATCH_SIZE, verbose=0)
    ours = outputs[label][check]
    same = evaluation.to_labels(direct) == evaluation.to_labels(ours)
    gap = (evaluation.to_labels(ours) == y_test[check]).mean() - (
        evaluation.to_labels(direct) == y_test[check]
    ).mean()
    print(
        f"{label:<40} {len(direct)} photos: same class for {same.sum()}, accuracy difference "
        f"{gap:+.4f}, largest probability difference {np.abs(direct - ours).max():.1e}"
    )

# %% [markdown]
# ## The results table
#
# One row per model, best F1 first. `get_metrics` is scikit-learn's `accuracy_score` and
# `precision_recall_fscore_support(average="weighted")`: precision, recall and F1 of each class
# averaged with the number of photos of the class as weight, as the book reports them. ROC AUC
# ranks the photos by the model's probability instead of thresholding it. On the case study's
# photos the last columns are the book's figures, each named by the split it was measured on;
# ours are all on the test split.
# A book figure describes the book's recipe: where notebook 05 or 06 skipped its route on
# photos (`EPOCHS = 0`, as in the `cpu` profile), the file under the book's name holds that
# notebook's cached route (its sidecar's `route` says which), and notebook 06's fine-tunes
# block 5 alone, with SGD, where the book fine-tuned blocks 4 and 5 with RMSprop for 100
# epochs. The table is saved as CSV and Markdown in `RESULTS_DIR`.

# %%
rows = []
for label, out in outputs.items():
    info = infos[label]
    rows.append(
        {
            "model": label,
            "files": ", ".join(model_files[label]),
            **evaluation.get_metrics(y_test, evaluation.to_labels(out)),
            "roc_auc": evaluation.roc_auc(y_test, out),
            "params": info["params"],
            "epochs": info.get("epochs"),
            "best_epoch": info.get("best_epoch"),
            "train_seconds": info.get("train_seconds"),
            "test_images": len(y_test),
        }
    )
table = pd.DataFrame(rows)
if BOOK_DATA:
    table = table.merge(book_figures, on="model", how="left")
table = table.sort_values("f1", ascending=False, kind="stable").reset_index(drop=True)
table.to_csv(RESULTS / "07_model_evaluation.csv", index=False)
(RESULTS / "07_model_evaluation.md").write_text(
    table.to_markdown(index=False, floatfmt=".4f") + "\n"
)
display(table.round(4))

# %%
ax = table.set_index("model")[["accuracy", "f1", "roc_auc"]].iloc[::-1].plot.barh(figsize=(9, 5))
ax.set_xlim(0, 1.1)
ax.set_xlabel(f"score on the {SPLIT} split")
for bars in ax.containers:
    ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=2)
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
_ = plots.save_figure(ax.figure, RESULTS / "07_model_evaluation.png")

# %% [markdown]
# ## The best model, step by step
#
# The recipe for one model, in scikit-learn calls you can copy: outputs → labels → report and
# confusion matrix. `evaluation.to_labels` is the one place where the threshold (one sigmoid
# unit: `p > 0.5` is class 1) or the argmax (softmax) is applied.

# %%
best, worst = table["model"].iloc[0], table["model"].iloc[-1]
y_pred = evaluation.to_labels(outputs[best])
print(f"best model: {best}\n")
print(classification_report(y_test, y_pred, target_names=class_names, digits=4))

# %%
disp = ConfusionMatrixDisplay.from_predictions(
    y_test, y_pred, display_labels=class_names, cmap="Blues", colorbar=False
)
disp.ax_.set_title(f"{best}: rows are the actual class")
_ = plots.save_figure(disp.figure_, RESULTS / "07_best_model_confusion_matrix.png")

# %% [markdown]
# A ROC curve plots the true-positive rate against the false-positive rate as the threshold on
# P(class 1) goes from 1 to 0; its area (AUC) is the probability that a random photo of class 1
# scores higher than a random photo of class 0. For more than two classes `evaluation.plot_roc`
# draws one-vs-rest curves (micro and macro averages, then per class).

# %%
if len(class_names) == 2:
    proba = evaluation.as_probabilities(outputs[best])  # columns: P(class 0), P(class 1)
    disp = RocCurveDisplay.from_predictions(y_test, proba[:, 1], name=best, plot_chance_level=True)
    ax = disp.ax_
else:
    ax = evaluation.plot_roc(y_test, outputs[best], class_names, name=best)
_ = plots.save_figure(ax.figure, RESULTS / "07_best_model_roc.png")

# %% [markdown]
# ## Every model: the book's report
#
# The book's `display_model_performance_metrics` prints the same three things for each model:
# the metrics, scikit-learn's classification report and the labelled confusion matrix (rows:
# actual class, columns: predicted class).

# %%
for label, out in outputs.items():
    print(f"\n{'=' * 72}\n{label}\n{'=' * 72}")
    evaluation.display_model_performance_metrics(
        y_test, evaluation.to_labels(out), class_names, proba=out
    )

# %% [markdown]
# The confusion matrices side by side: a model that leans towards one class shows it as one
# heavy cell off the diagonal.

# %%
ncols = min(3, len(outputs))
nrows = -(-len(outputs) // ncols)
fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 4 * nrows), squeeze=False)
for ax in axes.flat[len(outputs) :]:
    ax.axis("off")
for ax, (label, out) in zip(axes.flat, outputs.items(), strict=False):
    ConfusionMatrixDisplay.from_predictions(
        y_test, evaluation.to_labels(out), display_labels=class_names, ax=ax, colorbar=False
    )
    ax.set_title(label, fontsize=9)
fig.tight_layout()
_ = plots.save_figure(fig, RESULTS / "07_confusion_matrices.png")

# %% [markdown]
# ## ROC curves: the worst and the best model, then all
#
# The book's figure compares the worst and the best model. `evaluation.plot_roc` calls
# `RocCurveDisplay.from_predictions` (the micro average of the one-vs-rest curves with more than
# two classes); called again on the same axes it adds the next model.

# %%
for title, labels, stem in (
    ("ROC: worst vs best model", [worst, best], "07_roc_worst_best"),
    ("ROC: all models", list(outputs), "07_roc_all"),
):
    fig, ax = plt.subplots(figsize=(7, 6))
    for label in labels:
        evaluation.plot_roc(y_test, outputs[label], class_names, name=label, ax=ax, per_class=False)
    ax.set_title(title)
    _ = plots.save_figure(fig, RESULTS / f"{stem}.png")

# %% [markdown]
# ## One photo, every model
#
# The book's single-sample comparison: one test photo, each model's predicted class and its
# probabilities, read from the outputs kept above.

# %%
if SAMPLE_IMAGE:
    sample = next(i for i, p in enumerate(test_paths) if Path(p).name == SAMPLE_IMAGE)
else:
    sample = int(rng.integers(len(test_paths)))
sample_name = f"{Path(test_paths[sample]).name} (a {class_names[y_test[sample]]})"
print("photo:", sample_name)
fig = plots.image_grid(data.read_images([test_paths[sample]], 150), [sample_name], ncols=1)

# %%
single = []
for label, out in outputs.items():
    proba = evaluation.as_probabilities(out[sample : sample + 1])[0]
    row = {"model": label, "predicted": class_names[proba.argmax()], "confidence": proba.max()}
    single.append({**row, **{f"P({c})": p for c, p in zip(class_names, proba, strict=True)}})
display(pd.DataFrame(single).round(4))

# %% [markdown]
# ## The best model's mistakes
#
# The photos the best model gets wrong, most confident mistakes first. Look before blaming the
# model: is the animal small or partly hidden, are there several animals, is the photo mostly
# something else? Or is it a clear photo the model should have got?

# %%
mistakes = evaluation.confident_mistakes(y_test, outputs[best])
print(f"{best}: {len(mistakes)} mistakes out of {len(y_test)} photos")
if len(mistakes):
    shown = mistakes[:N_MISTAKES]
    proba = evaluation.as_probabilities(outputs[best])
    titles = [
        f"true: {class_names[y_test[i]]}\npred: {class_names[proba[i].argmax()]} "
        f"({proba[i].max():.2f})"
        for i in shown
    ]
    images = data.read_images([test_paths[i] for i in shown], infos[best]["image_size"])
    fig = plots.image_grid(images, titles, ncols=min(6, len(shown)))
    plots.save_figure(fig, RESULTS / "07_best_model_mistakes.png")

# %% [markdown]
# ## What the fine-tuned network looks at: Grad-CAM
#
# Grad-CAM (Selvaraju et al., 2017) takes the feature maps of the last convolution layer
# (`block5_conv3` in VGG-16: 512 maps), weights each by how much the class score rises when the
# map rises (its mean gradient), and keeps the positive part of the sum: a coarse map of the
# evidence for the class, resized onto the photo. Red areas pushed the prediction most. Here a
# few photos the model gets right, then some it gets wrong. The saved model is a plain Keras
# model (raw photo → VGG-16's preprocessing as a built-in layer → VGG-16 → head);
# `gradcam.gradcam` reaches into the nested VGG-16 for its last convolution layer.

# %%
gradcam_label = next((m for m, f in model_files.items() if GRADCAM_MODEL in f), None)
gradcam_ready = gradcam_label in outputs
if not gradcam_ready:
    print(f"Grad-CAM skipped: {GRADCAM_MODEL} is not trained yet (or is not an image classifier).")
    print("Train it with notebook 06, or set GRADCAM_MODEL to another saved model.")
else:
    cam_model = keras.models.load_model(Path(MODELS_DIR) / GRADCAM_MODEL, compile=False)
    print(f"{gradcam_label}: last convolution layer {gradcam.last_conv_layer(cam_model)}")
    cam_pred = evaluation.to_labels(outputs[gradcam_label])
    right = np.flatnonzero(cam_pred == y_test)
    right = rng.choice(right, min(GRADCAM_IMAGES, len(right)), replace=False)
    wrong = evaluation.confident_mistakes(y_test, outputs[gradcam_label])[:GRADCAM_IMAGES]
    print(f"showing {len(right)} right and {len(wrong)} wrong predictions")

# %%
if gradcam_ready:
    chosen = np.concatenate([right, wrong]).astype(int)
    images = data.read_images([test_paths[i] for i in chosen], infos[gradcam_label]["image_size"])
    heatmaps = gradcam.gradcam(cam_model, images)  # explains the predicted class
    titles = [
        f"{'right' if cam_pred[i] == y_test[i] else 'WRONG'}: {class_names[cam_pred[i]]}"
        f"\n(true {class_names[y_test[i]]})"
        for i in chosen
    ]
    fig = gradcam.plot_gradcam(images, heatmaps, titles, ncols=2)
    plots.save_figure(fig, RESULTS / "07_gradcam.png")

# %% [markdown]
# Read the maps photo by photo: on a right prediction, does the heat sit on the animal (head,
# eyes, ears, muzzle) or on the background? On a mistake, what did the network look at instead:
# a second animal, a cage, a person? Grad-CAM shows the evidence *for* the predicted class at
# the coarse resolution of the last convolution layer (9 × 9 cells for a 150 × 150 photo).

# %% [markdown]
# ## Takeaways
#
# - Score the test split once, at the end, with the saved best weights; every number here comes
#   from one prediction pass per model over the test photos (the VGG-16 blocks they share
#   computed once).
# - Outputs → labels → scikit-learn: `to_labels` (threshold or argmax), then
#   `classification_report`, `ConfusionMatrixDisplay.from_predictions` and
#   `RocCurveDisplay.from_predictions`. Weighted precision, recall and F1 stay close to accuracy
#   when the classes are balanced; ROC AUC adds how well the probabilities rank the photos,
#   whatever the threshold.
# - Compare our test figures with the book's in the columns that say which split the book
#   measured: most of its figures are validation accuracies.
# - Look at the mistakes and the Grad-CAM maps before trusting a number: they show whether the
#   network learned cats and dogs or something that happens to come with them.
# - `predict.py` classifies new photos with any of these models:
#   `python predict.py --model models/cats_dogs_tlearn_finetune_img_aug_cnn.h5 photos/`.
#
# ## What a full run costs
#
# No training here: one prediction pass over the test photos per model, then Grad-CAM on a few
# photos.
#
# - **Book settings on a GPU** (1,000 test photos at 150 px, six models): not measured here.
# - **`cpu` profile on 2 CPU cores** (`python run_all.py --profile cpu`: 1,000 test photos):
#   2.3 minutes in the run of `BENCHMARKS.md` with the five VGG-16 model files of notebooks
#   04-06 at 180 px and `CHECK_PHOTOS = 30` (2-core AMD EPYC, nothing else running;
#   2026-11-24), of which 92 s for the first VGG-16 model, whose pass of blocks 1-4 over the
#   test photos in float32 served all five.
