"""The progressive dialer: the due-queue index and leasing one contact to one volunteer."""
