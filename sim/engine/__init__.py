"""The simulation engine: the model and its components, the ledger, random streams and the ensemble runner."""
