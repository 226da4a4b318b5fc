"""Every public name of the API has a numpydoc docstring, so an undocumented function breaks CI.

The public surface is ``typology.__all__`` (the lazy notebook names included), the public methods
and properties of ``Results`` and ``RunResult``, and every public function, class and method
defined in ``typology/api/`` and in the gap solver beside the type rules (``typologies/gap.py``,
``typologies/gap_geometry.py``: ``Results.gap_to`` returns its ``Gap``). A function or method
needs a ``Parameters`` section when it takes arguments (besides ``self``) and a ``Returns``
section when it returns something; a class documents its constructor's arguments under
``Parameters`` or, for a dataclass, ``Attributes``; a property needs ``Returns``. The names in
``__all__`` and the methods of ``Results`` also show an ``Examples`` section. Section headers
are checked in numpydoc form (``Returns\\n    -------``).
"""

from __future__ import annotations

import ast
import doctest
import importlib
import importlib.util
import inspect
import io
import re
from pathlib import Path

import pytest

import typology

PACKAGE = Path(typology.__file__).parent
API = PACKAGE / "api"
# Public modules outside api/: the gap solver sits with the type rules, and Results.gap_to returns its Gap.
PUBLIC_ELSEWHERE = ["typologies/gap.py", "typologies/gap_geometry.py"]


def sections(doc: str | None) -> set[str]:
    """The numpydoc section headers of a docstring: a title underlined by dashes of its length."""
    text = inspect.cleandoc(doc or "")
    return {m.group(1) for m in re.finditer(r"^([A-Z][a-z]+)\n(-+)$", text, re.MULTILINE)
            if len(m.group(1)) == len(m.group(2))}


def takes_arguments(func: object) -> bool:
    params = [p for p in inspect.signature(func).parameters.values() if p.name not in ("self", "cls")]
    return bool(params)


def returns_something(node: ast.FunctionDef) -> bool:
    """From the source: an annotation other than None, or a ``return <value>`` in the body."""
    if node.returns is not None:
        return not (isinstance(node.returns, ast.Constant) and node.returns.value is None)
    return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(node))


def problems(name: str, doc: str | None, *, params: bool, returns: bool, examples: bool = False,
             cls: bool = False) -> list[str]:
    """What the docstring of ``name`` lacks (empty when it is complete)."""
    if not doc or not doc.strip():
        return [f"{name}: no docstring"]
    found = sections(doc)
    out = []
    if cls and params and not found & {"Parameters", "Attributes"}:
        out.append(f"{name}: no Parameters or Attributes section")
    if not cls and params and "Parameters" not in found:
        out.append(f"{name}: no Parameters section")
    if returns and "Returns" not in found:
        out.append(f"{name}: no Returns section")
    if examples and "Examples" not in found:
        out.append(f"{name}: no Examples section")
    return out


def module_problems(module: object, path: Path, examples: set[str] = frozenset()) -> list[str]:
    """Every public def of a module's source (top level and in public classes), checked."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    prefix = module.__name__
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            func = getattr(module, node.name)
            out += problems(f"{prefix}.{node.name}", func.__doc__, params=takes_arguments(func),
                            returns=returns_something(node), examples=node.name in examples)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            out += class_problems(getattr(module, node.name), node, f"{prefix}.{node.name}", examples)
    return out


def is_protocol(cls: type) -> bool:
    return bool(getattr(cls, "_is_protocol", False))


def class_problems(cls: type, node: ast.ClassDef, name: str, examples: set[str] = frozenset()) -> list[str]:
    """A class's own docstring and every public method or property it defines in its body."""
    if is_protocol(cls) or issubclass(cls, Exception) and not node.body[1:]:
        # A protocol's members are documented where they are implemented; an exception class
        # without members is documented by its docstring alone.
        return [] if (cls.__doc__ or "").strip() else [f"{name}: no docstring"]
    out = problems(name, cls.__doc__, params=takes_arguments(cls), returns=False, cls=True)
    for item in node.body:
        if not isinstance(item, ast.FunctionDef) or item.name.startswith("_"):
            continue
        member = inspect.getattr_static(cls, item.name)
        full = f"{name}.{item.name}"
        example = item.name in examples or name.rsplit(".", 1)[-1] in examples
        if isinstance(member, property):
            out += problems(full, member.__doc__, params=False, returns=True, examples=example)
        else:
            func = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            out += problems(full, func.__doc__, params=takes_arguments(func), returns=returns_something(item),
                            examples=example)
    return out


