"""Adapters: one implementation of a port per engine, in ``adapters/<role>/<vendor>.py``.

Services never import these; :mod:`reelstack.bootstrap` picks one per port by
the scheme of the port's URL setting and imports it only then, so an engine's
SDK is needed only where that engine is used.
"""
