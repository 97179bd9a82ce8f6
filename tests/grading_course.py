"""A synthetic course for the grading tests and benchmark: the seed-002 key and generated submissions.

Every submission is written from the key's exercise with the key's answers (the
published figures of Mazur's tutorial, its three errata corrected — see
tests/data/grading/key-002.toml) and a planted change. The expected score of each
comes from this module's own rules (the key's points, the policy written below),
and the planted wrong numbers from this module's own arithmetic: a plain-float
backprop of the 2-2-2 network (``_train``), written here, not derivcheck's.

``course(n, seed)`` → list of :class:`Planted` (file name, bytes, expected score,
expected status, the mistake-table entries a diagnosis must name, expected carried
claims); ``write_course(folder, ...)`` writes them.
"""
from __future__ import annotations

import math
import random
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = ROOT / "tests" / "data" / "grading" / "key-002.toml"
_DOC = tomllib.loads(KEY.read_text(encoding="utf-8"))
CLAIMS = [(c["name"], c.get("after", 0), c["value"]) for c in _DOC["claims"]]
# the key's points (its [grading] says 2 each; claim 30 says 4) and carried credit (half; claim 31: none)
POINTS = {k: Fraction(4 if k == 30 else 2) for k in range(1, len(CLAIMS) + 1)}
CARRIED = {k: Fraction(0 if k == 31 else 1, 2) for k in POINTS}
MAX = sum(POINTS.values())
_TEXT = KEY.read_text(encoding="utf-8")
HEADER = _TEXT[_TEXT.index("[network]"):_TEXT.index("[[claims]]")]


def _sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _train(updates: int, update_biases: bool = False) -> dict:
    """Plain-float gradient descent on seed 002 (η = 0.5, shared biases, half squared error); the loss after."""
    W1, b1, W2, b2 = [[.15, .20], [.25, .30]], .35, [[.40, .45], [.50, .55]], .60
    x, y, eta = [.05, .10], [.01, .99], .5

    def forward(W1, b1, W2, b2):
        h = [_sig(W1[i][0] * x[0] + W1[i][1] * x[1] + b1) for i in range(2)]
        o = [_sig(W2[i][0] * h[0] + W2[i][1] * h[1] + b2) for i in range(2)]
        return h, o

    for _ in range(updates):
        h, o = forward(W1, b1, W2, b2)
        d2 = [(o[i] - y[i]) * o[i] * (1 - o[i]) for i in range(2)]
        d1 = [(W2[0][j] * d2[0] + W2[1][j] * d2[1]) * h[j] * (1 - h[j]) for j in range(2)]
        W2 = [[W2[i][j] - eta * d2[i] * h[j] for j in range(2)] for i in range(2)]
        W1 = [[W1[i][j] - eta * d1[i] * x[j] for j in range(2)] for i in range(2)]
        if update_biases:
            b1, b2 = b1 - eta * sum(d1), b2 - eta * sum(d2)
    h, o = forward(W1, b1, W2, b2)
    return {"W1": W1, "W2": W2, "L": sum((y[i] - o[i]) ** 2 for i in range(2)) / 2, "h": h}


def _forward() -> list[float]:
    """Claims 1-9 of the key (net_h1 … E_total) in floats, from the parameters of seed 002."""
    x, y = [.05, .10], [.01, .99]
    net_h1 = .15 * x[0] + .20 * x[1] + .35
    h = [_sig(net_h1), _sig(.25 * x[0] + .30 * x[1] + .35)]
    net_o1 = .40 * h[0] + .45 * h[1] + .60
    o = [_sig(net_o1), _sig(.50 * h[0] + .55 * h[1] + .60)]
    e = [(y[i] - o[i]) ** 2 / 2 for i in range(2)]
    return [net_h1, h[0], h[1], net_o1, o[0], o[1], e[0], e[1], e[0] + e[1]]


FORWARD = _forward()


def _nine(v: float) -> str:
    return f"{v:.9f}" if abs(v) >= 0.1 else f"{v:.9g}"


# planted root mistakes: kind -> (key claim number, claimed text, mistake-table entry)
_h2 = float(CLAIMS[2][2])  # out_h2
ROOT_MISTAKES = {
    "half_dropped": (9, _nine(2 * float(CLAIMS[8][2])), "half_dropped"),
    "typo": (3, "0.596834378", "typo"),  # out_h2 with its 5th decimal mistyped
    "sign_flipped": (14, f"{0.40 + 0.5 * float(CLAIMS[12][2]):.8f}", "sign_flipped"),  # w5 + η ∂E/∂w5
    "index_swap": (13, _nine(_h2 * float(CLAIMS[17][2])), "index_swap"),  # dE/dw6 = out_h2 δ_o1 for dE/dw5
    "sequential_update": (30, "0.291027924", "sequential_update"),  # the tutorial's own figure
    "one_update_fewer": (31, "0.0000351085", "one_update_fewer"),  # the tutorial's own figure
    "one_update_more": (14, _nine(_train(2)["W2"][0][0]), "one_update_more"),
    "biases_flipped_on": (30, _nine(_train(1, update_biases=True)["L"]), "biases_flipped_on"),
}
# a carried error: out_h1 (claim 2) written 0.65 (5.7 units of 0.01 off: WRONG), and net_o1 (claim 4)
# computed from it, w5 out_h1 + w6 out_h2 + b2
CARRIED_ROOT = (2, "0.65")
CARRIED_CHILD = (4, f"{0.40 * 0.65 + 0.45 * _h2 + 0.60:.9f}")


