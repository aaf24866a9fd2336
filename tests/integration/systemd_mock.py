"""A stand-in for systemd's manager on a private bus, for the tests of nook-systemd.

Owns org.freedesktop.systemd1 and serves the few Manager methods the helper calls
(StartTransientUnit, StopUnit, ResetFailedUnit, SetUnitProperties, GetUnit and the
Version / ControlGroup properties), keeps units in memory as systemd does (a failed
unit stays loaded until ResetFailedUnit), emits JobRemoved for each job, and
appends every call to a log file as a JSON line, properties as [name, signature,
value]. Run: python3 systemd_mock.py ADDRESS LOG CONFIG.json; it prints "ready"
once it owns the name.

CONFIG keys: version, control_group (the manager's own cgroup), job_results (the
results of successive start jobs; the last one repeats), stop_result, hang (method
names that never reply), no_job_removed, signal_before_reply, unknown_properties.
"""
import json
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

MANAGER = "org.freedesktop.systemd1.Manager"
PATH = "/org/freedesktop/systemd1"
UNIT_PATH = PATH + "/unit"


def signature_of(value):
    """The D-Bus signature python-dbus gave a variant's contents."""
    for kind, sig in ((dbus.Boolean, "b"), (dbus.String, "s"), (dbus.UInt64, "t"), (dbus.Int64, "x"),
                      (dbus.UInt32, "u"), (dbus.Int32, "i"), (dbus.Double, "d"), (dbus.Byte, "y"),
                      (dbus.ObjectPath, "o")):
        if isinstance(value, kind):
            return sig
    if isinstance(value, dbus.Array):
        return "a" + value.signature
    return "?"


def plain(value):
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.String, dbus.ObjectPath)):
        return str(value)
    if isinstance(value, dbus.Double):
        return float(value)
    if isinstance(value, dbus.Array):
        return [plain(v) for v in value]
    return int(value)


def expand_slice(slice_name):
    if slice_name == "-.slice":
        return ""
    parts = slice_name[:-len(".slice")].split("-")
    return "".join("/" + "-".join(parts[:i + 1]) + ".slice" for i in range(len(parts)))


def unit_object(name):
    return UNIT_PATH + "/" + "".join(c if c.isalnum() else "_%02x" % ord(c) for c in name)


