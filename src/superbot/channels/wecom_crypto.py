"""企业微信's callback scheme: ``msg_signature`` and AES of the message body.

The signature is SHA-1 of the sorted, concatenated token, timestamp, nonce and encrypted
text. The body is AES-256-CBC with the key ``base64(EncodingAESKey + "=")`` and the first 16
bytes of the key as IV, padded with PKCS#7 to 32-byte blocks; inside: 16 random bytes, the
message length (4 bytes, network order), the message, and the receive id (the CorpID, which
must be ours).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CallbackError(ValueError):
    """A callback that is not from the platform, or not for us."""


class WecomCrypto:
    def __init__(self, token: str, aes_key: str, receive_id: str) -> None:
        try:
            key = base64.b64decode(aes_key + "=", validate=True)
        except binascii.Error as error:
            raise ValueError("WECOM_AES_KEY is not a 43-character EncodingAESKey") from error
        if len(aes_key) != 43 or len(key) != 32:
            raise ValueError("WECOM_AES_KEY is not a 43-character EncodingAESKey")
        self._token = token
        self._key = key
        self._receive_id = receive_id

    def signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        joined = "".join(sorted([self._token, timestamp, nonce, encrypted]))
        return hashlib.sha1(joined.encode()).hexdigest()

    def check(self, signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = self.signature(timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, signature.lower()):
            raise CallbackError("wrong msg_signature")

    def decrypt(self, encrypted: str) -> str:
        try:
            data = base64.b64decode(encrypted, validate=True)
        except binascii.Error as error:
            raise CallbackError("the encrypted text is not base64") from error
        if not data or len(data) % 16:
            raise CallbackError("the encrypted text is not whole AES blocks")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CallbackError("bad PKCS#7 padding")
        content = plain[16:-pad]
        if len(content) < 4:
            raise CallbackError("no message inside")
        (length,) = struct.unpack(">I", content[:4])
        message, receive_id = content[4 : 4 + length], content[4 + length :]
        if len(message) != length or receive_id.decode(errors="replace") != self._receive_id:
            raise CallbackError("a message for another receive id")
        return message.decode()
