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
# # Cats vs dogs: fine-tuning VGG-16
#
# **Description:** unfreeze the top convolution blocks of VGG-16 and train them, gently,
# together with the head, on augmented photos.
#
# ## Introduction
#
# A frozen base only offers the features ImageNet taught it. Its first blocks detect edges,
# colours and textures, useful for any photo; its last blocks combine them into patterns
# specific to ImageNet's 1,000 classes. Fine-tuning retrains those last blocks on our task.
# The book's third pretrained model unfreezes **blocks 4 and 5**, keeps blocks 1 to 3 frozen,
# and trains with RMSprop at a very low learning rate (1e-5) on augmented photos. You will
# learn how to:
#
# 1. **warm the new head up first** on the frozen base. The book puts a freshly initialised
#    head on the base and unfreezes at once: the first updates, driven by a random head, push
#    large gradients into the pretrained blocks. Keras' transfer-learning guide trains the head
#    on the frozen base first; with the base frozen that is notebook 04's training on cached
#    features, seconds rather than hours;
# 2. unfreeze chosen blocks with a loop over `base.layers`, **recompile**, and fine-tune;
# 3. fine-tune block 5 **from cached activations**, the CPU route: blocks 1-4 stay frozen, so
#    their output for each photo (and for each augmented pass of the training photos) is
#    computed once, by notebooks 04 and 05, and kept on disk; only block 5 and the head run
#    during training, about a fifth of the arithmetic of every step on photos. Block 5 alone,
#    SGD at 1e-4 with momentum 0.9, from a trained head: the settings of the 2016 Keras blog
#    post the course slides teach (notebook 11 follows that post step by step).
#
# The models are compared on the validation split; notebook 07 scores them on the test split.

# %% [markdown]
# ## Setup
#
# `EPOCHS` fine-tuning epochs of the book's route on photos (the book's 100; `0` skips it, as
# the `cpu` profile does) after `WARMUP_EPOCHS` of the head alone on cached features;
# `UNFROZEN_BLOCKS` the blocks that train. On a CPU every step of that route runs the whole
# base forward and the unfrozen blocks backward, a few photos per second: `STEPS_PER_EPOCH`
# batches per epoch and `VALIDATION_PER_CLASS` validation photos per class turn it down
# (`None`: everything). The cached route: `CACHED_EPOCHS` epochs
# (`0` skips it) of block 5 and a small head warmed up for `CACHED_WARMUP_EPOCHS`, each epoch
# as many batches as the training split, drawn from the plain activations and `AUG_PASSES`
# augmented passes (notebook 05's files).
# `WEIGHTS` and `MIXED_PRECISION` (`True`, `False` or `"auto"`) as in notebook 04.
# `DISTRIBUTE` is notebook 02's: `"mirrored"` trains every model here on every GPU of the
# machine (`tf.distribute.MirroredStrategy`), `"mirrored:2"` on two logical CPU devices.

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
LEARNING_RATE = 1e-5
MIXED_PRECISION = False
UNFROZEN_BLOCKS = ["block4", "block5"]
WARMUP_EPOCHS = 30
WARMUP_LEARNING_RATE = 1e-4
STEPS_PER_EPOCH = None
VALIDATION_PER_CLASS = None
CACHED_EPOCHS = 50
CACHED_LEARNING_RATE = 1e-4
CACHED_WARMUP_EPOCHS = 3
AUG_PASSES = 5
DISTRIBUTE = None

# %%
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from IPython.display import display

from utils import (
    augment,
    data,
    distribute,
    plots,
    precision,
    pretrained,
    saving,
    training,
    vgg16_blocks,
)

keras.utils.set_random_seed(SEED)
strategy = distribute.get_strategy(DISTRIBUTE)  # None: the default device
for folder in (MODELS_DIR, RESULTS_DIR, CACHE_DIR):
    Path(folder).mkdir(parents=True, exist_ok=True)
