"""specbase, the tool: its command line (:mod:`specbase.cli`)."""
