"""Frame classifiers: per-frame class probabilities from a feature matrix."""

from ethostyle.models.gbdt import GBDTClassifier

__all__ = ["GBDTClassifier"]
