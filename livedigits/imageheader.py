"""Image size and EXIF orientation from a file's first bytes, without decoding pixels.

Read for PNG (IHDR, eXIf), JPEG (SOFn, APP1 Exif), TIFF (the first IFD), BMP, PNM
and WebP, so that a pixel budget is checked before any decoder allocates, and a
photo is turned upright as viewers show it.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Header:
    """What a file's header says: ``width`` x ``height`` pixels as stored, its ``kind``
    (``"png"``, ``"jpeg"``, ...), ``channels`` (0: not stated) and the EXIF
    ``orientation`` (1-8; 1 when absent)."""

    kind: str
    width: int
    height: int
    channels: int = 0
    orientation: int = 1

    @property
    def pixels(self) -> int:
        return self.width * self.height


def read_header(data: bytes | memoryview) -> Header | None:
    """The header of an encoded image, or None when the format is not one of those read
    here or the header is damaged (the decoder then has its say)."""
    data = bytes(data[:1 << 20]) if len(data) > 1 << 20 else bytes(data)
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return _png(data)
        if data.startswith(b"\xff\xd8"):
            return _jpeg(data)
        if data[:4] in (b"II*\x00", b"MM\x00*"):
            width, height, channels, orientation = _tiff(data)
            return Header("tiff", width, height, channels, orientation) if width else None
        if data.startswith(b"BM") and len(data) >= 26:
            width, height = struct.unpack_from("<ii", data, 18)
            return Header("bmp", abs(width), abs(height))
        if re.match(rb"P[1-7]\s", data[:3]):
            return _pnm(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp(data)
    except (struct.error, IndexError, ValueError):
        return None
    return None


def _png(data: bytes) -> Header | None:
    width, height, _depth, color = struct.unpack_from(">IIBB", data, 16)
    channels = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}.get(color, 0)
    orientation = 1
    at = 8
    while at + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        if kind == b"eXIf":
            orientation = _tiff(data[at + 8:at + 8 + length])[3]
        if kind in (b"IDAT", b"IEND"):
            break
        at += 12 + length
    return Header("png", width, height, channels, orientation)


def _jpeg(data: bytes) -> Header | None:
    at = 2
    orientation = 1
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        (length,) = struct.unpack_from(">H", data, at + 2)
        body = data[at + 4:at + 2 + length]
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            orientation = _tiff(body[6:])[3]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width, channels = struct.unpack_from(">HHB", body, 1)
            return Header("jpeg", width, height, channels, orientation)
        if marker == 0xDA:  # start of scan before any frame header: damaged
            return None
        at += 2 + length
    return None


_TIFF_TYPES = {3: ("H", 2), 4: ("I", 4)}  # SHORT, LONG


def _tiff(data: bytes) -> tuple[int, int, int, int]:
    """``(width, height, samples per pixel, orientation)`` of a TIFF structure's first
    IFD (zeros where absent; orientation 1), e.g. a whole TIFF file or an Exif block."""
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or struct.unpack_from(order + "H", data, 2)[0] != 42:
        return 0, 0, 0, 1
    (ifd,) = struct.unpack_from(order + "I", data, 4)
    (count,) = struct.unpack_from(order + "H", data, ifd)
    found = {256: 0, 257: 0, 277: 0, 274: 1}
    for n in range(min(count, 512)):
        tag, kind, _number = struct.unpack_from(order + "HHI", data, ifd + 2 + 12 * n)
        if tag in found and kind in _TIFF_TYPES:
            code, _size = _TIFF_TYPES[kind]
            (found[tag],) = struct.unpack_from(order + code, data, ifd + 2 + 12 * n + 8)
    orientation = found[274] if 1 <= found[274] <= 8 else 1
    return found[256], found[257], found[277], orientation


def _pnm(data: bytes) -> Header | None:
    text = re.sub(rb"#[^\n]*", b" ", data[:4096])
    fields = text.split()
    if len(fields) < 3:
        return None
    channels = 3 if fields[0] in (b"P3", b"P6") else 1
    if fields[0] == b"P7":  # PAM: WIDTH/HEIGHT keywords
        words = dict(zip(fields[1::2], fields[2::2], strict=False))
        return Header("pnm", int(words[b"WIDTH"]), int(words[b"HEIGHT"]),
                      int(words.get(b"DEPTH", b"0")))
    return Header("pnm", int(fields[1]), int(fields[2]), channels)


def _webp(data: bytes) -> Header | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return Header("webp", width, height)
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return Header("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8 ":
        width, height = struct.unpack_from("<HH", data, 26)
        return Header("webp", width & 0x3FFF, height & 0x3FFF)
    return None


def with_orientation(data: bytes, orientation: int) -> bytes:
    """An encoded PNG, JPEG or TIFF ``data`` carrying the EXIF ``orientation`` (1-8): an
    APP1 Exif segment after a JPEG's SOI, an eXIf chunk after a PNG's IHDR, or a TIFF's
    first IFD written again with the tag (the old one left unused)."""
    exif = (b"II*\x00" + struct.pack("<IH", 8, 1)
            + struct.pack("<HHIHH", 274, 3, 1, orientation, 0) + struct.pack("<I", 0))
    if data.startswith(b"\xff\xd8"):
        body = b"Exif\x00\x00" + exif
        return data[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + data[2:]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        import zlib

        chunk = (struct.pack(">I", len(exif)) + b"eXIf" + exif
                 + struct.pack(">I", zlib.crc32(b"eXIf" + exif) & 0xFFFFFFFF))
        return data[:33] + chunk + data[33:]  # 33: signature + IHDR chunk
    order = {b"II": "<", b"MM": ">"}[data[:2]]
    (ifd,) = struct.unpack_from(order + "I", data, 4)
    (count,) = struct.unpack_from(order + "H", data, ifd)
    entries = [data[ifd + 2 + 12 * n:ifd + 14 + 12 * n] for n in range(count)]
    entries = [e for e in entries if struct.unpack_from(order + "H", e)[0] != 274]
    entries.append(struct.pack(order + "HHIHH", 274, 3, 1, orientation, 0))
    entries.sort(key=lambda e: struct.unpack_from(order + "H", e)[0])
    start = len(data) + len(data) % 2
    tail = (b"\x00" * (start - len(data)) + struct.pack(order + "H", len(entries))
            + b"".join(entries) + struct.pack(order + "I", 0))
    return data[:4] + struct.pack(order + "I", start) + data[8:] + tail
