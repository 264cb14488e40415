"""Calls domain: volunteers, their presence (shift sign-ups and clock-ins), shifts, calls, protocols, directory."""
