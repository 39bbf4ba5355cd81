"""The importers' parts: mapping as data, the diffing engine, the accounting, reading files, the named formats."""
