"""Placing a new instance: the candidate search in one node list, the group choice, dedicated allocation."""
