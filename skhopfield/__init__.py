"""skhopfield: Hopfield networks and modern associative memories for scikit-learn."""

from ._bam import BidirectionalAssociativeMemory
from ._batch import sharded_memory
from ._classical import HopfieldMemory
from ._dense import DenseAssociativeMemory
from ._modern_classification import ModernHopfieldClassifier
from ._modern_regression import ModernHopfieldRegressor
from ._simplicial import SimplicialHopfieldMemory
from .impute import HopfieldImputer

__all__ = [
    "BidirectionalAssociativeMemory",
    "DenseAssociativeMemory",
    "HopfieldImputer",
    "HopfieldMemory",
    "ModernHopfieldClassifier",
    "ModernHopfieldRegressor",
    "SimplicialHopfieldMemory",
    "sharded_memory",
]
__version__ = "0.1.0.dev0"
