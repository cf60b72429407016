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
# 1. **Basic CNN**: three convolution and pooling blocks, one dense layer of 512 units and
#    the output unit. In the book's run it fits the training photos ever better while its
#    validation accuracy stalls at about 72% after two or three epochs: overfitting.
# 2. **CNN with regularization** (the *dropout CNN*): a fourth convolution block, a second
#    dense layer of 512 units, and dropout after each of the two dense layers. The book's run
#    reaches about 78% validation accuracy with it.
#
# Those two figures are the book's *validation* accuracies. The book then saves the
# regularised model (not the plain one) under the file name `cats_dogs_basic_cnn.h5`, so
# the one from-scratch *test* figure of its evaluation section, about 78% accuracy for its
# "basic CNN", belongs to the dropout CNN. Here each model keeps its own name:
# `cats_dogs_basic_cnn.h5` is the plain CNN, `cats_dogs_cnn_dropout.h5` the dropout CNN
# (on a folder of your own, `data/<name>/`, they are `<name>_basic_cnn.h5` and so on).
# Whatever your own run gives, the cells print it; the prose only says what happened in
# the book's run.
#
# You will learn how to write both as a `keras.Sequential` model, compile them, train them
# with `model.fit` and two callbacks (`ModelCheckpoint` keeps the best epoch, `CSVLogger`
# writes the history), reload the best model, read the accuracy and loss curves, and save
# the models (`.h5` plus a JSON sidecar with the class names) for the evaluation in
# notebook 07. Image augmentation, the chapter's third model, is notebook 03.

# %% [markdown]
# ## Setup
#
# The parameters below are the book's. `DISTRIBUTE = "mirrored"` trains on every GPU of the
# machine (`tf.distribute.MirroredStrategy`); `"mirrored:2"` tries the same on two logical
# CPU devices.

# %% tags=["parameters"]
DATA_DIR = "../data/cats-vs-dogs"
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
IMAGE_SIZE = 150
BATCH_SIZE = 30
EPOCHS = 30
SEED = 42
LEARNING_RATE = 1e-3
DISTRIBUTE = None

# %%
import utils  # noqa: F401 (first, before Keras: TensorFlow loads without start-up messages)

# isort: split
import time
from pathlib import Path

import keras
import pandas as pd
from keras import layers

from utils import distribute, plots, saving, training

keras.utils.set_random_seed(SEED)
strategy = distribute.get_strategy(DISTRIBUTE)  # None: the default device
PREFIX = saving.model_prefix(DATA_DIR)  # file names: "cats_dogs" here, else your folder's name
MODELS = Path(MODELS_DIR)
RESULTS = Path(RESULTS_DIR)
(MODELS / "checkpoints").mkdir(parents=True, exist_ok=True)
RESULTS.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The data
#
# The split built by `build_dataset.py` (1,500 cats and 1,500 dogs for training, 500 of each
# for validation and for test in the book's setting) is one subfolder per class in each split
# folder, which is what `keras.utils.image_dataset_from_directory` reads: batches of images
# streamed from disk, resized to `IMAGE_SIZE` pixels, with integer labels in the alphabetical
# order of the folders (`cat = 0`, `dog = 1`). Pixels stay raw RGB values in [0, 255]: scaling
# to [0, 1], which the book does in its data generator, is a layer inside each model, so a
# saved model takes the same raw photos anywhere. The training photos are shuffled (again at
# every epoch); validation keeps the training split's class names. The test split stays
# untouched here: it is scored once, for every model, in notebook 07.

# %%
train_ds = keras.utils.image_dataset_from_directory(
    Path(DATA_DIR) / "train", image_size=(IMAGE_SIZE, IMAGE_SIZE), batch_size=BATCH_SIZE, seed=SEED
)
class_names = train_ds.class_names
val_ds = keras.utils.image_dataset_from_directory(
    Path(DATA_DIR) / "validation",
    image_size=(IMAGE_SIZE, IMAGE_SIZE),
    batch_size=BATCH_SIZE,
    shuffle=False,
    class_names=class_names,
)
n_classes = len(class_names)
counts = {"train": len(train_ds.file_paths), "validation": len(val_ds.file_paths)}
print("classes:", dict(enumerate(class_names)))
print("images per split:", counts)
print(f"{len(train_ds)} iterations per epoch (batches of {BATCH_SIZE}, one weight update each)")

