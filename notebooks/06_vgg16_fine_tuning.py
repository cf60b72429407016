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
# 3. run the **course slides' recipe** (from the Keras blog post the course follows): only
#    block 5 unfrozen, SGD with learning rate 1e-4 and momentum 0.9, starting from a trained
#    head.
#
# The models are compared on the validation split; notebook 07 scores them on the test split.

# %% [markdown]
# ## Setup
#
# `EPOCHS` fine-tuning epochs (the book's 100) after `WARMUP_EPOCHS` of the head alone on
# cached features; `UNFROZEN_BLOCKS` the blocks that train. The slides' variant runs
# `SLIDES_EPOCHS` (`0` skips it) with `SLIDES_UNFROZEN_BLOCKS`. On a CPU every fine-tuning step
# runs the whole base forward and the unfrozen blocks backward, a few photos per second:
# `STEPS_PER_EPOCH` batches per epoch and `VALIDATION_PER_CLASS` validation photos per class
# turn it down (`None`: everything). `WEIGHTS` and `MIXED_PRECISION` as in notebook 04.

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
SLIDES_EPOCHS = 50
SLIDES_LEARNING_RATE = 1e-4
SLIDES_UNFROZEN_BLOCKS = ["block5"]

# %%
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from IPython.display import display

from utils import augment, cache, data, plots, pretrained, saving, training

keras.utils.set_random_seed(SEED)
for folder in (MODELS_DIR, RESULTS_DIR, CACHE_DIR):
    Path(folder).mkdir(parents=True, exist_ok=True)
SIZE = (IMAGE_SIZE, IMAGE_SIZE)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
BOOK_NAME = "cats_dogs_tlearn_finetune_img_aug_cnn"
SLIDES_NAME = "cats_dogs_tlearn_finetune_block5_sgd_cnn"
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
# VGG-16 behind its own preprocessing layer, as in notebook 04. While it is frozen, its output
# for each photo never changes, so the head trains on the bottleneck features of notebook 04:
# `CACHE_DIR/vgg16_150px/{train,validation}_features.npy`, loaded when their key matches
# (same weights, photos, size and precision), computed and saved otherwise.

# %%
base = keras.applications.VGG16(
    include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
)
preprocess = pretrained.preprocessing_layer("vgg16")
extraction_base = base
PRECISION = "mixed_bfloat16" if MIXED_PRECISION else "float32"
if MIXED_PRECISION:  # the same weights, computing in bfloat16
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    extraction_base = keras.applications.VGG16(include_top=False, weights=None, input_shape=SHAPE)
    keras.mixed_precision.set_global_policy("float32")
    extraction_base.set_weights(base.get_weights())
extractor = keras.Sequential(
    [keras.Input(shape=SHAPE), preprocess, extraction_base], name="vgg16_extractor"
)
FEATURES_DIR = Path(CACHE_DIR) / (f"vgg16_{IMAGE_SIZE}px" + ("_bf16" if MIXED_PRECISION else ""))
extractor_fingerprint = cache.weights_fingerprint(extractor)


def bottleneck_features(split: str) -> np.ndarray:
    """The extractor's output for one split: loaded when cached with the same key, else computed."""
    path = FEATURES_DIR / f"{split}_features.npy"
    key = cache.key(
        model=extractor_fingerprint,
        files=cache.files_fingerprint(paths[split]),
        image_size=IMAGE_SIZE,
        precision=PRECISION,
    )
    start = time.perf_counter()
    features = cache.load(path, key)
    how = "loaded from the cache"
    if features is None:
        photos = data.image_dataset(paths[split], labels[split], SIZE, BATCH_SIZE)
        features = extractor.predict(photos, verbose=0).astype("float32")
        cache.save(path, features, key)
        cache.save(FEATURES_DIR / f"{split}_labels.npy", labels[split], key)
        how = "computed"
    print(f"{split}: {features.shape} {how} in {time.perf_counter() - start:.1f} s -> {path}")
    return features


features = {split: bottleneck_features(split) for split in ("train", "validation")}

