"""Conversation steps, one module per kind of step.

The worker reaches them through :mod:`bot.handlers.dispatch` (explicit
tables from event, message and postback types to one entry point each).
This package file imports nothing, so a step module can be imported alone.
"""
