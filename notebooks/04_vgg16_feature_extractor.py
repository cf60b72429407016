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
# # Cats vs dogs: VGG-16 as a frozen feature extractor
#
# **Description:** reuse the convolutional base of VGG-16, trained on ImageNet, to turn each
# photo into "bottleneck features", and train small classifiers on them.
#
# ## Introduction
#
# The networks of notebooks 02 and 03 learned every filter from 3,000 photos. VGG-16 learned
# its 13 convolution layers from the 1.3 million training photos of ImageNet's 1,000-class
# challenge (ILSVRC-2012), over a hundred of those classes dog breeds and a few of them cats.
# This is the book's first pretrained model (chapter 5, "pre-trained CNN model as a feature
# extractor"). You will learn how to:
#
# 1. load VGG-16 without its ImageNet classifier (`include_top=False`) and **freeze** it;
# 2. run every photo through the frozen base **once** and save what it computes as `.npy` files
#    you can `np.load`: the output of block 4 (9 x 9 x 512 per 150 x 150 photo), from which
#    block 5 gives the 4 x 4 x 512 "bottleneck features" in a fraction of the time, so the same
#    file serves notebooks 05 and 06 too;
# 3. train the book's dense head on those features in seconds per epoch, and put head and base
#    together into one model that takes photos;
# 4. fit a logistic regression on the same features, a lighter alternative;
# 5. see why VGG-16's own preprocessing matters (the book divides pixels by 255 instead).
#
# All choices here are made on the **validation** split; the test split is scored once, for
# every model of the course, in notebook 07.

# %% [markdown]
# ## Setup
#
# `WEIGHTS="imagenet"` finds the ImageNet weights in the folder named by the environment
# variable `TL_WEIGHTS_DIR`, then in Keras' cache, then downloads them; offline, pass the path
# of `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5` instead (`None`: random weights).
# `MIXED_PRECISION=True` computes the features in bfloat16 (faster on GPUs and some CPUs,
# slower on others), `"auto"` times a few batches both ways and keeps the faster; the saved
# model always computes in float32. `COMPARE_PER_CLASS` training photos and
# `COMPARE_VALIDATION_PER_CLASS` validation photos per class size the preprocessing comparison
# (`None`: the whole split). `DISTRIBUTE` is notebook 02's: `"mirrored"` trains the head on
# every GPU of the machine (`tf.distribute.MirroredStrategy`), `"mirrored:2"` on two logical
# CPU devices.

# %% tags=["parameters"]
DATA_DIR = "../data/cats-vs-dogs"
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
CACHE_DIR = "../cache"
IMAGE_SIZE = 150
BATCH_SIZE = 30
EPOCHS = 30
SEED = 42
WEIGHTS = "imagenet"
LEARNING_RATE = 1e-4
MIXED_PRECISION = False
COMPARE_PER_CLASS = 300
COMPARE_VALIDATION_PER_CLASS = 100
DISTRIBUTE = None

# %%
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from utils import cache, data, distribute, plots, precision, pretrained, saving, training

keras.utils.set_random_seed(SEED)
strategy = distribute.get_strategy(DISTRIBUTE)  # None: the default device
for folder in (MODELS_DIR, RESULTS_DIR, CACHE_DIR):
    Path(folder).mkdir(parents=True, exist_ok=True)
SIZE = (IMAGE_SIZE, IMAGE_SIZE)
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
PREFIX = saving.model_prefix(DATA_DIR)  # file names: "cats_dogs" here, else your folder's name
NAME = f"{PREFIX}_tlearn_basic_cnn"
CHECKPOINTS = Path(MODELS_DIR) / "checkpoints"

# %% [markdown]
# The photos of each split, as file paths and labels (`cat = 0`, `dog = 1` in the case study).
# Only the training and validation photos: the test split is for notebook 07.

# %%
class_names = data.class_names(Path(DATA_DIR) / "train")
paths, labels = {}, {}
for split in ("train", "validation"):
    paths[split], labels[split], _ = data.list_images(Path(DATA_DIR) / split, class_names)
print(class_names, {split: len(p) for split, p in paths.items()})

