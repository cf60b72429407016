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
# # How much data does transfer save?
#
# **Description:** train the CNN from scratch and a classifier on frozen VGG-16 features on
# 50 to 1,500 photos per class, plot validation accuracy against the number of photos, and
# fit a power law to each curve to see how many photos learning from scratch would need.
#
# ## Introduction
#
# The case study's premise is that we have *little data*: 1,500 photos per class, 3,000 in
# all, where VGG-16 learned from about 1.3 million ImageNet photos. Notebooks 02 to 06
# compare models at that one size. Here the size itself is the variable. You will learn how to:
#
# 1. draw seeded random subsets of 50, 100, 300, 1,000 and 1,500 training photos per class,
#    several per size, and train on each: the basic CNN of notebook 02 from scratch, and a
#    logistic regression on frozen VGG-16 features computed once and cached (one fit per
#    point: the mean seconds per point are printed with the results);
# 2. plot validation accuracy against training-set size on a log axis, with the mean and
#    spread over the subsets;
# 3. fit a power law, `accuracy(n) = a - b * n**(-c)`, to each curve with
#    `scipy.optimize.curve_fit`, and solve it for the number of photos the CNN from scratch
#    would need to match the frozen features (an extrapolation, and said so);
# 4. read from the measured curves, along the data axis, the three ways transfer can help
#    that Torrey and Shavlik (2009) name along the training-time axis: a higher start, a
#    higher slope, a higher asymptote (a reinterpretation, said so where it is read).
#
# The idea of measuring a learning curve and extrapolating it comes from the keras-io example
# "Estimating required sample size for model training" (J. Verster, 2021,
# <https://keras.io/examples/keras_recipes/sample_size_estimate/>), which plots results
# hard-coded from a GPU run; here every point is computed live, and the from-scratch CNN
# stands beside transfer. The models are those of chapter 5 of *Hands-On Transfer Learning
# with Python* (D. Sarkar, R. Bali, T. Ghosh, Packt, 2018); the chapter trains them on 1,500
# photos per class only.
#
# Fine-tuning VGG-16 (notebook 06) would be a third curve. It is left out for its cost on a
# CPU: where a point of the transfer curve here is one logistic regression on features
# computed once, a fine-tuning point would train block 5, 7 million weights, for several
# epochs on its photos (on notebook 06's cached `block4_pool` activations at best), and a
# learning curve needs `REPEATS` x `len(SIZES)` such points, 15 in the `cpu` profile. On all
# 3,000 photos, notebook 06's 5 epochs of block 5 on cached activations took 846.2 s on 2 CPU
# cores in the run of 2026-12-03 (started 15:54 UTC) in `BENCHMARKS.md`, and 263.1 s in its
# run of 2026-11-24, on a day the machine ran VGG-16 about three times faster. With a GPU,
# the same loop with notebook 06's model adds the curve.
#
# Every accuracy here is measured on the **validation** split; the test split is not read.

# %% [markdown]
# ## Setup
#
# `SIZES`: training photos per class at each point; `REPEATS`: random subsets per size
# (seeded by `SEED`, so a re-run draws the same). `IMAGE_SIZE` is the size the VGG-16
# features are computed at (150, the book's and notebook 04's, whose cache this notebook
# reuses when it holds the same photos). The CNN from scratch trains at `CNN_IMAGE_SIZE`
# pixels for at most `EPOCHS` epochs, stopping `PATIENCE` epochs after its best validation
# loss; the book's CNN sees 150 px, and a smaller size (the `cpu` profile's) makes every
# point much cheaper but can cost the CNN some accuracy: say which size your curves used
# when you quote them. `LOGREG_C` is the logistic regression's regularisation, fixed in
# advance (the value of notebook 04's preprocessing comparison), not chosen per point on the
# validation photos the points are scored on. `MIXED_PRECISION` is the dtype policy VGG-16
# computes the features in, as in notebook 04 (`run_all.py` passes the same to both).

# %% tags=["parameters"]
DATA_DIR = "../data/cats-vs-dogs"
RESULTS_DIR = "../results"
CACHE_DIR = "../cache"
WEIGHTS = "imagenet"
IMAGE_SIZE = 150
CNN_IMAGE_SIZE = 150
BATCH_SIZE = 30
EPOCHS = 30
PATIENCE = 3
LEARNING_RATE = 1e-3
LOGREG_C = 0.1
SIZES = [50, 100, 300, 1000, 1500]
REPEATS = 5
SEED = 42

