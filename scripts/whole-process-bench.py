#!/usr/bin/env python3
# Whole-process timings interleaved with a bare C libpcap loop (docs/performance.md,
# "Multi-queue (`--queues`) and reading from a pipe"): each round runs every variant
# once, the order rotating; prints the median wall and CPU (user + sys of all the
# variant's processes) and the median of the same-round ratios against the bare loop.
#
#   python3 scripts/whole-process-bench.py CAPTURE ROUNDS VARIANT,VARIANT,...
#   BARE=path of a C loop (pcap_open_offline(argv[1]) + pcap_next_ex; "-" = stdin),
#   SKBSIM=the skbsim binary (default .build/release/skbsim).
import subprocess, sys, time, statistics, os, resource
F = sys.argv[1]; rounds = int(sys.argv[2]); which = sys.argv[3].split(',')
S = os.environ.get('SKBSIM', '.build/release/skbsim')
B = os.environ.get('BARE', 'bare')
V = {
 'bare': f'{B} {F}',
 'stats': f'{S} stats {F}',
 'stats-nora': f'{S} stats --no-read-ahead {F}',
 'q2': f'{S} stats --queues 2 {F}',
 'q4': f'{S} stats --queues 4 {F}',
 'gro': f'{S} stats --gro {F}',
 'q2gro': f'{S} stats --gro --queues 2 {F}',
 'pipe-bare': f'cat {F} | {B} -',
 'pipe-auto': f'cat {F} | {S} stats -r -',
 'pipe-ra': f'cat {F} | {S} stats --read-ahead -r -',
 'pipe-nora': f'cat {F} | {S} stats --no-read-ahead -r -',
}
t = {k: [] for k in which}
cpu = {k: [] for k in which}
for r in range(rounds):
    order = which[r % len(which):] + which[:r % len(which)]
    for k in order:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        a = time.perf_counter()
        p = subprocess.run(V[k], shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t[k].append(time.perf_counter() - a)
        ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[k].append(ru2.ru_utime + ru2.ru_stime - ru.ru_utime - ru.ru_stime)
        if p.returncode != 0: print(k, 'failed', p.stderr[:300]); sys.exit(1)
base = 'bare' if 'bare' in which else None
pbase = 'pipe-bare' if 'pipe-bare' in which else None
for k in which:
    med = statistics.median(t[k])
    b = pbase if k.startswith('pipe') else base
    ratio = ''
    if b and k != b:
        rr = [t[b][i] / t[k][i] for i in range(rounds)]
        ratio = f'  speed vs {b}: median same-round ratio {statistics.median(rr):.3f}x (min {min(rr):.3f}, max {max(rr):.3f})'
    print(f'{k:10s} cpu(user+sys, all processes) median {statistics.median(cpu[k]):.3f} s; wall median {med:.3f} s  [{", ".join(f"{x:.2f}" for x in t[k])}]{ratio}')
