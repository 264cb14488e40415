"""Campaigns: outbound campaigns, their contacts, the organisation-wide suppression list and the dialer."""
