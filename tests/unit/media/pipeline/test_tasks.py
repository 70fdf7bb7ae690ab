"""Where tasks go: part keys on chosen partitions, parts spread over the workers."""

from __future__ import annotations

import pytest

from reelstack.media.pipeline.tasks import key_for_partition, partition_for_slot
from reelstack.ports.partitioning import partition_for_key


def test_part_keys_land_on_the_partition_chosen_for_them() -> None:
    for partitions in (1, 4, 8, 12):
        assert [
            partition_for_key(key_for_partition(p, partitions), partitions)
            for p in range(partitions)
        ] == list(range(partitions))


@pytest.mark.parametrize("workers", [1, 2, 3, 4])
@pytest.mark.parametrize("partitions", [8, 12])
def test_consecutive_parts_go_to_different_workers(workers: int, partitions: int) -> None:
    # Workers hold contiguous ranges of partitions (the range assignor).
    owner = {
        p: w
        for w in range(workers)
        for p in range(partitions * w // workers, partitions * (w + 1) // workers)
    }
    for first in (0, 1, 5, 12_345):
        for parts in (2, 4, 5, 8, 16):
            counts = [0] * workers
            for slot in range(first, first + parts):
                counts[owner[partition_for_slot(slot, partitions)]] += 1
            # A near-equal share each (round-robin would give worker 0 the first
            # P/W parts), wherever a job starts in the sequence.
            slack = 1 if workers in (1, 2, 4) else 2
            assert max(counts) - min(counts) <= slack, (first, parts, counts)
    assert [partition_for_slot(s, 8) for s in range(8)] == [0, 4, 2, 6, 1, 5, 3, 7]


def test_the_part_left_over_lands_with_each_worker_in_turn() -> None:
    # Two workers, 8 partitions, jobs of 9 parts starting at their ordinals:
    # one worker does 5 parts of a job, and it is the other one for the next job.
    heavier = []
    for ordinal in range(6):
        counts = [0, 0]
        for slot in range(ordinal, ordinal + 9):
            counts[partition_for_slot(slot, 8) // 4] += 1
        heavier.append(counts.index(5))
    assert heavier == [0, 1, 0, 1, 0, 1]
