"""Every write to the registry, one module per flow.

``households``: create, change with a reason, assess. Other flows
(registration, verification, review rounds, imports) have their own modules
and go through ``households`` for the rows themselves.
"""
