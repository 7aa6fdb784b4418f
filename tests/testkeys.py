"""RSA key pairs for signing tests, made by the openssl command (the tests skip without it)."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest


def openssl_rsa(bits: int = 2048) -> tuple[bytes, str]:
    """(private key PEM, public key as base64 DER: the p= of a DKIM key record)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to generate RSA test keys")
    private = subprocess.run(
        ["openssl", "genrsa", str(bits)], capture_output=True, check=True
    ).stdout
    der = subprocess.run(
        ["openssl", "rsa", "-pubout", "-outform", "DER"],
        input=private,
        capture_output=True,
        check=True,
    ).stdout
    return private, base64.b64encode(der).decode("ascii")
