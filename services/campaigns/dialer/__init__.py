"""The progressive dialer's parts: the due-queue index (`queue`), the decision (`decision`), what a volunteer is shown
(`offer`) and the per-process reads (`cache`); leasing itself is the application's `next_contact` use case."""
