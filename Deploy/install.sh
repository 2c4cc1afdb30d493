#!/usr/bin/env bash
# Installs Lunzhi on a Debian server (FHS paths); safe to run again (it upgrades the binary, units
# and docs, and never overwrites your configuration).
#
#   Deploy/install.sh [--root DIR] [--binary PATH]
#
#   --root DIR     install under DIR instead of / (packaging, tests): no user is created and
#                  systemd is not told
#   --binary PATH  the lunzhi binary to install (default: build a release)
#
# Puts: /usr/local/bin/lunzhi, /etc/systemd/system/lunzhi-{console,remind}.service,
# /etc/lunzhi/lunzhi.env (from Deploy/lunzhi.env.example, only if absent), /var/lib/lunzhi,
# /usr/local/share/doc/lunzhi/. Then: edit /etc/lunzhi/lunzhi.env, run `lunzhi migrate` as the
# database owner, and `systemctl enable --now lunzhi-console lunzhi-remind` (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=/
binary=""
while [ $# -gt 0 ]; do
    case "$1" in
    --root) root=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    *) echo "usage: Deploy/install.sh [--root DIR] [--binary PATH]" >&2; exit 2 ;;
    esac
done
root=${root%/}
say() { printf 'install: %s\n' "$*" >&2; }

if [ -z "$binary" ]; then
    say "building a release (swift build -c release)"
    swift build -c release --product lunzhi >&2
    binary="$(swift build -c release --show-bin-path)/lunzhi"
fi
[ -x "$binary" ] || { say "no executable at $binary"; exit 1; }

system=false
if [ -z "$root" ]; then system=true; fi
if $system && [ "$(id -u)" -ne 0 ]; then say "run as root (or use --root DIR)"; exit 1; fi

if $system && ! getent passwd lunzhi >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/lunzhi --no-create-home --shell /usr/sbin/nologin lunzhi
    say "created the system user lunzhi"
fi

install -d -m 0755 "$root/usr/local/bin" "$root/etc/systemd/system" "$root/usr/local/share/doc/lunzhi"
install -d -m 0750 "$root/etc/lunzhi" "$root/var/lib/lunzhi"
# Replace the binary atomically, so a running service keeps its old inode until restarted.
install -m 0755 "$binary" "$root/usr/local/bin/.lunzhi.new"
mv -f "$root/usr/local/bin/.lunzhi.new" "$root/usr/local/bin/lunzhi"
install -m 0644 Deploy/systemd/lunzhi-console.service Deploy/systemd/lunzhi-remind.service "$root/etc/systemd/system/"
install -m 0644 docs/*.md docs/audit-verify.py Deploy/lunzhi.env.example "$root/usr/local/share/doc/lunzhi/"
if [ ! -e "$root/etc/lunzhi/lunzhi.env" ]; then
    install -m 0640 Deploy/lunzhi.env.example "$root/etc/lunzhi/lunzhi.env"
    say "wrote $root/etc/lunzhi/lunzhi.env from the example: edit it"
else
    say "kept the existing $root/etc/lunzhi/lunzhi.env"
fi
if $system; then
    chown root:lunzhi /etc/lunzhi /etc/lunzhi/lunzhi.env
    chown lunzhi:lunzhi /var/lib/lunzhi
    if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi
say "installed $("$root/usr/local/bin/lunzhi" version 2>/dev/null || echo lunzhi)"
say "next: edit /etc/lunzhi/lunzhi.env; lunzhi migrate (as the database owner);"
say "      systemctl enable --now lunzhi-console lunzhi-remind   (docs/operations.md)"
