"""The real Windows seam of install-addin (winreg under HKCU), on Windows only: run by
.github/workflows/excel-addin-windows.yml. The install and uninstall logic itself is tested on every
platform against the fake seam (tests/test_excel_install.py); this proves the real registry calls."""

from __future__ import annotations

import sys
import uuid

import pytest

from excel_addin.bridge.osseam import RealOs

pytestmark = pytest.mark.skipif(
    sys.platform != "win32", reason="the real Windows registry: .github/workflows/excel-addin-windows.yml"
)


def test_the_real_registry_seam_sets_reads_and_deletes_values_under_hkcu() -> None:
    seam = RealOs()
    assert seam.platform == "windows"
    key = rf"Software\docrelay-tests\{uuid.uuid4()}"
    assert seam.registry_get(key, "manifest") is None
    seam.registry_set(
        key, "manifest", r"C:\Users\me\AppData\Local\docrelay\excel-bridge\docrelay-manifest.xml"
    )
    assert seam.registry_get(
        key,
        "manifest",
    ).endswith("docrelay-manifest.xml")  # type: ignore[union-attr]
    seam.registry_delete(key, "manifest")
    seam.registry_delete(key, "manifest")  # twice: nothing left is no error
    assert seam.registry_get(key, "manifest") is None


def test_certutil_is_there_for_the_trust_step() -> None:
    code, output = RealOs().run(["certutil", "-?"])
    assert code == 0 or "certutil" in output.lower()
