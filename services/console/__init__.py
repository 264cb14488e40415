"""The web console: pages for managers, volunteers, coordinators, auditors and the public, over the projections."""
