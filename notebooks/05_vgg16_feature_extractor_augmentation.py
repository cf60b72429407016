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
# Direct route: `EPOCHS` (the book's 100; `0` skips it), `STEPS_PER_EPOCH` batches per epoch
# (`None`: the whole training split), `VALIDATION_PER_CLASS` validation photos per class
# checked each epoch (`None`: all). Cached route: `AUG_PASSES` augmented copies of the training
# split, `CACHED_EPOCHS` epochs over all of them (5 passes x 20 epochs show the head as many
# augmented photos as the book's 100 epochs). `WEIGHTS` and `MIXED_PRECISION` as in notebook 04.
# `DISTRIBUTE` is notebook 02's: `"mirrored"` trains both routes on every GPU of the machine
# (`tf.distribute.MirroredStrategy`), `"mirrored:2"` on two logical CPU devices.

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
MIXED_PRECISION = False
STEPS_PER_EPOCH = None
VALIDATION_PER_CLASS = None
AUG_PASSES = 5
CACHED_EPOCHS = 20
DISTRIBUTE = None

# %%
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from IPython.display import display

from utils import augment, data, distribute, plots, pretrained, saving, training, vgg16_blocks

keras.utils.set_random_seed(SEED)
strategy = distribute.get_strategy(DISTRIBUTE)  # None: the default device
for folder in (MODELS_DIR, RESULTS_DIR, CACHE_DIR):
    Path(folder).mkdir(parents=True, exist_ok=True)
SIZE = (IMAGE_SIZE, IMAGE_SIZE)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
PREFIX = saving.model_prefix(DATA_DIR)  # file names: "cats_dogs" here, else your folder's name
BOOK_NAME = f"{PREFIX}_tlearn_img_aug_cnn"
CACHED_NAME = f"{PREFIX}_tlearn_img_aug_cached_cnn"
CHECKPOINTS = Path(MODELS_DIR) / "checkpoints"
CHECKPOINTS.mkdir(parents=True, exist_ok=True)

class_names = data.class_names(Path(DATA_DIR) / "train")
paths, labels = {}, {}
for split in ("train", "validation"):
    paths[split], labels[split], _ = data.list_images(Path(DATA_DIR) / split, class_names)
print(class_names, {split: len(p) for split, p in paths.items()})

# %% [markdown]
# ## The frozen base and the cached validation features
#
# As in notebook 04: VGG-16 without its classifier, frozen, behind its own preprocessing layer; the
# extractor (photo → preprocessing → blocks 1-4) whose output `block4_pool` is cached in float16,
# and block 5 that turns it into bottleneck features. The validation activations are notebook 04's
# file `CACHE_DIR/vgg16_{IMAGE_SIZE}px/validation_block4_pool.npy` when it is there with the same
# key (same weights, photos, size and precision); otherwise this notebook computes and saves it.
# Because the base is frozen, a head's accuracy on these features is the accuracy of base plus head
# on the validation photos. Notebook 04 writes these steps out; here they are one call each to
# `utils/vgg16_blocks.py` (`Blocks`: the extractor, `.activations`, `.features`). Every model that
# trains here is built and compiled inside `strategy.scope()`, so `DISTRIBUTE` decides where it
# trains: the base and its preprocessing too, since the direct route holds them.

# %%
with strategy.scope():
    base = keras.applications.VGG16(
        include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
    )
    base.trainable = False
    preprocess = pretrained.preprocessing_layer("vgg16")
sample = data.read_images(paths["train"][:8], IMAGE_SIZE, raw=True)
blocks = vgg16_blocks.Blocks(base, MIXED_PRECISION, sample, CACHE_DIR, BATCH_SIZE)
PRECISION, speeds = blocks.precision, blocks.speeds
val_activations = blocks.activations("validation", paths["validation"], labels["validation"])
val_features = blocks.features("validation", val_activations)


