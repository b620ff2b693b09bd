"""Scanner faults: a finished ``scanimage`` run turned into one line that says what to do.

scanimage's exit status is the SANE status of the call that failed and its
stderr the wording; both are read (``fault_message``) into one-line errors that
name the device, say which page failed and which were kept, and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# SANE_Status values; scanimage exits with the status of the call that failed.
STATUS_BUSY, STATUS_INVAL, STATUS_EOF, STATUS_JAMMED = 3, 4, 5, 6
STATUS_NO_DOCS, STATUS_COVER_OPEN, STATUS_IO_ERROR = 7, 8, 9
STATUS_NO_MEM, STATUS_ACCESS_DENIED = 10, 11

# What scanimage prints for each fault (sane_strstatus), for when the exit status is not enough.
_FAULT_WORDS = {
    STATUS_BUSY: "Device busy",
    STATUS_JAMMED: "Document feeder jammed",
    STATUS_NO_DOCS: "Document feeder out of documents",
    STATUS_COVER_OPEN: "Scanner cover is open",
    STATUS_IO_ERROR: "Error during device I/O",
    STATUS_NO_MEM: "Out of memory",
    STATUS_ACCESS_DENIED: "Access to resource has been denied",
}


def last_status(messages: Sequence[str]) -> int:
    """The exit status scanimage would have given, from its last "Scanned page N. (scanner
    status = S)" line: 0 when the page ended normally (S = EOF), else S."""
    for line in reversed(messages):
        found = re.search(r"scanner status = (\d+)", line)
        if found:
            status = int(found.group(1))
            return 0 if status == STATUS_EOF else status
    return 1


def _status_of(returncode: int, messages: Sequence[str]) -> int | None:
    """The SANE fault status of a finished run, from its words first, else its exit status."""
    text = "\n".join(messages)
    for status, words in _FAULT_WORDS.items():
        if words.lower() in text.lower():
            return status
    return returncode if returncode in _FAULT_WORDS else None


def fault_message(device: str, returncode: int, messages: Sequence[str], *,
                  batch: bool, saved: int) -> str | None:
    """The one-line error for a ``scanimage`` run, or None when it ended normally.

    ``messages`` are scanimage's stderr lines (progress removed); ``saved`` is how
    many pages were kept. With ``batch``, the feeder running out (or the backend
    reporting the end of its pages) after at least one page is the normal end.
    """
    status = _status_of(returncode, messages)
    page = saved + 1
    kept = kept_note(saved)
    where = f" at page {page}" if batch or saved else ""
    if status == STATUS_NO_DOCS:
        if saved:
            return None
        return f"{device}: the document feeder is empty; load the sheets and scan again"
    if status == STATUS_JAMMED:
        again = (f"put page {page} and the rest back and scan again" if batch or saved
                 else "scan again")
        return f"{device}: paper jammed in the feeder{where}{kept}; clear the jam, {again}"
    if status == STATUS_COVER_OPEN:
        return f"{device}: the scanner cover is open{where}{kept}; close it and scan again"
    if status == STATUS_BUSY:
        return (f"{device}: the scanner is busy (another program is using it){kept}; "
                "wait for it to finish or close it, then scan again")
    if status == STATUS_ACCESS_DENIED:
        return (f"{device}: access denied{kept}; check you may use the scanner (add yourself "
                "to the `scanner` group and log in again) or its password")
    if status == STATUS_IO_ERROR:
        return (f"{device}: input/output error talking to the scanner{where}{kept}; check "
                "its cable or network connection and power, then scan again")
    if status == STATUS_NO_MEM:
        return f"{device}: the scanner ran out of memory{where}{kept}; try a lower --resolution"
    text = "\n".join(messages)
    if returncode == STATUS_EOF and saved and "sane_start" in text:
        return None  # the backend has no more pages to give: the end of the batch
    if returncode == 0:
        if saved:
            return None
        return (f"{device}: the scanner gave no page; check the paper is in place "
                "(and --source, e.g. ADF for the feeder)")
    detail = _last_words(messages)
    if "open of device" in text:
        return (f"{device}: cannot open the scanner ({detail}); see `livedigits scan --list` "
                "or `scanimage -L` for the device names, and check permissions (the `scanner` "
                "group)")
    if "unrecognized option" in text or "unknown option" in text:
        return (f"{device}: {detail}; see `scanimage -d {device} --help` for the options this "
                "scanner has")
    return f"{device}: scan failed{where}{kept} ({detail}); check the scanner and scan again"


def kept_note(saved: int) -> str:
    if saved == 0:
        return ""
    return " (page 1 was saved)" if saved == 1 else f" (pages 1-{saved} were saved)"


def _last_words(messages: Sequence[str]) -> str:
    for line in reversed(messages):
        line = line.strip()
        if line and not line.startswith(("Scanning", "Scanned", "Batch terminated")):
            return line.removeprefix("scanimage: ")
    return "no message from scanimage"
