"""Viewing history: bookmarks from player heartbeats, history, Continue Watching, Next Up.

Rows live on the wide-column port, one partition per (account, profile);
last write wins by the client's heartbeat time. See :mod:`.models`.
"""
