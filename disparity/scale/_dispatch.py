"""Kept for compatibility: the dispatch hook lives in :mod:`disparity._dispatch`."""

from .._dispatch import DISPATCHED, dispatches, engine_call, is_engine_table

__all__ = ["DISPATCHED", "dispatches", "engine_call", "is_engine_table"]
