"""KafkaEventLog's SASL settings, without a broker: every client it makes authenticates."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack import settings
from reelstack.config import Config
from reelstack.errors import ConfigError

kafka_adapter = pytest.importorskip("reelstack.adapters.log.kafka")

URL = "kafka://k1:9092,k2:9092"
SASL = {
    "REELSTACK_LOG_SASL_MECHANISM": "SCRAM-SHA-512",
    "REELSTACK_LOG_SASL_USERNAME": "reelstack",
    "REELSTACK_LOG_SASL_PASSWORD": "s3cret-from-the-install",
}


def load(tmp_path: Path, **env: str) -> Config:
    return settings.load(environ={"REELSTACK_HOME": str(tmp_path), **env})


def test_every_client_authenticates_with_the_configured_mechanism(tmp_path: Path) -> None:
    log = kafka_adapter.from_url(URL, load(tmp_path, **SASL))
    expected = {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "reelstack",
        "sasl.password": "s3cret-from-the-install",
    }
    producer = log._producer_config()
    consumer = log.consumer_config("group", "client")
    for config in (producer, consumer):
        assert {key: config.get(key) for key in expected} == expected


def test_plain_is_accepted_and_no_mechanism_means_no_sasl(tmp_path: Path) -> None:
    plain = kafka_adapter.from_url(
        URL, load(tmp_path, **{**SASL, "REELSTACK_LOG_SASL_MECHANISM": "PLAIN"})
    )
    assert plain._producer_config()["sasl.mechanism"] == "PLAIN"
    bare = kafka_adapter.from_url(URL, load(tmp_path))
    assert bare.options.auth is None
    assert not any(key.startswith(("sasl.", "security.")) for key in bare._producer_config())


def test_the_password_never_prints(tmp_path: Path) -> None:
    log = kafka_adapter.from_url(URL, load(tmp_path, **SASL))
    assert "s3cret" not in repr(log.options)
    assert "s3cret" not in repr(log)


@pytest.mark.parametrize("missing", ["REELSTACK_LOG_SASL_USERNAME", "REELSTACK_LOG_SASL_PASSWORD"])
def test_a_mechanism_without_credentials_refuses_to_start(tmp_path: Path, missing: str) -> None:
    env = {key: value for key, value in SASL.items() if key != missing}
    key = missing.removeprefix("REELSTACK_").lower().replace("_", ".", 1)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        kafka_adapter.from_url(URL, load(tmp_path, **env))


def test_an_unknown_mechanism_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"log\.sasl_mechanism"):
        load(tmp_path, REELSTACK_LOG_SASL_MECHANISM="GSSAPI")
