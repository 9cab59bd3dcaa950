"""What a board process leaves out of its memory.

    if not site.broker.tls:
        leave_out_openssl()     # before paho is imported
    from display.app import main

A board talks plain MQTT on the building's own network unless ``[broker] tls`` says otherwise,
yet paho imports ``ssl`` and ``hashlib`` whatever the connection, and OpenSSL's libraries then
take about 6 MB of a 4K board's memory (bench/press_to_pixel.py at 3840x2160: 81.3 -> 75.6 MB
idle, 85.2 -> 78.3 MB after 100 calls). A board without TLS marks OpenSSL's two extension
modules absent before anything imports them: ``import ssl`` then fails as on a Python built
without OpenSSL, which paho, ``http.client`` and ``urllib`` handle by offering no TLS, and
``hashlib`` falls back to its built-in SHA-2.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

OPENSSL_MODULES = ("_ssl", "_hashlib")


def leave_out_openssl() -> bool:
    """Keep OpenSSL out of this process; False when something has loaded it already (then it
    stays: taking a loaded module away would break whoever holds it)."""
    loaded = [name for name in OPENSSL_MODULES if sys.modules.get(name) is not None]
    if loaded:
        log.debug("OpenSSL already loaded (%s): it stays", ", ".join(loaded))
        return False
    for name in OPENSSL_MODULES:
        sys.modules[name] = None
    return True
