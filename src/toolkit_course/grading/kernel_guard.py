"""Undo a learner's tampering with the grading kernel before each hidden test runs.

A learner's answer cell runs in the same Python process as the hidden tests, so it
can install IPython hooks that change how later cells run: an input transformer
that rewrites the test, an AST transformer, an event callback, a trace function,
a rebound builtin. The autograder (autograde.GuardedExecute) calls snapshot()
before the first cell and reset() before every graded cell. It calls them through
an execute request's user_expressions, which IPython evaluates without passing
them through input transformers.

This is a defence against the hooks named above, not a proof: code in the same
process could also patch this module or IPython's classes. The sandbox, not this
module, is what keeps the solutions and the gradebook out of reach.
"""

from __future__ import annotations

import builtins
import sys

_saved: dict = {}


def _shell():
    from IPython import get_ipython
    return get_ipython()


def snapshot() -> str:
    shell = _shell()
    _saved["builtins"] = dict(builtins.__dict__)
    _saved["events"] = {name: list(callbacks) for name, callbacks in shell.events.callbacks.items()}
    _saved["excepthook"], _saved["displayhook"] = sys.excepthook, sys.displayhook
    return "ok"


def reset() -> str:
    from IPython.core.inputtransformer2 import TransformerManager
    from IPython.core.interactiveshell import InteractiveShell

    shell = _shell()
    InteractiveShell.set_custom_exc(shell, (), None)
    shell.input_transformer_manager = TransformerManager()
    shell.input_transformers_post = []
    shell.ast_transformers = []
    sys.settrace(None)
    sys.setprofile(None)
    if _saved:
        for name, callbacks in _saved["events"].items():
            shell.events.callbacks[name] = list(callbacks)
        for name in set(builtins.__dict__) - set(_saved["builtins"]):
            del builtins.__dict__[name]
        builtins.__dict__.update(_saved["builtins"])
        sys.excepthook, sys.displayhook = _saved["excepthook"], _saved["displayhook"]
    return "ok"
