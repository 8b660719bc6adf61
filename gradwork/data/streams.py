"""Reading a data file's bytes in order, gunzipped on the fly, with nothing allocated beyond
what the file really holds: the defence of every parser here against decompression bombs and
headers that declare gigabytes.

`ByteStream(path).read(n)` returns at most n bytes. A gzipped file (magic 1f 8b) is inflated
chunk by chunk with zlib's `max_length`, so a parser that reads its header first and then asks
for exactly the size the header declares (checked against a bound) never inflates more than
that, and a stream that ends early costs only what it held. A plain file's size is known
up front (`size`), so a parser can compare it with its header before reading anything.
"""
import os
import zlib

from ..errors import DataFormatError

_CHUNK = 1 << 16          # compressed bytes fed to zlib at a time
_GZIP = 16 + zlib.MAX_WBITS  # zlib's window bits for a gzip member (header + CRC-32 trailer)


class ByteStream:
    """A file's bytes (inflated if gzipped) read front to back; use as a context manager."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self._file = open(self.path, "rb")
        self.gzipped = self._file.read(2) == b"\x1f\x8b"
        self._file.seek(0)
        self.size = None if self.gzipped else os.fstat(self._file.fileno()).st_size
        self._inflater = zlib.decompressobj(_GZIP) if self.gzipped else None
        self._pending = b""                          # compressed input not yet fed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._file.close()

    def read(self, n):
        """Up to n bytes (fewer only at the end of the data); corrupt gzip → DataFormatError."""
        if not self.gzipped:
            return self._file.read(n)
        out = bytearray()
        try:
            while len(out) < n and self._inflate_into(out, n - len(out)):
                pass
        except zlib.error as e:
            raise DataFormatError(f"{self.path}: corrupt or truncated gzip file ({e})") from None
        return out

    def _inflate_into(self, out, want):
        """Inflate at most `want` more bytes into `out`; False at the end of the data."""
        d = self._inflater
        if d.eof:                                    # a member ended: another may follow
            rest = d.unused_data + self._pending
            self._pending = b""
            if not rest:
                rest = self._file.read(_CHUNK)
            if not rest:
                return False
            self._inflater = d = zlib.decompressobj(_GZIP)
            self._pending = rest
        data = d.unconsumed_tail or self._pending or self._file.read(_CHUNK)
        self._pending = b""
        if not data:
            raise DataFormatError(f"{self.path}: corrupt or truncated gzip file (the "
                                  "compressed stream ends before its end marker)")
        out += d.decompress(data, want)
        return True