# %% [markdown]
# ## Basic CNN
#
# Three blocks of a 3x3 convolution (16, 64 and 128 filters) and 2x2 max pooling extract
# features; a 512-unit dense layer and the output layer classify them. With two classes the
# output is the book's single sigmoid unit (the probability of *dog*) trained with binary
# cross-entropy; on your own folders with three or more classes, a softmax unit per class
# with sparse categorical cross-entropy (the labels are class numbers).
#
# As in the book, the optimizer is RMSprop at its default learning rate, 1e-3
# (`LEARNING_RATE`). The book does not say why; what RMSprop does explains why it is a safe
# default here. Plain gradient descent moves every weight by the same multiple of its
# gradient, yet the gradients of a network's layers can differ by orders of magnitude, so one
# learning rate is too large for some weights and too small for others. RMSprop keeps for
# each weight a running average of its recent squared gradients (`rho=0.9`, roughly the last
# ten steps) and divides that weight's step by the average's square root: a weight whose
# gradient is steady moves by about the learning rate per step, whatever the scale of its
# gradient, and no learning rate has to be tuned layer by layer. G. Hinton proposed it in his
# Coursera course (T. Tieleman and G. Hinton, *Neural Networks for Machine Learning*, lecture
# 6.5, 2012: <http://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf>), and
# it was the usual choice in the Keras examples of the time: F. Chollet's 2016 blog post
# (notebook 11) compiles its models with `"rmsprop"`. Adam, notebook 08's optimizer, adds
# momentum to the same per-weight scaling.


# %%
def output_layer() -> layers.Dense:
    """The book's sigmoid unit for two classes, else one softmax unit per class."""
    if n_classes == 2:
        return layers.Dense(1, activation="sigmoid")
    return layers.Dense(n_classes, activation="softmax")


loss = "binary_crossentropy" if n_classes == 2 else "sparse_categorical_crossentropy"
with strategy.scope():
    basic = keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3)),
            layers.Rescaling(1.0 / 255),
            layers.Conv2D(16, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(128, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            output_layer(),
        ],
        name="basic_cnn",
    )
    basic.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=LEARNING_RATE),
        loss=loss,
        metrics=["accuracy"],
    )
basic.summary()
print(f"basic CNN at {IMAGE_SIZE} px: {basic.count_params():,} parameters")

# %% [markdown]
# The book's basic CNN has 19,024,513 parameters at 150x150 pixels (compare with the line
# above when `IMAGE_SIZE = 150`). Nearly all of them sit in the dense layer, fed by the
# flattened 17x17x128 map of the last pooling layer (at 150 px: 36,992 inputs times 512
# units): plenty of capacity to memorize 3,000 photos.
#
# ### Batches, iterations, epochs
#
# The book fixes four words before it trains (chapter 5; the same passage is in D. Sarkar's
# article "A Comprehensive Hands-on Guide to Transfer Learning with Real-World Applications in
# Deep Learning", Towards Data Science, 2018:
# <https://towardsdatascience.com/a-comprehensive-hands-on-guide-to-transfer-learning-with-real-world-applications-in-deep-learning-212bf3b2f27a>):
#
# - a **batch** is the group of photos the model is given together: `BATCH_SIZE` of them
#   (30, the book's), one element of `train_ds`;
# - an **iteration** (Keras says *step*) is one batch sent forward through the network, its
#   loss computed, and the gradients sent back;
# - a **weight update** ends every iteration: the optimizer (here one RMSprop step) moves each
#   trainable weight once;
# - an **epoch** is one pass over every training photo, so it holds photos / batch size
#   iterations.
#
# With the book's 3,000 training photos in batches of 30, an epoch is 3,000 / 30 = 100
# iterations, so its 30 epochs make 3,000 weight updates. The line printed under "The data"
# gives your split's count (rounded up: a last, smaller batch takes the photos left over), and
# the same count starts each epoch's progress line below (`100/100` with the book's settings).
#
# Training uses two callbacks. `ModelCheckpoint(save_best_only=True)` saves the model
# whenever the validation loss reaches a new low, so the epoch we keep is the best one, not
# the last. `CSVLogger` writes one row per epoch to `RESULTS_DIR` (Keras counts those rows
# from 0; the tables below count epochs from 1, like the progress lines).

# %%
checkpoint = MODELS / "checkpoints" / f"{PREFIX}_basic_cnn.keras"
callbacks = [
    keras.callbacks.ModelCheckpoint(checkpoint, monitor="val_loss", save_best_only=True),
    keras.callbacks.CSVLogger(RESULTS / f"{PREFIX}_basic_cnn_history.csv"),
]
start = time.perf_counter()
history = basic.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, callbacks=callbacks, verbose=2)
train_seconds = time.perf_counter() - start
basic_history = training.history_frame(history)

