"""Exercise variants: fresh rational parameter values from a key, with their exact answer key and solution.

Contract
--------
:func:`write_variant` ``(key_path, seed, out_dir, pdf=False)`` writes, into ``out_dir``:

* ``variant-SEED.toml`` — the answer key with new parameter values and every
  claim's value the exact truth printed with as many significant digits as the key
  printed (``expect`` and ``note`` dropped, points and policy kept);
* ``variant-SEED-handout.toml`` — the same exercise without answers: the claims to
  compute are listed as commented ``[[claims]]`` blocks for the student to fill in;
* ``variant-SEED-solution.tex`` — the step-by-step derivation document of the variant
  (:func:`symbolic.documents.document.render_document`), and its PDF with ``pdf``.

Values come from the key's ``[grading.variant]`` table (docs/grading.md): every
parameter entry is drawn uniformly among the multiples of ``10^-decimals``
(``decimals``, default 2) in its range — the range given for its entry (``"W1[1,2]"``
or its alias), else for its array (``W1``), else ``value·(1 ± relative)``
(``relative``, default 0.5; ±``relative`` around 0); ``x`` and ``y`` change only where
a range is given for them. A draw is refused and drawn again (up to
:data:`MAX_DRAWS` times) when it has a tie — an exact 0, two equal entries of one
array (an index swap would be invisible), or a claim whose exact value lies within
``TIE_MARGIN`` of a rounding half-way point at its printed digits — or a kink (a unit
whose activation has a kink, relu, at net input exactly 0 for some sample, or a claim
the check cannot evaluate there), and finally the variant
key is checked: every claim must be ``ok``. The draws use :class:`random.Random`
seeded with ``seed``, so the same key and seed give the same variant everywhere.
"""
from __future__ import annotations

import copy
import math
import random
import tempfile
import tomllib
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path

import tomli_w

from ..claims.check import check_derivation
from ..claims.derivation import load_derivation
from ..documents.document import compile_pdf, render_document
from ..spec.errors import DerivcheckError, shorten
from ..spec.rules import ACTIVATIONS
from ..truth.exact import Truth
from .key import load_key
from .files import write_atomic

__all__ = ["write_variant", "draw_variant", "to_toml", "MAX_DRAWS", "TIE_MARGIN"]

MAX_DRAWS = 50
TIE_MARGIN = Fraction(1, 100)  # of a printed unit, around a rounding half-way point
OPTIONS = ("decimals", "relative")


def _range(table: dict, name: str, where: str) -> tuple[Fraction, Fraction]:
    value = table[name]
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float, str)) and
                                                                 not isinstance(v, bool) for v in value)):
        raise DerivcheckError(f"{where}: {shorten(name)} = {shorten(str(value))} is not a range; write it as "
                              f"[low, high], e.g. W1 = [-1, 1].")
    lo, hi = (Fraction(str(v)) for v in value)
    if lo > hi:
        raise DerivcheckError(f"{where}: {shorten(name)} = [{lo}, {hi}] runs backwards; write [low, high].")
    return lo, hi


def _ranges(key, entries: dict[str, Fraction]) -> tuple[int, dict[str, tuple[Fraction, Fraction]]]:
    table, where = key.variant, f"{key.path}: [grading.variant]"
    decimals = table.get("decimals", 2)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
        raise DerivcheckError(f"{where}: decimals = {shorten(str(decimals))}; give a whole number from 0 to 6.")
    relative = Fraction(str(table.get("relative", 0.5)))
    aliases = key.derivation.aliases
    known = set(entries) | {e.split("[")[0] for e in entries} | set(aliases)
    for name in table:
        if name not in OPTIONS and name not in known:
            raise DerivcheckError(f"{where}: {shorten(name)!r} is not a parameter, array, alias, x or y of the key, "
                                  f"nor one of {', '.join(OPTIONS)}.")
    out = {}
    for entry, value in entries.items():
        alias = next((a for a, t in aliases.items() if t == entry and a in table), None)
        base = entry.split("[")[0]
        if entry in table or alias:
            out[entry] = _range(table, entry if entry in table else alias, where)
        elif base in table:
            out[entry] = _range(table, base, where)
        elif base not in ("x", "y"):
            half = abs(value) * relative if value else relative
            out[entry] = (value - half, value + half)
    return decimals, out


