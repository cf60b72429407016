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
# # Cats vs dogs: VGG-16 feature extractor with image augmentation
#
# **Description:** put the frozen VGG-16 base inside the model and train its head on augmented
# photos, the book's way and a CPU-friendly way.
#
# ## Introduction
#
# Cached features (notebook 04) are computed once per photo, so they cannot be augmented: the
# head always sees the same 3,000 feature blocks and soon overfits. The book's second
# pretrained model puts the frozen base **inside** the model, so every epoch sees freshly
# zoomed, rotated, shifted, sheared and flipped photos (the augmentation of notebook 03, on the
# training images only), with RMSprop at the small learning rate 2e-5 for 100 epochs.
#
# The price: every epoch runs the whole base over 3,000 photos (and the validation photos). On
# a GPU that is seconds; on a laptop CPU, several minutes per epoch, hours for 100 epochs. So
# this notebook also trains the same head the **cached way**: `AUG_PASSES` augmented copies of
# the training split go through the base once, their features are cached like notebook 04's,
# and the head trains on all of them in seconds per epoch. We compare accuracy and time.

# %% [markdown]
# ## Setup
#
# Direct route: `EPOCHS` (the book's 100; `0` skips it), `STEPS_PER_EPOCH` batches per epoch
# (`None`: the whole training split), `VALIDATION_PER_CLASS` validation photos per class
# checked each epoch (`None`: all). Cached route: `AUG_PASSES` augmented copies of the training
# split, `CACHED_EPOCHS` epochs over all of them (5 passes x 20 epochs show the head as many
# augmented photos as the book's 100 epochs).

# %% tags=["parameters"]
DATA_DIR = "../data/cats-vs-dogs"
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
CACHE_DIR = "../cache"
IMAGE_SIZE = 150
BATCH_SIZE = 30
EPOCHS = 100
SEED = 42
WEIGHTS = "imagenet"
LEARNING_RATE = 2e-5
MIXED_PRECISION = False  # True: reuse/compute cached features in bfloat16, as 04 can
STEPS_PER_EPOCH = None
VALIDATION_PER_CLASS = None
AUG_PASSES = 5
CACHED_EPOCHS = 20

# %%
import json
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from IPython.display import display

from utils import augment, data, features, heads, plots, pretrained, saving, training

training.setup(SEED, MODELS_DIR, RESULTS_DIR, CACHE_DIR)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
BOOK_NAME = "cats_dogs_tlearn_img_aug_cnn"
notebook_start = time.perf_counter()

# %% [markdown]
# ## Data, base and cached validation and test features
#
# The validation and test features are the ones notebook 04 cached (same weights, size, files),
# so they load in a moment. Because the base is frozen, a model's accuracy on them is exactly its
# accuracy on the photos; we check that on a few photos below.

# %%
base = pretrained.load_backbone("vgg16", weights=WEIGHTS, input_shape=SHAPE, trainable=False)
split = features.split_features(
    pretrained.feature_extractor(base, WEIGHTS, MIXED_PRECISION),
    DATA_DIR,
    IMAGE_SIZE,
    "vgg16",
    BATCH_SIZE,
    CACHE_DIR,
    ("validation", "test"),
    "vgg16",
)
class_names = split.class_names
train_paths, train_y, _ = data.list_images(Path(DATA_DIR) / "train", class_names)
y = {"train": train_y, **split.labels}
print("training photos:", len(train_paths))
display(split.stats)

# %% [markdown]
# The augmentation of notebook 03 (the book's settings), applied to training batches only:

# %%
book_aug = augment.book_augmentation(seed=SEED)
sample = features.load_images(train_paths[:1], IMAGE_SIZE)[0]
fig = plots.image_grid(
    [sample, *augment.augmented_versions(book_aug, sample, 5)],
    ["original"] + [f"augmented {i + 1}" for i in range(5)],
    ncols=6,
)

# %% [markdown]
# ## The book's way: the frozen base inside the model
#
# Raw photo, augmentation (in the `tf.data` pipeline, training only), VGG-16 preprocessing
# layer, frozen base, the book's head. Only the head's 4.2 million weights train.

# %%
results = []
if EPOCHS:
    train_ds = data.image_dataset(
        train_paths, train_y, (IMAGE_SIZE, IMAGE_SIZE), BATCH_SIZE, shuffle=True, seed=SEED,
        augment=book_aug,
    )  # fmt: skip
    if STEPS_PER_EPOCH:
        train_ds = train_ds.take(STEPS_PER_EPOCH)
    val_idx = features.per_class_indices(y["validation"], VALIDATION_PER_CLASS)
    val_ds = data.image_dataset(
        [split.paths["validation"][i] for i in val_idx], y["validation"][val_idx],
        (IMAGE_SIZE, IMAGE_SIZE), BATCH_SIZE,
    )  # fmt: skip
    head = heads.book_head(base.output_shape[1:], n_classes=len(class_names))
    model = heads.transfer_model(base, head, "vgg16", name="vgg16_img_aug")
    training.compile_for(model, len(class_names), keras.optimizers.RMSprop(LEARNING_RATE))
    display(pretrained.layer_table(model))
    history = training.fit_and_save(
        model, train_ds, val_ds, epochs=EPOCHS, name=BOOK_NAME, class_names=class_names,
        models_dir=MODELS_DIR, results_dir=RESULTS_DIR, route="direct",
        steps_per_epoch=STEPS_PER_EPOCH, validation_per_class=VALIDATION_PER_CLASS,
        notebook="05", learning_rate=LEARNING_RATE,
    )  # fmt: skip
    fig = plots.plot_history(history, "Frozen VGG-16 in the model, augmented photos")
    plots.save_figure(fig, Path(RESULTS_DIR) / f"{BOOK_NAME}_history.png")

