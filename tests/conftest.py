"""Fixtures shared by several test modules."""

import pytest
from site_build import SiteBuild, built_site


@pytest.fixture(scope="session")
def site() -> SiteBuild:
    """The strict site build (once per session); its HTML is checked even when the build
    reported warnings, which test_site.py asserts separately."""
    build = built_site()
    if not (build.html / "index.html").is_file():
        pytest.fail(f"the site build produced no HTML:\n{build.summary()}")
    return build
