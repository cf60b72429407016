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
#    computed once and kept on disk; only block 5 and the head run during training, about a
#    fifth of the arithmetic of every step on photos. Block 5 alone, with the optimizer of the
#    2016 Keras blog post (SGD at 1e-4, momentum 0.9; notebook 11 follows that post step by
#    step), from a head trained first.
#
# The models are compared on the validation split; notebook 07 scores them on the test split.

# %% [markdown]
# ## Setup
#
# The lesson's parameters are the book's: `EPOCHS` fine-tuning epochs on photos (100; `0` skips
# the route, as the `cpu` profile does) at `LEARNING_RATE` 1e-5 with `UNFROZEN_BLOCKS`
# trainable, after `WARMUP_EPOCHS` of the head alone at `WARMUP_LEARNING_RATE`. Below the blank
# line, the knobs of a run. On a CPU every step on photos runs the whole base forward and the
# unfrozen blocks backward, a few photos per second: `STEPS_PER_EPOCH` batches per epoch and
# `VALIDATION_PER_CLASS` validation photos per class turn it down (`None`: everything). The
# cached route: `CACHED_EPOCHS` epochs (`0` skips it) of block 5 and a small head warmed up for
# `CACHED_WARMUP_EPOCHS`, each epoch as many batches as the training split, drawn from the plain
# activations and `AUG_PASSES` augmented passes. `MIXED_PRECISION` and `WEIGHTS` as in notebook
# 04; `DISTRIBUTE` is notebook 02's (`"mirrored"`: every GPU of the machine).

# %% tags=["parameters"]
DATA_DIR = "../data/cats-vs-dogs"
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
CACHE_DIR = "../cache"
IMAGE_SIZE = 150
BATCH_SIZE = 30
EPOCHS = 100
LEARNING_RATE = 1e-5
UNFROZEN_BLOCKS = ["block4", "block5"]
WARMUP_EPOCHS = 30
WARMUP_LEARNING_RATE = 1e-4
WEIGHTS = "imagenet"
SEED = 42

STEPS_PER_EPOCH = None
VALIDATION_PER_CLASS = None
CACHED_EPOCHS = 50
CACHED_LEARNING_RATE = 1e-4
CACHED_WARMUP_EPOCHS = 3
AUG_PASSES = 5
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
import tensorflow as tf
from IPython.display import display

from utils import augment, cache, data, distribute, plots, pretrained, saving, training

keras.utils.set_random_seed(SEED)
strategy = distribute.get_strategy(DISTRIBUTE)  # None: the default device
SIZE = (IMAGE_SIZE, IMAGE_SIZE)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
PREFIX = saving.model_prefix(DATA_DIR)  # file names: "cats_dogs" here, else your folder's name
BOOK_NAME = f"{PREFIX}_tlearn_finetune_img_aug_cnn"
CACHED_NAME = f"{PREFIX}_tlearn_finetune_block5_sgd_cnn"
CHECKPOINTS = Path(MODELS_DIR) / "checkpoints"
CHECKPOINTS.mkdir(parents=True, exist_ok=True)
Path(RESULTS_DIR).mkdir(parents=True, exist_ok=True)


def vgg16() -> keras.Model:
    """VGG-16 without its classifier, with the ImageNet weights, computing in MIXED_PRECISION."""
    keras.mixed_precision.set_global_policy(MIXED_PRECISION)
    base = keras.applications.VGG16(
        include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
    )
    keras.mixed_precision.set_global_policy("float32")
    return base


# %% [markdown]
# ## Data
#
# The split folders read with `keras.utils.image_dataset_from_directory`: in file order for the
# cached features and activations, shuffled every epoch for fine-tuning on photos (augmented
# inside the model, below); validation photos as they are, a class-balanced subset when
# `VALIDATION_PER_CLASS` is set.

# %%
datasets = {}
for split in ("train", "validation"):
    datasets[split] = keras.utils.image_dataset_from_directory(
        Path(DATA_DIR) / split,
        image_size=SIZE,
        batch_size=BATCH_SIZE,
        shuffle=False,
        class_names=datasets["train"].class_names if split != "train" else None,
    )