def api_modules() -> list[tuple[object, Path]]:
    paths = [p for p in sorted(API.glob("*.py")) if p.stem != "__init__"] + [PACKAGE / f for f in PUBLIC_ELSEWHERE]
    return [(importlib.import_module("typology." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)), p)
            for p in paths]


def test_every_name_in_all_is_documented_with_examples() -> None:
    found = []
    for name in typology.__all__:
        if name == "__version__":
            continue
        obj = getattr(typology, name)
        if inspect.isclass(obj):
            if issubclass(obj, Exception):
                found += [] if "Examples" in sections(obj.__doc__) else [f"typology.{name}: no Examples section"]
                continue
            found += problems(f"typology.{name}", obj.__doc__, params=takes_arguments(obj), returns=False,
                              examples=True, cls=True)
        else:
            node = ast.parse(inspect.getsource(obj)).body[0]
            found += problems(f"typology.{name}", obj.__doc__, params=takes_arguments(obj),
                              returns=returns_something(node), examples=True)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("dotted", ["typology.api.results.Results", "typology.api.analyses.Analyses",
                                    "typology.core.result.RunResult"])
def test_results_and_run_result_members_are_documented(dotted: str) -> None:
    module_name, cls_name = dotted.rsplit(".", 1)
    module = importlib.import_module(module_name)
    node = next(n for n in ast.parse(inspect.getsource(module)).body
                if isinstance(n, ast.ClassDef) and n.name == cls_name)
    # Results' methods (its own and the analyses it inherits) show examples; RunResult's need not.
    examples = {"Results", "Analyses"} if cls_name != "RunResult" else set()
    found = class_problems(getattr(module, cls_name), node, dotted, examples)
    assert found == [], "\n".join(found)


def test_every_public_def_in_api_is_documented() -> None:
    found = [p for module, path in api_modules() for p in module_problems(module, path)]
    assert found == [], "\n".join(found)


def test_the_check_catches_an_undocumented_function(tmp_path: Path) -> None:
    # A planted module: one documented function, and the failures the test above must report.
    source = '''
def good(x: int) -> int:
    """Double.

    Parameters
    ----------
    x : int

    Returns
    -------
    int
    """
    return 2 * x


def bare(x):
    return x


def prose(x: int) -> int:
    """Say it in prose only, with Returns mentioned but no section."""
    return x


def no_returns(x: int) -> int:
    """Half done.

    Parameters
    ----------
    x : int
    """
    return x


class Thing:
    """A class.

    Parameters
    ----------
    a : int
    """

    def __init__(self, a: int) -> None:
        self.a = a

    @property
    def double(self) -> int:
        return 2 * self.a
'''
    path = tmp_path / "planted.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("planted", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = module_problems(module, path)
    assert found == ["planted.bare: no docstring",
                     "planted.prose: no Parameters section", "planted.prose: no Returns section",
                     "planted.no_returns: no Returns section",
                     "planted.Thing.double: no docstring"]
    # A function without arguments or result needs a docstring and nothing more; a header needs its rule.
    assert problems("f", "Summary only.", params=False, returns=False) == []
    assert problems("g", "Summary.\n\n    Returns\n    ----\n    int\n", params=False, returns=True) == [
        "g: no Returns section"]


