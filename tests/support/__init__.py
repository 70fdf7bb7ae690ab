"""What every kind of test shares, so no test module grows its own copy.

- :mod:`tests.support.wait`: wait until a condition holds, with a deadline and
  a failure that names what was awaited (never a sleep for readiness).
- :mod:`tests.support.ports`: free ports, a port held busy, a port that accepts.
- :mod:`tests.support.processes`: child processes with their output in a log
  file, stopped at the end and shown when a test fails.
- :mod:`tests.support.binaries`: ffmpeg/ffprobe and Chromium, or a skip (a
  failure where every engine is required).
- :mod:`tests.support.engines`: where the real engines are, for the contract
  suites.
"""
