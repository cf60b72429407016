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
#    fifth of the arithmetic of every step on photos. Block 5 alone, from a head trained
#    first, with SGD at 1e-4 and momentum 0.9: the optimizer of the 2016 Keras blog post, not
#    its other settings (notebook 11 follows that post step by step).
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
DATA, MODELS, RESULTS = Path(DATA_DIR), Path(MODELS_DIR), Path(RESULTS_DIR)
CHECKPOINTS = MODELS / "checkpoints"

# %% [markdown]
# ## Data
#
# The split folders read with `keras.utils.image_dataset_from_directory`, in file order, for
# the cached features and activations; the training split's class names are passed to the
# validation split, so a class has the same number in both. The labels come from the file
# paths (each photo's folder), without decoding a photo. Step 2 reads the training photos
# again, shuffled every epoch.

# %%
class_names = data.class_names(DATA / "train")
datasets = {
    split: keras.utils.image_dataset_from_directory(
        DATA / split, image_size=SIZE, batch_size=BATCH_SIZE, shuffle=False, class_names=class_names
    )
    for split in ("train", "validation")
}
labels = {
    split: np.array([class_names.index(Path(p).parent.name) for p in ds.file_paths])
    for split, ds in datasets.items()
}
loss = "binary_crossentropy" if len(class_names) == 2 else "sparse_categorical_crossentropy"

# %% [markdown]
# ## Step 1: warm the new head up on the frozen base
#
# VGG-16 behind its own preprocessing layer, frozen, as in notebook 04. While it is frozen its
# output for each photo never changes, so the head trains on the bottleneck features:
# `cache.predict` computes them once (after notebook 04 it loads 04's). A second VGG-16 with
# the same weights, `cached_base`, waits for step 3, which must start from the pretrained
# blocks whatever step 2 does to `conv_base`. Every model that trains in this notebook is
# built and compiled inside `strategy.scope()`, so `DISTRIBUTE` decides where it trains: the
# base too, since step 2 fine-tunes it. The book's head of notebook 04 (`training.book_head`),
# RMSprop at 1e-4; the best epoch (lowest validation loss) is kept and reloaded.

# %%
with strategy.scope():
    keras.mixed_precision.set_global_policy(MIXED_PRECISION)
    weights = pretrained.weights_file("vgg16", WEIGHTS)
    conv_base = keras.applications.VGG16(include_top=False, weights=weights, input_shape=SHAPE)
    cached_base = keras.applications.VGG16(include_top=False, weights=weights, input_shape=SHAPE)
    keras.mixed_precision.set_global_policy("float32")
    conv_base.trainable = False
    preprocess = pretrained.preprocessing_layer("vgg16")
extractor = keras.Sequential([keras.Input(shape=SHAPE), preprocess, conv_base], name="extractor")
features = {
    split: cache.predict(extractor, ds, f"{split}_features", CACHE_DIR)
    for split, ds in datasets.items()
}

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
        log=RESULTS / f"{PREFIX}_tlearn_finetune_warmup.csv",
        verbose=2,
    )
warmup_facts = training.summarize(warmup)
warmup_facts.update(train_seconds=warmup_seconds, validation_photos=len(labels["validation"]))
results = {"warm-up: head on cached features, base frozen": warmup_facts}

