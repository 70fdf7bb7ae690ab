"""The identity service: accounts, sessions (access and refresh tokens), signing keys.

It signs short-lived access tokens with Ed25519 keys kept in the relational
store and publishes their public halves at ``/.well-known/jwks.json``, where
the gateway reads them.
"""
