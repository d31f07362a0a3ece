"""Package discovery only; all metadata lives in pyproject.toml.

The repository keeps ``templates/`` at its root (DESIGN.md §1); it is installed as the package
``fakturaport_templates`` so that ``pip install .`` carries the templates along.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["formats*", "channels*", "gateway*"]),
        "fakturaport_templates",
    ],
    package_dir={"fakturaport_templates": "templates"},
)
