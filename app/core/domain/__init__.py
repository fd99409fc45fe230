"""What every layer and ``custom/`` builds on, importing nothing else of ``app.core``:
the problem any layer raises, bounded types, schema base classes, the request context a
service sees, and entity tags of a row's version.
"""
