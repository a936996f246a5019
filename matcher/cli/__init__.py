"""Command-line interface: one module per verb, a thin layer over library calls."""
