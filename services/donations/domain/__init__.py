"""Donations domain: donors, funds and pledges, with past-tense events and errors named for broken rules."""
