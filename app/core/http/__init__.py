"""The HTTP edge: reading request bodies and parameters, writing responses, the OpenAPI
document, health probes, request logging and the ``Annotated`` dependencies routes take.
"""
