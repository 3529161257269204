#!/bin/busybox sh
# /init of the kernel-matrix guest (busybox only). Mounts the kernel filesystems BPF needs,
# runs the steps the host wrote to /etc/matrix-steps.sh, and sends everything back on the
# serial console as marked blocks:
#   RINGSIDE-BOOTED <uptime_s> <uname -r>
#   RINGSIDE-STEP-BEGIN <step> <uptime_s>      RINGSIDE-STEP-END <step> rc=<n> <uptime_s>
#   RINGSIDE-RESULT-BEGIN <step>.<what>   (base64 lines)   RINGSIDE-RESULT-END <step>.<what>
#   RINGSIDE-DONE
# then powers off. Every step runs under `timeout`, so a hung step ends as rc=143/137.
/bin/busybox --install -s /bin
export PATH=/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
# Kernels without tracefs as its own fs expose it under debugfs.
[ -e /sys/kernel/tracing/events ] || mount --bind /sys/kernel/debug/tracing /sys/kernel/tracing 2>/dev/null
echo 1 > /proc/sys/kernel/printk          # keep printk off the console: it shares the line with our blocks
ulimit -l unlimited 2>/dev/null           # pre-5.11 kernels charge BPF maps to RLIMIT_MEMLOCK
ip link set lo up 2>/dev/null

uptime_s() { cut -d' ' -f1 /proc/uptime; }
blob() {  # blob NAME FILE: a file as a base64 block
  echo "RINGSIDE-RESULT-BEGIN $1"
  base64 "$2"
  echo "RINGSIDE-RESULT-END $1"
}
step() {  # step NAME OUTDIR CMD...: run CMD under the step timeout, send stdout/stderr/results.json
  name=$1; outdir=$2; shift 2
  echo "RINGSIDE-STEP-BEGIN $name $(uptime_s)"
  timeout -k 5 "$STEP_TIMEOUT" "$@" >"/tmp/$name.out" 2>"/tmp/$name.err" </dev/null
  rc=$?
  echo "RINGSIDE-STEP-END $name rc=$rc $(uptime_s)"
  blob "$name.stdout" "/tmp/$name.out"
  tail -c 16384 "/tmp/$name.err" >"/tmp/$name.err.tail"
  blob "$name.stderr" "/tmp/$name.err.tail"
  if [ -n "$outdir" ] && [ -f "$outdir/results.json" ]; then
    blob "$name.results" "$outdir/results.json"
  fi
}

echo
echo "RINGSIDE-BOOTED $(uptime_s) $(uname -r)"
STEP_TIMEOUT=60
. /etc/matrix-steps.sh
dmesg | tail -n 60 >/tmp/dmesg.tail
blob dmesg /tmp/dmesg.tail
echo "RINGSIDE-DONE $(uptime_s)"
poweroff -f
