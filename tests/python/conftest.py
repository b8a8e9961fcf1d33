import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def cli():
    return os.environ.get("SGDNOISE_CLI", str(ROOT / "build" / "sgdnoise"))
