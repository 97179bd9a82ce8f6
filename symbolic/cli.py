"""The ``derivcheck`` command line: a thin layer over the library.

Commands
--------
* ``derivcheck check FILE|DIR… [--json]`` — verdict table per derivation file;
  exit 0 (all ok/rounding), 1 (some WRONG), 2 (bad input). Documents (``.md``, ``.tex``,
  ``.ipynb``) are checked equation by equation (``--network``, ``--annotate``, ``--draft``:
  docs/documents.md).
* ``derivcheck gradcheck FILE`` or ``derivcheck gradcheck --layers 3,4,2 …`` —
  the four gradient witnesses compared at the file's point (or a random
  point drawn with ``--seed``); exit 0 when they agree, 1 otherwise.
* ``derivcheck train FILE --updates N`` — run N gradient-descent updates
  (NumPy) and print the loss and parameters.
* ``derivcheck verify --layers … 'FORMULA'`` — a hand formula in LaTeX against
  a network (proved ok, WRONG with a counterexample, or shape error).
* ``derivcheck latex FILE -o OUT.tex [--pdf]`` — a step-by-step derivation
  document (forward pass, loss, chain rule, matrix form, update, claims);
  ``--pdf`` compiles it with latexmk next to OUT.tex.
* ``derivcheck derive --layers 2,3,2 … [--latex]`` — the symbolic formulas
  (forward pass, loss, chain rule, matrix form) of a network, no numbers.
* ``derivcheck grade KEY SUBMISSIONS…``, ``merge``, ``variant`` — grading a course
  (:mod:`symbolic.grading`, docs/grading.md).

Bad input is one sentence on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
from fractions import Fraction
from pathlib import Path

from .report_text import print_report, table, total_counts
from .grading.arguments import add_grading_commands
from .spec.errors import DerivcheckError
from .spec.files import write_atomic
from .options import learning_rate, seed, whole_number
from .terminal import Terminated, VisibleStream, json_visible, on_sigterm, quiet_broken_pipe, visible

__all__ = ["main"]


def _write_atomic(path: Path, text: str, inputs=()) -> None:
    """Atomic, never over a non-regular or input file, the umask's mode (symbolic.spec.files.write_atomic)."""
    write_atomic(path, text, inputs, what="-o")


def cmd_check(args) -> int:
    from .claims.running import check_files, default_jobs, expand_paths
    from .claims.sources.equations import is_document

    if args.output and not args.json:
        raise DerivcheckError("-o/--output writes the JSON report; add --json (the table goes to standard output).")
    files = expand_paths(args.paths)
    if not files:
        raise DerivcheckError(f"No derivation files (*.toml) found in {', '.join(args.paths)}.")
    jobs = default_jobs(len(files)) if args.jobs is None else args.jobs
    if jobs < 1:
        raise DerivcheckError(f"--jobs is {args.jobs}; give 1 or more worker processes.")
    reports = []
    found = check_files(files, jobs)  # derivation files only; the document readers load only when needed:
    if any(is_document(f) for f in files) or any(getattr(args, k, None) for k in ("network", "annotate", "draft")):
        from .documents.checked import check_documents
        found = check_documents(files, args, lambda tomls: check_files(tomls, jobs),
                                lambda path, text: _write_atomic(path, text, files))
    for report in found:
        reports.append(report)
        if not args.json:
            print(report.table(table)) if hasattr(report, "table") else print_report(report)
            sys.stdout.flush()
    strict = getattr(args, "strict_carry", False)
    wrong = sum(1 for r in reports for c in r.results if c.verdict in ("WRONG", "shape error")
                and (strict or not c.carried))
    bad = sum(1 for r in reports if r.error) + sum(1 for r in reports for c in r.results if c.verdict == "error")
    total = sum(len(r.results) for r in reports)
    if args.json:
        doc = {
            "files": [r.to_json() for r in reports],
            "summary": {"files": len(reports), "claims": total, "wrong": wrong,
                        "bad_input": bad, "counts": total_counts(reports)},
        }
        text = json_visible(json.dumps(doc, indent=2, ensure_ascii=False))
        if args.output:
            _write_atomic(Path(args.output), text + "\n", files)
        else:
            print(text)
    else:
        counts = total_counts(reports)
        summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()) if v)
        broken = sum(1 for r in reports if r.error)
        print(f"{len(reports)} file(s), {total} claim(s): {summary or 'nothing checked'}"
              + (f"; {broken} file(s) could not be read" if broken else ""))
    if bad:
        return 2
    return 1 if wrong else 0


MAX_SYMBOLIC_PARAMETERS = 5_000  # derive/gradcheck/verify work per entry in SymPy: ~2,000 parameters take ~15 s


