"""Notebook 00 (concepts) end to end, with small parameters (notebook 09: test_notebook_09.py)."""

from __future__ import annotations

import pytest

from tests.conftest import cell_text

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_notebook_00_concepts(run_notebook):
    nb = run_notebook("00", IMAGE_SIZE=64)
    text = cell_text(nb)
    assert "block5_conv3" in text and "Layer Trainable" in text
    assert "2 x 2 x 512 = 2,048 features" in text
    assert "7079424" in text  # block 5's parameters, whatever the input size
    assert "138,357,544" in text  # the complete VGG-16
    for strategy in ("frozen base + book head", "fine-tune block 5", "train everything"):
        assert strategy in text
