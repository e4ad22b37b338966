"""The version of gipro (one place; ``gipro.__version__`` re-exports it)."""

__version__ = "0.1.0"