# %% [markdown]
# ## Step 2: unfreeze blocks 4 and 5, fine-tune with a low learning rate (the book's route)
#
# One model: raw photo → augmentation (notebook 03's layers, active in training only) → VGG-16
# preprocessing → base → the warm head. Then the loop: a layer trains when its name starts
# with one of `UNFROZEN_BLOCKS`. `conv_base.trainable = True` first, as Keras' guide does
# before fine-tuning: step 1 switched the base's own flag off, and while it is off the base
# lists no trainable weights (`conv_base.trainable_weights` is empty), whatever its layers
# say. Keras reads the flags when the model is compiled, so we compile after setting them.
# This route runs every photo through all 13 convolution layers at every step: a GPU's work
# (`EPOCHS = 0` skips it). Notebook 04's table of VGG-16's five blocks shows, block by block,
# which are frozen and which train in notebooks 04 to 06.
#
# **Why `training=False`.** Calling the base with `training=False` runs it in inference mode
# even while `fit` trains its weights. Keras' guide *Transfer learning & fine-tuning*
# (F. Chollet, <https://keras.io/guides/transfer_learning/>) singles out one layer when it
# unfreezes a base, `BatchNormalization`: in training mode such a layer normalises each batch
# with that batch's own mean and variance and moves its stored statistics towards ours, so
# the layers after it, trained on ImageNet's statistics, suddenly see other inputs, and
# fine-tuning starts by undoing what the base had learned. Passing `training=False` keeps
# every `BatchNormalization` layer on its stored statistics (in Keras a frozen one does so
# too). That matters the day you fine-tune InceptionV3 (notebook 08's base), a ResNet or an
# EfficientNet, which are full of them. VGG-16 has none: its base is 13 `Conv2D` and 5
# `MaxPooling2D` layers, which compute the same in both modes, so here `training=False`
# changes nothing; it is written so that the recipe stays right when you swap the base. The
# head is called without it: its `Dropout` layers act in training, as they should.
#
# **The book's result.** In the book's run this model (blocks 4 and 5 unfrozen from a fresh
# head, RMSprop at 1e-5, 100 epochs on augmented photos) reaches about 96 % validation
# accuracy, 6 points above its frozen base with augmentation (notebook 05's model, 90 %) and
# 24 points above its first CNN (notebook 02's basic one, 72 %), with training accuracy
# above 99 % by the end: a little overfitting, at a high level. Your run's figure is the row
# `fine-tuned block4+block5, RMSprop (book + warm-up)` of the results table at the end, when
# this route runs (the `cpu` profile skips it).

# %%
if EPOCHS:
    with strategy.scope():
        inputs = keras.Input(shape=SHAPE, name="image")
        x = augment.book_augmentation(seed=SEED)(inputs)
        outputs = head(conv_base(preprocess(x), training=False))
        model = keras.Model(inputs, outputs, name="vgg16_finetuned")

        conv_base.trainable = True
        for layer in conv_base.layers:
            layer.trainable = layer.name.startswith(tuple(UNFROZEN_BLOCKS))

        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=LEARNING_RATE),
            loss=loss,
            metrics=["accuracy"],
        )
    display(pretrained.layer_table(conv_base))

# %% [markdown]
# The training photos shuffled every epoch (`STEPS_PER_EPOCH` batches of them, `take(-1)`
# being all); the validation photos as they are, a class-balanced subset when
# `VALIDATION_PER_CLASS` is set. `fit` with the same callbacks as before; the checkpoint keeps
# the best epoch's weights (`save_weights_only`), which we load back. The saved model is raw
# photo → preprocessing → fine-tuned base → head. It leaves the augmentation out: it does
# nothing outside training, and the file stays loadable anywhere (in Keras 3.15 a saved
# `RandomShear` layer does not load back). The trainable flags go with it.

# %%
if EPOCHS:
    train_ds = keras.utils.image_dataset_from_directory(
        DATA / "train", image_size=SIZE, batch_size=BATCH_SIZE, seed=SEED
    ).take(STEPS_PER_EPOCH or -1)
    keep = data.per_class_indices(labels["validation"], VALIDATION_PER_CLASS)
    val_paths = [datasets["validation"].file_paths[i] for i in keep]
    val_ds = data.image_dataset(val_paths, labels["validation"][keep], SIZE, BATCH_SIZE)
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
            keras.callbacks.CSVLogger(RESULTS / f"{BOOK_NAME}_history.csv"),
        ],
        verbose=2,
    )
    seconds = round(time.perf_counter() - start, 1)
    model.load_weights(checkpoint)  # the best epoch's weights
    history = training.history_frame(history)
    facts = dict(training.summarize(history), train_seconds=seconds, validation_photos=len(keep))
    fig = plots.plot_history(history, f"Fine-tuning VGG-16 ({', '.join(UNFROZEN_BLOCKS)}), RMSprop")
    plots.save_figure(fig, RESULTS / f"{BOOK_NAME}.png")
    inputs = keras.Input(shape=SHAPE, name="image")
    photo_model = keras.Model(inputs, head(conv_base(preprocess(inputs))), name="vgg16_finetuned")
    saving.save_model(
        photo_model,
        MODELS / f"{BOOK_NAME}.h5",
        class_names,
        **facts,
        notebook="06",
        learning_rate=LEARNING_RATE,
        unfrozen_blocks=UNFROZEN_BLOCKS,
        route="direct",
        warmup_epochs=WARMUP_EPOCHS,
    )
    results[f"fine-tuned {'+'.join(UNFROZEN_BLOCKS)}, RMSprop (book + warm-up)"] = facts

