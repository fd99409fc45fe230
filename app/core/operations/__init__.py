"""Serving the generated operations and binding ``custom/`` to them: the operations'
router, the resource registry, the discovery of custom classes and hooks, actions, the
warm-up, and the importer that feeds files through the same services.
"""
