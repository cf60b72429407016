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
# # Cats vs dogs: evaluating every model on the test set
#
# **Description:** test the case study's models on photos none of them has seen, side by
# side: metrics, confusion matrices, ROC curves, single predictions, mistakes, and what the
# fine-tuned network looks at.
#
# ## Introduction
#
# Chapter 5 of the book ends its cats-vs-dogs case study by testing its models on 1,000 unseen
# photos (500 per class). Validation accuracy, which we watched during training, picked the
# epoch to keep, so it is no longer an unbiased estimate: the test split is used here, once.
#
# You will see how to:
#
# 1. load every model saved by notebooks 02-06, with the class names stored beside it;
# 2. predict the test photos **once** per model and derive everything from those
#    probabilities: accuracy, weighted precision, recall and F1, ROC AUC, confusion matrices;
# 3. put all the models in one table (saved as CSV and Markdown) next to the book's figures;
# 4. compare the models on one photo, look at the best model's most confident mistakes, and
#    use **Grad-CAM** to see which parts of a photo the fine-tuned VGG-16 relies on.
#
# The book's `model_evaluation_utils` no longer runs on current libraries (pandas' `labels=`,
# `scipy.interp`, `predict_proba` on Keras models) and one of its functions,
# `display_confusion_matrix_pretty`, never existed. `utils/evaluation.py` rebuilds them on
# scikit-learn, pandas and matplotlib.

# %% [markdown]
# ## Setup
#
# `SAMPLE_IMAGE` is the photo every model predicts (a file name in the test split, such as
# `"cat.1234.jpg"`; `None` picks one at random with `SEED`). `GRADCAM_MODEL` is the saved
# model whose attention Grad-CAM shows.

# %% tags=["parameters"]
DATA_DIR = "../data/cats-vs-dogs"
MODELS_DIR = "../models"
RESULTS_DIR = "../results"
SPLIT = "test"
BATCH_SIZE = 32
SEED = 42
SAMPLE_IMAGE = None
N_MISTAKES = 12
GRADCAM_MODEL = "cats_dogs_tlearn_finetune_img_aug_cnn.h5"
GRADCAM_IMAGES = 4

# %%
from pathlib import Path

import numpy as np
from IPython.display import display

from utils import data, evaluation, gradcam, plots, saving

RESULTS = Path(RESULTS_DIR)
RESULTS.mkdir(parents=True, exist_ok=True)
split_dir = Path(DATA_DIR) / SPLIT
rng = np.random.default_rng(SEED)

# %% [markdown]
# The models of notebooks 02-06, under the book's file names, with readable labels. Any other
# model in `MODELS_DIR` (a variant saved by one of the notebooks) is evaluated too, listed by
# its file name. The book states test accuracy and F1 of about 0.78 for its basic CNN and
# 0.96 for the fine-tuned VGG-16; they go in the table beside ours.

# %%
BOOK_MODELS = {
    "cats_dogs_basic_cnn.h5": "Basic CNN",
    "cats_dogs_cnn_dropout.h5": "CNN + dropout",
    "cats_dogs_cnn_img_aug.h5": "CNN + augmentation",
    "cats_dogs_tlearn_basic_cnn.h5": "VGG-16 features",
    "cats_dogs_tlearn_img_aug_cnn.h5": "VGG-16 features + augmentation",
    "cats_dogs_tlearn_finetune_img_aug_cnn.h5": "VGG-16 fine-tuned + augmentation",
    # the two variants notebooks 05 and 06 add to the book's five
    "cats_dogs_tlearn_img_aug_cached_cnn.h5": "VGG-16 features + augmentation (cached)",
    "cats_dogs_tlearn_finetune_block5_sgd_cnn.h5": "VGG-16 block 5 fine-tuned, SGD (slides)",
}
BOOK_FIGURES = {
    "Basic CNN": {"accuracy": 0.78, "f1": 0.78},
    "VGG-16 fine-tuned + augmentation": {"accuracy": 0.96, "f1": 0.96},
}

# %% [markdown]
# ## The test split
#
# Streamed from disk like the other splits, never augmented. Class numbers come from the
# sorted folder names (`cat = 0`, `dog = 1`); a binary model's single sigmoid output is the
# probability of class 1.

