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
# # 08 · Dog breeds: 120 classes with a frozen InceptionV3
#
# **Description:** the book's second case study: a pretrained InceptionV3 as a frozen feature
# extractor under a small dense head, trained on photos of 120 dog breeds streamed from disk.
#
# ## Introduction
#
# Kaggle's *Dog Breed Identification* data holds 10,222 photos of 120 breeds, about 85 per
# breed. The book splits them (test 30 %, then validation 15 % of the rest: 6,081 training
# photos, about 51 per breed), puts InceptionV3 with its ImageNet weights under a small head,
# and trains the head for 15 epochs on augmented photos. It reports 0.864 accuracy on its
# test split.
#
# You will learn to:
#
# - build a `keras.applications` base without its classifier, `include_top=False`, with
#   `pooling="avg"`, so that it turns each photo into one feature vector (2,048 numbers for
#   InceptionV3), and freeze it;
# - put the book's head on it, as a `keras.Sequential`, and the backbone's own preprocessing in
#   front of it, so that the saved model takes ordinary photos;
# - train with integer ("sparse") labels for 120 classes, with visible callbacks, on photos
#   streamed from disk with `tf.data`, augmenting the training photos only;
# - read a 120-class result: top-1 and top-5 accuracy, precision and recall per breed, the
#   breeds that get mixed up, and predictions with their confidences.
#
# Two things differ from the book. **Memory**: the book loads all photos at 299 × 299 into
# memory as float32 (about 11 GiB, over 20 GiB at its peak while it splits them); here
# `keras.utils.image_dataset_from_directory` reads a few batches at a time from disk, so
# memory stays flat however many photos there are (`benchmarks/memory_08.py` measures it).
# **Validation**: the book sent its validation photos through the training augmentation; here
# only training photos are augmented.

# %% [markdown]
# ## Setup
#
# `DATA_DIR` is a split built by `python build_dataset.py dog-breeds --source DIR --out DIR`;
# when it is missing, the notebook builds it from `SOURCE_DIR` (Kaggle's `train/` folder and
# `labels.csv`). `BACKBONE` is one of the backbones of `utils.pretrained.BACKBONES`
# (`"inception_v3"`, `"xception"`, `"vgg16"`, `"vgg19"`, `"resnet50"`); `IMAGE_SIZE=None`
# takes its own input size (299 for InceptionV3). `WEIGHTS`: `"imagenet"`, the path of a
# no-top weights file, or `None` (random weights: nothing is transferred, for tests only).
# `USE_CACHED_FEATURES=True` is the CPU-friendly route of notebook 04: the frozen base runs
# once over every photo, its features are kept on disk (`cache.predict`), and only the head
# is trained (no augmentation then). `DISTRIBUTE` is notebook 02's: `"mirrored"` trains on
# every GPU of the machine (`tf.distribute.MirroredStrategy`), `"mirrored:2"` on two logical
# CPU devices.

# %% tags=["parameters"]
DATA_DIR = "../data/dog-breeds"  # split root: train/ validation/ test/, one folder per breed
SOURCE_DIR = "../data/dog-breed-identification"  # Kaggle train/ + labels.csv: builds DATA_DIR
LABELS_CSV = None  # None: SOURCE_DIR/labels.csv
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
CACHE_DIR = "../cache"
BACKBONE = "inception_v3"  # a name in utils.pretrained.BACKBONES
WEIGHTS = "imagenet"  # "imagenet", a path to a no-top weights file, or None (random)
IMAGE_SIZE = None  # None: the backbone's own input size (299 for InceptionV3)
BATCH_SIZE = 32
EPOCHS = 15
LEARNING_RATE = 1e-4
SEED = 42
USE_CACHED_FEATURES = False  # True: head on cached features (CPU-friendly, no augmentation)
N_SHOW = 12  # photos in the sample and prediction grids
DISTRIBUTE = None  # None, "mirrored" (every GPU) or "mirrored:N" (N logical CPUs)

# %%
import utils  # first, before Keras: TensorFlow loads without its start-up messages

# isort: split
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from IPython.display import display
from sklearn.metrics import confusion_matrix, top_k_accuracy_score

from utils import augment, cache, data, distribute, evaluation, plots, pretrained, saving, training
from utils.dataset_builder import build_dog_breeds

