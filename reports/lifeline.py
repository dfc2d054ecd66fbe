"""Render workers end when the server ends, however it ends.

After a SIGKILL of the server a 174 MB render worker was seen waiting for work
forever: it reads its task queue from a pipe whose other end it holds itself,
so it never sees the server go. The fork server that forked it stayed too: it
exits when the pipe it watches from the server closes, but every worker it
forks holds a copy of that pipe's write end. So the parent-death signal
(PR_SET_PDEATHSIG, whose "parent" would be the fork server) would never come:
each worker must watch the server itself. Once the workers are gone, the last
copies of the fork server's pipe close and it exits as well.

On Linux a worker watches the server through a pidfd, which becomes readable
when the process ends; elsewhere nothing watches.
"""

from __future__ import annotations

import logging
import os
import select
import threading

log = logging.getLogger(__name__)


def die_with_server(server_pid: int) -> None:
    """End this process as soon as the process `server_pid` has ended.

    Called first thing in a render worker. The exit is immediate (no clean-up):
    with the server gone nobody waits for what the worker is doing, and a partly
    written PDF is a `.part` file that the cache's pruning removes.
    """
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return
    try:
        server = pidfd_open(server_pid)
    except ProcessLookupError:  # the server died before this worker was up
        os._exit(1)
    except OSError:  # a kernel before 5.3, or a sandbox that forbids pidfds
        log.warning("cannot watch the server: a render worker may outlive a killed server")
        return
    threading.Thread(
        target=_exit_when_ended, args=(server,), name="die-with-server", daemon=True
    ).start()


def _exit_when_ended(pidfd: int) -> None:
    select.select([pidfd], [], [])
    os._exit(1)