class_names = datasets["train"].class_names
labels = {split: np.concatenate([y for _, y in ds]) for split, ds in datasets.items()}
loss = "binary_crossentropy" if len(class_names) == 2 else "sparse_categorical_crossentropy"
train_ds = keras.utils.image_dataset_from_directory(
    Path(DATA_DIR) / "train", image_size=SIZE, batch_size=BATCH_SIZE, seed=SEED
)
if STEPS_PER_EPOCH:
    train_ds = train_ds.take(STEPS_PER_EPOCH)
keep = data.per_class_indices(labels["validation"], VALIDATION_PER_CLASS)
val_paths = [datasets["validation"].file_paths[i] for i in keep]
val_ds = data.image_dataset(val_paths, labels["validation"][keep], SIZE, BATCH_SIZE)
print({split: len(y) for split, y in labels.items()}, "| validation photos used:", len(keep))

# %% [markdown]
# ## Step 1: warm the new head up on the frozen base
#
# VGG-16 behind its own preprocessing layer, frozen, as in notebook 04. While it is frozen its
# output for each photo never changes, so the head trains on the bottleneck features:
# `cache.predict` computes them once (after notebook 04 it loads 04's). Every model that
# trains in this notebook is built and compiled inside `strategy.scope()`, so `DISTRIBUTE`
# decides where it trains: the base too, since step 2 fine-tunes it. The book's head of
# notebook 04 (`training.book_head`), RMSprop at 1e-4; the best epoch (lowest validation loss)
# is kept and reloaded.

# %%
with strategy.scope():
    conv_base = vgg16()
    conv_base.trainable = False
    preprocess = pretrained.preprocessing_layer("vgg16")
extractor = keras.Sequential([keras.Input(shape=SHAPE), preprocess, conv_base], name="extractor")
features = {
    split: cache.predict(extractor, ds, f"{split}_features", CACHE_DIR)
    for split, ds in datasets.items()
}

results = []


def result(model: str, facts: dict, seconds: float, photos: int) -> None:
    """One row of the results table: a model's kept epoch on the validation photos."""
    accuracy = facts["best_epoch_val_accuracy"]
    results.append({"model": model, "epochs": facts["epochs"], "train_seconds": seconds})
    results[-1].update(best_epoch_val_accuracy=accuracy, validation_photos=photos)


with strategy.scope():  # step 2 trains this head further: built and reloaded in the scope
    head = training.book_head(conv_base.output_shape[1:], len(class_names))
    head.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=WARMUP_LEARNING_RATE),
        loss=loss,
        metrics=["accuracy"],
    )
    head, warmup, warmup_seconds = training.fit_keep_best(
        head,
        features["train"],
        (features["validation"], labels["validation"]),
        y=labels["train"],
        batch_size=BATCH_SIZE,
        epochs=WARMUP_EPOCHS,
        checkpoint=CHECKPOINTS / f"{PREFIX}_tlearn_finetune_warmup_head.keras",
        log=Path(RESULTS_DIR) / f"{PREFIX}_tlearn_finetune_warmup.csv",
        verbose=2,
    )
warmup_facts = training.summarize(warmup)
print("warm-up:", warmup_facts)
result("warm-up: head on cached features, base frozen", warmup_facts, warmup_seconds, len(keep))

# %% [markdown]
# ## Step 2: unfreeze blocks 4 and 5, fine-tune with a low learning rate (the book's route)
#
# One model: raw photo → augmentation (notebook 03's layers, active in training only) → VGG-16
# preprocessing → base → the warm head. Then the loop: a layer trains when its name starts
# with one of `UNFROZEN_BLOCKS`. `conv_base.trainable = True` first, because a model whose own
# flag is off freezes everything inside it whatever the layers say. Keras reads the flags when
# the model is compiled, so we compile after setting them. This route runs every photo through
# all 13 convolution layers at every step: a GPU's work (`EPOCHS = 0` skips it).