SIZE = (IMAGE_SIZE, IMAGE_SIZE)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
PREFIX = saving.model_prefix(DATA_DIR)  # file names: "cats_dogs" here, else your folder's name
BOOK_NAME = f"{PREFIX}_tlearn_finetune_img_aug_cnn"
CACHED_NAME = f"{PREFIX}_tlearn_finetune_block5_sgd_cnn"
CHECKPOINTS = Path(MODELS_DIR) / "checkpoints"
CHECKPOINTS.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## Data
#
# File paths and labels of the training and validation photos. Fine-tuning reads the photos
# themselves: training photos shuffled every epoch (augmented inside the model, below),
# validation photos as they are, a class-balanced subset when `VALIDATION_PER_CLASS` is set.

# %%
class_names = data.class_names(Path(DATA_DIR) / "train")
paths, labels = {}, {}
for split in ("train", "validation"):
    paths[split], labels[split], _ = data.list_images(Path(DATA_DIR) / split, class_names)
train_ds = data.image_dataset(
    paths["train"], labels["train"], SIZE, BATCH_SIZE, shuffle=True, seed=SEED
)
if STEPS_PER_EPOCH:
    train_ds = train_ds.take(STEPS_PER_EPOCH)
keep = data.per_class_indices(labels["validation"], VALIDATION_PER_CLASS)
val_ds = data.image_dataset(
    [paths["validation"][i] for i in keep], labels["validation"][keep], SIZE, BATCH_SIZE
)
print({split: len(p) for split, p in paths.items()}, "| validation photos used:", len(keep))

# %% [markdown]
# ## Step 1: warm the new head up on the frozen base
#
# VGG-16 behind its own preprocessing layer, as in notebook 04. While it is frozen, its output for
# each photo never changes, so the head trains on the bottleneck features of notebook 04: blocks 1-4
# computed once per photo (`CACHE_DIR/vgg16_{IMAGE_SIZE}px/{train,validation}_block4_pool.npy`,
# float16), block 5 on top (`..._features.npy`), loaded when their key matches (same weights,
# photos, size and precision), computed and saved otherwise. Notebook 04 writes these steps out;
# here they are calls to `utils/vgg16_blocks.py`. Every model that trains in this notebook is built
# and compiled inside `strategy.scope()`, so `DISTRIBUTE` decides where it trains: the base too,
# since step 2 fine-tunes it.

# %%
with strategy.scope():
    base = keras.applications.VGG16(
        include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
    )
    base.trainable = False
    preprocess = pretrained.preprocessing_layer("vgg16")
sample = data.read_images(paths["train"][:8], IMAGE_SIZE, raw=True)
blocks = vgg16_blocks.Blocks(base, MIXED_PRECISION, sample, CACHE_DIR, BATCH_SIZE)
PRECISION, ACTIVATIONS = blocks.precision, blocks.block5.input_shape[1:]
activations = {split: blocks.activations(split, paths[split], labels[split]) for split in paths}
features = {split: blocks.features(split, a) for split, a in activations.items()}

# %% [markdown]
# The book's head of notebook 04, trained on the cached features with RMSprop at 1e-4; the
# best epoch (lowest validation loss) is kept and reloaded.


# %%
def book_head() -> keras.Sequential:
    """Notebook 04's head (written out there), fresh: `utils.vgg16_blocks.book_head`."""
    return vgg16_blocks.book_head(base.output_shape[1:], len(class_names))


with strategy.scope():
    head = book_head()
    head.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=WARMUP_LEARNING_RATE),
        loss=training.loss_for(len(class_names)),
        metrics=["accuracy"],
    )
warmup_path = CHECKPOINTS / f"{PREFIX}_tlearn_finetune_warmup_head.keras"
start = time.perf_counter()
warmup = head.fit(
    features["train"],
    labels["train"],
    validation_data=(features["validation"], labels["validation"]),
    epochs=WARMUP_EPOCHS,
    batch_size=BATCH_SIZE,
    callbacks=[
        keras.callbacks.ModelCheckpoint(warmup_path, monitor="val_loss", save_best_only=True),
        keras.callbacks.CSVLogger(Path(RESULTS_DIR) / f"{PREFIX}_tlearn_finetune_warmup.csv"),
    ],
    verbose=2,
)
warmup_seconds = round(time.perf_counter() - start, 1)
with strategy.scope():  # step 2 trains this head further
    head = keras.models.load_model(warmup_path)