def _network_from_args(args, symbolic: bool = True):
    network = _parse_network(args)
    n = network.layers
    count = (len(network.parameter_names()) if hasattr(network, "specs") else  # a [[layer]] list counts its own
             sum(n[l] * n[l - 1] + {"none": 0, "shared": 1}.get(network.bias[l - 1], n[l]) for l in range(1, len(n)))) \
        if symbolic else 0
    if count > MAX_SYMBOLIC_PARAMETERS:
        raise DerivcheckError(
            f"The {'-'.join(map(str, network.layers[:12]))}{'-…' if len(network.layers) > 12 else ''} network has "
            f"{count:,} parameters; '{args.command}' works symbolically entry by entry and takes at most "
            f"{MAX_SYMBOLIC_PARAMETERS:,} (use a smaller network, or 'train' for NumPy only).")
    return network


def _parse_network(args):
    from .spec.network import Network
    from .spec.rules import DEFAULT_ACTIVATION, DEFAULT_LOSS

    if args.file:
        from .claims.derivation import load_derivation

        return load_derivation(args.file).network
    if not args.layers:
        raise DerivcheckError("Give a derivation file or --layers, e.g. --layers 3,4,2.")
    try:
        layers = [int(v) for v in args.layers.split(",")]
    except ValueError:
        raise DerivcheckError(f"--layers {args.layers!r} is not a comma-separated list of sizes such as 3,4,2.") from None
    acts = args.activation.split(",") if args.activation else [DEFAULT_ACTIVATION]
    bias = args.bias.split(",") if args.bias else "per-neuron"
    return Network.build(layers, acts if len(acts) > 1 else acts[0], args.loss or DEFAULT_LOSS, bias if len(bias) > 1 else bias[0],
                         learning_rate=args.learning_rate)


def _random_point(network, seed: int):
    import numpy as np

    from .spec.network import Network
    from .spec.rules import LOSSES

    rng = np.random.default_rng(seed)
    arch = network.architecture
    import numeric

    def q(v):  # a short exact decimal
        return Fraction(round(float(v) * 100), 100)

    values = {k: q(rng.uniform(-1, 1)) for k in numeric.entry_names(arch)}
    arrays = numeric.unflatten(arch, {k: float(v) for k, v in values.items()})
    params = {k: (v.tolist() if v.ndim else float(v)) for k, v in arrays.items()}
    x = [float(q(v)) for v in rng.uniform(-1, 1, network.layers[0])]
    targets = LOSSES[network.loss].targets
    if targets == "distribution":  # one-hot
        y = [0.0] * network.layers[-1]
        y[int(rng.integers(network.layers[-1]))] = 1.0
    elif targets == "binary":
        y = [float(int(v)) for v in rng.integers(0, 2, network.layers[-1])]
    else:
        y = [float(q(v)) for v in rng.uniform(-1, 1, network.layers[-1])]
    return Network.build(network.layers, list(network.activations), network.loss, list(network.bias),
                         network.learning_rate, network.update_biases, params, x, y)


def cmd_gradcheck(args) -> int:
    from .layered_train_command import dense_only
    from .truth.crosscheck import cross_check

    network = _network_from_args(args)
    dense_only(network, "gradcheck")
    if network.params is None or network.x is None or args.seed is not None:
        network = _random_point(network, args.seed or 0)
    result = cross_check(network)
    print(result.table())
    return 0 if result.ok else 1


def cmd_train(args) -> int:
    import numeric

    from .layered_train_command import is_layered, train_layered
    from .train_command import train_optimizer, training_keys

    network = _network_from_args(args, symbolic=False)
    if is_layered(network):  # issue 18: plain gradient descent of the batch (layered_train_command.py)
        return train_layered(network, args)
    network = training_keys(args, network)
    if network.learning_rate is None and args.learning_rate is None:
        raise DerivcheckError("Training needs a learning rate: set learning_rate in [network] or pass --learning-rate.")
    lr = float(args.learning_rate if args.learning_rate is not None else network.learning_rate)
    if network.optimizer.name != "sgd" or network.regularization.l2 or network.optimizer.state or args.show is not None:
        if args.batch_size is not None:
            raise DerivcheckError("--batch-size works with plain gradient descent only; optimizers run full batch.")
        return train_optimizer(network, lr, args.updates, 10 if args.show is None else args.show)
    arch = network.architecture
    X, Y = network.numeric_data()
    if args.batch_size is not None and args.batch_size > len(X):
        raise DerivcheckError(f"--batch-size {args.batch_size} is larger than the {len(X)} sample(s) of [data]; give "
                              f"1 to {len(X)}.")
    run = numeric.train(arch, network.numeric_params(), X, Y, lr, args.updates, batch_size=args.batch_size,
                        update_biases=network.update_biases, seed=args.seed or 0)
    print(f"loss before: {run.history[0]:.12g}")
    print(f"loss after {run.updates:,} update(s): {run.history[-1]:.12g}")
    for k, v in numeric.flatten(arch, run.params).items():
        print(f"  {k} = {v:.12g}")
    return 0


