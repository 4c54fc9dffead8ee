"""core.parsers: the JSON nesting limit, checked against the decoder's own idea of depth."""

from __future__ import annotations

import io
import json

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError

from core.parsers import MAX_JSON_DEPTH, DepthLimitedJSONParser, json_too_deep


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def depth(value: object) -> int:
    """The oracle: how many arrays and objects nest, read from the decoded value."""
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    return 0


def nested(levels: int, inner: object = 1) -> object:
    value = inner
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


leaves = st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:', max_size=8)
documents = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=4), children, max_size=3)
    ),
    max_leaves=60,
)


@settings(max_examples=400, deadline=None)
@given(document=documents, limit=st.integers(min_value=0, max_value=6))
def test_agrees_with_the_depth_of_the_decoded_document(document, limit):
    text = json.dumps(document)
    assert json_too_deep(text, limit=limit) is (depth(document) > limit)


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH])
def test_up_to_the_limit_is_read(levels):
    text = json.dumps(nested(levels))
    assert not json_too_deep(text)
    parsed = DepthLimitedJSONParser().parse(io.BytesIO(text.encode()), parser_context={})
    assert depth(parsed) == levels


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(nested(MAX_JSON_DEPTH + 1)),
        "[" * 1000 + "]" * 1000,
        "[" * 100_000,  # never closed: the decoder would still recurse into it
        "[" * 40 + '"' + "]" * 40,  # an unterminated string hides nothing
        "[" * 40 + '"' + "]" * 40 + '"',
    ],
)
def test_deeper_is_refused_before_decoding(text):
    assert json_too_deep(text)
    with pytest.raises(ParseError, match="nested more than 32 levels"):
        DepthLimitedJSONParser().parse(io.BytesIO(text.encode()), parser_context={})


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"name": "[" * 5000 + "{" * 5000}),  # brackets in a string are text
        json.dumps(["\\", '\\"[[[[', '"' * 50]),
        "]" + "[" * 1000,  # closes first: the decoder stops at once
        "",
    ],
)
def test_brackets_that_do_not_nest_are_not_counted(text):
    assert not json_too_deep(text)


def test_other_errors_are_drfs_parse_error():
    with pytest.raises(ParseError, match="JSON parse error"):
        DepthLimitedJSONParser().parse(io.BytesIO(b"{'single': 1}"), parser_context={})
    with pytest.raises(ParseError, match="JSON parse error"):
        DepthLimitedJSONParser().parse(io.BytesIO(b"\xff\xfe"), parser_context={})
    with pytest.raises(ParseError, match="JSON parse error"):
        DepthLimitedJSONParser().parse(io.BytesIO(b"[NaN]"), parser_context={})
