"""Notebook 00 (concepts) end to end, with small parameters: VGG-16's layers and what each
strategy trains, the traditional-vs-transfer and layer-hierarchy figures, the settings and
approaches tables, and the further-reading links."""

from __future__ import annotations

import re

import pytest

from tests.conftest import cell_text

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

READING = (
    "https://keras.io/guides/transfer_learning/",
    "https://blog.keras.io/building-powerful-image-classification-models-using-very-little-data.html",
    "https://doi.org/10.1109/TKDE.2009.191",  # Pan and Yang 2010
    "https://arxiv.org/abs/1411.1792",  # Yosinski et al. 2014
    "https://arxiv.org/abs/1409.1556",  # Simonyan and Zisserman 2014
    "https://arxiv.org/abs/1512.00567",  # Szegedy et al. 2016
    "https://arxiv.org/abs/1610.02391",  # Selvaraju et al. 2017
    "https://doi.org/10.1007/s10994-009-5152-4",  # Ben-David et al. 2010
    "https://towardsdatascience.com/a-comprehensive-hands-on-guide-to-transfer-learning",
    "https://github.com/dipanjanS/hands-on-transfer-learning-with-python",
)


def test_notebook_00_concepts(run_notebook):
    nb = run_notebook("00", IMAGE_SIZE=64)
    text = cell_text(nb)
    assert "block5_conv3" in text and "Layer Trainable" in text
    assert "2 x 2 x 512 = 2,048 features" in text
    assert "7079424" in text  # block 5's parameters, whatever the input size
    assert "138,357,544" in text  # the complete VGG-16
    for strategy in ("frozen base + book head", "fine-tune block 5", "train everything"):
        assert strategy in text

    # the pictures of traditional learning vs transfer learning and of the layer hierarchy
    # (generic low layers, specific high layers) are drawn by the notebook
    figures = [
        cell.source
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]
    assert len(figures) == 2 and "FancyBboxPatch" in figures[0]
    assert "generic  →  specific" in figures[1]

    # the settings table says which data carry labels, multi-task and self-taught placed
    for phrase in ("yes: multi-task learning", "no: self-taught learning", "transductive"):
        assert phrase in text
    for approach in ("instance transfer", "feature-representation transfer", "TrAdaBoost"):
        assert approach in text
    for model in ("VGG-16, VGG-19", "ResNet-50", "EfficientNet", "BERT", "GloVe", "word2vec"):
        assert model in text

    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    for url in READING:
        assert url in prose, url
    # the three ways transfer helps point to the measured plot, none is drawn by hand
    for effect in ("Higher start", "Higher slope", "Higher asymptote"):
        assert effect in prose
    assert "How much data does transfer save?" in prose

    # one shape: title, Description, Introduction, Setup, ..., Takeaways, exercises, cost
    headings = re.findall(r"^#+ (.+)$", prose, flags=re.MULTILINE)
    assert headings[0] == "Transfer learning: the concepts" and "**Description:**" in prose
    assert headings[1:3] == ["Introduction", "Setup"]
    assert headings[-3:] == ["Takeaways", "Try it", "What a full run costs"]
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
