"""The `demandos` command line: thin commands over the Workspace API."""
