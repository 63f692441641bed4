"""The federation tests' fixtures: three nodes and the broker's names of the test's own."""

from tests.services.federation.nodes import broker, nodes  # noqa: F401