# %% [markdown]
# ## The convolutional base, frozen
#
# VGG-16 is configuration "D" of K. Simonyan and A. Zisserman, *Very Deep Convolutional
# Networks for Large-Scale Image Recognition*, ICLR 2015
# ([arXiv:1409.1556](https://arxiv.org/abs/1409.1556)), from Oxford's Visual Geometry Group.
# Their networks were the group's entry to the ImageNet challenge of 2014 (ILSVRC 2014): first
# place in the localisation task and second in classification, behind GoogLeNet. The paper's
# point is depth built from very small filters. VGG-16 has 16 layers with weights: 13
# convolutions, every one 3 x 3 with stride 1 and padding that keeps the size, in five blocks
# each closed by a 2 x 2 max-pooling that halves the size, then 3 dense layers: two of 4,096
# units and a 1,000-way softmax, one unit per ImageNet class. It was trained on 224 x 224
# crops. Of its 138 million weights (the paper's count), the dense layers hold about 124
# million and the convolutions the 14.7 million counted below.
#
# We keep the convolutions and drop the three dense layers, for three reasons. The last one
# answers ImageNet's 1,000-class question, not "cat or dog?". The first one is wired to the 7 x 7
# x 512 maps of a 224 px photo, so it cannot take the 4 x 4 x 512 of a 150 px photo, while
# convolutions apply at any size. And the deeper a layer, the more its features belong to the
# task it was trained for (Yosinski et al., "How transferable are features in deep neural
# networks?", NeurIPS 2014, measure it): the edges, textures and animal parts the convolutions
# detect serve our photos too, the dense layers' combinations of them much less. Our own
# small head replaces them.
#
# `include_top=False` drops VGG-16's ImageNet classifier (its dense layers); what remains maps
# a photo to feature maps. Freezing keeps the ImageNet weights as they are. The book sets the
# flag layer by layer; `base.trainable = False` does the same in one line (in Keras 3 it
# freezes every layer inside). The table is the book's: every layer frozen.

# %%
base = keras.applications.VGG16(
    include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
)
for layer in base.layers:
    layer.trainable = False
base.trainable = False
print("output:", base.output_shape, pretrained.count_params(base))
pretrained.layer_table(base)

# %% [markdown]
# VGG-16 expects its own preprocessing (`keras.applications.vgg16.preprocess_input`: RGB to
# BGR, ImageNet mean pixel subtracted). `pretrained.preprocessing_layer("vgg16")` is exactly
# that as one frozen built-in `Dense(3)` layer, so a model holding it loads anywhere with plain
# `keras.models.load_model`.
#
# ## Computed once: the output of block 4
#
# Blocks 1 to 4 do about 90% of VGG-16's arithmetic (some 12 of 13 GFLOP per 150 px photo);
# block 5 (three convolutions and a pooling) the rest. We run the photos through blocks 1-4
# once and keep their output, `block4_pool` (9 x 9 x 512 for a 150 px photo, 11 x 11 x 512 at
# 180 px), on disk. Block 5 applied
# to it then gives the bottleneck features here, in seconds; notebook 05 reuses the same file,
# and notebook 06 fine-tunes block 5 on it without ever running blocks 1-4 again.
#
# The **extractor** is photo → preprocessing → blocks 1-4, a `keras.Model` cut out of the base
# at `block4_pool`. With `MIXED_PRECISION="auto"` a few batches are timed in float32 and in
# bfloat16 and the faster is kept (the choice is remembered in `CACHE_DIR/precision.json`, so
# notebooks 05 and 06 make the same one).

# %%
preprocess = pretrained.preprocessing_layer("vgg16")


def extractor_for(policy: str) -> keras.Sequential:
    """Photo → preprocessing → VGG-16 blocks 1-4 (the base's weights), computing in `policy`."""
    vgg = base
    if policy != "float32":  # the same weights in a copy built under the other policy
        with precision.global_policy(policy):
            vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=SHAPE)
        vgg.set_weights(base.get_weights())
    blocks1_4 = keras.Model(vgg.input, vgg.get_layer("block4_pool").output, name="vgg16_blocks1_4")
    return keras.Sequential(
        [keras.Input(shape=SHAPE), preprocess, blocks1_4], name="vgg16_extractor"
    )


