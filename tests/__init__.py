"""FlexMeasures' test suite, a regular package on purpose.

Some wheels install a top-level ``tests`` folder into site-packages (rq-dashboard 0.9.0 brings
``tests/fixtures``, without ``tests/__init__.py``). Were our ``tests`` a namespace package
too, Python would merge both folders into one ``tests`` package, and a wheel's
``tests/__init__.py`` would even replace ours. As a regular package found first on the path
(pytest puts the repository root there: ``pythonpath`` in pyproject.toml), ``tests`` is ours
alone. See documentation/README.md (Running the tests).
"""
