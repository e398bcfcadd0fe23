"""embedviz: see what a set of sentences means.

The pipeline, one module per stage::

    inputs -> encoders -> project -> similarity -> figures -> export

Importing embedviz is fast: models, UMAP and plotting load where they are used.
"""

__version__ = "0.1.0"
