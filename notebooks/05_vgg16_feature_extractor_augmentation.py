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
# zoomed, rotated, shifted, sheared and flipped photos, with RMSprop at the small learning rate
# 2e-5 for 100 epochs. You will learn how to:
#
# 1. build one model *augmentation → VGG-16 preprocessing → frozen base → head* and train it
#    (the book's route; augmentation layers are active in training only);
# 2. train on augmented photos on a CPU: run `AUG_PASSES` augmented copies of the training photos
#    through the frozen base **once**, cache them like notebook 04's features, and train the
#    head on all of them in seconds per epoch;
# 3. compare the two on the validation split (the test split is scored in notebook 07).

# %% [markdown]
# ## Setup
#
# The lesson's parameters are the book's: 100 epochs (`EPOCHS`; `0` skips the direct route) at
# the learning rate 2e-5. Below the blank line, the knobs of a run: the direct route's
# `STEPS_PER_EPOCH` batches per epoch and `VALIDATION_PER_CLASS` validation photos per class
# checked each epoch (`None`: all); the cached route's `AUG_PASSES` augmented copies of the
# training split and `CACHED_EPOCHS` epochs over all of them (5 passes x 20 epochs show the
# head as many augmented photos as the book's 100 epochs); `MIXED_PRECISION` and `WEIGHTS` as in
# notebook 04; `DISTRIBUTE` is notebook 02's (`"mirrored"`: every GPU of the machine).

# %% tags=["parameters"]
DATA_DIR = "../data/cats-vs-dogs"
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
CACHE_DIR = "../cache"
IMAGE_SIZE = 150
BATCH_SIZE = 30
EPOCHS = 100
LEARNING_RATE = 2e-5
WEIGHTS = "imagenet"
SEED = 42

STEPS_PER_EPOCH = None
VALIDATION_PER_CLASS = None
AUG_PASSES = 5
CACHED_EPOCHS = 20
MIXED_PRECISION = "float32"
DISTRIBUTE = None

# %%
import utils  # noqa: F401 (first, before Keras: TensorFlow loads without start-up messages)

# isort: split
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from utils import augment, cache, data, distribute, plots, pretrained, saving, training

keras.utils.set_random_seed(SEED)
strategy = distribute.get_strategy(DISTRIBUTE)  # None: the default device
SIZE = (IMAGE_SIZE, IMAGE_SIZE)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
PREFIX = saving.model_prefix(DATA_DIR)  # file names: "cats_dogs" here, else your folder's name
BOOK_NAME = f"{PREFIX}_tlearn_img_aug_cnn"
CACHED_NAME = f"{PREFIX}_tlearn_img_aug_cached_cnn"
CHECKPOINTS = Path(MODELS_DIR) / "checkpoints"  # ModelCheckpoint creates the folder
Path(RESULTS_DIR).mkdir(parents=True, exist_ok=True)  # CSVLogger does not

# %% [markdown]
# ## The photos, the frozen base and the validation features
#
# As in notebook 04: the split folders read with `keras.utils.image_dataset_from_directory` (in
# file order, for the features; each photo's label is its folder's position in `class_names`),
# VGG-16 without its classifier, frozen, behind its own preprocessing layer, and the validation
# photos' bottleneck features through `cache.predict` (computed once and saved with `np.save`;
# after notebook 04 it simply loads them). Because the base is frozen, a head's accuracy on
# these features is the accuracy of base plus head on the validation photos. Every model that
# trains here is built inside `strategy.scope()`, the base too, since the direct route holds it.
#
# Both routes save the same kind of model: raw photo (`photos`) → preprocessing → frozen base
# (`bottleneck`) → the route's trained head. The first steps are written once here; each route
# adds its head on top, since several functional models may share one graph of layers.

# %%
datasets = {
    split: keras.utils.image_dataset_from_directory(
        Path(DATA_DIR) / split, image_size=SIZE, batch_size=BATCH_SIZE, shuffle=False
    )
    for split in ("train", "validation")
}
class_names = datasets["train"].class_names
labels = {  # each photo's label is its folder's position in class_names
    split: np.array([class_names.index(Path(path).parent.name) for path in ds.file_paths])
    for split, ds in datasets.items()
}
loss = "binary_crossentropy" if len(class_names) == 2 else "sparse_categorical_crossentropy"

with strategy.scope():
    keras.mixed_precision.set_global_policy(MIXED_PRECISION)
    conv_base = keras.applications.VGG16(
        include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
    )
    keras.mixed_precision.set_global_policy("float32")
    conv_base.trainable = False
    preprocess = pretrained.preprocessing_layer("vgg16")
