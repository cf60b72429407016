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
# # Dog breeds: 120 classes with a frozen InceptionV3
#
# **Description:** the book's second case study: a pretrained InceptionV3 as a frozen feature
# extractor under a small dense head, trained on photos of 120 dog breeds streamed from disk.
#
# ## Introduction
#
# The book's second case study is **fine-grained** classification: every photo shows the same
# kind of object, a dog, and the classes are its subclasses, the breeds. Telling a Norfolk
# from a Norwich terrier is a matter of ears, coat and build, not of what the object is, so
# two breeds can look more alike than two photos of one breed (pose, age, lighting,
# background). Cats vs dogs (notebooks 01-07) asked the coarse question instead.
#
# The photos come from **Stanford Dogs** (A. Khosla, N. Jayadevaprakash, B. Yao, L. Fei-Fei,
# "Novel Dataset for Fine-Grained Image Categorization", First Workshop on Fine-Grained Visual
# Categorization, CVPR 2011: <http://vision.stanford.edu/aditya86/ImageNetDogs/>): 20,580
# photos of 120 breeds, taken from ImageNet. The book uses the labelled part that Kaggle's
# *Dog Breed Identification* competition published
# (<https://www.kaggle.com/c/dog-breed-identification/data>; its other 10,357 photos come
# without labels): 10,222 photos, about 85 per breed. That origin matters: ImageNet's 1,000
# classes include over a hundred dog breeds, so the backbone's ImageNet training already had
# to tell breeds apart, perhaps on some of these very photos. Source and target tasks are
# unusually close here, one reason a frozen base does so well.
#
# The book splits the photos in two steps, breed by breed: 30 % for test (3,067 photos,
# leaving 7,155), then 15 % of the rest for validation (1,074, leaving 6,081 for training,
# about 51 per breed). It puts InceptionV3 with its ImageNet weights under a small head,
# trains the head for 15 epochs on augmented photos, and reports about 0.81 validation
# accuracy at the last epoch and 0.864 accuracy on its test split.
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
# The parameters cell's defaults are the book's backbone, head, optimizer, learning rate,
# batch size, number of epochs and augmentation settings (`run_all.py --profile cpu` changes
# some: the first line printed in Setup names the backbone and route that ran, and the history
# table has one row per epoch). What the code here does differently:
#
# - **Memory**: the book loads every photo at 299 × 299 into one float32 array before it
#   splits them; here `keras.utils.image_dataset_from_directory` reads a few batches at a time
#   from disk, so only those batches are in memory, however many photos there are.
#   `benchmarks/memory_08.py` measures a streaming pipeline at 1× and 10× the photos;
#   `BENCHMARKS.md` has no memory figures yet (the run of 2026-11-24 did not produce them).
# - **Preprocessing**: the book scales the pixels with `rescale=1./255` into [0, 1]; here
#   InceptionV3's own `preprocess_input` scales them into [-1, 1], the range its ImageNet
#   weights were trained on, as the first layer of the model.
# - **Validation**: the book sent its validation photos through the training augmentation (its
#   validation generator is built from `train_datagen`); here only training photos are
#   augmented.
# - **Order**: the book's training generator has `shuffle=False`, the same order every epoch;
#   here the training photos are reshuffled every epoch (seeded).
# - **Which epoch is kept**: the book saves the model after its last (15th) epoch; here
#   `ModelCheckpoint` keeps the epoch with the lowest validation loss.
# - **Steps**: the book's epoch is `6,081 // 32 = 190` batches and its validation
#   `1,074 // 32 = 33` batches; here every epoch reads every training and validation photo.
# - **The split**: the same fractions, breed by breed, but drawn by the split builder with its
#   seed, not by the book's `train_test_split(..., random_state=42)`: other photos land in
#   each split.
# - **Resizing**: the book's `load_img` resizes with nearest-neighbour sampling,
#   `image_dataset_from_directory` with bilinear interpolation.
# - **Labels**: integers with `sparse_categorical_crossentropy` instead of one-hot rows with
#   `categorical_crossentropy`: the same loss (see "The model").

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
from sklearn.metrics import confusion_matrix, top_k_accuracy_score

from utils import augment, cache, data, distribute, evaluation, plots, pretrained, saving, training
from utils.dataset_builder import build_dog_breeds