def validation_accuracy(head: keras.Model) -> float:
    """Accuracy of a head on the cached validation features (= base + head on the photos)."""
    probs = head.predict(val_features, verbose=0)
    predicted = probs.argmax(-1) if probs.shape[-1] > 1 else (probs[:, 0] > 0.5).astype(int)
    return float(np.mean(predicted == labels["validation"]))


# %% [markdown]
# ## The augmentation and the head
#
# The book's `ImageDataGenerator` settings as Keras preprocessing layers (notebook 03 explains
# each one); five random versions of one training photo:

# %%
augmentation = augment.book_augmentation(seed=SEED)
sample = data.read_images(paths["train"][:1], IMAGE_SIZE)[0]
fig = plots.image_grid(
    [sample, *augment.augmented_versions(augmentation, sample, 5)],
    ["original"] + [f"augmented {i + 1}" for i in range(5)],
    ncols=6,
)

# %% [markdown]
# Both routes train the book's head of notebook 04 (a fresh one each time):


# %%
def book_head() -> keras.Sequential:
    """Notebook 04's head (written out there), fresh: `utils.vgg16_blocks.book_head`."""
    return vgg16_blocks.book_head(base.output_shape[1:], len(class_names))


# %% [markdown]
# ## The book's way: the frozen base inside the model
#
# Raw photo → augmentation (active in `fit` only; `predict` passes photos through unchanged)
# → VGG-16 preprocessing → frozen base → head. Only the head's weights train, but every batch
# runs the whole base forward.

# %%
routes = []
if EPOCHS:
    with strategy.scope():
        head = book_head()
        inputs = keras.Input(shape=SHAPE, name="image")
        x = augment.book_augmentation(seed=SEED)(inputs)
        x = preprocess(x)
        x = base(x, training=False)
        outputs = head(x)
        model = keras.Model(inputs, outputs, name="vgg16_img_aug")
        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=LEARNING_RATE),
            loss=training.loss_for(len(class_names)),
            metrics=["accuracy"],
        )
    print(pretrained.count_params(model))
    display(pretrained.layer_table(model))

# %% [markdown]
# Training photos are shuffled every epoch; `STEPS_PER_EPOCH` batches of them make an epoch.
# Validation photos are never augmented.

# %%
if EPOCHS:
    train_ds = data.image_dataset(
        paths["train"], labels["train"], SIZE, BATCH_SIZE, shuffle=True, seed=SEED
    )
    if STEPS_PER_EPOCH:
        train_ds = train_ds.take(STEPS_PER_EPOCH)
    keep = data.per_class_indices(labels["validation"], VALIDATION_PER_CLASS)
    val_ds = data.image_dataset(
        [paths["validation"][i] for i in keep], labels["validation"][keep], SIZE, BATCH_SIZE
    )
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
    inputs = keras.Input(shape=SHAPE, name="image")
    x = preprocess(inputs)
    x = base(x, training=False)
    outputs = head(x)
    photo_model = keras.Model(inputs, outputs, name="vgg16_img_aug")
    saving.save_model(
        photo_model,
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
    routes.append(
        {
            "route": "direct: base in the model (book)",
            "epochs": facts["epochs"],
            "photos_per_epoch": min(len(paths["train"]), (STEPS_PER_EPOCH or 10**9) * BATCH_SIZE),
            "extraction_seconds": 0.0,
            "train_seconds": train_seconds,
            "validation_accuracy": validation_accuracy(head),
        }
    )

# %% [markdown]
# ## The CPU-friendly way: augmented passes extracted once and cached
#
# Each pass runs the whole training split through the augmentation (its own seed) and blocks
# 1-4 once, saved as `train_aug0_block4_pool.npy`, `train_aug1_block4_pool.npy`, ... beside
# notebook 04's files (notebook 06 fine-tunes block 5 on these same files); block 5 turns each
# into `train_aug0_features.npy`, ... The head then trains on `AUG_PASSES x 3,000` feature
# blocks, seconds per epoch. What it gives up: the head sees `AUG_PASSES` fixed versions of
# each photo instead of a new one every epoch.

# %%
passes, extraction_seconds = [], 0.0
for k in range(AUG_PASSES):
    start = time.perf_counter()
    augmentation_k = augment.book_augmentation(seed=SEED + 1000 * (k + 1))
    activations = blocks.activations(
        f"train_aug{k}", paths["train"], labels["train"], augmentation_k
    )
    extraction_seconds += time.perf_counter() - start
    passes.append(blocks.features(f"train_aug{k}", activations))
aug_x = np.concatenate(passes)
aug_y = np.tile(labels["train"], AUG_PASSES)

# %%
with strategy.scope():
    cached_head = book_head()
    cached_head.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=LEARNING_RATE),
        loss=training.loss_for(len(class_names)),
        metrics=["accuracy"],
    )
