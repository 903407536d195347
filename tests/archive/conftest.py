"""The chat-archive tests' SDK: `stub_sdk.c` built with the machine's `cc` once per session, and
an archive the test writes: messages encrypted as WeCom does it — a random key per message,
RSA-PKCS#1 v1.5 encrypted with the public key of a version — and the message under that key
(the stub's cipher: XOR, then base64)."""

from __future__ import annotations

import base64
import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

STUB = Path(__file__).with_name("stub_sdk.c")


@pytest.fixture(scope="session")
def stub_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the SDK stub")
    out = tmp_path_factory.mktemp("sdk") / "libWeWorkFinanceSdk_C.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(out), str(STUB)], check=True)
    return out


def _cipher(text: str, key: str) -> str:
    raw = text.encode()
    mixed = bytes(b ^ key.encode()[i % len(key)] for i, b in enumerate(raw))
    return base64.b64encode(mixed).decode()


@dataclass
class Archive:
    """The data file the stub serves, and the private keys by version."""

    data: Path
    keys_dir: Path
    public: dict[int, rsa.RSAPublicKey] = field(default_factory=dict)
    seq: int = 0

    def add_key(self, version: int) -> None:
        private = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        (self.keys_dir / f"{version}.pem").write_bytes(pem)
        self.public[version] = private.public_key()

    def add(self, message: dict[str, Any], version: int, *, corrupt: bool = False) -> int:
        self.seq += 1
        key = secrets.token_hex(8)
        encrypted_key = self.public[version].encrypt(key.encode(), padding.PKCS1v15())
        body = "not json at all" if corrupt else json.dumps(message, ensure_ascii=False)
        item = {
            "seq": self.seq,
            "msgid": message.get("msgid", f"m{self.seq}"),
            "publickey_ver": version,
            "encrypt_random_key": base64.b64encode(encrypted_key).decode(),
            "encrypt_chat_msg": _cipher(body, key),
        }
        with self.data.open("a", encoding="utf-8") as out:
            out.write(f"{self.seq}\t{json.dumps(item, ensure_ascii=False)}\n")
        return self.seq


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Archive]:
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    data = tmp_path / "archive.tsv"
    data.write_text("", encoding="utf-8")
    monkeypatch.setenv("WEWORK_STUB_DATA", str(data))
    yield Archive(data, keys_dir)
