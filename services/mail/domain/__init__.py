"""The mail service's aggregates, one module per concept."""
