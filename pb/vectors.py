"""pgvector values ⇄ numpy."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector


def register(conn: psycopg.Connection) -> None:
    """pgvector's types on this connection, registered once.

    ``pgvector.psycopg.register_vector`` runs four catalog queries on every
    call; a worker's long-lived connection needs them only the first time
    (they were ~4 ms of each similar-idea reply, ``siang bench e2e``).
    """
    if conn.adapters.types.get("vector") is None:
        register_vector(conn)


def as_array(value: Any) -> np.ndarray:
    """A pgvector value (``Vector`` or array) as a float32 numpy array of shape (dim,)."""
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value, dtype=np.float32)
