"""Telephony: calls that pass through the product. One port (port.py) — where an inbound call goes, whether an
outbound dial may go, and the legs' facts as they happen — and adapters that speak it to a TwiML provider or to
the charity's own SIP proxy."""
