"""Running the model: assembly of a draw's model from the populations, ensembles, workers,
checkpoints, staging of output folders and provenance.

Named ``runner`` rather than ``run``: a subpackage ``sim.run`` would replace the function
:func:`sim.run` as an attribute of the package the first time one of its modules is imported.
"""
