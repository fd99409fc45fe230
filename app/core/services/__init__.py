"""The service base class every generated service extends: a resource's business rules
over its repository, inside a unit of work that the request boundary commits.
"""
