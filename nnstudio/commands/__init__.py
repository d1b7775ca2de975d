"""Subcommands of the ``nnstudio`` command line, one module each (discovered automatically)."""