def _entries(doc: dict) -> dict[str, Fraction]:
    """Every number of [parameters] and [data] by entry name (W1[1,2], b1, x[1,2] for sample 1, input 2)."""
    out = {}
    for name, value in {**doc.get("parameters", {}), **doc.get("data", {})}.items():
        if isinstance(value, list):
            for i, row in enumerate(value, 1):
                if isinstance(row, list):
                    for j, v in enumerate(row, 1):
                        out[f"{name}[{i},{j}]"] = Fraction(str(v))
                else:
                    out[f"{name}[{i}]"] = Fraction(str(row))
        else:
            out[name] = Fraction(str(value))
    return out


def _draw(rng: random.Random, lo: Fraction, hi: Fraction, decimals: int) -> Fraction:
    scale = 10 ** decimals
    a, b = math.ceil(lo * scale), math.floor(hi * scale)
    if a > b:
        raise DerivcheckError(f"the range [{lo}, {hi}] holds no number with {decimals} decimal(s); widen it.")
    return Fraction(rng.randint(a, b), scale)


def _put(doc: dict, values: dict[str, Fraction]) -> dict:
    new = copy.deepcopy(doc)
    for entry, v in values.items():
        name, _, idx = entry.partition("[")
        table = new["parameters"] if name in new.get("parameters", {}) else new["data"]
        if not idx:
            table[name] = float(v)
            continue
        ij = [int(k) for k in idx.rstrip("]").split(",")]
        if len(ij) == 2:
            table[name][ij[0] - 1][ij[1] - 1] = float(v)
        else:
            table[name][ij[0] - 1] = float(v)
    return new


def _tied(values: dict[str, Fraction]) -> bool:
    if any(v == 0 for v in values.values()):
        return True
    arrays: dict[str, list[Fraction]] = {}
    for entry, v in values.items():
        arrays.setdefault(entry.split("[")[0], []).append(v)
    return any(len(set(vs)) != len(vs) for vs in arrays.values())


def _printed(exact: str, like: str) -> str | None:
    """``exact`` (the check's digits) printed with the significant digits of ``like``; None on a tie."""
    digits = exact.split(" = ")[-1]
    value = Decimal(digits)
    sig = max(1, len(Decimal(like).as_tuple().digits))
    if value == 0:
        return "0"
    quantum = Decimal(1).scaleb(value.adjusted() - sig + 1)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_EVEN)
    off = abs(Fraction(value) - Fraction(rounded)) / Fraction(quantum)
    if abs(off - Fraction(1, 2)) < TIE_MARGIN:
        return None
    return format(rounded, "f") if -7 < rounded.adjusted() < 16 else str(rounded)


def _at_kink(path: Path) -> bool:
    """Whether a unit with a kinked activation (the rule table's ``has_kink``: relu) has net input exactly 0."""
    network = load_derivation(path).network
    for layer, act in enumerate(network.activations, 1):
        if ACTIVATIONS[act].has_kink:
            for sample in range(1, len(network.x) + 1):
                truth = Truth(network, sample)
                if any(truth.value(f"u{layer}[{i}]") == 0 for i in range(1, network.layers[layer] + 1)):
                    return True
    return False


