"""The Dask tests need the dask extra (dask, distributed, zarr): without it they are not collected."""

from __future__ import annotations

import importlib.util

#: Every test module here imports dask (or zarr) at the top.
collect_ignore_glob = (
    [] if all(importlib.util.find_spec(name) for name in ("dask", "distributed", "zarr")) else ["test_*.py"]
)