# %% [markdown]
# The checkpoint holds the best epoch's model. We reload it, measure it on the validation
# split, and save it as `.h5` with its sidecar: the class names and how it was trained.
# Notebook 07 and `predict.py` load these files.

# %%
best_basic = keras.models.load_model(checkpoint)
basic_scores = best_basic.evaluate(val_ds, return_dict=True, verbose=0)
basic_facts = training.summarize(basic_history)
run_facts = {
    "notebook": "02",
    "learning_rate": LEARNING_RATE,
    "batch_size": BATCH_SIZE,
    "seed": SEED,
}
saving.save_model(
    best_basic,
    MODELS / f"{PREFIX}_basic_cnn.h5",
    class_names,
    **basic_facts,
    train_seconds=round(train_seconds, 1),
    **run_facts,  # how it was trained: the same for the dropout CNN below
)
checkpoint.unlink()  # the .h5 holds the same model, without the optimizer's state
print(basic_facts)
print("reloaded best model on validation:", basic_scores)

# %% [markdown]
# Below, the learning curves; the dotted line marks the epoch whose model was kept. What
# overfitting looks like on such curves: training accuracy keeps climbing while validation
# accuracy levels off, and validation loss turns up again, because the network memorizes
# the training photos instead of learning what cats and dogs look like. In the book's run
# that happened after two or three epochs. The cell after the figure reads your run's
# history and says what it did.

# %%
fig = plots.plot_history(basic_history, "Basic CNN performance")
print("saved", plots.save_figure(fig, RESULTS / f"{PREFIX}_basic_cnn_history.png"))


# %% [markdown]
# Two numbers describe the curves. The **train-validation gap** is training minus validation
# accuracy at the kept epoch (`train_val_gap` in the sidecar): near zero, the model does as
# well on photos it never trained on; large, it has memorized. (Keras measures training
# accuracy with dropout active, averaged over the epoch, so it is a slightly pessimistic
# figure for the dropout CNN.) And whether validation loss **turned up** after its lowest
# epoch, or was still falling when training stopped. `training.describe` turns the facts
# printed above into those two lines (read it in `utils/training.py`: a few f-strings); the
# later notebooks print the same two lines for their models.

# %%
print(training.describe(basic_facts, "basic CNN"))

# %% [markdown]
# ## CNN with regularization
#
# The book's answer to overfitting changes three things:
#
# - a fourth convolution block (128 filters), which shrinks the flattened map to 7x7x128 at
#   150 px, so the first dense layer has 6,272 inputs instead of 36,992;
# - a second dense layer of 512 units after the first;
# - dropout (rate 0.3) after each of the two dense layers: at every training step it
#   silences a random 30% of their units, so no unit can rely on a few others.
#
# Together they bring the model from 19 million to 3.7 million weights at 150 px.

# %%
with strategy.scope():
    dropout = keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3)),
            layers.Rescaling(1.0 / 255),
            layers.Conv2D(16, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(128, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(128, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.3),
            output_layer(),
        ],
        name="cnn_dropout",
    )
    optimizer = keras.optimizers.RMSprop(learning_rate=LEARNING_RATE)  # as the basic CNN's
    dropout.compile(optimizer=optimizer, loss=basic.loss, metrics=["accuracy"])
dropout.summary()
print(f"CNN with dropout at {IMAGE_SIZE} px: {dropout.count_params():,} parameters")

# %% [markdown]
# The book's figure at 150x150 pixels: 3,706,113 parameters, 262,656 of them in the second
# Dense 512.
#
# Training it takes the same steps as the basic CNN: `model.fit` with
# `ModelCheckpoint(save_best_only=True)` and `CSVLogger`, then the best epoch's model
# reloaded from the checkpoint, which is deleted. `training.fit_keep_best` does exactly those
# steps in one call (read it in `utils/training.py`: it is the two cells above) and returns
# the reloaded best model, the history table and the training seconds; the later notebooks
# use it too. Measuring and saving are written out as before.

