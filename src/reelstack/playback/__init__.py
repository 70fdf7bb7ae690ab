"""Playback: a profile's plays of titles, the streams a plan allows, signed manifests, keys.

A play checks the title with catalog (maturity, region), the plan with
identity, takes a concurrent-stream lease in the relational store, and
answers with a master playlist filtered to the plan and the device whose
URIs are signed for media's file route.
"""