# %%
test_paths, test_labels, test_classes = data.list_images(split_dir)
print("classes:", dict(enumerate(test_classes)))
counts = np.bincount(test_labels, minlength=len(test_classes))
print("test images per class:", {c: int(n) for c, n in zip(test_classes, counts, strict=True)})

# %% [markdown]
# ## Every model, predicted once
#
# Each model is loaded with its sidecar (class names, input size, training facts), predicts
# the test photos at its own input size, and its probabilities are kept in an `Evaluation`.
# Every table and figure below is computed from those, without predicting again. Models not
# trained yet are listed, and files that are not whole image classifiers (for example a head
# trained on cached features) are skipped with the reason.

# %%
found, missing = evaluation.find_models(MODELS_DIR, BOOK_MODELS)
for label in missing:
    print(f"not trained yet (skipped): {label}")
evaluations, skipped = evaluation.evaluate_saved(found, split_dir, BATCH_SIZE)
for label, reason in skipped.items():
    print(f"skipped {label}: {reason}")
if not evaluations:
    raise RuntimeError(f"no model to evaluate in {MODELS_DIR}: run notebooks 02-06 first")

# %% [markdown]
# ## The results table
#
# One row per model, best F1 first: accuracy, weighted precision, recall and F1 (the book's
# metrics), ROC AUC, number of parameters, training time and epochs (trained, and the epoch
# whose weights were kept). `book_*` columns hold the figures the book states.

# %%
table = evaluation.results_table(evaluations, book=BOOK_FIGURES)
csv_path, md_path = evaluation.save_results_table(table, RESULTS, "07_model_evaluation")
print(f"written: {csv_path}, {md_path}")
display(table.round(4))

# %%
fig = evaluation.plot_results_table(table, ("accuracy", "f1", "roc_auc"))
_ = plots.save_figure(fig, RESULTS / "07_model_evaluation.png")

# %% [markdown]
# ## Per model: report and confusion matrix
#
# The book's `display_model_performance_metrics` for each model: the metrics, scikit-learn's
# classification report (precision, recall and F1 of each class) and the confusion matrix
# (rows: actual class, columns: predicted class).

# %%
for label, ev in evaluations.items():
    print(f"\n{'=' * 72}\n{label}\n{'=' * 72}")
    evaluation.display_model_performance_metrics(
        ev.y_true, ev.y_pred, ev.class_names, proba=ev.proba, plots=False
    )

# %% [markdown]
# The same matrices as heatmaps. A model that leans towards one class shows it as one heavy
# off-diagonal cell.

# %%
fig = evaluation.plot_confusion_matrices(evaluations, ncols=3)
_ = plots.save_figure(fig, RESULTS / "07_confusion_matrices.png")

# %% [markdown]
# ## ROC curves
#
# A ROC curve plots the true-positive rate against the false-positive rate as the decision
# threshold on P(dog) goes from 1 to 0; the area under it (AUC) is the probability that a
# random dog photo gets a higher score than a random cat photo. The book's figure compares the
# worst and the best model:

# %%
best, worst = table["model"].iloc[0], table["model"].iloc[-1]
print(f"best: {best}   worst: {worst}")
fig = evaluation.plot_roc_comparison(
    {worst: evaluations[worst], best: evaluations[best]}, title="ROC: worst vs best model"
)
_ = plots.save_figure(fig, RESULTS / "07_roc_worst_best.png")

# %% [markdown]
# And all the models together:

# %%
fig = evaluation.plot_roc_comparison(evaluations, title="ROC: all models")
_ = plots.save_figure(fig, RESULTS / "07_roc_all.png")

# %% [markdown]
# ## One photo, every model
#
# The book's single-sample comparison: one test photo, each model's predicted class and its
# probabilities (read from the cached predictions).

# %%
if SAMPLE_IMAGE:
    sample = next(p for p in test_paths if Path(p).name == SAMPLE_IMAGE)
else:
    sample = test_paths[int(rng.integers(len(test_paths)))]
sample_size = next(iter(evaluations.values())).info["image_size"]
fig = plots.image_grid(
    evaluation.load_images([sample], sample_size), [Path(sample).name], ncols=1, figsize=(3, 3.3)
)

# %%
display(evaluation.single_image_table(evaluations, sample).round(4))