@dataclass
class Planted:
    name: str
    data: bytes
    kind: str
    score: Fraction
    status: str = "graded"
    mistakes: list[str] = field(default_factory=list)
    carried: list[int] = field(default_factory=list)  # key claim numbers expected to be carried errors
    extra: int = 0
    not_required: int = 0


def _file(student: str | None, values: dict[int, str], drop=(), add: list[str] = (), rename: dict[int, str] = None,
          header: str = HEADER) -> bytes:
    blocks = [(f"# submission of {student}\n" if student else "") + "title = \"Homework 3\"\n\n" + header]
    for k, (name, after, _) in enumerate(CLAIMS, 1):
        if k in drop:
            continue
        name = (rename or {}).get(k, name)
        blocks.append(f'[[claims]]\nname = "{name}"\n' + (f"after = {after}\n" if after else "")
                      + f'value = "{values.get(k, CLAIMS[k - 1][2])}"\n')
    blocks += list(add)
    return "\n".join(blocks).encode("utf-8")


def _truncated(k: int) -> str:
    """Claim k (1-9) printed one unit past its truth from the correctly rounded digits: the digits a truncation
    (or a rounding of slightly different numbers) prints — off by more than ½ and at most 1 unit: rounding."""
    d = Decimal(CLAIMS[k - 1][2])
    unit = Decimal(1).scaleb(d.as_tuple().exponent)
    return str(d - unit if d > Decimal(repr(FORWARD[k - 1])) else d + unit)


def course(n: int = 200, seed: int = 2, signed: bool = False) -> list[Planted]:
    """``n`` planted submissions; ``signed`` puts the student's name in a comment (every file then differs,
    else students who planted the same change hand in identical files, as copied homework is)."""
    rng = random.Random(seed)
    out: list[Planted] = []
    plain = [k for k in POINTS if len(Decimal(CLAIMS[k - 1][2]).as_tuple().digits) >= 4]
    kinds = (["correct"] * 40 + ["rounding"] * 22 + [m for m in ROOT_MISTAKES for _ in range(8)] + ["carried"] * 16
             + ["missing"] * 30 + ["extra"] * 8 + ["not_required"] * 8
             + [b for b in ("toml", "utf8", "empty", "exercise", "name", "value") for _ in range(2)])
    while len(kinds) < n:
        kinds.append(kinds[len(kinds) % 190])
    for i, kind in enumerate(kinds[:n]):
        p = Planted(f"student-{i:04d}.toml", b"", kind, MAX)
        student = p.name[:-5] if signed else None
        if kind == "correct":
            p.data = _file(student, {})
        elif kind == "rounding":
            k = rng.randint(1, 9)
            p.data = _file(student, {k: _truncated(k)})
        elif kind in ROOT_MISTAKES:
            k, text, entry = ROOT_MISTAKES[kind]
            p.data, p.score, p.mistakes = _file(student, {k: text}), MAX - POINTS[k], [entry]
        elif kind == "carried":
            (r, rv), (c, cv) = CARRIED_ROOT, CARRIED_CHILD
            p.data, p.carried = _file(student, {r: rv, c: cv}), [c]
            p.score = MAX - POINTS[r] - POINTS[c] * (1 - CARRIED[c])
        elif kind == "missing":
            drop = rng.sample(sorted(POINTS), rng.randint(1, 5))
            p.data, p.score = _file(student, {}, drop=drop), MAX - sum(POINTS[k] for k in drop)
        elif kind == "extra":
            k = rng.choice(plain)
            name, after, value = CLAIMS[k - 1]
            again = f'[[claims]]\nname = "{name}"\n' + (f"after = {after}\n" if after else "") + 'value = "0.123"\n'
            p.data, p.extra = _file(student, {}, add=[again]), 1
        elif kind == "not_required":
            p.data, p.not_required = _file(student, {}, add=['[[claims]]\nname = "dE_total/dw2"\nvalue = "0.000877135"\n']), 1
        elif kind == "toml":
            p.data, p.score, p.status = b"[network\nlayers = [2, 2, 2]\n", Fraction(0), "unreadable"
        elif kind == "utf8":
            p.data, p.score, p.status = _file(student, {}).replace(b"Homework", b"Hausaufgabe \xff"), Fraction(0), "unreadable"
        elif kind == "empty":
            p.data, p.score, p.status = b"", Fraction(0), "unreadable"
        elif kind == "exercise":
            p.data = _file(student, {}, header=HEADER.replace("[0.15, 0.20]", "[0.16, 0.20]"))
            p.score, p.status = Fraction(0), "wrong exercise"
        elif kind == "name":  # claim 5 named out_o9, which the network does not have
            p.data, p.score, p.not_required = _file(student, {}, rename={5: "out_o9"}), MAX - POINTS[5], 1
        elif kind == "value":  # claim 3's value is not a number
            p.data, p.score, p.not_required = _file(student, {3: "zero point six"}), MAX - POINTS[3], 1
        out.append(p)
    return out


def write_course(folder: Path, n: int = 200, seed: int = 2, signed: bool = False) -> list[Planted]:
    folder.mkdir(parents=True, exist_ok=True)
    planted = course(n, seed, signed)
    for p in planted:
        (folder / p.name).write_bytes(p.data)
    return planted