extractor = keras.Sequential([keras.Input(shape=SHAPE), preprocess, conv_base], name="extractor")
val_features = cache.predict(extractor, datasets["validation"], "validation_features", CACHE_DIR)

photos = keras.Input(shape=SHAPE, name="image")  # the saved models: photo -> base -> a head
bottleneck = conv_base(preprocess(photos), training=False)

# %% [markdown]
# ## The augmentation and the head
#
# The book's `ImageDataGenerator` settings as Keras preprocessing layers (notebook 03 writes
# them out and explains each one); five random versions of one training photo:

# %%
augmentation = augment.book_augmentation(seed=SEED)
sample = data.read_images(datasets["train"].file_paths[:1], IMAGE_SIZE)[0]
fig = plots.image_grid(
    [sample, *augment.augmented_versions(augmentation, sample, 5)],
    ["original"] + [f"augmented {i + 1}" for i in range(5)],
    ncols=6,
)

# %% [markdown]
# Both routes train notebook 04's head (Flatten, two Dense 512 with Dropout 0.3, the output
# unit), a fresh one each time: `training.book_head` builds exactly that `keras.Sequential`.
#
# ## The book's way: the frozen base inside the model
#
# Raw photo → augmentation (active in `fit` only; `predict` passes photos through unchanged)
# → VGG-16 preprocessing → frozen base → head. Only the head's weights train, but every batch
# runs the whole base forward. Training photos are shuffled every epoch; `STEPS_PER_EPOCH`
# batches of them make an epoch. Validation photos are never augmented.

# %%
routes = {}
if EPOCHS:
    with strategy.scope():
        head = training.book_head(conv_base.output_shape[1:], len(class_names))
        inputs = keras.Input(shape=SHAPE, name="image")
        x = augment.book_augmentation(seed=SEED)(inputs)
        x = preprocess(x)
        x = conv_base(x, training=False)
        outputs = head(x)
        model = keras.Model(inputs, outputs, name="vgg16_img_aug")
        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=LEARNING_RATE),
            loss=loss,
            metrics=["accuracy"],
        )
    model.summary()

    train_ds = keras.utils.image_dataset_from_directory(
        Path(DATA_DIR) / "train", image_size=SIZE, batch_size=BATCH_SIZE, seed=SEED
    )
    if STEPS_PER_EPOCH:
        train_ds = train_ds.take(STEPS_PER_EPOCH)  # len(train_ds): batches per epoch
    keep = data.per_class_indices(labels["validation"], VALIDATION_PER_CLASS)
    val_paths = [datasets["validation"].file_paths[i] for i in keep]
    val_ds = data.image_dataset(val_paths, labels["validation"][keep], SIZE, BATCH_SIZE)
    checkpoint = CHECKPOINTS / f"{BOOK_NAME}.weights.h5"
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            checkpoint, monitor="val_loss", save_best_only=True, save_weights_only=True
        ),
        keras.callbacks.CSVLogger(Path(RESULTS_DIR) / f"{BOOK_NAME}_history.csv"),
    ]
    start = time.perf_counter()
    history = model.fit(
        train_ds, validation_data=val_ds, epochs=EPOCHS, callbacks=callbacks, verbose=2
    )
    train_seconds = round(time.perf_counter() - start, 1)
    model.load_weights(checkpoint)  # the best epoch's weights
    history = training.history_frame(history)
    facts = training.summarize(history)

# %% [markdown]
# The saved model leaves the augmentation out: it does nothing outside training, and the file
# stays loadable anywhere (in Keras 3.15 a saved `RandomShear` layer does not load back).
# Raw photo → preprocessing → frozen base → the trained head:

# %%
if EPOCHS:
    saving.save_model(
        keras.Model(photos, head(bottleneck), name="vgg16_img_aug"),
        Path(MODELS_DIR) / f"{BOOK_NAME}.h5",
        class_names,
        **facts,
        train_seconds=train_seconds,
        notebook="05",
        learning_rate=LEARNING_RATE,
        route="direct",
        steps_per_epoch=STEPS_PER_EPOCH,
        validation_photos=len(keep),
    )
    fig = plots.plot_history(history, "Frozen VGG-16 in the model, augmented photos")
    plots.save_figure(fig, Path(RESULTS_DIR) / f"{BOOK_NAME}_history.png")
    print(facts)
    probs = head.predict(val_features, verbose=0)  # all validation photos, through the base
    predicted = probs.argmax(-1) if probs.shape[-1] > 1 else (probs[:, 0] > 0.5).astype(int)
    routes["direct: base in the model (book)"] = {
        "epochs": facts["epochs"],
        "photos_per_epoch": min(len(labels["train"]), len(train_ds) * BATCH_SIZE),
        "extraction_seconds": 0.0,
        "train_seconds": train_seconds,
        "validation_accuracy": float(np.mean(predicted == labels["validation"])),
    }