# %% [markdown]
# Test accuracy from the cached test features, checked against the saved model on photos:

# %%
if EPOCHS:
    info = saving.load_info(Path(MODELS_DIR) / f"{BOOK_NAME}.h5")
    reloaded, _ = saving.load_model(Path(MODELS_DIR) / f"{BOOK_NAME}.h5")
    n_check = min(30, len(split.paths["test"]))
    diff = np.abs(
        reloaded.predict(features.load_images(split.paths["test"][:n_check], IMAGE_SIZE), verbose=0)
        - head.predict(split.features["test"][:n_check], verbose=0)
    ).max()
    print(f"saved model on photos vs head on cached features: max difference {diff:.2e}")
    results.append(
        {
            "route": "direct: base in the model (book)",
            "epochs": info["epochs"],
            "photos_per_epoch": min(len(train_paths), (STEPS_PER_EPOCH or 10**9) * BATCH_SIZE),
            "extraction_seconds": 0.0,
            "train_seconds": info["train_seconds"],
            "seconds_per_epoch": info["seconds_per_epoch"],
            "validation_accuracy": heads.accuracy(
                head, split.features["validation"], y["validation"]
            ),
            "test_accuracy": heads.accuracy(head, split.features["test"], y["test"]),
        }
    )

# %% [markdown]
# ## The CPU-friendly way: augmented passes extracted once and cached
#
# Each pass runs the whole training split through the same augmentation (its own seed) and the
# frozen base once; the features are cached like notebook 04's, keyed by the augmentation and
# the pass as well. The head then trains on `AUG_PASSES x 3,000` feature blocks.

# %%
extraction = []
passes = []
for k in range(AUG_PASSES):
    stats: dict = {}
    passes.append(
        features.extract_features(
            base,
            train_paths,
            IMAGE_SIZE,
            "vgg16",
            BATCH_SIZE,
            CACHE_DIR,
            augment=augment.book_augmentation(seed=SEED + 1000 * (k + 1)),
            key_parts={"augmented_pass": k},
            name=f"vgg16_train_aug{k}",
            stats=stats,
        )  # fmt: skip
    )
    extraction.append(stats)
extraction = pd.DataFrame(extraction)[["cache_hit", "images", "seconds", "images_per_second"]]
display(extraction)

# %%
aug_x = np.concatenate(passes)
aug_y = np.tile(train_y, AUG_PASSES)
cached_head = heads.book_head(base.output_shape[1:], n_classes=len(class_names))
training.compile_for(cached_head, len(class_names), keras.optimizers.RMSprop(LEARNING_RATE))
cached_history = training.fit_and_save(
    cached_head, heads.array_dataset(aug_x, aug_y, BATCH_SIZE, True, SEED),
    heads.array_dataset(split.features["validation"], y["validation"], BATCH_SIZE),
    epochs=CACHED_EPOCHS, name="cats_dogs_tlearn_img_aug_cached_head",
    class_names=class_names, models_dir=MODELS_DIR, results_dir=RESULTS_DIR,
    input="vgg16 bottleneck features of augmented photos", augmented_passes=AUG_PASSES,
    notebook="05", learning_rate=LEARNING_RATE,
)  # fmt: skip
fig = plots.plot_history(cached_history, f"Head on {AUG_PASSES} cached augmented passes")
plots.save_figure(fig, Path(RESULTS_DIR) / "cats_dogs_tlearn_img_aug_cached_cnn_history.png")

# %% [markdown]
# The cached head goes on the base and is saved as a model that takes photos. Without the
# direct route (`EPOCHS = 0`) it is also saved under the book's name, for notebook 07.

# %%
cached_info = saving.load_info(Path(MODELS_DIR) / "cats_dogs_tlearn_img_aug_cached_head.h5")
facts = {**heads.training_facts(cached_info), "route": "cached augmented passes"}
facts["extraction_seconds"] = round(float(extraction["seconds"].sum()), 1)
cached_model = heads.transfer_model(base, cached_head, "vgg16", name="vgg16_img_aug_cached")
names = ["cats_dogs_tlearn_img_aug_cached_cnn"] + ([] if EPOCHS else [BOOK_NAME])
for name in names:
    saving.save_model(cached_model, Path(MODELS_DIR) / f"{name}.h5", class_names, **facts)
results.append(
    {
        "route": f"cached: {AUG_PASSES} augmented passes",
        "epochs": cached_info["epochs"],
        "photos_per_epoch": len(aug_x),
        "extraction_seconds": facts["extraction_seconds"],
        "train_seconds": cached_info["train_seconds"],
        "seconds_per_epoch": cached_info["seconds_per_epoch"],
        "validation_accuracy": heads.accuracy(
            cached_head, split.features["validation"], y["validation"]
        ),
        "test_accuracy": heads.accuracy(cached_head, split.features["test"], y["test"]),
    }
)

# %% [markdown]
# ## Accuracy and time, side by side
#
# `extraction_seconds` is the one-off cost of the augmented passes (zero on a re-run, when
# they come from the cache); `train_seconds` the training itself.

# %%
comparison = pd.DataFrame(results).set_index("route")
comparison.to_csv(Path(RESULTS_DIR) / "05_vgg16_augmentation_routes.csv")
summary = {"notebook_seconds": round(time.perf_counter() - notebook_start, 1)}
(Path(RESULTS_DIR) / "05_summary.json").write_text(json.dumps(summary, indent=2))
print(summary)
comparison.round(4)
