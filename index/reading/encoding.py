"""Which text encoding a file's bytes are in.

Valid UTF-8 is the fast path: it is read as UTF-8 and nothing else is tried. A byte order
mark settles UTF-8, UTF-16 and UTF-32. Bytes that are not valid UTF-8 are one of three things
(bench/encodings.py measures each choice on real texts):

- UTF-8 text with a few damaged bytes (a stray cp1252 byte, a file cut inside a character, a
  cp1252 paragraph appended): some of the bytes are valid UTF-8 characters. Decoded as UTF-8
  with U+FFFD for the bad bytes; read as a legacy code page, every good character would turn
  into mojibake ("KÃ¡roly"), and charset-normalizer does choose one for most of them.
- a legacy single-byte file: charset-normalizer chooses, among the code pages of Western
  archives only (cp1252, then Latin-1 for bytes cp1252 leaves undefined). Left to choose among
  all code pages, it reads "crème brûlée" in cp1250 as "crčme brűlée" (a third of the texts).
  With no confident answer: UTF-8 with U+FFFD.
- not text: charset-normalizer finds no encoding of any kind that reads the bytes as text
  (random bytes, binary formats without a NUL byte).
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

SNIFF_BYTES = 8192  # a NUL byte in the first SNIFF_BYTES (without a UTF-16/32 BOM) means a binary file
# The code pages charset-normalizer may choose, most likely first, and how messages name them.
LEGACY = {"cp1252": "Windows-1252", "latin_1": "Latin-1"}


@dataclass(frozen=True)
class Encoding:
    codec: str  # Python's codec name; the -sig and BOM-reading codecs drop the BOM
    name: str  # as messages print it
    detected: bool = False  # chosen by charset-normalizer: the user is told which


UTF8 = Encoding("utf-8", "UTF-8")
_UTF8_CHARACTER = re.compile("[^\x00-\x7f\ufffd]")  # in bytes decoded as UTF-8: a character that was valid
BOMS = (  # UTF-32 LE before UTF-16 LE: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF32_LE, Encoding("utf-32", "UTF-32")),
    (codecs.BOM_UTF32_BE, Encoding("utf-32", "UTF-32")),
    (codecs.BOM_UTF8, Encoding("utf-8-sig", "UTF-8")),
    (codecs.BOM_UTF16_LE, Encoding("utf-16", "UTF-16")),
    (codecs.BOM_UTF16_BE, Encoding("utf-16", "UTF-16")),
)


class NotText(ValueError):
    """The bytes are not text in any encoding Lintas reads; the message says why."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: Encoding
    replaced: bool  # some bytes were invalid in ``encoding`` and became U+FFFD


def decode(data: bytes) -> Decoded:
    """A whole file's text, its BOM dropped. Raises NotText for a binary file."""
    encoding = _by_bom(data)
    if encoding is None:
        _check_no_nul(data)
        try:
            return Decoded(data.decode("utf-8"), UTF8, False)  # the fast path
        except UnicodeDecodeError:
            encoding = _detect(data)
    text = data.decode(encoding.codec, errors="replace")
    return Decoded(text, encoding, "\ufffd" in text)


def choose_encoding(sample: bytes, complete: bool = False) -> Encoding:
    """The encoding of a file read as a stream, from its first bytes (``sample``; all of the
    file when ``complete``). Raises NotText for a binary file."""
    encoding = _by_bom(sample)
    if encoding is not None:
        return encoding
    _check_no_nul(sample)
    try:  # a sample cut from a longer file may end inside a character
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        return _detect(sample)
    return UTF8


def _by_bom(data: bytes) -> Encoding | None:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _check_no_nul(data: bytes) -> None:
    if b"\x00" in data[:SNIFF_BYTES]:
        raise NotText("NUL bytes")


def _detect(data: bytes) -> Encoding:
    """For bytes that are not valid UTF-8: UTF-8 again when some of them are UTF-8 characters
    (a few damaged bytes in UTF-8 text: decoded with U+FFFD), else a legacy code page when
    charset-normalizer is confident of one, else UTF-8 with U+FFFD. Raises NotText when no
    encoding of any kind reads the bytes as text. bench/encodings.py measures these choices."""
    from charset_normalizer import from_bytes  # only for the rare file that is not UTF-8

    if not _UTF8_CHARACTER.search(data.decode("utf-8", errors="replace")):
        legacy = from_bytes(data, cp_isolation=list(LEGACY)).best()
        if legacy is not None:
            return Encoding(legacy.encoding, LEGACY.get(legacy.encoding, legacy.encoding), detected=True)
    # Whatever the mess: at its default threshold (0.2) charset-normalizer gives up on a few
    # mostly-UTF-8 texts too; random bytes fit no code page at any threshold.
    if from_bytes(data, threshold=1.0).best() is None:
        raise NotText("not text in any encoding")
    return UTF8
