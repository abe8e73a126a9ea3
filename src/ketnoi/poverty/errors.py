"""What the poverty package raises.

``PovertyInputError`` is both a ``DomainError`` (the API answers it with a
400 in the reader's language) and a ``ValueError`` (what a data scientist
calling ``classify`` from a notebook expects to catch). ``StandardDataError``
means a standard's JSON file is wrong: a fault of the data, not of the caller.
"""

from __future__ import annotations

from ketnoi.core.errors import DomainError


class PovertyInputError(DomainError, ValueError):
    """Input to a classification or an aggregate that the standard cannot accept."""


class StandardDataError(Exception):
    """A standard's data file is malformed; the message names the file and the field."""