keras.utils.set_random_seed(SEED)
strategy = distribute.get_strategy(DISTRIBUTE)  # None: the default device
image_size = IMAGE_SIZE or pretrained.backbone(BACKBONE).default_size
PREFIX = saving.model_prefix(DATA_DIR)  # file names: "dog_breeds" here, else your folder's name
NAME = f"{PREFIX}_{BACKBONE}"
ROUTE = "cached features" if USE_CACHED_FEATURES else "streaming + augmentation"
data_dir, results_dir = Path(DATA_DIR), Path(RESULTS_DIR)  # folders are made when written to
if not (data_dir / "train").is_dir():  # what `build_dataset.py dog-breeds` does
    build_dog_breeds(out=data_dir, source=SOURCE_DIR, labels=LABELS_CSV, seed=SEED, progress=False)
print(f"{BACKBONE} at {image_size}x{image_size}, weights {WEIGHTS}, route: {ROUTE}")

# %% [markdown]
# ## The data
#
# Kaggle's `labels.csv` names the breed of every photo id; the split builder sorted the photos
# into one folder per breed, per split, and listed them in `manifest.csv`: one row per photo,
# its split, its breed and its file (pandas shows the first and last rows and how many there
# are). The class numbers are the breed names in sorted order, the same in every split and in
# the saved model's sidecar file.

# %%
pd.read_csv(data_dir / "manifest.csv")

# %% [markdown]
# `keras.utils.image_dataset_from_directory` reads a split folder in batches: each photo
# resized to `image_size`, raw RGB pixels in [0, 255], and as its label the number of its
# folder in `class_names`; it prints how many photos it found. The class names come from the
# training folder and are passed to validation and test, so that a breed has the same number
# in every split (the split builder writes a folder for every breed in every split, empty where
# a rare breed has no photo). Not shuffled: batch after batch the photos come in the order of
# `file_paths`, whose folders give the labels without decoding a photo.

# %%
class_names = data.class_names(data_dir / "train")


def read_split(split, shuffle=False):
    # the photos of a split folder and their breed numbers, BATCH_SIZE at a time
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
counts = pd.DataFrame({s: np.bincount(y, minlength=len(class_names)) for s, y in labels.items()})
counts.index = pd.Index(class_names, name="breed")
counts["total"] = counts.sum(axis=1)
KIND = "breeds" if PREFIX == "dog_breeds" else "classes"  # your folder's classes otherwise
print(f"{len(class_names)} {KIND}, {counts['total'].sum()} photos")
print("photos per split:", counts[list(utils.SPLITS)].sum().to_dict())
print(f"{KIND} without photos:", (counts[list(utils.SPLITS)] == 0).sum().to_dict())

# %% [markdown]
# The split builder uses the book's fractions but rounds breed by breed, so compare the
# "photos per split" line with the book's 6,081 / 1,074 / 3,067 (train / validation / test)
# rather than expect the same numbers. Below, the photos of each breed, split by split, and a
# few training photos with their breed.

# %%
ax = counts.sort_values("total", ascending=False)[list(utils.SPLITS)].plot.bar(
    stacked=True, width=0.9, figsize=(14, 4), ylabel="photos", title="Photos per breed and split"
)
ax.tick_params(axis="x", labelsize=6)
print("saved", plots.save_figure(ax.figure, results_dir / f"{NAME}_photos_per_breed.png"))

# %%
rng = np.random.default_rng(SEED)
train_paths = np.array(datasets["train"].file_paths)
shown = np.sort(rng.choice(len(train_paths), min(N_SHOW, len(train_paths)), replace=False))
images = data.read_images(train_paths[shown], image_size)
titles = [class_names[i] for i in labels["train"][shown]]
fig = plots.image_grid(images, titles, ncols=4, suptitle="Training photos and their breed")

# %% [markdown]
# The book looks at such a grid before building anything and warns about what it shows: the
# photos differ in resolution, lighting and how close the dog is, and some hold more than one
# dog, or people and objects around it. Yours are another random draw; look for the same
# things. Each photo still has one label, so a photo of dogs of two breeds names only one of
# them; and `image_dataset_from_directory` resizes every photo to `image_size` ×
# `image_size` without keeping its proportions (so did the book's `load_img`), which makes the
# dogs of wide photos narrower. A model has to learn the breeds through all of that.