class Manager(dbus.service.Object):
    def __init__(self, bus, log, config):
        super().__init__(bus, PATH)
        self.log, self.config = log, config
        self.units = {}  # name -> {"state": "active"|"failed", "cgroup": ...}
        self.next_job = 1
        self.starts = 0

    def record(self, method, *args):
        with open(self.log, "a") as f:
            f.write(json.dumps({"method": method, "args": list(args)}) + "\n")

    def hangs(self, method):
        return method in self.config.get("hang", [])

    def job(self, unit, result, reply):
        """Replies with a new job's path and emits its JobRemoved (after, or before, the reply)."""
        job_id = self.next_job
        self.next_job += 1
        path = dbus.ObjectPath(f"{PATH}/job/{job_id}")
        if self.config.get("no_job_removed"):
            reply(path)
            return
        emit = lambda: self.JobRemoved(dbus.UInt32(job_id), path, unit, result) and False
        if self.config.get("signal_before_reply"):
            emit()
            reply(path)
        else:
            reply(path)
            GLib.idle_add(emit)

    @dbus.service.signal(MANAGER, signature="uoss")
    def JobRemoved(self, job_id, job, unit, result):
        pass

    @dbus.service.method(MANAGER, in_signature="ssa(sv)a(sa(sv))", out_signature="o",
                         async_callbacks=("reply", "error"))
    def StartTransientUnit(self, name, mode, properties, aux, reply, error):
        props = [[str(n), signature_of(v), plain(v)] for n, v in properties]
        self.record("StartTransientUnit", str(name), str(mode), props)
        if self.hangs("StartTransientUnit"):
            return
        for n, _, _ in props:
            if n in self.config.get("unknown_properties", []):
                return error(dbus.exceptions.DBusException(
                    f"Cannot set property {n}, or unknown property.", name="org.freedesktop.DBus.Error.InvalidArgs"))
        if name in self.units:
            return error(dbus.exceptions.DBusException(
                f"Unit {name} was already loaded or has a fragment file.",
                name="org.freedesktop.systemd1.UnitExists"))
        results = self.config.get("job_results", ["done"])
        result = results[min(self.starts, len(results) - 1)]
        self.starts += 1
        slice_name = next((v for n, _, v in props if n == "Slice"), "system.slice")
        cgroup = self.config.get("control_group", "") + expand_slice(slice_name) + "/" + name
        self.units[str(name)] = {"state": "active" if result == "done" else "failed", "cgroup": cgroup}
        self.job(name, result, reply)

    @dbus.service.method(MANAGER, in_signature="ss", out_signature="o", async_callbacks=("reply", "error"))
    def StopUnit(self, name, mode, reply, error):
        self.record("StopUnit", str(name), str(mode))
        if self.hangs("StopUnit"):
            return
        if name not in self.units:
            return error(dbus.exceptions.DBusException(f"Unit {name} not loaded.",
                                                       name="org.freedesktop.systemd1.NoSuchUnit"))
        result = self.config.get("stop_result", "done")
        if self.units[name]["state"] == "active":
            del self.units[name]
        self.job(name, result, reply)

    @dbus.service.method(MANAGER, in_signature="s", out_signature="")
    def ResetFailedUnit(self, name):
        self.record("ResetFailedUnit", str(name))
        if name not in self.units:
            raise dbus.exceptions.DBusException(f"Unit {name} not loaded.",
                                                name="org.freedesktop.systemd1.NoSuchUnit")
        if self.units[name]["state"] == "failed":
            del self.units[name]

    @dbus.service.method(MANAGER, in_signature="sba(sv)", out_signature="")
    def SetUnitProperties(self, name, runtime, properties):
        self.record("SetUnitProperties", str(name), bool(runtime),
                    [[str(n), signature_of(v), plain(v)] for n, v in properties])
        if name not in self.units:
            raise dbus.exceptions.DBusException(f"Unit {name} not loaded.",
                                                name="org.freedesktop.systemd1.NoSuchUnit")

    @dbus.service.method(MANAGER, in_signature="s", out_signature="o")
    def GetUnit(self, name):
        if name not in self.units:
            raise dbus.exceptions.DBusException(f"Unit {name} not loaded.",
                                                name="org.freedesktop.systemd1.NoSuchUnit")
        return dbus.ObjectPath(unit_object(name))

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        self.record("Get", str(interface), str(prop))
        values = {"Version": self.config.get("version", "252.38-1~deb12u1"),
                  "ControlGroup": self.config.get("control_group", "")}
        if interface != MANAGER or prop not in values:
            raise dbus.exceptions.DBusException(f"Unknown property {prop}",
                                                name="org.freedesktop.DBus.Error.UnknownProperty")
        return dbus.String(values[prop])


class Units(dbus.service.FallbackObject):
    """Every unit object: their ControlGroup property."""

    def __init__(self, bus, manager):
        super().__init__(bus, UNIT_PATH)
        self.manager = manager

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss", out_signature="v",
                         rel_path_keyword="rel_path")
    def Get(self, interface, prop, rel_path=None):
        for name, unit in self.manager.units.items():
            if unit_object(name) == UNIT_PATH + rel_path and prop == "ControlGroup":
                return dbus.String(unit["cgroup"])
        raise dbus.exceptions.DBusException(f"Unknown property {prop}",
                                            name="org.freedesktop.DBus.Error.UnknownProperty")


def main():
    address, log, config_path = sys.argv[1:4]
    with open(config_path) as f:
        config = json.load(f)
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    manager = Manager(bus, log, config)
    Units(bus, manager)
    name = dbus.service.BusName("org.freedesktop.systemd1", bus)
    print("ready", flush=True)
    GLib.MainLoop().run()
    del name


if __name__ == "__main__":
    main()
