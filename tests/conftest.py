import pytest


@pytest.fixture
def shared_example_dir():
    """The worked example of POLICY.md shipped beside the repository (../shared/spec/example)."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "shared" / "spec" / "example"
    if not path.is_dir():
        pytest.skip("../shared/spec/example is not present")
    return path
