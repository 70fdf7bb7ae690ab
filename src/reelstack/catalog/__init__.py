"""The catalog service: what a viewer browses, searches, keeps in My List and rates.

It owns films, series, episodes, genres, cast, maturity ratings, artwork and
availability per region. Media announces published, changed and removed
titles on the ``media.titles`` topic; a background task applies them here.
"""