# %% [markdown]
# ## Streaming pipelines, augmentation on the training photos only
#
# Training reads the training folder once more, shuffled (seeded; Keras shuffles the file list
# once, then again every epoch within a buffer of eight batches), and augments each batch in
# the pipeline; validation and test photos stay as they are. The book's augmentation for this
# study: rotations up to 30°, shifts up to 20 % of the width and height, horizontal flips; no
# zoom, no shear. The book's `rescale=1./255` is not among them: the backbone's preprocessing,
# a layer of the model below, takes its place. Notebook 03 explains how each
# `ImageDataGenerator` argument becomes a Keras layer.

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

# %%
photo = data.read_images(train_paths[:1], image_size, raw=True)
versions = np.asarray(augmenter(np.repeat(photo, 5, axis=0), training=True))
titles = ["original"] + [f"augmented {i + 1}" for i in range(5)]
suptitle = f"Training augmentation ({class_names[labels['train'][0]]})"
fig = plots.image_grid([photo[0], *versions], titles, ncols=6, suptitle=suptitle)

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
# `DISTRIBUTE` decides where they train. The table lists the model's layers, what each holds
# and which train.

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
pretrained.layer_table(model)

# %% [markdown]
# ## The cached route (when `USE_CACHED_FEATURES`)
#
# The base is frozen and the features of an unaugmented photo never change, so the base can
# run once over every photo. `cache.predict` (`utils/cache.py`) is `extractor.predict` on a
# split's dataset followed by `np.save` under a readable name in `CACHE_DIR`, the first time;
# any later run with the same extractor (layers, weights), photos and image size loads the file
# with `np.load` instead (change any of them and it computes anew). An epoch of the head on
# the features costs only the head's arithmetic, not a pass of the base (the line printed after
# training gives the seconds per epoch); the price is no augmentation.

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
# trains on the cached features, shuffled every epoch. Either way the saved model is the whole
# network, photos in, 120 probabilities out.

# %%
if USE_CACHED_FEATURES:
    trained, validation_data = head, (features["validation"], labels["validation"])
    train_data = tf.data.Dataset.from_tensor_slices((features["train"], labels["train"]))
    train_data = train_data.shuffle(len(labels["train"]), seed=SEED).batch(BATCH_SIZE)
else:
    trained, train_data, validation_data = model, train_stream, datasets["validation"]

with strategy.scope():
    trained.compile(
        optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5_accuracy")],
    )
best, history, train_seconds = training.fit_keep_best(
    trained,
    train_data,
    validation_data,
    epochs=EPOCHS,
    checkpoint=Path(MODELS_DIR) / "checkpoints" / f"{NAME}.keras",
    log=results_dir / f"{NAME}_history.csv",
    verbose=0,
)
trained.set_weights(best.get_weights())  # the best epoch's weights, in `model` too

# %%
facts = training.summarize(history)
print(f"{train_seconds / len(history):.1f} s per epoch")
print(training.describe(facts, BACKBONE))  # the gap at the kept epoch; did val loss turn up?
fig = plots.plot_history(history, title=f"Dog breeds, {BACKBONE}")
history.round(4)

# %% [markdown]
# ### Reading the curves
#
# In the book's run (InceptionV3, 15 epochs; the book prints the first three and the last two
# epochs of its log) validation accuracy reached 0.57 after the first epoch, 0.74 after the
# second and 0.79 after the third, then crept up to about 0.81 at the fifteenth, with training
# accuracy at 0.82. Three things to read on such curves, and on yours above:
#
# - **The start.** A frozen ImageNet base already separates breeds, so with the book's
#   photos the small head gained most of its accuracy in the first epochs (0.57 after one of
#   190 batches) and the rest of the run was slow polish. With a handful of photos per breed,
#   as in the `cpu` profile's sample, an epoch is far fewer batches and the climb takes many
#   more epochs: read yours in the table. A curve that starts near chance (1 / 120 ≈ 0.008) and
#   stays there means the head found nothing to learn from: random weights (`WEIGHTS=None`,
#   nothing to transfer), or far too few photos per breed.
# - **Validation above training.** Early in a run validation accuracy can beat training
#   accuracy, as in the book's first epoch (0.57 against 0.22): Keras averages the training
#   accuracy over the epoch, while the head is still learning (on the streaming route, over
#   augmented photos), but measures validation at the epoch's end. It is not a bug. (The book's
#   validation photos went through its augmentation too, see the list above, so its 0.81 is
#   on augmented photos; yours are measured on real ones.)
# - **The gap and the turn.** Training and validation curves that stay together, as in the
#   book's run (0.82 and 0.81), mean the head is not memorizing the training photos; a
#   validation loss still falling at the end, as the book's was (0.67 at epoch 14, 0.66 at
#   15), says more epochs could still help. The last two lines printed above the figure give
#   your run's gap at the kept epoch and whether its validation loss turned up; the table
#   gives every epoch's `val_accuracy` to compare with the book's.

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
    route=ROUTE,
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
y_true = labels["test"]
if USE_CACHED_FEATURES:
    proba = saved.get_layer("head").predict(features["test"], verbose=0)
