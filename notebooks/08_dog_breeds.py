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
# # 08 · Dog breeds: 120-class fine-grained classification, streaming from disk
#
# The book's second case study: Kaggle's *Dog Breed Identification* data (10,222 photos of 120
# breeds, about 85 per breed), with **InceptionV3** pretrained on ImageNet as a frozen feature
# extractor, a small dense head, augmentation and 15 epochs. The book reached an accuracy of
# 0.864 on its test set.
#
# Two things change here:
#
# - **Memory.** The book loads all 10,222 photos at 299×299 as float32 into memory (about
#   11 GiB) and copies them again for the splits (over 20 GiB at its peak). We stream the photos
#   from the split folders built by `build_dataset.py dog-breeds` with `tf.data`: only a few
#   batches are in memory at any time, however many photos there are
#   (`benchmarks/memory_08.py` measures it for the split and for ten times as many photos).
# - **Honest validation.** The book's validation data went through the *training*
#   augmentation and its training generator did not shuffle. Here augmentation is applied to
#   training photos only, and the training files are reshuffled every epoch.
#
# `BACKBONE` picks the network: any `keras.applications` image model by name (`"inception_v3"`,
# `"vgg16"`, `"xception"`, `"resnet50"`, `"mobilenet_v2"`, `"efficientnet_b0"`, ...), each with
# its own preprocessing (a layer inside the saved model) and its own default input size.
# `USE_CACHED_FEATURES=True` is the CPU-friendly route of notebook 04: the frozen base runs once
# over every photo, its features are cached on disk, and only the small head is trained.

# %% tags=["parameters"]
DATA_DIR = "../data/dog-breeds"  # split root: train/ validation/ test/, one folder per breed
SOURCE_DIR = "../data/dog-breed-identification"  # Kaggle train/ + labels.csv: builds DATA_DIR
LABELS_CSV = None  # None: SOURCE_DIR/labels.csv
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
CACHE_DIR = "../cache"
BACKBONE = "inception_v3"  # any keras.applications image model by name
WEIGHTS = "imagenet"  # "imagenet", a path to a no-top weights file, or None (random)
IMAGE_SIZE = None  # None: the backbone's default (299 for InceptionV3, 224 for VGG-16)
BATCH_SIZE = 32
EPOCHS = 15
LEARNING_RATE = 1e-4
SEED = 42
USE_CACHED_FEATURES = False  # True: head on cached features (CPU-friendly, no augmentation)
N_SHOW = 12  # photos in the sample and prediction grids

# %%
from pathlib import Path

import keras
import pandas as pd

from utils import augment, breeds, data, evaluation, plots, pretrained, saving, training

training.set_seed(SEED)
data_dir = breeds.ensure_split(DATA_DIR, SOURCE_DIR, LABELS_CSV, seed=SEED)
image_size = breeds.image_size_for(BACKBONE, IMAGE_SIZE)
name = breeds.model_name(BACKBONE)
print(f"backbone {BACKBONE} at {image_size}x{image_size}, weights {WEIGHTS}")
print(f"route: {'cached features' if USE_CACHED_FEATURES else 'streaming + augmentation'}")

# %% [markdown]
# ## A look at the data
#
# The split is stratified per breed (test 30 %, then validation 15 % of the rest, as in the
# book). Class numbers are the sorted breed names, the same in every split and in the saved
# model's sidecar file.

# %%
counts = breeds.breed_counts(data_dir)
print(f"{len(counts)} breeds, {int(counts['total'].sum())} photos")
print(counts[["train", "validation", "test", "total"]].sum().to_string())
print(counts["total"].describe()[["min", "50%", "max"]].rename("photos per breed").to_string())

# %%
fig = breeds.plot_breed_counts(counts)

# %%
train_paths, train_labels, class_names = data.list_images(Path(data_dir) / "train")
shown = breeds.sample_indices(train_labels, N_SHOW, seed=SEED)
fig = plots.image_grid(
    breeds.load_images([train_paths[i] for i in shown], image_size),
    titles=[class_names[train_labels[i]] for i in shown],
    ncols=4,
    suptitle="Training photos and their breed",
)

# %% [markdown]
# ## Streaming pipelines
#
# `split_datasets` lists the files of each split and decodes them batch by batch. Only the
# training pipeline is shuffled (every epoch) and augmented with the book's settings: rotations
# up to 30°, shifts up to 20 %, horizontal flips. Validation and test photos are never
# augmented. The pipelines yield raw pixels in [0, 255]: the backbone's own preprocessing is a
# layer inside the model, so the saved model takes ordinary photos.

# %%
augmenter = breeds.dog_augmentation(seed=SEED)
datasets, class_names = data.split_datasets(
    data_dir, (image_size, image_size), BATCH_SIZE, seed=SEED, augment=augmenter
)
for split, ds in datasets.items():
    print(f"{split:>10}: {int(ds.cardinality())} batches of up to {BATCH_SIZE}")

# %%
photo = breeds.load_images(train_paths[:1], image_size)[0]
fig = plots.image_grid(
    [photo, *augment.augmented_versions(augmenter, photo, n=5)],
    titles=["original"] + [f"augmented {i + 1}" for i in range(5)],
    ncols=6,
    suptitle=f"Training augmentation ({class_names[train_labels[0]]})",
)