sample = data.read_images(paths["train"][:8], IMAGE_SIZE, raw=True)
extractors = {}
PRECISION, speeds = precision.choose(
    MIXED_PRECISION,
    {
        p: lambda p=p: extractors.setdefault(p, extractor_for(p)).predict_on_batch(sample)
        for p in precision.POLICIES
    },
    items=len(sample),
    memo=Path(CACHE_DIR) / "precision.json",
    task=f"vgg16 blocks 1-4, {IMAGE_SIZE} px",
)
extractor = extractors.get(PRECISION) or extractor_for(PRECISION)
print(f"extractor computes in {PRECISION}", f"(photos/s: {speeds})" if speeds else "")

# %% [markdown]
# Block 5 as a model of its own: the base's own `block5_*` layers (the same objects, so the
# same frozen weights) behind an input of `block4_pool`'s shape.

# %%
ACTIVATIONS = base.get_layer("block4_pool").output.shape[1:]
block5 = keras.Sequential(
    [keras.Input(shape=ACTIVATIONS)]
    + [layer for layer in base.layers if layer.name.startswith("block5")],
    name="vgg16_block5",
)
print("block4_pool:", ACTIVATIONS, "-> block 5 ->", block5.output_shape[1:])

# %% [markdown]
# Each photo goes through the extractor once, streamed from disk with `tf.data`; the
# activations are saved with `np.save` in float16 (half the disk, and far more precise than
# the classifiers need), the features block 5 computes from them in float32, under readable
# names: `CACHE_DIR/vgg16_{IMAGE_SIZE}px/train_block4_pool.npy`, `train_features.npy`,
# `train_labels.npy`, and the same for `validation`. `utils.cache` keeps a small `.key.json`
# beside each file recording what the array depends on (the weights, the exact photo files,
# the size, the precision): a re-run, or notebooks 05 and 06, load the file when the key
# matches and recompute it when anything changed.

# %%
FEATURES_DIR = Path(CACHE_DIR) / f"vgg16_{IMAGE_SIZE}px"
extractor_fingerprint = cache.weights_fingerprint(extractor)


def block4_activations(name: str, split: str, augmentation=None) -> np.ndarray:
    """Blocks 1-4 on one split's photos (optionally augmented), cached or computed."""
    path = FEATURES_DIR / f"{name}_block4_pool.npy"
    key = cache.key(
        model=extractor_fingerprint,
        files=cache.files_fingerprint(paths[split]),
        image_size=IMAGE_SIZE,
        precision=PRECISION,
        augmentation=None if augmentation is None else augmentation.get_config(),
    )
    start = time.perf_counter()
    activations = cache.load(path, key)
    how = "loaded from the cache"
    if activations is None:
        photos = data.image_dataset(
            paths[split], labels[split], SIZE, BATCH_SIZE, augment=augmentation
        )
        activations = extractor.predict(photos, verbose=0).astype("float16")
        cache.save(path, activations, key)
        cache.save(FEATURES_DIR / f"{name}_labels.npy", labels[split], key)
        how = "computed"
    print(f"{name}: {activations.shape} {how} in {time.perf_counter() - start:.1f} s -> {path}")
    return activations


def bottleneck_features(name: str, activations: np.ndarray) -> np.ndarray:
    """Block 5 on cached activations, saved beside them as `{name}_features.npy`."""
    path = FEATURES_DIR / f"{name}_features.npy"
    key = cache.key(
        block5=cache.weights_fingerprint(block5), activations=cache.array_fingerprint(activations)
    )
    if (features := cache.load(path, key)) is None:
        features = block5.predict(activations, batch_size=64, verbose=0)
        cache.save(path, features, key)
    return features


activations = {split: block4_activations(split, split) for split in ("train", "validation")}
start = time.perf_counter()
features = {split: bottleneck_features(split, a) for split, a in activations.items()}
print(f"block 5 on the cached activations: {time.perf_counter() - start:.1f} s")

