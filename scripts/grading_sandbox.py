"""Autograde each submission in a sandbox: student code cannot read the solutions, change a
grade or reach the network.

``nbgrader autograde`` runs every student's notebook in a Jupyter kernel started by the
instructor, in the course folder, so without a sandbox an answer cell could read ``source/``
(the reference solutions), rewrite ``gradebook.db``, read other students' submissions or use the
network. ``scripts/make_course.py`` writes a course configuration that grades with
:class:`SandboxedExecute` instead of nbgrader's ``Execute``; everything else is nbgrader's own.

The design, in short:

- **Only the kernel is sandboxed.** nbgrader itself (restoring the check cells, reading the
  results, writing ``gradebook.db`` and ``autograded/``) runs outside, as before. The kernel
  process runs under `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``, in
  Debian, Ubuntu and Fedora), started by :class:`SandboxedKernelManager`.
- **What the kernel sees:** the operating system (``/usr``, ``/etc``, ...), the Python
  installation, the virtual environment and the ``dlbasics`` sources, all read-only; a fresh
  ``/proc`` and ``/dev``; three small in-memory folders it may write to (``/tmp``, ``/dev/shm``
  and its working folder ``/submission``, ``scratch_mib`` each), with the submission's other
  files (not its notebooks) mounted read-only in the working folder. Nothing else: not the
  course folder (``source/``, ``gradebook.db``, ``submitted/``, the other students), not the
  home folder, not the repository's notebooks. Its environment variables are a fixed short
  list, not the instructor's.
- **No network:** the kernel has its own empty network namespace (``--unshare-net``). nbgrader
  talks to it over Unix sockets instead of TCP (ZeroMQ's ``ipc`` transport): the kernel creates
  them in its own ``/tmp``, and nbgrader reaches them through ``/proc/<pid>/root``, so nothing on
  the host's disk is writable by the kernel.
- **Limits:** it runs in its own process namespace (when grading as root, as a user id of its
  own that no account and no running process has, because the process limit does not apply
  to root and counts every process of the user: with a shared user such as ``nobody``, one
  submission's processes would count against every kernel graded beside it), under
  ``prlimit``: address space
  ``memory_mib`` (RLIMIT_AS), ``processes`` processes and threads (RLIMIT_NPROC),
  ``cpu_seconds`` of CPU time (RLIMIT_CPU), no core files; numpy uses ``threads`` threads.
  nbgrader interrupts a cell after ``Execute.timeout`` seconds (60 in the course
  configuration) and the whole kernel is killed after ``wall_seconds``. Ending the kernel ends
  every process it started.
- **No silent fallback:** without a working ``bwrap`` grading stops with a message saying how
  to install it. Grading without the sandbox takes an explicit
  ``c.SandboxedKernelManager.enabled = False`` (``make_course.py --no-sandbox`` writes it),
  and then every kernel start logs a warning.

What the sandbox does not do: student code still runs in the same kernel as the check cells, so
it can still redefine what a check cell calls and pass a check it should fail (see the guide,
*Grading in a sandbox*); the hidden tests of the notebook being graded reach the kernel when
their cell runs. The memory limit is per process and on address space: memory kept in
in-memory files (``memfd_create``, or a namespace of its own when grading as root) is not
counted; only a cgroup (a container or virtual machine with a memory limit) caps that.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import os
import pathlib
import shutil
import signal
import site
import subprocess
import sys

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

INSTALL = """\
Autograding runs each submission in a sandbox, and that needs bubblewrap (`bwrap`), which {why}.
Install it (Linux only):
    sudo apt-get install bubblewrap     # Debian, Ubuntu, WSL
    sudo dnf install bubblewrap         # Fedora
then grade again. To grade WITHOUT a sandbox (only for code you trust: any submission could
then read the solutions, change grades and use the network), rebuild the course with
`python scripts/make_course.py --no-sandbox`, or put
`c.SandboxedKernelManager.enabled = False` in nbgrader_config_local.py."""

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
KERNEL_SOCKETS = "/tmp/kernel"  # inside the sandbox; ZeroMQ appends -1 ... -5
CONNECTION_FILE = "/tmp/kernel.json"
WORKDIR = "/submission"  # the kernel's working folder, inside the sandbox
# User ids for kernels graded as root: far above any account's (useradd's ceiling is 60000,
# systemd's dynamic users end below 2**17, container ranges below 2**31).
KERNEL_UIDS = range(2**31 + 2**20, 2**31 + 2**30)


def kernel_uid() -> int:
    """A user id that no account and no running process has, for one kernel's sandbox."""
    import pwd
    import random

    taken = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                taken.add(entry.stat().st_uid)
            except OSError:  # the process ended
                pass
    while True:
        uid = random.choice(KERNEL_UIDS)
        if uid in taken:
            continue
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid


def _base_args(scratch: int = 2**20) -> list[str]:
    args = ["--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "grading"]
    if os.geteuid() != 0:  # bwrap is in a user namespace: no more of them inside
        args += ["--unshare-user", "--disable-userns"]
    for folder in SYSTEM_DIRS:
        args += ["--ro-bind-try", folder, folder]
    return [*args, "--proc", "/proc", "--dev", "/dev", "--size", str(scratch), "--perms", "1777",
            "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]


@functools.cache
def bwrap_problem(bwrap: str = "bwrap") -> str | None:
    """None if ``bwrap`` can start a sandbox on this machine, else what to do about it."""
    exe = shutil.which(bwrap)
    if exe is None:
        return INSTALL.format(why=f"was not found (no {bwrap!r} on PATH)")
    try:
        result = subprocess.run([exe, *_base_args(), "--remount-ro", "/", "true"],
                                capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return INSTALL.format(why=f"could not start a sandbox here ({error})")
    if result.returncode != 0:
        return INSTALL.format(why=f"could not start a sandbox here: {result.stderr.strip()!r}. "
                              "It needs user namespaces (or running as root)")
    return None


def _python_dirs() -> list[str]:
    """The folders the kernel's Python needs: its installation, the virtual environment (or the
    user's site-packages) and the folder that holds the ``dlbasics`` package (``src/`` for the
    course's editable install)."""
    dirs = {sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix}
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        dirs.add(site.getusersitepackages())
    spec = importlib.util.find_spec("dlbasics")
    if spec and spec.submodule_search_locations:
        dirs.add(str(pathlib.Path(next(iter(spec.submodule_search_locations))).parent))
    return sorted({os.path.realpath(d) for d in dirs})


@functools.cache
def _matplotlib_font_cache() -> list[str]:
    """The instructor's matplotlib font list, so that each kernel does not rebuild it."""
    try:
        import matplotlib
    except ImportError:
        return []
    return sorted(str(p) for p in pathlib.Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel inside bubblewrap (see the module's docstring).
    Every setting can be changed in ``nbgrader_config_local.py``, e.g.
    ``c.SandboxedKernelManager.memory_mib = 8192``."""

    enabled = Bool(True, help="Run the kernel in the sandbox. False grades WITHOUT one: "
                   "only for code you trust.").tag(config=True)
    bwrap = Unicode("bwrap", help="The bubblewrap program.").tag(config=True)
    memory_mib = Integer(4096, help="Address space of the kernel (RLIMIT_AS), MiB.").tag(
        config=True)
    processes = Integer(64, help="Processes and threads (RLIMIT_NPROC).").tag(config=True)
    cpu_seconds = Integer(600, help="CPU time of each process (RLIMIT_CPU), s.").tag(config=True)
    wall_seconds = Integer(900, help="The kernel is killed after this many seconds.").tag(
        config=True)
    scratch_mib = Integer(256, help="Size of /tmp and of the working folder, MiB each.").tag(
        config=True)
    threads = Integer(2, help="Threads of numpy's linear algebra (OMP/OPENBLAS/MKL).").tag(
        config=True)

    _timer: asyncio.TimerHandle | None = None

    def _inside_command(self, cmd: list[str]) -> list[str]:
        limits = [f"--as={self.memory_mib * 2**20}", f"--nproc={self.processes}",
                  f"--cpu={self.cpu_seconds}", "--core=0"]
        uid = kernel_uid() if os.geteuid() == 0 else None
        drop_root = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all"] if uid is not None else []
        if uid is not None:
            self.log.info("The kernel runs in a sandbox as user id %d.", uid)
        return [*drop_root, "prlimit", *limits, "--", *cmd]

    def _environment(self) -> list[str]:
        env = {
            "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
            "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PWD": WORKDIR,
            "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": "/tmp/ipython",
            "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
            "NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde"),
        }
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(self.threads)
        return [arg for name, value in env.items() for arg in ("--setenv", name, value)]

    def _sandbox(self, cmd: list[str], cwd: str, data_fd: int, info_fd: int) -> list[str]:
        size = str(self.scratch_mib * 2**20)
        args, readonly = [self.bwrap, *_base_args(int(size))], ["/proc", "/dev", *SYSTEM_DIRS]
        made: list[str] = []

        def mount(kind: str, source: str, target: str, *options: str) -> None:
            if kind == "--ro-bind" and any(map(pathlib.Path(target).is_relative_to, readonly)):
                return  # already visible, read-only
            for parent in reversed(pathlib.Path(target).parents[:-1]):  # kernel must get there
                if str(parent) not in made and not any(map(parent.is_relative_to, readonly)):
                    args.extend(["--perms", "0755", "--dir", str(parent)])
                    made.append(str(parent))
            args.extend([*options, kind, *([source] if source else []), target])
            (readonly if kind.startswith("--ro") else made).append(target)

        mount("--tmpfs", "", "/tmp", "--size", size, "--perms", "1777")
        mount("--tmpfs", "", WORKDIR, "--size", size, "--perms", "1777")
        for folder in _python_dirs():
            mount("--ro-bind", folder, folder)
        for entry in sorted(os.scandir(cwd), key=lambda e: e.name):
            # the submission's other files, read-only; not its notebooks (the one being graded
            # already has the hidden tests back) and not symbolic links (they could point out)
            if not entry.name.endswith(".ipynb") and not entry.is_symlink():
                mount("--ro-bind", entry.path, f"{WORKDIR}/{entry.name}")
        mount("--dir", "", "/tmp/matplotlib", "--perms", "1777")
        for cache in _matplotlib_font_cache():
            mount("--ro-bind", cache, f"/tmp/matplotlib/{os.path.basename(cache)}")
        mount("--ro-bind-data", str(data_fd), CONNECTION_FILE, "--perms", "0444")
        args += ["--remount-ro", "/", "--chdir", WORKDIR, "--info-fd", str(info_fd),
                 "--clearenv", *self._environment()]
        connection_file = os.path.realpath(self.connection_file)
        cmd = [CONNECTION_FILE if arg == connection_file else arg for arg in cmd]
        return [*args, "--", *self._inside_command(cmd)]

    async def _async_pre_start_kernel(self, **kw):
        if not self.enabled:
            self.log.warning("Grading WITHOUT a sandbox (SandboxedKernelManager.enabled is "
                             "False): this submission's code can read and change everything "
                             "the instructor can.")
            return await super()._async_pre_start_kernel(**kw)
        problem = bwrap_problem(self.bwrap)
        if problem:
            raise RuntimeError(problem)
        self.transport, self.ip = "ipc", KERNEL_SOCKETS
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        self.kernel_spec.interrupt_mode = "message"  # a signal would stop bwrap, not the cell
        data_fd, data_w = os.pipe()  # the connection file, for the kernel only
        with os.fdopen(data_w, "wb") as data:
            data.write(pathlib.Path(self.connection_file).read_bytes())
        self._info_r, info_w = os.pipe()
        cwd = os.path.realpath(kw.get("cwd") or os.getcwd())
        kw.update(cwd=cwd, pass_fds=(data_fd, info_w), stdin=subprocess.DEVNULL,
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self._sandbox(cmd, cwd, data_fd, info_w), kw

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            for fd in kw.get("pass_fds", ()):
                os.close(fd)
        if not self.enabled:
            return
        with os.fdopen(self._info_r) as info:
            text = await asyncio.get_running_loop().run_in_executor(None, info.read)
        try:
            pid = json.loads(text)["child-pid"]
        except (ValueError, KeyError):
            raise RuntimeError("bwrap did not start the sandbox (run `bwrap --ro-bind / / true`"
                               " to see why)") from None
        self.ip = f"/proc/{pid}/root{KERNEL_SOCKETS}"  # the kernel's sockets, seen from here
        self._timer = asyncio.get_running_loop().call_later(self.wall_seconds, self._time_up)

    def _time_up(self) -> None:
        process = getattr(self.provisioner, "process", None)
        if process is None or process.poll() is not None:
            return
        self.log.error("The sandbox stopped this kernel after %d s (SandboxedKernelManager."
                       "wall_seconds).", self.wall_seconds)
        os.killpg(process.pid, signal.SIGKILL)  # bwrap leads the group; its namespace follows

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await super()._async_cleanup_resources(restart=restart)

    cleanup_resources = _async_cleanup_resources


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` preprocessor with its kernel in the sandbox."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)


def use_in(c, enabled: bool = True) -> None:
    """Configure nbgrader (its config object ``c``) to autograde with :class:`SandboxedExecute`."""
    from nbgrader.converters import Autograde

    steps = Autograde.class_traits()["autograde_preprocessors"].default()
    if Execute not in steps:
        raise RuntimeError(f"this nbgrader does not autograde with Execute: {steps}")
    c.Autograde.autograde_preprocessors = [SandboxedExecute if p is Execute else p
                                           for p in steps]
    c.SandboxedKernelManager.enabled = enabled