def cmd_verify(args) -> int:
    from .formulas.repair import RepairableError, verify_record, verify_with_repair
    pairs = [dict(_pair(i, opt) for i in items or []) for items, opt in ((args.symbol, "--symbol"), (args.alias, "--alias"))]
    try:
        result = verify_with_repair(_network_from_args(args), args.formula, *pairs, max_seconds=args.repair_seconds)
    except RepairableError as err:
        if not args.json:
            raise
        return print(json.dumps(verify_record(err), ensure_ascii=False, indent=2)) or 2
    print(json.dumps(verify_record(result), ensure_ascii=False, indent=2) if args.json else f"{result.verdict}: {result.message}")
    return 0 if result.verdict == "ok" else 1


def _pair(item: str, option: str) -> tuple[str, str]:
    if "=" not in item:
        raise DerivcheckError(f"{option} {item!r} must look like NAME=CANONICAL, e.g. z=y or w5=W2[1,1].")
    return tuple(part.strip() for part in item.split("=", 1))  # type: ignore[return-value]


def cmd_latex(args) -> int:
    from .claims.derivation import load_derivation
    from .documents.document import compile_pdf, render_document

    out = Path(args.output)
    if out.suffix != ".tex":
        raise DerivcheckError(f"-o {args.output} must name a .tex file, e.g. -o seed002.tex.")
    if not out.parent.is_dir():
        raise DerivcheckError(f"The directory of -o {args.output} does not exist; create it first.")
    if out.is_dir():
        raise DerivcheckError(f"-o {args.output} is a directory; name a .tex file to write.")
    if args.digits < 3 or args.digits > 30:
        raise DerivcheckError(f"--digits {args.digits} is out of range; use 3 to 30 significant digits.")
    derivation = load_derivation(args.file)
    text = render_document(derivation, check_claims=not args.no_claims, digits=args.digits)
    try:
        _write_atomic(out, text)
    except OSError as err:
        raise DerivcheckError(f"Cannot write {out} ({err.strerror or err}).") from None
    print(f"wrote {out}")
    if args.pdf:
        print(f"wrote {compile_pdf(out, out.parent)}")
    return 0


def cmd_derive(args) -> int:
    from .documents.document import derive_formulas

    network = _network_from_args(args)
    text = derive_formulas(network, latex=args.latex)
    if args.output:
        _write_atomic(Path(args.output), text)
        print(f"wrote {args.output}")
    else:
        print(text, end="")
    return 0


def cmd_grading(args) -> int:
    from .grading.commands import run

    return run(args)


