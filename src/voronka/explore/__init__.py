"""Exploring a store one does not know yet (docs/explore.md): ``profile`` (what is in it),
``transitions`` (how units move between events, loops) and ``scan`` (what changed, where
and when)."""
