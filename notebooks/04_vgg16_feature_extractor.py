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
# 2. run every photo through the frozen base **once** and keep what it computes, the
#    "bottleneck features" (4 x 4 x 512 numbers per 150 x 150 photo), as `.npy` files, and
#    look at one of their 512 maps;
# 3. train the book's dense head on those features in seconds per epoch, and put head and base
#    together into one model that takes photos;
# 4. fit a logistic regression on the same features, a lighter alternative;
# 5. see why VGG-16's own preprocessing matters (the book divides pixels by 255 instead).
#
# The logistic regression's `C` is chosen on the training photos, the dense head's epoch by
# its validation loss (so that head's validation accuracy is a little optimistic); both are
# reported on the **validation** split, and the test split is scored once, for every model of
# the course, in notebook 07.

# %% [markdown]
# ## Setup
#
# `WEIGHTS="imagenet"` finds the ImageNet weights in the folder named by the environment
# variable `TL_WEIGHTS_DIR`, then in Keras' cache, then downloads them; offline, pass the path
# of `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5` instead (`None`: random weights).
# The parameters below the blank line tune the run, not the lesson: `MIXED_PRECISION` is the
# dtype policy VGG-16 computes the features in (`run_all.py` measures once per machine whether
# `"mixed_bfloat16"` is faster than `"float32"` and passes the winner), `COMPARE_*` size the
# preprocessing comparison (photos per class, `None`: all), `DISTRIBUTE` is notebook 02's
# (`"mirrored"`: every GPU of the machine).

# %% tags=["parameters"]
DATA_DIR = "../data/cats-vs-dogs"
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
CACHE_DIR = "../cache"
IMAGE_SIZE = 150
BATCH_SIZE = 30
EPOCHS = 30
LEARNING_RATE = 1e-4
WEIGHTS = "imagenet"
SEED = 42

MIXED_PRECISION = "float32"
COMPARE_PER_CLASS = 300
COMPARE_VALIDATION_PER_CLASS = 100
DISTRIBUTE = None

# %%
import utils  # noqa: F401 (first, before Keras: TensorFlow loads without start-up messages)

# isort: split
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from utils import cache, data, distribute, plots, pretrained, saving

keras.utils.set_random_seed(SEED)
strategy = distribute.get_strategy(DISTRIBUTE)  # None: the default device
SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 3)
PREFIX = saving.model_prefix(DATA_DIR)  # file names: "cats_dogs" here, else your folder's name
NAME = f"{PREFIX}_tlearn_basic_cnn"

# %% [markdown]
# ## The photos
#
# `keras.utils.image_dataset_from_directory` reads a split folder (one subfolder per class,
# `cat = 0`, `dog = 1` in alphabetical order) in batches, resized to `IMAGE_SIZE`. Not shuffled:
# the features computed below keep the order of the files, so row `i` is photo `i`. Only the
# training and validation photos: the test split is for notebook 07.

# %%
datasets = {}
for split in ("train", "validation"):
    datasets[split] = keras.utils.image_dataset_from_directory(
        Path(DATA_DIR) / split,
        image_size=(IMAGE_SIZE, IMAGE_SIZE),
        batch_size=BATCH_SIZE,
        shuffle=False,
        class_names=datasets["train"].class_names if split != "train" else None,
    )
class_names = datasets["train"].class_names
labels = {  # each photo's label is its folder's position in class_names
    split: np.array([class_names.index(Path(path).parent.name) for path in ds.file_paths])
    for split, ds in datasets.items()
}
print(class_names, {split: len(y) for split, y in labels.items()})

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
# `include_top=False` drops VGG-16's ImageNet classifier; what remains maps a photo to feature
# maps. `conv_base.trainable = False` freezes every layer inside (the book sets the flag layer
# by layer; in Keras 3 the one line does the same). The dtype policy is set around the
# constructor only, so the base computes in `MIXED_PRECISION` and everything built after it in
# float32. The table is the book's: every layer frozen.

# %%
keras.mixed_precision.set_global_policy(MIXED_PRECISION)
conv_base = keras.applications.VGG16(
    include_top=False, weights=pretrained.weights_file("vgg16", WEIGHTS), input_shape=SHAPE
)
keras.mixed_precision.set_global_policy("float32")
conv_base.trainable = False
print("output:", conv_base.output_shape, "| weights:", f"{conv_base.count_params():,}")
pretrained.layer_table(conv_base)

