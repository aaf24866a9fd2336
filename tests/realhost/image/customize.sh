#!/bin/sh
# Runs inside the new root (chroot) once the packages are in: makes it a VM that boots straight
# to the test unit. tests/realhost/rig.py runs it; the files/ tree is already copied in.
set -eu

# The kernel's postinst ran without making an initramfs (the rig boots its own tiny one).
rm -f /usr/sbin/update-initramfs
dpkg-divert --local --rename --remove /usr/sbin/update-initramfs >/dev/null

echo realhost > /etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 realhost\n::1 localhost\n' > /etc/hosts
printf '/dev/vda / ext4 rw,noatime 0 0\n' > /etc/fstab
# A fixed machine id: not a first boot (no firstboot prompts), and each boot's disk is thrown away.
echo 5a1e5c0ffee0c0de5a1e5c0ffee0c0de > /etc/machine-id

# The serial getty's vhangup would cut the console; nothing logs in here.
systemctl mask -q serial-getty@ttyS0.service serial-getty@ttyS1.service getty@tty1.service \
        systemd-firstboot.service
# Periodic jobs that would only compete with the scenarios for the two CPUs.
for t in apt-daily apt-daily-upgrade e2scrub_all fstrim logrotate dpkg-db-backup man-db; do
        systemctl mask -q "$t.timer" 2>/dev/null || true
done
# The engines start when a scenario needs them (boot stays short and their start is timed).
systemctl disable -q docker.service docker.socket containerd.service
systemctl enable -q realhost.service

# The rootless user: subordinate ids, and a user manager started at boot (lingering).
useradd -m -u 1000 -s /bin/sh tester
echo tester:100000:65536 > /etc/subuid
echo tester:100000:65536 > /etc/subgid
mkdir -p /var/lib/systemd/linger
touch /var/lib/systemd/linger/tester

# Modules of hardware this VM never has: a smaller disk image.
for kernel in /lib/modules/*; do
        for d in sound drivers/gpu drivers/media drivers/net/wireless drivers/net/ethernet drivers/infiniband \
                drivers/staging drivers/iio drivers/bluetooth drivers/isdn drivers/net/can drivers/mtd \
                net/bluetooth net/wireless net/mac80211; do
                rm -rf "$kernel/kernel/$d"
        done
        depmod -a "${kernel##*/}"
done
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/*.log