# %% [markdown]
# ## The best model's mistakes
#
# The test photos the best model gets wrong, most confident mistakes first. Look at them
# before blaming the model: is the animal small or partly hidden, are there several animals,
# is the photo mostly something else? Or is it a clear photo the model should have got?

# %%
best_ev = evaluations[best]
mistakes = best_ev.mistakes()
print(f"{best}: {len(mistakes)} mistakes out of {len(best_ev.y_true)} test photos")
if len(mistakes):
    fig = evaluation.plot_mistakes(
        best_ev, N_MISTAKES, best_ev.info["image_size"], ncols=min(6, N_MISTAKES)
    )
    plots.save_figure(fig, RESULTS / "07_best_model_mistakes.png")

# %% [markdown]
# ## What the fine-tuned network looks at: Grad-CAM
#
# Grad-CAM (Selvaraju et al., 2017) takes the feature maps of the last convolution layer
# (`block5_conv3` in VGG-16, 512 maps), weights each by how much the class score rises when
# the map rises (the mean gradient), and keeps the positive part of the sum: a coarse map of
# the evidence for the class, resized onto the photo. Red areas pushed the prediction the
# most. Here: a few photos the model gets right, then some it gets wrong.

# %%
gradcam_path = Path(MODELS_DIR) / GRADCAM_MODEL
gradcam_label = BOOK_MODELS.get(GRADCAM_MODEL, GRADCAM_MODEL)
gradcam_ready = gradcam_path.is_file() and gradcam_label in evaluations
if not gradcam_ready:
    print(f"Grad-CAM skipped: {GRADCAM_MODEL} is not trained yet (or could not be evaluated).")
    print("Train it with notebook 06, or set GRADCAM_MODEL to another saved model.")
else:
    cam_model, cam_info = saving.load_model(gradcam_path)
    cam_ev = evaluations[gradcam_label]
    print(f"{gradcam_label}: last convolution layer {gradcam.last_conv_layer(cam_model)}")
    right = np.flatnonzero(cam_ev.y_pred == cam_ev.y_true)
    right = rng.choice(right, min(GRADCAM_IMAGES, len(right)), replace=False)
    wrong = cam_ev.mistakes()[:GRADCAM_IMAGES]
    print(f"showing {len(right)} right and {len(wrong)} wrong predictions")

# %%
if gradcam_ready:
    chosen = np.concatenate([right, wrong]).astype(int)
    images = evaluation.load_images([cam_ev.paths[i] for i in chosen], cam_info["image_size"])
    heatmaps = gradcam.gradcam(cam_model, images)  # explains the predicted class
    titles = [
        f"{'right' if cam_ev.y_pred[i] == cam_ev.y_true[i] else 'WRONG'}: "
        f"{cam_ev.class_names[cam_ev.y_pred[i]]} {cam_ev.confidence[i]:.2f}\n"
        f"(true {cam_ev.class_names[cam_ev.y_true[i]]})"
        for i in chosen
    ]
    fig = gradcam.plot_gradcam(images, heatmaps, titles, ncols=2)
    plots.save_figure(fig, RESULTS / "07_gradcam.png")

# %% [markdown]
# Read the maps photo by photo: on a right prediction, does the heat sit on the animal (its
# head, eyes, ears, muzzle) or on the background? On a mistake, what did the network look at
# instead: a second animal, a cage, a person? A map explains an error better than a
# probability alone. (Grad-CAM shows the evidence *for* the predicted class, at the coarse
# resolution of the last convolution layer: 9x9 cells for a 150x150 photo.)

# %% [markdown]
# ## Takeaways
#
# - One table, one row per model, from one pass over the test photos per model: compare the
#   models trained from scratch with the transfer-learning ones, and both with the book's
#   figures. The table is saved as `07_model_evaluation.csv` and `.md` in `RESULTS_DIR`.
# - Precision, recall and F1 are weighted by class support, as in the book; with balanced
#   classes they stay close to accuracy. ROC AUC adds what accuracy hides: how well the
#   probabilities rank photos, whatever threshold is chosen.
# - Look at the mistakes and the Grad-CAM maps before trusting a number: they show whether
#   the network learned cats and dogs or something that happens to come with them.
# - `predict.py` classifies new photos with any of these models:
#   `python predict.py --model models/cats_dogs_tlearn_finetune_img_aug_cnn.h5 photos/`.