else:
    proba = saved.predict(datasets["test"], verbose=0)
y_pred = proba.argmax(axis=1)
ours = evaluation.get_metrics(y_true, y_pred)
ours["top5_accuracy"] = top_k_accuracy_score(y_true, proba, k=5, labels=range(len(class_names)))
book = {"accuracy": 0.864, "precision": 0.8783, "recall": 0.864, "f1": 0.8591}
scores = pd.DataFrame({"this run (test)": ours})
if PREFIX == "dog_breeds" and BACKBONE == "inception_v3":  # the book's photos and recipe only
    scores["book's run (test)"] = pd.Series(book)
scores.to_csv(results_dir / f"{NAME}_test_metrics.csv")
scores.round(4)

# %% [markdown]
# The book's figures come from InceptionV3 with ImageNet weights and about 51 training photos
# per breed, 15 epochs on a GPU, and stand beside this run only when it uses InceptionV3 on
# the dog-breed photos; with fewer photos, a smaller input, random weights or fewer epochs
# expect much lower scores.
#
# ### Per breed
#
# Precision, recall and F1 of every breed (saved as CSV), then the five best and worst breeds
# among those in the test split.

# %%
report = evaluation.classification_report_frame(y_true, y_pred, class_names)
per_breed = report.iloc[: len(class_names)]
per_breed.to_csv(results_dir / f"{NAME}_per_breed.csv")
ranked = per_breed[per_breed["support"] > 0].sort_values("f1-score", ascending=False)
pd.concat({"best": ranked.head(5), "worst": ranked.tail(5)}).round(3)

# %% [markdown]
# ### The most confused breeds
#
# The off-diagonal cells of the confusion matrix with the most photos: which true breed was
# taken for which. Fine-grained classification means look-alike breeds: a well-trained model
# confuses close relatives (terriers, spaniels); with few photos per breed, as in the `cpu`
# profile's sample, the mix-ups can look random. Read the table below for your run: `stack`
# turns the breeds × breeds matrix into one count per (true, predicted) pair, and the ten
# largest counts are shown.

# %%
cm = confusion_matrix(y_true, y_pred, labels=range(len(class_names)))
np.fill_diagonal(cm, 0)  # the right answers out: what is left are mix-ups
pairs = pd.DataFrame(cm, class_names, class_names).stack()  # (true, predicted): photos
pairs[pairs > 0].nlargest(10).rename_axis(["true breed", "predicted breed"]).to_frame("photos")

# %% [markdown]
# ### Predictions on test photos
#
# Each photo with its true breed and the model's three most likely breeds with their
# confidences: green when the first is right, orange when the true breed is among the three,
# red otherwise. These come from the saved model running on the photos themselves.

# %%
test_paths = np.array(datasets["test"].file_paths)
shown = np.sort(rng.choice(len(test_paths), min(N_SHOW, len(test_paths)), replace=False))
photos = data.read_images(test_paths[shown], image_size, raw=True)
titles, colors = [], []
for truth, p in zip(y_true[shown], saved.predict(photos, verbose=0), strict=True):
    top3 = np.argsort(-p)[:3]
    lines = [f"true: {class_names[truth][:22]}"]
    lines += [f"{class_names[j][:22]} {p[j]:.0%}" for j in top3]
    titles.append("\n".join(lines))
    colors.append("green" if top3[0] == truth else "darkorange" if truth in top3 else "red")
