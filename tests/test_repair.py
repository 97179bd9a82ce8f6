"""The repair search: every entry of the edit table repairs a correct formula broken by exactly that edit.

Each row is written by hand: a textbook formula that is right for the 2-3-2 sigmoid network
(half squared error), the same formula broken by one slip of the row's kind, and the corrected
formula the search must find — equal to the original (or, for the sum and the f' move, the
original with only the edit's own parentheses). The test checks both halves: the broken
formula is not ok, the search reports that edit (kind, column) with the corrected LaTeX, and
the corrected LaTeX is proved ok by verify_formula on its own.
"""
from __future__ import annotations

import json
import re

import pytest

from symbolic.formulas.repair import RepairableError, repair_formula, verify_with_repair
from symbolic.formulas.repair_edits import EDITS
from symbolic.formulas.verify import verify_formula
from symbolic.spec.network import Network

NET = Network.build([2, 3, 2], "sigmoid", "half_sse", "per-neuron")

# (edit kind, broken formula, corrected formula, column where the edit starts: the slipped symbol, or the
# space before the operator an edit replaces or moves)
ROWS = [
    ("transpose", r"\delta^{(1)} = \left(W^{(2)} \delta^{(2)}\right) \odot f'(u^{(1)})",
     r"\delta^{(1)} = \left(\left(W^{(2)}\right)^T \delta^{(2)}\right) \odot f'(u^{(1)})", 22),
    ("layer", r"\nabla_{W^{(2)}} L = \delta^{(2)} (a^{(2)})^T", r"\nabla_{W^{(2)}} L = \delta^{(2)} (a^{(1)})^T", 35),
    ("swap", r"\frac{\partial L}{\partial w_{ij}^{(1)}} = \sum_k w_{ik}^{(2)} \delta_k^{(2)} f'(u_i^{(1)}) x_j",
     r"\frac{\partial L}{\partial w_{ij}^{(1)}} = \sum_k w_{ki}^{(2)} \delta_k^{(2)} f'(u_i^{(1)}) x_j", 51),
    ("index", r"\delta_i^{(1)} = \sum_k w_{ki}^{(2)} \delta_k^{(2)} f'(u_1^{(1)})",
     r"\delta_i^{(1)} = \sum_k w_{ki}^{(2)} \delta_k^{(2)} f'(u_i^{(1)})", 56),
    ("f-prime", r"\delta^{(1)} = ((W^{(2)})^T \delta^{(2)}) \odot f'(W^{(2)} a^{(1)} + b^{(2)})",
     r"\delta^{(1)} = ((W^{(2)})^T \delta^{(2)}) \odot f'(W^{(1)} a^{(0)} + b^{(1)})", 49),
    ("f-prime", r"\nabla_{W^{(1)}} L = \left(W^{(2)}\right)^T \left(\delta^{(2)} \odot f'(u^{(1)})\right) x^T",
     r"\nabla_{W^{(1)}} L = \left(W^{(2)}\right)^T \left(\delta^{(2)}\right) \odot f'(u^{(1)}) x^T", 63),
    ("product", r"\nabla_{W^{(2)}} L = \delta^{(2)} \odot (a^{(1)})^T", r"\nabla_{W^{(2)}} L = \delta^{(2)} (a^{(1)})^T", 34),
    ("product", r"\delta^{(2)} = (a^{(2)} - y) f'(u^{(2)})", r"\delta^{(2)} = (a^{(2)} - y) \odot f'(u^{(2)})", 29),
    ("factor", r"\frac{\partial L}{\partial b_i^{(2)}} = 2 (a_i^{(2)} - y_i) f'(u_i^{(2)})",
     r"\frac{\partial L}{\partial b_i^{(2)}} = (a_i^{(2)} - y_i) f'(u_i^{(2)})", 41),
    ("factor", r"L = \left\| a^{(2)} - y \right\|^2", r"L = \frac{1}{2} \left(\left\| a^{(2)} - y \right\|^2\right)", 5),
    ("sign", r"\delta^{(2)} = (y - a^{(2)}) \odot f'(u^{(2)})", r"\delta^{(2)} = (a^{(2)} - y) \odot f'(u^{(2)})", 17),
]