# %%
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
        x = conv_base(x, training=False)
        outputs = head(x)
        model = keras.Model(inputs, outputs, name="vgg16_finetuned")

        conv_base.trainable = True
        for layer in conv_base.layers:
            layer.trainable = layer.name.startswith(tuple(UNFROZEN_BLOCKS))

        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=LEARNING_RATE),
            loss=loss,
            metrics=["accuracy"],
        )
    model.summary()
    display(pretrained.layer_table(conv_base))

# %% [markdown]
# `fit` with the same callbacks as before; the checkpoint keeps the best epoch's weights
# (`save_weights_only`), which we load back. The saved model is raw photo → preprocessing →
# fine-tuned base → head. It leaves the augmentation out: it does nothing outside training,
# and the file stays loadable anywhere (in Keras 3.15 a saved `RandomShear` layer does not
# load back). The trainable flags go with it.

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
        photo_model(conv_base, head, "vgg16_finetuned"),
        Path(MODELS_DIR) / f"{BOOK_NAME}.h5",
        class_names,
        **facts,
        train_seconds=train_seconds,
        notebook="06",
        learning_rate=LEARNING_RATE,
        unfrozen_blocks=UNFROZEN_BLOCKS,
        route="direct",
        warmup_epochs=WARMUP_EPOCHS,
        validation_photos=len(keep),
    )
    name = f"fine-tuned {'+'.join(UNFROZEN_BLOCKS)}, RMSprop (book + warm-up)"
    result(name, facts, train_seconds, len(keep))

# %% [markdown]
# ## Step 3: fine-tuning block 5 from cached activations (the CPU route)
#
# Block 5 only is unfrozen and trained with SGD at 1e-4, momentum 0.9 (the 2016 Keras blog
# post's optimizer), starting from a head trained on the frozen base's features.
#
# **What is the same as training on photos, and what is not.** Blocks 1-4 stay frozen, so for
# a given photo their output `block4_pool` never changes during training: gradients stop at
# block 5, and the forward pass through blocks 1-4 computes the same numbers every epoch. So
# the arithmetic of one training step, block 5 and the head forward and backward on a batch of
# `block4_pool` activations, is the same as a step on those photos with blocks 1-4 frozen
# (up to the float16 rounding of the stored activations, at most 0.05%), at about a fifth of
# the cost: block 5's forward pass is some 1.2 of VGG-16's 13 GFLOP per 150 px photo, its
# backward pass about twice that, and a step on photos adds the 12 GFLOP of blocks 1-4. What
# differs is the data the steps see: augmentation can only be a fixed set of `AUG_PASSES`
# augmented versions of each training photo, computed once, instead of a new random version
# at every epoch; each epoch draws as many batches as the training split holds from the plain
# activations and those passes together, and flips the activation maps left-right at random
# (the maps of a mirrored photo are close to mirrored maps, not equal). And the head is
# another one (below).
#
# The model for the activations is the preprocessing and blocks 1-4 of a fresh VGG-16 (step 2
# may have changed `conv_base`), cut at `block4_pool`. `cache.predict` gives its output for
# the training photos, the validation photos and each augmented pass; these are the very
# activations notebooks 04 and 05 went through, so after them nothing is computed here.

# %%
with strategy.scope():
    cached_base = vgg16()