# %% [markdown]
# ## The CPU-friendly way: augmented passes through the frozen base, once
#
# Each pass runs the whole training split through the augmentation (its own seed) and the
# frozen base once: `cache.predict(..., augment=...)` applies the augmentation layer to each
# batch of photos before the extractor, and keeps the result like any other features (the
# augmentation's settings and seed are part of what it depends on). The head then trains on
# `AUG_PASSES` x 3,000 feature blocks, seconds per epoch. What it gives up: the head sees
# `AUG_PASSES` fixed versions of each photo instead of a new one every epoch.
#
# The head trains with `training.fit_keep_best`: `fit` with the two callbacks of the direct
# route (`ModelCheckpoint` keeping the best epoch, `CSVLogger`), then the best head reloaded
# (notebook 02 writes these steps out). Its validation data are the cached features of all the
# validation photos.

# %%
start = time.perf_counter()
passes = [
    cache.predict(
        extractor,
        datasets["train"],
        f"train_aug{k}_features",
        CACHE_DIR,
        augment=augment.book_augmentation(seed=SEED + 1000 * (k + 1)),
    )
    for k in range(AUG_PASSES)
]
extraction_seconds = round(time.perf_counter() - start, 1)
aug_x = np.concatenate(passes)
aug_y = np.tile(labels["train"], AUG_PASSES)

# %%
with strategy.scope():
    cached_head = training.book_head(conv_base.output_shape[1:], len(class_names))
    cached_head.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=LEARNING_RATE),
        loss=loss,
        metrics=["accuracy"],
    )
    cached_head, history, cached_seconds = training.fit_keep_best(
        cached_head,
        aug_x,
        (val_features, labels["validation"]),
        y=aug_y,
        batch_size=BATCH_SIZE,
        epochs=CACHED_EPOCHS,
        checkpoint=CHECKPOINTS / f"{CACHED_NAME}_head.keras",
        log=Path(RESULTS_DIR) / f"{CACHED_NAME}_history.csv",
        verbose=2,
    )
cached_facts = training.summarize(history)
fig = plots.plot_history(history, f"Head on the cached augmented passes ({AUG_PASSES})")
plots.save_figure(fig, Path(RESULTS_DIR) / f"{CACHED_NAME}_history.png")
print(cached_facts)

# %% [markdown]
# The best head goes on the base, and the model that takes photos is saved. Without the direct
# route (`EPOCHS = 0`) it is also saved under the book's name, for notebook 07.

# %%
cached_model = keras.Model(photos, cached_head(bottleneck), name="vgg16_img_aug_cached")
for name in [CACHED_NAME] + ([] if EPOCHS else [BOOK_NAME]):
    saving.save_model(
        cached_model,
        Path(MODELS_DIR) / f"{name}.h5",
        class_names,
        **cached_facts,
        train_seconds=round(cached_seconds, 1),
        notebook="05",
        learning_rate=LEARNING_RATE,
        route="cached augmented passes",
        augmented_passes=AUG_PASSES,
        extraction_seconds=extraction_seconds,
        features_precision=MIXED_PRECISION,
    )
routes[f"cached: augmented passes ({AUG_PASSES})"] = {
    "epochs": cached_facts["epochs"],
    "photos_per_epoch": len(aug_x),
    "extraction_seconds": extraction_seconds,
    "train_seconds": round(cached_seconds, 1),
    "validation_accuracy": cached_facts["best_epoch_val_accuracy"],
}

# %% [markdown]
# ## Accuracy and time, side by side
#
# Validation accuracy of each route's best head, on all validation photos (through the cached
# features); `extraction_seconds` is the one-off cost of the augmented passes (zero on a
# re-run, when they come from the cache), `train_seconds` the training itself. Whether
# augmentation helped shows against notebook 04's head on plain features (its results table):
# in the book's run it took the validation accuracy from 0.88 to 0.90; compare the two on
# your run (the cached route trains on the augmented passes only, not the original photos).

# %%
comparison = pd.DataFrame.from_dict(routes, orient="index").rename_axis("route")
comparison.to_csv(Path(RESULTS_DIR) / "05_vgg16_augmentation_routes.csv")
comparison.round(4)

