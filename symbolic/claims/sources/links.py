r"""Every link of every chain of a document, checked: values, arithmetic, substitutions, equalities, formulas.

Contract
--------
:class:`DocumentChecker` ``(network, report)`` takes a document's chains in reading
order (:meth:`DocumentChecker.chain`) and, at the end (:meth:`DocumentChecker.finish`),
checks the value claims; every chain yields findings at their line and column
(:class:`.report.Finding`; :func:`place` gives a side's line and column):

* ``value`` — a bound name and its final printed number (``out_{h_1} = … = 0.593269992``)
  becomes a :class:`symbolic.claims.derivation.Claim` checked by
  :func:`symbolic.claims.check.check_derivation` (the claims verdicts, diagnoses and
  carried errors). A parameter printed with a value other than its current one after
  the document wrote an update rule (``w_5 = w_5 - \eta …``) is its value after one
  update; before any update rule, a list of parameter values that differ from the
  network's changes them for what follows (the ``with`` of a claim), said in a note;
* ``arithmetic`` — numbers-only sides against the next printed number, exactly; a WRONG value whose
  line computes its number right is said to come from the numbers the line starts from (not a typo);
* ``substitution`` — the numbers put in the places of names (aligned with the chain's
  symbolic side, or with the same name's symbolic definition earlier in the document)
  against the value the author claimed for the name (or its truth when never claimed);
  a name with no alias is bound by value when exactly one network number has it
  ("bound w_1 to W1[1,1] by its value 0.15");
* ``equality`` — two sides whose names are all bound are compared at the network's point;
* ``formula`` — a chain the arithmetic grammar cannot read is verified link by link by
  :func:`symbolic.formulas.verify.verify_formula` with the block's ``[symbols]``;
* ``skipped`` — anything else, with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from ...formulas.arithmetic import (Apply, Call, Deriv, Node, Op, Ref, Unbound, evaluate, name_key, names_of,
                                    plain_text)
from ...formulas.verify import verify_formula
from ...spec.errors import DerivcheckError, shorten
from ...spec.names import parse_name
from ...truth.balls import Unevaluable, workprec
from ..check import ClaimResult, check_derivation
from ..derivation import parse_derivation
from ..verdict import Verdict, judge
from .align import align
from .chains import Chain, Part
from .draft import toml_claims, toml_tables
from .equations import Equation
from .network import DocumentNetwork
from .report import DocumentReport, Finding
from .values import PRECISIONS, PointValues, judge_arithmetic, same_value, show

__all__ = ["DocumentChecker", "place"]


@dataclass
class _Pending:
    equation: Equation
    chain: Chain
    part: Part
    claim: dict


@dataclass
class DocumentChecker:
    net: DocumentNetwork
    report: DocumentReport
    changes: dict[str, Fraction] = field(default_factory=dict)
    updated: bool = False
    claimed: dict[str, tuple[str, tuple[int, int]]] = field(default_factory=dict)  # printed, line:col
    definitions: dict[str, Node] = field(default_factory=dict)
    pending: list[_Pending] = field(default_factory=list)
    sound: set[int] = field(default_factory=set)  # chains (by id of their parts) whose own arithmetic is right

    def __post_init__(self) -> None:
        self.network = self.net.derivation.network
        self.values = PointValues(self.network) if self.network.params is not None and self.network.x is not None \
            else None

    # ------------------------------------------------------------------ names
    def resolve(self, node: Node) -> str | None:
        if isinstance(node, Deriv):
            of, wrt = self.resolve(node.of), self.resolve(node.wrt)
            return f"d{of}/d{wrt}" if of and wrt and "/" not in of + wrt else None
        if isinstance(node, (Ref, Apply)):
            text = node.text if isinstance(node, Ref) else f"{node.head}({plain_text(node.arg)})"
            target = self.net.keys.get(name_key(text))
            if target:
                return target
            try:
                return str(parse_name(text).check(self.network))
            except DerivcheckError:
                return None
        return None

    def products(self, node: Node) -> Node:
        """``name(arg)`` that is no alias (``out_{o1}(1 - out_{o1})``) read as the product it is."""
        if isinstance(node, Apply):
            arg = self.products(node.arg)
            if self.resolve(node) is not None:
                return node
            return Op("*", (Ref(node.head), arg))
        if isinstance(node, Op):
            return Op(node.kind, tuple(self.products(a) for a in node.args))
        if isinstance(node, Call):
            return Call(node.fn, self.products(node.arg))
        if isinstance(node, Deriv):
            return Deriv(self.products(node.of), self.products(node.wrt))
        return node

    def _bind_by_value(self, node: Node, printed: str) -> str | None:
        if self.values is None:
            return None
        pool = list(self.network.parameter_values()) + [f"x[{i + 1}]" for i in range(self.network.layers[0])] + \
            [f"y[{i + 1}]" for i in range(self.network.layers[-1])]
        hits = [c for c in pool if self.values.matches(printed, c, self.changes)]
        if len(hits) == 1:
            self.report.bindings.append(f"bound {plain_text(node)} to {hits[0]} by its value {printed}")
            self.net.keys[name_key(plain_text(node))] = hits[0]
            return hits[0]
        return None

    def lookup(self, node: Node):
        name = self.resolve(node)
        if name is None or self.values is None:
            raise Unbound(node)
        return self.values.value(name, self.changes)

    # --------------------------------------------------------------- findings
    def add(self, eq: Equation, part: Part | None, link: str, verdict: str, claimed: str = "", exact: str = "",
            diagnosis: str = "", name: str = "", message: str = "") -> None:
        line, col = place(eq, part)
        result = ClaimResult(str(self.report.path), 0, line, name or (part.text if part else eq.text), claimed,
                             exact, verdict, diagnosis, message=message)
        self.report.findings.append(Finding(result, col, eq.cell, link, eq.text, (eq.cell, eq.line, eq.column)))

    def skip(self, eq: Equation, why: str, part: Part | None = None) -> None:
        self.add(eq, part, "skipped", "skipped", name=shorten(eq.text, 60), diagnosis=why)

    # ----------------------------------------------------------------- chains
    def chain(self, eq: Equation, chain: Chain) -> None:
        parts = chain.parts
        for p in parts:
            if p.node is not None:
                p.node = self.products(p.node)
                if p.kind == "name" and not isinstance(p.node, (Ref, Deriv, Apply)):
                    p.kind = "symbolic"
        if len(parts) < 2:
            self.skip(eq, "no '=': it states nothing to check" if len(eq.text) < 40 or "=" not in eq.text
                      else f"not read as a chain ({parts[0].error})")
            return
        subject = self.resolve(parts[0].node) if parts[0].kind == "name" else None
        if not _has_number(parts) and (subject is None or any(p.kind == "unreadable" for p in parts)):
            self.formula(eq, chain)
            return
        if any(p.kind == "unreadable" for p in parts):  # numbers beside text no grammar reads
            for p in parts:
                if p.kind == "unreadable":
                    self.skip(eq, f"{shorten(p.text, 40)}: {p.error}; the numbers beside it are still checked", p)
            self.arithmetic(eq, parts)
            return
        last_number = parts[-1] if parts[-1].kind == "number" else None
        self.arithmetic(eq, parts)
        self.substitutions(eq, parts, subject)
        self.equalities(eq, parts, subject)
        if last_number is not None and subject is not None:
            self.value(eq, chain, parts[0], subject, last_number)
        elif subject is None and parts[0].kind == "name" and last_number is not None:
            index = isinstance(parts[0].node, Ref) and parts[0].text in ("i", "j", "k", "l", "m", "n") and last_number.value_text.isdigit()
            self.skip(eq, f"{parts[0].text} = {last_number.value_text} fixes an index for the display after it"
                      if index else f"{plain_text(parts[0].node)} is not a name of the network; bind it in [aliases]",
                      parts[0])
        for p in parts[1:]:
            if p.kind == "symbolic" and subject and not _mentions(p.node, parts[0].node):
                self.definitions[subject] = p.node

    def value(self, eq: Equation, chain: Chain, head: Part, subject: str, number: Part) -> None:
        printed = number.value_text
        claim: dict = {"name": subject, "value": printed, "note": f"{eq.where}: {shorten(chain.text, 80)}"}
        is_param = _is_parameter(subject)
        if is_param and (chain.update or any(_mentions(p.node, head.node) for p in chain.parts[1:] if p.node)):
            self.updated = True
            claim["after"] = 1
        elif is_param and self.values is not None and not self.values.matches(printed, subject, self.changes):
            if self.updated:
                claim["after"] = 1
            elif eq.display or len(chain.parts) == 2:
                self.changes[subject] = Fraction(Decimal(printed))
                self.report.notes.append(f"{eq.where}: {plain_text(head.node)} = {printed} changes {subject} "
                                         f"for what follows")
                return
        for hint in self.net.prose:
            if hint["line"] == eq.line and name_key(hint["name"]) in (name_key(plain_text(head.node)), name_key(subject)) \
                    and hint.get("number", printed) == printed:
                claim["after"] = hint.get("after", 0)
        if self.changes:
            claim["with"] = {k: str(v if v.denominator != 1 else int(v)) for k, v in self.changes.items()}
        if not claim.get("after"):
            self.claimed[subject] = (printed, place(eq, number))
        self.pending.append(_Pending(eq, chain, number, claim))

    def arithmetic(self, eq: Equation, parts: list[Part]) -> None:
        for k, part in enumerate(parts):
            if part.kind != "numeric":
                continue
            target = next((p for p in parts[k + 1:] if p.kind == "number"), None)
            if target is None:
                continue
            try:
                verdict, exact = judge_arithmetic(target.value_text, part.node)
            except (Unevaluable, ArithmeticError, Unbound, DerivcheckError) as err:
                self.skip(eq, f"{shorten(part.text, 40)} cannot be evaluated ({err})", part)
                continue
            self.add(eq, target, "arithmetic", verdict, target.value_text, exact,
                     "" if verdict == Verdict.OK else f"{shorten(part.text, 60)} is {exact}",
                     name=shorten(part.text, 60))
            if verdict == Verdict.OK:
                self.sound.add(id(parts))

    def substitutions(self, eq: Equation, parts: list[Part], subject: str | None) -> None:
        for k, part in enumerate(parts):
            if part.kind != "numeric":
                continue
            pattern = parts[k - 1].node if k > 0 and parts[k - 1].kind == "symbolic" else None
            if pattern is None and k == 1 and subject in self.definitions:
                pattern = self.definitions[subject]
            if pattern is None:
                continue
            pairs = align(pattern, part.node)
            if pairs is None:
                self.skip(eq, "the numbers are not in the places of the names of the side before; the "
                              "substitution is not checked", part)
                continue
            for name_node, printed in dict.fromkeys(pairs):
                self.substituted(eq, part, name_node, printed)

    def substituted(self, eq: Equation, part: Part, name_node: Node, printed: str) -> None:
        canonical = self.resolve(name_node) or self._bind_by_value(name_node, printed)
        shown = plain_text(name_node)
        if canonical is None:
            return
        if canonical in self.claimed:
            said, where = self.claimed[canonical]
            where = "{}:{}".format(*where)
            if Decimal(said) == Decimal(printed) or judge(printed, Fraction(Decimal(said))).verdict == Verdict.OK:
                return
            verdict = judge(printed, Fraction(Decimal(said))).verdict
            self.add(eq, part, "substitution", verdict, printed, said,
                     f"{shown} was claimed as {said} at {where}; {printed} was put in its place", name=shown)
            return
        if self.values is None:
            return
        try:
            truth = self.values.value(canonical, self.changes)
        except DerivcheckError:
            return
        verdict, exact = _judge_value(printed, truth)
        if verdict != Verdict.OK:
            self.add(eq, part, "substitution", verdict, printed, exact,
                     f"{printed} was put in the place of {shown} ({canonical}), which is {exact}", name=shown)

    def equalities(self, eq: Equation, parts: list[Part], subject: str | None) -> None:
        if self.values is None:
            return
        sides = [p for p in parts if p.kind in ("name", "symbolic")]
        if len(sides) < 2 or (subject and _is_parameter(subject) and
                              any(_mentions(p.node, parts[0].node) for p in sides[1:])):
            return  # an update rule: old and new values of one name
        first = sides[0]
        for other in sides[1:]:
            try:
                a, b = (_evaluate(self, first.node), _evaluate(self, other.node))
            except Unbound as err:
                missing = plain_text(err.args[0]) if err.args else "a name"
                self.skip(eq, f"{shorten(missing, 40)} is not a name of the network; bind it in [aliases] to "
                              f"check {shorten(first.text, 30)} = {shorten(other.text, 30)}", other)
                continue
            except (Unevaluable, ArithmeticError, DerivcheckError) as err:
                self.skip(eq, f"{shorten(other.text, 40)} cannot be evaluated ({err})", other)
                continue
            same = same_value(a, b)
            verdict = Verdict.OK if same else Verdict.WRONG
            if same is None:
                verdict = "skipped"
            self.add(eq, other, "equality", verdict, shorten(other.text, 40), show(a),
                     "" if same else f"at the network's point the left side is {show(a)} but this side is {show(b)}",
                     name=shorten(first.text, 40))

    def formula(self, eq: Equation, chain: Chain) -> None:
        parts = chain.parts
        symbols = self.net.symbols_for(eq.line)
        condition = self.report.condition_for(eq)
        for part in parts[1:]:
            text = f"{parts[0].text} = {part.text}{condition}"
            try:
                result = verify_formula(self.network, text, symbols)
            except DerivcheckError as err:
                reason = str(err).rstrip(".")
                self.skip(eq, f"neither arithmetic ({parts[0].error or part.error or 'no number'}) nor a formula "
                              f"the formula checker reads ({shorten(reason, 160)})", part)
                continue
            self.add(eq, part, "formula", result.verdict, "(formula)", "", result.message if not result.ok else "",
                     name=shorten(f"{parts[0].text} = {part.text}", 60), message=result.message)

    # ---------------------------------------------------------------- claims
    def finish(self) -> None:
        if not self.pending:
            return
        draft = toml_tables(self.net.tables) + toml_claims([p.claim for p in self.pending])
        self.report.draft = draft
        derivation = parse_derivation(draft, self.report.path)
        derivation.title = self.report.title
        for c, pending in zip(derivation.claims, self.pending):
            line, _ = place(pending.equation, pending.part)
            if c.error and c.line:
                c.error = c.error.replace(f"{self.report.path}:{c.line}:", f"{self.report.path}:{line}:")
            c.line = line
        checked = check_derivation(derivation)
        places = [place(p.equation, p.part) for p in self.pending]
        for result, pending in zip(checked.results, self.pending):
            _, col = place(pending.equation, pending.part)
            result.name = shorten(pending.chain.parts[0].text, 60)
            if result.verdict == Verdict.WRONG and id(pending.chain.parts) in self.sound:
                # the printed number is what the line computes: not a typo, whatever its digits suggest
                kept = "" if "typo" in result.diagnosis else result.diagnosis
                result.diagnosis = (f"{kept}; " if kept else "") + (
                    "the line's own arithmetic is right, so the error comes from the numbers it starts from")
            carried = [k for k in getattr(result, "carried_from", None) or [] if 0 < k <= len(places)]
            if carried:  # the claims checker numbers claims; a document reader needs their places
                result.diagnosis = (result.diagnosis + " " if result.diagnosis else "") + "(" + ", ".join(
                    f"claim {k} is at {places[k - 1][0]}:{places[k - 1][1]}" for k in carried) + ")"
            eq = pending.equation
            self.report.findings.append(Finding(result, col, eq.cell, "value", eq.text, (eq.cell, eq.line, eq.column)))


def _judge_value(printed: str, truth) -> tuple[str, str]:
    return judge_arithmetic(printed, Ref("value"), lambda _: truth)


def _evaluate(checker: DocumentChecker, node: Node):
    with workprec(PRECISIONS[0]):
        return evaluate(node, checker.lookup)


def _mentions(node: Node | None, name: Node | None) -> bool:
    return node is not None and name is not None and name in names_of(node)


def _is_parameter(canonical: str) -> bool:
    try:
        return "/" not in canonical and parse_name(canonical).is_parameter
    except DerivcheckError:
        return False


def _has_number(parts: list[Part]) -> bool:
    return any(p.kind in ("number", "numeric") for p in parts)


def place(eq: Equation, part: Part | None) -> tuple[int, int]:
    if part is None:
        return eq.line, eq.column
    before = eq.text[eq.prefix:max(eq.prefix, part.offset)]
    if "\n" in before:
        return eq.line + before.count("\n"), len(before) - before.rfind("\n")
    return eq.line, eq.column + len(before)


