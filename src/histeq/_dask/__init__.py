"""Dask arrays: the same count -> plan -> apply, block by block.

Global operations count every block with histeq's kernels (per item and
channel), add the int64 counts up per batch chunk (integer sums: any chunking
gives the same counts), build the plans with the in-memory plan code and map
every block with the in-memory apply kernels; CLAHE computes its grid of tile
LUTs from tile-aligned pieces and blends each block from the LUTs of its own
and neighbouring tiles. Results are bit-identical to the numpy call on the
computed array, for any chunking.

This package imports no dask at import time: :func:`is_dask_array` tells a
Dask array by its type's module, so ``import histeq`` stays light and a
machine without dask never reaches the modules that import it.
"""

from __future__ import annotations


def is_dask_array(value: object) -> bool:
    """True for a ``dask.array.Array`` (checked without importing dask)."""
    return type(value).__module__.startswith("dask.array") and hasattr(value, "chunks")
