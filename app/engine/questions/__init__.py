"""Answers to operator questions (explanations, headroom) that run the engine and decide nothing."""