# %% [markdown]
# ## The model
#
# The pretrained base is frozen; global average pooling turns its last feature maps into one
# vector per photo (2048 numbers for InceptionV3), followed by the book's head: Dense 512 →
# Dropout → Dense 512 → Dropout → Dense 120 with a softmax. Adam with a learning rate of 1e-4.

# %%
base = breeds.load_pooled_base(BACKBONE, WEIGHTS, image_size)
model = breeds.breed_model(base, len(class_names), BACKBONE)
training.compile_for(model, len(class_names), keras.optimizers.Adam(LEARNING_RATE))
print(pretrained.trainable_summary(model))
pretrained.layer_table(model)

# %% [markdown]
# ## Training
#
# `fit_and_save` keeps the weights of the epoch with the lowest validation loss, logs the
# history as CSV and saves the model as `.h5` with its class names. On the cached route the
# base runs once per photo and only the head is trained; the whole model (base + trained head)
# is saved all the same.

# %%
cached = None
if USE_CACHED_FEATURES:
    history, cached = breeds.fit_on_cached_features(
        model,
        data_dir,
        class_names,
        backbone=BACKBONE,
        image_size=image_size,
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        learning_rate=LEARNING_RATE,
        name=name,
        models_dir=MODELS_DIR,
        results_dir=RESULTS_DIR,
        cache_dir=CACHE_DIR,
        seed=SEED,
        weights=str(WEIGHTS),
    )
else:
    history = training.fit_and_save(
        model,
        datasets["train"],
        datasets["validation"],
        epochs=EPOCHS,
        name=name,
        class_names=class_names,
        models_dir=MODELS_DIR,
        results_dir=RESULTS_DIR,
        backbone=BACKBONE,
        weights=str(WEIGHTS),
        learning_rate=LEARNING_RATE,
        batch_size=BATCH_SIZE,
        route="streaming + augmentation",
    )
print(f"{history['seconds'].mean():.1f} s per epoch on average")

# %%
fig = plots.plot_history(history, title=f"Dog breeds, {BACKBONE}")

# %% [markdown]
# ## The test set
#
# We load the saved model back (what `predict.py` does) and predict every test photo once.
# The book reports weighted averages over the breeds; so do we. Its figures come from about 60
# training photos per breed: on a small sample of the data (a handful per breed) expect much
# lower scores.

# %%
model_path = Path(MODELS_DIR) / f"{name}.h5"
model, info = saving.load_model(model_path)
test_features = cached["test"] if cached else None
ev = breeds.evaluate_test(model, data_dir, info["class_names"], BATCH_SIZE, test_features, info)
scores = pd.DataFrame({"ours": ev.metrics(), "book": breeds.BOOK_SCORES})
scores.to_csv(Path(RESULTS_DIR) / f"{name}_test_metrics.csv")
print(f"{len(ev.y_true)} test photos of {len(set(ev.y_true))} breeds")
scores.round(4)

# %% [markdown]
# ### Per breed
#
# Precision, recall and F1 of every breed, then the best and the worst.

# %%
print(ev.report())

# %%
report = evaluation.classification_report_frame(ev.y_true, ev.y_pred, class_names)
per_breed = report.iloc[: len(class_names)]
per_breed.to_csv(Path(RESULTS_DIR) / f"{name}_per_breed.csv")
ranked = per_breed[per_breed["support"] > 0].sort_values("f1-score", ascending=False)
pd.concat({"best": ranked.head(5), "worst": ranked.tail(5)}).round(3)

# %% [markdown]
# ### The most confused breeds
#
# The most frequent mistakes, and the confusion matrix restricted to the breeds they involve.
# Fine-grained classification means look-alike breeds: expect pairs of terriers, spaniels or
# other close relatives here rather than random mix-ups.

# %%
pairs = breeds.most_confused(ev.y_true, ev.y_pred, class_names, top=10)
pairs.round(3)

# %%
if len(pairs):
    fig = breeds.plot_confusion_among(
        ev.y_true, ev.y_pred, class_names, breeds.confused_breeds(pairs)
    )

# %% [markdown]
# ### Predictions on test photos
#
# Each photo is titled with its true breed and the model's three most likely breeds with their
# confidences (green: right, orange: the true breed is among the three, red: missed). These
# predictions come from the saved model running on the photos themselves.

# %%
shown = breeds.sample_indices(ev.y_true, N_SHOW, seed=SEED)
images = breeds.load_images([ev.paths[i] for i in shown], image_size)
proba = model.predict(images, verbose=0)
titles, colors = breeds.prediction_titles(ev.y_true[shown], proba, class_names, k=3)
print(f"largest difference from the evaluation: {abs(proba - ev.proba[shown]).max():.1e}")
rows = -(-len(shown) // 4)
fig = plots.image_grid(images, titles, ncols=4, title_colors=colors, figsize=(12, 4.4 * rows))

# %% [markdown]
# ## The saved model
#
# `models/dog_breeds_<backbone>.h5` takes raw RGB photos in [0, 255] at the size below; its
# sidecar JSON holds the 120 breed names in class order and how it was trained. Try it on your
# own dog photos: `python predict.py --model models/dog_breeds_inception_v3.h5 my_dog.jpg`.

# %%
print(model_path, f"({model_path.stat().st_size / 2**20:.0f} MiB), input {model.input_shape}")
print(f"{len(info['class_names'])} breeds: {', '.join(info['class_names'][:4])}, ...")
{k: v for k, v in info.items() if k != "class_names"}
