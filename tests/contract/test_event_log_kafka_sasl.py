"""KafkaEventLog against brokers that require SASL/PLAIN, as the deploy files run them.

The cluster of ``make test`` has a second client listener on every broker
that takes only SASL/PLAIN (``REELSTACK_TEST_KAFKA_SASL``) with one user
(``reelstack``, password ``REELSTACK_TEST_KAFKA_SASL_PASSWORD``). With the
right credentials every client the adapter makes (admin, producer, reader,
group member) works there; with a wrong password or none, nothing is
written or read, and ``open`` says Kafka is unavailable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from reelstack.adapters.log.kafka import KafkaEventLog, KafkaOptions
from reelstack.adapters.log.kafka_client import KafkaAuth
from reelstack.config import Secret
from reelstack.errors import UnavailableError
from reelstack.ports.log import TopicPartition, TopicSpec
from tests.contract.event_log_support import drain, unique
from tests.support.engines import require
from tools.engines.kafka import SASL_USER


def _log(password: str | None, *, mechanism: str = "PLAIN") -> KafkaEventLog:
    auth = None if password is None else KafkaAuth(mechanism, SASL_USER, Secret(password))
    return KafkaEventLog(
        require("REELSTACK_TEST_KAFKA_SASL").split(","),
        KafkaOptions(auth=auth, connect_timeout_s=5, request_timeout_s=10),
    )


@pytest.fixture
async def authenticated() -> AsyncIterator[KafkaEventLog]:
    event_log = _log(require("REELSTACK_TEST_KAFKA_SASL_PASSWORD"))
    await event_log.open()
    yield event_log
    await event_log.close()


async def test_with_the_password_every_client_of_the_adapter_works(
    authenticated: KafkaEventLog,
) -> None:
    topic = unique("sasl")
    await authenticated.create_topic(TopicSpec(topic, partitions=1, replication_factor=3))
    written = await authenticated.append_many(topic, [(b"k", b"%d" % i) for i in range(5)])
    assert [meta.offset for meta in written] == [0, 1, 2, 3, 4]
    assert await authenticated.offsets(TopicPartition(topic, 0)) == (0, 5)
    member = authenticated.consumer(unique("g"), [topic])
    await member.start()
    try:
        got = await drain(member, 5)
        assert [int(record.value) for record in got] == [0, 1, 2, 3, 4]
    finally:
        await member.stop()


@pytest.mark.parametrize("password", ["wrong-password", None], ids=["wrong", "none"])
async def test_a_client_without_the_password_is_refused(password: str | None) -> None:
    intruder = _log(password)
    with pytest.raises(UnavailableError) as refused:
        await intruder.open()
    await intruder.close()
    if password is not None:
        # The operator is told why, not only that Kafka is unreachable.
        assert "refused the SASL login" in str(refused.value)
        assert "Invalid username or password" in str(refused.value)
        assert password not in str(refused.value)


async def test_the_password_of_another_mechanism_is_refused() -> None:
    # The brokers enable PLAIN only: a SCRAM client cannot even start the exchange.
    intruder = _log(require("REELSTACK_TEST_KAFKA_SASL_PASSWORD"), mechanism="SCRAM-SHA-512")
    with pytest.raises(UnavailableError):
        await intruder.open()
    await intruder.close()