MIXED_PRECISION = "float32"

# %%
import utils  # noqa: F401 (first, before Keras: TensorFlow loads without its start-up messages)

# isort: split
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers
from scipy.optimize import curve_fit
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from utils import cache, data, plots, pretrained, training

notebook_start = time.perf_counter()
keras.utils.set_random_seed(SEED)
RESULTS = Path(RESULTS_DIR)
RESULTS.mkdir(parents=True, exist_ok=True)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)

# %% [markdown]
# ## The photos
#
# The training and validation splits, read as notebook 04 reads them: one
# `keras.utils.image_dataset_from_directory` per split folder, not shuffled (row `i` of
# everything computed from it is photo `i`), with the training folder's class names; each
# photo's label is its folder's position in `class_names`, read from the file paths. Every
# subset below is drawn from the training split; every model is scored on the whole
# validation split.

# %%
class_names = data.class_names(Path(DATA_DIR) / "train")
datasets = {
    split: keras.utils.image_dataset_from_directory(
        Path(DATA_DIR) / split,
        image_size=(IMAGE_SIZE, IMAGE_SIZE),
        batch_size=BATCH_SIZE,
        shuffle=False,
        class_names=class_names,
    )
    for split in ("train", "validation")
}
labels = {  # each photo's label is its folder's position in class_names
    split: np.array([class_names.index(Path(p).parent.name) for p in ds.file_paths])
    for split, ds in datasets.items()
}
paths = {split: ds.file_paths for split, ds in datasets.items()}
n_classes = len(class_names)
available = min(np.bincount(labels["train"]))
print(class_names, {split: len(p) for split, p in paths.items()})
print("training photos per class available:", available)
assert max(SIZES) <= available, f"SIZES go up to {max(SIZES)}, the split has {available}"

# %% [markdown]
# ## Frozen VGG-16 features, computed once
#
# Notebook 04's extractor, built the same way: VGG-16 without its classifier, its dtype
# policy set to `MIXED_PRECISION` around the constructor, frozen, behind its own
# preprocessing layer. `cache.predict` is `extractor.predict(dataset)` saved with `np.save`
# the first time and loaded with `np.load` after, whenever the model (layers, weights,
# precision), the photos and the size are the same: when notebook 04 has run on these photos,
# this cell loads what it computed; otherwise VGG-16 runs over the photos once, and the next
# run (or notebook 04) loads it. Each photo gives 4 x 4 x 512 bottleneck features at 150 px;
# averaging each of the 512 maps over its cells gives the 512 pooled features of notebook
# 04's logistic regression.

# %%
keras.mixed_precision.set_global_policy(MIXED_PRECISION)
conv_base = keras.applications.VGG16(
    include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
)
keras.mixed_precision.set_global_policy("float32")
conv_base.trainable = False
preprocess = pretrained.preprocessing_layer("vgg16")
extractor = keras.Sequential([keras.Input(shape=SHAPE), preprocess, conv_base], name="extractor")
features = {
    split: cache.predict(extractor, ds, f"{split}_features", CACHE_DIR).mean(axis=(1, 2))
    for split, ds in datasets.items()
}
print({split: f.shape for split, f in features.items()})

# %% [markdown]
# ## The photos for the CNN from scratch
#
# The CNN trains on the photos themselves, decoded once at `CNN_IMAGE_SIZE` pixels and kept
# in memory as raw RGB values (uint8, [0, 255]): every subset is then a slice of one array.

# %%
start = time.perf_counter()
photos = {split: data.read_images(paths[split], CNN_IMAGE_SIZE) for split in paths}
print({split: x.shape for split, x in photos.items()}, f"{time.perf_counter() - start:.1f} s")

# %% [markdown]
# ## The two learners
#
# **From scratch**: notebook 02's basic CNN, the same layers (three convolution and pooling
# blocks of 16, 64 and 128 filters, Dense 512, the output unit) at the smaller size
# `CNN_IMAGE_SIZE` when the `cpu` profile sets it, written compactly as a loop over the three
# blocks. RMSprop at the book's learning rate. Training is notebook 02's recipe in one call,
# `training.fit_keep_best` (`model.fit` with `ModelCheckpoint(save_best_only=True)` and
# `CSVLogger`, then the best epoch's model reloaded; see `utils/training.py`), plus
# `EarlyStopping`, which stops `PATIENCE` epochs after the lowest validation loss, so each
# subset trains only while its validation loss improves. Each point's history is written to
# `RESULTS_DIR/10_how_much_data_histories/`.
# The epoch is chosen on the same validation photos that then score the point, as with the
# book's checkpoint: that flatters the CNN a little, never the frozen features.
#
# **Transfer**: a standardised logistic regression on the 512 frozen features of the same
# photos, C = `LOGREG_C`. No epochs, nothing chosen per point.


