"""The gateway (Zuul's role): the front door every client request comes through.

A request runs through inbound filters (routing, limits, authentication,
rate limits, fault injection), then an endpoint (the proxy to a service,
static files, or an error), then outbound filters, and leaves one JSON
passport line behind. See :mod:`reelstack.gateway.app` for how it is built
and :mod:`reelstack.gateway.server` for the HTTP server it runs on.
"""
