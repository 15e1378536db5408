"""One module per ``settings-guide`` subcommand, each with ``register(subparsers)``."""