# %% [markdown]
# ## Step 3: fine-tuning block 5 from cached activations (the CPU route)
#
# Block 5 only is unfrozen and trained with SGD at 1e-4, momentum 0.9, starting from a head
# trained on the frozen base's features. The optimizer is the 2016 Keras blog post's
# (`SGD(lr=1e-4, momentum=0.9)`); the post also fine-tunes block 5 alone, from a classifier
# trained first. Its other settings are not used here: it scales photos by 1/255 (here
# VGG-16's own preprocessing, so the same 1e-4 is another step size), trains a top model of
# its own (Flatten, Dense 256, Dropout 0.5), augments every photo anew (shear, zoom, flip)
# and trains on batches of 16 from 2,000 photos. Notebook 11 follows the post itself.
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
# The model for the activations is the preprocessing and blocks 1-4 of `cached_base`, the
# second VGG-16 of step 1 (step 2 may have changed `conv_base`), cut at `block4_pool`.
# `cache.predict` gives its output for the training photos, the validation photos and each
# augmented pass; these are the very activations notebooks 04 and 05 went through, so after
# them nothing is computed here.

# %%
up_to_block4 = keras.Model(cached_base.input, cached_base.get_layer("block4_pool").output)
blocks1_4 = keras.Sequential([keras.Input(shape=SHAPE), preprocess, up_to_block4], name="blocks1_4")
activations = {
    split: cache.predict(blocks1_4, ds, f"{split}_block4_pool", CACHE_DIR)
    for split, ds in datasets.items()
}
passes = [activations["train"]]
for k in range(AUG_PASSES):
    aug = augment.book_augmentation(seed=SEED + 1000 * (k + 1))
    name = f"train_aug{k}_block4_pool"
    passes.append(cache.predict(blocks1_4, datasets["train"], name, CACHE_DIR, augment=aug))

# %% [markdown]
# The head here is smaller than the book's: `GlobalAveragePooling2D` averages each of the 512
# feature maps, then `Dropout(0.5)` and the output unit, 513 weights instead of the book
# head's 4.5 million (at 150 px), which leaves block 5 to do the learning (our choice; the
# book's head is not compared with it here). It is warmed up on the cached bottleneck features
# first, in seconds, like the head of step 1, with Adam at Keras' default learning rate (1e-3).

# %%
with strategy.scope():
    cached_head = keras.Sequential(
        [keras.Input(shape=conv_base.output_shape[1:]), keras.layers.GlobalAveragePooling2D()]
        + [keras.layers.Dropout(0.5), training.output_layer(len(class_names))],
        name="head",
    )
    cached_head.compile(optimizer="adam", loss=loss, metrics=["accuracy"])  # learning rate 1e-3
    cached_head, _, _ = training.fit_keep_best(
        cached_head,
        features["train"],
        (features["validation"], labels["validation"]),
        y=labels["train"],
        batch_size=BATCH_SIZE,
        epochs=CACHED_WARMUP_EPOCHS,
        checkpoint=CHECKPOINTS / f"{PREFIX}_tlearn_finetune_block5_head.keras",
        log=RESULTS / f"{PREFIX}_tlearn_finetune_block5_head.csv",
        verbose=2,
    )

