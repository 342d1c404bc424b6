#!/usr/bin/python3
"""Prints the call graph between the object files of cgi/ (who calls a
function another file defines, from nm's symbols) and exits 1 if any files
call each other, directly or round a longer cycle.

  callgraph.py OBJECT...
"""
import subprocess
import sys


def symbols(obj):
    defined, undefined = set(), set()
    out = subprocess.run(["nm", obj], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDBR":
            defined.add(f[2])
        elif len(f) == 2 and f[0] == "U":
            undefined.add(f[1])
    return defined, undefined


objs = sys.argv[1:]
syms = {o: symbols(o) for o in objs}
calls = {o: sorted(p for p in objs if p != o and syms[o][1] & syms[p][0])
         for o in objs}
for o in objs:
    print(o, "->", " ".join(calls[o]) or "-")

state, cycles = {}, []


def visit(o, path):
    state[o] = "open"
    for p in calls[o]:
        if state.get(p) == "open":
            cycles.append(path[path.index(p):] + [p])
        elif p not in state:
            visit(p, path + [p])
    state[o] = "done"


for o in objs:
    if o not in state:
        visit(o, [o])
for c in cycles:
    print("cycle:", " -> ".join(c))
sys.exit(1 if cycles else 0)
