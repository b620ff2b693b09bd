"""Measuring and checking tools: bench, held-out evaluation, doctor and the kernel warm-up."""