warmup_facts = training.summarize(training.history_frame(warmup))
print("warm-up:", warmup_facts)

# %% [markdown]
# ## Step 2: unfreeze blocks 4 and 5, fine-tune with a low learning rate (the book's route)
#
# One model: raw photo → augmentation (notebook 03's layers, active in training only) → VGG-16
# preprocessing → base → the warm head. Then the loop: a layer trains when its name starts
# with one of `UNFROZEN_BLOCKS`. `base.trainable = True` first, because a model whose own flag
# is off freezes everything inside it whatever the layers say. Keras reads the flags when the
# model is compiled, so we compile after setting them. This route runs every photo through
# all 13 convolution layers at every step: a GPU's work (`EPOCHS = 0` skips it).

# %%
results = [
    {
        "model": "warm-up: head on cached features, base frozen",
        "epochs": warmup_facts["epochs"],
        "train_seconds": warmup_seconds,
        "best_epoch_val_accuracy": warmup_facts["best_epoch_val_accuracy"],
        "validation_photos": len(labels["validation"]),
    },
]


def photo_model(base: keras.Model, head: keras.Model, name: str) -> keras.Model:
    """Raw photo → preprocessing → base → head: the model that is saved."""
    inputs = keras.Input(shape=SHAPE, name="image")
    x = preprocess(inputs)
    x = base(x, training=False)
    return keras.Model(inputs, head(x), name=name)


if EPOCHS:
    with strategy.scope():
        inputs = keras.Input(shape=SHAPE, name="image")
        x = augment.book_augmentation(seed=SEED)(inputs)
        x = preprocess(x)
        x = base(x, training=False)
        outputs = head(x)
        model = keras.Model(inputs, outputs, name="vgg16_finetuned")

        base.trainable = True
        for layer in base.layers:
            layer.trainable = layer.name.startswith(tuple(UNFROZEN_BLOCKS))

        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=LEARNING_RATE),
            loss=training.loss_for(len(class_names)),
            metrics=["accuracy"],
        )
    print(pretrained.count_params(model))
    display(pretrained.layer_table(base))

# %% [markdown]
# `fit` with the same callbacks as before; the checkpoint keeps the best epoch's weights
# (`save_weights_only`), which we load back. The saved model is raw photo → preprocessing →
# fine-tuned base → head. It leaves the augmentation out: it does nothing outside training,
# and the file stays loadable anywhere (in Keras 3.15 a saved `RandomShear` layer does not load
# back). The trainable flags go with it.

# %%
if EPOCHS:
    checkpoint = CHECKPOINTS / f"{BOOK_NAME}.weights.h5"
    start = time.perf_counter()
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=EPOCHS,
        callbacks=[
            keras.callbacks.ModelCheckpoint(
                checkpoint, monitor="val_loss", save_best_only=True, save_weights_only=True
            ),
            keras.callbacks.CSVLogger(Path(RESULTS_DIR) / f"{BOOK_NAME}_history.csv"),
        ],
        verbose=2,
    )
    train_seconds = round(time.perf_counter() - start, 1)
    model.load_weights(checkpoint)  # the best epoch's weights
    history = training.history_frame(history)
    facts = training.summarize(history)
    title = f"Fine-tuning VGG-16 ({', '.join(UNFROZEN_BLOCKS)}), RMSprop"
    plots.save_figure(plots.plot_history(history, title), Path(RESULTS_DIR) / f"{BOOK_NAME}.png")
    print(facts)
    saving.save_model(
        photo_model(base, head, "vgg16_finetuned"),
        Path(MODELS_DIR) / f"{BOOK_NAME}.h5",
        class_names,
        **facts,
        train_seconds=train_seconds,
        notebook="06",
        learning_rate=LEARNING_RATE,
        optimizer="RMSprop",
        unfrozen_blocks=UNFROZEN_BLOCKS,
        route="direct",
        warmup_epochs=WARMUP_EPOCHS,
        warmup_seconds=warmup_seconds,
        steps_per_epoch=STEPS_PER_EPOCH,
        validation_photos=len(keep),
    )
    results.append(
        {
            "model": f"fine-tuned {'+'.join(UNFROZEN_BLOCKS)}, RMSprop (book + warm-up)",
            "epochs": facts["epochs"],
            "train_seconds": train_seconds,
            "best_epoch_val_accuracy": facts["best_epoch_val_accuracy"],
            "validation_photos": len(keep),
        }
    )

