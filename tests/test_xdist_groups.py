"""The test suite's own layout under pytest-xdist: the groups of tests/conftest.py are in
effect."""

import pytest


def test_the_module_runs_as_its_xdist_group(request):
    """Under ``make test`` (pytest-xdist, ``--dist loadgroup``) each module is a group of its
    own and the modules that need the pipeline runs one group (tests/conftest.py), and
    xdist marks a test's group in its node id. A pytest or an xdist that drops the mark
    (pytest 9.2 with xdist 3.8.0: pytest-dev/pytest-xdist#1386) spreads every module over
    the workers without a word, and each worker then starts its own background pipelines:
    the suite took about twice the CPU."""
    config = request.config
    if not hasattr(config, "workerinput") or not config.getvalue("loadgroup"):
        pytest.skip("not run by pytest-xdist with --dist loadgroup (make test is)")
    module = request.node.nodeid.split("::")[0]
    assert request.node.nodeid.endswith(f"@{module}"), request.node.nodeid
