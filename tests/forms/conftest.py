from __future__ import annotations

from typing import Any

import pytest

from forms.schema import shipped_forms


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The shipped household form."""
    return shipped_forms()["household"]
