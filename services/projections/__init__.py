"""Projections: read models built from every service's messages, and the queries that read them."""
