"""Donations: donors, funds, pledges of money or goods, payments, reversals and disbursements."""
