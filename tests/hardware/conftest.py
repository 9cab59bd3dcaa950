import pytest

from antrian import config as site_config
from support.site import ROOT


@pytest.fixture(scope="session")
def mpp():
    """The example mall (examples/mpp.toml): 40 services, a touch kiosk k1."""
    return site_config.load(ROOT / "examples" / "mpp.toml")
