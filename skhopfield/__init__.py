"""skhopfield: Hopfield networks and modern associative memories for scikit-learn."""

from ._classical import HopfieldMemory

__all__ = ["HopfieldMemory"]
__version__ = "0.1.0.dev0"
