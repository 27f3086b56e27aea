"""Loading onnxruntime the one way paperfeed does: with its telemetry off."""

from __future__ import annotations

import os


def quiet_onnxruntime():
    """The onnxruntime module, with its telemetry off. Its Linux wheels (1.31) carry Microsoft's
    1DS client, which posts usage events to mobile.events.data.microsoft.com (through any
    configured proxy) from a long-running process; paperfeed reaches no host but the sources the
    user configures. ``ORT_DISABLE_TELEMETRY`` is read when onnxruntime starts, and
    :func:`onnxruntime.disable_telemetry_events` turns it off in a process that imported it already."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime

    onnxruntime.disable_telemetry_events()
    return onnxruntime