rows = -(-len(shown) // 4)
fig = plots.image_grid(photos, titles, ncols=4, title_colors=colors, figsize=(12, 4.4 * rows))
print("saved", plots.save_figure(fig, results_dir / f"{NAME}_predictions.png"))

# %% [markdown]
# Try the saved model on your own dog photos:
# `python predict.py --model models/dog_breeds_inception_v3.h5 my_dog.jpg` with the defaults,
# or the `.h5` file printed above (the sidecar JSON gives it the breed names).
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
# - Streaming from disk keeps only a few batches in memory; augment the training photos only,
#   so that the validation loss that picks the best epoch is measured on real photos.
# - With the base frozen, caching its features makes each epoch cheap, at the price of
#   augmentation.
#
# ## Try it
#
# Each exercise changes the parameters cell or one cell; run the notebook again from the top.
# On a CPU, `USE_CACHED_FEATURES = True` keeps the runs of exercises 3 and 5 short.
#
# 1. **Another backbone.** Set `BACKBONE = "vgg16"`, then `"resnet50"` (with `WEIGHTS =
#    "imagenet"`, Keras downloads their weights). Read the `head` row of the layer table.
#    <details><summary>Answer</summary>
#    With 120 breeds the head holds 1,373,304 weights behind InceptionV3, Xception or
#    ResNet-50, whose last feature maps have 2,048 channels (2,048 × 512 + 512, then
#    512 × 512 + 512, then 512 × 120 + 120), and 586,872 behind VGG-16 or VGG-19, which end in
#    512 channels. `pooling="avg"` makes the size of the photo irrelevant to the head: only the
#    number of channels counts. The input size changes too (`IMAGE_SIZE = None`: 224 for VGG
#    and ResNet).
#    </details>
# 2. **What trains.** Set `USE_CACHED_FEATURES = True`. Which weights change during training,
#    compared with the streaming route?
#    <details><summary>Answer</summary>
#    The same ones: the head's 1,373,304 (with InceptionV3 and 120 breeds). The base is frozen
#    on both routes, so the whole model has exactly as many trainable weights as the head.
#    What the cached route gives up is augmentation; what it saves is running InceptionV3 over
#    every photo at every epoch (the first line printed says `route: cached features`).
#    </details>
# 3. **Top-k.** In the compile cell, change `SparseTopKCategoricalAccuracy(5, ...)` to 1,
#    then to 10. How does the `top5_accuracy` column of the history compare with `accuracy`?
#    <details><summary>Answer</summary>
#    With k = 1 it is the `accuracy` column (barring two breeds with exactly the same
#    probability): the most likely breed is the prediction. For the same predictions top-k
#    accuracy can only grow with k, since a breed among the first k is among the first k + 1,
#    and with k = 120 it is 1.0; so with k = 10 the column is never below `accuracy`. (It
#    keeps the name `top5_accuracy` unless you change `name=` too.)
#    </details>
# 4. **The book's validation.** Augment the validation photos as the book did: in the
#    training cell, pass `datasets["validation"].map(lambda x, y: (augmenter(x, training=True),
#    y))` instead of `datasets["validation"]` (streaming route). Compare the curves and the
#    kept epoch with an ordinary run.
#    <details><summary>Answer</summary>
#    Each validation pass now draws new transforms, so the same weights no longer get the
#    same validation loss twice, and the epoch that `ModelCheckpoint` keeps depends partly on
#    those draws. The validation score then describes augmented photos, like the book's 0.81.
#    The test photos are still real ones, so compare the two runs' test scores too.
#    </details>
# 5. **More epochs.** Set `EPOCHS = 30`. The book stopped at 15 while its validation loss was
#    still falling. Compare your kept epoch and the two lines printed above the curves with a
#    15-epoch run.
#    <details><summary>Answer</summary>
#    If the validation loss turns up before epoch 30, the kept epoch shows where more
#    training stopped paying; if it is still falling at the end, the head had not finished
#    learning. Either way `ModelCheckpoint` keeps the epoch with the lowest validation loss
#    of the whole run, so the extra epochs can add time but never replace a better epoch
#    with a worse one.
#    </details>
#
# ## What a full run costs
#
# - **The book's settings on a GPU** (InceptionV3 at 299 × 299, 10,222 photos, 15 epochs,
#   augmentation): in the book's run an epoch of 190 steps took about 155 s, about 40 minutes
#   in all.
# - **The `cpu` profile on a 2-core laptop** (`run_all.py --profile cpu`: the cached route,
#   150 epochs, VGG-16 when a VGG-16 weights file is given, on the 1,000-photo sample of the
#   data): 3.7 minutes in the run of `BENCHMARKS.md` (2-core AMD EPYC, nothing else running;
#   2026-11-24). The streaming route on a CPU: not measured here.
# - Peak memory of the streaming route for 1× and 10× the photos: `benchmarks/memory_08.py`
#   measures it; `BENCHMARKS.md` has no memory figures yet (the memory benchmark of the
#   2026-11-24 run failed on a bug since fixed and was not re-run).
