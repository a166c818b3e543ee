"""Training of the heads from ../shared/data (train split; thresholds chosen on dev). Never imported at run time."""