# %% [markdown]
# ## Step 3: fine-tuning block 5 from cached activations (the CPU route)
#
# Block 5 only is unfrozen and trained with SGD at 1e-4, momentum 0.9, starting from a head
# trained on the frozen base's cached features, as in the 2016 Keras blog post (notebook 11).
#
# **Why cached activations give exactly the same training.** Blocks 1-4 stay frozen, so for a
# given photo their output `block4_pool` never changes during training: gradients stop at
# block 5, and the forward pass through blocks 1-4 computes the same numbers every epoch.
# Computing it once, keeping it on disk, and training `block 5 + head` on it is the same
# arithmetic as training on photos with blocks 1-4 frozen, at about a fifth of the arithmetic
# per step: block 5's forward pass is some 1.2 of VGG-16's 13 GFLOP per 150 px photo, its
# backward pass about twice that, and a step on photos adds the 12 GFLOP of blocks 1-4
# forward. The stored float16 rounds each activation by at most 0.05%, far below what moves
# the result.
#
# **What it gives up.** Augmentation can only be a fixed set of passes: `AUG_PASSES` augmented
# versions of each training photo, computed once by notebook 05, instead of a new random
# version at every epoch. Each epoch here draws as many batches as the training split holds
# from the plain activations and those passes together, and flips the activation maps
# left-right at random (the maps of a mirrored photo are close to mirrored maps, not equal).

# %%
passes = [activations["train"]] + [
    blocks.activations(
        f"train_aug{k}",
        paths["train"],
        labels["train"],
        augment.book_augmentation(seed=SEED + 1000 * (k + 1)),
    )
    for k in range(AUG_PASSES)
]
train_x = np.concatenate(passes)
train_y = np.tile(labels["train"], len(passes))
print(f"{len(passes)} versions of {len(labels['train'])} training photos:", train_x.shape)

# %% [markdown]
# The head here is smaller than the book's: `GlobalAveragePooling2D` averages each of the 512
# feature maps, then `Dropout(0.5)` and the output unit, 513 weights instead of 4.5 million,
# which leaves block 5 to do the learning (our choice; the book's head is not compared with
# it here). It is warmed up on the cached bottleneck features first, in
# seconds, like the head of step 1.

# %%
with strategy.scope():
    cached_head = keras.Sequential(
        [
            keras.Input(shape=base.output_shape[1:]),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dropout(0.5),
            training.output_layer(len(class_names)),
        ],
        name="head",
    )
    cached_head.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss=training.loss_for(len(class_names)),
        metrics=["accuracy"],
    )
cached_head_path = CHECKPOINTS / f"{PREFIX}_tlearn_finetune_block5_head.keras"
cached_head.fit(
    features["train"],
    labels["train"],
    validation_data=(features["validation"], labels["validation"]),
    epochs=CACHED_WARMUP_EPOCHS,
    batch_size=BATCH_SIZE,
    callbacks=[
        keras.callbacks.ModelCheckpoint(cached_head_path, monitor="val_loss", save_best_only=True)
    ],
    verbose=2,
)

# %% [markdown]
# The trainable part is a copy of block 5 (three `Conv2D` and a `MaxPooling2D`, named as in
# VGG-16) with the ImageNet weights, and the warm head; in front of them, during training only,
# `RandomFlip` on the activation maps. A `tf.data` pipeline draws shuffled batches of indices
# and gathers their activations, so the arrays are never copied. `MIXED_PRECISION="auto"` times
# a few training steps both ways and keeps the faster.

# %%
cached_base = keras.applications.VGG16(
    include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
)
BLOCK5 = [layer.name for layer in cached_base.layers if layer.name.startswith("block5")]


