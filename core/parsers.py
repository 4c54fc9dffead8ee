"""The API's JSON parser: DRF's, with a limit on how deeply a document may nest.

Python's ``json`` decoder recurses once per ``[`` or ``{``: about a thousand nested brackets raise
``RecursionError``, which DRF's parser does not catch (it turns only ``ValueError`` into a 400), so
a 2 kB body answered 500 on any JSON endpoint, the anonymous ``POST /api/v1/mediation-requests/``
included (issue 12). No request of this API nests more than a few levels (a plan's lines with their
months is the deepest, at four), so a document deeper than :data:`MAX_JSON_DEPTH` is refused with a
400 before the decoder sees it. Set as ``DEFAULT_PARSER_CLASSES`` in the settings; a view that
names its own parsers names this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

MAX_JSON_DEPTH = 32

# A JSON string (escapes included) — its brackets are text, not structure.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_AS_SQUARE = str.maketrans("{}", "[]")


def json_too_deep(text: str, *, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` opens more than ``limit`` arrays or objects inside each other.

    Counted on the brackets outside strings, without decoding and without recursion: strings
    and everything but brackets are cut out (regular expressions, in C), then innermost pairs
    ``[]`` are removed pass by pass — a document of depth ``d`` is gone after ``d`` passes. What is
    left after ``limit`` passes is a pair nested deeper, or an unbalanced rest (invalid JSON,
    which the decoder refuses), whose opening run is counted directly. Linear in the size of the
    body: about 20 ms a megabyte of ordinary rows, twice what decoding them costs."""
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text)).translate(_AS_SQUARE)
    for _pass in range(limit):
        if not brackets:
            return False
        shorter = brackets.replace("[]", "")
        if shorter == brackets:
            break
        brackets = shorter
    if "[]" in brackets:
        return True
    # No adjacent pair is left, so the rest is "]" * a + "[" * b: only unclosed openings nest.
    return len(brackets) - len(brackets.lstrip("]")) == 0 and len(brackets) > limit


class DepthLimitedJSONParser(parsers.JSONParser):
    """DRF's JSON parser that answers 400 (``{"detail": ...}``) to a document nested more than
    :data:`MAX_JSON_DEPTH` levels, instead of letting the decoder's recursion fail."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_too_deep(text):
            raise ParseError(
                _("The JSON is nested more than %(limit)d levels deep.") % {"limit": MAX_JSON_DEPTH}
            )
        try:
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:  # DRF's own answer, word for word
            raise ParseError(f"JSON parse error - {exc}") from None