# %% [markdown]
# The same 19 layers grouped by block, and what each notebook of the case study does with
# them (the article draws this as a block diagram of the two strategies: every block frozen
# for the feature extractor, blocks 4 and 5 unfrozen for fine-tuning). The weights add up the
# `Params` column above; a convolution's weights do not depend on the photo's size, its output
# does (each pooling halves it, rounding down).
#
# | block | convolutions (filters) | weights | output at 150 px | 04, 05 | 06 book | 06 cached |
# |---|---|--:|---|---|---|---|
# | 1 | 2 (64), then pooling | 38,720 | 75 x 75 x 64 | frozen | frozen | frozen |
# | 2 | 2 (128), then pooling | 221,440 | 37 x 37 x 128 | frozen | frozen | frozen |
# | 3 | 3 (256), then pooling | 1,475,328 | 18 x 18 x 256 | frozen | frozen | frozen |
# | 4 | 3 (512), then pooling | 5,899,776 | 9 x 9 x 512 | frozen | **trained** | frozen |
# | 5 | 3 (512), then pooling | 7,079,424 | 4 x 4 x 512 | frozen | **trained** | **trained** |
# | ImageNet top | Dense 4,096, 4,096, 1,000 | 123,642,856 | | dropped | dropped | dropped |
# | our head | Dense (06 cached: pooled) | | 1 | **trained** | **trained** | **trained** |
#
# In 04 and 05 nothing of VGG-16 trains, only the head. Notebook 06's book route trains blocks
# 4 and 5 with the head, at a learning rate ten times lower; its cached route (the CPU one)
# trains block 5 alone, on block 4's outputs computed once.

# %% [markdown]
# ## Bottleneck features, computed once
#
# VGG-16 expects its own preprocessing (`keras.applications.vgg16.preprocess_input`: RGB to
# BGR, ImageNet mean pixel subtracted). That is an affine map of each pixel's three channels,
# which one frozen `keras.layers.Dense(3)` on the channel axis computes exactly:
# `pretrained.preprocessing_layer("vgg16")` builds it, with a kernel that swaps red and blue
# and a bias of minus the mean pixel (printed below). Why not call `preprocess_input` inside
# the model? It becomes TensorFlow ops (`GetItem`, ...) that a saved `.h5` model cannot load
# back; a `Dense` layer loads anywhere with plain `keras.models.load_model`. The **extractor**
# is photo → preprocessing → frozen base; its output for each photo is that photo's
# bottleneck features.
#
# The base is frozen, so these features never change: the book computes them once with
# `predict` and saves them with `np.save`, then trains the head on the arrays. `cache.predict`
# (`utils/cache.py`) does exactly that:
#
# ```python
# features = extractor.predict(train_ds)  # the first time
# np.save(f"{CACHE_DIR}/features/train_features-<id>.npy", features)
# ```
#
# and every later time, in this notebook or another, loads the file instead, as long as the
# model, its weights, the photos and the size are the same (the `<id>` says which; change any
# of them and it computes anew). Notebooks 05, 06, 07 and 10 reuse what it computes here.

# %%
preprocess = pretrained.preprocessing_layer("vgg16")
kernel, bias = preprocess.get_weights()
print(f"kernel:\n{kernel}\nbias: {bias}")
photos = np.array(next(iter(datasets["validation"]))[0])
difference = preprocess(photos) - keras.applications.vgg16.preprocess_input(photos.copy())
print("largest difference from vgg16.preprocess_input:", float(np.abs(difference).max()))
extractor = keras.Sequential([keras.Input(shape=SHAPE), preprocess, conv_base], name="extractor")
features = {
    split: cache.predict(extractor, ds, f"{split}_features", CACHE_DIR)
    for split, ds in datasets.items()
}
print({split: f.shape for split, f in features.items()})

# %% [markdown]
# The cached rows are what the extractor computes: here it is on the first validation batch,
# by hand. The cache keeps the output of block 4 in float16 on the way (about three
# significant digits), so in float32 the two differ slightly: compare the largest difference
# printed below with the size of the features (the tests measure how far that moves a
# probability). In bfloat16 they are equal, since every bfloat16 activation of this size fits
# a float16 exactly.

