"""Dead processes are seen as dead, zombies included (killed, not reaped yet by their parent)."""

import os
import signal
import subprocess
import time

from paperfeed.workers import process_alive


def test_running_killed_and_reaped_processes():
    child = subprocess.Popen(["sleep", "30"])
    assert process_alive(child.pid) and process_alive(os.getpid())
    child.send_signal(signal.SIGKILL)
    time.sleep(0.2)  # now a zombie: os.kill(pid, 0) still succeeds on it
    assert not process_alive(child.pid)
    child.wait()
    assert not process_alive(child.pid)