def block5_model(policy: str) -> keras.Sequential:
    """Flips (training only) → a copy of VGG-16's block 5 → the warm head, in `policy`."""
    with strategy.scope(), precision.global_policy(policy):
        model = keras.Sequential(
            [
                keras.Input(shape=ACTIVATIONS),
                keras.layers.RandomFlip("horizontal", seed=SEED),
                keras.layers.Conv2D(512, 3, padding="same", activation="relu", name="block5_conv1"),
                keras.layers.Conv2D(512, 3, padding="same", activation="relu", name="block5_conv2"),
                keras.layers.Conv2D(512, 3, padding="same", activation="relu", name="block5_conv3"),
                keras.layers.MaxPooling2D(2, name="block5_pool"),
                keras.models.load_model(cached_head_path),
            ],
            name="vgg16_block5_on_activations",
        )
        for name in BLOCK5:
            model.get_layer(name).set_weights(cached_base.get_layer(name).get_weights())
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=CACHED_LEARNING_RATE, momentum=0.9),
            loss=training.loss_for(len(class_names)),
            metrics=["accuracy"],
        )
    return model


batch_x = train_x[:BATCH_SIZE].astype("float32")
batch_y = train_y[:BATCH_SIZE]
candidates = {}
TRAIN_PRECISION, train_speeds = precision.choose(
    MIXED_PRECISION,
    {
        p: lambda p=p: candidates.setdefault(p, block5_model(p)).train_on_batch(batch_x, batch_y)
        for p in precision.POLICIES
    },
    items=BATCH_SIZE,
    memo=Path(CACHE_DIR) / "precision.json",
    task=f"vgg16 block 5 training, {IMAGE_SIZE} px",
)
cached_model = block5_model(TRAIN_PRECISION)  # fresh: the timing steps trained the candidates
print(
    f"block 5 trains in {TRAIN_PRECISION}",
    f"(activations/s: {train_speeds})" if train_speeds else "",
)
print(pretrained.count_params(cached_model))

