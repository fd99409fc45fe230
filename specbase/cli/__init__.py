"""The ``specbase`` command line: one module per command, above the generator and the runtime.

Each command module has ``add_parser(commands)``, which adds its subcommand and binds it
to the module's ``run(args) -> int`` (the exit code); :mod:`specbase.cli.main` builds the
parser from them. A command module imports only the standard library when loaded: what a
command needs is imported when it runs, so that ``specbase generate`` answered by a warm
server is done before most of the generator would have loaded (see generator.server).
"""

__all__: list[str] = []
