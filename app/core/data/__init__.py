"""Data access: engines and the unit of work, repositories (which own all SQL), list
queries and cursors, soft deletes and unique constraints, schema sync and migrations.
"""
