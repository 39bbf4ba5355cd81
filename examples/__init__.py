"""Runnable examples that embed ticketcore."""