# %% [markdown]
# The book's head of notebook 04, trained on the cached features with RMSprop at 1e-4; the
# best epoch (lowest validation loss) is kept and reloaded.


# %%
def book_head() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input(shape=base.output_shape[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dropout(0.3),
            training.output_layer(len(class_names)),
        ],
        name="head",
    )


head = book_head()
head.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=WARMUP_LEARNING_RATE),
    loss=training.loss_for(len(class_names)),
    metrics=["accuracy"],
)
warmup_path = CHECKPOINTS / "cats_dogs_tlearn_finetune_warmup_head.keras"
start = time.perf_counter()
warmup = head.fit(
    features["train"],
    labels["train"],
    validation_data=(features["validation"], labels["validation"]),
    epochs=WARMUP_EPOCHS,
    batch_size=BATCH_SIZE,
    callbacks=[
        keras.callbacks.ModelCheckpoint(warmup_path, monitor="val_loss", save_best_only=True),
        keras.callbacks.CSVLogger(Path(RESULTS_DIR) / "cats_dogs_tlearn_finetune_warmup.csv"),
    ],
    verbose=2,
)
warmup_seconds = round(time.perf_counter() - start, 1)
head = keras.models.load_model(warmup_path)
warmup_facts = training.summarize(training.history_frame(warmup))
print("warm-up:", warmup_facts)

# %% [markdown]
# ## Step 2: unfreeze blocks 4 and 5, fine-tune with a low learning rate
#
# One model: raw photo → augmentation (notebook 03's layers, active in training only) → VGG-16
# preprocessing → base → the warm head. Then the loop: a layer trains when its name starts
# with one of `UNFROZEN_BLOCKS`. `base.trainable = True` first, because a model whose own flag
# is off freezes everything inside it whatever the layers say. Keras reads the flags when the
# model is compiled, so we compile after setting them.

# %%
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
pretrained.layer_table(base)

# %% [markdown]
# `fit` with the same callbacks as before; the checkpoint keeps the best epoch's weights
# (`save_weights_only`), which we load back.

# %%
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
fig = plots.plot_history(history, f"Fine-tuning VGG-16 ({', '.join(UNFROZEN_BLOCKS)}), RMSprop")
plots.save_figure(fig, Path(RESULTS_DIR) / f"{BOOK_NAME}_history.png")
print(facts)

# %% [markdown]
# The saved model is raw photo → preprocessing → fine-tuned base → head. It leaves the
# augmentation out: it does nothing outside training, and the file stays loadable anywhere (in
# Keras 3.15 a saved `RandomShear` layer does not load back). The trainable flags go with it.


# %%
def photo_model(base: keras.Model, head: keras.Model, name: str) -> keras.Model:
    inputs = keras.Input(shape=SHAPE, name="image")
    x = preprocess(inputs)
    x = base(x, training=False)
    return keras.Model(inputs, head(x), name=name)


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
    warmup_epochs=WARMUP_EPOCHS,
    warmup_seconds=warmup_seconds,
    steps_per_epoch=STEPS_PER_EPOCH,
    validation_photos=len(keep),
)
results = [
    {
        "model": "warm-up: head on cached features, base frozen",
        "epochs": warmup_facts["epochs"],
        "train_seconds": warmup_seconds,
        "best_epoch_val_accuracy": warmup_facts["best_epoch_val_accuracy"],
        "validation_photos": len(labels["validation"]),
    },
    {
        "model": f"fine-tuned {'+'.join(UNFROZEN_BLOCKS)}, RMSprop (book + warm-up)",
        "epochs": facts["epochs"],
        "train_seconds": train_seconds,
        "best_epoch_val_accuracy": facts["best_epoch_val_accuracy"],
        "validation_photos": len(keep),
    },
]

# %% [markdown]
# ## The course slides' recipe: block 5 only, SGD
#
# The slides start from notebook 04's model: the frozen ImageNet base with the head trained on
# its cached features. Our warm-up head of step 1 is that same head (same recipe, same
# features), saved before step 2 changed it, so we start from a copy of it: this notebook does
# not need notebook 04 to have run. A fresh VGG-16 with the ImageNet weights, only block 5
# unfrozen, SGD at 1e-4 with momentum 0.9, whose small steady steps suit fine-tuning.