def _add_network_options(p) -> None:
    p.add_argument("file", nargs="?", help="a derivation file (its [network], parameters and data)")
    p.add_argument("--layers", help="layer sizes, e.g. 3,4,2")
    p.add_argument("--activation", help="one activation, or one per non-input layer separated by commas")
    p.add_argument("--loss", help="half_sse (the default), sse, mse, bce or softmax_ce")
    p.add_argument("--bias", help="none, per-neuron or shared (or one per layer, comma-separated)")
    p.add_argument("--learning-rate", type=learning_rate, dest="learning_rate")
    p.add_argument("--seed", type=seed, help="draw a random point with this seed (0 or more)")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("derivcheck")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="derivcheck", description="Check hand-written backprop derivations exactly.")
    parser.add_argument("--version", action="version", version=f"derivcheck {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="check derivation files claim by claim")
    p.add_argument("paths", nargs="+", help="derivation files or directories of them")
    p.add_argument("--json", action="store_true", help="print a machine-readable report")
    p.add_argument("-o", "--output", help="with --json: write the report to this file (atomically)")
    p.add_argument("-j", "--jobs", type=whole_number(1, 1024, "the number of worker processes"), help="worker processes for several files (default: one per core)")
    p.add_argument("--network", help="documents (.md/.tex/.ipynb): the network as a TOML file, instead of the "
                                     "document's toml derivcheck block")
    p.add_argument("--annotate", help="one document: write it as HTML with every equation marked (OUT.html)")
    p.add_argument("--draft", help="one document: write the derivation file it implies (OUT.toml)")
    p.add_argument("--strict-carry", action="store_true", dest="strict_carry",
                   help="a carried error (a WRONG number reproduced from the author's earlier WRONG ones) fails the "
                        "run like a root error; by default it is reported as carried")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("gradcheck", help="compare exact, lambdified, backprop and finite-difference gradients")
    _add_network_options(p)
    p.set_defaults(func=cmd_gradcheck)
    p = sub.add_parser("train", help="run N gradient-descent updates with NumPy")
    _add_network_options(p)
    p.add_argument("--updates", type=whole_number(0, 10_000_000, "the number of updates"), default=1)
    p.add_argument("--batch-size", type=whole_number(1, 10**9, "a batch size"), dest="batch_size")
    p.add_argument("--optimizer", help="sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw (else the file's)")
    for key, what in (("momentum", "μ of momentum/nesterov"), ("beta1", "Adam's β1"), ("beta2", "Adam's β2"),
                      ("eps", "ε of adagrad/rmsprop/adam"), ("rho", "ρ of rmsprop"),
                      ("weight_decay", "AdamW's decoupled decay λ"), ("l2", "the L2 penalty's λ")):
        p.add_argument(f"--{key.replace('_', '-')}", dest=key, type=float, help=what)
    p.add_argument("--convention", choices=["pytorch", "sutskever"], help="momentum convention")
    p.add_argument("--l2-convention", dest="l2_convention", choices=["half", "full"], help="(λ/2)Σθ² or λΣθ²")
    p.add_argument("--include-biases", dest="include_biases", action="store_true", default=None,
                   help="the penalty (and AdamW's decay) also on biases")
    p.add_argument("--t0", type=whole_number(0, 10**9, "the updates already made"), help="updates already made (Adam's bias correction)")
    p.add_argument("--show", type=whole_number(0, 10**6, "the updates shown"), help="print the state of the first N updates (and the last)")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("verify", help="verify a hand formula written in LaTeX")
    _add_network_options(p)
    p.add_argument("--formula", required=True, help="the formula, e.g. '\\nabla_{W^{(2)}} L = \\delta^{(2)} (a^{(1)})^T'")
    p.add_argument("--symbol", action="append", help="author's letter = canonical name, e.g. z=y (repeatable)")
    p.add_argument("--alias", action="append", help="tutorial name = canonical name, e.g. w5=W2[1,1] (repeatable)")
    p.add_argument("--json", action="store_true", help="verdict and repairs as JSON")
    p.add_argument("--repair-seconds", type=float, default=6.0, help="CPU bound of a wrong formula's repair search")
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("latex", help="write a step-by-step derivation document (LaTeX, optionally PDF)")
    p.add_argument("file", help="a derivation file")
    p.add_argument("-o", "--output", required=True, help="the .tex file to write (atomically)")
    p.add_argument("--pdf", action="store_true", help="also compile it with latexmk (PDF next to the .tex)")
    p.add_argument("--no-claims", action="store_true", dest="no_claims", help="leave out the checked-claims table")
    p.add_argument("--digits", type=whole_number(3, 30, "the number of significant digits"), default=9, help="significant digits of printed numbers (default 9)")
    p.set_defaults(func=cmd_latex)
    p = sub.add_parser("derive", help="print the symbolic formulas (no numbers) of a network")
    _add_network_options(p)
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of plain text")
    p.add_argument("-o", "--output", help="write to this file (atomically) instead of printing")
    p.set_defaults(func=cmd_derive)
    add_grading_commands(sub, cmd_grading)  # grade, merge, variant (docs/grading.md)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; every outcome is an exit status and, for a problem, one sentence on stderr."""
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = VisibleStream(sys.stdout), VisibleStream(sys.stderr)
    previous = on_sigterm()  # SIGTERM is handled like Ctrl-C: workers stopped, temporary files removed
    try:
        return _main(sys.argv[1:] if argv is None else list(argv))
    finally:
        try:
            sys.stdout.flush()
        except (BrokenPipeError, OSError):
            quiet_broken_pipe()
        sys.stdout, sys.stderr = streams
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str]) -> int:
    for k, arg in enumerate(argv, 1):
        if "\x00" in str(arg):  # only a caller in Python can pass one (a shell cannot): no file or option has it
            print(f"derivcheck: argument {k} contains a NUL character; no file name or option can.", file=sys.stderr)
            return 2
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return 2 if exc.code else 0
    try:
        return args.func(args)
    except DerivcheckError as err:
        print(f"derivcheck: {visible(err)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader closed the pipe (check … | head -1)
        quiet_broken_pipe()
        print("derivcheck: the output was closed before the report was complete (broken pipe).", file=sys.stderr)
        return 141
    except KeyboardInterrupt as interrupt:
        name = "terminated (SIGTERM)" if isinstance(interrupt, Terminated) else "interrupted"
        print(f"derivcheck: {name}.", file=sys.stderr)
        return 143 if isinstance(interrupt, Terminated) else 130
    except Exception as err:  # noqa: BLE001 — e.g. a pool torn down by SIGTERM while starting: one sentence
        why = getattr(err, "strerror", None) or type(err).__name__
        print(f"derivcheck: the run stopped: {visible(why)}.", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
