"""Typer command functions too large for cli.py; cli.py registers them."""