# %%
by_hand = extractor.predict(photos, verbose=0)  # the first batch of validation photos
difference = np.abs(by_hand - features["validation"][: len(photos)]).max()
print(f"largest difference: {difference:.3g} (features reach {np.abs(by_hand).max():.3g})")

# %% [markdown]
# ## What a bottleneck feature looks like
#
# Each of the 512 channels of `block5_pool` is a small map (4 x 4 cells at 150 px), one cell
# per region of the photo, that is large where the region shows the pattern the channel's
# filters respond to. The article shows channel 0 of a training photo's map; here the first
# validation photo beside its most active channel, the one with the largest mean over its
# cells (a channel can well be zero everywhere for a given photo: the last convolution's ReLU
# keeps only positive responses). The head sees all 512 maps of a photo flattened into one
# vector.

# %%
channel = int(features["validation"][0].mean(axis=(0, 1)).argmax())
fig, axes = plt.subplots(1, 2, figsize=(7, 3.5))
axes[0].imshow(photos[0].astype("uint8"))
axes[0].set_title(Path(datasets["validation"].file_paths[0]).name)
axes[1].imshow(features["validation"][0][..., channel])
_ = axes[1].set_title(f"block5_pool, channel {channel} of {features['validation'].shape[-1]}")

# %% [markdown]
# ## The book's dense head on the cached features
#
# Flatten the block (4 x 4 x 512 = 8,192 numbers at 150 px), then Dense 512, Dropout 0.3,
# Dense 512, Dropout 0.3 and one sigmoid unit with binary cross-entropy (two classes; a folder
# of your own with more classes gets a softmax unit per class); RMSprop with learning rate
# 1e-4, 30 epochs. Since the base is frozen, training on cached features is training base
# plus head, in seconds per epoch instead of minutes. `ModelCheckpoint(save_best_only=True)`
# keeps the epoch with the lowest validation loss, `CSVLogger` the history; we reload the
# best head. It is built and compiled inside `strategy.scope()`, so `DISTRIBUTE` decides where
# it trains.

# %%
if len(class_names) == 2:
    output, loss = keras.layers.Dense(1, activation="sigmoid"), "binary_crossentropy"
else:
    output = keras.layers.Dense(len(class_names), activation="softmax")
    loss = "sparse_categorical_crossentropy"
with strategy.scope():
    head = keras.Sequential(
        [
            keras.Input(shape=features["train"].shape[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dropout(0.3),
            output,
        ],
        name="head",
    )
    head.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=LEARNING_RATE),
        loss=loss,
        metrics=["accuracy"],
    )
head.summary()

# %%
head_path = Path(MODELS_DIR) / "checkpoints" / f"{NAME}_head.keras"
head_path.parent.mkdir(parents=True, exist_ok=True)
Path(RESULTS_DIR).mkdir(parents=True, exist_ok=True)
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
history = pd.DataFrame(history.history).rename_axis("epoch").rename(index=lambda i: i + 1)
best = int(history["val_loss"].idxmin())
fig = plots.plot_history(history.reset_index(), "VGG-16 features + dense head")
plots.save_figure(fig, Path(RESULTS_DIR) / f"{NAME}_history.png")
print(f"best epoch {best}: validation accuracy {history.loc[best, 'val_accuracy']:.4f}")
print(history[["accuracy", "val_accuracy"]].iloc[[min(5, len(history)) - 1, -1]].round(4))

# %% [markdown]
# **The book's run, and yours.** In the book's run (chapter 5, and the article that excerpts
# it) this head reaches a validation accuracy close to 88 %, some 5 to 6 points above its CNN
# trained on augmented photos, and the authors see it overfit: after about the fifth epoch the
# training accuracy keeps climbing towards 100 % while the validation accuracy stays where it
# was, and in their log the validation loss grows from about 0.3 to 0.83 by the last epoch.
# The book keeps the last epoch; we keep the one with the lowest validation loss (printed
# above, with its validation accuracy). The two rows printed last are the training and
# validation accuracy of your run at epoch 5 (or earlier, in a shorter run) and at its last
# epoch: a gap that widens from the first row to the second is the overfitting the book
# describes, and the curves above show where it starts. Notebook 05 answers it with
# augmentation.

