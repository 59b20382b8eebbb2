#!/usr/bin/env python3
"""Every walguard command line the deployment files run, checked against the binary.

Usage: command_lines.py SOURCE_DIR WALGUARD COMPOSE_CONFIG_YAML

COMPOSE_CONFIG_YAML is `docker-compose config`'s output (anchors merged, paths
absolute). A walguard command line is a service's command when the service runs
the walguard image, a healthcheck that runs `walguard`, and every Exec*= line of
deploy/*.service that runs /usr/local/bin/walguard. For each:
  - `walguard <sub> --help` exits 0 and names every flag the line uses;
  - every --config file it names passes `walguard check-config` (compose: the
    file mounted there; systemd: /etc/walguard/NAME is installed from deploy/NAME);
  - a compose service's http_address port is the one Prometheus scrapes it on.
A subcommand this binary does not have is reported and skipped (with its
config files). Prints one line per check; exits 1 when any failed.
"""
import glob
import os
import re
import shlex
import subprocess
import sys
import urllib.parse

import yaml

SRC, WALGUARD, COMPOSE_CONFIG = sys.argv[1:4]
failures = []
checked = 0


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def subcommands():
    code, out, _ = run([WALGUARD, "--help"])
    assert code == 0, "walguard --help failed"
    section = out.split("Subcommands:", 1)[1] if "Subcommands:" in out else ""
    return {line.split()[0] for line in section.splitlines() if line.strip()}


SUBCOMMANDS = subcommands()
assert "run" in SUBCOMMANDS and "check-config" in SUBCOMMANDS, SUBCOMMANDS


def flags_of(argv):
    return [a.split("=", 1)[0] for a in argv if a.startswith("--")]


def config_paths(argv):
    paths = []
    for i, a in enumerate(argv):
        if a == "--config" and i + 1 < len(argv):
            paths.append(argv[i + 1])
        elif a.startswith("--config="):
            paths.append(a.split("=", 1)[1])
    return paths


def subcommand_of(argv):
    return argv[0] if argv and not argv[0].startswith("-") else None


# Host paths of the config files of the command lines whose subcommand this
# walguard lacks: skipped too where another line (an ExecStartPre) checks them.
skipped_configs = set()


def check_command(where, argv, host_path_of):
    """argv without the program; host_path_of maps a path in it to a host file."""
    global checked
    sub = subcommand_of(argv)
    if sub is not None and sub not in SUBCOMMANDS:
        print(f"SKIP {where}: this walguard has no `{sub}` subcommand; not checked: {' '.join(argv)}")
        return []
    failed_before = len(failures)
    help_argv = [WALGUARD] + ([sub] if sub else []) + ["--help"]
    code, out, err = run(help_argv)
    if code != 0:
        fail(f"{where}: {' '.join(help_argv[1:])} exits {code}: {err.strip()}")
        return []
    for flag in flags_of(argv):
        if flag == "--help":
            continue
        if not re.search(r"(^|[\s,])" + re.escape(flag) + r"([\s=,]|$)", out, re.M):
            fail(f"{where}: `walguard {sub or ''} --help` does not list {flag} (used in: {' '.join(argv)})")
    configs = []
    for path in config_paths(argv):
        host = host_path_of(path)
        if host is None or not os.path.isfile(host):
            fail(f"{where}: --config {path}: no file in the repository provides it")
            continue
        if host in skipped_configs:
            print(f"SKIP {where}: {host} is the config of a subcommand this walguard lacks")
            continue
        code, out, err = run([WALGUARD, "check-config", "--config", host])
        if code != 0:
            fail(f"{where}: walguard check-config --config {host} exits {code}: {err.strip()}")
            continue
        configs.append(out)
    checked += 1
    if len(failures) == failed_before:
        print(f"ok   {where}: walguard {' '.join(argv)}")
    return configs


def note_skipped(argv, host_path_of):
    if subcommand_of(argv) not in SUBCOMMANDS:
        skipped_configs.update(h for h in map(host_path_of, config_paths(argv)) if h)


def http_port(check_config_output):
    m = re.search(r'^http_address = "(.*)"$', check_config_output, re.M)
    return m.group(1).rsplit(":", 1)[1] if m and m.group(1) else None


def alertmanager_urls(check_config_output):
    m = re.search(r"^\[alertmanager\]\nurls = \[(.*)\]$", check_config_output, re.M)
    return re.findall(r'"([^"]*)"', m.group(1)) if m else []


