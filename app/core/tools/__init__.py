"""Process-wide tools, importing nothing else of ``app.core``: the pooled HTTP client
that custom code calls other services with.
"""
