"""Samples the memory of a command's process tree while it runs: the root process's own PSS
and its descendants' (the headless chromium of the rendered check) summed, every 20 ms; prints
the peaks in MB when the root exits. Usage: render_mem.py <pid>"""
import os
import sys
import time


def children(pid):
    """Children of every thread of `pid` (tokio spawns the browser from a worker thread)."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return found


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    root = int(sys.argv[1])
    peak_own = peak_tree = 0
    while os.path.exists(f"/proc/{root}"):
        own = pss_kb(root)
        stack, tree = children(root), 0
        while stack:
            pid = stack.pop()
            tree += pss_kb(pid)
            stack.extend(children(pid))
        peak_own, peak_tree = max(peak_own, own), max(peak_tree, tree)
        time.sleep(0.02)
    print(f"{peak_own / 1024:.1f} {peak_tree / 1024:.1f}")


main()
