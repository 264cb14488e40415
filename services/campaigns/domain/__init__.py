"""Campaigns domain: Campaign, Contact (a person in a campaign) and Person (suppression and contact history)."""
