"""Results after a run: summaries, reports, plots, comparisons, calibration, sensitivity and the explore page."""