keras.utils.set_random_seed(SEED)
strategy = distribute.get_strategy(DISTRIBUTE)  # None: the default device
image_size = IMAGE_SIZE or pretrained.backbone(BACKBONE).default_size
PREFIX = saving.model_prefix(DATA_DIR)  # file names: "dog_breeds" here, else your folder's name
NAME = f"{PREFIX}_{BACKBONE}"
for folder in (MODELS_DIR, RESULTS_DIR):
    Path(folder).mkdir(parents=True, exist_ok=True)

data_dir = Path(DATA_DIR)
if not (data_dir / "train").is_dir():  # what `build_dataset.py dog-breeds` does
    build_dog_breeds(out=data_dir, source=SOURCE_DIR, labels=LABELS_CSV, seed=SEED, progress=False)
print(f"backbone {BACKBONE} at {image_size}x{image_size}, weights {WEIGHTS}")
print(f"route: {'cached features' if USE_CACHED_FEATURES else 'streaming + augmentation'}")

# %% [markdown]
# ## The data
#
# Kaggle's `labels.csv` names the breed of every photo id; the split builder sorted the photos
# into one folder per breed, per split, and listed them in `manifest.csv`. The class numbers
# are the breed names in sorted order, the same in every split and in the saved model's
# sidecar file.

# %%
labels_csv = Path(LABELS_CSV or Path(SOURCE_DIR or ".") / "labels.csv")
if labels_csv.is_file():
    print(f"{labels_csv.name}: {len(pd.read_csv(labels_csv))} photos")
    display(pd.read_csv(labels_csv).head())
pd.read_csv(data_dir / "manifest.csv").head()

# %% [markdown]
# `keras.utils.image_dataset_from_directory` reads a split folder in batches: each photo
# resized to `image_size`, raw RGB pixels in [0, 255], and as its label the number of its
# folder in `class_names`. The class names come from the training folder and are passed to
# validation and test, so that a breed has the same number in every split (the split builder
# writes a folder for every breed in every split, empty where a rare breed has no photo). Not
# shuffled: batch after batch the photos come in the order of `file_paths`, whose folders give
# the labels without decoding a photo.

# %%
class_names = data.class_names(data_dir / "train")


def read_split(split, shuffle=False):
    """The photos of a split folder and their breed numbers, ``BATCH_SIZE`` at a time."""
    return keras.utils.image_dataset_from_directory(
        data_dir / split,
        class_names=class_names,
        image_size=(image_size, image_size),
        batch_size=BATCH_SIZE,
        shuffle=shuffle,
        seed=SEED,
    )


datasets = {split: read_split(split) for split in utils.SPLITS}
labels = {
    split: np.array([class_names.index(Path(path).parent.name) for path in ds.file_paths])
    for split, ds in datasets.items()
}
counts = pd.DataFrame(
    {split: np.bincount(y, minlength=len(class_names)) for split, y in labels.items()},
    index=pd.Index(class_names, name="breed"),
)
counts["total"] = counts.sum(axis=1)
KIND = "breeds" if PREFIX == "dog_breeds" else "classes"  # your folder's classes otherwise
print(f"{len(class_names)} {KIND}, {counts['total'].sum()} photos")
print(counts.sum().to_string())
print(f"{KIND} without photos:", (counts[list(utils.SPLITS)] == 0).sum().to_dict())
print(", ".join(class_names))

# %%
ax = counts.sort_values("total", ascending=False)[list(utils.SPLITS)].plot.bar(
    stacked=True, width=0.9, figsize=(14, 4), title="Photos per breed and split"
)
ax.tick_params(axis="x", labelsize=6)
ax.set_ylabel("photos")
print("saved", plots.save_figure(ax.figure, Path(RESULTS_DIR) / f"{NAME}_photos_per_breed.png"))

# %%
train_paths, train_labels = datasets["train"].file_paths, labels["train"]
rng = np.random.default_rng(SEED)
shown = np.sort(rng.choice(len(train_paths), min(N_SHOW, len(train_paths)), replace=False))
fig = plots.image_grid(
    data.read_images([train_paths[i] for i in shown], image_size),
    titles=[class_names[train_labels[i]] for i in shown],
    ncols=4,
    suptitle="Training photos and their breed",
)

