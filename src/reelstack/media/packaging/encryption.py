"""HLS AES-128: a title's content key, and segments encrypted as players decrypt them.

Every media segment is encrypted with AES-128-CBC (PKCS#7 padding, the
segment's sequence number as IV), as HLS's ``METHOD=AES-128`` defines; init
segments stay in the clear. DASH has no such scheme (it uses Common
Encryption with a DRM), so an encrypted title gets no MPD.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


@dataclass(frozen=True, slots=True)
class ContentKey:
    """A title's AES-128 key and the URI players fetch it from."""

    key: bytes
    uri: str

    def __post_init__(self) -> None:
        if len(self.key) != 16:
            raise ValueError("an AES-128 key is 16 bytes")


def encrypt_segment(data: bytes, key: bytes, sequence: int) -> bytes:
    """AES-128-CBC with PKCS#7 padding and the sequence number as IV (HLS METHOD=AES-128)."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(sequence.to_bytes(16, "big"))).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def decrypt_segment(data: bytes, key: bytes, sequence: int) -> bytes:
    """The inverse of :func:`encrypt_segment`, as a player does it."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(sequence.to_bytes(16, "big"))).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()
