"""The kernel: settings, event-store wiring, clock, message format, feeds, relay and HTTP edge. Knows no domain."""