blocks1_4 = keras.Sequential(
    [
        keras.Input(shape=SHAPE),
        preprocess,
        keras.Model(cached_base.input, cached_base.get_layer("block4_pool").output),
    ],
    name="blocks1_4",
)
activations = {
    split: cache.predict(blocks1_4, ds, f"{split}_block4_pool", CACHE_DIR)
    for split, ds in datasets.items()
}
passes = [activations["train"]] + [
    cache.predict(
        blocks1_4,
        datasets["train"],
        f"train_aug{k}_block4_pool",
        CACHE_DIR,
        augment=augment.book_augmentation(seed=SEED + 1000 * (k + 1)),
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
# it here). It is warmed up on the cached bottleneck features first, in seconds, like the head
# of step 1.

# %%
with strategy.scope():
    cached_head = keras.Sequential(
        [
            keras.Input(shape=conv_base.output_shape[1:]),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dropout(0.5),
            training.output_layer(len(class_names)),
        ],
        name="head",
    )
    cached_head.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss=loss, metrics=["accuracy"]
    )
    cached_head, _, _ = training.fit_keep_best(
        cached_head,
        features["train"],
        (features["validation"], labels["validation"]),
        y=labels["train"],
        batch_size=BATCH_SIZE,
        epochs=CACHED_WARMUP_EPOCHS,
        checkpoint=CHECKPOINTS / f"{PREFIX}_tlearn_finetune_block5_head.keras",
        log=Path(RESULTS_DIR) / f"{PREFIX}_tlearn_finetune_block5_head.csv",
        verbose=2,
    )

# %% [markdown]
# The trainable part is the fresh VGG-16's own block 5 (its three `Conv2D` and its
# `MaxPooling2D`, the same layer objects, so training them trains that VGG-16) and the warm
# head; in front of them, during training only, `RandomFlip` on the activation maps. A
# `tf.data` pipeline draws shuffled batches of indices and gathers their activations, so the
# arrays are never copied.

# %%
with strategy.scope():
    cached_model = keras.Sequential(
        [
            keras.Input(shape=activations["train"].shape[1:]),
            keras.layers.RandomFlip("horizontal", seed=SEED),
            *[layer for layer in cached_base.layers if layer.name.startswith("block5")],
            cached_head,
        ],
        name="vgg16_block5_on_activations",
    )
    cached_model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=CACHED_LEARNING_RATE, momentum=0.9),
        loss=loss,
        metrics=["accuracy"],
    )
cached_model.summary()

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
# ## The saved model: the VGG-16 whose block 5 was fine-tuned
#
# The VGG-16 whose block 5 just trained, block 5 marked trainable as it was trained, and the
# head on top: raw photo → preprocessing → VGG-16 → head, the same kind of model as every
# other, so notebook 07 and `predict.py` need nothing special. Without the book's route
# (`EPOCHS = 0`) it is also saved under the book's name, for notebook 07. The check below
# predicts a few validation photos with the saved model and their cached activations with the
# model just trained: the difference is the float16 rounding of the activations.

# %%
if CACHED_EPOCHS:
    for layer in cached_base.layers:
        layer.trainable = layer.name.startswith("block5")
    cached_photo_model = photo_model(cached_base, cached_model.layers[-1], "vgg16_block5_sgd")
    for name in [CACHED_NAME] + ([] if EPOCHS else [BOOK_NAME]):
        saving.save_model(
            cached_photo_model,
            Path(MODELS_DIR) / f"{name}.h5",
            class_names,
            **cached_facts,
            train_seconds=cached_seconds,
            notebook="06",
            learning_rate=CACHED_LEARNING_RATE,
            unfrozen_blocks=["block5"],
            route="cached block4_pool activations",
            augmented_passes=AUG_PASSES,
            features_precision=MIXED_PRECISION,
        )
    few = slice(0, 2 * BATCH_SIZE)
    photos = data.read_images(datasets["validation"].file_paths[few], IMAGE_SIZE, raw=True)
    on_photos = cached_photo_model.predict(photos, verbose=0)
    on_activations = cached_model.predict(activations["validation"][few], verbose=0)
    print(
        f"saved model on photos vs trained model on cached activations, largest difference "
        f"in probability: {np.abs(on_photos - on_activations).max():.2e}"
    )
    name = "fine-tuned block5 on cached activations, SGD"
    result(name, cached_facts, cached_seconds, len(labels["validation"]))

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
# 2026-11-24, 09:46 UTC, the previous version of this notebook), of which 4.4 minutes for the
# 5 epochs, in bfloat16. After notebooks 04 and 05 nothing here runs blocks 1-4: their output
# comes from the cache.
