"""The claims table's break points: a long printed number fits the narrow "claimed" column.

The column is 2.3 cm wide in \\small type (about 4.5 pt a digit, 65 pt in all): a run of 12 characters
(54 pt) fits, 16 (72 pt) does not — thsis/INFOSYS's yhat = 5.99720442000804 (16 characters, issue 19's
derivation 021) overflowed by 12.3 pt before the claimed and exact columns got runs of 12 (other text keeps 16).
"""
from __future__ import annotations

import pytest

from symbolic.documents.claims_table import breakable


@pytest.mark.parametrize("text, pieces", [
    ("5.99720442000804", ["5.9972044200", "0804"]),
    ("0.37994896225522", ["0.3799489622", "5522"]),
    ("-0.0030960573293758", ["-0.003096057", "3293758"]),
    ("0.5", ["0.5"]),
])
def test_long_numbers_get_a_break_within_twelve_characters(text, pieces):
    assert breakable(text, 12).split("\\allowbreak{}") == pieces


def test_other_text_keeps_sixteen_character_runs():
    # the document's Source line and the claim names keep the old break points (a URL broke worse at 12)
    assert breakable("https://gbasran.github.io").split("\\allowbreak{}") == ["https:/", "/", "gbasran.github.i", "o"]
