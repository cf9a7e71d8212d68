"""hail's cluster score: the components, full and incremental statistics (ALGORITHM.md 4)."""
