"""Subcommands of `exhunt`, one module each (see `exhunt.cli`)."""