# -- the examples run ------------------------------------------------------------------------------
class AnyOutputWhenNoneShown(doctest.OutputChecker):
    """An example that shows no output only has to run; one that shows output must give it."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        return not want.strip() or super().check_output(want, got, optionflags)


class DefaultRunOnce:
    """``typology`` for the examples, with the default run (and its results) made once per session.

    ``tp.load_results()`` and ``tp.run(tp.load_config())`` are what the examples start from; they
    return the session's default run instead of running it again. Every other name is the package's.
    """

    def __init__(self, default_config: dict, default_run: object, res: object) -> None:
        self._config, self._run, self._res = default_config, default_run, res

    def __getattr__(self, name: str) -> object:
        return getattr(typology, name)

    def load_results(self, *args: object, **kwargs: object) -> object:
        return self._res if not args and not kwargs else typology.load_results(*args, **kwargs)

    def run(self, config: dict) -> object:
        return self._run if config == self._config else typology.run(config)


def example_tests() -> list[doctest.DocTest]:
    """The docstring examples of the public surface: the API modules, RunResult, run, load_config, errors."""
    from typology.core import config, result
    from typology.workflow import pipeline

    finder = doctest.DocTestFinder(exclude_empty=True)
    modules = [m for m, _ in api_modules()] + [result, typology.errors]
    tests = [t for m in modules for t in finder.find(m)]
    tests += finder.find(pipeline.run, "typology.workflow.pipeline.run", module=pipeline)
    tests += finder.find(config.load_config, "typology.core.config.load_config", module=config)
    return sorted(tests, key=lambda t: t.name)


def test_the_examples_run_and_show_what_they_give(default_config, default_run, default_run_folder, tmp_path,
                                                  monkeypatch) -> None:
    import matplotlib.pyplot as plt

    from typology.api.loaders import from_run

    # Relative paths in the examples ("configs/...", "out/default") resolve as in a checkout, and
    # the files they save land in tmp_path.
    root = Path(typology.__file__).resolve().parents[1]
    (tmp_path / "configs").symlink_to(root / "configs")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "default").symlink_to(default_run_folder)
    monkeypatch.chdir(tmp_path)
    res = from_run(default_run)
    globs = {"tp": DefaultRunOnce(default_config, default_run, res), "res": res, "result": default_run}
    runner = doctest.DocTestRunner(checker=AnyOutputWhenNoneShown(), optionflags=doctest.ELLIPSIS
                                   | doctest.NORMALIZE_WHITESPACE)
    tests = example_tests()
    assert len(tests) >= 25
    report = io.StringIO()
    for test in tests:
        test.globs = {**globs, **test.globs, "tp": globs["tp"]}
        for example in test.examples:
            # The examples begin with `import typology as tp`, which would bind the package over the
            # session's DefaultRunOnce and run the default config again for each of them.
            if re.fullmatch(r"import typology as tp\s*(#.*)?", example.source.strip()):
                example.source = "tp = tp  # import typology as tp (DefaultRunOnce, above)\n"
        runner.run(test, out=report.write)
        plt.close("all")
    failed, tried = runner.summarize(verbose=False)
    assert failed == 0, report.getvalue()
    assert tried >= 50


def public_callables() -> list[tuple[str, object]]:
    """(name, callable) for everything the tests above walk: ``__all__``, Results, RunResult, api defs."""
    from typology.api.results import Results
    from typology.core.result import RunResult

    out = [(f"typology.{n}", getattr(typology, n)) for n in typology.__all__ if n != "__version__"]
    for cls in (Results, RunResult):
        out += [(f"{cls.__name__}.{n}", m) for n, m in inspect.getmembers(cls) if not n.startswith("_")]
    for module, _ in api_modules():
        for n, obj in vars(module).items():
            if not n.startswith("_") and getattr(obj, "__module__", None) == module.__name__:
                out.append((f"{module.__name__}.{n}", obj))
                if inspect.isclass(obj):
                    out += [(f"{module.__name__}.{n}.{m}", f) for m, f in vars(obj).items()
                            if not m.startswith("_") and callable(f)]
    return out


def test_no_private_name_in_a_public_signature() -> None:
    found = []
    for name, obj in public_callables():
        if not callable(obj) or inspect.isclass(obj) and issubclass(obj, Exception):
            continue
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        found += [f"{name}({p})" for p in params if p.startswith("_")]
    assert found == []