# %% [markdown]
# ## Takeaways
#
# - Augmentation layers inside the model are active only while training; the saved model
#   leaves them out (they would pass photos through unchanged), so it predicts on photos like
#   any other.
# - With a frozen base, the only thing augmentation changes is the features the head sees:
#   extracting a few augmented passes once gives the head varied data at a fraction of the
#   cost; whether that beats notebook 04's head on your run, its table and this one say.
# - Compare the routes on validation above; notebook 07 scores the saved models on test.
# - Notebook 06 goes further: it unfreezes VGG-16's top blocks.
#
# ## Try it
#
# Each exercise changes the parameters cell or one cell. Point `MODELS_DIR` and `RESULTS_DIR`
# at other folders first (`"../models-try"`, `"../results-try"`), so that the models notebook
# 07 scores are not overwritten; keep `CACHE_DIR`, so that what is already computed loads.
#
# 1. **A larger photo, a larger head.** Set `IMAGE_SIZE = 180` (the `cpu` profile's size) and,
#    to see the direct route's `model.summary()` without 100 epochs, `EPOCHS = 1` and
#    `STEPS_PER_EPOCH = 2`. Which parameter counts of the summary change, and which do not?
#    <details><summary>Answer</summary>
#    VGG-16's last block now gives 5 x 5 x 512 = 12,800 numbers per photo instead of
#    4 x 4 x 512 = 8,192, so the head's first `Dense` layer grows: 6,817,281 trainable
#    parameters instead of 4,457,985. The non-trainable ones stay 14,714,700 (VGG-16's
#    14,714,688 and the preprocessing layer's 12): a convolution's weights do not depend on
#    the size of the photo it slides over. The features are computed anew at the new size,
#    unless notebook 04 has run at 180 px with the same `MIXED_PRECISION`.
#    </details>
# 2. **What fills the corners.** In the cell that shows five random versions of one photo,
#    build the augmentation with `augment.book_augmentation(seed=SEED, fill_mode="constant")`
#    and look where a rotation, a shift or a zoom out brings in area from outside the photo.
#    <details><summary>Answer</summary>
#    The book's `"nearest"` repeats the nearest edge pixel outwards, which draws streaks;
#    `"constant"` fills that area with zeros, black wedges and bands. The rotation, shift,
#    shear and zoom layers all take the setting; the flip moves no pixel outside the frame
#    and has none. Black areas are a pattern no real photo has, streaks look more like
#    photo content: which one trains a better head is for a full run to say.
#    </details>
# 3. **More passes, fewer epochs.** After a run with the defaults, set `AUG_PASSES = 10` and
#    `CACHED_EPOCHS = 10`. Read the lines `cache.predict` prints for the passes, and the
#    `photos_per_epoch` column of the table.
#    <details><summary>Answer</summary>
#    Passes 0 to 4 load from the cache and only passes 5 to 9 are computed: pass `k` is
#    seeded `SEED + 1000 * (k + 1)` whatever `AUG_PASSES` is, so the first five are the same
#    augmentations of the same photos as before. `photos_per_epoch` is 30,000 (10 x 3,000);
#    in all the head again sees 300,000 augmented photos, as with 5 passes x 20 epochs and
#    the book's 100 epochs. Compare the validation accuracy with the default run: ten
#    different versions of each photo, or five seen twice as often.
#    </details>
# 4. **What the direct route costs per photo.** Set `EPOCHS = 1`, `STEPS_PER_EPOCH = 10` and
#    `VALIDATION_PER_CLASS = 50`. Compare the direct route's `train_seconds` per training
#    photo of its epoch with the cached route's `extraction_seconds` per augmented photo
#    (`AUG_PASSES` x 3,000 of them) on a first run.
#    <details><summary>Answer</summary>
#    The direct route's `photos_per_epoch` is 300 (10 batches of 30). Both routes run each
#    photo once through the whole frozen base, which is most of the cost of a step (the
#    direct route also trains the head and scores 100 validation photos), so expect per-photo
#    costs of the same order. The difference is how often it is paid: once per photo and
#    epoch on the direct route (100 epochs in the book), once per photo and pass on the
#    cached one.
#    </details>
#
# ## What a full run costs
#
# Book settings (100 epochs of the direct route on 3,000 photos at 150 px, 5 cached passes)
# on a GPU: not measured here. `cpu` profile on 2 CPU cores, without the direct route
# (`EPOCHS = 0`), with one augmented pass at 180 px: 12.39 minutes after notebook 04 in the
# run of 2026-12-03 in `BENCHMARKS.md` (2-core AMD EPYC, nothing else running), of which
# 0.2 s for the validation features (from notebook 04's cache), 586.2 s for the augmented
# pass through blocks 1-4 (float32, 5.12 photos per second) and 134.3 s for the 20 epochs of
# the head, on a day the machine ran VGG-16 about three times slower than on 2026-11-24 (5.6
# photos per second at 180 px in float32, against 16 in bfloat16). The run of 2026-11-24
# there, of the previous version, took 4.25 minutes: 143.7 s for the augmented pass (in
# bfloat16) and 54.3 s for the head. Each further pass costs about as much as the first.
