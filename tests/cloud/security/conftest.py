"""Throwaway certificates for the transport security tests, made once per session."""

from __future__ import annotations

import pytest

from tests.support.tls import Certs, make_certs


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("pki"))
