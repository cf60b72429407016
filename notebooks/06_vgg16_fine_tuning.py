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
# and trains with RMSprop at a very low learning rate (1e-5) with augmentation.
#
# Two changes to the book's recipe, plus a second recipe:
#
# 1. **Warm the head up first.** The book puts a freshly initialised head on the base and
#    unfreezes the blocks at once: the first updates, driven by a random head, push large
#    gradients into the pretrained blocks and damage what they know. Keras' own
#    transfer-learning guide trains the new head on the frozen base first. With the base frozen
#    that is notebook 04's training on cached features: seconds, not hours.
# 2. **The course slides' recipe** (from the Keras blog post the course follows): unfreeze only
#    block 5, start from the head trained in notebook 04, and use SGD (learning rate 1e-4,
#    momentum 0.9), whose small steady steps suit fine-tuning.
#
# On a CPU fine-tuning is slow: every photo goes forward through the whole base and backward
# through the unfrozen blocks, a few photos per second on a laptop. `STEPS_PER_EPOCH`,
# `VALIDATION_PER_CLASS` and `TEST_PER_CLASS` turn it down; a GPU runs the book's 100 epochs in
# well under an hour.

# %% [markdown]
# ## Setup
#
# `EPOCHS` fine-tuning epochs (the book's 100) after `WARMUP_EPOCHS` of the head alone; the
# slides' variant runs `SLIDES_EPOCHS` (`0` skips it) and needs notebook 04's model in
# `MODELS_DIR`.

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
MIXED_PRECISION = False  # True: reuse/compute cached features in bfloat16, as 04 can
FROM_BLOCK = "block4"
WARMUP_EPOCHS = 30
WARMUP_LEARNING_RATE = 1e-4
STEPS_PER_EPOCH = None
VALIDATION_PER_CLASS = None
TEST_PER_CLASS = None
SLIDES_EPOCHS = 50
SLIDES_LEARNING_RATE = 1e-4
SLIDES_FROM_BLOCK = "block5"

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
SIZE = (IMAGE_SIZE, IMAGE_SIZE)
BOOK_NAME = "cats_dogs_tlearn_finetune_img_aug_cnn"
notebook_start = time.perf_counter()

# %% [markdown]
# ## Data
#
# Augmented training photos (the book's settings, training split only); validation and test
# photos as they are, class-balanced subsets when `VALIDATION_PER_CLASS` / `TEST_PER_CLASS` are
# set.

# %%
class_names = data.class_names(Path(DATA_DIR) / "train")
paths, labels = {}, {}
for name, per_class in (("train", None), ("validation", VALIDATION_PER_CLASS),
                        ("test", TEST_PER_CLASS)):  # fmt: skip
    p, y, _ = data.list_images(Path(DATA_DIR) / name, class_names)
    keep = features.per_class_indices(y, per_class)
    paths[name], labels[name] = [p[i] for i in keep], y[keep]
train_ds = data.image_dataset(
    paths["train"], labels["train"], SIZE, BATCH_SIZE, shuffle=True, seed=SEED,
    augment=augment.book_augmentation(seed=SEED),
)  # fmt: skip
if STEPS_PER_EPOCH:
    train_ds = train_ds.take(STEPS_PER_EPOCH)
val_ds = data.image_dataset(paths["validation"], labels["validation"], SIZE, BATCH_SIZE)
test_ds = data.image_dataset(paths["test"], labels["test"], SIZE, BATCH_SIZE)
print({k: len(v) for k, v in paths.items()}, "| steps per epoch:", STEPS_PER_EPOCH or "all")

# %% [markdown]
# ## Step 1: warm the new head up on the frozen base
#
# With the base frozen, the head trains on the bottleneck features notebook 04 cached (a cache
# hit when the split, size and weights are the same).

# %%
base = pretrained.load_backbone("vgg16", weights=WEIGHTS, input_shape=SHAPE, trainable=False)
cached = features.split_features(
    pretrained.feature_extractor(base, WEIGHTS, MIXED_PRECISION),
    DATA_DIR,
    IMAGE_SIZE,
    "vgg16",
    BATCH_SIZE,
    CACHE_DIR,
    ("train", "validation"),
    "vgg16",
)
display(cached.stats)
head = heads.book_head(base.output_shape[1:], n_classes=len(class_names))
training.compile_for(head, len(class_names), keras.optimizers.RMSprop(WARMUP_LEARNING_RATE))
warmup = training.fit_and_save(
    head,
    heads.array_dataset(cached.features["train"], cached.labels["train"], BATCH_SIZE, True, SEED),
    heads.array_dataset(cached.features["validation"], cached.labels["validation"], BATCH_SIZE),
    epochs=WARMUP_EPOCHS, name="cats_dogs_tlearn_finetune_warmup_head", class_names=class_names,
    models_dir=MODELS_DIR, results_dir=RESULTS_DIR, input="vgg16 bottleneck features",
    notebook="06", learning_rate=WARMUP_LEARNING_RATE,
)  # fmt: skip
warmup_info = saving.load_info(Path(MODELS_DIR) / "cats_dogs_tlearn_finetune_warmup_head.h5")
print("warm-up: best validation accuracy", warmup_info["best_epoch_val_accuracy"])