# %%
best_dropout, dropout_history, dropout_seconds = training.fit_keep_best(
    dropout,
    train_ds,
    val_ds,
    epochs=EPOCHS,
    checkpoint=MODELS / "checkpoints" / f"{PREFIX}_cnn_dropout.keras",
    log=RESULTS / f"{PREFIX}_cnn_dropout_history.csv",
    verbose=2,
)
dropout_scores = best_dropout.evaluate(val_ds, return_dict=True, verbose=0)
dropout_facts = training.summarize(dropout_history)
dropout_sidecar = {**dropout_facts, "train_seconds": round(dropout_seconds, 1), **run_facts}
saving.save_model(best_dropout, MODELS / f"{PREFIX}_cnn_dropout.h5", class_names, **dropout_sidecar)
print(dropout_facts)
print("reloaded best model on validation:", dropout_scores)

# %% [markdown]
# In the book's run, the dropout CNN (fourth convolution block, two Dense 512 layers, dropout
# after each) reached about 78% validation accuracy, six points above the basic CNN, yet its
# two curves still drifted apart: with only 3,000 photos, the network kept finding ways to
# memorize them. Compare with your curves and the lines printed below them.

# %%
fig = plots.plot_history(dropout_history, "CNN with dropout performance")
print("saved", plots.save_figure(fig, RESULTS / f"{PREFIX}_cnn_dropout_history.png"))
print(training.describe(dropout_facts, "dropout CNN"))

# %% [markdown]
# ## The two models side by side
#
# A caution before reading the table: with 1,000 validation photos one point of accuracy is
# ten photos, and training is not bit-for-bit repeatable on every machine (the dropout CNN's
# validation accuracy was 0.743 in the `cpu`-profile run of 2026-11-24 in `BENCHMARKS.md` and
# 0.725 in that of 2026-12-03), so read a difference of a point or two as a tie.
#
# Each row is the reloaded best model measured on the validation split (the weights kept by
# the checkpoint: its validation loss is the lowest in the history above). `train_val_gap`
# is training minus validation accuracy at that epoch: how much the model overfits. The
# last two columns are the book's figures, each named by its split: its validation
# accuracies (about 0.72 and 0.78) and its one from-scratch test accuracy (about 0.78), which
# belongs to the dropout CNN because the book saved that model as its "basic" CNN (these
# columns appear on the book's cats-vs-dogs data only). The test split is not scored here:
# notebook 07 scores it once, for every model at once.

# %%
summary = pd.DataFrame(
    [
        {
            "model": name,
            "params": model.count_params(),
            "epochs": len(frame),
            "best_epoch": training.best_epoch(frame),
            "val_loss": scores["loss"],
            "val_accuracy": scores["accuracy"],
            "train_val_gap": training.summarize(frame)["train_val_gap"],
        }
        for name, model, frame, scores in (
            (f"{PREFIX}_basic_cnn", basic, basic_history, basic_scores),
            (f"{PREFIX}_cnn_dropout", dropout, dropout_history, dropout_scores),
        )
    ]
).set_index("model")
summary.to_csv(RESULTS / "02_cnn_from_scratch_summary.csv")  # this run's figures only
book = pd.DataFrame(
    {"book_val_accuracy": [0.72, 0.78], "book_test_accuracy": [None, 0.78]},
    index=summary.index,
)
(summary.join(book) if PREFIX == "cats_dogs" else summary).round(3)  # the book's data only

# %% [markdown]
# The same comparison in words, from the table's numbers:

# %%
basic_acc, dropout_acc = summary["val_accuracy"]
difference = round(100 * (dropout_acc - basic_acc), 1)
side = "above" if difference > 0 else "below"
how = f"{abs(difference)} points {side}" if difference else "level with"
print(f"validation accuracy of the dropout CNN is {dropout_acc:.3f}, ", end="")
print(f"{how} the basic CNN's ({basic_acc:.3f})")
for name, gap in summary["train_val_gap"].items():
    print(f"{name}: train-validation accuracy gap {gap:+.3f}")
if PREFIX == "cats_dogs":
    print("book's run: 0.78 vs 0.72 validation accuracy, 6 points in favour of dropout")

