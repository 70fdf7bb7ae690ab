"""The recommendations service: the rows of a profile's home page.

Rows are computed ahead (``builder``) from what viewers play (``counting``
reads playback's ``playback.plays`` from the log) and what catalog lets
each maturity level see in each region, and kept in the wide-column store;
a profile's request reads them and adds its own rows (continue watching,
my list, because you watched). The last rows built are also in the cache:
the fallback when the store (or the service) is slow or down.
"""
