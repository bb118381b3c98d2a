# MoCo.NET sandbox preamble: defence in depth inside the OS-level sandbox. It applies the reference
# evaluator's audit-hook policy, so solutions that open sockets or spawn processes fail as they did there.
# Audit hooks are no security boundary (ctypes can bypass them); the namespaces and limits are.
import os as _moco_os
import sys as _moco_sys

_moco_readable = [_moco_os.path.abspath(p) for p in _moco_sys.path if p and _moco_os.path.isdir(p)]
_moco_readable += [_moco_os.path.abspath(_moco_sys.prefix), _moco_os.path.abspath(_moco_sys.base_prefix)]
_moco_devices = ("/dev/urandom", "/dev/random", "/dev/null")


def _moco_audit(event, args):
    if event.startswith("socket") or event.startswith("remote"):
        raise RuntimeError("sandbox: network access denied")
    if event.startswith("subprocess") or event in ("os.system", "os.posix_spawn", "os.spawn"):
        raise RuntimeError("sandbox: starting processes denied")
    if event in ("open", "io.open") and args:
        path = args[0]
        if isinstance(path, int):
            return
        mode = (args[1] if len(args) > 1 else None) or "r"
        path = _moco_os.path.abspath(str(path))
        if path.startswith(_moco_os.getcwd()) or path in _moco_devices:
            return
        if any(flag in str(mode) for flag in "wax+"):
            raise RuntimeError(f"sandbox: writing outside the sandbox denied: {path}")
        if not any(path.startswith(p) for p in _moco_readable):
            raise RuntimeError(f"sandbox: reading outside the interpreter denied: {path}")
    if event in ("os.remove", "os.unlink", "os.rmdir", "os.rename", "shutil.rmtree") and args:
        path = _moco_os.path.abspath(str(args[0]))
        if not path.startswith(_moco_os.getcwd()):
            raise RuntimeError(f"sandbox: changing files outside the sandbox denied: {path}")


_moco_sys.addaudithook(_moco_audit)
