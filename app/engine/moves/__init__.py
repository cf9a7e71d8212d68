"""Moving existing instances: single moves, their targets, DRBD pairs, evacuations and their jobs."""
