"""The events service: player telemetry taken in batches and appended to the event log.

A player posts batches of events (play start, heartbeat, pause, seek, bitrate
switch, rebuffer start and end, error, stop) to ``POST /events``; each event
is checked against its versioned schema (:mod:`reelstack.events.schemas`),
stamped with the caller the gateway named, and the batch is appended to the
``events.topic`` topic keyed by play session. The answer comes only after the
append returned, and the port's append returns only once the write is durable.
Accepted events also feed QoE series by region (:mod:`reelstack.events.qoe`),
which the ops console reads through the gateway.
"""
