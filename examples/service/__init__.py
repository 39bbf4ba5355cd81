"""A reference HTTP service on :class:`ticketcore.aio.AsyncHelpDesk`: see :mod:`examples.service.app`."""

from examples.service.app import create_app

__all__ = ["create_app"]
