"""The ``reelstack`` command line: the local cluster, its instances and configuration."""
