"""The private parts of ``ticketcore.i18n``: catalogs, durations in words and the message source."""