def prometheus_targets():
    with open(os.path.join(SRC, "deploy", "prometheus.yml")) as f:
        prom = yaml.safe_load(f)
    return {t for job in prom["scrape_configs"] for sc in job.get("static_configs", []) for t in sc["targets"]}


def compose_mounts(service):
    """Container path -> host path of the service's bind mounts."""
    mounts = {}
    for v in service.get("volumes", []):
        if isinstance(v, dict):
            if v.get("type") == "bind":
                mounts[v["target"]] = v["source"]
            continue
        parts = v.split(":")
        if len(parts) >= 2 and parts[0].startswith("/"):
            mounts[parts[1]] = parts[0]
    return mounts


def check_compose():
    with open(COMPOSE_CONFIG) as f:
        compose = yaml.safe_load(f)
    targets = prometheus_targets()
    walguard_services = 0
    all_lines = []
    for name, service in compose["services"].items():
        runs_walguard = str(service.get("image", "")).startswith("walguard:")
        mounts = compose_mounts(service)
        lines = []
        if runs_walguard:
            walguard_services += 1
            command = service.get("command")
            if not isinstance(command, list) or not command:
                fail(f"docker-compose.yml {name}: walguard's command must be a non-empty list, not {command!r}")
                continue
            lines.append((f"docker-compose.yml {name}", command))
        test = (service.get("healthcheck") or {}).get("test") or []
        if runs_walguard and len(test) > 1 and test[0] == "CMD" and os.path.basename(test[1]) == "walguard":
            lines.append((f"docker-compose.yml {name} healthcheck", test[2:]))
        all_lines.append((name, mounts, lines))
    for _, mounts, lines in all_lines:
        for _, argv in lines:
            note_skipped(argv, mounts.get)
    for name, mounts, lines in all_lines:
        for where, argv in lines:
            for out in check_command(where, argv, mounts.get):
                port = http_port(out)
                if port and not where.endswith("healthcheck") and f"{name}:{port}" not in targets:
                    fail(f"{where}: http_address port {port}, but deploy/prometheus.yml scrapes {sorted(targets)}")
                if subcommand_of(argv) != "run" or where.endswith("healthcheck"):
                    continue
                urls = alertmanager_urls(out)
                if not urls:
                    fail(f"{where}: pushes to no Alertmanager ([alertmanager] urls is empty)")
                for url in urls:
                    host = urllib.parse.urlsplit(url).hostname
                    if host not in compose["services"]:
                        fail(f"{where}: alertmanager url {url} names no service of docker-compose.yml")
    if walguard_services < 2:
        fail(f"docker-compose.yml runs walguard in {walguard_services} services; expected walguard and the worker")


def systemd_host_path(path):
    """The units name /etc/walguard/NAME; the repository's deploy/NAME is what is installed there."""
    prefix = "/etc/walguard/"
    return os.path.join(SRC, "deploy", path[len(prefix) :]) if path.startswith(prefix) else None


def check_systemd():
    units = sorted(glob.glob(os.path.join(SRC, "deploy", "*.service")))
    if len(units) < 2:
        fail(f"expected deploy/walguard.service and deploy/walguard-worker.service, found {units}")
    lines = []
    for unit in units:
        found = 0
        with open(unit) as f:
            for n, line in enumerate(f, 1):
                m = re.match(r"^(ExecStart|ExecStartPre|ExecStartPost|ExecReload|ExecStop)=[-@:+!]*(.*)$", line)
                if not m:
                    continue
                argv = shlex.split(m.group(2))
                if argv[0] != "/usr/local/bin/walguard":
                    fail(f"{os.path.basename(unit)}:{n}: runs {argv[0]}, not /usr/local/bin/walguard")
                    continue
                found += 1
                lines.append((f"{os.path.basename(unit)}:{n}", argv[1:]))
        if found == 0:
            fail(f"{os.path.basename(unit)}: no walguard command line")
    for _, argv in lines:
        note_skipped(argv, systemd_host_path)
    for where, argv in lines:
        check_command(where, argv, systemd_host_path)


check_compose()
check_systemd()
print(f"{checked} command lines checked, {len(failures)} failures")
if checked == 0:
    fail("no command line was checked")
sys.exit(1 if failures else 0)