# %% [markdown]
# ## One model that takes photos
#
# Raw photo → VGG-16 preprocessing → frozen base → the best head, in one functional model,
# saved as `cats_dogs_tlearn_basic_cnn.h5` (with its class names and training facts in
# `cats_dogs_tlearn_basic_cnn.json`) for notebook 07 and `predict.py`. `training=False` runs
# the base in inference mode, as Keras' transfer-learning guide recommends. At 150 px the
# head's trainable weights are 8,192 x 512 + 512, then 512 x 512 + 512, then 513: 4,457,985,
# the count in the book's model summary too; the frozen ones are the base's 14,714,688 and the
# 12 of the preprocessing layer.

# %%
inputs = keras.Input(shape=SHAPE, name="image")
x = preprocess(inputs)
x = conv_base(x, training=False)
outputs = head(x)
model = keras.Model(inputs, outputs, name="vgg16_feature_extractor")
saving.save_model(
    model,
    Path(MODELS_DIR) / f"{NAME}.h5",
    class_names,
    epochs=len(history),
    best_epoch=best,
    best_epoch_val_accuracy=float(history.loc[best, "val_accuracy"]),
    best_val_loss=float(history.loc[best, "val_loss"]),
    train_seconds=train_seconds,
    notebook="04",
    learning_rate=LEARNING_RATE,
    features_precision=MIXED_PRECISION,
)
counts = pretrained.param_counts(model)
print(f"trainable weights: {counts['trainable_params']:,} | frozen: {counts['frozen_params']:,}")

# %% [markdown]
# ## A linear model on pooled features
#
# Averaging each of the 512 feature maps over its cells (global average pooling) gives 512
# numbers per photo. A standardised logistic regression on them is the "light model on
# bottleneck features" strategy: no epochs, trained in seconds. Its regularisation `C` is
# chosen by 3-fold cross-validation on the **training** photos (`GridSearchCV`), so the
# validation photos score a choice they took no part in. The pooled features go to
# `RESULTS_DIR` with `np.save`, ready for scikit-learn experiments of your own.

# %%
pooled = {split: f.mean(axis=(1, 2)) for split, f in features.items()}
for split in pooled:
    np.save(Path(RESULTS_DIR) / f"{PREFIX}_vgg16_pooled_{split}.npy", pooled[split])
    np.save(Path(RESULTS_DIR) / f"{PREFIX}_vgg16_labels_{split}.npy", labels[split])
search = GridSearchCV(
    make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)),
    {"logisticregression__C": [0.01, 0.1, 1.0]},
    cv=3,
)
search.fit(pooled["train"], labels["train"])
best_c = search.best_params_["logisticregression__C"]
linear_accuracy = search.score(pooled["validation"], labels["validation"])
print(f"C = {best_c} (cross-validated on training photos) -> validation {linear_accuracy:.4f}")

# %%
results = pd.DataFrame(
    [
        ("VGG-16 features + dense head (book)", history.loc[best, "val_accuracy"], train_seconds),
        (f"VGG-16 pooled features + logistic regression (C={best_c})", linear_accuracy, None),
    ],
    columns=["model", "validation_accuracy", "train_seconds"],
).set_index("model")
results.to_csv(Path(RESULTS_DIR) / "04_vgg16_feature_extractor.csv")
results.round(4)

# %% [markdown]
# ## The book's x/255 against VGG-16's own preprocessing
#
# The book feeds VGG-16 RGB values divided by 255, far from the BGR, mean-subtracted pixels it
# was trained on. Same photos (the first `COMPARE_PER_CLASS` training and
# `COMPARE_VALIDATION_PER_CLASS` validation photos of each class), same classifier (logistic
# regression on pooled features, `C = 0.1`); only the preprocessing differs.

# %%
train_idx = data.per_class_indices(labels["train"], COMPARE_PER_CLASS)
val_idx = data.per_class_indices(labels["validation"], COMPARE_VALIDATION_PER_CLASS)
rescaled = keras.Sequential(
    [keras.Input(shape=SHAPE), keras.layers.Rescaling(1 / 255), conv_base], name="rescaled"
)