# %%
if CACHED_EPOCHS:
    all_x, all_y = tf.constant(train_x), tf.constant(train_y)
    train_batches = (
        tf.data.Dataset.range(len(train_y))
        .shuffle(len(train_y), seed=SEED)
        .repeat()
        .batch(BATCH_SIZE)
        .map(lambda i: (tf.cast(tf.gather(all_x, i), "float32"), tf.gather(all_y, i)))
        .prefetch(tf.data.AUTOTUNE)
    )
    checkpoint = CHECKPOINTS / f"{CACHED_NAME}.weights.h5"
    start = time.perf_counter()
    cached_history = cached_model.fit(
        train_batches,
        steps_per_epoch=-(-len(labels["train"]) // BATCH_SIZE),
        validation_data=(activations["validation"].astype("float32"), labels["validation"]),
        epochs=CACHED_EPOCHS,
        callbacks=[
            keras.callbacks.ModelCheckpoint(
                checkpoint, monitor="val_loss", save_best_only=True, save_weights_only=True
            ),
            keras.callbacks.CSVLogger(Path(RESULTS_DIR) / f"{CACHED_NAME}_history.csv"),
        ],
        verbose=2,
    )
    cached_seconds = round(time.perf_counter() - start, 1)
    cached_model.load_weights(checkpoint)  # the best epoch's weights
    cached_history = training.history_frame(cached_history)
    cached_facts = training.summarize(cached_history)
    fig = plots.plot_history(cached_history, "Fine-tuning block 5 on cached activations, SGD")
    plots.save_figure(fig, Path(RESULTS_DIR) / f"{CACHED_NAME}_history.png")
    print(cached_facts)

# %% [markdown]
# ## The saved model: VGG-16 with the fine-tuned block 5 copied back
#
# The trained block 5 goes back into the full VGG-16 (`set_weights` layer by layer), block 5
# marked trainable as it was trained, and the head on top: raw photo → preprocessing → VGG-16
# → head, the same kind of model as every other, so notebook 07 and `predict.py` need nothing
# special.
# Without the book's route (`EPOCHS = 0`) it is also saved under the book's name, for notebook
# 07. The check below predicts a few validation photos with the saved model and their cached
# activations with the model just trained: the difference is the float16 rounding of the
# activations (and bfloat16's arithmetic if the extractor computed in it).

# %%
if CACHED_EPOCHS:
    for name in BLOCK5:
        cached_base.get_layer(name).set_weights(cached_model.get_layer(name).get_weights())
    cached_base.trainable = True
    for layer in cached_base.layers:
        layer.trainable = layer.name in BLOCK5
    cached_head = cached_model.layers[-1]
    cached_photo_model = photo_model(cached_base, cached_head, "vgg16_finetuned_block5_sgd")
    for name in [CACHED_NAME] + ([] if EPOCHS else [BOOK_NAME]):
        saving.save_model(
            cached_photo_model,
            Path(MODELS_DIR) / f"{name}.h5",
            class_names,
            **cached_facts,
            train_seconds=cached_seconds,
            notebook="06",
            learning_rate=CACHED_LEARNING_RATE,
            optimizer="SGD, momentum 0.9",
            unfrozen_blocks=["block5"],
            route="cached block4_pool activations",
            augmented_passes=AUG_PASSES,
            started_from="GAP head warmed up on the cached features",
            training_precision=TRAIN_PRECISION,
            training_precision_speeds=train_speeds,
            features_precision=PRECISION,
        )
    few = slice(0, 2 * BATCH_SIZE)
    on_photos = cached_photo_model.predict(
        data.read_images(paths["validation"][few], IMAGE_SIZE, raw=True), verbose=0
    )
    on_activations = cached_model.predict(activations["validation"][few], verbose=0)
    print(
        f"saved model on photos vs trained model on cached activations, largest difference "
        f"in probability: {np.abs(on_photos - on_activations).max():.2e}"
    )
    results.append(
        {
            "model": "fine-tuned block5 on cached activations, SGD",
            "epochs": cached_facts["epochs"],
            "train_seconds": cached_seconds,
            "best_epoch_val_accuracy": cached_facts["best_epoch_val_accuracy"],
            "validation_photos": len(labels["validation"]),
        }
    )

# %% [markdown]
# ## Results
#
# Validation accuracy of the kept (best) epoch of each model; `validation_photos` says how many
# photos it was measured on. Notebook 07 scores the saved models on the test photos.

# %%
table = pd.DataFrame(results).set_index("model")
table.to_csv(Path(RESULTS_DIR) / "06_vgg16_fine_tuning.csv")
frozen = warmup_facts["best_epoch_val_accuracy"]
for model_name, row in table.iloc[1:].iterrows():
    change = row["best_epoch_val_accuracy"] - frozen
    print(f"{model_name}: {change:+.4f} on validation against the frozen base (warm-up row)")
table.round(4)

# %% [markdown]
# ## Takeaways
#
# - Fine-tuning = unfreeze some layers (`layer.trainable = ...` in a loop over `base.layers`),
#   **recompile**, and train with a learning rate 10 to 100 times lower than for a new head.
# - Train the new head on the frozen base first; with cached features it costs seconds.
# - Keep the early blocks frozen: their edges and textures serve any photo, and fewer
#   trainable weights overfit less on 3,000 photos.
# - Frozen layers are a fixed function: compute their output once per photo (and per
#   augmented pass) and train only what is trainable on it. The saved model is still the
#   ordinary VGG-16 + head, with the trained weights copied back.
#
# ## What a full run costs
#
# Book settings (100 epochs on 3,000 augmented photos at 150 px, plus 50 on cached
# activations) on a GPU: not measured here. `cpu` profile on 2 CPU cores (180 px, no route on
# photos, one augmented pass, 5 epochs of block 5 on cached activations): 5.3 minutes after
# notebooks 04 and 05 in the run of `BENCHMARKS.md` (2-core AMD EPYC, nothing else running;
# 2026-11-24, 09:46 UTC), of which 4.4 minutes for the 5 epochs; `"auto"` trained in bfloat16
# there (68 against 38 activations per second in float32). Nothing here runs blocks
# 1-4: their output comes from notebooks 04 and 05's files.
