#!/usr/bin/env python3
"""Runs the DuckDB recipe of docs/duckdb.md on a real DuckDB and checks it.

Several sample captures go through `skbsim stats --json` and `--csv`, one
output file each (with a small socket, so that there are drops by reason);
the ```sql blocks of docs/duckdb.md run over them, and their totals must
equal skbsim's own combined summary: the last line of `skbsim stats --json`
over all the files at once. Installs the `duckdb` Python package when it is
missing; when that fails, says so and skips (exit 0).

Usage: scripts/duckdb-recipe-test.py [SKBSIM]   (default: the debug build)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(root)


def skip(why):
    print(f"SKIPPED duckdb recipe test: {why}")
    sys.exit(0)


try:
    import duckdb
except ImportError:
    print("duckdb-recipe-test: installing the duckdb Python package (pip install duckdb)")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "duckdb"])
    if r.returncode != 0:
        skip("the duckdb package is not installed and `pip install duckdb` failed")
    try:
        import duckdb
    except ImportError:
        skip("the duckdb package could not be imported after installing it")

if len(sys.argv) > 1:
    skbsim = sys.argv[1]
else:
    bin_path = subprocess.run(["swift", "build", "--show-bin-path"], capture_output=True, text=True).stdout.strip()
    skbsim = os.path.join(bin_path, "skbsim")
if not os.access(skbsim, os.X_OK):
    sys.exit(f"duckdb-recipe-test: no skbsim binary at {skbsim} (swift build first)")

samples = ["tcp-bulk", "udp-dns", "vlan", "jumbo-9000", "ipv6-tcp", "icmp-echo", "tcp-handshake"]
options = ["--rcvbuf", "4096", "--socket-queue", "4"]
paths = [os.path.join(root, "samples", s + ".pcap") for s in samples]

blocks = re.findall(r"```sql\n(.*?)```", open("docs/duckdb.md", encoding="utf-8").read(), re.S)
if len(blocks) != 4:
    sys.exit(f"duckdb-recipe-test: expected 4 sql blocks in docs/duckdb.md, found {len(blocks)}")
totals_sql, reasons_sql, top_sql, csv_sql = blocks

failures = []


def check(what, got, want):
    if got != want:
        failures.append(f"{what}: DuckDB {got!r}, skbsim {want!r}")


with tempfile.TemporaryDirectory() as work:
    os.makedirs(os.path.join(work, "stats"))
    for name, path in zip(samples, paths):
        for fmt in ["json", "csv"]:
            out = subprocess.run([skbsim, "stats", "--" + fmt] + options + [path], capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"duckdb-recipe-test: skbsim stats --{fmt} {path} failed: {out.stderr}")
            with open(os.path.join(work, "stats", f"{name}.{fmt}"), "w") as f:
                f.write(out.stdout)
    many = subprocess.run([skbsim, "stats", "--json"] + options + paths, capture_output=True, text=True)
    if many.returncode != 0:
        sys.exit(f"duckdb-recipe-test: skbsim stats --json over every file failed: {many.stderr}")
    lines = many.stdout.splitlines()
    combined = json.loads(lines[-1])
    if combined["capture"] is not None or combined["files"] != len(samples):
        sys.exit(f"duckdb-recipe-test: the last line is not the combined summary: {lines[-1][:200]}")
    per_file = [json.loads(line) for line in lines[:-1]]

    os.chdir(work)
    con = duckdb.connect()

    cursor = con.execute(totals_sql)
    names = [d[0] for d in cursor.description]
    row = dict(zip(names, cursor.fetchone()))
    check("captures", row["captures"], combined["files"])
    for key, value in [
        ("packets", combined["packets"]),
        ("bytes", combined["bytes"]),
        ("skbs_allocated", combined["skbs_allocated"]),
        ("delivered", combined["delivered"]),
        ("page_frag_refills", combined["page_frag"]["refills"]),
        ("order3_pages", combined["page_frag"]["order3_pages"]),
        ("page_frag_waste", combined["page_frag"]["waste"]),
        ("drops", combined["drops"]["total"]),
        ("peak_memory_bytes", combined["peak_memory_bytes"]),
        ("peak_sk_rmem_alloc", combined["peak_sk_rmem_alloc"]),
        ("truesize_len_count", combined["truesize_len"]["count"]),
    ]:
        check(key, int(row[key]), value)
    # Per-file means have 3 decimals: the weighted mean is within rounding.
    if abs(row["truesize_len_mean"] - combined["truesize_len"]["mean"]) > 0.001:
        failures.append(
            f"truesize_len_mean: DuckDB {row['truesize_len_mean']}, skbsim {combined['truesize_len']['mean']}")

    reasons = {r: int(n) for r, n in con.execute(reasons_sql).fetchall()}
    check("drops by reason", reasons, combined["drops"]["by_reason"])
    if not reasons:
        failures.append("no drops by reason: the socket options should have made some")

    top = con.execute(top_sql).fetchall()
    want = sorted(per_file, key=lambda o: (-o["peak_memory_bytes"], o["capture"]))[:10]
    check("top captures", [r[0] for r in top], [o["capture"] for o in want])

    cursor = con.execute(csv_sql)
    names = [d[0] for d in cursor.description]
    row = dict(zip(names, cursor.fetchone()))
    check("csv captures", row["captures"], combined["files"])
    check("csv packets", int(row["packets"]), combined["packets"])
    check("csv drops", int(row["drops"]), combined["drops"]["total"])
    check("csv peak_memory_bytes", int(row["peak_memory_bytes"]), combined["peak_memory_bytes"])

os.chdir(root)
if failures:
    print("duckdb recipe test FAILED:")
    for f in failures:
        print("  " + f)
    sys.exit(1)
print(
    f"duckdb recipe test: DuckDB {duckdb.__version__} totals over {combined['files']} captures equal skbsim's "
    f"combined summary ({combined['packets']} packets, {combined['drops']['total']} drops)")
