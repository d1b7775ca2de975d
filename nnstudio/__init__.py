"""nnstudio: design, train, compare and tune fully-connected neural networks."""

__version__ = "0.1.0"