# %% [markdown]
# ## Step 2: unfreeze blocks 4 and 5, fine-tune with a low learning rate
#
# The trainable flags, layer by layer: blocks 1 to 3 stay frozen, blocks 4 and 5 train.
# (Keras reads the flags when the model is compiled, so we compile after setting them.)

# %%
model = heads.transfer_model(base, head, "vgg16", name="vgg16_finetuned")
pretrained.set_trainable_blocks(base, FROM_BLOCK)
display(pretrained.layer_table(base))
training.compile_for(model, len(class_names), keras.optimizers.RMSprop(LEARNING_RATE))
print(pretrained.trainable_summary(model))

# %%
history = training.fit_and_save(
    model, train_ds, val_ds, epochs=EPOCHS, name=BOOK_NAME, class_names=class_names,
    models_dir=MODELS_DIR, results_dir=RESULTS_DIR, unfrozen_from=FROM_BLOCK,
    warmup_epochs=WARMUP_EPOCHS, warmup_seconds=warmup_info["train_seconds"],
    steps_per_epoch=STEPS_PER_EPOCH, validation_images=len(paths["validation"]),
    notebook="06", learning_rate=LEARNING_RATE,
)  # fmt: skip
fig = plots.plot_history(history, f"Fine-tuning VGG-16 from {FROM_BLOCK}, RMSprop")
plots.save_figure(fig, Path(RESULTS_DIR) / f"{BOOK_NAME}_history.png")

# %% [markdown]
# The fine-tuned base changed, so cached features no longer describe it: the test accuracy
# comes from the saved model, reloaded, on the test photos. We also check that the reloaded
# model predicts exactly what the model in memory predicts.

# %%
results = []


def evaluate(name: str, label: str, in_memory: keras.Model) -> dict:
    """Test accuracy of a saved model on the test photos, with its training facts."""
    saved, info = saving.load_model(Path(MODELS_DIR) / f"{name}.h5")
    photos = next(iter(test_ds))[0]
    diff = float(np.abs(saved(photos) - in_memory(photos, training=False)).max())
    print(f"{name}: reloaded vs in memory, max difference {diff:.2e}")
    start = time.perf_counter()
    acc = training.evaluate_accuracy(saved, test_ds)
    return {
        "model": label,
        "epochs": info["epochs"],
        "train_seconds": info["train_seconds"],
        "seconds_per_epoch": info["seconds_per_epoch"],
        "best_epoch_val_accuracy": info["best_epoch_val_accuracy"],
        "test_accuracy": acc,
        "test_images": len(paths["test"]),
        "test_seconds": round(time.perf_counter() - start, 1),
    }


results.append(
    evaluate(BOOK_NAME, f"fine-tuned from {FROM_BLOCK}, RMSprop (book + warm-up)", model)
)
display(results[-1])

# %% [markdown]
# ## The course slides' recipe: block 5 only, SGD, from notebook 04's head
#
# Notebook 04's saved model (frozen base plus the head trained on cached features) is the
# starting point: its head is already warm. Only block 5 is unfrozen.

# %%
slides_name = "cats_dogs_tlearn_finetune_block5_sgd_cnn"
if SLIDES_EPOCHS:
    start_path = Path(MODELS_DIR) / "cats_dogs_tlearn_basic_cnn.h5"
    slides_model, start_info = saving.load_model(start_path)
    if list(start_info["image_size"]) != [IMAGE_SIZE, IMAGE_SIZE]:
        raise ValueError(f"{start_path} takes {start_info['image_size']} images, not {SIZE}")
    slides_base, _ = heads.parts(slides_model)
    pretrained.set_trainable_blocks(slides_base, SLIDES_FROM_BLOCK)
    display(pretrained.layer_table(slides_base).tail(6))
    training.compile_for(
        slides_model, len(class_names),
        keras.optimizers.SGD(learning_rate=SLIDES_LEARNING_RATE, momentum=0.9),
    )  # fmt: skip
    slides_history = training.fit_and_save(
        slides_model, train_ds, val_ds, epochs=SLIDES_EPOCHS, name=slides_name,
        class_names=class_names, models_dir=MODELS_DIR, results_dir=RESULTS_DIR,
        unfrozen_from=SLIDES_FROM_BLOCK, started_from=start_path.name,
        steps_per_epoch=STEPS_PER_EPOCH, validation_images=len(paths["validation"]),
        notebook="06", learning_rate=SLIDES_LEARNING_RATE,
    )  # fmt: skip
    fig = plots.plot_history(slides_history, f"Fine-tuning from {SLIDES_FROM_BLOCK}, SGD")
    plots.save_figure(fig, Path(RESULTS_DIR) / f"{slides_name}_history.png")

# %%
if SLIDES_EPOCHS:
    results.append(
        evaluate(slides_name, f"fine-tuned from {SLIDES_FROM_BLOCK}, SGD (slides)", slides_model)
    )
    display(results[-1])

# %% [markdown]
# ## Results

# %%
table = pd.DataFrame(results).set_index("model")
table.to_csv(Path(RESULTS_DIR) / "06_vgg16_fine_tuning.csv")
summary = {
    "notebook_seconds": round(time.perf_counter() - notebook_start, 1),
    "test_images": len(paths["test"]),
    "steps_per_epoch": STEPS_PER_EPOCH,
}
(Path(RESULTS_DIR) / "06_summary.json").write_text(json.dumps(summary, indent=2))
print(summary)
table.round(4)
