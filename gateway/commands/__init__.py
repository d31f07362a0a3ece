"""CLI subcommands, one module each.

Every module here defines ``add_parser(subparsers)`` (registering its subcommand and setting
``func`` to its ``run(args) -> int``); ``gateway.cli`` discovers them, so adding a command never
touches a shared list.
"""