checkpoint = CHECKPOINTS / f"{CACHED_NAME}_head.keras"
callbacks = [
    keras.callbacks.ModelCheckpoint(checkpoint, monitor="val_loss", save_best_only=True),
    keras.callbacks.CSVLogger(Path(RESULTS_DIR) / f"{CACHED_NAME}_history.csv"),
]
start = time.perf_counter()
history = cached_head.fit(
    aug_x,
    aug_y,
    validation_data=(val_features, labels["validation"]),
    epochs=CACHED_EPOCHS,
    batch_size=BATCH_SIZE,
    callbacks=callbacks,
    verbose=2,
)
cached_seconds = round(time.perf_counter() - start, 1)
cached_head = keras.models.load_model(checkpoint)
history = training.history_frame(history)
cached_facts = training.summarize(history)
fig = plots.plot_history(history, f"Head on {AUG_PASSES} cached augmented passes")
plots.save_figure(fig, Path(RESULTS_DIR) / f"{CACHED_NAME}_history.png")
print(cached_facts)

# %% [markdown]
# The best head goes on the base, and the model that takes photos is saved. Without the direct
# route (`EPOCHS = 0`) it is also saved under the book's name, for notebook 07. `count_params`
# splits its weights as in notebook 04: the head's train (4,457,985 at 150 px), the base's are
# frozen.

# %%
inputs = keras.Input(shape=SHAPE, name="image")
x = preprocess(inputs)
x = base(x, training=False)
outputs = cached_head(x)
cached_model = keras.Model(inputs, outputs, name="vgg16_img_aug_cached")
for name in [CACHED_NAME] + ([] if EPOCHS else [BOOK_NAME]):
    saving.save_model(
        cached_model,
        Path(MODELS_DIR) / f"{name}.h5",
        class_names,
        **cached_facts,
        train_seconds=cached_seconds,
        notebook="05",
        learning_rate=LEARNING_RATE,
        route="cached augmented passes",
        augmented_passes=AUG_PASSES,
        extraction_seconds=round(extraction_seconds, 1),
        features_precision=PRECISION,
        precision_speeds=speeds,
    )
print(pretrained.count_params(cached_model))
routes.append(
    {
        "route": f"cached: {AUG_PASSES} augmented passes",
        "epochs": cached_facts["epochs"],
        "photos_per_epoch": len(aug_x),
        "extraction_seconds": round(extraction_seconds, 1),
        "train_seconds": cached_seconds,
        "validation_accuracy": validation_accuracy(cached_head),
    }
)

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
comparison = pd.DataFrame(routes).set_index("route")
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
# ## What a full run costs
#
# Book settings (100 epochs of the direct route on 3,000 photos at 150 px, 5 cached passes)
# on a GPU: not measured here. `cpu` profile on 2 CPU cores, without the direct route
# (`EPOCHS = 0`), with one augmented pass at 180 px: 4.2 minutes after notebook 04 in the run
# of `BENCHMARKS.md` (2-core AMD EPYC, nothing else running; 2026-11-24, 09:42 UTC), of which
# 144 s for the augmented pass through blocks 1-4 (bfloat16, chosen by `"auto"`) and 54 s for
# the 20 epochs of the head. Each further pass costs about as much as the first.
