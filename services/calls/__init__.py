"""Calls: volunteers, shifts, helpline and outbound calls, protocols, municipality directory."""
