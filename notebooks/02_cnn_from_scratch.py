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
# # Cats vs dogs: CNNs from scratch
#
# **Description:** train two small convolutional networks on 3,000 photos, with no
# pre-trained knowledge, to set the baseline that transfer learning has to beat.
#
# ## Introduction
#
# Chapter 5 of the book starts its cats-vs-dogs case study without transfer learning: a
# network learns every filter from our 3,000 training photos alone. This notebook rebuilds
# the chapter's first two models:
#
# 1. **Basic CNN**: three convolution and pooling blocks and a dense layer. It learns the
#    training set almost by heart and stalls at about 72% validation accuracy in the book:
#    a textbook case of overfitting.
# 2. **CNN with regularization**: one more convolution block and dropout between the dense
#    layers, which the book reports at about 78%.
#
# You will see how to build both with Keras 3, train them with callbacks that keep the best
# weights and log the history, read the accuracy and loss curves, and save the models
# (`.h5` plus the class names) for the evaluation in notebook 07. Image augmentation, the
# chapter's third model, is notebook 03.

# %% [markdown]
# ## Setup

# %% tags=["parameters"]
DATA_DIR = "../data/cats-vs-dogs"
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
IMAGE_SIZE = 150
BATCH_SIZE = 30
EPOCHS = 30
SEED = 42
LEARNING_RATE = 1e-3
DISTRIBUTE = None  # "mirrored": every GPU; "mirrored:2": two logical CPU devices

# %%
from pathlib import Path

import keras
import pandas as pd

from utils import data, distribute, models, plots, training

training.set_seed(SEED)
strategy = distribute.get_strategy(DISTRIBUTE)  # None: one device; "mirrored": every GPU
RESULTS = Path(RESULTS_DIR)
RESULTS.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The data
#
# The split built by `build_dataset.py` (1,500 cats and 1,500 dogs for training, 500 of each
# for validation and for test in the book's setting) is streamed from disk with `tf.data`.
# Images are resized to `IMAGE_SIZE` pixels and stay raw RGB values in [0, 255]: scaling to
# [0, 1], which the book does in its data generator, is a layer inside each model, so a saved
# model takes the same raw photos anywhere. The training set is reshuffled every epoch.

# %%
datasets, class_names = data.split_datasets(
    DATA_DIR, (IMAGE_SIZE, IMAGE_SIZE), BATCH_SIZE, seed=SEED
)
n_classes = len(class_names)
counts = {s: len(data.list_images(Path(DATA_DIR) / s, class_names)[0]) for s in data.SPLITS}
print("classes:", dict(enumerate(class_names)))
print("images per split:", counts)

# %% [markdown]
# ## Basic CNN
#
# Three blocks of a 3x3 convolution (16, 64 and 128 filters) and 2x2 max pooling extract
# features; a 512-unit dense layer and a single sigmoid unit (the probability of *dog*)
# classify them. Nearly all of its 19 million weights sit in that dense layer, fed by a
# flattened 17x17x128 map: plenty of capacity to memorize 3,000 photos. As in the book it is
# trained with RMSprop at its default learning rate and binary cross-entropy.

# %%
with strategy.scope():
    basic = models.basic_cnn(IMAGE_SIZE, n_classes)
    training.compile_for(basic, n_classes, keras.optimizers.RMSprop(LEARNING_RATE))
basic.summary()

# %% [markdown]
# `fit_and_save` trains with Keras callbacks: `ModelCheckpoint` keeps the weights of the
# epoch with the lowest validation loss, `CSVLogger` writes the history to `RESULTS_DIR`.
# At the end the best weights are restored and saved as `.h5` with a JSON sidecar (class
# names, epochs, best epoch, training time).

# %%
run_facts = {"notebook": "02", "batch_size": BATCH_SIZE, "seed": SEED}
basic_history = training.fit_and_save(
    basic,
    datasets["train"],
    datasets["validation"],
    epochs=EPOCHS,
    name="cats_dogs_basic_cnn",
    class_names=class_names,
    models_dir=MODELS_DIR,
    results_dir=RESULTS_DIR,
    learning_rate=LEARNING_RATE,
    **run_facts,
)
print(training.summarize(basic_history))

# %% [markdown]
# Training accuracy climbs towards 100% while validation accuracy levels off after a few
# epochs and validation loss rises again: the network memorizes the training photos instead
# of learning what cats and dogs look like. The dotted line marks the epoch whose weights
# were kept.

# %%
fig = plots.plot_history(basic_history, "Basic CNN performance")
print("saved", plots.save_figure(fig, RESULTS / "cats_dogs_basic_cnn_history.png"))
# %% [markdown]
# ## CNN with regularization
#
# The book's answer to overfitting is twofold: a fourth convolution block (128 filters),
# which shrinks the flattened map to 7x7x128 and the model to 3.7 million weights, and
# dropout, which silences a random 30% of the dense units at each training step so no unit
# can rely on a few others.

# %%
with strategy.scope():
    dropout = models.cnn_with_dropout(IMAGE_SIZE, n_classes)
    training.compile_for(dropout, n_classes, keras.optimizers.RMSprop(LEARNING_RATE))
dropout.summary()

# %%
dropout_history = training.fit_and_save(
    dropout,
    datasets["train"],
    datasets["validation"],
    epochs=EPOCHS,
    name="cats_dogs_cnn_dropout",
    class_names=class_names,
    models_dir=MODELS_DIR,
    results_dir=RESULTS_DIR,
    learning_rate=LEARNING_RATE,
    **run_facts,
)
print(training.summarize(dropout_history))

# %% [markdown]
# Validation accuracy gains a few points, yet the two curves still drift apart: with only
# 3,000 photos, the network keeps finding ways to memorize them. More (varied) data is the
# next remedy, which is what augmentation simulates in notebook 03.

# %%
fig = plots.plot_history(dropout_history, "CNN with dropout performance")
print("saved", plots.save_figure(fig, RESULTS / "cats_dogs_cnn_dropout_history.png"))
# %% [markdown]
# ## Test accuracy
#
# A first look at the held-out test split (the full evaluation, with confusion matrices and
# per-class scores, is notebook 07). The models are reloaded from their `.h5` files, which
# also checks that what was saved predicts like what was trained.

# %%
rows = [
    training.score_saved(Path(MODELS_DIR) / f"{name}.h5", datasets["test"], trained)
    for name, trained in (("cats_dogs_basic_cnn", basic), ("cats_dogs_cnn_dropout", dropout))
]
summary = pd.DataFrame(rows).set_index("model")
summary.to_csv(RESULTS / "02_cnn_from_scratch_summary.csv")
print(summary.T.to_string())

# %% [markdown]
# ## Takeaways
#
# - A CNN trained from scratch on 3,000 photos overfits fast: the best validation loss comes
#   after a handful of epochs, which is why we keep the best weights rather than the last.
# - Dropout and a smaller dense layer help, but only a little; the models still see too few
#   photos.
# - Next: notebook 03 adds image augmentation; notebooks 04-06 bring in transfer learning.