def _same(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


def test_every_table_entry_has_a_row():
    assert {row[0] for row in ROWS} | {"sum"} == set(EDITS)


@pytest.mark.parametrize("kind, broken, corrected, column", ROWS)
def test_a_formula_broken_by_one_edit_is_repaired(kind, broken, corrected, column):
    assert verify_formula(NET, broken).verdict in ("WRONG", "shape error")
    search = repair_formula(NET, broken)
    assert not search.gave_up
    hits = [r for r in search.repairs if _same(r.latex, corrected)]
    assert hits, [r.latex for r in search.repairs]
    (edit,) = hits[0].edits
    assert (edit.kind, edit.column) == (kind, column)
    assert verify_formula(NET, hits[0].latex).verdict == "ok"  # the proof, on its own


def test_a_missing_sum_is_repaired_in_the_refusal():
    broken = r"\delta_i^{(1)} = w_{ki}^{(2)} \delta_k^{(2)} f'(u_i^{(1)})"
    with pytest.raises(RepairableError) as info:
        verify_with_repair(NET, broken)
    (repair,) = info.value.repairs
    assert _same(repair.latex, r"\delta_i^{(1)} = \sum_{k} \left(w_{ki}^{(2)} \delta_k^{(2)} f'(u_i^{(1)})\right)")
    assert repair.edits[0].kind == "sum" and repair.edits[0].column == 18
    assert str(info.value).endswith("be summed over; it is right once a sum over k is put in front of "
                                    r"w_{ki}^{(2)} \delta_k^{(2)} f'(u_i^{(1)}) (column 18).")
    assert verify_formula(NET, repair.latex).verdict == "ok"


def test_two_edits_when_one_is_not_enough():
    """Both terms of the seed-003 slip: f'(u_1), f'(u_2) where f'(u_i) belongs (a pair of index edits)."""
    broken = (r"\frac{\partial L}{\partial w_{ij}^{(1)}} = \delta_1^{(2)} w_{1i}^{(2)} f'(u_1^{(1)}) x_j + "
              r"\delta_2^{(2)} w_{2i}^{(2)} f'(u_2^{(1)}) x_j")
    search = repair_formula(NET, broken)
    fixed = (r"\frac{\partial L}{\partial w_{ij}^{(1)}} = \delta_1^{(2)} w_{1i}^{(2)} f'(u_i^{(1)}) x_j + "
             r"\delta_2^{(2)} w_{2i}^{(2)} f'(u_i^{(1)}) x_j")
    hits = [r for r in search.repairs if _same(r.latex, fixed)]
    assert hits and [e.kind for e in hits[0].edits] == ["index", "index"]
    assert verify_formula(NET, fixed).verdict == "ok"


def test_the_search_says_when_it_gave_up():
    broken = r"\delta^{(1)} = \left(W^{(2)} \delta^{(2)}\right) \odot f'(u^{(2)}) \odot f'(u^{(2)})"
    search = repair_formula(NET, broken, max_tries=3)
    assert search.tried == 3 and search.gave_up == "the bound of 3 candidates"
    assert search.sentence() == ("No repair found: the search gave up after 3 candidate edits (the bound of 3 "
                                 "candidates).")


def test_verify_and_check_carry_the_repair(tmp_path, capsys):
    import symbolic.cli as cli

    code = cli.main(["verify", "--layers", "2,3,2", "--activation", "sigmoid", "--loss", "half_sse", "--json",
                     "--formula", ROWS[0][1]])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["verdict"] == "shape error"
    assert _same(out["repairs"][0]["latex"], ROWS[0][2])
    assert out["repairs"][0]["edit"] == r"\left(W^{(2)}\right)^T replaces W^{(2)} (column 22)"
    assert out["message"].endswith(r"It is right once \left(W^{(2)}\right)^T replaces W^{(2)} (column 22).")
