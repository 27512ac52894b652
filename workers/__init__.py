"""RQ jobs, the outbox sender, the sweeper and the worker entry point.

Queue names, job ids and timeouts live in :mod:`workers.queues`, a leaf that
the web app, the admin and the CLI import without loading the worker stack.
"""
