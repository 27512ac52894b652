"""pgvector values ⇄ numpy."""

from __future__ import annotations

from typing import Any

import numpy as np


def as_array(value: Any) -> np.ndarray:
    """A pgvector value (``Vector`` or array) as a float32 numpy array of shape (dim,)."""
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value, dtype=np.float32)