# %% [markdown]
# ## Streaming pipelines, augmentation on the training photos only
#
# Training reads the training folder once more, shuffled (seeded; Keras shuffles the file list
# once, then again every epoch within a buffer of eight batches), and augments each batch in
# the pipeline; validation and test photos stay as they are. The book's augmentation for this
# study: rotations up to 30°, shifts up to 20 % of the width and height, horizontal flips; no
# zoom, no shear (its `rescale` is the backbone's preprocessing, a layer of the model below).
# Notebook 03 explains how each `ImageDataGenerator` argument becomes a Keras layer.

# %%
augmenter = augment.book_augmentation(
    rotation_range=30,
    width_shift_range=0.2,
    height_shift_range=0.2,
    horizontal_flip=True,
    zoom_range=0.0,
    shear_range=0.0,
    seed=SEED,
)
train_stream = (
    read_split("train", shuffle=True)
    .map(lambda x, y: (augmenter(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    .prefetch(tf.data.AUTOTUNE)
)
for split, ds in datasets.items():
    print(f"{split:>10}: {len(labels[split])} photos, {int(ds.cardinality())} batches")

# %%
photo = data.read_images(train_paths[:1], image_size, raw=True)
versions = augmenter(np.repeat(photo, 5, axis=0), training=True)
fig = plots.image_grid(
    [photo[0], *np.asarray(versions)],
    titles=["original"] + [f"augmented {i + 1}" for i in range(5)],
    ncols=6,
    suptitle=f"Training augmentation ({class_names[train_labels[0]]})",
)

# %% [markdown]
# ## The model
#
# The book's backbone is `keras.applications.InceptionV3`; `BACKBONE` can pick another of
# `utils.pretrained.BACKBONES` (`run_all.py` picks `"vgg16"` when it only has VGG-16's
# weights), whose `keras.applications` constructor `pretrained.constructor` looks up.
# `include_top=False` drops InceptionV3's ImageNet classifier; `pooling="avg"` ends the base
# with global average pooling, one number per channel of its last feature maps. Freezing it
# (`trainable = False`) keeps the ImageNet features as they are. The backbone's
# `preprocess_input` (for InceptionV3: pixels scaled to [-1, 1]) is the first layer, so the
# model takes raw photos. The head is the book's: Dense 512 → Dense 512 → Dense 120 softmax,
# no dropout.
#
# The labels are integers, 0 to 119. The book one-hot encodes them (a row of 120 numbers with
# a single 1) and uses `categorical_crossentropy`; `sparse_categorical_crossentropy` computes
# the same loss from the integer itself, without the 120-column matrix. Top-5 accuracy counts
# a photo as right when its breed is among the model's five most likely.
#
# Base, head and model are built inside `strategy.scope()` (and compiled there, below), so
# `DISTRIBUTE` decides where they train.

# %%
with strategy.scope():
    weights, shape = pretrained.weights_file(BACKBONE, WEIGHTS), (image_size, image_size, 3)
    if BACKBONE == "inception_v3":
        base = keras.applications.InceptionV3(
            include_top=False, pooling="avg", weights=weights, input_shape=shape
        )
    else:
        base = pretrained.constructor(BACKBONE)(
            include_top=False, pooling="avg", weights=weights, input_shape=shape
        )
    base.trainable = False
    preprocess = pretrained.preprocessing_layer(BACKBONE)

    head = keras.Sequential(
        [
            keras.Input(shape=(base.output_shape[-1],)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(len(class_names), activation="softmax"),
        ],
        name="head",
    )
    model = keras.Sequential([keras.Input(shape=shape), preprocess, base, head], name=NAME)
print(f"{base.name}: {base.count_params():,} parameters, frozen")
print(pretrained.param_counts(model))
pretrained.layer_table(model)

# %% [markdown]
# ## The cached route (when `USE_CACHED_FEATURES`)
#
# The base is frozen and the features of an unaugmented photo never change, so the base can
# run once over every photo. `cache.predict` (`utils/cache.py`) is `extractor.predict` on a
# split's dataset followed by `np.save` under a readable name in `CACHE_DIR`, the first time;
# any later run with the same extractor (layers, weights), photos and image size loads the file
# with `np.load` instead (change any of them and it computes anew). Training the head on the
# features takes seconds per epoch instead of a pass of the base; the price is no augmentation.

# %%
if USE_CACHED_FEATURES:
    extractor = keras.Sequential([keras.Input(shape=shape), preprocess, base], name="extractor")
    features = {
        split: cache.predict(extractor, ds, f"{NAME}_{split}_features", CACHE_DIR)
        for split, ds in datasets.items()
    }

# %% [markdown]
# ## Training
#
# Adam with a learning rate of 1e-4, as in the book. Training is notebook 02's recipe in one
# call, `training.fit_keep_best` (see `utils/training.py`): `model.fit` with
# `ModelCheckpoint(save_best_only=True)`, which keeps the epoch with the lowest validation
# loss, and `CSVLogger`, which writes the history; then the best epoch's model reloaded. Its
# weights go back into the model we trained. On the streaming route the whole model trains
# on augmented photos (only the head's weights change); on the cached route the head alone
# trains on the cached features. Either way the saved model is the whole network, photos in,
# 120 probabilities out.

# %%
if USE_CACHED_FEATURES:
    trained = head
    train_data = (
        tf.data.Dataset.from_tensor_slices((features["train"], labels["train"]))
        .shuffle(len(labels["train"]), seed=SEED)
        .batch(BATCH_SIZE)
    )
    validation_data = (features["validation"], labels["validation"])
else:
    trained = model
    train_data, validation_data = train_stream, datasets["validation"]

with strategy.scope():
    trained.compile(
        optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
        metrics=[
            "accuracy",
            keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy"),
        ],
    )
best, history, train_seconds = training.fit_keep_best(
    trained,
    train_data,
    validation_data,
    epochs=EPOCHS,
    checkpoint=Path(MODELS_DIR) / "checkpoints" / f"{NAME}.keras",
    log=Path(RESULTS_DIR) / f"{NAME}_history.csv",
    shuffle=False,  # the training pipeline reshuffles itself every epoch
    verbose=0,
)
trained.set_weights(best.get_weights())  # the best epoch's weights, in `model` too

# %%
facts = training.summarize(history)
print(f"{train_seconds:.0f} s, {train_seconds / len(history):.1f} s per epoch;", end=" ")
print(f"best epoch {facts['best_epoch']} (validation accuracy {facts['best_epoch_val_accuracy']})")
fig = plots.plot_history(history, title=f"Dog breeds, {BACKBONE}")
history.round(4)

# %% [markdown]
# `utils.saving.save_model` writes the model as `.h5` and a JSON sidecar beside it with the 120
# breed names in class order and how the model was trained; we evaluate the file we saved.

# %%
model_path = saving.save_model(
    model,
    Path(MODELS_DIR) / f"{NAME}.h5",
    class_names,
    **facts,
    train_seconds=round(train_seconds, 1),
    notebook="08_dog_breeds",
    backbone=BACKBONE,
    weights=str(WEIGHTS),
    learning_rate=LEARNING_RATE,
    batch_size=BATCH_SIZE,
    route="cached features" if USE_CACHED_FEATURES else "streaming + augmentation",
)
saved = keras.models.load_model(model_path, compile=False)
print(model_path, f"({model_path.stat().st_size / 2**20:.0f} MiB), input {saved.input_shape}")

# %% [markdown]
# ## The test split
#
# This case study has its own test split, used once, here, as in the book. The saved model
# predicts every test photo (on the cached route its head runs on the cached test features:
# the same numbers, without running the base again). Like the book we report accuracy and the
# precision, recall and F1 averaged over the breeds weighted by their number of photos, plus
# top-5 accuracy.

# %%
test_paths, y_true = datasets["test"].file_paths, labels["test"]
if USE_CACHED_FEATURES:
    proba = saved.get_layer("head").predict(features["test"], verbose=0)
else:
    proba = saved.predict(datasets["test"], verbose=0)
y_pred = proba.argmax(axis=1)
ours = evaluation.get_metrics(y_true, y_pred)
ours["top5_accuracy"] = top_k_accuracy_score(y_true, proba, k=5, labels=range(len(class_names)))
book = {"accuracy": 0.864, "precision": 0.8783, "recall": 0.864, "f1": 0.8591}
scores = pd.DataFrame({"this run (test)": ours})
if PREFIX == "dog_breeds":  # the book's figures belong to its dog-breed photos only
    scores["book's run (test)"] = pd.Series(book)
scores.to_csv(Path(RESULTS_DIR) / f"{NAME}_test_metrics.csv")
print(f"{len(y_true)} test photos of {len(set(y_true))} {KIND}")
scores.round(4)

# %% [markdown]
# The book's figures come from InceptionV3 with ImageNet weights and about 51 training photos
# per breed, 15 epochs on a GPU; with fewer photos, a smaller input, random weights or fewer
# epochs expect much lower scores.
#
# ### Per breed
#
# Precision, recall and F1 of every breed (saved as CSV), then the five best and worst breeds
# among those in the test split.

# %%
report = evaluation.classification_report_frame(y_true, y_pred, class_names)
per_breed = report.iloc[: len(class_names)]
per_breed.to_csv(Path(RESULTS_DIR) / f"{NAME}_per_breed.csv")
ranked = per_breed[per_breed["support"] > 0].sort_values("f1-score", ascending=False)
pd.concat({"best": ranked.head(5), "worst": ranked.tail(5)}).round(3)

# %% [markdown]
# ### The most confused breeds
#
# The off-diagonal cells of the confusion matrix with the most photos: which true breed was
# taken for which. Fine-grained classification means look-alike breeds: a well-trained model
# confuses close relatives (terriers, spaniels); with few photos per breed, as in the `cpu`
# profile's sample, the mix-ups can look random. Read the table below for your run.

# %%
cm = confusion_matrix(y_true, y_pred, labels=range(len(class_names)))
np.fill_diagonal(cm, 0)
mistakes = pd.DataFrame(
    [(class_names[i], class_names[j], cm[i, j]) for i, j in np.argwhere(cm)],
    columns=["true breed", "predicted breed", "photos"],
)
mistakes.sort_values("photos", ascending=False, kind="stable").head(10)

# %% [markdown]
# ### Predictions on test photos
#
# Each photo with its true breed and the model's three most likely breeds with their
# confidences: green when the first is right, orange when the true breed is among the three,
# red otherwise. These come from the saved model running on the photos themselves.

# %%
shown = np.sort(rng.choice(len(test_paths), min(N_SHOW, len(test_paths)), replace=False))
photos = data.read_images([test_paths[i] for i in shown], image_size, raw=True)
photo_proba = saved.predict(photos, verbose=0)
titles, colors = [], []
for truth, p in zip(y_true[shown], photo_proba, strict=True):
    top3 = np.argsort(-p)[:3]
    lines = [f"true: {class_names[truth][:22]}"]
    lines += [f"{class_names[j][:22]} {p[j]:.0%}" for j in top3]
    titles.append("\n".join(lines))
    colors.append("green" if top3[0] == truth else "darkorange" if truth in top3 else "red")
rows = -(-len(shown) // 4)
fig = plots.image_grid(photos, titles, ncols=4, title_colors=colors, figsize=(12, 4.4 * rows))
print("saved", plots.save_figure(fig, Path(RESULTS_DIR) / f"{NAME}_predictions.png"))

# %% [markdown]
# Try the saved model on your own dog photos:
# `python predict.py --model models/dog_breeds_inception_v3.h5 my_dog.jpg` (the sidecar JSON
# gives it the breed names).
#
# ## Takeaways
#
# - `include_top=False, pooling="avg"` turns a `keras.applications` network into a feature
#   extractor: one vector per photo; a small `Sequential` head on top learns the new classes.
# - The backbone's preprocessing belongs inside the saved model, so it takes raw photos and
#   nobody has to remember how to scale them.
# - For many classes keep the labels as integers with `sparse_categorical_crossentropy`, and
#   look beyond top-1: top-5 accuracy, per-class scores and the most confused pairs tell
#   whether the mistakes are between look-alike breeds.
# - Streaming from disk keeps memory flat; augment the training photos only, so that the
#   validation loss that picks the best epoch is measured on real photos.
# - With the base frozen, caching its features makes each epoch cheap, at the price of
#   augmentation.
#
# ## What a full run costs
#
# - **The book's settings on a GPU** (InceptionV3 at 299 × 299, 10,222 photos, 15 epochs,
#   augmentation): in the book's run an epoch of 190 steps took about 155 s, about 40 minutes
#   in all.
# - **The `cpu` profile on a 2-core laptop** (`run_all.py --profile cpu`: the cached route,
#   150 epochs, VGG-16 when a VGG-16 weights file is given, on the 1,000-photo sample of the
#   data): 3.7 minutes in the run of `BENCHMARKS.md` (2-core AMD EPYC, nothing else running;
#   2026-11-24).
#   The streaming route on a CPU: not measured
#   here.
# - Peak memory of the streaming route for 1× and 10× the photos: `benchmarks/memory_08.py`.