# %% [markdown]
# A second call only reads the files (`benchmarks/extraction_speed.py` times extraction
# streamed from disk against arrays in memory, and float32 against bfloat16). Anyone can read
# them back without this notebook:
#
# ```python
# a = np.load("cache/vgg16_150px/train_block4_pool.npy")  # (3000, 9, 9, 512) float16 at 150 px
# x = np.load("cache/vgg16_150px/train_features.npy")  # (3000, 4, 4, 512)
# y = np.load("cache/vgg16_150px/train_labels.npy")
# ```
#
# Why this is exact: a frozen layer is a fixed function, so "photo → blocks 1-4 → block 5"
# computed in two steps with the intermediate result kept on disk is the same arithmetic as in
# one step. The differences are the float16 rounding of the stored activations (a relative
# 0.05%) and, when the extractor computed in bfloat16, its coarser arithmetic (about 1%): the
# saved model always computes in float32. The tests measure how far that moves a probability.

# %% [markdown]
# ## The book's dense head on the cached features
#
# Flatten the block (4 x 4 x 512 = 8,192 numbers at 150 px), then Dense 512, Dropout 0.3, Dense 512,
# Dropout 0.3 and one sigmoid unit; RMSprop with learning rate 1e-4, 30 epochs. Since the base
# is frozen, training on cached features is exactly training base plus head, only much faster:
# an epoch takes seconds instead of minutes. `ModelCheckpoint(save_best_only=True)` keeps the
# epoch with the lowest validation loss, `CSVLogger` the history; we reload the best head.
# The head is built and compiled inside `strategy.scope()`, so `DISTRIBUTE` decides where it
# trains.

# %%
with strategy.scope():
    head = keras.Sequential(
        [
            keras.Input(shape=features["train"].shape[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dropout(0.3),
            training.output_layer(len(class_names)),
        ],
        name="head",
    )
    head.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=LEARNING_RATE),
        loss=training.loss_for(len(class_names)),
        metrics=["accuracy"],
    )
head.summary()

# %%
head_path = CHECKPOINTS / f"{NAME}_head.keras"
head_path.parent.mkdir(parents=True, exist_ok=True)
callbacks = [
    keras.callbacks.ModelCheckpoint(head_path, monitor="val_loss", save_best_only=True),
    keras.callbacks.CSVLogger(Path(RESULTS_DIR) / f"{NAME}_history.csv"),
]
start = time.perf_counter()
history = head.fit(
    features["train"],
    labels["train"],
    validation_data=(features["validation"], labels["validation"]),
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    callbacks=callbacks,
    verbose=2,
)
train_seconds = round(time.perf_counter() - start, 1)
head = keras.models.load_model(head_path)
history = training.history_frame(history)
facts = training.summarize(history)
fig = plots.plot_history(history, "VGG-16 features + dense head")
plots.save_figure(fig, Path(RESULTS_DIR) / f"{NAME}_history.png")
print(facts)

# %% [markdown]
# ## One model that takes photos
#
# Raw photo → VGG-16 preprocessing → frozen base → the best head, in one functional model,
# saved as `cats_dogs_tlearn_basic_cnn.h5` (with its class names and training facts in
# `cats_dogs_tlearn_basic_cnn.json`) for notebook 07 and `predict.py`. `training=False` runs
# the base in inference mode, as Keras' transfer-learning guide recommends. `count_params`
# below: the head's trainable weights (at 150 px 8,192 x 512 + 512, then 512 x 512 + 512, then
# 513: 4,457,985, the count in the book's model summary too; 6,817,281 at 180 px, where the
# block holds 12,800 numbers) against the frozen ones (the base's 14,714,688 and the 12 of the
# preprocessing layer).

# %%
inputs = keras.Input(shape=SHAPE, name="image")
x = preprocess(inputs)
x = base(x, training=False)
outputs = head(x)
model = keras.Model(inputs, outputs, name="vgg16_feature_extractor")
saving.save_model(
    model,
    Path(MODELS_DIR) / f"{NAME}.h5",
    class_names,
    **facts,
    train_seconds=train_seconds,
    notebook="04",
    learning_rate=LEARNING_RATE,
    features_precision=PRECISION,
    precision_speeds=speeds,
)
print(pretrained.count_params(model))

# %% [markdown]
# ## A linear model on pooled features
#
# Averaging each of the 512 feature maps over its 4 x 4 cells (global average pooling) gives
# 512 numbers per photo. A standardised logistic regression on them is the "light model on
# bottleneck features" strategy: no epochs, trained in seconds. Its regularisation `C` is
# picked on the validation split.

