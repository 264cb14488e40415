"""Unit tests of the read models in services/projections, fed by the embedded follower from the services' real
aggregates on the in-memory event store, each read model on a SQLite file of its own (see conftest.py).

Read-model tests that live elsewhere, because they drive the whole product, its HTTP routes or PostgreSQL:
- tests/donations/test_ledger.py — the chain through the product, the signed head, the auditor's replay finding
  every alteration (ledger_audit), out-of-order partitions, as-of balances, transparency and receipts over HTTP;
  tests/donations/test_ledger_postgres.py, test_properties.py, test_import*.py and test_backdated_movements.py —
  the ledger on PostgreSQL, under generated histories, after bulk imports and back-dated movements.
- tests/calls/test_hours.py — volunteer hours across midnight and clock changes, the 1,120-hour reference case,
  call statistics and the directory on PostgreSQL, through the product and the /stats routes.
- tests/campaigns/test_dialer.py — campaign progress after the dialer's outcomes, over HTTP.
- tests/kernel/test_rebuild.py — rebuilding a read model (the roster) beside the live one and switching over.
- tests/console/test_figures.py and tests/security/test_access_trail_fields.py — the hours CSV and the
  console_api routes' reads of the vault.
"""
