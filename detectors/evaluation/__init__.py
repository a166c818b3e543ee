"""Evaluation of the heads on labelled datasets: per-detector metrics next to the keyword baseline."""
