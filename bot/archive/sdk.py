"""Tencent's chat-archive C SDK (libWeWorkFinanceSdk_C.so, docs 91360, 91774) through ctypes.

Nothing is downloaded: the operator gives the path of the SDK they got from Tencent
(`SCRM_ARCHIVE_SDK`). Every call blocks (network I/O inside the library), so `ArchiveSdk`'s
methods are plain functions the puller runs in a worker thread, never on the event loop. Each
result comes back in a Slice the library allocates and this module frees.
"""

from __future__ import annotations

import ctypes
import json
from pathlib import Path
from typing import Any

# errcodes of the SDK (doc 91774): not WeCom API errcodes
ERRORS = {
    10000: "参数错误",
    10001: "网络错误",
    10002: "数据解析失败",
    10003: "系统失败",
    10004: "密钥错误导致加密失败",
    10005: "fileid错误",
    10006: "解密失败",
    10007: "找不到消息加密版本的私钥",
    10008: "解析encrypt_key出错",
    10009: "ip非法",
    10010: "数据过期",
    10011: "证书错误",
}
MAX_LIMIT = 1000
MAX_STALLED = 3  # GetMediaData calls in a row that brought nothing: give up


class SdkError(Exception):
    """An SDK call failed: `code` (10001 network, 10002 bad data, 10008 decrypt …)."""

    def __init__(self, call: str, code: int) -> None:
        super().__init__(f"{call}: {code} {ERRORS.get(code, '未知错误')}")
        self.code = code
        self.retryable = code in (10001, 10003)


class _Slice(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_char_p), ("len", ctypes.c_int)]


class ArchiveSdk:
    """One SDK instance for a corp: `chat_data` pages the encrypted messages, `decrypt` opens
    one with its (already RSA-decrypted) random key."""

    def __init__(self, library: Path, corp_id: str, secret: str) -> None:
        if not library.is_file():
            raise SdkError(f"SDK {library}", 10000)
        self._lib = ctypes.CDLL(str(library))
        self._declare()
        self._sdk = self._lib.NewSdk()
        code = self._lib.Init(self._sdk, corp_id.encode(), secret.encode())
        if code != 0:
            self._lib.DestroySdk(self._sdk)
            raise SdkError("Init", code)

    def _declare(self) -> None:
        lib = self._lib
        lib.NewSdk.restype = ctypes.c_void_p
        lib.Init.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
        lib.Init.restype = ctypes.c_int
        lib.DestroySdk.argtypes = [ctypes.c_void_p]
        lib.NewSlice.restype = ctypes.POINTER(_Slice)
        lib.FreeSlice.argtypes = [ctypes.POINTER(_Slice)]
        lib.GetContentFromSlice.argtypes = [ctypes.POINTER(_Slice)]
        lib.GetContentFromSlice.restype = ctypes.c_void_p
        lib.GetSliceLen.argtypes = [ctypes.POINTER(_Slice)]
        lib.GetSliceLen.restype = ctypes.c_int
        lib.GetChatData.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulonglong,
            ctypes.c_uint,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.POINTER(_Slice),
        ]
        lib.GetChatData.restype = ctypes.c_int
        lib.DecryptData.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_Slice)]
        lib.DecryptData.restype = ctypes.c_int
        lib.NewMediaData.restype = ctypes.c_void_p
        lib.FreeMediaData.argtypes = [ctypes.c_void_p]
        lib.GetMediaData.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_void_p,
        ]
        lib.GetMediaData.restype = ctypes.c_int
        for getter in ("GetOutIndexBuf", "GetData"):
            getattr(lib, getter).argtypes = [ctypes.c_void_p]
            getattr(lib, getter).restype = ctypes.c_void_p
        for getter in ("GetIndexLen", "GetDataLen", "IsMediaDataFinish"):
            getattr(lib, getter).argtypes = [ctypes.c_void_p]
            getattr(lib, getter).restype = ctypes.c_int

    def _read(self, call: str, run: Any) -> bytes:
        out = self._lib.NewSlice()
        try:
            code = run(out)
            if code != 0:
                raise SdkError(call, code)
            size = self._lib.GetSliceLen(out)
            address = self._lib.GetContentFromSlice(out)
            return _bytes(address, size)
        finally:
            self._lib.FreeSlice(out)

    def chat_data(
        self, seq: int, limit: int = MAX_LIMIT, timeout: int = 10
    ) -> list[dict[str, Any]]:
        """The encrypted items after `seq` (≤ `limit`): seq, msgid, publickey_ver,
        encrypt_random_key, encrypt_chat_msg. Blocks: run it in a thread."""
        limit = max(1, min(limit, MAX_LIMIT))
        raw = self._read(
            "GetChatData",
            lambda out: self._lib.GetChatData(self._sdk, seq, limit, b"", b"", timeout, out),
        )
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise SdkError("GetChatData", 10002) from None
        if int(data.get("errcode", 0)):
            raise SdkError("GetChatData", int(data["errcode"]))
        return list(data.get("chatdata", []))

    def decrypt(self, random_key: str, encrypted: str) -> dict[str, Any]:
        """One message as JSON (msgid, action, from, tolist, roomid, msgtime, msgtype …)."""
        raw = self._read(
            "DecryptData",
            lambda out: self._lib.DecryptData(random_key.encode(), encrypted.encode(), out),
        )
        try:
            message = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise SdkError("DecryptData", 10002) from None
        if not isinstance(message, dict):
            raise SdkError("DecryptData", 10002)
        return message

    def media(self, sdkfileid: str, most: int, timeout: int = 30) -> bytes:
        """A media file (image, voice, video, file) in chunks of ≤ 512 KB, each call resuming
        at the index the last returned; refused (10000) once it passes `most` bytes, so a file
        larger than the setting can't fill the memory, and 10002 when calls stop bringing bytes
        without saying it is finished. Blocks: run it in a thread."""
        out = bytearray()
        index = b""
        stalled = 0
        while stalled < MAX_STALLED:
            chunk, index, finished = self._media_chunk(sdkfileid.encode(), index, timeout)
            out += chunk
            if len(out) > most:
                raise SdkError("GetMediaData", 10000)
            if finished:
                return bytes(out)
            stalled = 0 if chunk else stalled + 1
        raise SdkError("GetMediaData", 10002)

    def _media_chunk(self, fileid: bytes, index: bytes, timeout: int) -> tuple[bytes, bytes, bool]:
        lib = self._lib
        data = lib.NewMediaData()
        try:
            code = lib.GetMediaData(self._sdk, index, fileid, b"", b"", timeout, data)
            if code != 0:
                raise SdkError("GetMediaData", code)
            return (
                _bytes(lib.GetData(data), lib.GetDataLen(data)),
                _bytes(lib.GetOutIndexBuf(data), lib.GetIndexLen(data)),
                bool(lib.IsMediaDataFinish(data)),
            )
        finally:
            lib.FreeMediaData(data)

    def close(self) -> None:
        if self._sdk:
            self._lib.DestroySdk(self._sdk)
            self._sdk = None


def _bytes(address: int | None, size: int) -> bytes:
    return ctypes.string_at(address, size) if address and size > 0 else b""
