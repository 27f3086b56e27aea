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


def test_a_worker_name_says_which_process_of_which_host():
    import os
    import socket

    from paperfeed.workers import died_here, host_and_pid, worker_name

    host, pid = host_and_pid(worker_name())
    assert (host, pid) == (socket.gethostname(), os.getpid())
    assert host_and_pid("node-2:4242") == ("node-2", 4242)  # the form older digest runs stored
    assert not died_here(worker_name())  # this very process
    assert not died_here("elsewhere:1")  # another machine's process: this one cannot tell


def test_a_heartbeat_beats_until_the_block_ends_and_outlives_a_failed_beat():
    import threading

    from paperfeed.workers import Heartbeat

    beats = []
    third = threading.Event()

    def beat():
        beats.append(len(beats))
        if len(beats) == 1:
            raise ConnectionError("the database went away for a moment")
        if len(beats) >= 3:
            third.set()

    with Heartbeat(beat, every_s=0.01, name="test-heartbeat"):
        assert third.wait(5)
    count = len(beats)
    threading.Event().wait(0.1)
    assert count >= 3 and len(beats) <= count + 1  # stopped with the block (one beat may be under way)
