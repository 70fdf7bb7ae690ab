"""HLS AES-128: segments encrypted with the sequence number as IV, as players decrypt them."""

from __future__ import annotations

from reelstack.media.packaging.encryption import decrypt_segment, encrypt_segment


def test_aes128_uses_the_sequence_number_as_iv() -> None:
    key = bytes(range(16))
    data = b"\x00\x00\x00\x10moof" + bytes(1000)
    sealed = encrypt_segment(data, key, 7)
    assert len(sealed) % 16 == 0 and sealed != data
    assert decrypt_segment(sealed, key, 7) == data
    # CBC: a wrong IV garbles the first block (where the box header sits).
    assert decrypt_segment(sealed, key, 8)[:16] != data[:16]
    assert encrypt_segment(data, key, 8) != sealed