# %%
def basic_cnn() -> keras.Sequential:
    """Notebook 02's basic CNN, the same layers, at CNN_IMAGE_SIZE pixels; compiled as there."""
    convolutions = [
        layer
        for filters in (16, 64, 128)  # three blocks: 3x3 convolution, then 2x2 max pooling
        for layer in (layers.Conv2D(filters, (3, 3), activation="relu"), layers.MaxPooling2D())
    ]
    top = [layers.Flatten(), layers.Dense(512, activation="relu"), training.output_layer(n_classes)]
    model = keras.Sequential(
        [keras.Input(shape=(CNN_IMAGE_SIZE, CNN_IMAGE_SIZE, 3)), layers.Rescaling(1.0 / 255)]
        + convolutions
        + top,
        name="basic_cnn",
    )
    optimizer = keras.optimizers.RMSprop(learning_rate=LEARNING_RATE)
    model.compile(optimizer=optimizer, loss=training.loss_for(n_classes), metrics=["accuracy"])
    return model


def train_cnn(idx: np.ndarray, point: str) -> float:
    """A fresh basic CNN trained on the training photos `idx`: its best epoch's val accuracy."""
    best, _, _ = training.fit_keep_best(
        basic_cnn(),
        photos["train"][idx],
        (photos["validation"], labels["validation"]),
        y=labels["train"][idx],
        epochs=EPOCHS,
        checkpoint=RESULTS / "10_basic_cnn_checkpoint.keras",  # removed after the reload
        log=RESULTS / "10_how_much_data_histories" / f"cnn_{point}.csv",
        batch_size=BATCH_SIZE,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE)],
        verbose=0,
    )
    return best.evaluate(photos["validation"], labels["validation"], verbose=0)[1]


def train_logreg(idx: np.ndarray, point: str) -> float:
    """Logistic regression on the frozen features of the training photos `idx` (no history
    to log for `point`: it has no epochs)."""
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=LOGREG_C, max_iter=3000))
    probe.fit(features["train"][idx], labels["train"][idx])
    return probe.score(features["validation"], labels["validation"])


print(f"basic CNN at {CNN_IMAGE_SIZE} px: {basic_cnn().count_params():,} parameters")

# %% [markdown]
# ## The experiment
#
# For each repeat, one seeded random order of each class's training photos; a subset of `n`
# photos per class is the first `n` of that order, so within a repeat the subsets are nested
# (the 100-photo subset contains the 50-photo one), and repeats differ in which photos they
# draw. At the largest size every repeat may hold the same photos (all of them, when the
# split has no more): the CNN's spread there comes from its random initialisation and
# shuffling only, and the logistic regression, which has neither, gives the same score. Each
# point is saved as a row of `RESULTS_DIR/10_how_much_data.csv`.

# %%
MODELS = {"CNN from scratch": train_cnn, "VGG-16 features + logistic regression": train_logreg}
rows = []
for repeat in range(REPEATS):
    rng = np.random.default_rng(SEED + repeat)
    order = [rng.permutation(np.flatnonzero(labels["train"] == c)) for c in range(n_classes)]
    for n in SIZES:
        idx = rng.permutation(np.concatenate([members[:n] for members in order]))
        for model_name, train in MODELS.items():
            keras.utils.set_random_seed(SEED + repeat)
            start = time.perf_counter()
            accuracy = train(idx, point=f"{n}_per_class_repeat_{repeat}")
            seconds = time.perf_counter() - start
            rows.append((model_name, n, repeat, accuracy, seconds))
            print(
                f"repeat {repeat}, {n:>5} per class, {model_name}: {accuracy:.3f} ({seconds:.1f} s)"
            )
points = pd.DataFrame(rows, columns=["model", "per_class", "repeat", "val_accuracy", "seconds"])
points.to_csv(RESULTS / "10_how_much_data.csv", index=False)

# %% [markdown]
# Validation accuracy per size and model: the mean and the standard deviation over the
# `REPEATS` subsets, and the mean training time of one point.

