"""The registry service (Eureka's role): where every instance registers and is found.

It speaks Eureka 1.x's REST API, so Eureka clients (spring-cloud,
py-eureka-client) work against it unchanged; reelstack's own client is
:mod:`reelstack.chassis.eureka`.
"""
