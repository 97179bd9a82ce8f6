"""Bad input to the derivation loader: one sentence naming the file (and claim), never a traceback.

Whole-file problems make :func:`load_derivation` raise and :func:`check_file`
return a report with ``error``; a problem confined to one claim becomes that
claim's ``error`` verdict, naming the file, the claim's line, number and name,
while the file's other claims are still checked.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from small_nets import DATA, NETWORK
from symbolic.claims.check import check_file
from symbolic.claims.derivation import MAX_UPDATES, load_derivation
from symbolic.spec.errors import DerivcheckError

REST = DATA + """
[aliases]
w1 = "W1[1,1]"
net_h1 = "u1[1]"
i1 = "x[1]"
E = "L"
"""
GOOD = NETWORK + REST
# Exact values by hand: u1 = [0.5·1 − 0.25·2 + 0.1, 0.75·1 + 0.125·2 − 0.2] = [0.1, 0.8];
# o = 0.6·0.1 − 0.4·0.8 + 0.05 = −0.21; L = ½(−0.21 − 0.3)² = 0.13005.
GOOD_CLAIM_1 = '[[claims]]\nname = "net_h1"\nvalue = "0.1"\n'
GOOD_CLAIM_3 = '[[claims]]\nname = "E"\nvalue = "0.13005"\n'

# ------------------------------------------------------------------------ whole-file errors
# (id, file text, fragments the sentence must contain)
FILE_ERRORS = [
    ("malformed-toml", 'title = "x"\n[network\nlayers = [2, 1]\n', ["not valid TOML", "line 2"]),
    ("missing-network", 'title = "no network"\n' + REST, ["no [network] table"]),
    ("network-not-table", 'network = 3\n' + REST, ["no [network] table"]),
    ("unknown-top-level-key", 'netwrok = 1\n' + GOOD, ["unknown top-level key", "netwrok"]),
    ("unknown-network-key", GOOD.replace("learning_rate = 0.1", "lr = 0.1"), ["[network]", "unknown key", "lr"]),
    ("no-layers", GOOD.replace("layers = [2, 2, 1]\n", ""), ["[network] has no layers"]),
    ("wrong-W-shape", GOOD.replace("W1 = [[0.5, -0.25], [0.75, 0.125]]", "W1 = [[0.5, -0.25]]"),
     ["W1", "shape must be (2, 2)"]),
    ("wrong-W-row-length", GOOD.replace("W2 = [[0.6, -0.4]]", "W2 = [[0.6, -0.4, 1.0]]"),
     ["W2", "shape must be (1, 2)"]),
    ("wrong-b-length", GOOD.replace("b1 = [0.1, -0.2]", "b1 = [0.1]"), ["b1", "2 neurons"]),
    ("missing-parameter", GOOD.replace("b2 = [0.05]\n", ""), ["b2", "missing"]),
    ("parameter-not-number", GOOD.replace("b2 = [0.05]", 'b2 = ["x"]'), ["b2[1]", "not a number"]),
    ("unknown-activation", GOOD.replace('"identity"', '"sigmoidal"'), ["sigmoidal"]),
    ("unknown-loss", GOOD.replace('"half_sse"', '"hinge"'), ["hinge"]),
    ("negative-learning-rate", GOOD.replace("learning_rate = 0.1", "learning_rate = -0.1"),
     ["learning_rate", "positive"]),
    ("x-wrong-length", GOOD.replace("x = [1, 2]", "x = [1, 2, 3]"), ["x", "3 numbers", "2 neurons"]),
    ("data-only-x", GOOD.replace("y = [0.3]\n", ""), ["[data]", "both x and y"]),
    ("data-extra-key", GOOD.replace("y = [0.3]", "y = [0.3]\nz = [1]"), ["[data]", "x and y"]),
    ("alias-to-invalid-canonical-name", GOOD + 'w9 = "W3[1,1]"\n', ["alias 'w9'", "W3[1,1]", "layer 3"]),
    ("alias-to-non-name", GOOD + 'w9 = "weight nine"\n', ["alias 'w9'", "not a canonical name"]),
    ("alias-target-not-text", GOOD + 'w9 = 3\n', ["alias 'w9'", "canonical name in quotes"]),
    ("alias-defined-twice", GOOD + '"w1 " = "W1[1,2]"\n', ["alias 'w1'", "defined twice"]),
    ("claims-not-tables", "claims = 3\n" + GOOD, ["[[claims]]"]),
]


@pytest.mark.parametrize("text, fragments", [c[1:] for c in FILE_ERRORS], ids=[c[0] for c in FILE_ERRORS])
def test_file_error(tmp_path: Path, text, fragments):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DerivcheckError) as info:
        load_derivation(path)
    message = str(info.value)
    report = check_file(path)  # never raises: the sentence becomes the report's error
    assert report.error == message and report.results == []
    assert message.startswith(f"{path}: ")
    assert "\n" not in message and message.endswith(".")
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_unreadable_files(tmp_path: Path):
    missing = tmp_path / "missing.toml"
    assert check_file(missing).error.startswith(f"{missing}: cannot be read")
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('title = "Übung"\n'.encode("latin-1"))
    error = check_file(latin1).error
    assert error.startswith(f"{latin1}: ") and "UTF-8" in error


# ------------------------------------------------------------------------ claim errors
# (id, the claim's body after [[claims]], fragments of its sentence, file header)
CLAIM_ERRORS = [
    ("unknown-alias", 'name = "w9"\nvalue = "0.5"', ["'w9'", "neither an alias"], GOOD),
    ("unknown-alias-in-derivative", 'name = "dE/dw9"\nvalue = "0.5"', ["'w9'", "neither an alias"], GOOD),
    ("invalid-canonical-name", 'name = "W3[1,1]"\nvalue = "0.5"', ["W3[1,1]", "layer 3"], GOOD),
    ("neither-value-nor-formula", 'name = "net_h1"', ["neither a value nor a formula"], GOOD),
    ("both-value-and-formula", 'name = "net_h1"\nvalue = "0.1"\nformula = "u = Wa"',
     ["both a value and a formula"], GOOD),
    ("value-not-a-number", 'name = "net_h1"\nvalue = "abc"', ["'abc'", "not a decimal number"], GOOD),
    ("value-two-points", 'name = "net_h1"\nvalue = "0.1.2"', ["'0.1.2'", "not a decimal number"], GOOD),
    ("value-boolean", 'name = "net_h1"\nvalue = true', ["True", "not a number"], GOOD),
    ("value-list", 'name = "net_h1"\nvalue = [0.1]', ["[0.1]", "not a number"], GOOD),
    ("value-inf", 'name = "net_h1"\nvalue = inf', ["value is inf"], GOOD),
    ("value-minus-inf", 'name = "net_h1"\nvalue = -inf', ["value is -inf"], GOOD),
    ("value-nan", 'name = "net_h1"\nvalue = nan', ["value is nan"], GOOD),
    ("value-without-name", 'value = "0.1"', ["no name"], GOOD),
    ("after-negative", 'name = "w1"\nafter = -1\nvalue = "0.5"', ["after = -1", "whole number"], GOOD),
    ("after-fractional", 'name = "w1"\nafter = 1.5\nvalue = "0.5"', ["after = 1.5", "whole number"], GOOD),
    ("after-too-large", f'name = "w1"\nafter = {MAX_UPDATES + 1}\nvalue = "0.5"', [f"{MAX_UPDATES + 1:,}", "more than"],
     GOOD),
    ("after-without-learning-rate", 'name = "w1"\nafter = 1\nvalue = "0.5"', ["no learning_rate"],
     GOOD.replace("learning_rate = 0.1\n", "")),
    ("with-on-node", 'name = "E"\nwith = { net_h1 = 0.3 }\nvalue = "0.5"', ["'net_h1'", "only parameters"], GOOD),
    ("with-on-data", 'name = "E"\nwith = { i1 = 0.3 }\nvalue = "0.5"', ["'i1'", "only parameters"], GOOD),
    ("with-unknown-name", 'name = "E"\nwith = { w9 = 0.3 }\nvalue = "0.5"', ["'w9'", "neither an alias"], GOOD),
    ("with-value-not-number", 'name = "E"\nwith = { w1 = "abc" }\nvalue = "0.5"', ["w1", "not a number"], GOOD),
    # inputs are allowed (saliency, CS231n's dx); the target is data, not a variable
    ("derivative-wrt-y", 'name = "dE/dy[1]"\nvalue = "0.5"', ["with respect to y[1]", "an input (x[i])"], GOOD),
    ("derivative-wrt-L", 'name = "dE/dE"\nvalue = "1"', ["with respect to L"], GOOD),
    ("unknown-claim-key", 'name = "net_h1"\nvalu = "0.1"', ["unknown key", "valu"], GOOD),
    ("bad-expect", 'name = "net_h1"\nvalue = "0.1"\nexpect = "fine"', ["expect = 'fine'"], GOOD),
    ("sample-out-of-range", 'name = "net_h1"\nvalue = "0.1"\nsample = 2', ["sample = 2"], GOOD),
]


@pytest.mark.parametrize("body, fragments, header", [c[1:] for c in CLAIM_ERRORS], ids=[c[0] for c in CLAIM_ERRORS])
def test_claim_error(tmp_path: Path, body, fragments, header):
    path = tmp_path / "claims.toml"
    text = header + "\n" + GOOD_CLAIM_1 + "\n" + "[[claims]]\n" + body + "\n\n" + GOOD_CLAIM_3
    path.write_text(text, encoding="utf-8")
    bad_line = text.splitlines().index("[[claims]]", 2 + header.count("\n")) + 1  # the second claim header
    report = check_file(path)
    assert report.error is None
    first, bad, third = report.results
    # the other claims of the same file are still checked
    assert (first.verdict, third.verdict) == ("ok", "ok"), (first, third)
    assert bad.verdict == "error"
    assert bad.line == bad_line
    message = bad.message
    name = body.split('"')[1] if body.startswith("name") else None
    prefix = f"{path}:{bad_line}: claim 2" + (f" ({name})" if name else "")
    assert message.startswith(prefix), (prefix, message)
    assert "\n" not in message and message.endswith(".")
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_claim_line_numbers(tmp_path: Path):
    lines = GOOD.splitlines()
    headers = []
    for k, claim in enumerate([
            ("[[claims]]", 'name = "net_h1"', 'value = "0.1"'),
            ("# a comment between claims", "", "[[ claims ]]   # spaced header with a comment",
             'name = "E"', 'value = "0.13005"'),
            ("[[claims]]", 'name = "w1"', 'after = 1', 'value = "0.5"')]):
        for row in claim:
            if "claims" in row and row.lstrip().startswith("[["):
                headers.append(len(lines) + 1)
            lines.append(row)
        lines.append("")
    path = tmp_path / "lines.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    d = load_derivation(path)
    assert [c.line for c in d.claims] == headers
    assert [r.line for r in check_file(path).results] == headers


def test_claim_line_numbers_ignore_headers_inside_strings(tmp_path: Path):
    """A "[[claims]]" line quoted in a multi-line string is not a claim."""
    text = GOOD.replace("[network]", 'unchecked = """\nclaims are written as\n[[claims]]\ntables\n"""\n\n[network]', 1)
    text += "\n" + GOOD_CLAIM_1
    path = tmp_path / "quoted.toml"
    path.write_text(text, encoding="utf-8")
    header = text.splitlines().index("[[claims]]", 6) + 1
    assert [c.line for c in load_derivation(path).claims] == [header]


def test_loaded_claims_are_resolved(tmp_path: Path):
    path = tmp_path / "ok.toml"
    path.write_text(GOOD + "\n" + GOOD_CLAIM_1 + "\n[[claims]]\nname = \"dE/dw1\"\nvalue = \"0.0\"\n"
                    "\n[[claims]]\nname = \"E\"\nafter = 2\nwith = { w1 = 0.25 }\nvalue = \"0.1\"\n",
                    encoding="utf-8")
    d = load_derivation(path)
    assert [(c.kind, str(c.quantity), str(c.wrt) if c.wrt else None) for c in d.claims] == [
        ("value", "u1[1]", None), ("derivative", "L", "W1[1,1]"), ("value", "L", None)]
    assert d.claims[2].after == 2 and {k: float(v) for k, v in d.claims[2].with_values.items()} == {"W1[1,1]": 0.25}
    assert all(c.error is None for c in d.claims)


def test_after_at_the_cap_is_accepted(tmp_path: Path):
    path = tmp_path / "cap.toml"
    path.write_text(GOOD + f'\n[[claims]]\nname = "w1"\nafter = {MAX_UPDATES}\nvalue = "0.5"\n', encoding="utf-8")
    (claim,) = load_derivation(path).claims
    assert claim.error is None and claim.after == MAX_UPDATES


def test_claim_lines_with_crlf_line_endings(tmp_path: Path):
    text = GOOD + "\n" + GOOD_CLAIM_1 + "\n" + GOOD_CLAIM_3
    headers = [n for n, line in enumerate(text.split("\n"), 1) if line == "[[claims]]"]
    path = tmp_path / "crlf.toml"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    assert [c.line for c in load_derivation(path).claims] == headers
    assert [r.verdict for r in check_file(path).results] == ["ok", "ok"]


def test_inline_claims_errors_name_the_claim(tmp_path: Path):
    """Claims written as an inline array have no header line; the sentence still names file, number and name."""
    path = tmp_path / "inline.toml"
    path.write_text('claims = [{ name = "net_h1", value = "0.1" }, { name = "w9", value = "0.5" }]\n' + GOOD,
                    encoding="utf-8")
    first, bad = check_file(path).results
    assert first.verdict == "ok" and first.line is None
    assert bad.verdict == "error"
    assert bad.message.startswith(f"{path}: claim 2 (w9) ") and "'w9'" in bad.message
