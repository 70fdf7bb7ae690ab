"""Small apps the benchmarks serve, each the anchor for a reelstack hot path."""
