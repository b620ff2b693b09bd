"""The ``livedigits`` command line: the Typer root, its one error boundary, shared options and one
module per command group.
"""
