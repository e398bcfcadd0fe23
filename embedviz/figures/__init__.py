"""Figures: pure functions from coordinates, similarities and texts to plotly figures."""

from .heatmap import similarity_heatmap
from .scatter import projection_scatter

__all__ = ["projection_scatter", "similarity_heatmap"]