# %%
table = points.pivot_table(
    index="per_class", columns="model", values="val_accuracy", aggfunc=["mean", "std"]
)
table = table.swaplevel(axis=1).sort_index(axis=1)
seconds = points.groupby("model")["seconds"].mean()
print("mean seconds per point:", seconds.round(2).to_dict())
table.round(3)

# %% [markdown]
# ## Learning curves and a power law
#
# A learning curve typically follows a power law in the number of training examples: the
# error falls as `n**(-c)` towards a floor (J. Hestness et al., *Deep Learning Scaling is
# Predictable, Empirically*, 2017, measured it over many tasks). We fit
# `accuracy(n) = a - b * n**(-c)` to every point of each model with
# `scipy.optimize.curve_fit`: `a` is the accuracy the curve levels off at (its asymptote),
# `b` and `c` how far below it the curve starts and how fast it closes the gap. `a` is
# bounded to [0, 1] and `c` to (0, 2] so the fit stays a learning curve. A fitted `a` at its
# bound of 1.0 means the points show no levelling off yet: the asymptote is then not
# measured, only assumed.


# %%
def power_law(n, a, b, c):
    return a - b * np.power(n, -c)


fits = {}
for model_name, group in points.groupby("model"):
    (a, b, c), _ = curve_fit(
        power_law,
        group["per_class"].to_numpy(float),
        group["val_accuracy"].to_numpy(float),
        p0=(group["val_accuracy"].max(), 1.0, 0.5),
        bounds=([0.0, 0.0, 1e-3], [1.0, np.inf, 2.0]),
        maxfev=20000,
    )
    fits[model_name] = (a, b, c)
    note = " (a at its bound: no levelling off within the sizes measured)" if a > 0.999 else ""
    print(f"power law, {model_name}: accuracy(n) = {a:.3f} - {b:.3f} * n^(-{c:.3f}){note}")

# %%
colors = {"CNN from scratch": "tab:orange", "VGG-16 features + logistic regression": "tab:blue"}
mean = points.groupby(["model", "per_class"])["val_accuracy"].mean()
std = points.groupby(["model", "per_class"])["val_accuracy"].std().fillna(0)
grid = np.geomspace(min(SIZES), max(SIZES), 100)
fig, ax = plt.subplots(figsize=(7, 4.5))
for model_name, color in colors.items():
    m, s = mean[model_name], std[model_name]
    ax.errorbar(m.index, m, yerr=s, fmt="o", capsize=4, color=color, label=model_name)
    ax.fill_between(m.index, m - s, m + s, color=color, alpha=0.15)
    ax.plot(grid, power_law(grid, *fits[model_name]), "--", color=color, lw=1)
ax.set_xscale("log")
ax.set_xticks(SIZES, [str(n) for n in SIZES])
ax.set_xlabel("training photos per class (log scale)")
ax.set_ylabel("validation accuracy")
ax.set_title(f"Mean and spread of {REPEATS} subsets per size; dashed: power-law fit")
ax.legend(loc="lower right")
plt.show()
print("saved", plots.save_figure(fig, RESULTS / "10_how_much_data.png"))

# %% [markdown]
# ## How many photos would the CNN from scratch need?
#
# The target is the frozen features' mean accuracy at the largest size. Solving the CNN's
# power law for it, `n = (b / (a - target)) ** (1 / c)`, gives the photos per class the CNN
# would need, if its curve went on as fitted. Beyond the largest size measured this is an
# **extrapolation** from a handful of noisy points: read it as an order of magnitude. When
# the fitted asymptote `a` is below the target, the fit says the CNN never gets there.

# %%
largest = max(SIZES)
target = mean["VGG-16 features + logistic regression"][largest]
a, b, c = fits["CNN from scratch"]
print(f"target: frozen VGG-16 features at {largest} photos per class, {target:.3f}")
if a <= target:
    print(
        f"power law: the CNN from scratch ({CNN_IMAGE_SIZE} px) levels off at {a:.3f}, "
        f"below {target:.3f}: by this fit no number of photos gets it there"
    )
    needed = rounded = np.inf
else:
    needed = (b / (a - target)) ** (1 / c)
    where = "extrapolated beyond" if needed > largest else "within"
    rounded = float(f"{needed:.2g}")  # two significant digits: an order of magnitude
    print(
        f"power law: the CNN from scratch ({CNN_IMAGE_SIZE} px) would need about "
        f"{rounded:,.0f} photos per class to reach {target:.3f} ({where} the "
        f"{min(SIZES)}-{largest} measured; about {float(f'{rounded / largest:.2g}'):,.0f} times "
        f"the {largest} the frozen features used)"
    )
    if a > 0.999:
        print(
            "  the fit assumes the CNN's curve keeps rising as it did over the sizes measured; "
            "nothing here measures where it levels off"
        )