# %%
pooled = {split: f.mean(axis=(1, 2)) for split, f in features.items()}
c_scores = {}
for c in (0.01, 0.1, 1.0):
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000))
    probe.fit(pooled["train"], labels["train"])
    c_scores[c] = probe.score(pooled["validation"], labels["validation"])
best_c = max(c_scores, key=c_scores.get)
print("validation accuracy by C:", c_scores, "-> C =", best_c)

# %%
results = pd.DataFrame(
    [
        {
            "model": "VGG-16 features + dense head (book)",
            "validation_accuracy": facts["best_epoch_val_accuracy"],
            "train_seconds": train_seconds,
        },
        {
            "model": f"VGG-16 pooled features + logistic regression (C={best_c})",
            "validation_accuracy": c_scores[best_c],
            "train_seconds": None,
        },
    ]
).set_index("model")
results.to_csv(Path(RESULTS_DIR) / "04_vgg16_feature_extractor.csv")
results.round(4)

# %% [markdown]
# ## The book's x/255 against VGG-16's own preprocessing
#
# The book feeds VGG-16 RGB values divided by 255, far from the BGR, mean-subtracted pixels it
# was trained on. Same photos, same classifier (logistic regression on pooled features,
# `C = 0.1`), same validation photos to score it; only the preprocessing differs.

# %%
train_idx = data.per_class_indices(labels["train"], COMPARE_PER_CLASS)
val_idx = data.per_class_indices(labels["validation"], COMPARE_VALIDATION_PER_CLASS)
rescaled = keras.Sequential(
    [keras.Input(shape=SHAPE), keras.layers.Rescaling(1 / 255), base], name="vgg16_rescaled"
)


def pooled_features(model: keras.Model, split: str, idx: np.ndarray) -> np.ndarray:
    photos = data.image_dataset(
        [paths[split][i] for i in idx], labels[split][idx], SIZE, BATCH_SIZE
    )
    return model.predict(photos, verbose=0).astype("float32").mean(axis=(1, 2))


compared = []
for label, train_x, val_x in [
    ("vgg16.preprocess_input", pooled["train"][train_idx], pooled["validation"][val_idx]),
    (
        "x / 255 (book)",
        pooled_features(rescaled, "train", train_idx),
        pooled_features(rescaled, "validation", val_idx),
    ),
]:
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
    probe.fit(train_x, labels["train"][train_idx])
    compared.append(
        {
            "preprocessing": label,
            "train_photos": len(train_idx),
            "validation_photos": len(val_idx),
            "validation_accuracy": probe.score(val_x, labels["validation"][val_idx]),
        }
    )
preprocessing = pd.DataFrame(compared).set_index("preprocessing")
preprocessing.to_csv(Path(RESULTS_DIR) / "04_preprocessing_comparison.csv")
preprocessing.round(4)

# %% [markdown]
# ## Takeaways
#
# - A frozen pretrained base is a fixed function: compute its output once per photo, save it
#   with `np.save`, and train any classifier on it in seconds.
# - The saved model is preprocessing + frozen base + head, so it takes raw photos like every
#   other model of the course; notebook 07 scores it on the test split.
# - A logistic regression on pooled features is a cheap baseline to hold the dense head
#   against: compare the two rows of the results table on your run.
# - Feed a pretrained network the preprocessing it was trained with; compare the two rows of
#   the preprocessing table on your run.
# - The features cannot be augmented once cached: notebook 05 puts the frozen base inside
#   the model to train on augmented photos.
#
# ## What a full run costs
#
# Book settings (3,000 training and 1,000 validation photos at 150 px, 30 epochs) on a GPU:
# not measured here. `cpu` profile on 2 CPU cores (180 px, chosen on validation: the
# logistic regression on pooled features scored 0.963 at 150 px and 0.975 at 180 px in the
# project's runs): 5.6 minutes in the run of `BENCHMARKS.md` (2-core AMD EPYC, nothing else
# running; 2026-11-24, 09:36 UTC; `"auto"` chose bfloat16 at 16.0 against 12.1 photos/s in
# float32; 100 + 50 photos per class for the preprocessing comparison), of which 2.7 minutes
# for the one pass of blocks 1-4 over the 4,000 photos, about a minute for block 5 and 75 s
# for the 30 epochs of the head. A re-run with the cache in place skips the pass.
