"""The edge node: a disk cache of media files in front of the blob store, near the viewer.

See ADR 0021 and :mod:`reelstack.edge.server` (the serving path).
"""