# %%
if SLIDES_EPOCHS:
    slides_base = keras.applications.VGG16(
        include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
    )
    for layer in slides_base.layers:
        layer.trainable = layer.name.startswith(tuple(SLIDES_UNFROZEN_BLOCKS))
    slides_head = keras.models.load_model(warmup_path)
    inputs = keras.Input(shape=SHAPE, name="image")
    x = augment.book_augmentation(seed=SEED)(inputs)
    x = preprocess(x)
    x = slides_base(x, training=False)
    slides_model = keras.Model(inputs, slides_head(x), name="vgg16_finetuned_block5_sgd")
    slides_model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=SLIDES_LEARNING_RATE, momentum=0.9),
        loss=training.loss_for(len(class_names)),
        metrics=["accuracy"],
    )
    print(pretrained.count_params(slides_model))
    display(pretrained.layer_table(slides_base).tail(5))

# %%
if SLIDES_EPOCHS:
    checkpoint = CHECKPOINTS / f"{SLIDES_NAME}.weights.h5"
    start = time.perf_counter()
    slides_history = slides_model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=SLIDES_EPOCHS,
        callbacks=[
            keras.callbacks.ModelCheckpoint(
                checkpoint, monitor="val_loss", save_best_only=True, save_weights_only=True
            ),
            keras.callbacks.CSVLogger(Path(RESULTS_DIR) / f"{SLIDES_NAME}_history.csv"),
        ],
        verbose=2,
    )
    slides_seconds = round(time.perf_counter() - start, 1)
    slides_model.load_weights(checkpoint)
    slides_history = training.history_frame(slides_history)
    slides_facts = training.summarize(slides_history)
    saving.save_model(
        photo_model(slides_base, slides_head, "vgg16_finetuned_block5_sgd"),
        Path(MODELS_DIR) / f"{SLIDES_NAME}.h5",
        class_names,
        **slides_facts,
        train_seconds=slides_seconds,
        notebook="06",
        learning_rate=SLIDES_LEARNING_RATE,
        optimizer="SGD, momentum 0.9",
        unfrozen_blocks=SLIDES_UNFROZEN_BLOCKS,
        started_from="warm-up head of step 1 (notebook 04's recipe)",
        steps_per_epoch=STEPS_PER_EPOCH,
        validation_photos=len(keep),
    )
    fig = plots.plot_history(slides_history, "Fine-tuning block 5, SGD (slides)")
    plots.save_figure(fig, Path(RESULTS_DIR) / f"{SLIDES_NAME}_history.png")
    print(slides_facts)
    results.append(
        {
            "model": f"fine-tuned {'+'.join(SLIDES_UNFROZEN_BLOCKS)}, SGD (slides)",
            "epochs": slides_facts["epochs"],
            "train_seconds": slides_seconds,
            "best_epoch_val_accuracy": slides_facts["best_epoch_val_accuracy"],
            "validation_photos": len(keep),
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
table.round(4)

# %% [markdown]
# ## Takeaways
#
# - Fine-tuning = unfreeze some layers (`layer.trainable = ...` in a loop over `base.layers`),
#   **recompile**, and train with a learning rate 10 to 100 times lower than for a new head.
# - Train the new head on the frozen base first; with cached features it costs seconds.
# - Keep the early blocks frozen: their edges and textures serve any photo, and fewer
#   trainable weights overfit less on 3,000 photos.
# - A fine-tuned base no longer matches cached features: everything after this trains and
#   predicts on photos.
#
# ## What a full run costs
#
# Book settings (100 epochs on 3,000 augmented photos at 150 px, plus 50 for the slides'
# variant) on a GPU: not measured here. `cpu` profile on a 2-core laptop: the previous
# version of this notebook took 18.5 minutes (BENCHMARKS.md, 2-core AMD EPYC, 2026-11-23: 2
# epochs of 20 batches, 100 validation photos per class, 1 slides epoch, and the test photos
# scored); this version is not measured yet.
