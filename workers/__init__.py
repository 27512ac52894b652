"""RQ jobs, the outbox sender, the sweeper and the worker entry point."""

#: The queues a worker can take (``siang worker --queue``), in the default order:
#: ``bot.app.CONVERSATION_QUEUE`` and ``bot.app.UPKEEP_QUEUE``. Kept here, free of
#: imports, so that the CLI can offer them without loading the web stack.
QUEUE_KINDS = ("conversation", "upkeep")