# %% [markdown]
# ## Three ways transfer can help, measured
#
# Notebook 00 lists the three effects Torrey and Shavlik (2009) describe. They are defined
# over **training time**: a higher start is the performance *before any training on the
# target task* (the transferred knowledge alone), a higher slope is a faster rise while
# training, a higher asymptote a better final performance. This notebook varies the amount of
# data, not the training time, so what follows is our **reinterpretation** on the data axis,
# not their measurement, with "from scratch" as the baseline:
#
# 1. **Higher start**: accuracy at the smallest number of photos (not before training: both
#    models are trained on those photos).
# 2. **Higher slope**: how fast accuracy rises with data at the start of the curve, as points
#    gained per tenfold increase in photos between the two smallest sizes.
# 3. **Higher asymptote**: the accuracy each fitted power law levels off at (`a`), an
#    extrapolation like the one above.
#
# The sentences below are printed from the numbers; a "no" is as much a result as a "yes".

# %%
scratch, transfer = both = "CNN from scratch", "VGG-16 features + logistic regression"
n1, n2 = sorted(SIZES)[:2]


def slope(model_name):
    return (mean[model_name][n2] - mean[model_name][n1]) / np.log10(n2 / n1)


effects = pd.DataFrame(
    {
        "start (accuracy at smallest size)": [mean[m][n1] for m in both],
        "slope (points per tenfold, smallest two sizes)": [100 * slope(m) for m in both],
        "asymptote (fitted a)": [fits[m][0] for m in both],
    },
    index=list(both),
)
for effect, (base_value, transfer_value) in effects.items():
    verdict = "higher" if transfer_value > base_value else "not higher"
    if effect.startswith("asymptote") and max(base_value, transfer_value) > 0.999:
        verdict = "not measured: a fit at its bound of 1.0 has not levelled off"
    print(f"{effect}: transfer {transfer_value:.3f} vs from scratch {base_value:.3f} -> {verdict}")
effects.T.round(3)

# %% [markdown]
# The same three effects on the fitted curves, drawn far beyond the sizes measured (dotted
# lines: each fit's asymptote `a`; the points: this run's means; the star: where the CNN's
# fit reaches the target above, if it does). Everything right of the shaded band is
# extrapolation.

# %%
wide = np.geomspace(min(SIZES), max(100 * largest, 2 * min(needed, 1e12)), 200)
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.axvspan(min(SIZES), largest, color="grey", alpha=0.1, label="measured sizes")
for model_name, color in colors.items():
    ax.plot(wide, power_law(wide, *fits[model_name]), color=color, label=model_name)
    ax.axhline(fits[model_name][0], color=color, ls=":", lw=1)
    ax.plot(mean[model_name].index, mean[model_name], "o", color=color)
ax.annotate(
    "start",
    xy=(n1, mean[transfer][n1]),
    xytext=(n1 * 1.5, mean[transfer][n1] + 0.03),
    arrowprops={"arrowstyle": "->"},
)
ax.text(np.sqrt(wide[0] * wide[-1]), fits[transfer][0] + 0.005, "asymptote", ha="center")
if np.isfinite(needed):
    ax.plot([needed], [target], "k*", ms=12, label=f"CNN reaches {target:.3f}: ~{rounded:,.0f}")
ax.set_xscale("log")
ax.set_xlabel("training photos per class (log scale)")
ax.set_ylabel("validation accuracy")
ax.set_title("Power-law fits extrapolated")
ax.legend(loc="lower right", fontsize="small")
plt.show()
print("saved", plots.save_figure(fig, RESULTS / "10_how_much_data_extrapolated.png"))

# %%
minutes = (time.perf_counter() - notebook_start) / 60
print(f"this notebook ran in {minutes:.1f} minutes ({len(points)} models trained)")

