"""skhopfield: Hopfield networks and modern associative memories for scikit-learn."""

from ._classical import HopfieldMemory
from ._modern import ModernHopfieldClassifier

__all__ = ["HopfieldMemory", "ModernHopfieldClassifier"]
__version__ = "0.1.0.dev0"