# %% [markdown]
# ## Takeaways
#
# - A CNN is a short `keras.Sequential`: convolution and pooling blocks, `Flatten`, dense
#   layers. `Rescaling(1/255)` inside the model means the saved file takes raw photos.
# - Trained from scratch on 3,000 photos it can overfit within a few epochs (in the book's
#   run after two or three), which is why `ModelCheckpoint(save_best_only=True)` keeps the
#   best epoch and we reload that model rather than use the last one.
# - Overfitting is read from two numbers printed above: the train-validation accuracy gap
#   and whether validation loss turned up.
# - The book's regularisation is a fourth convolution block, a second Dense 512 and dropout
#   after each dense layer; in the book's run it gained six points of validation accuracy
#   (0.72 to 0.78) and still overfit. Compare with the sentence your run printed. Next:
#   notebook 03 adds image augmentation; notebooks 04-06 bring in transfer learning.
#
# ## Try it
#
# Each exercise changes the parameters cell or one cell; run the notebook again from the top.
# For the questions about weights the run can stop after the models' summaries; for those
# about curves, `EPOCHS = 8` (the `cpu` profile's) keeps a run short on a CPU.
#
# 1. **Iterations per epoch.** Set `BATCH_SIZE = 50`, then `BATCH_SIZE = 32`. Read the
#    "iterations per epoch" line under the data and the count that starts each progress line.
#    What do you expect on the book's 3,000 training photos?
#    <details><summary>Answer</summary>
#    60 iterations for batches of 50 (3,000 / 50) and 94 for batches of 32: 93 full batches
#    and a last one of 24 photos. Every photo is still seen once per epoch; only the number
#    of weight updates per epoch changes, so 30 epochs make 1,800 or 2,820 updates instead of
#    3,000.
#    </details>
# 2. **Where the weights are.** Add a cell after the basic CNN's summary:
#    `pd.Series({layer.name: layer.count_params() for layer in basic.layers})`, and the same
#    for `dropout` after its summary. What share of each model sits in its first
#    `Dense(512)` at 150 px?
#    <details><summary>Answer</summary>
#    Basic CNN: 18,940,416 of 19,024,513 weights, 99.6 %: the 36,992 flattened inputs times
#    512 units. Dropout CNN: 3,211,776 of 3,706,113, 86.7 %: the fourth pooling shrinks the
#    flattened map to 6,272 inputs. The convolutions, which do the seeing, hold less than
#    0.5 % of the basic CNN.
#    </details>
# 3. **Smaller photos.** Set `IMAGE_SIZE = 64` and read the two parameter lines. Which
#    layers change their count, and why?
#    <details><summary>Answer</summary>
#    Only the first `Dense(512)` of each model: a convolution's weights do not depend on the
#    size of the photo, but the flattened map does (6 x 6 x 128 for the basic CNN, 2 x 2 x 128
#    for the dropout CNN at 64 px). The basic CNN drops to 2,443,905 weights, the dropout CNN
#    to 756,993.
#    </details>
# 4. **Drop the dropout.** In the dropout CNN's cell delete the two `layers.Dropout(0.3)`
#    lines. Compare the parameter line with before, then the two models' `train_val_gap` and
#    curves with those of a run with dropout.
#    <details><summary>Answer</summary>
#    The parameter count does not move (3,706,113 at 150 px): dropout has no weights, it only
#    silences units while training. So any difference in the gap comes from that silencing
#    alone: with it, no unit can count on the others being there, which makes memorizing the
#    training photos harder. One short run is noisy (see the caution above the table), so
#    read a difference of a point or two as a tie.
#    </details>
# 5. **Another optimizer.** Replace `keras.optimizers.RMSprop` by `keras.optimizers.SGD` (same
#    learning rate) in the basic CNN's cell. Compare the validation curves with RMSprop's.
#    <details><summary>Answer</summary>
#    SGD moves each weight by 1e-3 times its raw gradient, with no per-weight scaling, so the
#    layers whose gradients are small learn slowly, and the same number of epochs may leave
#    the model further from its best. How much further depends on the run; the point is that
#    the learning rate means something different for each optimizer, so changing one usually
#    means tuning the other.
#    </details>
#
# ## What a full run costs
#
# - **Book settings on a GPU** (30 epochs each, 150 px, 3,000 training photos): not measured
#   here.
# - **`cpu` profile on a 2-core laptop** (`python run_all.py --profile cpu`: 64 px photos,
#   batches of 32, 8 epochs each): 7.01 minutes for this notebook (the whole notebook under
#   papermill) on the full split in the run of 2026-12-03 in `BENCHMARKS.md` (2-core AMD
#   EPYC, nothing else running), on a day the machine ran VGG-16 about three times slower
#   than on 2026-11-24 (5.6 photos per second at 180 px in float32, against 16 in
#   bfloat16); the run of 2026-11-24 there took 1.48 minutes. The models are the same
#   layers at any size: at 64 px the flattened maps are smaller, so the dense layers have
#   fewer weights (the counts printed above) and an epoch costs less than at 150 px. Eight
#   epochs leave room for the validation loss to turn up; the lines printed above say
#   whether it did in your run.