# %% [markdown]
# ## Takeaways
#
# - A learning curve is a loop: seeded subsets of growing size, a fresh model on each, the
#   same validation photos to score them; several subsets per size show how much of a
#   difference is noise.
# - Frozen features make the transfer curve nearly free: VGG-16 runs once per photo, and
#   every point after that is a logistic regression (its mean seconds per point are printed
#   above the table).
# - `curve_fit` of `a - b * n**(-c)` turns a few points into a statement about data you do
#   not have; the answer printed above is an extrapolation, sensitive to the noise of the
#   points, and the asymptote `a` most of all.
# - The table of the three effects says which of start, slope and asymptote transfer
#   improved in your run; compare it with notebook 00's description of the three effects.
#
# ## Try it
#
# Each exercise changes the parameters cell. Point `RESULTS_DIR` at another folder first
# (`"../results-try"`) to keep the default run's points; keep `CACHE_DIR`, so that the
# features already computed load. The CNNs are most of a run's time: on a CPU start from the
# `cpu` profile's `CNN_IMAGE_SIZE = 48`, `EPOCHS = 8`, `REPEATS = 3`.
#
# 1. **The CNN's input size.** Set `CNN_IMAGE_SIZE` to 48 (the `cpu` profile's), 64 and 150
#    (the book's) in turn, and read the line printed under the cell of the two learners.
#    <details><summary>Answer</summary>
#    `basic CNN at 48 px: 1,133,185 parameters`, 2,443,905 at 64 px, 19,024,513 at 150 px.
#    The three convolutions hold the same 83,584 weights at every size; the `Dense(512)` after
#    `Flatten` takes the last feature map, 4 x 4 x 128, 6 x 6 x 128 or 17 x 17 x 128 numbers,
#    and holds nearly all the rest. Compare the CNN's curves: a larger input keeps more
#    detail but gives the Dense layer many more weights to fit on the same photos, and the
#    effect that wins at 50 photos per class need not be the one that wins at 1,500.
#    </details>
# 2. **VGG-16 at its own size.** Set `IMAGE_SIZE = 224`. Read the shapes printed under the
#    features cell, and the lines `cache.predict` prints.
#    <details><summary>Answer</summary>
#    Each photo's last block is now 7 x 7 x 512, but averaging each map still gives 512
#    features: the printed shapes stay `{'train': (3000, 512), 'validation': (1000, 512)}`
#    on the full split, and the logistic regression keeps its size. Unless notebook 04 ran
#    at 224 px with the same `MIXED_PRECISION`, the features are computed, not loaded: VGG-16
#    over the 4,000 photos, about (224 / 150)² ≈ 2.2 times the work of a pass at 150 px.
#    Compare the transfer curve with the one at 150 px.
#    </details>
# 3. **How far a curve carries.** Set `SIZES = [50, 100, 300]` and compare the photos the
#    CNN "would need" with the run on all five sizes.
#    <details><summary>Answer</summary>
#    The target is now the frozen features' accuracy at 300 photos per class, and the CNN's
#    power law is fitted on three sizes, so the answer is extrapolated from further away.
#    How far the two runs' answers lie apart is a measure of what the single printed number
#    does not show: the uncertainty of the extrapolation.
#    </details>
# 4. **The logistic regression's penalty.** Set `LOGREG_C = 0.01`, then `1.0` (the default is
#    0.1), and compare the transfer curve at the smallest and the largest size.
#    <details><summary>Answer</summary>
#    `C` is the inverse of the strength of the L2 penalty: a small `C` keeps the 512 weights
#    small, a large one lets them fit the training photos closely. With 100 photos and 512
#    features the penalty has the most to do, with 3,000 much less: compare how far each end
#    of the curve moves. `LOGREG_C` is fixed in advance; choosing it on
#    the validation photos that score the points would flatter the transfer curve.
#    </details>
#
# ## What a full run costs
#
# - **Book settings on a GPU** (`REPEATS = 5`, the CNN at 150 px for up to 30 epochs):
#   not measured here.
# - **`cpu` profile on a 2-core machine** (the full 1,500 / 500 / 500 split; VGG-16 at
#   `IMAGE_SIZE = 180`, `CNN_IMAGE_SIZE = 48`, `EPOCHS = 8`, `REPEATS = 3`): 3.0 minutes for
#   the previous version of this notebook in the run of 2026-11-24 of `BENCHMARKS.md` (2-core
#   AMD EPYC, nothing else running), after notebook 04, whose VGG-16 features it read from
#   the cache. The 15 CNNs are most of the rest, since a point of the transfer curve is one
#   logistic regression on 512 features (the mean seconds per point, printed above, say how
#   it splits in your run). When notebook 04 has not run on the same photos with the
#   same `IMAGE_SIZE` and `MIXED_PRECISION`, VGG-16 first runs over the 4,000 photos, as long
#   as notebook 04's own pass over them. The line printed above the takeaways is your own
#   run's.