def pooled_features(model: keras.Model, split: str, idx: np.ndarray) -> np.ndarray:
    """`model` on some photos of a split, each feature map averaged."""
    paths = [datasets[split].file_paths[i] for i in idx]
    photos = data.image_dataset(paths, labels[split][idx], (IMAGE_SIZE, IMAGE_SIZE), BATCH_SIZE)
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
# ## Try it
#
# Each exercise changes the parameters cell or one cell. Point `MODELS_DIR` and `RESULTS_DIR`
# at other folders first (`"../models-try"`, `"../results-try"`), so that the book's model
# that notebook 07 scores is not overwritten; `CACHE_DIR` can stay, since the cache tells
# models, photos and sizes apart.
#
# 1. **The book's x/255.** In the cell that builds `extractor`, add
#    `preprocess = keras.layers.Rescaling(1 / 255)` on the line before it, so that the
#    features, the head and the saved model all see pixels divided by 255. Print the range
#    the base now receives, `float(preprocess(photos).numpy().min())` and `.max()`, then
#    compare the results table with the one your first run wrote
#    (`../results/04_vgg16_feature_extractor.csv`). (The preprocessing table is no help this
#    time: both its rows now start from x/255 features.)
#    <details><summary>Answer</summary>
#    The base receives values in [0, 1] instead of values within [-123.7, 151.1] (VGG-16's
#    preprocessing subtracts the mean pixel, 103.9, 116.8 and 123.7 for blue, green and red,
#    from values up to 255). Its first filters were trained on the larger, centred values, so
#    every response downstream changes scale and balance; whether the head and the logistic
#    regression make up for it on 3,000 photos is what the two tables say. The preprocessing
#    table of the first run asked the same question with a linear model on a subset.
#    </details>
# 2. **VGG-16's own size.** Set `IMAGE_SIZE = 224`, the size of the ImageNet crops it was
#    trained on. Look at the shape of the features and at the trainable weights printed
#    under the saved model.
#    <details><summary>Answer</summary>
#    Five poolings take 224 px to 7 x 7, so each photo gives 7 x 7 x 512 = 25,088 numbers
#    instead of 8,192, and the head's first Dense layer grows with it: 13,108,737 trainable
#    weights instead of 4,457,985. The frozen ones stay 14,714,688 (plus the 12 of the
#    preprocessing layer): convolutions do not care about the photo's size. The pass over
#    the photos costs about (224 / 150)^2, 2.2 times the arithmetic.
#    </details>
# 3. **A lighter head.** In the head's cell replace `keras.layers.Flatten()` by
#    `keras.layers.GlobalAveragePooling2D()` (the logistic regression's pooled features, fed to
#    the book's dense layers). Look at `head.summary()`, then compare the best validation
#    accuracy and the two printed rows (epoch 5 and the last) with the book's head.
#    <details><summary>Answer</summary>
#    Averaging each map leaves 512 numbers per photo, whatever the image size, and the head
#    525,825 trainable weights instead of 4,457,985. Fewer weights give less room to learn
#    the training photos by heart, which can narrow the gap between training and validation
#    accuracy; the averaging also throws away where in the photo each pattern was, which can
#    cost accuracy. Your run says which weighs more here.
#    </details>
# 4. **Stop where the book saw overfitting begin.** Set `EPOCHS = 5`. Compare the best
#    epoch and its validation accuracy with those of the 30-epoch run.
#    <details><summary>Answer</summary>
#    The checkpoint keeps the epoch with the lowest validation loss in either run. If that
#    epoch came early in the 30-epoch run, the 5-epoch run finds (nearly) the same model in
#    a sixth of the time, and the extra epochs bought nothing but overfitting; if it came
#    late, the longer run was worth it. The history figure shows which.
#    </details>
#
# ## What a full run costs
#
# Book settings (3,000 training and 1,000 validation photos at 150 px, 30 epochs) on a GPU:
# not measured here. On 2 CPU cores (`cpu` profile, 180 px) the cost is one pass of VGG-16
# over the 4,000 photos plus the 30 epochs of the head: 21.54 minutes in the run of
# 2026-12-03 in `BENCHMARKS.md` (2-core AMD EPYC, float32, which the runner measured faster
# that day), of which 738.0 s for the 3,000 training photos, 225.0 s for the 1,000
# validation photos and 230.2 s for the head. That day the machine ran VGG-16 about three
# times slower than on 2026-11-24 (5.6 photos per second at 180 px in float32, against 16 in
# bfloat16), and the training pass shared it with four helpers editing text files under
# `nice -n 19` (4.07 photos per second, against 4.44 for the validation pass right after it,
# alone). The run of 2026-11-24 there, of the previous version, took 5.59 minutes, of which
# 75.2 s for the head. A re-run with the cache in place skips the pass.