def _answered(path: Path, doc: dict) -> dict | None:
    """The doc with each claim's value the exact truth at the printed digits (None: a tie or a kink)."""
    report = check_derivation(load_derivation(path))
    new = copy.deepcopy(doc)
    for raw, r in zip(new.get("claims", []), report.results):
        raw.pop("expect", None)
        raw.pop("note", None)
        if "formula" in raw:
            continue
        if r.verdict == "error" or not r.exact:
            return None
        printed = _printed(r.exact, str(raw["value"]))
        if printed is None:
            return None
        raw["value"] = printed
    return new


def draw_variant(key_path: str | Path, seed: int) -> dict:
    """The variant's answer key as a TOML document (see the module contract)."""
    key = load_key(key_path, check=False)
    doc = tomllib.loads(Path(key.path).read_text(encoding="utf-8"))
    entries = _entries(doc)
    decimals, ranges = _ranges(key, entries)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="derivcheck-variant-") as tmp:
        for _ in range(MAX_DRAWS):
            values = {e: _draw(rng, lo, hi, decimals) for e, (lo, hi) in sorted(ranges.items())}
            if _tied({e: v for e, v in values.items() if not e.startswith(("x", "y"))}):
                continue
            candidate = _put(doc, values)
            candidate["title"] = f"{doc.get('title', Path(key.path).stem)} (variant {seed})"
            candidate["source"] = f"derivcheck variant {Path(key.path).name} --seed {seed}"
            candidate.pop("unchecked", None)  # notes about the key's own numbers
            path = Path(tmp) / "variant.toml"
            path.write_text(to_toml(candidate), encoding="utf-8")
            if _at_kink(path):
                continue
            answered = _answered(path, candidate)
            if answered is None:
                continue
            path.write_text(to_toml(answered), encoding="utf-8")
            if all(r.verdict == "ok" for r in check_derivation(load_derivation(path)).results):
                return answered
    raise DerivcheckError(f"{key.path}: no variant without ties or kinks in {MAX_DRAWS} draws from the ranges of "
                          "[grading.variant]; widen the ranges or allow more decimals.")


def _inline(value) -> str:
    """A TOML value on one line (tables inline), through tomli_w for every scalar."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{tomli_w.dumps({k: 0}).split(' = ')[0]} = {_inline(v)}" for k, v in value.items()) + " }"
    return tomli_w.dumps({"v": value}).strip()[len("v = "):]


def to_toml(doc: dict) -> str:
    """The derivation document as TOML, its claims written as ``[[claims]]`` blocks (so they get line numbers)."""
    text = tomli_w.dumps({k: v for k, v in doc.items() if k != "claims"})
    for raw in doc.get("claims", []):
        text += "\n[[claims]]\n" + "".join(f"{k} = {_inline(v)}\n" for k, v in raw.items())
    return text


def _handout(doc: dict) -> str:
    header = {k: v for k, v in doc.items() if k not in ("claims", "grading")}
    lines = [to_toml(header), "# The claims to compute: for each, remove the '# ' and write your number as "
             "the value.", ""]
    for raw in doc.get("claims", []):
        lines.append("# [[claims]]")
        for k, v in raw.items():
            if k in ("name", "after", "with", "sample"):
                lines.append(f"# {k} = {_inline(v)}")
        lines += ['# value = ""' if "formula" not in raw else '# formula = ""', ""]
    return "\n".join(lines)


def write_variant(key_path: str | Path, seed: int, out_dir: Path, pdf: bool = False) -> list[Path]:
    if not out_dir.is_dir():
        raise DerivcheckError(f"-o {out_dir} is not a folder; create it first.")
    doc = draw_variant(key_path, seed)
    key_out = out_dir / f"variant-{seed}.toml"
    handout = out_dir / f"variant-{seed}-handout.toml"
    tex = out_dir / f"variant-{seed}-solution.tex"
    write_atomic(key_out, to_toml(doc))
    write_atomic(handout, _handout(doc))
    write_atomic(tex, render_document(load_derivation(key_out)))
    written = [key_out, handout, tex]
    if pdf:
        written.append(compile_pdf(tex, out_dir))
    return written
