"""The one domain error type: a message a user can act on."""


class LivedigitsError(Exception):
    """An expected failure (bad file, missing device, damaged model) with a one-line message.

    The CLI prints the message on stderr and exits 1; library callers catch it.
    """