# %% [markdown]
# The trainable part is `cached_base`'s own block 5 (its three `Conv2D` and its
# `MaxPooling2D`, the same layer objects, so training them trains that VGG-16) and the warm
# head; in front of them, during training only, `RandomFlip` on the activation maps. The plain
# activations and the passes go into one tensor, and a `tf.data` pipeline draws shuffled
# batches of indices and gathers their rows, so no shuffle buffer holds a second copy of them.
# `training.fit_keep_best` is `fit` with step 2's two callbacks (checkpointing the whole
# model) and returns the best epoch's model reloaded from the checkpoint: a copy, whose
# weights go back into `cached_model`, and so into `cached_base`'s block 5.

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
    all_x = tf.constant(np.concatenate(passes))  # the plain activations, then each pass
    all_y = tf.constant(np.tile(labels["train"], len(passes)))
    batches = tf.data.Dataset.range(len(all_y)).shuffle(len(all_y), seed=SEED).repeat()
    batches = batches.batch(BATCH_SIZE).map(
        lambda i: (tf.cast(tf.gather(all_x, i), "float32"), tf.gather(all_y, i))
    )
    best, cached_history, seconds = training.fit_keep_best(
        cached_model,
        batches,
        (activations["validation"].astype("float32"), labels["validation"]),
        steps_per_epoch=-(-len(labels["train"]) // BATCH_SIZE),
        epochs=CACHED_EPOCHS,
        checkpoint=CHECKPOINTS / f"{CACHED_NAME}.keras",
        log=RESULTS / f"{CACHED_NAME}_history.csv",
        verbose=2,
    )
    cached_model.set_weights(best.get_weights())  # the best epoch's, into cached_base's block 5
    cached_facts = training.summarize(cached_history)
    cached_facts.update(train_seconds=seconds, validation_photos=len(labels["validation"]))
    fig = plots.plot_history(cached_history, "Fine-tuning block 5 on cached activations, SGD")
    plots.save_figure(fig, RESULTS / f"{CACHED_NAME}_history.png")

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
    inputs = keras.Input(shape=SHAPE, name="image")
    outputs = cached_head(cached_base(preprocess(inputs)))
    photo_model = keras.Model(inputs, outputs, name="vgg16_block5_sgd")
    for name in [CACHED_NAME] + ([] if EPOCHS else [BOOK_NAME]):
        saving.save_model(
            photo_model,
            MODELS / f"{name}.h5",
            class_names,
            **cached_facts,
            notebook="06",
            learning_rate=CACHED_LEARNING_RATE,
            unfrozen_blocks=["block5"],
            route="cached block4_pool activations",
            augmented_passes=AUG_PASSES,
            features_precision=MIXED_PRECISION,
        )
    photos = data.read_images(datasets["validation"].file_paths[:BATCH_SIZE], IMAGE_SIZE, raw=True)
    on_photos = photo_model.predict(photos, verbose=0)
    on_activations = cached_model.predict(activations["validation"][:BATCH_SIZE], verbose=0)
    difference = np.abs(on_photos - on_activations).max()
    print(f"saved model vs model just trained: largest difference in probability: {difference:.2e}")
    results["fine-tuned block5 on cached activations, SGD"] = cached_facts

# %% [markdown]
# ## Results
#
# What `training.summarize` says of each model's run, one row per model: `best_epoch_val_accuracy`
# is the validation accuracy of the kept (best) epoch, the weights that were saved, and
# `validation_photos` says how many photos it was measured on. The last column is how far that
# accuracy is from the warm-up row's, the head on the frozen base. Notebook 07 scores the saved
# models on the test photos.

# %%
table = pd.DataFrame.from_dict(results, orient="index").rename_axis("model")
accuracy = table["best_epoch_val_accuracy"]
table["against_frozen_base"] = accuracy - accuracy.iloc[0]
table.to_csv(RESULTS / "06_vgg16_fine_tuning.csv")
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
# ## Try it
#
# Each exercise changes the parameters cell or one cell. Point `MODELS_DIR` and `RESULTS_DIR`
# at other folders first (`"../models-try"`, `"../results-try"`), so that the models notebook
# 07 scores are not overwritten. Step 2 runs only when `EPOCHS > 0`: on a CPU, run exercises
# 1-3 small, `EPOCHS = 1`, `STEPS_PER_EPOCH = 2`, `VALIDATION_PER_CLASS = 10`, with the `cpu`
# profile's `AUG_PASSES = 1` and `CACHED_EPOCHS = 0` (step 3 skipped), to see the table and
# the flags in minutes; the accuracies to compare need the full run on a GPU.
#
# 1. **Fine-tune block 5 only.** Set `UNFROZEN_BLOCKS = ["block5"]`. Sum the trainable
#    weights of the layer table step 2 shows:
#    `table = pretrained.layer_table(conv_base)` and
#    `table.loc[table["Layer Trainable"], "Params"].sum()`. Then compare the best validation
#    accuracy and the seconds per epoch with the book's two blocks.
#    <details><summary>Answer</summary>
#    Four layers are trainable (`block5_conv1` to `block5_conv3` and `block5_pool`, which has
#    no weights): 7,079,424 weights, against 12,979,200 with block 4 as well. Fewer weights
#    to fit on 3,000 photos and a shorter backward pass; whether the model gains or loses
#    accuracy by leaving block 4 as ImageNet made it is what the comparison shows. It is the
#    choice of the cached route and of the 2016 Keras blog post (notebook 11).
#    </details>
# 2. **Fine-tune everything.** Set `UNFROZEN_BLOCKS = ["block"]`: every VGG-16 layer with
#    weights has a name starting with `block`. Sum the trainable weights as in exercise 1 and
#    compare the curves with the book's two blocks.
#    <details><summary>Answer</summary>
#    All 13 convolutions train: 14,714,688 weights, the whole base. The first blocks' edges
#    and colours now move too, with the same learning rate; on 3,000 photos that adds room to
#    overfit and the risk of damaging generic filters, against the chance to adapt them. The
#    validation curve says which happened here.
#    </details>
# 3. **Drop `training=False`.** In step 2's model cell call `conv_base(preprocess(x))`. Print
#    `{type(layer).__name__ for layer in conv_base.layers}`, and compare the first epoch's
#    numbers with those of a run that keeps it.
#    <details><summary>Answer</summary>
#    The set is `{'InputLayer', 'Conv2D', 'MaxPooling2D'}`: no `BatchNormalization` and no
#    `Dropout`, so the base computes exactly the same in training and in inference mode, and
#    whatever differs between the two runs is the run-to-run noise of training, not the flag.
#    With a base that has `BatchNormalization` layers (`keras.applications.InceptionV3`,
#    notebook 08's) the flag decides which statistics they normalise with.
#    </details>
# 4. **No augmented passes.** Set `AUG_PASSES = 0` and compare the cached route's validation
#    curve with the run with 5 passes.
#    <details><summary>Answer</summary>
#    Step 3 then draws its batches from the plain `block4_pool` activations alone, 3,000 rows
#    of 9 x 9 x 512 (at 150 px) instead of 18,000 (3,000 x 6), and computes no augmented pass
#    (the first run's passes stay in the cache). An epoch is still as many batches as the
#    training split holds, so each epoch shows every training photo about once, always the
#    same version but for the random flip. With less variety block 5 can learn the training
#    photos by heart sooner: compare where the validation loss turns up in the two runs.
#    </details>
#
# ## What a full run costs
#
# Book settings (100 epochs on 3,000 augmented photos at 150 px, plus 50 on cached
# activations) on a GPU: not measured here. `cpu` profile on 2 CPU cores (180 px, no route on
# photos, one augmented pass, 5 epochs of block 5 on cached activations): 16.33 minutes after
# notebooks 04 and 05 in the run of 2026-12-03 in `BENCHMARKS.md` (2-core AMD EPYC, nothing
# else running, float32), of which 87.1 s for the warm-up head and 846.2 s for the 5 epochs
# (169 s per epoch), on a day the machine ran VGG-16 about three times slower than on
# 2026-11-24 (5.6 photos per second at 180 px in float32, against 16 in bfloat16). The run of
# 2026-11-24 there, of the previous version of this notebook, took 5.35 minutes: 29.3 s for
# the warm-up and 263.1 s for the 5 epochs, in bfloat16. After notebooks 04 and 05 nothing
# here runs blocks 1-4: their output comes from the cache.
